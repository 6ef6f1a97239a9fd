// The low-precision sequence kernels (assembly/low-precision-sequence.ts: int8 for LSTM, GRU and
// SimpleRNN, bf16 for GRU) against the float64 reference of the math they claim: the Keras cell
// run with the *dequantised* recurrent matrix (int8: scale[c] * q[k][c]; bf16: the stored upper
// 16 bits). The quantised values are read back from wasm memory and checked against the
// quantisation rule itself (s = max|w| / 127, q = round-half-even(w / s) in float32; bf16 =
// float32 rounded to nearest even), so both the packers and the kernels are pinned.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadKernels, rng, assertClose } from './harness.js';
import { ACT } from './reference.js';
import { LSTM_SEQUENCE_PARAMS, GRU_SEQUENCE_PARAMS, SIMPLE_RNN_SEQUENCE_PARAMS } from '../../dist/wasm/kernel-exports.js';
import { lstmRef, gruRef, simpleRnnRef, packFused, inputProjection, putState, getState } from './rnn-reference.js';

const K = loadKernels();
const SENT = 31337;

/** Round half to even of a float64 (the result of a float32 division). */
function rint(v) {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** float32 value x rounded to bfloat16 (nearest, ties to even), as a number. */
function bf16Of(x) {
  const bits = new Uint32Array(Float32Array.of(x).buffer)[0];
  const lower = bits & 0xffff;
  let upper = bits >>> 16;
  if (lower > 0x8000 || (lower === 0x8000 && upper & 1)) upper += 1;
  return new Float32Array(Uint32Array.of((upper << 16) >>> 0).buffer)[0];
}

/** Where column c of a 16-column panel row sits, in u16 for bf16 or bytes for int8 (assembly/bf16.ts' lane order). */
const bf16Lane = (c) => (c & ~7) + ((c & 7) < 4 ? (c & 7) << 1 : (((c & 7) - 4) << 1) + 1);

/**
 * Packs the Keras fused recurrent matrix mat [U][G*U] as the engine does for the low-precision
 * kernels (recurrent-cell.ts' packCell: one region per gate list, 16-column panels, whole
 * panels per region), checks every stored value against the quantisation rule, and returns the
 * pointers and the dequantised matrix in Keras layout (float64).
 */
function packLow(int8, mat, U, G, UG, regions) {
  const Up = Math.ceil(U / UG) * UG;
  const elem = int8 ? 1 : 2;
  const sizes = regions.map((gates) => Math.ceil((Up * gates.length) / 16) * 16);
  const R = K.alloc(sizes.reduce((n, c) => n + U * c * elem, 0));
  const scales = int8 ? K.alloc(sizes.reduce((n, c) => n + c * 4, 0)) : 0;
  const src = K.putF32(mat);
  const deq = new Float64Array(U * G * U);
  let region = R;
  let regionScales = scales;
  regions.forEach((gates, ri) => {
    const columns = sizes[ri];
    gates.forEach((gate, j) => {
      if (int8) K.k.packGateColumnsInt8(src + gate * U * 4, G * U, U, U, j, gates.length, UG, region, 16, regionScales);
      else K.k.packGateColumnsBf16(src + gate * U * 4, G * U, U, U, j, gates.length, UG, region, 16);
    });
    const bytes = new Uint8Array(K.memory.buffer, region, U * columns * elem).slice();
    const q8 = new Int8Array(bytes.buffer);
    const q16 = new Uint16Array(bytes.buffer);
    const sc = int8 ? K.getF32(regionScales, columns) : null;
    gates.forEach((gate, j) => {
      for (let u = 0; u < U; u++) {
        const col = Math.floor(u / UG) * (UG * gates.length) + j * UG + (u % UG);
        const panel = Math.floor(col / 16);
        let maxAbs = 0;
        for (let k = 0; k < U; k++) maxAbs = Math.max(maxAbs, Math.abs(mat[k * G * U + gate * U + u]));
        const s = Math.fround(maxAbs / 127);
        if (int8) assert.is(sc[col], s, `scale of column ${col}`);
        for (let k = 0; k < U; k++) {
          const w = mat[k * G * U + gate * U + u];
          let v;
          if (int8) {
            const q = q8[panel * U * 16 + k * 16 + bf16Lane(col % 16)]; // int8 bytes use bf16's lane order
            const want = s > 0 ? Math.max(-127, Math.min(127, rint(Math.fround(w / s)))) : 0;
            if (q !== want) assert.unreachable(`int8 q[${k}][${col}] = ${q}, want ${want} (w ${w}, s ${s})`);
            v = s * q;
          } else {
            v = new Float32Array(Uint32Array.of((q16[panel * U * 16 + k * 16 + bf16Lane(col % 16)] << 16) >>> 0).buffer)[0];
            if (v !== bf16Of(w)) assert.unreachable(`bf16 R[${k}][${col}] = ${v}, want ${bf16Of(w)} (w ${w})`);
          }
          deq[k * G * U + gate * U + u] = v;
        }
      }
    });
    region += U * columns * elem;
    regionScales += columns * 4;
  });
  return { R, scales, deq, productRow: Math.max(...sizes) };
}

function makeMask(r, B, T, kind) {
  if (kind === 'none') return null;
  const m = new Uint8Array(B * T);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) m[b * T + t] = kind === 'random' ? (r.next() < 0.65 ? 1 : 0) : t < T - b ? 1 : 0;
  return m;
}

