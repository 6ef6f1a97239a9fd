// The README's `kerasrnn serve` example runs as written against a running server (on an ephemeral
// port instead of 8000), and its answer matches the example's PyTorch reference.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assertClose } from '../support/tolerance.js';
import { startServe } from '../support/serve-process.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const section = /<!-- section:serve -->([\s\S]*?)<!-- \/section:serve -->/.exec(readme)?.[1] ?? '';

test('README serve section: the serve command and curl requests work as written', async () => {
  assert.match(section, /^npx kerasrnn serve examples\/sine_forecaster\.h5 --port 8000 &$/m);
  const curls = section.match(/^curl .+$/gm) ?? [];
  assert.is(curls.length, 2);
  let curlFound = true;
  try {
    execFileSync('curl', ['--version']);
  } catch {
    curlFound = false;
  }
  if (!curlFound) {
    console.log('  skipped: curl is not installed');
    return;
  }
  const server = await startServe(['examples/sine_forecaster.h5']);
  try {
    const run = (line) => execFileSync('/bin/sh', ['-c', line.replace('localhost:8000', server.url.replace('http://', ''))], { cwd: root, encoding: 'utf8' });
    const meta = JSON.parse(run(curls[0]));
    assert.is(meta.name, 'sine_forecaster');
    const answer = JSON.parse(run(curls[1]));
    assert.is(answer.id, 'sine-1');
    const expected = JSON.parse(readFileSync(new URL('../../examples/sine_expected.json', import.meta.url), 'utf8'));
    assertClose(answer.outputs[0].data, expected.expected.flat(), 'curl answer vs the PyTorch reference', expected.tolerance?.atol, expected.tolerance?.rtol);
    // The README's sample answer shows these numbers (cut after 4 decimals).
    for (const v of answer.outputs[0].data) {
      const shown = String(v).slice(0, v < 0 ? 7 : 6);
      assert.ok(section.includes(`${shown}...`), `README shows ${shown}...`);
    }
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
});

test.run();
