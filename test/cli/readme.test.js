// The README's quick start promises two commands on a fresh clone: one that runs the main job on
// the model the project ships, and `npm test`. This runs the first one's `npx kerasrnn ...` part
// exactly as written (the `npm install` before it is what `npm ci` + build already did here) and
// checks the printed prediction against the example's PyTorch reference.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { ROOT, exampleExpected, close, numbers } from './helpers.js';

const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const quickstart = /<!-- section:quickstart -->([\s\S]*?)<!-- \/section:quickstart -->/.exec(readme)?.[1] ?? '';

test('the quick start names the two commands', () => {
  assert.ok(quickstart, 'README has a quickstart section');
  assert.match(quickstart, /^npm install && npx kerasrnn predict examples\/sine_forecaster\.h5 --input examples\/sine_input\.npy$/m);
  assert.match(quickstart, /^npm test$/m);
});

test("the README's main-job command prints the example's prediction", () => {
  const line = /^npm install && (npx kerasrnn .+)$/m.exec(quickstart)?.[1];
  assert.ok(line, 'main-job command found');
  // A private npm cache, offline, no lifecycle scripts: npx links this folder's own package (its
  // `bin`) without rebuilding dist/ while other tests run, and without touching the network.
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'kerasrnn-npx-'));
  try {
    const r = spawnSync('/bin/sh', ['-c', line], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120000,
      env: { ...process.env, npm_config_cache: cache, npm_config_offline: 'true', npm_config_ignore_scripts: 'true', npm_config_update_notifier: 'false' },
    });
    assert.is(r.status, 0, r.stderr);
    // The README shows exactly what the command prints (the fenced block after the commands).
    const shown = /```sh\n[\s\S]*?```\n\n```\n([\s\S]*?)```/.exec(quickstart)?.[1];
    assert.is(r.stdout, shown, 'README output block = stdout');
    const [head, ...rest] = r.stdout.trim().split('\n');
    assert.is(head, 'dense: shape (2, 1)');
    const values = numbers(rest.join('\n'));
    const expected = exampleExpected();
    assert.is(values.length, expected.length);
    values.forEach((v, i) => assert.ok(close(v, expected[i]), `${v} vs PyTorch ${expected[i]}`));
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
});

test("the README's failure example and docs/cli.md's inspect output are what the commands print", () => {
  // README: `$ kerasrnn predict examples/sine_forecaster.h5 -i short.npy` and its two stderr lines.
  const block = /```\n\$ (kerasrnn predict examples\/sine_forecaster\.h5 -i short\.npy)\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'README has the failure example');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerasrnn-readme-'));
  try {
    fs.symlinkSync(path.join(ROOT, 'examples'), path.join(dir, 'examples'));
    // 30 steps for a model that takes 50, float32 (NumPy's .npy v1.0 layout written by hand).
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 30, 1), }";
    const pad = 64 - ((10 + header.length + 1) % 64);
    const text = `${header}${' '.repeat(pad % 64)}\n`;
    const head = Buffer.alloc(10);
    Buffer.from('\x93NUMPY', 'latin1').copy(head);
    head[6] = 1;
    head.writeUInt16LE(text.length, 8);
    fs.writeFileSync(path.join(dir, 'short.npy'), Buffer.concat([head, Buffer.from(text, 'latin1'), Buffer.alloc(30 * 4)]));
    const args = block[1].split(' ').slice(1);
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist/cli/main.js'), ...args], { cwd: dir, encoding: 'utf8' });
    assert.is(r.status, 1);
    assert.is(r.stderr, block[2]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const cli = fs.readFileSync(path.join(ROOT, 'docs/cli.md'), 'utf8');
  const inspectBlock = /## inspect[\s\S]*?```\n([\s\S]*?)```/.exec(cli)?.[1];
  const r = spawnSync(process.execPath, [path.join(ROOT, 'dist/cli/main.js'), 'inspect', 'examples/sine_forecaster.h5'], { cwd: ROOT, encoding: 'utf8' });
  // The Kernels line names the build this Node runs (the page shows Node 20's default, plain SIMD).
  assert.match(r.stdout, /^Kernels: (wasm SIMD|wasm relaxed SIMD \(fused multiply-add\))$/m);
  const build = (s) => s.replace(/^Kernels: .*$/m, 'Kernels: <build>');
  assert.is(build(r.stdout), build(inspectBlock));
  assert.match(inspectBlock, /^Kernels: wasm SIMD$/m);
});

test.run();
