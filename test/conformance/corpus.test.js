// Conformance against real Keras files in ../shared/corpus: every manifest case, every check.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { loadModel, KerasRnnError, UnsupportedKerasConfigurationError, InvalidKerasConfigurationError } from '../../dist/index.js';
import { readHdf5 } from '../../dist/formats/h5.js';
import { corpusManifest, corpusPath } from '../support/corpus.js';
import { compareArrays, assertClose } from '../support/tolerance.js';
import { readNpy } from '../support/npy.js';

const manifest = corpusManifest();
const worst = { ratio: 0, err: 0, where: '' };

function track(r, where) {
  if (r.worstRatio > worst.ratio) Object.assign(worst, { ratio: r.worstRatio, err: r.worst, where });
}

function ioDataset(io, path) {
  const root = readHdf5(readFileSync(corpusPath(io)), io);
  const ds = root.dataset(path);
  return { data: ds.readFloat32(), shape: ds.shape };
}

// The kernel build under test: loadModel's default ('auto') unless relaxed-build.test.js runs this
// file again for the other build (KERASRNN_TEST_KERNELS=simd or relaxed-simd).
const options = { kernels: process.env.KERASRNN_TEST_KERNELS || 'auto' };
const builds = new Set();

async function load(c) {
  let model;
  if (c.savedmodel) model = await loadModel(corpusPath(c.savedmodel), options);
  else if (c.model) model = await loadModel(corpusPath(c.model), options);
  else model = await loadModel({ config: corpusPath(c.config), ...(c.weights ? { weights: corpusPath(c.weights) } : {}) }, options);
  if (model.info.kernels) builds.add(model.info.kernels);
  return model;
}

/** A deterministic input for a model input shape; unknown steps become 7, token inputs small ids. */
function syntheticInput(shape, batch = 2, integersBelow = null) {
  const dims = shape.map((d, i) => (i === 0 ? batch : d ?? 7));
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = integersBelow ? 1 + (s % (integersBelow - 1)) : ((s / 2 ** 32) * 2 - 1);
  }
  return { data, shape: dims };
}

function checkParams(model, c) {
  for (const [name, n] of Object.entries(c.params ?? {})) {
    const layer = model.layers.find((l) => l.name === name);
    assert.ok(layer, `${c.id}: layer ${name} not found (have ${model.layers.map((l) => l.name).join(', ')})`);
    assert.is(layer.numParams, n, `${c.id}: parameter count of ${name}`);
  }
}

function embeddingVocab(model) {
  const e = model.layers.find((l) => l.className === 'Embedding');
  return e ? e.details.inputDim : null;
}

