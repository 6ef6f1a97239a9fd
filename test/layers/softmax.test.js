// Softmax(axis): one axis or a block of adjacent axes; masks as each Keras version applies them
// (ignored before tf.keras 2.4, -1e9 added to masked logits after, fully masked rows zeroed from
// Keras 3.10); fixtures vs NumPy / torch.softmax.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadModel, UnsupportedKerasConfigurationError } from '../../dist/index.js';
import { SoftmaxImporter } from '../../dist/layers/advanced-activations.js';
import { ConfigReader } from '../../dist/keras/config-reader.js';
import { softmaxLayerMask } from '../../dist/keras/semantics.js';
import { WasmMemory } from '../../dist/wasm/memory.js';
import { instantiateKernels } from '../../dist/wasm/wasm-module.js';
import { keras2Sequential, keras3Sequential, layerOf } from '../support/configs.js';
import { checkLayerFixture, layerFixtureCases } from '../support/layer-fixtures.js';

test('Softmax axis forms', async () => {
  const m = await loadModel({ config: keras2Sequential([['Softmax', { name: 's', axis: 1 }]], [null, 3]) });
  assert.equal(layerOf(m, 's').outputShape, [null, null, 3]);
  assert.equal(layerOf(m, 's').details.axis, [1]);
  const k3 = await loadModel({ config: keras3Sequential([['Softmax', { name: 's', trainable: true, dtype: 'float32', axis: [1, 2] }]], [2, 3]) });
  assert.equal(layerOf(k3, 's').details.axis, [1, 2]);
});

test('mask rule by Keras version', () => {
  const g = (major, version) => ({ major, version, inferred: false });
  assert.is(softmaxLayerMask(g(2, '2.2.4')), 'ignored');
  assert.is(softmaxLayerMask(g(2, '2.3.0-tf')), 'ignored');
  assert.is(softmaxLayerMask(g(2, '2.4.0')), 'additive');
  assert.is(softmaxLayerMask(g(2, '2.15.0')), 'additive');
  assert.is(softmaxLayerMask(g(3, '3.9.2')), 'additive');
  assert.is(softmaxLayerMask(g(3, '3.10.0')), 'additive-zeroed');
});

/** Runs a Softmax layer of this Keras version on a (batch, steps) input with a mask. */
async function maskedSoftmax(version, major, x, mask, shape) {
  const generation = { major, version, inferred: false };
  const ctx = { layer: 's', className: 'Softmax' };
  const imported = SoftmaxImporter.import({
    name: 's', className: 'Softmax', config: new ConfigReader({ axis: -1 }, generation, ctx), generation,
    inputShapes: [[null, shape[1]]], context: ctx, importInner() { throw new Error('unused'); },
  });
  const memory = new WasmMemory(await instantiateKernels());
  const kernel = imported.instantiate([], memory);
  memory.beginScratch();
  try {
    const xp = memory.scratch(x.length * 4);
    memory.f32(xp, x.length).set(x);
    const mp = memory.scratch(mask.length);
    memory.u8(mp, mask.length).set(mask);
    const r = kernel.run([{ ptr: xp, shape }], [{ ptr: mp, batch: shape[0], steps: shape[1] }], { memory });
    assert.ok(r.masks[0], 'the mask passes through');
    return Array.from(memory.f32(r.outputs[0].ptr, x.length));
  } finally {
    memory.endScratch();
  }
}

test('masked Softmax: masked logits get -1e9; a fully masked row is uniform (tf.keras) or zero (Keras 3.10+)', async () => {
  const x = new Float32Array([1, 2, 3, 4, 0.5, -1, 2, 0]);
  const mask = new Uint8Array([1, 0, 1, 0, 0, 0, 0, 0]);
  const e1 = Math.exp(1), e3 = Math.exp(3);
  const expectRow0 = [e1 / (e1 + e3), 0, e3 / (e1 + e3), 0];
  const close = (a, b) => a.every((v, i) => Math.abs(v - b[i]) <= 1e-6 + 1e-5 * Math.abs(b[i]));
  const tf = await maskedSoftmax('2.4.0', 2, x, mask, [2, 4]);
  assert.ok(close(tf.slice(0, 4), expectRow0), `row 0 ${tf.slice(0, 4)}`);
  // -1e9 + x rounds to -1e9 in float32 for these x: every logit equal, so 1/4 each
  assert.ok(close(tf.slice(4), [0.25, 0.25, 0.25, 0.25]), `row 1 ${tf.slice(4)}`);
  const k3 = await maskedSoftmax('3.10.0', 3, x, mask, [2, 4]);
  assert.ok(close(k3.slice(0, 4), expectRow0));
  assert.equal(k3.slice(4), [0, 0, 0, 0]);
  const old = await maskedSoftmax('2.2.4', 2, x, mask, [2, 4]);
  const s = [1, 2, 3, 4].map(Math.exp);
  assert.ok(close(old.slice(0, 4), s.map((v) => v / s.reduce((a, b) => a + b))), 'Keras 2.2 ignores the mask');
});

test('a (batch, steps) mask on a 3D Softmax input is refused at run time (Keras cannot broadcast it either)', async () => {
  const generation = { major: 2, version: '2.4.0', inferred: false };
  const ctx = { layer: 's', className: 'Softmax' };
  const imported = SoftmaxImporter.import({
    name: 's', className: 'Softmax', config: new ConfigReader({ axis: -1 }, generation, ctx), generation,
    inputShapes: [[null, 2, 3]], context: ctx, importInner() { throw new Error('unused'); },
  });
  const memory = new WasmMemory(await instantiateKernels());
  const kernel = imported.instantiate([], memory);
  memory.beginScratch();
  try {
    const xp = memory.scratch(24);
    const mp = memory.scratch(2);
    assert.throws(() => kernel.run([{ ptr: xp, shape: [1, 2, 3] }], [{ ptr: mp, batch: 1, steps: 2 }], { memory }), (e) => e instanceof UnsupportedKerasConfigurationError && /mask/.test(e.message));
  } finally {
    memory.endScratch();
  }
});

for (const c of layerFixtureCases('Softmax')) {
  test(`fixture ${c.id} (Keras ${c.keras_version}): ${c.what}`, async () => {
    await checkLayerFixture(c);
  });
}

test.run();
