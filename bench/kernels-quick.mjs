// Quick kernel timing (not a test): GFLOP/s of the gemm and the fused LSTM sequence kernel,
// against simdPeak. Run `npm run build` first (the parameter-block writers come from dist/).
// Usage: node bench/kernels-quick.mjs
//        node bench/kernels-quick.mjs --phases   (per-phase profile of the bench's LSTM / GRU cases)
//        node bench/kernels-quick.mjs --fma      (the peak loop as mul + add and as relaxed_madd)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { LSTM_SEQUENCE_PARAMS, GRU_SEQUENCE_PARAMS, SIMPLE_RNN_SEQUENCE_PARAMS } from '../dist/wasm/kernel-exports.js';

if (process.argv.includes('--fma')) {
  await fmaPeak();
  process.exit(0);
}

/**
 * What a fused multiply-add buys on this CPU: simdPeakMadd of the plain build (mul + add) and of
 * the relaxed build (f32x4.relaxed_madd), the same 8-accumulator loop, timed alternately in one
 * process. Node 20 needs --experimental-wasm-relaxed-simd: the script reruns itself with it.
 */
async function fmaPeak() {
  const relaxedModule = readFileSync(new URL('../build/kerasrnn-relaxed.wasm', import.meta.url));
  if (!WebAssembly.validate(relaxedModule)) {
    if (process.execArgv.includes('--experimental-wasm-relaxed-simd')) throw new Error('this Node does not run relaxed SIMD');
    const child = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
    process.exit(child.status ?? 1);
  }
  const env = { env: { abort() { throw new Error('abort'); } } };
  const builds = {
    'plain (mul + add)': (await WebAssembly.instantiate(readFileSync(new URL('../build/kerasrnn.wasm', import.meta.url)), env)).instance.exports,
    'relaxed (relaxed_madd)': (await WebAssembly.instantiate(relaxedModule, env)).instance.exports,
  };
  const iters = 2e7;
  const rates = Object.fromEntries(Object.keys(builds).map((name) => [name, []]));
  for (const k of Object.values(builds)) for (let i = 0; i < 3; i++) k.simdPeakMadd(iters);
  for (let round = 0; round < 9; round++) {
    for (const [name, k] of Object.entries(builds)) {
      const t0 = performance.now();
      k.simdPeakMadd(iters);
      rates[name].push((iters * 16 * 4 * 2) / (performance.now() - t0) / 1e6);
    }
  }
  for (const [name, r] of Object.entries(rates)) {
    r.sort((a, b) => a - b);
    console.log(`simdPeakMadd, ${name.padEnd(22)} median ${r[4].toFixed(1)} GFLOP/s, best ${r[8].toFixed(1)}`);
  }
}

