// Gradient checks of the backward kernels (assembly/backward.ts via src/training/gradients.ts):
// loss = sum(r * y) for a fixed random r; every gradient the kernels return is compared with
// central finite differences of a float64 forward pass written here (independent of kerasrnn).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { instantiateKernels } from '../../dist/wasm/wasm-module.js';
import { WasmMemory } from '../../dist/wasm/memory.js';
import { denseGradients, lstmGradients } from '../../dist/training/gradients.js';
import { UnsupportedKerasConfigurationError } from '../../dist/index.js';
import { affine64, check, finiteDifferences, rng, lstm64 as lstm64Ref, KERAS_ACTIVATIONS } from '../support/gradient-check.js';

const rand = (n, r, scale = 1) => Float64Array.from({ length: n }, () => r() * 2 * scale);

const act64 = {
  linear: (z) => z,
  tanh: Math.tanh,
  sigmoid: (z) => 1 / (1 + Math.exp(-z)),
  relu: (z) => Math.max(0, z),
};



function dense64(x, M, K, W, b, N, activation) {
  const y = affine64(x, M, K, W, b, N);
  for (let m = 0; m < M; m++) {
    if (activation === 'softmax') {
      const row = y.subarray(m * N, (m + 1) * N);
      const mx = Math.max(...row);
      let sum = 0;
      for (let n = 0; n < N; n++) sum += (row[n] = Math.exp(row[n] - mx));
      for (let n = 0; n < N; n++) row[n] /= sum;
    } else for (let n = 0; n < N; n++) y[m * N + n] = act64[activation](y[m * N + n]);
  }
  return y;
}

function lstm64(x, B, T, D, W, R, b, U, gate = 'sigmoid') {
  return lstm64Ref({ x, W, R, b }, B, T, D, U, gate);
}

const dot = (a, r) => a.reduce((s, v, i) => s + v * r[i], 0);

async function memory() {
  return new WasmMemory(await instantiateKernels());
}

test('Dense backward: dx, dKernel, dBias match float64 finite differences (linear, tanh, sigmoid, relu, softmax; with and without bias)', async () => {
  const mem = await memory();
  const r = rng(7);
  let worst = 0;
  for (const activation of ['linear', 'tanh', 'sigmoid', 'relu', 'softmax']) {
    for (const useBias of [true, false]) {
      const M = 3, K = 4, N = 5;
      // float32 values, used as float64 by the reference
      const x = Float64Array.from(Float32Array.from(rand(M * K, r)));
      const W = Float64Array.from(Float32Array.from(rand(K * N, r)));
      const b = useBias ? Float64Array.from(Float32Array.from(rand(N, r, 0.5))) : null;
      const rw = Float64Array.from(Float32Array.from(rand(M * N, r)));
      const loss = () => dot(dense64(x, M, K, W, b, N, activation), rw);
      const g = denseGradients(mem, Float32Array.from(x), M, Float32Array.from(W), b && Float32Array.from(b), activation, Float32Array.from(rw));
      const label = `${activation} bias=${useBias}`;
      worst = Math.max(worst, check(`${label} y`, g.y, dense64(x, M, K, W, b, N, activation)));
      worst = Math.max(worst, check(`${label} dx`, g.dx, finiteDifferences(x, loss)));
      worst = Math.max(worst, check(`${label} dKernel`, g.dKernel, finiteDifferences(W, loss)));
      if (b) worst = Math.max(worst, check(`${label} dBias`, g.dBias, finiteDifferences(b, loss)));
      else assert.is(g.dBias, null);
    }
  }
  console.log(`  Dense gradient check: worst error ${(worst * 100).toFixed(1)}% of the tolerance`);
});