/** Runs one low-precision sequence kernel and compares outputs and final states with the reference. */
function check({ cell, int8, B, T, U, F = 3, maskKind = 'none', reverse = 0, zeroOut = 0, resetAfter = 1, seed = 1, scale = 0.6 }) {
  K.reset();
  const r = rng(seed);
  const G = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
  const UG = cell === 'simple' ? 16 : 4;
  const x = r.array(B * T * F);
  const kernel = r.array(F * G * U, -scale, scale);
  const recurrent = r.array(U * G * U, -scale, scale);
  recurrent[0] = 0; // a column with a zero: q = 0 there
  for (let k = 0; k < U; k++) recurrent[k * G * U + G * U - 1] = 0; // an all-zero column: scale 0
  const bias = r.array(G * U, -0.5, 0.5);
  const recBias = cell === 'gru' && resetAfter ? r.array(3 * U, -0.5, 0.5) : null; // Keras' reset_after = 0 has none
  const h0 = r.array(B * U, -0.8, 0.8);
  const c0 = r.array(B * U, -0.8, 0.8);
  const mask = makeMask(r, B, T, maskKind);
  const regions = cell === 'gru' && !resetAfter ? [[0, 1], [2]] : [Array.from({ length: G }, (_, g) => g)];
  const { xproj, Up } = inputProjection(K, x, B * T, F, kernel, bias, U, G, UG);
  const low = packLow(int8, recurrent, U, G, UG, regions);
  const h = putState(K, h0, B, U, Up, 7.5);
  const c = putState(K, c0, B, U, Up, -3.25);
  const scratch = () => K.putF32(new Float32Array(B * Up).fill(NaN));
  const outSeq = K.putF32(new Float32Array(B * T * U + 8).fill(SENT));
  const outLast = K.putF32(new Float32Array(B * U + 8).fill(SENT));
  const common = {
    xproj, batch: B, steps: T, units: U, recurrentKernel: low.R, h, hScratch: scratch(), outSeq, outLast, mask: mask ? K.putU8(mask) : 0,
    activation: ACT.tanh, recurrentActivation: ACT.sigmoid, reverse, zeroOutputForMask: zeroOut,
    recurrentBf16: int8 ? 0 : 1, recurrentInt8: int8 ? 1 : 0, recurrentScales: low.scales, products: K.alloc(B * low.productRow * 4),
  };
  const opts = { x, B, T, F, U, kernel, recurrent: low.deq, bias, h0, c0, mask, act: ACT.tanh, recAct: ACT.sigmoid, reverse, zeroOutputForMask: zeroOut };
  let ref;
  if (cell === 'lstm') {
    K.k.lstmSequenceLowPrecision(K.params(LSTM_SEQUENCE_PARAMS, { ...common, c, cScratch: scratch() }));
    ref = lstmRef(opts);
  } else if (cell === 'gru') {
    const rb = recBias ? packFused(K, recBias, 1, U, 3, 4, 16).ptr : 0;
    K.k.gruSequenceLowPrecision(K.params(GRU_SEQUENCE_PARAMS, { ...common, recurrentBias: rb, rh: scratch(), resetAfter }));
    ref = gruRef({ ...opts, recBias, resetAfter });
  } else {
    K.k.simpleRnnSequenceLowPrecision(K.params(SIMPLE_RNN_SEQUENCE_PARAMS, common));
    ref = simpleRnnRef(opts);
  }
  const label = `${cell}${cell === 'gru' ? ` ra=${resetAfter}` : ''} ${int8 ? 'int8' : 'bf16'} B=${B} T=${T} U=${U} mask=${maskKind} rev=${reverse} zero=${zeroOut}`;
  const seq = K.getF32(outSeq, B * T * U + 8);
  assertClose(seq.subarray(0, B * T * U), ref.outSeq, { label: `${label} outSeq` });
  assert.equal(Array.from(seq.subarray(B * T * U)), new Array(8).fill(SENT), `${label}: write past outSeq`);
  const last = K.getF32(outLast, B * U + 8);
  assertClose(last.subarray(0, B * U), ref.outLast, { label: `${label} outLast` });
  assert.equal(Array.from(last.subarray(B * U)), new Array(8).fill(SENT), `${label}: write past outLast`);
  assertClose(getState(K, h, B, U, Up), ref.finalStates.flatMap((st) => Array.from(st.h)), { label: `${label} final h` });
  if (cell === 'lstm') assertClose(getState(K, c, B, U, Up), ref.finalStates.flatMap((st) => Array.from(st.c)), { label: `${label} final c` });
  return ref;
}

