// `npm pack` gives a tarball that installs into an empty folder and works there: the ESM import,
// the types, the browser build, and `npx kerasrnn`. Offline: the dependencies come from the npm
// cache that `npm ci` filled (no registry access), and no lifecycle script runs (dist/ is built).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { ownWarnings } from '../support/npm-output.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const expected = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples/sine_expected.json'), 'utf8')).expected.flat();
const env = { ...process.env, npm_config_offline: 'true', npm_config_ignore_scripts: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
const state = {};

function sh(cmd, args, cwd, extraEnv = {}) {
  const r = spawnSync(cmd, args, { cwd, env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 180000 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

test.before(() => {
  state.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerasrnn-pack-'));
  const pack = sh('npm', ['pack', '--json', '--pack-destination', state.dir], ROOT);
  assert.is(pack.code, 0, pack.stderr);
  state.pack = JSON.parse(pack.stdout)[0];
  state.app = path.join(state.dir, 'app');
  fs.mkdirSync(state.app);
});

test.after(() => {
  if (state.dir) fs.rmSync(state.dir, { recursive: true, force: true });
});

test('the tarball holds the built files, types, browser build, CLI and docs; no sources or tests', () => {
  const files = state.pack.files.map((f) => f.path);
  for (const f of ['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/browser/kerasrnn.js', 'dist/browser/kerasrnn.min.js', 'dist/browser/kerasrnn-worker.js', 'dist/browser/kerasrnn-worker.min.js', 'dist/cli/main.js', 'dist/formats/npy.js', 'docs/cli.md', 'docs/browser.md', 'examples/sine_forecaster.h5', 'examples/sine_input.npy']) {
    assert.ok(files.includes(f), `${f} is packed`);
  }
  for (const f of files) assert.ok(/^(dist\/|docs\/|examples\/|package\.json$|README\.md$|LICENSE)/.test(f), `unexpected file in the package: ${f}`);
  assert.ok(fs.readFileSync(path.join(ROOT, 'dist/cli/main.js'), 'utf8').startsWith('#!/usr/bin/env node'));
});

test('installs into an empty folder (offline, from the npm cache)', () => {
  fs.writeFileSync(path.join(state.app, 'package.json'), JSON.stringify({ name: 'kerasrnn-pack-check', version: '1.0.0', private: true }));
  const install = (mode) => sh('npm', ['install', mode, '--no-audit', '--no-fund', path.join(state.dir, state.pack.filename)], state.app, { npm_config_offline: mode === '--offline' ? 'true' : 'false' });
  let r = install('--offline');
  if (r.code !== 0 && /ENOTCACHED/.test(r.stderr)) {
    // `npm ci` fills the cache with everything the lockfile names; a cache filled otherwise may
    // lack a dependency's metadata: then the registry is asked for what is missing, nothing more.
    console.log('note: a dependency was not in the npm cache; installing with --prefer-offline');
    r = install('--prefer-offline');
  }
  assert.is(r.code, 0, r.stderr);
  // Nothing of kerasrnn's makes npm warn (unknown .npmrc keys, install scripts, deprecations).
  assert.not.match(ownWarnings(r.stderr), /warn|WARN|deprecated/, `npm install printed warnings:\n${r.stderr}`);
  const installed = JSON.parse(fs.readFileSync(path.join(state.app, 'node_modules/kerasrnn/package.json'), 'utf8'));
  for (const target of [installed.types, installed.exports['.'].types, installed.exports['.'].default, installed.exports['.'].browser, installed.bin.kerasrnn]) {
    assert.ok(fs.existsSync(path.join(state.app, 'node_modules/kerasrnn', target)), `${target} exists`);
  }
  fs.copyFileSync(path.join(ROOT, 'examples/sine_forecaster.h5'), path.join(state.app, 'model.h5'));
  fs.copyFileSync(path.join(ROOT, 'examples/sine_input.npy'), path.join(state.app, 'x.npy'));
});

test("import { loadModel } from 'kerasrnn' (and 'kerasrnn/browser') works in the installed package", () => {
  const script = `
    import { loadModel, parseNpy } from 'kerasrnn';
    import * as browser from 'kerasrnn/browser';
    import { readFileSync } from 'node:fs';
    const x = parseNpy(readFileSync('x.npy'));
    const model = await loadModel('model.h5');
    const y = model.predict(x);
    const b = await browser.loadModel(new Uint8Array(readFileSync('model.h5')));
    const min = await import('./node_modules/kerasrnn/dist/browser/kerasrnn.min.js');
    const m = await min.loadModel(new Uint8Array(readFileSync('model.h5')));
    console.log(JSON.stringify({ node: Array.from(y.data), browser: Array.from(b.predict(x).data), min: Array.from(m.predict(x).data), params: model.numParams }));
  `;
  fs.writeFileSync(path.join(state.app, 'check.mjs'), script);
  const r = sh(process.execPath, ['check.mjs'], state.app);
  assert.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.is(out.params, 4385);
  out.node.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= 1e-5 + 1e-4 * Math.abs(expected[i]), `${v} vs ${expected[i]}`));
  assert.equal(out.browser, out.node, 'the browser build computes the same numbers');
  assert.equal(out.min, out.node, 'and so does the minified one');
});

test('--help examples run in the installed package (the example files ship with it)', () => {
  const h = sh('npx', ['kerasrnn', '--help'], state.app);
  const line = h.stdout.split('\n').find((l) => /^ {2}kerasrnn predict \S+ --input \S+$/.test(l));
  assert.ok(line, h.stdout);
  assert.match(line, /node_modules\/kerasrnn\/examples\/sine_forecaster\.h5/);
  const r = sh('npx', line.trim().split(/\s+/), state.app);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^dense: shape \(2, 1\)/);
});

test('npx kerasrnn inspect / predict in that folder', () => {
  const i = sh('npx', ['kerasrnn', 'inspect', 'model.h5'], state.app);
  assert.is(i.code, 0, i.stderr);
  assert.is(i.stderr, '', 'npx prints no warnings');
  assert.match(i.stdout, /lstm \(LSTM\) +\(None, 32\) +4,352/);
  assert.match(i.stdout, /Total params: 4,385/);
  assert.match(i.stdout, /Keras version: 2\.4\.0 \(stated in the file\)\nBackend: +tensorflow \(stated in the file\)/);
  const p = sh('npx', ['kerasrnn', 'predict', 'model.h5', '--input', 'x.npy', '--json'], state.app);
  assert.is(p.code, 0, p.stderr);
  JSON.parse(p.stdout).flat().forEach((v, k) => assert.ok(Math.abs(v - expected[k]) <= 1e-5 + 1e-4 * Math.abs(expected[k])));
  const v = sh('npx', ['kerasrnn', '--version'], state.app);
  assert.is(v.stdout.trim(), JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
});

test('types resolve for TypeScript users of the installed package', () => {
  const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
  fs.writeFileSync(
    path.join(state.app, 'use.ts'),
    `import { loadModel, type TensorData, InputError } from 'kerasrnn';\nexport async function f(): Promise<number> {\n  const m = await loadModel('model.h5');\n  const x = { data: new Float32Array(50), shape: [1, 50, 1] };\n  const y = m.predictOne(x);\n  const named: Record<string, TensorData> = m.predictNamed(x);\n  const [h]: TensorData[] = m.predict(x, { outputs: ['lstm'] });\n  void InputError;\n  return y.data.length + m.numParams + named.dense.data.length + h.shape[1];\n}\n`,
  );
  const r = sh(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', 'use.ts'], state.app);
  assert.is(r.code, 0, `${r.stdout}${r.stderr}`);
});

test.run();
