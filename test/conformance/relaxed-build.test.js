// Both kernel builds pass the conformance suite. corpus.test.js runs the build this Node picks by
// default (plain SIMD on Node 20, relaxed SIMD where the runtime has it); this file runs it again
// in a child process for the other build, forced with loadModel's `kernels` option, and starts
// that child with --experimental-wasm-relaxed-simd when this Node needs the flag for relaxed SIMD.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { relaxedSimdSupported } from '../../dist/wasm/wasm-module.js';
import { corpusManifest } from '../support/corpus.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const other = relaxedSimdSupported() ? 'simd' : 'relaxed-simd';

if (!corpusManifest()) {
  console.log('skipped: ../shared/corpus absent (conformance tests need the shared Keras corpus)');
} else {
  test(`the corpus conformance suite passes on the ${other} build too`, () => {
    const flags = other === 'relaxed-simd' ? ['--experimental-wasm-relaxed-simd'] : [];
    const run = spawnSync(process.execPath, [...flags, path.join(ROOT, 'node_modules/uvu/bin.js'), 'test/conformance', 'corpus\\.test\\.js$'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, KERASRNN_TEST_KERNELS: other },
      maxBuffer: 1 << 26,
    });
    const out = `${run.stdout}\n${run.stderr}`;
    assert.is(run.status, 0, out.slice(-4000));
    const summary = /conformance \(kernels: ([^)]*)\): worst error .*/.exec(out);
    assert.ok(summary, `no conformance summary in the child's output:\n${out.slice(-2000)}`);
    // every model the child loaded ran the forced build
    assert.is(summary[1], other);
    assert.match(out, /Passed:\s+[1-9]/);
    console.log(summary[0]);
  });
}

test.run();
