import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadKernels, rng, assertClose } from './harness.js';
import { ACT } from './reference.js';
import { GRU_SEQUENCE_PARAMS, SIMPLE_RNN_SEQUENCE_PARAMS } from '../../dist/wasm/kernel-exports.js';
import { gruRef, simpleRnnRef, packFused, packGruRecurrent, inputProjection, putState, getState } from './rnn-reference.js';

const K = loadKernels();
const SENT = 31337;

function makeMask(r, B, T, kind) {
  if (kind === 'none') return null;
  const m = new Uint8Array(B * T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      if (kind === 'random') m[b * T + t] = r.next() < 0.65 ? 1 : 0;
      else if (kind === 'post') m[b * T + t] = t < T - b ? 1 : 0;
      else if (kind === 'pre') m[b * T + t] = t >= b + 1 ? 1 : 0;
    }
  }
  if (kind === 'random' && B > 1) for (let t = 0; t < T; t++) m[T + t] = 0;
  return m;
}

function compareOutputs(ref, { outSeq, outLast, h, B, T, U, Up, label }) {
  if (outSeq) {
    const got = K.getF32(outSeq, B * T * U + 8);
    assertClose(got.subarray(0, B * T * U), ref.outSeq, { label: `${label} outSeq` });
    assert.equal(Array.from(got.subarray(B * T * U)), new Array(8).fill(SENT), `${label}: write past outSeq`);
  }
  if (outLast) {
    const got = K.getF32(outLast, B * U + 8);
    assertClose(got.subarray(0, B * U), ref.outLast, { label: `${label} outLast` });
    assert.equal(Array.from(got.subarray(B * U)), new Array(8).fill(SENT), `${label}: write past outLast`);
  }
  const hf = ref.finalStates.flatMap((st) => Array.from(st.h));
  assertClose(getState(K, h, B, U, Up), hf, { label: `${label} final h` });
  for (const v of K.getF32(h, B * Up)) assert.ok(Number.isFinite(v), `${label}: non-finite value in h (padding lanes included)`);
}

function checkGru({ B, T, U, F = 3, maskKind = 'none', reverse = 0, zeroOut = 0, act = ACT.tanh, recAct = ACT.sigmoid,
  resetAfter = 1, withRecBias = resetAfter === 1, withSeq = true, withLast = true, zeroInit = false, seed = 1, scale = 0.6 }) {
  K.reset();
  const r = rng(seed);
  const x = r.array(B * T * F);
  const kernel = r.array(F * 3 * U, -scale, scale);
  const recurrent = r.array(U * 3 * U, -scale, scale);
  const bias = r.array(3 * U, -0.5, 0.5);
  const recBias = withRecBias ? r.array(3 * U, -0.5, 0.5) : null;
  const h0 = zeroInit ? new Float32Array(B * U) : r.array(B * U, -0.8, 0.8);
  const mask = makeMask(r, B, T, maskKind);

  const { xproj, Up } = inputProjection(K, x, B * T, F, kernel, bias, U, 3, 4);
  const Rp = packGruRecurrent(K, recurrent, U, resetAfter).ptr;
  const rb = recBias ? packFused(K, recBias, 1, U, 3, 4, 12).ptr : 0;
  const h = putState(K, h0, B, U, Up, 7.5);
  const hs = K.putF32(new Float32Array(B * Up).fill(NaN));
  const rh = K.putF32(new Float32Array(B * Up).fill(NaN));
  const outSeq = withSeq ? K.putF32(new Float32Array(B * T * U + 8).fill(SENT)) : 0;
  const outLast = withLast ? K.putF32(new Float32Array(B * U + 8).fill(SENT)) : 0;
  const pm = mask ? K.putU8(mask) : 0;
  K.k.gruSequence(K.params(GRU_SEQUENCE_PARAMS, {
    xproj, batch: B, steps: T, units: U, recurrentKernel: Rp, recurrentBias: rb, h, hScratch: hs, rh,
    outSeq, outLast, mask: pm, activation: act, recurrentActivation: recAct, reverse, zeroOutputForMask: zeroOut, resetAfter,
  }));
  const ref = gruRef({ x, B, T, F, U, kernel, recurrent, bias, recBias, h0, mask, act, recAct, reverse, zeroOutputForMask: zeroOut, resetAfter });
  const label = `GRU ra=${resetAfter} B=${B} T=${T} U=${U} mask=${maskKind} rev=${reverse} zero=${zeroOut} act=${act}/${recAct}`;
  compareOutputs(ref, { outSeq, outLast, h, B, T, U, Up, label });
}

