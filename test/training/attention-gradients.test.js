// Gradient checks of the training modules of Attention, AdditiveAttention, MultiHeadAttention and
// Dot (src/training/layers/attention.ts, multi-head-attention.ts, dot.ts) through whole models
// written by scripts/fixtures/make_training_fixtures.py (attention): loss = sum(r * output) for a
// fixed random r; kerasrnn's gradients (input and every weight, in the stored arrays' layout) are
// compared with central finite differences of a float64 forward pass written here from Keras'
// equations (it reads only the layers' options, their inbound tensors and the weights by name).
// Then 20 training steps of an Attention and a MultiHeadAttention model against PyTorch float64
// autograd (attention_training_steps.json, same script).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { loadModel, UnsupportedKerasConfigurationError } from '../../dist/index.js';
import { instantiateKernels } from '../../dist/wasm/wasm-module.js';
import { WasmMemory } from '../../dist/wasm/memory.js';
import { chainGradients } from '../../dist/training/gradients.js';
import { affine64, check, checkWeightGradients, finiteDifferences, rng } from '../support/gradient-check.js';
import { checkTrainingSteps } from '../support/training-steps.js';

const DIR = 'test/fixtures/training/';
const byName = (ws, suffix) => ws.find((w) => w.name.replace(/:0$/, '').endsWith(suffix))?.data;

function softmaxRows(s, cols) {
  for (let r = 0; r < s.length / cols; r++) {
    const row = s.subarray(r * cols, (r + 1) * cols);
    const mx = Math.max(...row);
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += row[j] = Math.exp(row[j] - mx);
    for (let j = 0; j < cols; j++) row[j] /= sum;
  }
  return s;
}

/** The trainer's documented dropout generator: xorshift32 from seed 1, keep if u >= rate, scale 1/(1 - rate) in float32. */
function dropoutStream() {
  let s = 1;
  return (n, rate) => {
    const keep = Math.fround(1 / Math.fround(1 - Math.fround(rate)));
    return Float64Array.from({ length: n }, () => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return Math.fround((s >>> 8) / 16777216) >= Math.fround(rate) ? keep : 0;
    });
  };
}

/**
 * Keras' attention over heads: scores [B][H][Tq][Tv] (computed by `score(b, h, i, j)`), Keras'
 * -1e9 bias (float32) where `masked(b, i, j)`, softmax, dropout of the weights, weights · V where
 * V(b, j, h, e) reads the values. Returns context [B][Tq][H][dv].
 */
function attend64({ B, H, Tq, Tv, dv }, score, V, masked, rate, drop) {
  const w = new Float64Array(B * H * Tq * Tv);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < Tq; i++)
        for (let j = 0; j < Tv; j++) {
          const s = score(b, h, i, j);
          w[((b * H + h) * Tq + i) * Tv + j] = masked(b, i, j) ? Math.fround(s) - 1e9 : s;
        }
  softmaxRows(w, Tv);
  if (rate > 0) {
    const m = drop(w.length, rate);
    w.forEach((v, i) => (w[i] = v * m[i]));
  }
  const out = new Float64Array(B * Tq * H * dv);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < Tq; i++)
        for (let e = 0; e < dv; e++) {
          let s = 0;
          for (let j = 0; j < Tv; j++) s += w[((b * H + h) * Tq + i) * Tv + j] * V(b, j, h, e);
          out[((b * Tq + i) * H + h) * dv + e] = s;
        }
  return out;
}

/** Rows of a rank-2/3 operand along its contraction axis: [B][P][K] (a 2D operand is P = 1). */
function rows64(v, shape, axis) {
  if (shape.length === 2) return { r: v, P: 1, K: shape[1] };
  const [B, A1, A2] = shape;
  if (axis === 2) return { r: v, P: A1, K: A2 };
  const r = new Float64Array(v.length);
  for (let b = 0; b < B; b++) for (let k = 0; k < A1; k++) for (let p = 0; p < A2; p++) r[(b * A2 + p) * A1 + k] = v[(b * A1 + k) * A2 + p];
  return { r, P: A2, K: A1 };
}

