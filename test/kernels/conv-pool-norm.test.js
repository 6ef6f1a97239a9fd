// Kernels of the layers around the recurrent ones (assembly/conv1d.ts, pooling.ts,
// normalization.ts, activation-layers.ts, time-shape.ts) against naive float64 loops, on sizes the
// small model fixtures do not reach: long sequences (several im2col blocks), many filters (several
// GEMM panels), output rows written exactly (sentinels around them).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CONV1D_PARAMS, DEPTHWISE_CONV1D_PARAMS, POOL1D_PARAMS } from '../../dist/wasm/kernel-exports.js';
import { loadKernels, rng, assertClose } from './harness.js';
import { packPanels } from './reference.js';

const K = loadKernels();
const SENTINEL = -555.5;

function convRef(x, B, T, C, W, k, F, groups, bias, stride, dil, padLeft, Tout) {
  const cg = C / groups;
  const Fg = F / groups;
  const out = new Float64Array(B * Tout * F);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < Tout; t++) {
      for (let f = 0; f < F; f++) {
        const g = Math.floor(f / Fg);
        let s = bias ? bias[f] : 0;
        for (let j = 0; j < k; j++) {
          const src = t * stride - padLeft + j * dil;
          if (src < 0 || src >= T) continue;
          for (let c = 0; c < cg; c++) s += x[(b * T + src) * C + g * cg + c] * W[(j * cg + c) * F + f];
        }
        out[(b * Tout + t) * F + f] = s;
      }
    }
  }
  return out;
}

function runConv({ B, T, C, F, k, stride = 1, dil = 1, padLeft = 0, Tout, groups = 1, withBias = true, seed = 1 }) {
  K.reset();
  const r = rng(seed);
  const cg = C / groups;
  const Fg = F / groups;
  const x = r.array(B * T * C);
  const W = r.array(k * cg * F);
  const bias = withBias ? r.array(F) : null;
  const Kd = k * cg;
  const groupFloats = Math.ceil(Fg / 16) * 16 * Kd;
  const packed = new Float32Array(groups * groupFloats);
  for (let g = 0; g < groups; g++) packed.set(packPanels(Kd, Fg, 16, (kk, n) => W[kk * F + g * Fg + n]), g * groupFloats);
  let pBias = 0;
  if (bias) {
    const pad = Math.ceil(Fg / 16) * 16;
    const b = new Float32Array(groups * pad);
    for (let g = 0; g < groups; g++) b.set(bias.subarray(g * Fg, (g + 1) * Fg), g * pad);
    pBias = K.putF32(b);
  }
  const px = K.putF32(x);
  const pW = K.putF32(packed);
  const scratch = K.alloc(K.k.conv1dScratchFloats(T, C, Tout, k, stride, dil, padLeft, groups) * 4 + 16);
  const n = B * Tout * F;
  const pOut = K.putF32(new Float32Array(n + 8).fill(SENTINEL));
  K.k.conv1d(K.params(CONV1D_PARAMS, {
    x: px, batch: B, steps: T, channels: C, out: pOut + 16, outSteps: Tout, size: k, stride, dilation: dil, padLeft,
    kernel: pW, bias: pBias, filters: F, groups, scratch,
  }));
  const all = K.getF32(pOut, n + 8);
  assert.equal(Array.from(all.subarray(0, 4)), [SENTINEL, SENTINEL, SENTINEL, SENTINEL], 'nothing written before the output');
  assert.equal(Array.from(all.subarray(n + 4)), [SENTINEL, SENTINEL, SENTINEL, SENTINEL], 'nothing written after the output');
  assertClose(all.subarray(4, n + 4), convRef(x, B, T, C, W, k, F, groups, bias, stride, dil, padLeft, Tout), { label: 'conv1d' });
}

test('conv1d direct path: input read in place (valid, strides)', () => {
  runConv({ B: 2, T: 40, C: 5, F: 20, k: 3, Tout: 38 });
  runConv({ B: 3, T: 41, C: 3, F: 7, k: 4, stride: 3, Tout: 13, seed: 2 });
});

test('conv1d direct path with a padded copy (same / causal), long sequence', () => {
  runConv({ B: 2, T: 300, C: 4, F: 33, k: 5, padLeft: 2, Tout: 300 });
  runConv({ B: 1, T: 50, C: 2, F: 5, k: 4, stride: 2, padLeft: 1, Tout: 25, withBias: false, seed: 3 });
  runConv({ B: 2, T: 9, C: 3, F: 4, k: 3, padLeft: 2, Tout: 9, seed: 4 });
});

test('conv1d im2col path: dilation and groups across several 128-row blocks', () => {
  runConv({ B: 2, T: 290, C: 6, F: 18, k: 3, dil: 3, padLeft: 6, Tout: 290, seed: 5 });
  runConv({ B: 2, T: 200, C: 8, F: 34, k: 2, groups: 2, Tout: 199, seed: 6 });
  runConv({ B: 1, T: 30, C: 6, F: 6, k: 5, groups: 6, stride: 2, padLeft: 2, Tout: 15, seed: 7 });
});