const bytes = readFileSync(new URL('../build/kerasrnn.wasm', import.meta.url));
const { instance } = await WebAssembly.instantiate(bytes, { env: { abort() { throw new Error('abort'); } } });
const k = instance.exports;
let top = (Number(k.heapBase()) + 15) & ~15;
function alloc(floats) {
  const ptr = top;
  top = (top + floats * 4 + 15) & ~15;
  const have = k.memory.buffer.byteLength;
  if (top > have) k.memory.grow(Math.ceil((top - have) / 65536));
  return ptr;
}
/** A kernel's parameter block, written into fresh memory. */
function params(block, fields) {
  const ptr = alloc(block.bytes / 4);
  block.write(k.memory.buffer, ptr, fields);
  return ptr;
}
function fillRandom(ptr, n, scale) {
  const f = new Float32Array(k.memory.buffer, ptr, n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    f[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
}
/** Best time (ms) over `reps` runs after warming up for at least 300 ms: V8 first runs wasm
 * functions in its baseline compiler (Liftoff) and swaps in optimised TurboFan code from a
 * background compile, so short kernels need a time-based warm-up, not a fixed count. */
function time(fn, reps = 7, warm = 2) {
  const warmStart = performance.now();
  for (let i = 0; i < warm || performance.now() - warmStart < 300; i++) fn();
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/** Least CPU time (ms, this process: user + system) of one run over `reps` runs, after the same
 * warm-up as `time`. On a shared, loaded machine wall time counts the time other processes hold
 * the core; CPU time does not (it still pays for their cache traffic). */
function cpuTime(fn, reps = 7) {
  const warmStart = performance.now();
  for (let i = 0; i < 2 || performance.now() - warmStart < 300; i++) fn();
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const u0 = process.cpuUsage();
    fn();
    const u = process.cpuUsage(u0);
    best = Math.min(best, (u.user + u.system) / 1000);
  }
  return best;
}

const [ACT, REC] = (process.env.ACTS ?? "1,2").split(",").map(Number);
const peakIters = 2e7;
const peakMs = time(() => k.simdPeak(peakIters), 5, 1);
const peak = (peakIters * 16 * 4 * 2) / peakMs / 1e6;
console.log(`simdPeak                         ${peak.toFixed(1)} GFLOP/s`);
const report = (name, flops, ms) =>
  console.log(`${name.padEnd(32)} ${ms.toFixed(3).padStart(9)} ms  ${(flops / ms / 1e6).toFixed(1).padStart(5)} GFLOP/s  (${((flops / ms / 1e6 / peak) * 100).toFixed(0)}% of peak)`);

if (process.argv.includes('--phases')) {
  await phaseProfile();
  process.exit(0);
}

{
  const M = 3200, K = 64, N = 2048;
  const A = alloc(M * K), B = alloc(K * N), C = alloc(M * N), bias = alloc(N);
  fillRandom(A, M * K, 1); fillRandom(B, K * N, 0.1); fillRandom(bias, N, 0.1);
  report(`gemm ${M}x${K}x${N}`, 2 * M * K * N, time(() => k.gemm(A, K, M, K, B, N, C, N, bias)));
}

function lstmCase(B, U, T, F, reps) {
  const Up = Math.ceil(U / 4) * 4, N = 4 * Up;
  const x = alloc(B * T * F), W = alloc(F * N), bias = alloc(N), R = alloc(U * N);
  const xproj = alloc(B * T * N), xwork = alloc(B * T * N), h = alloc(B * Up), c = alloc(B * Up), hs = alloc(B * Up), cs = alloc(B * Up);
  const out = alloc(B * T * U);
  fillRandom(x, B * T * F, 1); fillRandom(W, F * N, 0.2); fillRandom(bias, N, 0.1); fillRandom(R, U * N, 1 / Math.sqrt(U));
  // from batch 2 on the kernel consumes xproj: each run gets a fresh copy, its time subtracted
  const copy = () => new Float32Array(k.memory.buffer, xwork, B * T * N).set(new Float32Array(k.memory.buffer, xproj, B * T * N));
  const run = () => {
    copy();
    new Float32Array(k.memory.buffer, h, B * Up).fill(0);
    new Float32Array(k.memory.buffer, c, B * Up).fill(0);
    k.lstmSequence(params(LSTM_SEQUENCE_PARAMS, {
      xproj: xwork, batch: B, steps: T, units: U, recurrentKernel: R, h, c, hScratch: hs, cScratch: cs,
      outSeq: out, outLast: 0, mask: 0, activation: ACT, recurrentActivation: REC, reverse: 0, zeroOutputForMask: 0,
    }));
  };
  k.gemm(x, F, B * T, F, W, N, xproj, N, bias);
  const recFlops = 2 * B * T * U * N;
  const inFlops = 2 * B * T * F * N;
  const msRec = time(run, reps) - time(copy, reps);
  const msIn = time(() => k.gemm(x, F, B * T, F, W, N, xproj, N, bias), reps);
  report(`lstm B=${B} U=${U} T=${T} recurrent`, recFlops, msRec);
  report(`lstm B=${B} U=${U} T=${T} F=${F} total`, recFlops + inFlops, msRec + msIn);
}
lstmCase(1, 128, 100, 64, 20);
if (process.env.MORE) { lstmCase(2, 128, 100, 64, 20); lstmCase(4, 128, 100, 64, 20); lstmCase(8, 128, 100, 64, 20); }
lstmCase(32, 512, 100, 512, 3);

function gruCase(B, U, T, resetAfter, reps) {
  const Up = Math.ceil(U / 4) * 4, N = 3 * Up;
  const R = alloc(U * N), rb = alloc(N), xproj = alloc(B * T * N), h = alloc(B * Up), hs = alloc(B * Up), rh = alloc(B * Up);
  const out = alloc(B * T * U);
  fillRandom(xproj, B * T * N, 1); fillRandom(R, U * N, 1 / Math.sqrt(U)); fillRandom(rb, N, 0.1);
  const run = () => {
    new Float32Array(k.memory.buffer, h, B * Up).fill(0);
    k.gruSequence(params(GRU_SEQUENCE_PARAMS, {
      xproj, batch: B, steps: T, units: U, recurrentKernel: R, recurrentBias: resetAfter ? rb : 0, h, hScratch: hs, rh,
      outSeq: out, outLast: 0, mask: 0, activation: ACT, recurrentActivation: REC, reverse: 0, zeroOutputForMask: 0, resetAfter,
    }));
  };
  report(`gru B=${B} U=${U} T=${T} reset_after=${resetAfter} recurrent`, 2 * B * T * U * N, time(run, reps));
}
function simpleCase(B, U, T, reps) {
  const Up = Math.ceil(U / 16) * 16;
  const R = alloc(U * Up), xproj = alloc(B * T * Up), h = alloc(B * Up), hs = alloc(B * Up), out = alloc(B * T * U);
  fillRandom(xproj, B * T * Up, 1); fillRandom(R, U * Up, 1 / Math.sqrt(U));
  const run = () => {
    new Float32Array(k.memory.buffer, h, B * Up).fill(0);
    k.simpleRnnSequence(params(SIMPLE_RNN_SEQUENCE_PARAMS, {
      xproj, batch: B, steps: T, units: U, recurrentKernel: R, h, hScratch: hs,
      outSeq: out, outLast: 0, mask: 0, activation: ACT, recurrentActivation: 0, reverse: 0, zeroOutputForMask: 0,
    }));
  };
  report(`simpleRnn B=${B} U=${U} T=${T} recurrent`, 2 * B * T * U * Up, time(run, reps));
}
gruCase(1, 128, 100, 1, 20);
gruCase(1, 128, 100, 0, 20);
gruCase(32, 512, 100, 1, 3);
gruCase(32, 512, 100, 0, 3);
simpleCase(1, 128, 100, 20);
simpleCase(32, 512, 100, 3);

/**
 * Where the time of one bench case (100 steps, 64 features) goes, in CPU time: the input
 * projection (one gemm, B*T x F x G*Up), the whole recurrent kernel, and as a yardstick for its
 * h . R product the same flops as T gemms of B x U x G*Up through the 2x16 gemm kernel (R packed
 * in 16-column panels, 8 accumulators). kernel - product yardstick ~ gate epilogue + the product's
 * own shortfall; bytes of R per step / time per step = the rate R streams at batch 1.
 */
async function phaseProfile() {
  const T = 100, F = 64;
  const line = (name, ms, flops, extra = '') =>
    console.log(`  ${name.padEnd(28)} ${ms.toFixed(3).padStart(8)} ms  ${(flops / ms / 1e6).toFixed(1).padStart(5)} GFLOP/s  ${((flops / ms / 1e6 / peakCpu) * 100).toFixed(0).padStart(3)}% of peak${extra}`);
  const peakCpu = (peakIters * 16 * 4 * 2) / cpuTime(() => k.simdPeak(peakIters), 5) / 1e6;
  console.log(`simdPeak (CPU time) ${peakCpu.toFixed(1)} GFLOP/s; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  for (const [kind, U, B, resetAfter] of [['lstm', 128, 1], ['lstm', 128, 32], ['lstm', 512, 1], ['lstm', 512, 32],
    ['gru', 128, 1, 0], ['gru', 128, 32, 0], ['gru', 512, 1, 0], ['gru', 512, 32, 0], ['gru', 512, 1, 1], ['gru', 512, 32, 1]]) {
    const G = kind === 'lstm' ? 4 : 3;
    const Up = Math.ceil(U / 4) * 4, N = G * Up;
    const reps = B * U >= 32 * 512 ? 3 : U >= 512 || B > 1 ? 7 : 25;
    const x = alloc(B * T * F), W = alloc(F * N), bias = alloc(Math.ceil(N / 16) * 16), R = alloc(U * N), R16 = alloc(U * Math.ceil(N / 16) * 16);
    const xproj = alloc(B * T * N), xwork = alloc(B * T * N), h = alloc(B * Up), c = alloc(B * Up), hs = alloc(B * Up), cs = alloc(B * Up);
    const rh = alloc(B * Up), rb = alloc(N), prod = alloc(B * N), out = alloc(B * T * U);
    fillRandom(x, B * T * F, 1); fillRandom(W, F * N, 0.2); fillRandom(bias, N, 0.1); fillRandom(R, U * N, 1 / Math.sqrt(U));
    fillRandom(R16, U * Math.ceil(N / 16) * 16, 1 / Math.sqrt(U)); fillRandom(rb, N, 0.1); fillRandom(h, B * Up, 0.5);
    k.gemm(x, F, B * T, F, W, N, xproj, N, bias);
    const mem = () => k.memory.buffer;
    const run = kind === 'lstm'
      ? () => {
        // from batch 2 on the LSTM consumes xproj too
        new Float32Array(mem(), xwork, B * T * N).set(new Float32Array(mem(), xproj, B * T * N));
        new Float32Array(mem(), h, B * Up).fill(0); new Float32Array(mem(), c, B * Up).fill(0);
        k.lstmSequence(params(LSTM_SEQUENCE_PARAMS, {
          xproj: xwork, batch: B, steps: T, units: U, recurrentKernel: R, h, c, hScratch: hs, cScratch: cs,
          outSeq: out, outLast: 0, mask: 0, activation: 1, recurrentActivation: 2, reverse: 0, zeroOutputForMask: 0,
        }));
      }
      : () => {
        // the batch-1 GRU parks pre-activations in xproj: give it a fresh copy each run
        new Float32Array(mem(), xwork, B * T * N).set(new Float32Array(mem(), xproj, B * T * N));
        new Float32Array(mem(), h, B * Up).fill(0);
        k.gruSequence(params(GRU_SEQUENCE_PARAMS, {
          xproj: xwork, batch: B, steps: T, units: U, recurrentKernel: R, recurrentBias: resetAfter ? rb : 0, h, hScratch: hs, rh,
          outSeq: out, outLast: 0, mask: 0, activation: 1, recurrentActivation: 2, reverse: 0, zeroOutputForMask: 0, resetAfter,
        }));
      };
    const copyMs = kind === 'gru' || B > 1 ? cpuTime(() => new Float32Array(mem(), xwork, B * T * N).set(new Float32Array(mem(), xproj, B * T * N)), reps) : 0;
    const recFlops = 2 * B * T * U * N, inFlops = 2 * B * T * F * N;
    const msIn = cpuTime(() => k.gemm(x, F, B * T, F, W, N, xproj, N, bias), reps);
    const msRec = cpuTime(run, reps) - copyMs;
    const msProd = cpuTime(() => { for (let t = 0; t < T; t++) k.gemm(h, Up, B, U, R16, N, prod, N, 0); }, reps);
    const rBytes = U * N * 4;
    console.log(`${kind.toUpperCase()} ${U}, batch ${B}${kind === 'gru' ? `, reset_after=${resetAfter ? 'True' : 'False'}` : ''}: R ${(rBytes / 2 ** 20).toFixed(2)} MiB`);
    line('input gemm', msIn, inFlops, `  (${((msIn / (msIn + msRec)) * 100).toFixed(0)}% of the case)`);
    line('recurrent kernel', msRec, recFlops, `  ${(rBytes * T / msRec / 1e6).toFixed(1)} GB/s of R`);
    line('product yardstick (gemm)', msProd, recFlops, `  kernel - yardstick ${(msRec - msProd).toFixed(3)} ms`);
    line('case total', msIn + msRec, inFlops + recFlops);
  }
}
