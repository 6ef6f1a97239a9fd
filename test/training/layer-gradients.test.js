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
import { graphGradients } from '../../dist/training/gradients.js';
import { affine64, check, checkWeightGradients, finiteDifferences, rng, KERAS_ACTIVATIONS } from '../support/gradient-check.js';

const sigmoid = (z) => 1 / (1 + Math.exp(-z));
const ACT = KERAS_ACTIVATIONS;
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
 * masks ([B][sets][D] on the inputs, [B][sets][U] on the state), or null. `init`: initial states
 * [h] or [h, c] ([B][U] each) or null; `final`, if given, receives the last states `{ h, c }`
 * (return_state).
 */
function rnn64(cls, det, w, x, B, T, D, mask, reverse, keras3, drop = null, init = null, final = null) {
  const U = det.units;
  const gates = cls === 'GRU' ? 3 : cls === 'LSTM' ? 4 : 1;
  const G = gates * U;
  const { W, R, b, rb } = fusedWeights(w, gates, U, D);
  const act = ACT[det.activation];
  const gate = cls !== 'SimpleRNN' ? gateFn(det.recurrentActivation, keras3) : null;
  const seq = new Float64Array(B * T * U);
  const last = new Float64Array(B * U);
  if (final) [final.h, final.c] = [new Float64Array(B * U), new Float64Array(B * U)];
  const sets = drop?.sets ?? 1;
  // the input / state gate block j reads, dropped by its mask set
  const xIn = (bi, t, j, d) => x[(bi * T + t) * D + d] * (drop?.xm ? drop.xm[(bi * sets + (sets > 1 ? Math.floor(j / U) : 0)) * D + d] : 1);
  const hIn = (bi, hv, j, k) => hv[k] * (drop?.hm ? drop.hm[(bi * sets + (sets > 1 ? Math.floor(j / U) : 0)) * U + k] : 1);
  for (let bi = 0; bi < B; bi++) {
    let h = init ? init[0].slice(bi * U, (bi + 1) * U) : new Float64Array(U);
    let c = init?.[1] ? init[1].slice(bi * U, (bi + 1) * U) : new Float64Array(U);
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
    if (final) {
      final.h.set(h, bi * U);
      final.c.set(c, bi * U);
    }
  }
  return det.returnSequences ? seq : last;
}

function dense64(det, ws, x, M, K, keras3) {
  return activate(det.activation, affine64(x, M, K, ws[0].data, ws[1]?.data, det.units), det.units, keras3);
}

