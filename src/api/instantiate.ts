import { instantiateKernels, instantiateThreadKernels, type KernelBuild } from '../wasm/wasm-module.js';
import { WasmMemory, type WeightPrecision } from '../wasm/memory.js';
import { resolveSequenceThreads, disposeWithOwner, DEFAULT_MIN_STEP_FLOPS, type SequenceThreadsInfo } from '../wasm/sequence-threads.js';
import type { PlanStep } from '../engine/run-plan.js';
import type { ModelGraph } from '../graph/build-graph.js';
import type { LayerKernel } from '../layers/types.js';

/**
 * Packs every layer's weights (Keras order, shape-checked) into a fresh wasm instance and returns
 * the plan steps that run them. Used at load and again when `setWeights` replaces weights, with
 * the kernel build and weight precision the load chose.
 */
export async function buildKernels(
  graph: ModelGraph,
  arrays: ReadonlyMap<string, Float32Array[]>,
  maxWasmBytes: number,
  request: KernelRequest,
): Promise<{ steps: PlanStep[]; memory: WasmMemory; sequenceThreads: SequenceThreadsInfo; kernels: KernelBuild }> {
  const sequence = request.sequence ?? {};
  const minStepFlops = sequence.minStepFlops ?? DEFAULT_MIN_STEP_FLOPS;
  const reason = splittable(graph, minStepFlops);
  // The threads build is plain SIMD: a model asked to run the relaxed build by name stays on it
  // and on one thread; under 'auto', splitting a large layer over cores is the larger gain.
  const info =
    reason === null && request.relaxedAsked
      ? { threads: 1, fallback: "kernels: 'relaxed-simd' runs on one thread (the threads build is plain SIMD)", splittable: true, minStepFlops }
      : resolveSequenceThreads(sequence.threads, reason, minStepFlops);
  if (info.threads > 1) {
    const { kernels, threads } = await instantiateThreadKernels(info);
    const memory = new WasmMemory(kernels, maxWasmBytes, request.weights, threads);
    disposeWithOwner(memory, threads);
    return { steps: kernelsInto(graph, arrays, memory), memory, sequenceThreads: info, kernels: 'simd' };
  }
  const memory = new WasmMemory(await instantiateKernels(request.kernels), maxWasmBytes, request.weights);
  return { steps: kernelsInto(graph, arrays, memory), memory, sequenceThreads: info, kernels: request.kernels };
}

/** What loadModel chose for the kernels: build, weight precision and sequence threads. */
export interface KernelRequest {
  /** The build resolved from loadModel's `kernels` (used unless sequences run on the threads build). */
  kernels: KernelBuild;
  /** True when `kernels: 'relaxed-simd'` was asked for by name. */
  relaxedAsked?: boolean;
  weights: WeightPrecision;
  sequence?: SequenceThreadsRequest;
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
