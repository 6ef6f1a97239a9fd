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
  const reason = splittable(graph, minStepFlops, request.weights);
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

/**
 * Cells with a parallel sequence kernel (assembly/*-sequence-parallel.ts): flops per step per
 * units², by weight precision (the low-precision kernels, int8 and GRU's bf16, run on one thread).
 */
const PARALLEL_CELLS: Record<WeightPrecision, ReadonlyMap<string, number>> = {
  float32: new Map([['lstm', 8], ['gru', 6]]),
  bf16: new Map([['lstm', 8]]),
  int8: new Map(),
};

/** Whether `test` holds for a layer's details or a record nested in them (a Bidirectional's halves). */
function someDetails(details: unknown, test: (r: Record<string, unknown>) => boolean, depth = 0): boolean {
  if (!details || typeof details !== 'object' || depth > 4) return false;
  const r = details as Record<string, unknown>;
  return test(r) || Object.values(r).some((v) => someDetails(v, test, depth + 1));
}

/**
 * Null when some recurrent layer of the graph (Bidirectional halves included) has a parallel
 * kernel and enough units for a batch-1 step to reach `minStepFlops`; else why not. Models
 * without one keep the plain build: its memory is not shared and no worker is ever started.
 */
function splittable(graph: ModelGraph, minStepFlops: number, weights: WeightPrecision): string | null {
  if (weights === 'int8') return "weights: 'int8' runs each sequence on one thread (its kernels have no multi-thread form)";
  let small = false;
  const large = (r: Record<string, unknown>): boolean => {
    const perUnit2 = typeof r.cell === 'string' ? PARALLEL_CELLS[weights].get(r.cell) : undefined;
    if (perUnit2 === undefined || typeof r.units !== 'number') return false;
    if (perUnit2 * r.units * r.units >= minStepFlops) return true;
    small = true;
    return false;
  };
  if (graph.layers.some((l) => someDetails(l.imported.details, large))) return null;
  if (small) return `no LSTM or GRU layer is large enough to split (a step needs ${minStepFlops} flops at batch 1)`;
  return weights === 'bf16' ? "no layer has a multi-thread kernel (with weights: 'bf16', LSTM has one)" : 'no layer has a multi-thread kernel (LSTM and GRU have one)';
}

/** The recurrent cell kinds (`details.cell` of LSTM, GRU, SimpleRNN and their CuDNN forms) whose recurrent kernels loadModel's `weights` stores. */
const LOW_PRECISION_CELLS = new Set(['lstm', 'gru', 'simple']);

/**
 * The layers whose recurrent kernels a `weights` other than float32 stores in reduced precision
 * (a Bidirectional or other wrapper counts once): what `model.info.lowPrecisionLayers` lists.
 */
export function lowPrecisionLayers(graph: ModelGraph, weights: WeightPrecision): string[] {
  if (weights === 'float32') return [];
  const recurrent = (r: Record<string, unknown>) => typeof r.cell === 'string' && LOW_PRECISION_CELLS.has(r.cell);
  return graph.layers.filter((l) => someDetails(l.imported.details, recurrent)).map((l) => l.spec.name);
}

/** Same as {@link buildKernels} with an already instantiated wasm module (synchronous). */
export function kernelsInto(graph: ModelGraph, arrays: ReadonlyMap<string, Float32Array[]>, memory: WasmMemory): PlanStep[] {
  const kernels = new Map<string, LayerKernel>();
  for (const l of graph.layers) kernels.set(l.spec.name, l.imported.instantiate(arrays.get(l.spec.name) ?? [], memory));
  return graph.nodes.map((node) => ({ node, kernel: kernels.get(node.layer.spec.name) as LayerKernel }));
}