function checkSimple({ B, T, U, F = 3, maskKind = 'none', reverse = 0, zeroOut = 0, act = ACT.tanh,
  withSeq = true, withLast = true, zeroInit = false, seed = 1, scale = 0.6 }) {
  K.reset();
  const r = rng(seed);
  const x = r.array(B * T * F);
  const kernel = r.array(F * U, -scale, scale);
  const recurrent = r.array(U * U, -scale, scale);
  const bias = r.array(U, -0.5, 0.5);
  const h0 = zeroInit ? new Float32Array(B * U) : r.array(B * U, -0.8, 0.8);
  const mask = makeMask(r, B, T, maskKind);
  const { xproj, Up } = inputProjection(K, x, B * T, F, kernel, bias, U, 1, 16);
  const Rp = packFused(K, recurrent, U, U, 1, 16, 16).ptr;
  const h = putState(K, h0, B, U, Up, 7.5);
  const hs = K.putF32(new Float32Array(B * Up).fill(NaN));
  const outSeq = withSeq ? K.putF32(new Float32Array(B * T * U + 8).fill(SENT)) : 0;
  const outLast = withLast ? K.putF32(new Float32Array(B * U + 8).fill(SENT)) : 0;
  const pm = mask ? K.putU8(mask) : 0;
  K.k.simpleRnnSequence(K.params(SIMPLE_RNN_SEQUENCE_PARAMS, {
    xproj, batch: B, steps: T, units: U, recurrentKernel: Rp, h, hScratch: hs,
    outSeq, outLast, mask: pm, activation: act, recurrentActivation: 0, reverse, zeroOutputForMask: zeroOut,
  }));
  const ref = simpleRnnRef({ x, B, T, F, U, kernel, recurrent, bias, h0, mask, act, reverse, zeroOutputForMask: zeroOut });
  const label = `SimpleRNN B=${B} T=${T} U=${U} mask=${maskKind} rev=${reverse} zero=${zeroOut} act=${act}`;
  compareOutputs(ref, { outSeq, outLast, h, B, T, U, Up, label });
}

for (const resetAfter of [1, 0]) {
  test(`gruSequence reset_after=${resetAfter} over B x T x U`, () => {
    let seed = 10 + resetAfter * 1000;
    for (const B of [1, 3, 5]) for (const T of [1, 7]) for (const U of [1, 5, 16, 33]) checkGru({ B, T, U, resetAfter, seed: seed++ });
  });

  test(`gruSequence reset_after=${resetAfter} with masks, zeroOutputForMask and reverse`, () => {
    let seed = 100 + resetAfter * 1000;
    for (const maskKind of ['random', 'post', 'pre']) {
      for (const zeroOut of [0, 1]) {
        for (const [B, T, U] of [[3, 7, 5], [5, 7, 16], [1, 7, 33], [2, 4, 3]]) {
          checkGru({ B, T, U, maskKind, zeroOut, resetAfter, seed: seed++ });
          checkGru({ B, T, U, maskKind, zeroOut, resetAfter, reverse: 1, zeroInit: true, seed: seed++ });
        }
      }
    }
    for (const [B, T, U] of [[1, 7, 5], [3, 7, 16], [4, 6, 7]]) checkGru({ B, T, U, resetAfter, reverse: 1, seed: seed++ });
  });

  test(`gruSequence reset_after=${resetAfter} with other activations and output selections`, () => {
    const combos = [[ACT.relu, ACT.hard_sigmoid], [ACT.tanh, ACT.hard_sigmoid], [ACT.linear, ACT.hard_sigmoid_k3], [ACT.elu, ACT.sigmoid], [ACT.tanh, ACT.tanh]];
    let seed = 300 + resetAfter * 1000;
    for (const [act, recAct] of combos) {
      for (const [B, T, U] of [[3, 7, 5], [1, 7, 16], [5, 3, 33]]) checkGru({ B, T, U, act, recAct, resetAfter, scale: 0.3, seed: seed++ });
    }
    checkGru({ B: 3, T: 7, U: 6, resetAfter, withSeq: false, seed: seed++ });
    checkGru({ B: 3, T: 6, U: 6, resetAfter, withLast: false, seed: seed++ });
    checkGru({ B: 2, T: 5, U: 9, resetAfter, withSeq: false, withLast: false, seed: seed++ });
    // scale 1: with larger weights the recurrence amplifies f32 rounding ~2.5x per step (measured),
    // which is float32 vs float64 divergence, not a kernel error.
    checkGru({ B: 6, T: 4, U: 64, F: 20, resetAfter, scale: 1, seed: seed++ });
  });
}

test('gruSequence reset_after=1 without a recurrent bias, reset_after=0 with one', () => {
  checkGru({ B: 3, T: 5, U: 7, resetAfter: 1, withRecBias: false, seed: 900 });
  checkGru({ B: 3, T: 5, U: 7, resetAfter: 0, withRecBias: true, seed: 901 });
});

test('simpleRnnSequence over B x T x U', () => {
  let seed = 20;
  for (const B of [1, 3, 5]) for (const T of [1, 7]) for (const U of [1, 5, 16, 33]) checkSimple({ B, T, U, seed: seed++ });
});

test('simpleRnnSequence with masks, zeroOutputForMask and reverse', () => {
  let seed = 120;
  for (const maskKind of ['random', 'post', 'pre']) {
    for (const zeroOut of [0, 1]) {
      for (const [B, T, U] of [[3, 7, 5], [5, 7, 16], [1, 7, 33], [2, 4, 17]]) {
        checkSimple({ B, T, U, maskKind, zeroOut, seed: seed++ });
        checkSimple({ B, T, U, maskKind, zeroOut, reverse: 1, zeroInit: true, seed: seed++ });
      }
    }
  }
});