test('depthwiseConv1d: dm 1 (vectorised) and dm 3', () => {
  for (const [C, dm] of [[7, 1], [3, 3]]) {
    K.reset();
    const r = rng(10 + dm);
    const B = 2, T = 11, k = 3, stride = 2, dil = 1, padLeft = 1, Tout = 6;
    const x = r.array(B * T * C);
    const W = r.array(k * C * dm);
    const bias = r.array(C * dm);
    const pOut = K.alloc(B * Tout * C * dm * 4);
    K.k.depthwiseConv1d(K.params(DEPTHWISE_CONV1D_PARAMS, {
      x: K.putF32(x), batch: B, steps: T, channels: C, depthMultiplier: dm, out: pOut, outSteps: Tout, size: k, stride, dilation: dil, padLeft,
      kernel: K.putF32(W), bias: K.putF32(bias),
    }));
    const ref = new Float64Array(B * Tout * C * dm);
    for (let b = 0; b < B; b++) for (let t = 0; t < Tout; t++) for (let o = 0; o < C * dm; o++) {
      let s = bias[o];
      for (let j = 0; j < k; j++) {
        const src = t * stride - padLeft + j * dil;
        if (src >= 0 && src < T) s += x[(b * T + src) * C + Math.floor(o / dm)] * W[j * C * dm + o];
      }
      ref[(b * Tout + t) * C * dm + o] = s;
    }
    assertClose(K.getF32(pOut, ref.length), ref, { label: `depthwise dm ${dm}` });
  }
});

test('pool1d max / avg over windows clipped to the input', () => {
  K.reset();
  const r = rng(20);
  const B = 2, T = 13, C = 6, pool = 4, stride = 3, padLeft = 1, Tout = 5;
  const x = r.array(B * T * C);
  const px = K.putF32(x);
  for (const mode of [0, 1]) {
    const pOut = K.alloc(B * Tout * C * 4);
    K.k.pool1d(K.params(POOL1D_PARAMS, { x: px, batch: B, steps: T, channels: C, out: pOut, outSteps: Tout, size: pool, stride, padLeft, mode }));
    const ref = new Float64Array(B * Tout * C);
    for (let b = 0; b < B; b++) for (let t = 0; t < Tout; t++) for (let c = 0; c < C; c++) {
      const lo = Math.max(t * stride - padLeft, 0), hi = Math.min(t * stride - padLeft + pool, T);
      const vals = [];
      for (let s = lo; s < hi; s++) vals.push(x[(b * T + s) * C + c]);
      ref[(b * Tout + t) * C + c] = mode === 0 ? Math.max(...vals) : vals.reduce((p, q) => p + q) / vals.length;
    }
    assertClose(K.getF32(pOut, ref.length), ref, { label: `pool mode ${mode}` });
  }
});

test('globalPool1d: masked average (NaN when fully masked), max ignores the mask; globalPoolRows', () => {
  K.reset();
  const r = rng(21);
  const B = 3, T = 5, C = 5;
  const x = r.array(B * T * C);
  const mask = [1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1];
  const px = K.putF32(x);
  const pm = K.putU8(mask);
  const pAvg = K.alloc(B * C * 4);
  const pMax = K.alloc(B * C * 4);
  K.k.globalPool1d(px, B, T, C, pm, 1, pAvg);
  K.k.globalPool1d(px, B, T, C, pm, 0, pMax);
  const avg = new Float64Array(B * C), mx = new Float64Array(B * C);
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) {
    let s = 0, n = 0, m = -Infinity;
    for (let t = 0; t < T; t++) {
      const v = x[(b * T + t) * C + c];
      m = Math.max(m, v);
      if (mask[b * T + t]) { s += v; n++; }
    }
    avg[b * C + c] = s / n;
    mx[b * C + c] = m;
  }
  assertClose(K.getF32(pAvg, B * C), avg, { label: 'masked average' });
  assertClose(K.getF32(pMax, B * C), mx, { label: 'max' });
  const rows = K.alloc(B * T * 4);
  K.k.globalPoolRows(px, B * T, C, 1, rows);
  const rowRef = Array.from({ length: B * T }, (_, i) => x.subarray(i * C, (i + 1) * C).reduce((p, q) => p + q) / C);
  assertClose(K.getF32(rows, B * T), rowRef, { label: 'rows' });
});

