import type { WasmMemory } from '../wasm/memory.js';
import type { LayerKernel } from './types.js';

/**
 * out = (x - center[n]) * scale[n] + shift[n] over the last axis (n = index on it; one value for
 * every element when the arrays have length 1), on the BatchNormalization kernel.
 */
export function affineKernel(memory: WasmMemory, center: Float32Array, scale: Float32Array, shift: Float32Array): LayerKernel {
  const k = memory.kernels;
  const c = memory.allocF32(center);
  const s = memory.allocF32(scale);
  const b = memory.allocF32(shift);
  const N = center.length;
  return {
    run(inputs, masks, ctx) {
      const x = inputs[0];
      const n = x.shape.reduce((a, v) => a * v, 1);
      const out = ctx.memory.scratch(n * 4);
      k.batchNormInference(x.ptr, out, n / N, N, 1, c, s, b);
      return { outputs: [{ ptr: out, shape: x.shape.slice() }], masks: [masks[0] ?? null] };
    },
  };
}
