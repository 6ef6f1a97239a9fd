import type { WasmMemory } from '../wasm/memory.js';
import type { ImportedLayer, ImportRequest, LayerKernel, Shape, StringFrontEnd } from './types.js';

/**
 * Builds the ImportedLayer of a layer without weights. `kernel` is the kernel itself, or a
 * function that builds it at instantiate from the model's wasm memory (for layers that keep
 * tables there); `strings` is the front end of a layer that takes texts.
 */
export function weightlessLayer(
  req: ImportRequest,
  outputShapes: Shape[],
  kernel: LayerKernel | ((memory: WasmMemory) => LayerKernel),
  extra: { notes?: string[]; details?: Record<string, unknown>; inputPreprocessor?: string | null; strings?: StringFrontEnd } = {},
): ImportedLayer {
  return {
    name: req.name,
    className: req.className,
    outputShapes,
    numParams: 0,
    weights: [],
    notes: extra.notes ?? [],
    inputPreprocessor: extra.inputPreprocessor ?? null,
    details: extra.details ?? {},
    ...(extra.strings ? { strings: extra.strings } : {}),
    instantiate: typeof kernel === 'function' ? (_weights, memory) => kernel(memory) : () => kernel,
  };
}

/** A kernel that hands its input through unchanged (data and mask). */
export const IDENTITY_KERNEL: LayerKernel = {
  run: (inputs, masks) => ({ outputs: [inputs[0]], masks: [masks[0] ?? null] }),
};