/** Keras' activation `name` over rows of `cols` (hard_sigmoid by the Keras version). */
function activate(name, y, cols, keras3) {
  if (name === 'log_softmax') {
    for (let m = 0; m < y.length / cols; m++) {
      const row = y.subarray(m * cols, (m + 1) * cols);
      const mx = Math.max(...row);
      const lse = mx + Math.log(row.reduce((a, v) => a + Math.exp(v - mx), 0));
      for (let n = 0; n < cols; n++) row[n] -= lse;
    }
    return y;
  }
  if (name === 'hard_sigmoid') return y.map(KERAS_ACTIVATIONS[keras3 ? 'hard_sigmoid_keras3' : 'hard_sigmoid_keras2']);
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

const CONVOLUTIONS = new Set(['Conv1D', 'Convolution1D', 'AtrousConvolution1D', 'SeparableConv1D', 'DepthwiseConv1D']);

/**
 * The convolution family in float64 from the stored weights: Keras' cross-correlation (Theano
 * files: true convolution, taps reversed, and Theano's "same": floor(span / 2) zeros first, T outputs),
 * `groups` (input channel block g feeds filter block g), DepthwiseConv1D (channel c feeds outputs
 * c · dm + m), SeparableConv1D (depthwise then the [1][C · dm][F] pointwise kernel and bias).
 * Returns the pre-activation y [B][Tout][F].
 */
function conv64(cls, det, ws, x, [B, T, C], theano) {
  const k = det.kernelSize, st = det.strides, dil = det.dilationRate, padding = det.padding;
  const span = (k - 1) * dil + 1;
  const padTotal = padding === 'valid' ? 0 : padding === 'causal' ? span - 1 : padding === 'full' ? 2 * (span - 1) : null;
  const Tout = padTotal === null ? Math.ceil(T / st) : Math.floor((T + padTotal - span) / st) + 1;
  const padLeft = padding === 'causal' || padding === 'full' ? span - 1 : padding === 'same' ? (theano ? Math.floor(span / 2) : Math.floor(Math.max((Tout - 1) * st + span - T, 0) / 2)) : 0;
  const depthwise = cls === 'SeparableConv1D' || cls === 'DepthwiseConv1D';
  const dm = det.depthMultiplier ?? 1;
  // the tap-j weight from input channel c to output f, 0 when they are in different groups
  const W = ws[0].data;
  let F, tap;
  if (depthwise) {
    F = C * dm;
    tap = (j, c, f) => (Math.floor(f / dm) === c ? W[(j * C + c) * dm + (f % dm)] : 0);
  } else {
    F = det.filters;
    const groups = det.groups ?? 1;
    const cg = C / groups, fg = F / groups;
    tap = (j, c, f) => (Math.floor(c / cg) === Math.floor(f / fg) ? W[(j * cg + (c % cg)) * F + f] : 0);
  }
  const bias = cls === 'SeparableConv1D' ? null : ws[1]?.data;
  const filters = cls === 'SeparableConv1D' ? det.filters : F;
  const out = new Float64Array(B * Tout * F);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < Tout; t++)
      for (let f = 0; f < F; f++) {
        let v = bias ? bias[f] : 0;
        for (let j = 0; j < k; j++) {
          const s = t * st - padLeft + j * dil;
          if (s < 0 || s >= T) continue;
          for (let c = 0; c < C; c++) v += x[(b * T + s) * C + c] * tap(theano ? k - 1 - j : j, c, f);
        }
        out[(b * Tout + t) * F + f] = v;
      }
  const y = cls === 'SeparableConv1D' ? affine64(out, B * Tout, F, ws[1].data, ws[2]?.data, det.filters) : out;
  return { y, Tout, F: filters };
}

/**
 * x [shape] with `axes` moved last (in their order) and flattened into C columns, and the inverse
 * (back(y) puts such a [rows][C] array back into x's layout).
 */
function axesLast(x, shape, axes) {
  const rank = shape.length;
  const perm = [...shape.keys()].filter((a) => !axes.includes(a)).concat([...axes].sort((a, b) => a - b));
  const pShape = perm.map((a) => shape[a]);
  const strides = shape.map((_, a) => shape.slice(a + 1).reduce((p, q) => p * q, 1));
  // source index in x of each element of the permuted array
  const src = Array.from({ length: x.length }, (_, o) => {
    let rest = o, at = 0;
    for (let i = rank - 1; i >= 0; i--) {
      at += (rest % pShape[i]) * strides[perm[i]];
      rest = Math.floor(rest / pShape[i]);
    }
    return at;
  });
  const C = axes.reduce((p, a) => p * shape[a], 1);
  const back = (y) => {
    const out = new Float64Array(y.length);
    src.forEach((at, o) => (out[at] = y[o]));
    return out;
  };
  return { y: Float64Array.from(src, (at) => x[at]), C, back };
}

const MERGES = new Set(['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate']);

/**
/**
 * The model in float64: layers (className, details, inbound tensors per call), weights by layer
 * name (float64 copies), the model inputs by name ({ y, shape }); returns the tensors `outputs`
 * ({ layer, tensor } of call 0) as `outs` and the regularization penalty. Calls run as soon as
 * their inputs exist (a shared layer's later calls too); extra inputs of a recurrent call are its
 * initial states, return_state adds [h, c]. What the layers' details do not carry comes from the
 * fixture script: `theano` (the file's backend), Dropout `noiseShapes` and `regularizers` ({ layer:
 * { weights: { index: [l1, l2] }, activity: [l1, l2] } }) by layer name.
 */
