import type { ImportedLayer, ImportRequest, LayerKernel, Shape, WeightSpec } from './types.js';
import type { WasmMemory } from '../wasm/memory.js';

/** A layer's parameter count: the total size of its stored weights. */
export function countParams(weights: readonly WeightSpec[]): number {
  return weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
}

/**
 * Builds the ImportedLayer of a layer with weights: name and class from the request, no input
 * re-layout, and the parameter count from the weight shapes unless the layer states its own.
 */
export function layerWithWeights(
  req: ImportRequest,
  parts: {
    outputShapes: Shape[];
    weights: WeightSpec[];
    notes: string[];
    details: Record<string, unknown>;
    numParams?: number;
    instantiate(weights: Float32Array[], memory: WasmMemory): LayerKernel;
  },
): ImportedLayer {
  const { numParams = countParams(parts.weights), ...rest } = parts;
  return { name: req.name, className: req.className, inputPreprocessor: null, numParams, ...rest };
}