if (!manifest) {
  console.log('skipped: ../shared/corpus absent (conformance tests need the shared Keras corpus)');
} else {
  for (const c of manifest.cases) {
    test(`corpus ${c.id}`, async () => {
      for (const check of c.checks) {
        if (check.kind === 'refuse') {
          let error;
          try {
            await load(c);
          } catch (e) {
            error = e;
          }
          assert.ok(error instanceof KerasRnnError, `${c.id}: expected a typed error, got ${error}`);
          if (/Lambda/.test(check.why)) {
            assert.instance(error, UnsupportedKerasConfigurationError);
            assert.match(error.message, /Lambda/);
            assert.ok(error.context.layer, 'the error names the layer');
          } else {
            assert.instance(error, InvalidKerasConfigurationError);
            assert.ok(error.context.layer, 'the error names the layer');
          }
          continue;
        }
        const model = await load(c);
        checkParams(model, c);
        for (const l of model.layers) assert.ok(l.outputShape.length >= 2, `${c.id}: ${l.name} has an output shape`);
        if (check.kind === 'config_only') {
          assert.is(model.hasWeights, false);
          assert.ok(model.numParams > 0, `${c.id}: parameter count derived`);
          assert.ok(model.summary().includes('Total params'));
          continue;
        }
        if (check.kind === 'loads_only') {
          const vocab = embeddingVocab(model);
          const declared = c.inputs?.[0]?.shape?.map((d) => (d === 'batch' ? null : d));
          const x = syntheticInput(declared ?? model.inputs[0].shape, 3, vocab ?? c.inputs?.[0]?.integers_below ?? null);
          const y = model.predict(x);
          const outs = Array.isArray(y) ? y : [y];
          outs.forEach((o, i) => {
            assert.ok(o.data.every(Number.isFinite), `${c.id}: output ${i} finite`);
            assert.is(o.shape[0], 3);
            model.outputs[i].shape.slice(1).forEach((d, j) => d !== null && assert.is(o.shape[j + 1], d));
          });
          if (model.layers.some((l) => l.className === 'Masking')) {
            // Padding with the mask value must not change anything (Keras skips masked steps):
            // the same 6 real steps, padded after (post) and before (pre) to the model's length.
            const maskValue = model.layers.find((l) => l.className === 'Masking').details.maskValue;
            const [, T, F] = x.shape;
            const real = T - 4;
            const pad = (before) => {
              const data = new Float32Array(3 * T * F).fill(maskValue);
              for (let b = 0; b < 3; b++) data.set(x.data.subarray(b * T * F, b * T * F + real * F), b * T * F + (before ? 4 * F : 0));
              return { data, shape: [3, T, F] };
            };
            const post = model.predict(pad(false));
            const pre = model.predict(pad(true));
            const lastStep = (t) => {
              if (t.shape.length !== 3) return t.data;
              const [B, S, U] = t.shape;
              const out = new Float32Array(B * U);
              for (let b = 0; b < B; b++) out.set(t.data.subarray(b * S * U + (S - 1) * U, b * S * U + S * U), b * U);
              return out;
            };
            assert.ok(lastStep(post).some((v) => v !== 0), 'outputs are not trivially zero');
            assertClose(lastStep(post), lastStep(pre), `${c.id}: pre- vs post-padding with the mask value`);
          }
          continue;
        }
        if (check.kind === 'model_output' && check.inputs_csv) {
          const expected = readNpy(corpusPath(check.expected)).data;
          const features = 12;
          for (let i = 0; i < check.count; i++) {
            const rows = readFileSync(corpusPath(check.inputs_csv.replace('{i}', String(i))), 'utf8').trim().split('\n');
            const data = new Float32Array(rows.length * features);
            rows.forEach((r, t) => r.split(';').slice(0, features).forEach((v, f) => (data[t * features + f] = Number(v))));
            const y = model.predict({ data, shape: [1, rows.length, features] });
            const r = compareArrays(y.data.subarray(y.data.length - 1), expected.subarray(i, i + 1));
            track(r, `${c.id} sequence ${i}`);
            assert.ok(r.ok, `${c.id}: sequence ${i}: ours ${y.data[y.data.length - 1]} vs keras ${expected[i]}`);
          }
          continue;
        }
        if (check.kind === 'reference_output') {
          // reference.json: inputs and the outputs of an independent float64 NumPy forward pass.
          const ref = JSON.parse(readFileSync(corpusPath(c.reference), 'utf8'));
          const xs = ref.inputs.map((t) => ({ data: Float32Array.from(t.data.flat(Infinity)), shape: t.shape }));
          const y = model.predict(xs.length === 1 ? xs[0] : xs);
          const ys = Array.isArray(y) ? y : [y];
          assert.is(ys.length, ref.outputs.length, `${c.id}: number of outputs`);
          ref.outputs.forEach((t, i) => {
            assert.equal(ys[i].shape, t.shape, `${c.id}: output ${i} shape`);
            const r = assertClose(ys[i].data, Float64Array.from(t.data.flat(Infinity)), `${c.id} reference_output ${i}`);
            track(r, `${c.id} reference_output ${i}`);
          });
          continue;
        }
        const x = ioDataset(c.io, check.input);
        const expected = ioDataset(c.io, check.expected);
        const y = check.kind === 'layer_output' ? model.predict(x, { outputs: [check.layer] })[0] : model.predict(x);
        assert.equal(y.shape.reduce((a, b) => a * b, 1), expected.data.length, `${c.id}: output size`);
        const r = assertClose(y.data, expected.data, `${c.id} ${check.kind} ${check.layer ?? ''}`);
        track(r, `${c.id} ${check.kind} ${check.layer ?? ''}`);
      }
    });
  }
  test.after(() => {
    console.log(`\nconformance (kernels: ${[...builds].join(', ')}): worst error ${worst.err.toExponential(3)} (${(worst.ratio * 100).toFixed(1)}% of the tolerance) at ${worst.where || 'n/a'}`);
  });
}

test.run();