function forward64(layers, weights, inputs, keras3, outputs, { theano = false, noiseShapes = {}, regularizers = {}, configs = new Map(), version = '' } = {}) {
  const values = new Map();
  let dropoutState = 1;
  let penalty = 0;
  const draw = () => {
    dropoutState ^= dropoutState << 13;
    dropoutState ^= dropoutState >>> 17;
    dropoutState ^= dropoutState << 5;
    return dropoutState >>> 8;
  };
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
  const pending = [];
  for (const l of layers) {
    if (l.className === 'InputLayer') values.set(`${l.name}[0][0]`, { ...inputs.get(l.name), mask: null });
    else l.inbound.forEach((_, k) => pending.push([l, k]));
  }
  while (pending.length) {
    const next = pending.findIndex(([l, k]) => l.inbound[k].every((ref) => values.has(ref)));
    const [l, call] = pending.splice(next, 1)[0];
    const det = l.details;
    const ws = weights.get(l.name) ?? [];
    const cls = l.className;
    const ins = l.inbound[call].map((ref) => values.get(ref));
    const extra = [];
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
      // Keras' merge masks: AND of the masks present (Keras 1 / 2; Concatenate always); Keras 3.4+: OR when every input has one
      const ms = ins.map((v) => v.mask);
      const present = ms.filter((m) => m);
      const and = !keras3 || cls === 'Concatenate';
      mask = present.length === 0 || (!and && present.length < ms.length) ? null : present.reduce((a, m) => a.map((v, i) => (and ? v & m[i] : v | m[i])));
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
      const final = det.returnState ? {} : null;
      const init = ins.length > 1 ? ins.slice(1).map((v) => v.y) : null;
      // Keras 3 hands a call with initial_state no mask (keras/semantics.ts callReceivesMask)
      if (init && keras3) mask = null;
      cur = rnn64(cls, det, ws, cur, B, T, D, mask, det.goBackwards, keras3, dropOf(cls, configs.get(l.name), B, D, det.units), init, final);
      if (final) extra.push(final.h, ...(cls === 'LSTM' ? [final.c] : []));
      shape = det.returnSequences ? [B, T, det.units] : [B, det.units];
      if (!det.returnSequences) mask = null;
    } else if (cls === 'CuDNNLSTM' || cls === 'CuDNNGRU') {
      const [B, T, D] = shape;
      const lstm = cls === 'CuDNNLSTM';
      const plain = cudnnToPlain(ws, lstm ? 4 : 3, det.units, D);
      const cell = { units: det.units, returnSequences: det.returnSequences, activation: 'tanh', recurrentActivation: 'sigmoid', resetAfter: true };
      const final = det.returnState ? {} : null;
      const init = ins.length > 1 ? ins.slice(1).map((v) => v.y) : null;
      cur = rnn64(lstm ? 'LSTM' : 'GRU', cell, plain, cur, B, T, D, null, false, keras3, null, init, final);
      if (final) extra.push(final.h, ...(lstm ? [final.c] : []));
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
      // Keras' initial_state: the first half of the list for the forward copy, the second for the backward one
      const init = ins.length > 1 ? ins.slice(1).map((v) => v.y) : null;
      const finals = det.forward.returnState ? [{}, {}] : [null, null];
      const half = (d, w, inner, st, final) => {
        if (!d.className.startsWith('CuDNN')) return rnn64(d.className, d, w, cur, B, T, D, mask, d.goBackwards, keras3, dropOf(d.className, inner, B, D, d.units), st, final);
        const lstm = d.className === 'CuDNNLSTM';
        const cell = { units: d.units, returnSequences: d.returnSequences, activation: 'tanh', recurrentActivation: 'sigmoid', resetAfter: true };
        return rnn64(lstm ? 'LSTM' : 'GRU', cell, cudnnToPlain(w, lstm ? 4 : 3, d.units, D), cur, B, T, D, null, d.goBackwards, keras3, null, st, final);
      };
      const f = half(det.forward, ws.slice(0, nf), cfg.layer?.config, init?.slice(0, init.length / 2) ?? null, finals[0]);
      let b = half(det.backward, ws.slice(nf), (cfg.backward_layer ?? cfg.layer)?.config, init?.slice(init.length / 2) ?? null, finals[1]);
      [det.forward, det.backward].forEach((d, k) => finals[k] && extra.push(finals[k].h, ...(/LSTM$/.test(d.className) ? [finals[k].c] : [])));
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
      cur = dense64(d, ws, cur, cur.length / K, K, keras3);
      shape = [...shape.slice(0, -1), d.units];
    } else if (CONVOLUTIONS.has(cls) || (cls === 'TimeDistributed' && CONVOLUTIONS.has(det.layer.className))) {
      // TimeDistributed: the inner convolution over (batch * steps) sequences
      const inner = cls === 'TimeDistributed' ? det.layer : det;
      const innerCls = cls === 'TimeDistributed' ? det.layer.className : cls;
      const folded = cls === 'TimeDistributed' ? [shape[0] * shape[1], ...shape.slice(2)] : shape;
      const { y, Tout, F } = conv64(innerCls, inner, ws, cur, folded, theano);
      cur = activate(inner.activation, y, F, keras3);
      shape = cls === 'TimeDistributed' ? [shape[0], shape[1], Tout, F] : [shape[0], Tout, F];
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
      // over `axis` (LayerNormalization: the normalised axes, BatchNormalization: the channel axis),
      // gathered last; BatchNormalization in training mode: statistics of the batch (biased variance)
      const { y: moved, C, back } = axesLast(cur, shape, det.axis);
      const rows = cur.length / C;
      cur = moved;
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
      cur = back(out);
    } else if (cls === 'Dropout' && !noiseShapes[l.name]) {
      // the trainer's documented mask generator: xorshift32 from seed 1, keep if u >= rate, scale 1/(1-rate) (float32)
      const keep = Math.fround(1 / Math.fround(1 - Math.fround(det.rate)));
      cur = cur.map((v) => {
        dropoutState ^= dropoutState << 13;
        dropoutState ^= dropoutState >>> 17;
        dropoutState ^= dropoutState << 5;
        const u = Math.fround((dropoutState >>> 8) / 16777216);
        return u >= Math.fround(det.rate) ? v * keep : 0;
      });
    } else if (cls === 'Dropout' && noiseShapes[l.name]) {
      // the generator's draws over the noise shape (1 = broadcast), as Dropout's noise_shape
      const ns = noiseShapes[l.name].map((d, i) => d ?? shape[i]);
      const keep = Math.fround(1 / Math.fround(1 - Math.fround(det.rate)));
      const m = Array.from({ length: ns.reduce((a, b) => a * b, 1) }, () => {
        dropoutState ^= dropoutState << 13;
        dropoutState ^= dropoutState >>> 17;
        dropoutState ^= dropoutState << 5;
        return Math.fround((dropoutState >>> 8) / 16777216) >= Math.fround(det.rate) ? keep : 0;
      });
      cur = cur.map((v, i) => {
        let rest = i, at = 0, stride = 1;
        for (let ax = shape.length - 1; ax >= 0; ax--) {
          at += (ns[ax] === 1 ? 0 : rest % shape[ax]) * stride;
          stride *= ns[ax];
          rest = Math.floor(rest / shape[ax]);
        }
        return v * m[at];
      });
    } else if (cls === 'GaussianDropout') {
      // x * (1 + sqrt(rate / (1 - rate)) z), z by the generator's Box-Muller as GaussianNoise (noise rounded to float32)
      const sd = Math.fround(Math.sqrt(det.rate / (1 - det.rate)));
      cur = cur.map((v) => {
        const u1 = (draw() + 1) / 16777216;
        const u2 = draw() / 16777216;
        return v * Math.fround(1 + Math.fround(sd * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2)));
      });
    } else if (cls === 'AlphaDropout') {
      // Keras: kept = u >= rate; a (x kept + alpha' (1 - kept)) + b
      const alphaP = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946;
      const a = ((1 - det.rate) * (1 + det.rate * alphaP ** 2)) ** -0.5;
      const b = -a * alphaP * det.rate;
      cur = cur.map((v) => ((draw() / 16777216 >= Math.fround(det.rate)) ? a * v + b : a * alphaP + b));
    } else if (cls === 'ActivityRegularization') {
      // the identity; its penalty is added below
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
      const { y: moved, C, back } = axesLast(cur, shape, det.axis);
      cur = back(activate('softmax', moved, C));
    } else if (cls === 'Activation') {
      cur = activate(det.activation, Float64Array.from(cur), shape[shape.length - 1], keras3);
    } else throw new Error(`no float64 reference for ${cls}`);
    // Keras' regularization losses: l1 sum|w| + l2 sum w^2 per regularized weight (once per layer);
    // on the output for activity regularizers (per call), divided by the batch size in Keras 1 / 2, not in Keras 3
    const reg = regularizers[l.name];
    if (reg) {
      const l1l2 = ([l1, l2], a) => a.reduce((s, v) => s + Math.fround(l1) * Math.abs(v) + Math.fround(l2) * v * v, 0);
      if (call === 0) for (const [i, p] of Object.entries(reg.weights ?? {})) penalty += l1l2(p, ws[i].data);
      if (reg.activity) penalty += l1l2(reg.activity, cur) / (keras3 ? 1 : shape[0]);
    }
    values.set(`${l.name}[${call}][0]`, { y: cur, shape, mask });
    extra.forEach((y, i) => values.set(`${l.name}[${call}][${i + 1}]`, { y, shape: [shape[0], det.units ?? y.length / shape[0]], mask: null }));
  }
  return { outs: outputs.map((o) => values.get(`${o.layer}[0][${o.tensor}]`)), penalty };
}