test('simpleRnnSequence with other activations and output selections', () => {
  let seed = 320;
  for (const act of [ACT.relu, ACT.linear, ACT.sigmoid, ACT.hard_sigmoid, ACT.softsign, ACT.selu, ACT.gelu]) {
    for (const [B, T, U] of [[3, 7, 5], [1, 7, 16], [4, 3, 33]]) checkSimple({ B, T, U, act, scale: 0.3, seed: seed++ });
  }
  checkSimple({ B: 3, T: 7, U: 20, withSeq: false, seed: seed++ });
  checkSimple({ B: 3, T: 6, U: 20, withLast: false, seed: seed++ });
  checkSimple({ B: 2, T: 5, U: 9, withSeq: false, withLast: false, seed: seed++ });
  checkSimple({ B: 6, T: 4, U: 100, F: 20, scale: 0.5, seed: seed++ });
});

// Batch 1 has its own path (two unit groups per pass over h, the cell update after all passes of
// a step); it sums in the same order as the batched path, so each row of a batch must come out
// of a batch-1 call bit for bit, masks and reverse included. U = 16, 20 and 33 also cover the
// batched reset_after=1 path's quads of unit groups and the 1-3 groups left over, and the last
// case its cell-update pass with other activations than tanh / sigmoid.
test('gruSequence: a batch-1 call gives each row of a batched call bit for bit (reset_after 1 and 0)', () => {
  const bits = (f) => Array.from(new Uint32Array(f.buffer, f.byteOffset, f.length));
  let seed = 2000;
  for (const resetAfter of [1, 0]) {
    for (const [T, U, maskKind, reverse, act = ACT.tanh, recAct = ACT.sigmoid] of [[7, 5, 'none', 0], [6, 16, 'random', 0], [5, 33, 'post', 1], [4, 8, 'pre', 0], [3, 1, 'none', 1],
      [5, 20, 'random', 0, ACT.relu, ACT.hard_sigmoid]]) {
      const B = 3, F = 4;
      const r = rng(seed++);
      const x = r.array(B * T * F);
      const kernel = r.array(F * 3 * U, -0.6, 0.6);
      const recurrent = r.array(U * 3 * U, -0.6, 0.6);
      const bias = r.array(3 * U, -0.5, 0.5);
      const recBias = resetAfter ? r.array(3 * U, -0.5, 0.5) : null;
      const h0 = r.array(B * U, -0.8, 0.8);
      const mask = makeMask(r, B, T, maskKind);
      const run = (rows) => {
        K.reset();
        const nb = rows.length;
        const xr = new Float32Array(nb * T * F);
        const hr = new Float32Array(nb * U);
        const mr = mask ? new Uint8Array(nb * T) : null;
        rows.forEach((b, i) => {
          xr.set(x.subarray(b * T * F, (b + 1) * T * F), i * T * F);
          hr.set(h0.subarray(b * U, (b + 1) * U), i * U);
          if (mr) mr.set(mask.subarray(b * T, (b + 1) * T), i * T);
        });
        const { xproj, Up } = inputProjection(K, xr, nb * T, F, kernel, bias, U, 3, 4);
        const Rp = packGruRecurrent(K, recurrent, U, resetAfter).ptr;
        const rb = recBias ? packFused(K, recBias, 1, U, 3, 4, 12).ptr : 0;
        const h = putState(K, hr, nb, U, Up, 7.5);
        const hs = K.putF32(new Float32Array(nb * Up).fill(NaN));
        const rh = K.putF32(new Float32Array(nb * Up).fill(NaN));
        const outSeq = K.putF32(new Float32Array(nb * T * U));
        const outLast = K.putF32(new Float32Array(nb * U));
        K.k.gruSequence(K.params(GRU_SEQUENCE_PARAMS, {
          xproj, batch: nb, steps: T, units: U, recurrentKernel: Rp, recurrentBias: rb, h, hScratch: hs, rh,
          outSeq, outLast, mask: mr ? K.putU8(mr) : 0, activation: act, recurrentActivation: recAct, reverse, zeroOutputForMask: 0, resetAfter,
        }));
        return { seq: K.getF32(outSeq, nb * T * U).slice(), last: K.getF32(outLast, nb * U).slice(), h: Float32Array.from(getState(K, h, nb, U, Up)) };
      };
      const all = run([0, 1, 2]);
      for (let b = 0; b < B; b++) {
        const one = run([b]);
        const label = `reset_after=${resetAfter} T=${T} U=${U} mask=${maskKind} reverse=${reverse} act=${act}/${recAct} row ${b}`;
        assert.equal(bits(one.seq), bits(all.seq.subarray(b * T * U, (b + 1) * T * U)), `${label}: sequence`);
        assert.equal(bits(one.last), bits(all.last.subarray(b * U, (b + 1) * U)), `${label}: last output`);
        assert.equal(bits(one.h), bits(all.h.subarray(b * U, (b + 1) * U)), `${label}: state`);
      }
    }
  }
});

test.run();
