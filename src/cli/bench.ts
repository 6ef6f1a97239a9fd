/**
 * `kerasrnn bench <model>`: latency (one predict call, batch 1) and throughput (larger batches) of
 * a model on this machine, on synthetic input of the model's shape.
 */
import os from 'node:os';
import type { KernelChoice, Model, Shape, TensorInput } from '../index.js';
import { CliError } from './errors.js';
import { formatCount, formatMs, formatRate, formatShape } from './format.js';
import { loadFromArgs } from './inspect.js';

/** Options of the bench command. */
export interface BenchOptions {
  batchSizes: number[];
  steps?: number;
  seconds: number;
  weights?: string;
  json?: boolean;
  /** Worker threads for large batches (loadModel's `threads`). */
  threads?: number;
  /** The wasm kernel build (loadModel's `kernels`). */
  kernels?: KernelChoice;
}

/** One measured configuration. */
export interface BenchResult {
  batch: number;
  steps: number | null;
  calls: number;
  firstMs: number;
  medianMs: number;
  p90Ms: number;
  minMs: number;
  meanMs: number;
  samplesPerSec: number;
  stepsPerSec: number | null;
}

/** Deterministic uniform numbers (mulberry32), so that runs are comparable. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The shape fed for one model input: batch first, unknown time dimensions set to `steps`. */
function concreteShape(shape: Shape, batch: number, steps: number): number[] {
  return shape.map((d, i) => (i === 0 ? batch : d ?? steps));
}

/** Token-id inputs (a model with Embedding layers) get integers below the smallest vocabulary. */
function valueRange(model: Model): { ids: number } | null {
  const vocab = model.layers
    .filter((l) => l.className === 'Embedding')
    .map((l) => Number((l.details as { inputDim?: unknown }).inputDim))
    .filter((n) => Number.isFinite(n) && n > 0);
  return vocab.length ? { ids: Math.min(...vocab) } : null;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Runs the benchmark and returns the results (printing is left to the caller). */
export async function runBench(modelPath: string, options: BenchOptions): Promise<{ model: Model; loadMs: number; steps: number | null; results: BenchResult[] }> {
  const { model, loadMs } = await loadFromArgs(modelPath, options.weights, { threads: options.threads, kernels: options.kernels });
  if (!model.hasWeights) {
    model.dispose();
    throw new CliError(`"${modelPath}" holds the architecture only, bench needs weights`, 'pass the weights file: --weights model.weights.h5');
  }
  const range = valueRange(model);
  // The time dimension: axis 1 of (batch, steps, features) inputs, and of (batch, steps) token-id
  // inputs of Embedding models; a (batch, features) input has none.
  const timeDims = model.inputs.map((i) => (i.shape.length >= 3 || (i.shape.length === 2 && (i.shape[1] === null || range)) ? i.shape[1] : undefined));
  const fixedSteps = timeDims.find((d) => typeof d === 'number') as number | undefined;
  const hasTime = timeDims.some((d) => d !== undefined);
  const steps = hasTime ? (options.steps ?? fixedSteps ?? 100) : null;
  const rand = random(42);
  const results: BenchResult[] = [];
  for (const batch of options.batchSizes) {
    const feeds: TensorInput[] = model.inputs.map((i) => {
      const shape = concreteShape(i.shape, batch, steps ?? 1);
      const n = shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(n);
      for (let k = 0; k < n; k++) data[k] = range ? 1 + Math.floor(rand() * (range.ids - 1)) : rand() * 2 - 1;
      return { data, shape };
    });
    const x = feeds.length === 1 ? feeds[0] : feeds;
    const t0 = performance.now();
    model.predict(x); // first call: plan and buffers are made here
    const firstMs = performance.now() - t0;
    model.predict(x);
    const times: number[] = [];
    const budget = options.seconds * 1000;
    const start = performance.now();
    while ((times.length < 5 || performance.now() - start < budget) && times.length < 1_000_000) {
      const a = performance.now();
      model.predict(x);
      times.push(performance.now() - a);
    }
    const sorted = times.slice().sort((a, b) => a - b);
    const meanMs = times.reduce((a, b) => a + b, 0) / times.length;
    results.push({
      batch,
      steps,
      calls: times.length,
      firstMs,
      medianMs: percentile(sorted, 0.5),
      p90Ms: percentile(sorted, 0.9),
      minMs: sorted[0],
      meanMs,
      // Throughput from the median call: the machine may be shared, and the median is what a
      // steady stream of calls sees between the occasional pauses.
      samplesPerSec: batch / (percentile(sorted, 0.5) / 1000),
      stepsPerSec: steps === null ? null : (batch * steps) / (percentile(sorted, 0.5) / 1000),
    });
  }
  return { model, loadMs, steps, results };
}

/** Runs `bench`; returns the text to print on stdout. */
export async function bench(modelPath: string, options: BenchOptions): Promise<string> {
  const { model, loadMs, results } = await runBench(modelPath, options);
  try {
    const machine = { node: process.version, platform: `${process.platform} ${process.arch}`, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown' };
    if (options.json) {
      return JSON.stringify({ file: modelPath, model: { name: model.name, className: model.className, params: model.numParams, inputs: model.inputs }, machine, threads: options.threads ?? 1, kernels: model.info.kernels, loadMs, results }, null, 2);
    }
    const head = ['batch', 'steps', 'calls', 'median', 'p90', 'min', 'first call', 'throughput'];
    const rows = results.map((r) => [
      String(r.batch),
      r.steps === null ? '-' : String(r.steps),
      String(r.calls),
      formatMs(r.medianMs),
      formatMs(r.p90Ms),
      formatMs(r.minMs),
      formatMs(r.firstMs),
      `${formatRate(r.samplesPerSec, 'samples')}${r.stepsPerSec === null ? '' : ` (${formatRate(r.stepsPerSec, 'steps')})`}`,
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)) + 2);
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('').trimEnd();
    return [
      `${modelPath}: ${model.className} "${model.name}", ${formatCount(model.numParams)} params${options.threads ? `, ${options.threads} thread${options.threads === 1 ? '' : 's'}` : ''}, input ${model.inputs.map((i) => formatShape(i.shape)).join(' + ')}`,
      `load ${formatMs(loadMs)}; kernels ${model.info.kernels}; Node ${machine.node}, ${machine.platform}, ${machine.cpus} cores (${machine.cpu})`,
      `latency = one predict call; throughput = batch / median latency; each batch size runs for ${options.seconds} s`,
      '',
      line(head),
      ...rows.map(line),
    ].join('\n');
  } finally {
    model.dispose();
  }
}
