// The README's TypeScript-facing snippets compile under `tsc --strict` against the package's own
// types (the quick start's Node snippet, and the API block), resolved as users resolve them:
// `import ... from 'kerasrnn'` through package.json's exports. And the declarations stay small:
// no file of dist/ declares the wasm binary as a string literal type.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

test('README snippets compile with tsc --strict', () => {
  const quick = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
  const api = /## API\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(quick && api, 'README has the quick-start snippet and the API block');
  // The API block names `source` without defining it (any model source); declare it, nothing else.
  const files = {
    '.readme-quick.test-tmp.mts': quick,
    '.readme-api.test-tmp.mts': `declare const source: string;\n${api}\nexport {};\n`,
  };
  for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(ROOT, f), text);
  try {
    const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
    const r = spawnSync(
      process.execPath,
      [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', ...Object.keys(files)],
      { cwd: ROOT, encoding: 'utf8' },
    );
    assert.is(r.status, 0, `${r.stdout}${r.stderr}`);
  } finally {
    for (const f of Object.keys(files)) fs.rmSync(path.join(ROOT, f), { force: true });
  }
});

test('the .d.ts files do not carry the wasm binary', () => {
  const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  const dts = walk(path.join(ROOT, 'dist')).filter((f) => f.endsWith('.d.ts'));
  assert.ok(dts.length > 10);
  for (const f of dts) assert.ok(fs.statSync(f).size < 64 * 1024, `${path.relative(ROOT, f)} is ${fs.statSync(f).size} bytes`);
  assert.match(fs.readFileSync(path.join(ROOT, 'dist/wasm/wasm-binary.generated.d.ts'), 'utf8'), /WASM_BASE64: string;/);
});

test.run();
