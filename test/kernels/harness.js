// Test harness for the wasm kernels: instantiates build/kerasrnn.wasm (run `npm run build:wasm`
// first), gives a bump allocator over its memory and helpers to move typed arrays in and out.
import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';

const WASM_URL = new URL('../../build/kerasrnn.wasm', import.meta.url);

export function loadKernels() {
  const bytes = readFileSync(WASM_URL);
  const module = new WebAssembly.Module(bytes);
  const instance = new WebAssembly.Instance(module, { env: { abort() { throw new Error('abort'); } } });
  const k = instance.exports;
  const memory = k.memory;
  const base = Number(k.heapBase());
  let top = (base + 15) & ~15;

  function ensure(end) {
    const have = memory.buffer.byteLength;
    if (end > have) memory.grow(Math.ceil((end - have) / 65536));
  }
  /** 16-byte aligned block of `bytes` bytes, zero-filled (memory may be reused after reset). */
  function alloc(bytes) {
    const ptr = top;
    top = (top + Math.max(bytes, 1) + 15) & ~15;
    ensure(top);
    new Uint8Array(memory.buffer, ptr, bytes).fill(0);
    return ptr;
  }
  /** Copies a Float32Array (or array of numbers) into fresh memory; returns its pointer. */
  function putF32(data, extraFloats = 0) {
    const arr = data instanceof Float32Array ? data : Float32Array.from(data);
    const ptr = alloc((arr.length + extraFloats) * 4);
    new Float32Array(memory.buffer, ptr, arr.length).set(arr);
    return ptr;
  }
  function putU8(data) {
    const arr = data instanceof Uint8Array ? data : Uint8Array.from(data);
    const ptr = alloc(arr.length);
    new Uint8Array(memory.buffer, ptr, arr.length).set(arr);
    return ptr;
  }
  function getF32(ptr, n) {
    return new Float32Array(memory.buffer, ptr, n).slice();
  }
  function getU8(ptr, n) {
    return new Uint8Array(memory.buffer, ptr, n).slice();
  }
  function setF32(ptr, data) {
    new Float32Array(memory.buffer, ptr, data.length).set(data);
  }
  /** Writes a kernel's parameter block (a ParamBlock writer from dist/wasm/kernel-exports.js); returns its pointer. */
  function params(block, fields) {
    const ptr = alloc(block.bytes);
    block.write(memory.buffer, ptr, fields);
    return ptr;
  }
  function reset() {
    top = (base + 15) & ~15;
  }
  return { k, memory, alloc, putF32, putU8, getF32, getU8, setF32, params, reset };
}

/** Deterministic PRNG (mulberry32) so failures are reproducible. */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    int: (lo, hi) => lo + Math.floor((hi - lo + 1) * next()),
    array: (n, lo = -1, hi = 1) => {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * next();
      return out;
    },
  };
}

/** Asserts |got - want| <= abs + rel * |want| elementwise (want may be float64 numbers). */
export function assertClose(got, want, { abs = 1e-5, rel = 1e-4, label = '' } = {}) {
  assert.is(got.length, want.length, `${label}: length`);
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    if (!Number.isFinite(w)) {
      if (!Object.is(g, w) && !(Number.isNaN(w) && Number.isNaN(g))) {
        assert.unreachable(`${label}: index ${i}: got ${g}, want ${w}`);
      }
      continue;
    }
    const err = Math.abs(g - w);
    if (!(err <= abs + rel * Math.abs(w))) {
      assert.unreachable(`${label}: index ${i}: got ${g}, want ${w} (err ${err})`);
    }
    if (err > worstErr) { worstErr = err; worst = i; }
  }
  return { worst, worstErr };
}
