import { instantiateKernels, type KernelBuild } from '../wasm/wasm-module.js';
import { WasmMemory, type WeightPrecision } from '../wasm/memory.js';
import type { PlanStep } from '../engine/run-plan.js';
import type { ModelGraph } from '../graph/build-graph.js';
import type { LayerKernel } from '../layers/types.js';

/**
 * Packs every layer's weights (Keras order, shape-checked) into a fresh wasm instance and returns
 * the plan steps that run them. Used at load and again when `setWeights` replaces weights, with
 * the kernel build and weight precision the load chose.
 */
export async function buildKernels(
  graph: ModelGraph, arrays: ReadonlyMap<string, Float32Array[]>, maxWasmBytes: number, runtime: { kernels: KernelBuild; weights: WeightPrecision },
): Promise<{ steps: PlanStep[]; memory: WasmMemory }> {
  const memory = new WasmMemory(await instantiateKernels(runtime.kernels), maxWasmBytes, runtime.weights);
  return { steps: kernelsInto(graph, arrays, memory), memory };
}

/** Same as {@link buildKernels} with an already instantiated wasm module (synchronous). */
export function kernelsInto(graph: ModelGraph, arrays: ReadonlyMap<string, Float32Array[]>, memory: WasmMemory): PlanStep[] {
  const kernels = new Map<string, LayerKernel>();
  for (const l of graph.layers) kernels.set(l.spec.name, l.imported.instantiate(arrays.get(l.spec.name) ?? [], memory));
  return graph.nodes.map((node) => ({ node, kernel: kernels.get(node.layer.spec.name) as LayerKernel }));
}
