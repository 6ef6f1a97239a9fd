// `npm install` in a clone: no warnings from the project's own files (an .npmrc key npm does not
// know, install-script notices, compiler warnings from the wasm build) and the lockfile unchanged.
// Offline and without touching this checkout: the project's files are copied to a temp folder and
// npm resolves the lockfile there (`--package-lock-only`: the dependency tree, not the downloads,
// which the pack test covers); the wasm build runs on its own into a temp file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const env = { ...process.env, npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };

test('npm install --package-lock-only in a copy of the project: no warnings, package-lock.json unchanged', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerasrnn-clone-'));
  try {
    // The project's own configuration files, as a clone has them.
    for (const f of ['package.json', 'package-lock.json', '.npmrc']) {
      if (fs.existsSync(path.join(ROOT, f))) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
    }
    const r = spawnSync('npm', ['install', '--package-lock-only', '--ignore-scripts'], { cwd: dir, env, encoding: 'utf8', timeout: 180000 });
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stderr, '', `npm printed on stderr:\n${r.stderr}`);
    assert.is(fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8'), fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'), 'npm install rewrote package-lock.json');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('dependency install scripts kerasrnn does not need are declined in package.json (npm lists none as pending)', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  // onnxruntime-node's would download CUDA libraries for the benchmark peer; the others print
  // banners or check versions. None is needed to build or test.
  for (const name of ['onnxruntime-node', 'esbuild', 'core-js', 'protobufjs']) assert.is(pkg.allowScripts?.[name], false, name);
  assert.ok(!fs.existsSync(path.join(ROOT, '.npmrc')), 'no .npmrc: its unknown keys make every npm command warn');
});

test('the wasm build prints no warnings', () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kerasrnn-asc-')), 'k.wasm');
  try {
    const asc = path.join(ROOT, 'node_modules/assemblyscript/bin/asc.js');
    const r = spawnSync(process.execPath, [asc, 'assembly/index.ts', '--config', 'asconfig.json', '--target', 'release', '--outFile', out, '--textFile', `${out}.wat`], { cwd: ROOT, encoding: 'utf8', timeout: 180000 });
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stderr, '', r.stderr);
    assert.ok(fs.statSync(out).size > 10000);
  } finally {
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
});

test.run();