const CASES = [
  ['lstm', 1],
  ['gru', 1],
  ['gru', 0],
  ['simple', 1],
];

for (const [cell, resetAfter] of CASES) {
  for (const int8 of cell === 'gru' ? [true, false] : [true]) {
    const name = `${cell}${cell === 'gru' ? ` reset_after=${resetAfter}` : ''} ${int8 ? 'int8' : 'bf16'}`;
    test(`${name}: the kernel equals the float64 cell with the dequantised recurrent kernel (batch 1 and 2-4, odd unit counts)`, () => {
      let seed = 1;
      for (const B of [1, 2, 3, 4]) for (const U of [1, 5, 16, 37, 70]) check({ cell, resetAfter, int8, B, T: 6, U, seed: seed++ });
    });
    test(`${name}: masks, go_backwards, zero_output_for_mask`, () => {
      let seed = 200;
      for (const maskKind of ['random', 'post']) for (const reverse of [0, 1]) for (const zeroOut of [0, 1]) {
        check({ cell, resetAfter, int8, B: 3, T: 7, U: 21, maskKind, reverse, zeroOut, seed: seed++ });
        check({ cell, resetAfter, int8, B: 1, T: 5, U: 40, maskKind: maskKind === 'post' ? 'none' : maskKind, reverse, zeroOut, seed: seed++ });
      }
    });
  }
}

test('int8 quantisation: a NaN or an infinite weight makes its column NaN instead of hiding it', () => {
  K.reset();
  const U = 4;
  const mat = new Float32Array(U * U).fill(0.5);
  mat[1 * U + 2] = NaN;
  mat[2 * U + 3] = Infinity;
  const R = K.alloc(U * 16);
  const scales = K.alloc(16 * 4);
  K.k.packGateColumnsInt8(K.putF32(mat), U, U, U, 0, 1, 16, R, 16, scales);
  const s = K.getF32(scales, 4);
  assert.is(s[0], Math.fround(0.5 / 127));
  assert.ok(Number.isNaN(s[2]) && Number.isNaN(s[3]), `scales ${Array.from(s)}`);
});

test.run();
