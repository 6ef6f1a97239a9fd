// The SIMD LSTM training kernels (assembly/lstm-train.ts) against float64 central finite
// differences of a forward pass written here, with what the scalar kernels lack: initial states
// (truncated BPTT's carried state) and Keras' dropout masks on inputs and recurrent state (one
// mask per sample, the same at every step). loss = sum(r * h) for a fixed random r.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { instantiateKernels } from '../../dist/wasm/wasm-module.js';
import { WasmMemory } from '../../dist/wasm/memory.js';
import { ATOL, RTOL, rng, finiteDifferences, lstm64 } from '../support/gradient-check.js';


test('SIMD LSTM forward / BPTT kernels: h, dx, dW, dR, db, dh0, dc0 match float64 finite differences (sigmoid and both hard_sigmoid gates; with / without bias, initial states, input and recurrent dropout masks)', async () => {
  const mem = new WasmMemory(await instantiateKernels());
  const k = mem.kernels;
  const [B, T, D, U] = [3, 5, 3, 8];
  const G = 4 * U;
  let worst = 0;
  let cases = 0;
  for (const recAct of [2, 3, 4]) {
    for (const variant of ['plain', 'bias+state', 'masks', 'all']) {
      const r = rng(recAct * 10 + variant.length);
      const rand = (n, s = 1) => Float64Array.from({ length: n }, () => r() * 2 * s);
      const useBias = variant !== 'plain' && variant !== 'masks';
      const useState = variant === 'bias+state' || variant === 'all';
      const useMasks = variant === 'masks' || variant === 'all';
      // dropout masks as Keras builds them: 0 or 1 / (1 - rate)
      const mask = (n, rate) => Float64Array.from({ length: n }, () => (r() + 0.5 < rate ? 0 : 1 / (1 - rate)));
      const p = {
        x: rand(B * T * D), W: rand(D * G, 0.6), R: rand(U * G, 0.6), b: useBias ? rand(G, 0.3) : null,
        h0: useState ? rand(B * U, 0.5) : null, c0: useState ? rand(B * U, 0.5) : null,
        xMask: useMasks ? mask(B * D, 0.3) : null, hMask: useMasks ? mask(B * U, 0.25) : null,
      };
      const rw = rand(B * T * U);
      const put = (a, n) => {
        const ptr = mem.alloc(Math.max(1, n ?? a.length) * 4);
        if (a) mem.f32(ptr, a.length).set(a);
        return ptr;
      };
      const [px, pW, pR] = [put(p.x), put(p.W), put(p.R)];
      const pb = p.b ? put(p.b) : 0;
      const [ph0, pc0, pxm, phm] = [p.h0, p.c0, p.xMask, p.hMask].map((a) => (a ? put(a) : 0));
      const gates = put(null, B * T * G);
      const cs = put(null, B * T * U);
      const hs = put(null, B * T * U);
      const work = put(null, k.lstmTrainWorkFloats(B, T, D, U));
      k.lstmForwardTrainSimd(px, B, T, D, U, pW, pR, pb, recAct, ph0, pc0, pxm, phm, gates, cs, hs, work);
      const want = lstm64(p, B, T, D, U, recAct);
      mem.f32(hs, B * T * U).forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 2e-6, `${variant} gate ${recAct}: h[${i}] ${v} vs ${want[i]}`));
      const dhs = put(rw);
      const [dx, dW, dR, db, dh0, dc0] = [B * T * D, D * G, U * G, G, B * U, B * U].map((n) => put(null, n));
      // dc0 is in / out: no gradient reaches the last cell state from outside
      mem.f32(dc0, B * U).fill(0);
      k.lstmBackwardSimd(px, B, T, D, U, pW, pR, recAct, ph0, pc0, pxm, phm, gates, cs, hs, dhs, dx, dW, dR, pb ? db : 0, useState ? dh0 : 0, useState ? dc0 : 0, work);
      const f = () => lstm64(p, B, T, D, U, recAct).reduce((s, v, i) => s + v * rw[i], 0);
      const fd = (param) => finiteDifferences(param, f);
      const check = (label, ptr, param) => {
        const got = mem.f32(ptr, param.length);
        fd(param).forEach((e, i) => {
          const err = Math.abs(got[i] - e);
          worst = Math.max(worst, err / (ATOL + RTOL * Math.abs(e)));
          assert.ok(err <= ATOL + RTOL * Math.abs(e), `${variant} gate ${recAct} ${label}[${i}]: kernel ${got[i]} vs finite difference ${e}`);
        });
      };
      check('dx', dx, p.x);
      check('dW', dW, p.W);
      check('dR', dR, p.R);
      if (p.b) check('db', db, p.b);
      if (useState) {
        check('dh0', dh0, p.h0);
        check('dc0', dc0, p.c0);
      }
      cases++;
    }
  }
  assert.is(cases, 12);
  console.log(`  SIMD LSTM training kernels: worst error ${(worst * 100).toFixed(1)}% of the tolerance over ${cases} cases`);
});

test('the SIMD kernels agree with the scalar ones where both apply (no masks, zero state)', async () => {
  const mem = new WasmMemory(await instantiateKernels());
  const k = mem.kernels;
  const [B, T, D, U] = [4, 7, 5, 12];
  const G = 4 * U;
  const r = rng(99);
  const put = (n, fill) => {
    const ptr = mem.alloc(n * 4);
    if (fill) mem.f32(ptr, n).set(Float32Array.from({ length: n }, () => r()));
    return ptr;
  };
  const [x, W, R, b, dhs] = [put(B * T * D, 1), put(D * G, 1), put(U * G, 1), put(G, 1), put(B * T * U, 1)];
  const out = () => ({ gates: put(B * T * G), cs: put(B * T * U), hs: put(B * T * U), dx: put(B * T * D), dW: put(D * G), dR: put(U * G), db: put(G) });
  const s = out();
  const v = out();
  k.lstmForwardTrain(x, B, T, D, U, W, R, b, 2, s.gates, s.cs, s.hs);
  k.lstmBackward(x, B, T, D, U, W, R, 2, s.gates, s.cs, s.hs, dhs, s.dx, s.dW, s.dR, s.db, put(6 * U));
  const work = put(k.lstmTrainWorkFloats(B, T, D, U));
  k.lstmForwardTrainSimd(x, B, T, D, U, W, R, b, 2, 0, 0, 0, 0, v.gates, v.cs, v.hs, work);
  k.lstmBackwardSimd(x, B, T, D, U, W, R, 2, 0, 0, 0, 0, v.gates, v.cs, v.hs, dhs, v.dx, v.dW, v.dR, v.db, 0, 0, work);
  for (const [name, n] of [['hs', B * T * U], ['dx', B * T * D], ['dW', D * G], ['dR', U * G], ['db', G]]) {
    const a = mem.f32(s[name], n);
    const c = mem.f32(v[name], n);
    a.forEach((e, i) => assert.ok(Math.abs(c[i] - e) <= 1e-5 + 1e-4 * Math.abs(e), `${name}[${i}]: SIMD ${c[i]} vs scalar ${e}`));
  }
});

test.run();