test('LSTM backpropagation through time: dx, dKernel, dRecurrent, dBias match float64 finite differences (return_sequences true / false, no bias, sigmoid and both hard_sigmoid gates)', async () => {
  const mem = await memory();
  const r = rng(11);
  let worst = 0;
  for (const [returnSequences, useBias, gate] of [[true, true, 'sigmoid'], [false, true, 'sigmoid'], [true, false, 'sigmoid'], [true, true, 'hard_sigmoid_keras2'], [false, true, 'hard_sigmoid_keras3']]) {
    const B = 2, T = 5, D = 3, U = 4, G = 16;
    const x = Float64Array.from(Float32Array.from(rand(B * T * D, r)));
    const W = Float64Array.from(Float32Array.from(rand(D * G, r, 0.8)));
    const R = Float64Array.from(Float32Array.from(rand(U * G, r, 0.8)));
    const b = useBias ? Float64Array.from(Float32Array.from(rand(G, r, 0.5))) : null;
    const rw = Float64Array.from(Float32Array.from(rand(returnSequences ? B * T * U : B * U, r)));
    const outputs = () => {
      const hs = lstm64(x, B, T, D, W, R, b, U, gate);
      if (returnSequences) return hs;
      return Float64Array.from({ length: B * U }, (_, i) => hs[(Math.floor(i / U) * T + T - 1) * U + (i % U)]);
    };
    const loss = () => dot(outputs(), rw);
    const g = lstmGradients(mem, Float32Array.from(x), [B, T, D], Float32Array.from(W), Float32Array.from(R), b && Float32Array.from(b), Float32Array.from(rw), returnSequences, gate);
    const label = `return_sequences=${returnSequences} bias=${useBias} gates=${gate}`;
    worst = Math.max(worst, check(`${label} h`, g.h, lstm64(x, B, T, D, W, R, b, U, gate)));
    worst = Math.max(worst, check(`${label} dx`, g.dx, finiteDifferences(x, loss)));
    worst = Math.max(worst, check(`${label} dKernel`, g.dKernel, finiteDifferences(W, loss)));
    worst = Math.max(worst, check(`${label} dRecurrent`, g.dRecurrent, finiteDifferences(R, loss)));
    if (b) worst = Math.max(worst, check(`${label} dBias`, g.dBias, finiteDifferences(b, loss)));
  }
  console.log(`  LSTM gradient check: worst error ${(worst * 100).toFixed(1)}% of the tolerance`);
});

test('Dense backward for every Keras activation (gradients from the pre-activation; hard_sigmoid by Keras version; log_softmax) matches float64 finite differences', async () => {
  const mem = await memory();
  const r = rng(17);
  let worst = 0;
  const names = [...Object.keys(KERAS_ACTIVATIONS).filter((n) => !(n in act64)), 'log_softmax'];
  for (const name of names) {
    const M = 3, K = 4, N = 5;
    const keras3 = name === 'hard_sigmoid_keras3';
    const kerasName = name.startsWith('hard_sigmoid') ? 'hard_sigmoid' : name;
    const generation = keras3 ? { major: 3, version: '3.0.0', inferred: false } : { major: 2, version: '2.4.0', inferred: false };
    // pre-activations spread over [-4, 4] so that the corners and both sides of each function are crossed
    const x = Float64Array.from(Float32Array.from(rand(M * K, r)));
    const W = Float64Array.from(Float32Array.from(rand(K * N, r, 1.5)));
    const b = Float64Array.from(Float32Array.from(rand(N, r, 0.5)));
    const rw = Float64Array.from(Float32Array.from(rand(M * N, r)));
    const fwd = () => {
      const z = affine64(x, M, K, W, b, N);
      if (name !== 'log_softmax') return z.map(KERAS_ACTIVATIONS[name]);
      for (let m = 0; m < M; m++) {
        const row = z.subarray(m * N, (m + 1) * N);
        const mx = Math.max(...row);
        const lse = mx + Math.log(row.reduce((a, v) => a + Math.exp(v - mx), 0));
        for (let n = 0; n < N; n++) row[n] -= lse;
      }
      return z;
    };
    const loss = () => dot(fwd(), rw);
    const g = denseGradients(mem, Float32Array.from(x), M, Float32Array.from(W), Float32Array.from(b), kerasName, Float32Array.from(rw), 'dense', generation);
    worst = Math.max(worst, check(`${name} y`, g.y, fwd()));
    worst = Math.max(worst, check(`${name} dx`, g.dx, finiteDifferences(x, loss)));
    worst = Math.max(worst, check(`${name} dKernel`, g.dKernel, finiteDifferences(W, loss)));
    worst = Math.max(worst, check(`${name} dBias`, g.dBias, finiteDifferences(b, loss)));
  }
  console.log(`  ${names.length} activations: worst error ${(worst * 100).toFixed(1)}% of the tolerance`);
});

test('activations without a gradient are refused by name', async () => {
  const mem = await memory();
  assert.throws(
    () => denseGradients(mem, new Float32Array(2), 1, new Float32Array(2), null, 'my_custom_activation', new Float32Array(1)),
    (e) => e instanceof UnsupportedKerasConfigurationError && /activation/.test(e.message) && /my_custom_activation/.test(e.message),
  );
});

test.run();
