import type { WasmMemory } from '../wasm/memory.js';
import type { Activation } from '../keras/activations.js';
import type { Tensor } from './types.js';

/** Applies an activation in place: element-wise kernels, or (log-)softmax over the last axis. */
export function applyActivation(memory: WasmMemory, t: Tensor, activation: Activation): void {
  const size = t.shape.reduce((a, b) => a * b, 1);
  const k = memory.kernels;
  if (activation.kind === 'elementwise') {
    if (activation.id !== 0) k.activate(t.ptr, size, activation.id, activation.alpha);
    return;
  }
  const cols = t.shape[t.shape.length - 1];
  const rows = cols === 0 ? 0 : size / cols;
  if (activation.kind === 'softmax') k.softmaxRows(t.ptr, rows, cols);
  else k.logSoftmaxRows(t.ptr, rows, cols);
}

/** Copies a tensor into fresh scratch memory (for layers that must not write into their input). */
export function copyTensor(memory: WasmMemory, t: Tensor): Tensor {
  const size = t.shape.reduce((a, b) => a * b, 1);
  const ptr = memory.scratch(size * 4);
  memory.f32(ptr, size).set(memory.f32(t.ptr, size));
  return { ptr, shape: t.shape.slice() };
}
