// Gradient checks of the trainable layer modules (src/training/layers/*) through whole models the
// project's fixture scripts wrote with Keras 1, 2 and 3: loss = sum(r * output) for a fixed random
// r; the gradients kerasrnn's backward kernels give (input and every weight, in the stored arrays'
// layout) are compared with central finite differences of a float64 forward pass written here
// from Keras' equations (independent of kerasrnn's importer and kernels: it reads only the layers'
// options and the weights by their Keras names).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadModel, UnsupportedKerasConfigurationError } from '../../dist/index.js';
import { instantiateKernels } from '../../dist/wasm/wasm-module.js';
import { WasmMemory } from '../../dist/wasm/memory.js';
import { chainGradients } from '../../dist/training/gradients.js';
import { affine64, check, finiteDifferences, rng } from '../support/gradient-check.js';

const sigmoid = (z) => 1 / (1 + Math.exp(-z));
const ACT = { linear: (z) => z, tanh: Math.tanh, sigmoid, relu: (z) => Math.max(0, z) };
/** hard_sigmoid by the Keras version that wrote the file (Keras 3 changed its slope). */
const gateFn = (name, keras3) =>
  name === 'hard_sigmoid' ? (keras3 ? (z) => Math.min(Math.max(z + 3, 0), 6) / 6 : (z) => Math.min(Math.max(0.2 * z + 0.5, 0), 1)) : ACT[name];

