import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadKernels, rng, assertClose } from './harness.js';
import { LSTM_SEQUENCE_PARAMS } from '../../dist/wasm/kernel-exports.js';
import { ACT } from './reference.js';
import { lstmRef, packFused, inputProjection, putState, getState } from './rnn-reference.js';

const K = loadKernels();
const SENT = 31337;

function makeMask(r, B, T, kind) {
  if (kind === 'none') return null;
  const m = new Uint8Array(B * T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      if (kind === 'random') m[b * T + t] = r.next() < 0.65 ? 1 : 0;
      else if (kind === 'post') m[b * T + t] = t < T - b ? 1 : 0; // right padding, row b loses b steps
      else if (kind === 'pre') m[b * T + t] = t >= b + 1 ? 1 : 0; // left padding
    }
  }
  if (kind === 'random' && B > 1) for (let t = 0; t < T; t++) m[T + t] = 0; // a fully masked row
  return m;
}

/** Runs lstmSequence like the engine would and compares everything against the reference. */
function check({ B, T, U, F = 3, maskKind = 'none', reverse = 0, zeroOut = 0, act = ACT.tanh, recAct = ACT.sigmoid,
  withSeq = true, withLast = true, zeroInit = false, seed = 1, scale = 0.6 }) {
  K.reset();
  const r = rng(seed);
  const x = r.array(B * T * F, -1, 1);
  const kernel = r.array(F * 4 * U, -scale, scale);
  const recurrent = r.array(U * 4 * U, -scale, scale);
  const bias = r.array(4 * U, -0.5, 0.5);
  const h0 = zeroInit ? new Float32Array(B * U) : r.array(B * U, -0.8, 0.8);
  const c0 = zeroInit ? new Float32Array(B * U) : r.array(B * U, -0.8, 0.8);
  const mask = makeMask(r, B, T, maskKind);

  const { xproj, Up } = inputProjection(K, x, B * T, F, kernel, bias, U, 4, 4);
  const Rp = packFused(K, recurrent, U, U, 4, 4, 16).ptr;
  const h = putState(K, h0, B, U, Up, 7.5);
  const c = putState(K, c0, B, U, Up, -3.25);
  const hs = K.putF32(new Float32Array(B * Up).fill(NaN));
  const cs = K.putF32(new Float32Array(B * Up).fill(NaN));
  const outSeq = withSeq ? K.putF32(new Float32Array(B * T * U + 8).fill(SENT)) : 0;
  const outLast = withLast ? K.putF32(new Float32Array(B * U + 8).fill(SENT)) : 0;
  const pm = mask ? K.putU8(mask) : 0;
  K.k.lstmSequence(K.params(LSTM_SEQUENCE_PARAMS, {
    xproj, batch: B, steps: T, units: U, recurrentKernel: Rp, h, c, hScratch: hs, cScratch: cs,
    outSeq, outLast, mask: pm, activation: act, recurrentActivation: recAct, reverse, zeroOutputForMask: zeroOut,
  }));

  const ref = lstmRef({ x, B, T, F, U, kernel, recurrent, bias, h0, c0, mask, act, recAct, reverse, zeroOutputForMask: zeroOut });
  const label = `B=${B} T=${T} U=${U} mask=${maskKind} rev=${reverse} zero=${zeroOut} act=${act}/${recAct}`;
  if (withSeq) {
    const got = K.getF32(outSeq, B * T * U + 8);
    assertClose(got.subarray(0, B * T * U), ref.outSeq, { label: `${label} outSeq` });
    assert.equal(Array.from(got.subarray(B * T * U)), new Array(8).fill(SENT), `${label}: write past outSeq`);
  }
  if (withLast) {
    const got = K.getF32(outLast, B * U + 8);
    assertClose(got.subarray(0, B * U), ref.outLast, { label: `${label} outLast` });
    assert.equal(Array.from(got.subarray(B * U)), new Array(8).fill(SENT), `${label}: write past outLast`);
  }
  const hf = ref.finalStates.flatMap((st) => Array.from(st.h));
  const cf = ref.finalStates.flatMap((st) => Array.from(st.c));
  assertClose(getState(K, h, B, U, Up), hf, { label: `${label} final h` });
  assertClose(getState(K, c, B, U, Up), cf, { label: `${label} final c` });
  for (const v of K.getF32(h, B * Up)) assert.ok(Number.isFinite(v), `${label}: non-finite value in h (padding lanes included)`);
  for (const v of K.getF32(c, B * Up)) assert.ok(Number.isFinite(v), `${label}: non-finite value in c (padding lanes included)`);
}

test('lstmSequence matches the Keras reference over B x T x U (tanh/sigmoid, no mask)', () => {
  let seed = 1;
  for (const B of [1, 3, 5]) for (const T of [1, 7]) for (const U of [1, 5, 16, 33]) check({ B, T, U, seed: seed++ });
});

test('lstmSequence with masks (random incl. fully masked row, post- and pre-padding) and zeroOutputForMask', () => {
  let seed = 100;
  for (const maskKind of ['random', 'post', 'pre']) {
    for (const zeroOut of [0, 1]) {
      for (const [B, T, U] of [[3, 7, 5], [5, 7, 16], [1, 7, 33], [2, 4, 3]]) {
        check({ B, T, U, maskKind, zeroOut, seed: seed++ });
        check({ B, T, U, maskKind, zeroOut, zeroInit: true, seed: seed++ });
      }
    }
  }
});

