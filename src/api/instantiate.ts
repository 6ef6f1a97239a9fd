import { instantiateKernels, instantiateThreadKernels } from '../wasm/wasm-module.js';
import { WasmMemory } from '../wasm/memory.js';
import { resolveSequenceThreads, disposeWithOwner, DEFAULT_MIN_STEP_FLOPS, type SequenceThreadsInfo } from '../wasm/sequence-threads.js';
import type { PlanStep } from '../engine/run-plan.js';
import type { ModelGraph } from '../graph/build-graph.js';
import type { LayerKernel } from '../layers/types.js';

/**
 * Packs every layer's weights (Keras order, shape-checked) into a fresh wasm instance and returns
 * the plan steps that run them. Used at load and again when `setWeights` replaces weights.
 */
export async function buildKernels(
  graph: ModelGraph,
  arrays: ReadonlyMap<string, Float32Array[]>,
  maxWasmBytes: number,
  sequence: SequenceThreadsRequest = {},
): Promise<{ steps: PlanStep[]; memory: WasmMemory; sequenceThreads: SequenceThreadsInfo }> {
  const minStepFlops = sequence.minStepFlops ?? DEFAULT_MIN_STEP_FLOPS;
  const info = resolveSequenceThreads(sequence.threads, splittable(graph, minStepFlops), minStepFlops);
  let memory: WasmMemory;
  if (info.threads > 1) {
    const { kernels, threads } = await instantiateThreadKernels(info);
    memory = new WasmMemory(kernels, maxWasmBytes, threads);
    disposeWithOwner(memory, threads);
  } else {
    memory = new WasmMemory(await instantiateKernels(), maxWasmBytes);
  }
  return { steps: kernelsInto(graph, arrays, memory), memory, sequenceThreads: info };
}

/** loadModel's `sequenceThreads` and its (internal) split threshold. */
export interface SequenceThreadsRequest {
  threads?: number;
  minStepFlops?: number;
}

/** Cells with a parallel sequence kernel (assembly/*-sequence-parallel.ts): flops per step per units². */
const PARALLEL_CELLS = new Map([['lstm', 8], ['gru', 6]]);

/**
 * Null when some recurrent layer of the graph (Bidirectional halves included) has a parallel
 * kernel and enough units for a batch-1 step to reach `minStepFlops`; else why not. Models
 * without one keep the plain build: its memory is not shared and no worker is ever started.
 */
function splittable(graph: ModelGraph, minStepFlops: number): string | null {
  let small = false;
  const visit = (d: unknown, depth: number): boolean => {
    if (!d || typeof d !== 'object' || depth > 4) return false;
    const r = d as Record<string, unknown>;
    const perUnit2 = typeof r.cell === 'string' ? PARALLEL_CELLS.get(r.cell) : undefined;
    if (perUnit2 !== undefined && typeof r.units === 'number') {
      if (perUnit2 * r.units * r.units >= minStepFlops) return true;
      small = true;
    }
    return Object.values(r).some((v) => visit(v, depth + 1));
  };
  if (graph.layers.some((l) => visit(l.imported.details, 0))) return null;
  return small ? `no LSTM or GRU layer is large enough to split (a step needs ${minStepFlops} flops at batch 1)` : 'no layer has a multi-thread kernel (LSTM and GRU have one)';
}

/** Same as {@link buildKernels} with an already instantiated wasm module (synchronous). */
export function kernelsInto(graph: ModelGraph, arrays: ReadonlyMap<string, Float32Array[]>, memory: WasmMemory): PlanStep[] {
  const kernels = new Map<string, LayerKernel>();
  for (const l of graph.layers) kernels.set(l.spec.name, l.imported.instantiate(arrays.get(l.spec.name) ?? [], memory));
  return graph.nodes.map((node) => ({ node, kernel: kernels.get(node.layer.spec.name) as LayerKernel }));
}