test('batchNormInference and layerNorm, contiguous and strided', () => {
  K.reset();
  const r = rng(30);
  const outer = 3, N = 7, inner = 5;
  const x = r.array(outer * N * inner, -3, 5);
  const px = K.putF32(x);
  const mean = r.array(N), scale = r.array(N), shift = r.array(N);
  for (const inn of [1, inner]) {
    const n = outer * N * inn;
    const pOut = K.alloc(n * 4);
    K.k.batchNormInference(px, pOut, outer, N, inn, K.putF32(mean), K.putF32(scale), K.putF32(shift));
    const ref = Array.from({ length: n }, (_, i) => {
      const c = Math.floor(i / inn) % N;
      return (x[i] - mean[c]) * scale[c] + shift[c];
    });
    assertClose(K.getF32(pOut, n), ref, { label: `batch norm inner ${inn}` });
    const gamma = r.array(N), beta = r.array(N);
    const pLn = K.alloc(n * 4);
    K.k.layerNorm(px, pLn, outer, N, inn, K.putF32(gamma), K.putF32(beta), 1e-3);
    const ln = new Float64Array(n);
    for (let o = 0; o < outer; o++) for (let i = 0; i < inn; i++) {
      let mu = 0;
      for (let c = 0; c < N; c++) mu += x[(o * N + c) * inn + i];
      mu /= N;
      let v = 0;
      for (let c = 0; c < N; c++) v += (x[(o * N + c) * inn + i] - mu) ** 2;
      v /= N;
      for (let c = 0; c < N; c++) ln[(o * N + c) * inn + i] = ((x[(o * N + c) * inn + i] - mu) / Math.sqrt(v + 1e-3)) * gamma[c] + beta[c];
    }
    assertClose(K.getF32(pLn, n), ln, { label: `layer norm inner ${inn}` });
  }
});

test('reluLayer: threshold, max_value, negative slope, infinities', () => {
  K.reset();
  const x = new Float32Array([-Infinity, -3, -0.5, 0, 0.2, 0.3, 0.31, 1, 2, 7, Infinity]);
  const p = K.putF32(x);
  const out = K.alloc(x.length * 4);
  const cases = [
    [0, Infinity, 0, (v) => Math.max(v, 0)],
    [0, 6, 0, (v) => Math.min(Math.max(v, 0), 6)],
    // Keras compares against the threshold as a float32 tensor
    [0.2, 1.5, 0.3, (v) => (v > Math.fround(0.3) ? Math.min(v, 1.5) : 0) - 0.2 * Math.max(0.3 - v, 0)],
    [0.1, Infinity, 0, (v) => (v > 0 ? v : 0.1 * v)],
  ];
  for (const [slope, mx, th, f] of cases) {
    K.k.reluLayer(p, out, x.length, slope, mx, th);
    const want = Array.from(x, (v) => f(Math.fround(v)));
    assertClose(K.getF32(out, x.length), want, { label: `relu ${slope} ${mx} ${th}` });
  }
});

test('eluLayer, thresholdedRelu, prelu with shared axes', () => {
  K.reset();
  const r = rng(40);
  const B = 2, T = 3, F = 6;
  const x = r.array(B * T * F, -3, 3);
  const px = K.putF32(x);
  const out = K.alloc(x.length * 4);
  K.k.eluLayer(px, out, x.length, 0.7);
  assertClose(K.getF32(out, x.length), Array.from(x, (v) => (v > 0 ? v : 0.7 * Math.expm1(v))), { label: 'elu', abs: 1e-6 });
  K.k.thresholdedRelu(px, out, x.length, 0.5);
  assertClose(K.getF32(out, x.length), Array.from(x, (v) => (v > 0.5 ? v : 0)), { label: 'thresholded' });
  for (const [aT, aF] of [[T, F], [1, F], [T, 1], [1, 1]]) {
    const alpha = r.array(aT * aF);
    K.k.prelu(px, out, B, T, F, K.putF32(alpha), aT === 1 ? 0 : aF, aF === 1 ? 0 : 1);
    const want = Array.from(x, (v, i) => {
      const t = Math.floor(i / F) % T, f = i % F;
      return v >= 0 ? v : v * alpha[(aT === 1 ? 0 : t) * aF + (aF === 1 ? 0 : f)];
    });
    assertClose(K.getF32(out, x.length), want, { label: `prelu ${aT}x${aF}` });
  }
});

test('copySteps and permuteCopy', () => {
  K.reset();
  const B = 2, T = 4, C = 3;
  const x = Float32Array.from({ length: B * T * C }, (_, i) => i);
  const px = K.putF32(x);
  const dst = K.putF32(new Float32Array(B * 6 * C).fill(-1));
  K.k.copySteps(px, T, 1, dst, 6, 2, B, 3, C);
  const got = K.getF32(dst, B * 6 * C);
  for (let b = 0; b < B; b++) for (let t = 0; t < 6; t++) for (let c = 0; c < C; c++) {
    const want = t >= 2 && t < 5 ? x[(b * T + (t - 2 + 1)) * C + c] : -1;
    assert.is(got[(b * 6 + t) * C + c], want);
  }
  // (B, T, C) -> (B, C, T)
  const pOut = K.alloc(x.length * 4);
  K.k.permuteCopy(px, pOut, 1, 1, B, C, T, 0, 0, T * C, 1, C);
  const perm = K.getF32(pOut, x.length);
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let t = 0; t < T; t++) assert.is(perm[(b * C + c) * T + t], x[(b * T + t) * C + c]);
});

test.run();