const dot = (a, r) => a.reduce((s, v, i) => s + v * r[i], 0);

let memory;
async function mem() {
  memory ??= new WasmMemory(await instantiateKernels());
  return memory;
}

/**
 * Checks one fixture model: gradients of every weight array and (unless ids) of every input,
 * loss = sum over outputs of (r_k · output_k). `maskRows`: [b, t] time steps set to the mask
 * value 0 (Masking) or id 0 (Embedding). Inputs of rank 2 with a known last axis (initial states
 * fed as model inputs) get [B, units] values.
 */
async function checkModel(file, { B = 2, T, ids = 0, maskRows = [], seed = 5, scale = 1, noiseShapes = {}, regularizers = {} } = {}) {
  const model = await loadModel(file);
  if (ids === 'vocab') ids = model.layers.find((l) => l.className === 'Embedding').details.inputDim;
  const r = rng(seed);
  const xs = model.inputs.map((input) => {
    const inShape = input.shape;
    const steps = T ?? inShape[1] ?? 5;
    const xShape = ids ? [B, steps] : inShape.length === 2 ? [B, inShape[1]] : [B, steps, ...inShape.slice(2)];
    const n = xShape.reduce((a, b) => a * b, 1);
    const x = Float64Array.from(Float32Array.from({ length: n }, () => (ids ? 1 + Math.floor((r() + 0.5) * (ids - 1)) : 2 * scale * r())));
    const F = xShape.slice(2).reduce((a, b) => a * b, 1);
    // maskRows: one list for every input, or lists by input name
    const rows = Array.isArray(maskRows) ? maskRows : (maskRows[input.name] ?? []);
    for (const [b, t] of rows) x.fill(0, (b * steps + t) * F, (b * steps + t + 1) * F);
    const masked = (i) => rows.some(([b, t]) => Math.floor(i / F) === b * steps + t);
    return { name: input.name, x, xShape, masked };
  });
  const inputs = new Map(xs.map((v) => [v.name, { y: v.x, shape: v.xShape }]));
  const weights = new Map(model.getWeights().map((l) => [l.layer, l.weights.map((w) => ({ name: w.name, data: Float64Array.from(w.data) }))]));
  const keras3 = model.generation.major >= 3 && model.generation.runtime !== 'tfjs';
  const configs = new Map(model.graphForSaving.nodes.map((node) => [node.layer.spec.name, node.layer.spec.config]));
  const options = { theano: model.generation.backend === 'theano', noiseShapes, regularizers, configs, version: model.generation.version };
  const run = () => forward64(model.layers, weights, inputs, keras3, model.outputs, options);
  const ref = run();
  const rw = ref.outs.map((o) => Float64Array.from(Float32Array.from({ length: o.y.length }, () => 2 * r())));
  const loss = () => {
    const f = run();
    return f.outs.reduce((s, o, k) => s + dot(o.y, rw[k]), f.penalty);
  };
  const arrays = new Map([...weights].map(([k, ws]) => [k, ws.map((w) => Float32Array.from(w.data))]));
  const g = graphGradients(await mem(), model.graphForSaving, model.generation, arrays, xs.map((v) => ({ data: Float32Array.from(v.x), shape: v.xShape })), rw.map((w) => Float32Array.from(w)));
  let worst = check(`${file} regularization penalty`, [g.penalty], [ref.penalty]);
  ref.outs.forEach((o, k) => {
    worst = Math.max(worst, check(`${file} output ${k}`, g.ys[k].data, o.y));
    assert.equal(g.ys[k].shape.slice(1), o.shape.slice(1), `${file} output ${k} shape`);
  });
  if (!ids) {
    xs.forEach((v, i) => {
      worst = Math.max(worst, check(`${file} d${v.name}`, g.dxs[i], finiteDifferences(v.x, loss, v.masked)));
      // masked steps are zeroed by Masking: no gradient reaches them
      for (let j = 0; j < v.x.length; j++) if (v.masked(j)) assert.is(g.dxs[i][j], 0, `${file} dx at a masked step`);
    });
  }
  worst = Math.max(worst, checkWeightGradients(file, weights, g.grads, loss));
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
  // graphs: two inputs and two outputs, a Dense and an LSTM shared by both inputs (gradients summed over calls), Add, Concatenate, GRU
  ['two inputs, two outputs, shared Dense and LSTM, Add, Concatenate, GRU', 'test/fixtures/training/train_multi_io_shared.h5', { B: 3 }],
  // encoder-decoder: the encoder LSTM's returned [h, c] are the decoder LSTM's initial states
  ['encoder LSTM return_state -> decoder LSTM initial_state -> Dense', 'test/fixtures/training/train_seq2seq_states.h5', { B: 3 }],
  ['seq2seq with states, softmax decoder, tf.keras 2.6', 'test/fixtures/seq2seq_initial_state.h5', { T: 4 }],
  // initial states fed as model inputs (three inputs; their gradients are the model inputs')
  ['LSTM initial_state from two model inputs -> Dense', 'test/fixtures/training/grad_decoder_state_inputs.h5', { B: 3 }],
  // return_state as model outputs: the sequence, h (also through a Dense) and c each get a gradient
  ['LSTM sequence and returned [h, c] as model outputs', 'test/fixtures/training/grad_lstm_state_outputs.h5', { B: 3 }],
  // GRU / SimpleRNN initial states and return_state ([output, h]): encoder-decoders, a state fed as a model input, returned states as model outputs
  ['encoder GRU return_state -> decoder GRU (reset_after=False) initial_state -> Dense', 'test/fixtures/training/train_gru_seq2seq_states.h5', { B: 3 }],
  ['encoder SimpleRNN (go_backwards) return_state -> decoder SimpleRNN initial_state -> Dense', 'test/fixtures/training/grad_simple_rnn_seq2seq_states.h5', { B: 3 }],
  ['GRU initial_state from a model input -> Dense', 'test/fixtures/training/grad_gru_state_input.h5', { B: 3 }],
  ['GRU (go_backwards) sequence and returned h as model outputs -> GRU return_state', 'test/fixtures/training/grad_gru_state_outputs.h5', { B: 3 }],
  ['GRU return_state encoder, tf.keras', 'test/fixtures/return_state_encoder.h5', {}],
  ['CuDNNLSTM [h, c] -> CuDNNLSTM decoder; CuDNNGRU h -> CuDNNGRU decoder return_state -> [Dense, h]', 'test/fixtures/training/grad_cudnn_states.h5', { B: 3 }],
  ['Bidirectional(GRU) return_state [fh, bh] -> Bidirectional(GRU) initial_state; Bidirectional(LSTM go_backwards) sum [y, fh, fc, bh, bc] as outputs', 'test/fixtures/training/grad_bidir_states.h5', { B: 3 }],
  ['LSTM(units not a multiple of 4) initial_state from model inputs (the general path)', 'test/fixtures/decoder_initial_state_inputs.h5', {}],
  // masks with states (tf.keras: the call with initial_state receives its sequence's mask); masked last steps carry the state out
  [
    'Masking -> GRU return_state -> Masking -> GRU initial_state, return_state (last step) -> [Dense, h]',
    'test/fixtures/training/grad_masked_gru_states.h5',
    { B: 3, maskRows: { encoder_inputs: [[0, 4], [1, 0], [2, 2]], decoder_inputs: [[0, 3], [2, 1], [2, 0]] } },
  ],
  [
    'Masking -> LSTM(8) return_state -> Masking -> LSTM(8) initial_state [h, c] -> Dense',
    'test/fixtures/training/grad_masked_lstm_states.h5',
    { B: 3, maskRows: { encoder_inputs: [[0, 4], [1, 0], [2, 2]], decoder_inputs: [[0, 3], [2, 1], [2, 0]] } },
  ],
  // masks reaching merges: each input masked at other steps; Add and Concatenate AND them (tf.keras), the GRU / SimpleRNN after them skip those steps
  [
    'Masking on two inputs -> Dense -> Add -> GRU, Concatenate -> SimpleRNN (merged masks)',
    'test/fixtures/training/grad_masks_into_merges.h5',
    { B: 3, maskRows: { in_a: [[0, 4], [1, 0], [2, 2]], in_b: [[0, 3], [0, 4], [1, 1], [2, 4]] } },
  ],
  // noise layers, Dropout noise_shape, ActivityRegularization, weight and activity regularizers (tf.keras: activity / batch)
  [
    'Dense(regularizers) -> GaussianDropout -> AlphaDropout -> Dropout(noise_shape) -> ActivityRegularization -> LSTM(regularizers) -> Dense(selu), tf.keras',
    'test/fixtures/training/grad_noise_regularizers_tf.h5',
    {
      B: 3,
      noiseShapes: { dropout: [null, 1, null] },
      regularizers: {
        dense: { weights: { 0: [0.01, 0.02], 1: [0, 0.03] }, activity: [0.05, 0] },
        activity_regularization: { activity: [0.02, 0.03] },
        lstm: { weights: { 0: [0, 0.01], 1: [0.02, 0], 2: [0.01, 0.01] } },
      },
    },
  ],
  [
    'Dense(gelu, regularizers) -> ActivityRegularization -> Dense(mish, bias_regularizer), Keras 3 (activity not / batch)',
    'test/fixtures/training/grad_regularizers_k3.keras',
    { B: 3, regularizers: { dense: { weights: { 0: [0, 0.02] }, activity: [0.01, 0.02] }, activity_regularization: { activity: [0.01, 0.02] }, dense_1: { weights: { 1: [0.05, 0] } } } },
  ],
  // the convolution family: grouped Conv1D, SeparableConv1D, DepthwiseConv1D (regularizers), activations beyond the first five
  [
    'Conv1D(groups 2, swish) -> SeparableConv1D(causal, softplus) -> DepthwiseConv1D(hard_sigmoid) -> Dense(elu) -> Dense(softsign) -> log_softmax, tf.keras',
    'test/fixtures/training/grad_conv_activations_tf.h5',
    { regularizers: { conv1d: { weights: { 0: [0, 0.01] } }, separable_conv1d: { weights: { 0: [0.01, 0], 1: [0, 0.02] } } } },
  ],
  ['TimeDistributed(Conv1D relu6) -> TimeDistributed(Dense exponential) on [batch, 3, 6, 2]', 'test/fixtures/training/grad_td_conv_tf.h5', {}],
  ['Convolution1D valid relu / same stride 2, Keras 1', 'test/fixtures/layers/conv1d_k1.h5', {}],
  ['Convolution1D, Keras 1.0 (F, C, k, 1) kernel layout', 'test/fixtures/layers/conv1d_k11_layout.h5', {}],
  ['Convolution1D (k, 1, C, F), Keras 1.1', 'test/fixtures/layers/conv1d_k11_new_layout.h5', {}],
  ['Convolution1D same, even kernel, Keras 1 Theano (flipped taps)', 'test/fixtures/layers/conv1d_k1_theano.h5', {}],
  ['AtrousConvolution1D, Keras 1', 'test/fixtures/layers/atrous_conv1d_k1.h5', {}],
  ['Conv1D same / valid stride 2, Keras 2 Theano', 'test/fixtures/layers/conv1d_k2_theano.h5', {}],
  ['Conv1D causal dilation 2, same stride 2, valid groups 2, tf.keras', 'test/fixtures/layers/conv1d_tf.h5', {}],
  ['Conv1D same groups 3, causal dilation 3, Keras 3', 'test/fixtures/layers/conv1d_k3.keras', {}],
  ['SeparableConv1D same dm 2 tanh, causal dilation 2 without bias, tf.keras', 'test/fixtures/layers/separable_conv1d_tf.h5', {}],
  ['SeparableConv1D valid stride 2, Keras 3', 'test/fixtures/layers/separable_conv1d_k3.keras', {}],
  ['DepthwiseConv1D same dm 2 relu, tf.keras', 'test/fixtures/layers/depthwise_conv1d_tf.h5', {}],
  // reductions over other axes: LayerNormalization over [2], [1, 2], [1]; BatchNormalization over axis 1; Softmax over 1 and [1, 2]
  ['LayerNormalization over the last axis, axes [1, 2] (gamma (T, F)) and axis 1, tf.keras', 'test/fixtures/layers/layernorm_tf.h5', {}],
  ['BatchNormalization axis 1 (per time step), then without center / scale, Keras 2', 'test/fixtures/layers/batchnorm_k2.h5', { B: 3 }],
  ['Softmax over axis 1 -> Dense -> Softmax over axes [1, 2], tf.keras', 'test/fixtures/training/grad_softmax_axes_tf.h5', {}],
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
  const orthogonal = await loadModel('test/fixtures/training/refuse_orthogonal_regularizer_tf.h5');
  assert.throws(() => orthogonal.compile({ optimizer: 'sgd', loss: 'mse' }), (e) => e instanceof UnsupportedKerasConfigurationError && /OrthogonalRegularizer/.test(e.message) && /kernel_regularizer/.test(e.message));
  const masked = await loadModel('test/fixtures/masking_bidir_simple_rnn_seq.h5');
  assert.throws(() => masked.compile({ optimizer: 'sgd', loss: 'mse' }), (e) => e instanceof UnsupportedKerasConfigurationError && /mask/.test(e.message));
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