test('lstmSequence go_backwards (reverse), with and without mask', () => {
  let seed = 200;
  for (const [B, T, U] of [[1, 7, 5], [3, 7, 16], [5, 1, 33], [4, 6, 7]]) {
    check({ B, T, U, reverse: 1, seed: seed++ });
    check({ B, T, U, reverse: 1, maskKind: 'post', seed: seed++ });
    check({ B, T, U, reverse: 1, maskKind: 'pre', zeroOut: 1, seed: seed++ });
  }
});

test('lstmSequence with other activations (relu, hard_sigmoid Keras 2/3, linear, elu, softsign)', () => {
  const combos = [
    [ACT.relu, ACT.hard_sigmoid], [ACT.tanh, ACT.hard_sigmoid], [ACT.relu, ACT.sigmoid],
    [ACT.linear, ACT.hard_sigmoid_k3], [ACT.elu, ACT.sigmoid], [ACT.softsign, ACT.hard_sigmoid],
    [ACT.tanh, ACT.tanh], [ACT.swish, ACT.sigmoid],
  ];
  let seed = 300;
  for (const [act, recAct] of combos) {
    for (const [B, T, U] of [[3, 7, 5], [1, 7, 16], [5, 3, 33]]) check({ B, T, U, act, recAct, scale: 0.3, seed: seed++ });
  }
});

test('lstmSequence with only outSeq, only outLast, or neither (state only)', () => {
  check({ B: 3, T: 7, U: 5, withLast: false, seed: 400 });
  check({ B: 3, T: 7, U: 5, withSeq: false, seed: 401 });
  check({ B: 3, T: 6, U: 16, withSeq: false, withLast: false, seed: 402 });
  check({ B: 2, T: 5, U: 33, withSeq: false, maskKind: 'random', seed: 403 });
});

test('lstmSequence: final state is in the caller buffers for odd and even T', () => {
  for (const T of [1, 2, 3, 4, 5]) check({ B: 2, T, U: 6, withSeq: false, seed: 500 + T });
});

test('lstmSequence: larger layer (B=6, T=4, U=64, F=20) with saturating weights', () => {
  check({ B: 6, T: 4, U: 64, F: 20, scale: 2, seed: 600 });
});

/** outSeq (B x T x U) and final h, c of one lstmSequence call on rows x (B x T x F). */
function runRows({ x, B, T, F, U, kernel, recurrent, bias, h0, c0, mask, act, recAct, reverse }) {
  K.reset();
  const { xproj, Up } = inputProjection(K, x, B * T, F, kernel, bias, U, 4, 4);
  const Rp = packFused(K, recurrent, U, U, 4, 4, 16).ptr;
  const h = putState(K, h0, B, U, Up, 0);
  const c = putState(K, c0, B, U, Up, 0);
  const outSeq = K.putF32(new Float32Array(B * T * U));
  K.k.lstmSequence(K.params(LSTM_SEQUENCE_PARAMS, {
    xproj, batch: B, steps: T, units: U, recurrentKernel: Rp, h, c, hScratch: K.putF32(new Float32Array(B * Up)), cScratch: K.putF32(new Float32Array(B * Up)),
    outSeq, outLast: 0, mask: mask ? K.putU8(mask) : 0, activation: act, recurrentActivation: recAct, reverse, zeroOutputForMask: 0,
  }));
  return { out: K.getF32(outSeq, B * T * U), h: getState(K, h, B, U, Up), c: getState(K, c, B, U, Up) };
}

test('lstmSequence: from batch 2 on (product pass, then the cell passes) each row has the bits it has alone at batch 1 (fused path)', () => {
  for (const [U, act, recAct, maskKind, reverse, seed] of [[13, ACT.tanh, ACT.sigmoid, 'none', 0, 700], [64, ACT.tanh, ACT.sigmoid, 'random', 1, 701], [8, ACT.relu, ACT.hard_sigmoid, 'post', 0, 702]]) {
    const B = 3, T = 6, F = 5;
    const r = rng(seed);
    const x = r.array(B * T * F, -1, 1);
    const w = { kernel: r.array(F * 4 * U, -0.6, 0.6), recurrent: r.array(U * 4 * U, -0.6, 0.6), bias: r.array(4 * U, -0.5, 0.5) };
    const h0 = r.array(B * U, -0.8, 0.8), c0 = r.array(B * U, -0.8, 0.8);
    const mask = makeMask(r, B, T, maskKind);
    const all = runRows({ x, B, T, F, U, ...w, h0, c0, mask, act, recAct, reverse });
    for (let b = 0; b < B; b++) {
      const one = runRows({
        x: x.subarray(b * T * F, (b + 1) * T * F), B: 1, T, F, U, ...w, h0: h0.subarray(b * U, (b + 1) * U), c0: c0.subarray(b * U, (b + 1) * U),
        mask: mask && mask.subarray(b * T, (b + 1) * T), act, recAct, reverse,
      });
      const label = `U=${U} mask=${maskKind} rev=${reverse} row ${b}`;
      assert.equal(Array.from(all.out.subarray(b * T * U, (b + 1) * T * U)), Array.from(one.out), `${label}: outSeq`);
      assert.equal(Array.from(all.h.subarray(b * U, (b + 1) * U)), Array.from(one.h), `${label}: final h`);
      assert.equal(Array.from(all.c.subarray(b * U, (b + 1) * U)), Array.from(one.c), `${label}: final c`);
    }
  }
});

test.run();