/** Weights of a recurrent layer by Keras name -> fused [in][G*U] kernel, [U][G*U] recurrent kernel, input and recurrent biases. */
function fusedWeights(ws, gates, U, D) {
  const by = Object.fromEntries(ws.map((w) => [w.name.replace(/^.*\//, '').replace(/:0$/, ''), w]));
  if (by.W_z || by.W_i) {
    // Keras 1 per-gate arrays W_x [D][U], U_x [U][U], b_x [U]
    const names = gates === 3 ? ['z', 'r', 'h'] : ['i', 'f', 'c', 'o'];
    const G = names.length * U;
    const W = new Float64Array(D * G), R = new Float64Array(U * G), b = new Float64Array(G);
    names.forEach((g, gi) => {
      for (let d = 0; d < D; d++) for (let u = 0; u < U; u++) W[d * G + gi * U + u] = by[`W_${g}`].data[d * U + u];
      for (let k = 0; k < U; k++) for (let u = 0; u < U; u++) R[k * G + gi * U + u] = by[`U_${g}`].data[k * U + u];
      for (let u = 0; u < U; u++) b[gi * U + u] = by[`b_${g}`].data[u];
    });
    return { W, R, b, rb: null };
  }
  const W = by.kernel ?? by.W;
  const R = by.recurrent_kernel ?? by.U;
  const bias = by.bias ?? by.b;
  const G = gates * U;
  let b = null, rb = null;
  if (bias && bias.data.length === 2 * G) {
    b = bias.data.subarray(0, G);
    rb = bias.data.subarray(G);
  } else if (bias) b = bias.data;
  return { W: W.data, R: R.data, b, rb };
}

/**
 * CuDNNLSTM / CuDNNGRU stored weights -> the plain LSTM / GRU(reset_after) arrays by Keras name, as
 * Keras' `_convert_rnn_weights` defines it: each input-kernel gate block k [D][U] becomes
 * `k.T.reshape((D, U), order='F')`, each recurrent block `k.T`; CuDNNLSTM's bias halves add up.
 */
function cudnnToPlain(ws, gates, U, D) {
  const by = Object.fromEntries(ws.map((w) => [w.name.replace(/^.*\//, '').replace(/:0$/, ''), w.data]));
  const G = gates * U;
  const W = new Float64Array(D * G), R = new Float64Array(U * G);
  for (let g = 0; g < gates; g++) {
    const k = (d, u) => by.kernel[d * G + g * U + u];
    // result[i][j] = k.T in Fortran order at flat i + j*D, i.e. k[d][u] with u + d*U = i + j*D
    for (let i = 0; i < D; i++) for (let j = 0; j < U; j++) W[i * G + g * U + j] = k(Math.floor((i + j * D) / U), (i + j * D) % U);
    for (let i = 0; i < U; i++) for (let j = 0; j < U; j++) R[i * G + g * U + j] = by.recurrent_kernel[j * G + g * U + i];
  }
  const b = gates === 4 ? Float64Array.from({ length: G }, (_, j) => by.bias[j] + by.bias[G + j]) : by.bias;
  return [{ name: 'kernel', data: W }, { name: 'recurrent_kernel', data: R }, { name: 'bias', data: b }];
}

/**
 * Keras' dropout rule of a recurrent layer in training, from each version's cells (written out
 * here, not read from kerasrnn): masks per sample (1, or one per gate block) and whether GRU's
 * update gate mixes the dropped state. Keras 2 implementation 0 / 1: one per gate; 2: one, and
 * GRU from 2.1.3 rebinds h_tm1 to the dropped state; Keras 3 before 3.8: one, GRU's h_tm1
 * dropped; Keras 3.8+: recurrent_dropout switches to implementation 1 (one per gate).
 */
function dropoutRule64(cls, config, version) {
  const rate = config?.dropout ?? 0, recurrentRate = config?.recurrent_dropout ?? 0;
  const gates = cls === 'GRU' ? 3 : cls === 'LSTM' ? 4 : 1;
  const v = version.split('.').map((p) => parseInt(p, 10));
  const at = (a, b, c = 0) => v[0] > a || (v[0] === a && (v[1] > b || (v[1] === b && (v[2] ?? 0) >= c)));
  let sets = 1, mix = false;
  if (gates > 1 && v[0] === 2) {
    if (config.implementation !== 2) sets = gates;
    else mix = cls === 'GRU' && recurrentRate > 0 && at(2, 1, 3);
  } else if (gates > 1 && v[0] === 3) {
    if (at(3, 8)) sets = recurrentRate > 0 ? gates : 1;
    else mix = cls === 'GRU' && recurrentRate > 0;
  }
  return { rate, recurrentRate, sets, mix };
}

/**
 * One direction of a GRU / SimpleRNN / LSTM over x [B][T][D] in float64; returns the outputs Keras
 * gives (with go_backwards and return_sequences, in processing order). `drop`: the layer's rule and
 * masks ([B][sets][D] on the inputs, [B][sets][U] on the state), or null.
 */
function rnn64(cls, det, w, x, B, T, D, mask, reverse, keras3, drop = null) {
  const U = det.units;
  const gates = cls === 'GRU' ? 3 : cls === 'LSTM' ? 4 : 1;
  const G = gates * U;
  const { W, R, b, rb } = fusedWeights(w, gates, U, D);
  const act = ACT[det.activation];
  const gate = cls !== 'SimpleRNN' ? gateFn(det.recurrentActivation, keras3) : null;
  const seq = new Float64Array(B * T * U);
  const last = new Float64Array(B * U);
  const sets = drop?.sets ?? 1;
  // the input / state gate block j reads, dropped by its mask set
  const xIn = (bi, t, j, d) => x[(bi * T + t) * D + d] * (drop?.xm ? drop.xm[(bi * sets + (sets > 1 ? Math.floor(j / U) : 0)) * D + d] : 1);
  const hIn = (bi, hv, j, k) => hv[k] * (drop?.hm ? drop.hm[(bi * sets + (sets > 1 ? Math.floor(j / U) : 0)) * U + k] : 1);
  for (let bi = 0; bi < B; bi++) {
    let h = new Float64Array(U);
    let c = new Float64Array(U);
    for (let s = 0; s < T; s++) {
      const t = reverse ? T - 1 - s : s;
      const kept = !mask || mask[bi * T + t];
      if (kept) {
        const xp = new Float64Array(G);
        for (let j = 0; j < G; j++) {
          let v = b ? b[j] : 0;
          for (let d = 0; d < D; d++) v += xIn(bi, t, j, d) * W[d * G + j];
          xp[j] = v;
        }
        const h0 = h;
        // GRU's mix reads the dropped state where Keras rebinds h_tm1 to it
        const hMix = drop?.mix && drop.hm ? h0.map((v, k) => v * drop.hm[bi * U + k]) : h0;
        const hn = new Float64Array(U);
        const cPrev = c;
        c = new Float64Array(U);
        if (cls === 'LSTM') {
          for (let u = 0; u < U; u++) {
            const z = (j) => {
              let v = xp[j];
              for (let k = 0; k < U; k++) v += hIn(bi, h0, j, k) * R[k * G + j];
              return v;
            };
            c[u] = gate(z(U + u)) * cPrev[u] + gate(z(u)) * act(z(2 * U + u));
            hn[u] = gate(z(3 * U + u)) * act(c[u]);
          }
        } else if (cls === 'SimpleRNN') {
          for (let u = 0; u < U; u++) {
            let v = xp[u];
            for (let k = 0; k < U; k++) v += hIn(bi, h0, u, k) * R[k * U + u];
            hn[u] = act(v);
          }
        } else if (det.resetAfter) {
          const rec = new Float64Array(G);
          for (let j = 0; j < G; j++) {
            let v = rb ? rb[j] : 0;
            for (let k = 0; k < U; k++) v += hIn(bi, h0, j, k) * R[k * G + j];
            rec[j] = v;
          }
          for (let u = 0; u < U; u++) {
            const z = gate(xp[u] + rec[u]);
            const r = gate(xp[U + u] + rec[U + u]);
            const hh = act(xp[2 * U + u] + r * rec[2 * U + u]);
            hn[u] = z * hMix[u] + (1 - z) * hh;
          }
        } else {
          const z = new Float64Array(U), r = new Float64Array(U);
          for (let u = 0; u < U; u++) {
            let vz = xp[u], vr = xp[U + u];
            for (let k = 0; k < U; k++) {
              vz += hIn(bi, h0, u, k) * R[k * G + u];
              vr += hIn(bi, h0, U + u, k) * R[k * G + U + u];
            }
            z[u] = gate(vz);
            r[u] = gate(vr);
          }
          for (let u = 0; u < U; u++) {
            let v = xp[2 * U + u];
            for (let k = 0; k < U; k++) v += r[k] * hIn(bi, h0, 2 * U + u, k) * R[k * G + 2 * U + u];
            hn[u] = z[u] * hMix[u] + (1 - z[u]) * act(v);
          }
        }
        h = hn;
      }
      // Keras' outputs follow the processing order (reversed with go_backwards)
      for (let u = 0; u < U; u++) seq[(bi * T + s) * U + u] = kept || !det.zeroOutputForMask ? h[u] : 0;
    }
    last.set(h, bi * U);
  }
  return det.returnSequences ? seq : last;
}

function dense64(det, ws, x, M, K) {
  return activate(det.activation, affine64(x, M, K, ws[0].data, ws[1]?.data, det.units), det.units);
}

function activate(name, y, cols) {
  if (name === 'softmax') {
    for (let m = 0; m < y.length / cols; m++) {
      const row = y.subarray(m * cols, (m + 1) * cols);
      const mx = Math.max(...row);
      let sum = 0;
      for (let n = 0; n < cols; n++) sum += row[n] = Math.exp(row[n] - mx);
      for (let n = 0; n < cols; n++) row[n] /= sum;
    }
    return y;
  }
  return y.map(ACT[name]);
}

const MERGES = new Set(['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate']);

/**
 * The model in float64: layers (className, details, inbound tensors), weights by layer name
 * (float64 copies); returns the output of layer `outputLayer`.
 */
function forward64(layers, weights, x, xShape, keras3, outputLayer, configs = new Map(), version = '') {
  const values = new Map();
  let dropoutState = 1;
  // the trainer's documented mask generator: xorshift32 from seed 1, keep if u >= rate, scale 1/(1-rate) (float32)
  const drawMask = (count, rate) => {
    const keep = Math.fround(1 / Math.fround(1 - Math.fround(rate)));
    return Float64Array.from({ length: count }, () => {
      dropoutState ^= dropoutState << 13;
      dropoutState ^= dropoutState >>> 17;
      dropoutState ^= dropoutState << 5;
      return Math.fround((dropoutState >>> 8) / 16777216) >= Math.fround(rate) ? keep : 0;
    });
  };
  // a recurrent layer's masks, drawn once per sequence: inputs [B][sets][D] first, then the state [B][sets][U]
  const dropOf = (cls, config, B, D, U) => {
    const rule = dropoutRule64(cls, config, version);
    if (!rule.rate && !rule.recurrentRate) return null;
    const xm = rule.rate ? drawMask(B * rule.sets * D, rule.rate) : null;
    const hm = rule.recurrentRate ? drawMask(B * rule.sets * U, rule.recurrentRate) : null;
    return { sets: rule.sets, mix: rule.mix, xm, hm };
  };
  /** Keras' Bidirectional: the backward copy's outputs reversed back when sequences are returned. */
  const reverseSteps = (y, B, T, F) => {
    const out = new Float64Array(y.length);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out.set(y.subarray((b * T + t) * F, (b * T + t + 1) * F), (b * T + T - 1 - t) * F);
    return out;
  };
  for (const l of layers) {
    const det = l.details;
    const ws = weights.get(l.name) ?? [];
    const cls = l.className;
    if (cls === 'InputLayer') {
      values.set(l.name, { y: x, shape: xShape.slice(), mask: null });
      continue;
    }
    const ins = l.inbound[0].map((ref) => values.get(ref.replace(/\[.*$/, '')));
    let { y: cur, shape, mask } = ins[0];
    if (MERGES.has(cls)) {
      if (cls === 'Concatenate') {
        const rows = cur.length / shape[shape.length - 1];
        const widths = ins.map((v) => v.shape[v.shape.length - 1]);
        const total = widths.reduce((a, b) => a + b, 0);
        const out = new Float64Array(rows * total);
        for (let r = 0; r < rows; r++) {
          let off = 0;
          ins.forEach((v, i) => {
            out.set(v.y.subarray(r * widths[i], (r + 1) * widths[i]), r * total + off);
            off += widths[i];
          });
        }
        cur = out;
        shape = [...shape.slice(0, -1), total];
      } else {
        cur = cur.map((_, i) => {
          const vs = ins.map((v) => v.y[i]);
          if (cls === 'Add') return vs.reduce((a, b) => a + b, 0);
          if (cls === 'Subtract') return vs[0] - vs[1];
          if (cls === 'Multiply') return vs.reduce((a, b) => a * b, 1);
          if (cls === 'Maximum') return Math.max(...vs);
          if (cls === 'Minimum') return Math.min(...vs);
          return vs.reduce((a, b) => a + b, 0) / vs.length;
        });
      }
      mask = null;
    } else if (cls === 'Masking') {
      const [B, T, F] = shape;
      mask = new Uint8Array(B * T);
      const out = new Float64Array(cur.length);
      for (let r = 0; r < B * T; r++) {
        mask[r] = cur.subarray(r * F, (r + 1) * F).some((v) => v !== det.maskValue) ? 1 : 0;
        if (mask[r]) out.set(cur.subarray(r * F, (r + 1) * F), r * F);
      }
      cur = out;
    } else if (cls === 'Embedding') {
      const dim = det.outputDim;
      const out = new Float64Array(cur.length * dim);
      cur.forEach((id, i) => out.set(ws[0].data.subarray(id * dim, (id + 1) * dim), i * dim));
      if (det.maskZero) mask = Uint8Array.from(cur, (id) => (id !== 0 ? 1 : 0));
      cur = out;
      shape = [...shape, dim];
    } else if (cls === 'GRU' || cls === 'SimpleRNN' || cls === 'LSTM') {
      const [B, T, D] = shape;
      cur = rnn64(cls, det, ws, cur, B, T, D, mask, det.goBackwards, keras3, dropOf(cls, configs.get(l.name), B, D, det.units));
      shape = det.returnSequences ? [B, T, det.units] : [B, det.units];
      if (!det.returnSequences) mask = null;
    } else if (cls === 'CuDNNLSTM' || cls === 'CuDNNGRU') {
      const [B, T, D] = shape;
      const lstm = cls === 'CuDNNLSTM';
      const plain = cudnnToPlain(ws, lstm ? 4 : 3, det.units, D);
      const cell = { units: det.units, returnSequences: det.returnSequences, activation: 'tanh', recurrentActivation: 'sigmoid', resetAfter: true };
      cur = rnn64(lstm ? 'LSTM' : 'GRU', cell, plain, cur, B, T, D, null, false, keras3);
      shape = det.returnSequences ? [B, T, det.units] : [B, det.units];
      mask = null;
    } else if (cls === 'PReLU') {
      // Keras: relu(x) - alpha * relu(-x), alpha of the input's shape with size 1 on shared_axes
      const dims = shape.slice(1);
      const shared = det.sharedAxes ?? [];
      const alphaShape = dims.map((n, i) => (shared.includes(i + 1) ? 1 : n));
      const alpha = ws[0].data;
      cur = cur.map((v, i) => {
        let rest = i % dims.reduce((a, b) => a * b, 1), a = 0, stride = 1;
        for (let ax = dims.length - 1; ax >= 0; ax--) {
          a += (alphaShape[ax] === 1 ? 0 : rest % dims[ax]) * stride;
          stride *= alphaShape[ax];
          rest = Math.floor(rest / dims[ax]);
        }
        return Math.max(v, 0) - alpha[a] * Math.max(-v, 0);
      });
    } else if (cls === 'Permute') {
      // out[b][i1][i2]... = in[b] at the input axes dims[0], dims[1], ... (1-based)
      const axes = [0, ...det.dims];
      const outShape = axes.map((a) => shape[a]);
      const strides = shape.map((_, a) => shape.slice(a + 1).reduce((p, q) => p * q, 1));
      const out = new Float64Array(cur.length);
      for (let o = 0; o < out.length; o++) {
        let rest = o, src = 0;
        for (let i = outShape.length - 1; i >= 0; i--) {
          src += (rest % outShape[i]) * strides[axes[i]];
          rest = Math.floor(rest / outShape[i]);
        }
        out[o] = cur[src];
      }
      cur = out;
      shape = outShape;
    } else if (cls === 'Bidirectional') {
      const [B, T, D] = shape;
      const nf = ws.length / 2;
      const cfg = configs.get(l.name) ?? {};
      const half = (d, w, inner) => {
        if (!d.className.startsWith('CuDNN')) return rnn64(d.className, d, w, cur, B, T, D, mask, d.goBackwards, keras3, dropOf(d.className, inner, B, D, d.units));
        const lstm = d.className === 'CuDNNLSTM';
        const cell = { units: d.units, returnSequences: d.returnSequences, activation: 'tanh', recurrentActivation: 'sigmoid', resetAfter: true };
        return rnn64(lstm ? 'LSTM' : 'GRU', cell, cudnnToPlain(w, lstm ? 4 : 3, d.units, D), cur, B, T, D, null, d.goBackwards, keras3);
      };
      const f = half(det.forward, ws.slice(0, nf), cfg.layer?.config);
      let b = half(det.backward, ws.slice(nf), (cfg.backward_layer ?? cfg.layer)?.config);
      const U = det.forward.units;
      if (det.forward.returnSequences) b = reverseSteps(b, B, T, U);
      const rows = f.length / U;
      if (det.mergeMode === 'concat') {
        cur = new Float64Array(rows * 2 * U);
        for (let r = 0; r < rows; r++) {
          cur.set(f.subarray(r * U, (r + 1) * U), r * 2 * U);
          cur.set(b.subarray(r * U, (r + 1) * U), r * 2 * U + U);
        }
      } else cur = f.map((v, i) => (det.mergeMode === 'sum' ? v + b[i] : det.mergeMode === 'mul' ? v * b[i] : (v + b[i]) / 2));
      const out = det.mergeMode === 'concat' ? 2 * U : U;
      shape = det.forward.returnSequences ? [B, T, out] : [B, out];
      if (!det.forward.returnSequences) mask = null;
    } else if (cls === 'Dense' || (cls === 'TimeDistributed' && det.layer.className === 'Dense')) {
      const d = cls === 'Dense' ? det : det.layer;
      const K = shape[shape.length - 1];
      cur = dense64(d, ws, cur, cur.length / K, K);
      shape = [...shape.slice(0, -1), d.units];
    } else if (cls === 'Conv1D') {
      const [B, T, C] = shape;
      const { filters: F, kernelSize: k, strides: st, dilationRate: dil, padding } = det;
      const span = (k - 1) * dil + 1;
      const Tout = padding === 'valid' ? Math.ceil((T - span + 1) / st) : Math.ceil(T / st);
      const padLeft = padding === 'causal' ? span - 1 : padding === 'same' ? Math.floor(Math.max((Tout - 1) * st + span - T, 0) / 2) : 0;
      const W = ws[0].data;
      const bias = ws[1]?.data;
      const out = new Float64Array(B * Tout * F);
      for (let b = 0; b < B; b++)
        for (let t = 0; t < Tout; t++)
          for (let f = 0; f < F; f++) {
            let v = bias ? bias[f] : 0;
            for (let j = 0; j < k; j++) {
              const s = t * st - padLeft + j * dil;
              if (s < 0 || s >= T) continue;
              for (let c = 0; c < C; c++) v += cur[(b * T + s) * C + c] * W[(j * C + c) * F + f];
            }
            out[(b * Tout + t) * F + f] = v;
          }
      cur = activate(det.activation, out, F);
      shape = [B, Tout, F];
      mask = null;
    } else if (cls === 'MaxPooling1D' || cls === 'AveragePooling1D' || cls === 'GlobalMaxPooling1D' || cls === 'GlobalAveragePooling1D') {
      const [B, T, C] = shape;
      const global = cls.startsWith('Global');
      const size = global ? T : det.poolSize;
      const st = global ? T : det.strides;
      const same = !global && det.padding === 'same';
      const Tout = global ? 1 : same ? Math.ceil(T / st) : Math.ceil((T - size + 1) / st);
      const padLeft = same ? Math.floor(Math.max((Tout - 1) * st + size - T, 0) / 2) : 0;
      const useMask = global && det.maskAware && mask;
      const out = new Float64Array(B * Tout * C);
      for (let b = 0; b < B; b++)
        for (let t = 0; t < Tout; t++)
          for (let c = 0; c < C; c++) {
            const vals = [];
            for (let s = Math.max(t * st - padLeft, 0); s < Math.min(t * st - padLeft + size, T); s++) if (!useMask || mask[b * T + s]) vals.push(cur[(b * T + s) * C + c]);
            out[(b * Tout + t) * C + c] = cls.includes('Max') ? Math.max(...vals) : vals.reduce((a, v) => a + v, 0) / vals.length;
          }
      cur = out;
      shape = global ? (det.keepdims ? [B, 1, C] : [B, C]) : [B, Tout, C];
      mask = null;
    } else if (cls === 'Reshape') {
      const rest = cur.length / shape[0];
      const known = det.targetShape.reduce((a, v) => (v === -1 ? a : a * v), 1);
      shape = [shape[0], ...det.targetShape.map((v) => (v === -1 ? rest / known : v))];
    } else if (cls === 'RepeatVector' || cls === 'UpSampling1D') {
      const C = shape[shape.length - 1];
      const n = cls === 'RepeatVector' ? det.n : det.size;
      const rows = cur.length / C;
      const out = new Float64Array(rows * n * C);
      for (let r = 0; r < rows; r++) for (let i = 0; i < n; i++) out.set(cur.subarray(r * C, (r + 1) * C), (r * n + i) * C);
      cur = out;
      shape = cls === 'RepeatVector' ? [shape[0], n, C] : [shape[0], shape[1] * n, C];
    } else if (cls === 'ZeroPadding1D' || cls === 'Cropping1D') {
      const [B, T, C] = shape;
      const [a, z] = cls === 'ZeroPadding1D' ? det.padding : det.cropping;
      const T2 = cls === 'ZeroPadding1D' ? T + a + z : T - a - z;
      const out = new Float64Array(B * T2 * C);
      for (let b = 0; b < B; b++)
        for (let t = 0; t < T2; t++) {
          const s = cls === 'ZeroPadding1D' ? t - a : t + a;
          if (s >= 0 && s < T) out.set(cur.subarray((b * T + s) * C, (b * T + s + 1) * C), (b * T2 + t) * C);
        }
      cur = out;
      shape = [B, T2, C];
    } else if (cls === 'Flatten') {
      shape = [shape[0], shape.slice(1).reduce((a, b) => a * b, 1)];
      mask = null;
    } else if (cls === 'LayerNormalization' || cls === 'BatchNormalization') {
      // over the last axis; BatchNormalization in training mode: statistics of the batch (biased variance)
      const C = shape[shape.length - 1];
      const rows = cur.length / C;
      let i = 0;
      const gamma = det.scale !== false ? ws[i++].data : null;
      const beta = det.center !== false ? ws[i++].data : null;
      const out = new Float64Array(cur.length);
      const norm = (idx, mean, v) => (cur[idx] - mean) / Math.sqrt(v + det.epsilon);
      if (cls === 'LayerNormalization') {
        for (let r = 0; r < rows; r++) {
          const row = cur.subarray(r * C, (r + 1) * C);
          const mean = row.reduce((a, v) => a + v, 0) / C;
          const v = row.reduce((a, x) => a + (x - mean) ** 2, 0) / C;
          for (let c = 0; c < C; c++) out[r * C + c] = (gamma ? gamma[c] : 1) * norm(r * C + c, mean, v) + (beta ? beta[c] : 0);
        }
      } else {
        for (let c = 0; c < C; c++) {
          let mean = 0;
          for (let r = 0; r < rows; r++) mean += cur[r * C + c] / rows;
          let v = 0;
          for (let r = 0; r < rows; r++) v += (cur[r * C + c] - mean) ** 2 / rows;
          for (let r = 0; r < rows; r++) out[r * C + c] = (gamma ? gamma[c] : 1) * norm(r * C + c, mean, v) + (beta ? beta[c] : 0);
        }
      }
      cur = out;
    } else if (cls === 'Dropout') {
      // the trainer's documented mask generator: xorshift32 from seed 1, keep if u >= rate, scale 1/(1-rate) (float32)
      const keep = Math.fround(1 / Math.fround(1 - Math.fround(det.rate)));
      cur = cur.map((v) => {
        dropoutState ^= dropoutState << 13;
        dropoutState ^= dropoutState >>> 17;
        dropoutState ^= dropoutState << 5;
        const u = Math.fround((dropoutState >>> 8) / 16777216);
        return u >= Math.fround(det.rate) ? v * keep : 0;
      });
    } else if (cls === 'SpatialDropout1D') {
      // the same generator, one draw per sample and channel ([B][C]), the mask kept at every step
      const [B, T, C] = shape;
      const keep = Math.fround(1 / Math.fround(1 - Math.fround(det.rate)));
      const m = Array.from({ length: B * C }, () => {
        dropoutState ^= dropoutState << 13;
        dropoutState ^= dropoutState >>> 17;
        dropoutState ^= dropoutState << 5;
        return Math.fround((dropoutState >>> 8) / 16777216) >= Math.fround(det.rate) ? keep : 0;
      });
      cur = cur.map((v, i) => v * m[Math.floor(i / (T * C)) * C + (i % C)]);
    } else if (cls === 'GaussianNoise') {
      // the same generator: stddev * Box-Muller(u1 in (0, 1], u2 in [0, 1)) added, rounded to float32 as the kernel stores it
      const draw = () => {
        dropoutState ^= dropoutState << 13;
        dropoutState ^= dropoutState >>> 17;
        dropoutState ^= dropoutState << 5;
        return dropoutState >>> 8;
      };
      cur = cur.map((v) => {
        const u1 = (draw() + 1) / 16777216;
        const u2 = draw() / 16777216;
        return v + Math.fround(Math.fround(det.rate) * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
      });
    } else if (cls === 'ReLU' || cls === 'LeakyReLU') {
      // Keras' relu(x, negative_slope, max_value, threshold)
      const slope = det.negativeSlope ?? 0;
      const max = det.maxValue ?? Infinity;
      const th = det.threshold ?? 0;
      cur = cur.map((v) => Math.min(Math.max(v > th ? v : 0, 0), max) - slope * Math.max(th - v, 0));
    } else if (cls === 'ThresholdedReLU') {
      cur = cur.map((v) => (v > det.theta ? v : 0));
    } else if (cls === 'ELU') {
      cur = cur.map((v) => (v > 0 ? v : det.alpha * (Math.exp(v) - 1)));
    } else if (cls === 'Softmax') {
      cur = activate('softmax', Float64Array.from(cur), shape[shape.length - 1]);
    } else if (cls === 'Activation') {
      cur = activate(det.activation, Float64Array.from(cur), shape[shape.length - 1]);
    } else throw new Error(`no float64 reference for ${cls}`);
    values.set(l.name, { y: cur, shape, mask });
  }
  const out = values.get(outputLayer);
  return { y: out.y, shape: out.shape };
}

const dot = (a, r) => a.reduce((s, v, i) => s + v * r[i], 0);

let memory;
async function mem() {
  memory ??= new WasmMemory(await instantiateKernels());
  return memory;
}

/**
 * Checks one fixture model: gradients of every weight array and (unless ids) of the input.
 * `maskRows`: [b, t] time steps set to the mask value 0 (Masking) or id 0 (Embedding).
 */
async function checkModel(file, { B = 2, T, ids = 0, maskRows = [], seed = 5, scale = 1 } = {}) {
  const model = await loadModel(file);
  if (ids === 'vocab') ids = model.layers.find((l) => l.className === 'Embedding').details.inputDim;
  const r = rng(seed);
  const inShape = model.inputs[0].shape;
  const steps = T ?? inShape[1];
  const xShape = ids ? [B, steps] : [B, steps, ...inShape.slice(2)];
  const n = xShape.reduce((a, b) => a * b, 1);
  const F = xShape.slice(2).reduce((a, b) => a * b, 1);
  const x = Float64Array.from(Float32Array.from({ length: n }, () => (ids ? 1 + Math.floor((r() + 0.5) * (ids - 1)) : 2 * scale * r())));
  for (const [b, t] of maskRows) x.fill(0, (b * steps + t) * F, (b * steps + t + 1) * F);
  const masked = (i) => maskRows.some(([b, t]) => Math.floor(i / F) === b * steps + t);
  const weights = new Map(model.getWeights().map((l) => [l.layer, l.weights.map((w) => ({ name: w.name, data: Float64Array.from(w.data) }))]));
  const keras3 = model.generation.major >= 3 && model.generation.runtime !== 'tfjs';
  const outputLayer = model.outputs[0].layer;
  const configs = new Map(model.graphForSaving.nodes.map((node) => [node.layer.spec.name, node.layer.spec.config]));
  const version = model.generation.version;
  const ref = forward64(model.layers, weights, x, xShape, keras3, outputLayer, configs, version);
  const rw = Float64Array.from(Float32Array.from({ length: ref.y.length }, () => 2 * r()));
  const loss = () => dot(forward64(model.layers, weights, x, xShape, keras3, outputLayer, configs, version).y, rw);
  const arrays = new Map([...weights].map(([k, ws]) => [k, ws.map((w) => Float32Array.from(w.data))]));
  const g = chainGradients(await mem(), model.graphForSaving, model.generation, arrays, Float32Array.from(x), xShape, Float32Array.from(rw));
  let worst = check(`${file} output`, g.y, ref.y);
  assert.equal(g.yShape.slice(1), ref.shape.slice(1), `${file} output shape`);
  if (!ids) {
    worst = Math.max(worst, check(`${file} dx`, g.dx, finiteDifferences(x, loss, masked)));
    // masked steps are zeroed by Masking: no gradient reaches them
    for (let i = 0; i < n; i++) if (masked(i)) assert.is(g.dx[i], 0, `${file} dx at a masked step`);
  }
  for (const [layer, ws] of weights) {
    const got = g.grads.get(layer);
    assert.ok(got, `${file}: gradients of ${layer}`);
    assert.is(got.length, ws.length, `${file} ${layer}: one gradient per weight`);
    ws.forEach((w, i) => {
      worst = Math.max(worst, check(`${file} ${layer} ${w.name}`, got[i], finiteDifferences(w.data, loss)));
    });
  }
  return worst;
}

const CASES = [
  // GRU: reset_after true (tf.keras 2 default) and false, Keras 2 defaults (hard_sigmoid), Keras 1 per-gate W_z/U_z/b_z, Keras 3
  // CuDNNLSTM / CuDNNGRU (Keras 2, tf.keras 1.x): gradients in cuDNN's own stored layout
  ['CuDNNLSTM return_sequences -> Dense, Keras 2', 'test/fixtures/cudnn_lstm_k2.h5', {}],
  ['CuDNNLSTM -> Dense, tf.keras', 'test/fixtures/cudnn_lstm_tf.h5', {}],
  ['CuDNNGRU -> Dense, Keras 2', 'test/fixtures/cudnn_gru_k2.h5', {}],
  ['GRU reset_after=True, sequences -> last', 'test/fixtures/gru_reset_after_true.h5', {}],
  ['GRU reset_after=False, sequences -> last', 'test/fixtures/gru_reset_after_false.h5', {}],
  ['GRU Keras 2 defaults (hard_sigmoid 0.2x+0.5)', 'test/fixtures/gru_keras2_defaults.h5', {}],
  ['GRU Keras 1 per-gate weights', 'test/fixtures/k1_gru.h5', {}],
  ['GRU Keras 3', 'test/fixtures/keras3/k3_gru_sequential.keras', {}],
  ['GRU go_backwards (last step)', 'test/fixtures/gru_go_backwards.h5', {}],
  // SimpleRNN: tanh / relu, no bias, Keras 1 W/U/b, Keras 3
  ['SimpleRNN tanh, sequences -> last', 'test/fixtures/simple_rnn_tanh.h5', {}],
  ['SimpleRNN relu', 'test/fixtures/simple_rnn_relu.h5', {}],
  ['SimpleRNN without bias, return_sequences', 'test/fixtures/simple_rnn_no_bias.h5', {}],
  ['SimpleRNN Keras 1', 'test/fixtures/k1_simple_rnn.h5', {}],
  ['SimpleRNN Keras 3', 'test/fixtures/keras3/k3_simple_rnn_old_writer.keras', {}],
  // Bidirectional merge modes
  ['Bidirectional(GRU) sum', 'test/fixtures/bidir_gru_sum.h5', {}],
  ['Bidirectional(SimpleRNN) mul', 'test/fixtures/bidir_simplernn_mul.h5', {}],
  // Masking: masked steps carry the state (post- and pre-padding)
  ['Masking -> GRU (reset_after true) -> GRU (false)', 'test/fixtures/masking_gru_both.h5', { maskRows: [[0, 5], [0, 6], [1, 0], [1, 3]] }],
  ['Masking -> SimpleRNN -> SimpleRNN', 'test/fixtures/masking_simple_rnn.h5', { maskRows: [[0, 6], [1, 0], [1, 1]] }],
  ['Masking -> Bidirectional(GRU) concat, last', 'test/fixtures/masking_bidir_gru_last.h5', { maskRows: [[0, 5], [0, 6], [1, 0]] }],
  // Embedding (table rows of the batch's ids; mask_zero), TimeDistributed(Dense), Bidirectional ave and concat on sequences
  ['Embedding -> Bidirectional(SimpleRNN) ave, sequences -> TimeDistributed(Dense) -> softmax', 'test/fixtures/training/grad_embedding_bidir_ave_td.h5', { ids: 8, B: 3 }],
  [
    'Embedding(mask_zero) -> Bidirectional(GRU reset_after=False) concat, sequences -> GRU -> Dense',
    'test/fixtures/training/grad_embedding_mask_bidir_gru_concat.h5',
    { ids: 8, B: 3, maskRows: [[0, 3], [0, 4], [1, 0], [2, 0], [2, 1]] },
  ],
  // Conv1D, pooling, normalisation (BatchNormalization with batch statistics), on the layer fixtures
  ['MaxPooling1D / AveragePooling1D (valid, same, strides), tf.keras', 'test/fixtures/layers/pooling1d_tf.h5', {}],
  ['AveragePooling1D / MaxPooling1D, Keras 3', 'test/fixtures/layers/pooling1d_k3.keras', {}],
  ['Embedding(mask_zero) -> GlobalAveragePooling1D over the kept steps, Keras 3', 'test/fixtures/layers/global_pooling_k3.keras', { ids: 'vocab', maskRows: [[0, 4], [0, 5], [1, 0]] }],
  ['LayerNormalization (center / scale variants), Keras 3', 'test/fixtures/layers/layernorm_k3.keras', {}],
  ['BatchNormalization in training mode, Keras 3', 'test/fixtures/layers/batchnorm_k3.keras', { B: 3 }],
  ['Embedding -> Conv1D -> MaxPooling1D -> LSTM -> Dense, tf.keras', 'test/fixtures/layers/cnn_lstm_tf.h5', { ids: 'vocab' }],
  ['Embedding -> Conv1D -> BatchNormalization -> MaxPooling1D -> LSTM -> Dense, Keras 3', 'test/fixtures/layers/cnn_lstm_k3.keras', { ids: 'vocab', B: 3 }],
  // layers that move values: Reshape, RepeatVector, UpSampling1D, ZeroPadding1D, Cropping1D
  ['Reshape -> LSTM -> Dense', 'test/fixtures/reshape_lstm.h5', {}],
  ['LSTM -> RepeatVector -> LSTM -> TimeDistributed(Dense)', 'test/fixtures/repeatvector_seq2seq.h5', {}],
  // inputs in [-4, 4) so that values of both PReLU branches pass ThresholdedReLU(theta 1)
  ['PReLU (shared_axes [1], then [2]) -> ThresholdedReLU, tf.keras', 'test/fixtures/layers/prelu_tf.h5', { scale: 4 }],
  ['PReLU -> ThresholdedReLU, Keras 1 (alphas)', 'test/fixtures/layers/prelu_k1.h5', { scale: 4 }],
  ['PReLU, Keras 3', 'test/fixtures/layers/prelu_k3.keras', {}],
  ['Permute(2, 1) -> LSTM, tf.keras', 'test/fixtures/layers/permute_tf.h5', {}],
  ['Permute(3, 1, 2) of a 4D input, Keras 3', 'test/fixtures/layers/permute_k3.keras', {}],
  ['ZeroPadding1D -> UpSampling1D -> Cropping1D, tf.keras', 'test/fixtures/layers/steps_tf.h5', {}],
  ['UpSampling1D -> ZeroPadding1D -> Cropping1D, Keras 3', 'test/fixtures/layers/steps_k3.keras', {}],
  // activation layers
  ['LeakyReLU -> ELU, Keras 1', 'test/fixtures/layers/leaky_relu_k1.h5', {}],
  ['LeakyReLU -> ELU, Keras 3', 'test/fixtures/layers/leaky_relu_k3.keras', {}],
  ['ReLU(max_value 6) -> Dense -> ReLU(max_value, negative_slope, threshold), Keras 2', 'test/fixtures/layers/relu_k2.h5', { B: 4 }],
  ['ReLU(negative_slope, threshold), Keras 3', 'test/fixtures/layers/relu_k3.keras', {}],
  ['Dense -> Softmax layer, Keras 3', 'test/fixtures/layers/softmax_k3.keras', {}],
  // LSTM's general path: Keras 1 per-gate weights, relu activation, masks, inside Bidirectional (its plain path: gradients.test.js)
  ['LSTM Keras 1 per-gate weights', 'test/fixtures/k1_lstm.h5', {}],
  ['LSTM relu activation', 'test/fixtures/lstm_relu_activation.h5', {}],
  ['Embedding(mask_zero) -> LSTM -> LSTM', 'test/fixtures/embedding_mask_zero_lstm.h5', { ids: 'vocab', T: 6, maskRows: [[0, 4], [0, 5], [1, 0]] }],
  ['Bidirectional(LSTM) concat -> Bidirectional(LSTM) -> Dense', 'test/fixtures/bidir_lstm_concat.h5', {}],
  ['Bidirectional(LSTM) ave', 'test/fixtures/bidir_lstm_ave.h5', {}],
  [
    'Embedding(mask_zero) -> Bidirectional(LSTM) concat -> Bidirectional(GRU) sum -> Dense',
    'test/fixtures/bidir_masking_embedding.h5',
    { ids: 'vocab', maskRows: [[0, 4], [0, 5], [1, 0], [1, 1]] },
  ],
  // a DAG: Add, Concatenate with the model input, Multiply / Average / Subtract, a tensor read by three layers
  ['functional model with merges and fan-out (GRU, Dense, SimpleRNN)', 'test/fixtures/training/grad_dag_merges.h5', {}],
  ['Dense -> SpatialDropout1D(0.4) -> Dense (seeded channel masks)', 'test/fixtures/training/grad_spatial_dropout.h5', { B: 3 }],
  ['Dense -> GaussianNoise(0.5) -> Dense (seeded noise)', 'test/fixtures/training/grad_gaussian_noise.h5', { B: 3 }],
  ['Maximum of three Dense branches + Minimum of two', 'test/fixtures/training/grad_minmax_merges.h5', {}],
  // recurrent train-time rules: dropout / recurrent_dropout masks per Keras version, go_backwards with
  // return_sequences (outputs in processing order), Bidirectional over go_backwards and CuDNN layers
  ['GRU dropout + recurrent_dropout, tf.keras implementation 2 (one mask, dropped state mixed)', 'test/fixtures/training/grad_gru_dropout_impl2.h5', { B: 3 }],
  ['GRU reset_after=False dropout, implementation 1 (a mask per gate), go_backwards sequences', 'test/fixtures/training/grad_gru_dropout_impl1_backwards.h5', { B: 3 }],
  ['GRU dropout, Keras 2.1.2 implementation 2 (the state itself mixed)', 'test/fixtures/training/grad_gru_dropout_k212.h5', { B: 3 }],
  ['GRU dropout, Keras 3.10 (recurrent_dropout: a mask per gate)', 'test/fixtures/training/grad_gru_dropout_k310.keras', { B: 3 }],
  ['GRU dropout, Keras 3.3 (one mask, dropped state mixed)', 'test/fixtures/training/grad_gru_dropout_k333.keras', { B: 3 }],
  ['SimpleRNN dropout + recurrent_dropout', 'test/fixtures/training/grad_simple_rnn_dropout.h5', { B: 3 }],
  ['LSTM(3) dropout, implementation 1 (a mask per gate), go_backwards sequences', 'test/fixtures/training/grad_lstm_dropout_impl1_backwards.h5', { B: 3 }],
  ['Masking -> LSTM(8) dropout (the masked path)', 'test/fixtures/training/grad_masking_lstm_dropout.h5', { B: 3, maskRows: [[0, 4], [1, 0], [2, 2]] }],
  ['LSTM go_backwards sequences (plain weights)', 'test/fixtures/lstm_go_backwards.h5', {}],
  ['Bidirectional(LSTM go_backwards, dropout) concat, sequences', 'test/fixtures/training/grad_bidir_lstm_backwards_dropout.h5', { B: 3 }],
  ['Bidirectional(CuDNNGRU) sum, sequences', 'test/fixtures/training/grad_bidir_cudnn_gru.h5', {}],
  ['Bidirectional(CuDNNLSTM) concat, sequences', 'test/fixtures/training/grad_bidir_cudnn_lstm.h5', {}],
];

for (const [label, file, opts] of CASES) {
  test(`${label}: gradients match float64 finite differences (${file.replace(/^.*\//, '')})`, async () => {
    const worst = await checkModel(file, opts);
    console.log(`  ${label}: worst error ${(worst * 100).toFixed(1)}% of the tolerance`);
  });
}

test('layers and options without gradients are refused by name', async () => {
  const separable = await loadModel('test/fixtures/layers/separable_conv1d_tf.h5');
  assert.throws(() => separable.compile({ optimizer: 'sgd', loss: 'mse' }), (e) => e instanceof UnsupportedKerasConfigurationError && /SeparableConv1D/.test(e.message) && /separable_conv1d/.test(e.message));
  const masked = await loadModel('test/fixtures/masking_bidir_simple_rnn_seq.h5');
  assert.throws(() => masked.compile({ optimizer: 'sgd', loss: 'mse' }), (e) => e instanceof UnsupportedKerasConfigurationError && /mask/.test(e.message));
  const noise = await loadModel('test/fixtures/layers/identity_layers_tf.h5');
  assert.throws(() => noise.compile({ optimizer: 'sgd', loss: 'mse' }), (e) => e instanceof UnsupportedKerasConfigurationError && /GaussianDropout/.test(e.message));
});

test('BatchNormalization moves moving_mean / moving_variance towards the batch statistics by momentum; frozen it is refused', async () => {
  const model = await loadModel('test/fixtures/layers/batchnorm_k3.keras');
  const r = rng(3);
  const [B, T, C] = [4, model.inputs[0].shape[1], model.inputs[0].shape[2]];
  const x = Float32Array.from({ length: B * T * C }, () => 2 * r());
  const before = model.getWeights();
  // lr 0: only the statistics change
  model.compile({ optimizer: { class_name: 'SGD', config: { learning_rate: 0 } }, loss: 'mse' });
  await model.trainOnBatch({ data: x, shape: [B, T, C] }, { data: new Float32Array(B * T * model.outputs[0].shape[2]), shape: [B, T, model.outputs[0].shape[2]] });
  const after = model.getWeights();
  const first = before[0];
  const momentum = 0.99; // the fixture's layers keep Keras' default
  const mean = new Float64Array(C);
  const variance = new Float64Array(C);
  for (let i = 0; i < B * T; i++) for (let c = 0; c < C; c++) mean[c] += x[i * C + c] / (B * T);
  for (let i = 0; i < B * T; i++) for (let c = 0; c < C; c++) variance[c] += (x[i * C + c] - mean[c]) ** 2 / (B * T);
  const byName = (l, n) => l.weights.find((w) => w.name.endsWith(n)).data;
  for (let c = 0; c < C; c++) {
    const m = byName(first, 'moving_mean')[c] * momentum + mean[c] * (1 - momentum);
    const v = byName(first, 'moving_variance')[c] * momentum + variance[c] * (1 - momentum);
    assert.ok(Math.abs(byName(after[0], 'moving_mean')[c] - m) < 1e-6, `moving_mean[${c}]`);
    assert.ok(Math.abs(byName(after[0], 'moving_variance')[c] - v) < 1e-6, `moving_variance[${c}]`);
  }
  assert.equal(Array.from(byName(after[0], 'gamma')), Array.from(byName(first, 'gamma')), 'gamma unchanged at lr 0');
  const frozen = await loadModel('test/fixtures/layers/batchnorm_k3.keras');
  frozen.layers.find((l) => l.className === 'BatchNormalization').trainable = false;
  frozen.compile({ optimizer: 'sgd', loss: 'mse' });
  try {
    await frozen.trainOnBatch({ data: x, shape: [B, T, C] }, { data: new Float32Array(B * T * C), shape: [B, T, C] });
    assert.unreachable('a frozen BatchNormalization trains');
  } catch (e) {
    assert.ok(e instanceof UnsupportedKerasConfigurationError && /frozen BatchNormalization/.test(e.message), String(e));
  }
});

test.run();