/** The model in float64 (the layers these fixtures use); returns the output of `outputLayer`. */
function forward64(layers, weights, x, xShape, outputLayer, epsFor) {
  const values = new Map();
  const drop = dropoutStream();
  for (const l of layers) {
    const det = l.details;
    const ws = weights.get(l.name) ?? [];
    if (l.className === 'InputLayer') {
      values.set(l.name, { y: x, shape: xShape.slice(), mask: null });
      continue;
    }
    const ins = l.inbound[0].map((ref) => values.get(ref.replace(/\[.*$/, '')));
    let y, shape;
    const [first] = ins;
    // Keras' mask rules of these layers: Dense passes it, the attention layers give the query's, the rest none
    let mask = null;
    if (l.className === 'Embedding') {
      const dim = det.outputDim;
      y = new Float64Array(first.y.length * dim);
      first.y.forEach((id, i) => y.set(ws[0].data.subarray(id * dim, (id + 1) * dim), i * dim));
      mask = det.maskZero ? Uint8Array.from(first.y, (id) => (id !== 0 ? 1 : 0)) : null;
      shape = [...first.shape, dim];
    } else if (l.className === 'Dense') {
      mask = first.mask;
      const K = first.shape[first.shape.length - 1];
      y = affine64(first.y, first.y.length / K, K, ws[0].data, ws[1]?.data, det.units);
      if (det.activation === 'tanh') y = y.map(Math.tanh);
      shape = [...first.shape.slice(0, -1), det.units];
    } else if (l.className === 'GlobalAveragePooling1D') {
      // the average over the kept steps (Keras >= 2.1)
      const [B, T, C] = first.shape;
      const kept = (b, t) => !first.mask || first.mask[b * T + t];
      y = new Float64Array(B * C);
      for (let b = 0; b < B; b++) {
        let count = 0;
        for (let t = 0; t < T; t++) if (kept(b, t)) count++;
        for (let t = 0; t < T; t++) if (kept(b, t)) for (let c = 0; c < C; c++) y[b * C + c] += first.y[(b * T + t) * C + c] / count;
      }
      shape = [B, C];
    } else if (l.className === 'Add') {
      y = first.y.map((v, i) => v + ins[1].y[i]);
      shape = first.shape;
    } else if (l.className === 'Concatenate') {
      const widths = ins.map((v) => v.shape[v.shape.length - 1]);
      const total = widths.reduce((a, b) => a + b, 0);
      const rows = first.y.length / widths[0];
      y = new Float64Array(rows * total);
      for (let r = 0; r < rows; r++) {
        let off = 0;
        ins.forEach((v, i) => {
          y.set(v.y.subarray(r * widths[i], (r + 1) * widths[i]), r * total + off);
          off += widths[i];
        });
      }
      shape = [...first.shape.slice(0, -1), total];
    } else if (l.className === 'Dot') {
      // Keras batch_dot of (optionally l2-normalised) operands
      const axes = (typeof det.axes === 'number' ? [det.axes, det.axes] : det.axes).map((a, i) => (a < 0 ? a + ins[i].shape.length : a));
      const [X, Y] = ins.map((v, i) => {
        const o = rows64(v.y, v.shape, axes[i]);
        if (det.normalize) {
          const eps = epsFor();
          const r = Float64Array.from(o.r);
          for (let p = 0; p < r.length / o.K; p++) {
            const row = r.subarray(p * o.K, (p + 1) * o.K);
            const inv = 1 / Math.sqrt(Math.max(row.reduce((a, z) => a + z * z, 0), eps));
            row.forEach((z, k) => (row[k] = z * inv));
          }
          o.r = r;
        }
        return o;
      });
      const B = first.shape[0];
      y = new Float64Array(B * X.P * Y.P);
      for (let b = 0; b < B; b++)
        for (let p = 0; p < X.P; p++)
          for (let q = 0; q < Y.P; q++) {
            let s = 0;
            for (let k = 0; k < X.K; k++) s += X.r[(b * X.P + p) * X.K + k] * Y.r[(b * Y.P + q) * Y.K + k];
            y[(b * X.P + p) * Y.P + q] = s;
          }
      const rest = [...ins[0].shape.slice(1).filter((_, i) => i + 1 !== axes[0]), ...ins[1].shape.slice(1).filter((_, i) => i + 1 !== axes[1])];
      shape = [B, ...(rest.length ? rest : [1])];
    } else if (l.className === 'Attention' || l.className === 'AdditiveAttention') {
      const [q, v, k = v] = ins;
      const [B, Tq, D] = q.shape;
      const [, Tv, dv] = v.shape;
      const scale = det.useScale ? byName(ws, 'scale') : null;
      const cw = byName(ws, 'concat_score_weight');
      const score = (b, _h, i, j) => {
        const qi = (d) => q.y[(b * Tq + i) * D + d];
        const kj = (d) => k.y[(b * Tv + j) * D + d];
        let s = 0;
        if (l.className === 'AdditiveAttention') for (let d = 0; d < D; d++) s += (scale ? scale[d] : 1) * Math.tanh(qi(d) + kj(d));
        else if (det.scoreMode === 'concat') {
          for (let d = 0; d < D; d++) s += Math.tanh((scale ? scale[0] : 1) * (qi(d) + kj(d)));
          s *= cw[0];
        } else {
          for (let d = 0; d < D; d++) s += qi(d) * kj(d);
          if (scale) s *= scale[0];
        }
        return s;
      };
      // the value's mask on the scores; the query's zeroes the output rows and is the output's mask
      const masked = (b, i, j) => (det.causal && j > i) || (v.mask && !v.mask[b * Tv + j]);
      y = attend64({ B, H: 1, Tq, Tv, dv }, score, (b, j, _h, e) => v.y[(b * Tv + j) * dv + e], masked, det.dropout ?? 0, drop);
      if (q.mask) y = y.map((z, i) => (q.mask[Math.floor(i / dv)] ? z : 0));
      mask = q.mask;
      shape = [B, Tq, dv];
    } else if (l.className === 'MultiHeadAttention') {
      const [q, v, k = v] = ins;
      const { numHeads: H, keyDim: kd, valueDim: vd, outputDim: od } = det;
      const proj = (t, name, dim) => {
        const K = t.shape[2];
        return affine64(t.y, t.y.length / K, K, byName(ws, `${name}/kernel`), byName(ws, `${name}/bias`) ?? null, H * dim);
      };
      const [B, Tq] = q.shape;
      const Tv = v.shape[1];
      const s = Math.fround(1 / Math.sqrt(kd));
      const Q = proj(q, 'query', kd).map((z) => z * s);
      const Kp = proj(k, 'key', kd);
      const V = proj(v, 'value', vd);
      const score = (b, h, i, j) => {
        let z = 0;
        for (let e = 0; e < kd; e++) z += Q[((b * Tq + i) * H + h) * kd + e] * Kp[((b * Tv + j) * H + h) * kd + e];
        return z;
      };
      // Keras' attention_mask: query AND value AND key masks AND (use_causal_mask) lower-triangular
      const off = (m, b, t, T) => m && !m[b * T + t];
      const masked = (b, i, j) => (det.causal && j > i) || off(q.mask, b, i, Tq) || off(v.mask, b, j, Tv) || off(k.mask, b, j, Tv);
      const ctx = attend64({ B, H, Tq, Tv, dv: vd }, score, (b, j, h, e) => V[((b * Tv + j) * H + h) * vd + e], masked, det.dropout ?? 0, drop);
      mask = q.mask;
      y = affine64(ctx, B * Tq, H * vd, byName(ws, 'attention_output/kernel'), byName(ws, 'attention_output/bias') ?? null, od);
      shape = [B, Tq, od];
    } else throw new Error(`no float64 reference for ${l.className}`);
    values.set(l.name, { y, shape, mask });
  }
  return values.get(outputLayer);
}

let memory;
async function mem() {
  memory ??= new WasmMemory(await instantiateKernels());
  return memory;
}

const dot = (a, r) => a.reduce((s, v, i) => s + v * r[i], 0);

/** `ids`: token ids [B][T] for a model whose input is an Embedding (no input gradient then). */
async function checkModel(file, { B = 2, seed = 11, ids = null } = {}) {
  const model = await loadModel(DIR + file);
  const layers = model.layers;
  const r = rng(seed);
  const inShape = model.inputs[0].shape;
  const xShape = ids ? [ids.length, ids[0].length] : [B, ...inShape.slice(1)];
  const n = xShape.reduce((a, b) => a * b, 1);
  const x = ids ? Float64Array.from(ids.flat()) : Float64Array.from(Float32Array.from({ length: n }, () => 2 * r()));
  const weights = new Map(model.getWeights().map((l) => [l.layer, l.weights.map((w) => ({ name: w.name, data: Float64Array.from(w.data) }))]));
  const out = model.outputs[0].layer;
  // tf.keras' l2_normalize epsilon (these fixtures are tf.keras files)
  const eps = () => 1e-12;
  const ref = forward64(layers, weights, x, xShape, out, eps);
  const rw = Float64Array.from(Float32Array.from({ length: ref.y.length }, () => 2 * r()));
  const loss = () => dot(forward64(layers, weights, x, xShape, out, eps).y, rw);
  const arrays = new Map([...weights].map(([k, ws]) => [k, ws.map((w) => Float32Array.from(w.data))]));
  const g = chainGradients(await mem(), model.graphForSaving, model.generation, arrays, Float32Array.from(x), xShape, Float32Array.from(rw));
  let worst = check(`${file} output`, g.y, ref.y);
  assert.equal(g.yShape.slice(1), ref.shape.slice(1), `${file} output shape`);
  if (!ids) worst = Math.max(worst, check(`${file} dx`, g.dx, finiteDifferences(x, loss)));
  worst = Math.max(worst, checkWeightGradients(file, weights, g.grads, loss));
  return worst;
}

// token ids (vocabulary 6, 0 = padding) with post-padding and one sample unpadded
const MASKED_IDS = [
  [3, 1, 5, 0],
  [2, 4, 0, 0],
  [1, 2, 3, 4],
];

const CASES = [
  ['Attention(dot, use_scale) on [query, value, key], use_causal_mask', 'grad_attention_dot_scale_causal.h5'],
  ['self-attention Attention()([h, h]): query, value and key one tensor', 'grad_attention_self.h5'],
  ['Attention(concat, use_scale), causal=True in the config (tf.keras 2.4)', 'grad_attention_concat_causal.h5'],
  ['Attention(concat) without scale', 'grad_attention_concat.h5'],
  ['AdditiveAttention(use_scale) [query, value] + AdditiveAttention() [query, value, key]', 'grad_additive_attention.h5'],
  ['Attention dropout 0.3 (seeded masks on the weights)', 'grad_attention_dropout.h5'],
  ['MultiHeadAttention self-attention mha(h, h), use_bias, use_causal_mask', 'grad_mha_self_causal.h5'],
  ['MultiHeadAttention(query, value, key), no bias, value_dim 4, output_shape 3', 'grad_mha_cross.h5'],
  ['MultiHeadAttention dropout 0.25', 'grad_mha_dropout.h5'],
  ['Dot axes 2, [2, 1], [1, 1] normalize over 3D operands', 'grad_dot_3d.h5'],
  ['Dot of a 2D and a 3D operand, and of two 2D operands normalised', 'grad_dot_2d.h5'],
  // Keras masks from Embedding(mask_zero), then a mask-aware GlobalAveragePooling1D
  ['Embedding(mask_zero) -> self-attention Attention(use_scale): query and value masks', 'grad_attention_masked.h5', { ids: MASKED_IDS }],
  ['Embedding(mask_zero) -> AdditiveAttention(use_scale)([Dense, Embedding]): query and value masks', 'grad_additive_attention_masked.h5', { ids: MASKED_IDS }],
  ['Embedding(mask_zero) -> MultiHeadAttention(e, e): query AND value masks', 'grad_mha_masked.h5', { ids: MASKED_IDS }],
  ['Embedding(mask_zero) -> Dot(axes 2): the mask ignored, none passed on', 'grad_dot_masked.h5', { ids: MASKED_IDS }],
];

for (const [label, file, opts] of CASES) {
  test(`${label}: gradients match float64 finite differences (${file})`, async () => {
    const worst = await checkModel(file, opts);
    console.log(`  ${label}: worst error ${(worst * 100).toFixed(1)}% of the tolerance`);
  });
}

const steps = JSON.parse(readFileSync(DIR + 'attention_training_steps.json', 'utf8'));

test('20 training steps of Attention(use_scale, causal) and MultiHeadAttention(self, causal; SGD with biases, RMSprop / Adam without) models match PyTorch autograd', async () => {
  const worst = await checkTrainingSteps(steps.cases, DIR);
  console.log(`  attention training steps: worst weight error ${(worst * 100).toFixed(1)}% of the tolerance after 20 steps`);
});

test('trained Attention and MultiHeadAttention models predict with the new weights and save as .keras and .h5 with the same predictions', async () => {
  for (const file of ['train_attention.h5', 'train_mha.h5']) {
    const c = steps.cases.find((k) => k.model === file);
    const model = await loadModel(DIR + file);
    model.compile({ optimizer: { class_name: 'Adam', config: { learning_rate: 0.02 } }, loss: 'mse' });
    const x = { data: Float32Array.from(c.x), shape: c.x_shape };
    const y = { data: Float32Array.from(c.y), shape: c.y_shape };
    const before = model.predict(x).data.slice();
    const { history } = await model.fit(x, y, { epochs: 5, batchSize: 2 });
    assert.ok(history.loss[4] < history.loss[0], `${file}: loss goes down: ${history.loss}`);
    const after = model.predict(x).data;
    assert.ok(after.some((v, i) => v !== before[i]), `${file}: predict sees the new weights`);
    for (const format of ['keras', 'h5']) {
      const again = await loadModel(await model.save({ format }));
      assert.equal(Array.from(again.predict(x).data), Array.from(after), `${file} saved as ${format}`);
    }
  }
});

test('the attention-scores output of Attention feeding a layer is refused for training by name', async () => {
  const model = await loadModel(DIR + 'grad_attention_scores_used.h5');
  assert.throws(
    () => model.compile({ optimizer: 'sgd', loss: 'mse' }),
    (e) => e instanceof UnsupportedKerasConfigurationError && /inputs other than the outputs of trained layers/.test(e.message) && /attention\[0\]\[1\]/.test(e.message),
  );
});

test.run();
