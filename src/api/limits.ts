/**
 * Resource caps for untrusted model files and inputs (the `limits` option of `loadModel`).
 *
 * A model file is untrusted input: whatever sizes it claims, loading it must stay within bounded
 * time and memory. The readers already check every size a file claims against the file's real
 * size before allocating (HDF5 datasets and attributes, zip members, deflate ratios); these caps
 * bound what a valid-looking file may still ask for. Each refusal is a ResourceLimitError whose
 * message names the cap and the option that raises it.
 * @packageDocumentation
 */
import { KerasRnnError, ResourceLimitError, type ErrorContext } from '../errors.js';

/** Caps applied while loading a model and at every predict / stream step. */
export interface Limits {
  /**
   * Total bytes of weights (as float32) a model may hold, checked from the architecture before
   * any weight is read (default 1 GiB, i.e. 268 million parameters). Also bounds any single HDF5
   * dataset read.
   */
  maxWeightBytes?: number;
  /** `.keras` archives: total bytes the members read may inflate to (default 2 GiB). */
  maxInflatedBytes?: number;
  /** Deepest nesting of arrays / objects in a model's JSON configuration (default 64; Keras needs about 10). */
  maxConfigDepth?: number;
  /**
   * batch × time steps of one predict or stream step, where the time steps are an input's second
   * dimension or a fixed sequence length inside the model (RepeatVector); default 2^24.
   */
  maxBatchSteps?: number;
  /** Bytes of WebAssembly memory one model may use (default and maximum: 4 GiB minus 64 KiB). */
  maxWasmBytes?: number;
}

/** Every cap with its value. */
export type ResolvedLimits = Required<Limits>;

/** wasm32 memory cannot exceed 4 GiB; the engine stops one page below so the error is ours. */
export const MAX_WASM_BYTES = 4 * 1024 ** 3 - 65536;

/** The caps used when `loadModel` gets no `limits` (or leaves some out). */
export const DEFAULT_LIMITS: Readonly<ResolvedLimits> = Object.freeze({
  maxWeightBytes: 1024 ** 3,
  maxInflatedBytes: 2 * 1024 ** 3,
  maxConfigDepth: 64,
  maxBatchSteps: 2 ** 24,
  maxWasmBytes: MAX_WASM_BYTES,
});

const NAMES = Object.keys(DEFAULT_LIMITS) as (keyof Limits)[];

/**
 * Fills in defaults and checks the values given.
 * @throws KerasRnnError for an unknown cap name or a value that is not a positive number.
 */
export function resolveLimits(limits: Limits | undefined, legacyMaxInflatedBytes?: number): ResolvedLimits {
  const out: ResolvedLimits = { ...DEFAULT_LIMITS };
  if (legacyMaxInflatedBytes !== undefined) out.maxInflatedBytes = legacyMaxInflatedBytes;
  if (limits === undefined || limits === null) return checked(out);
  if (typeof limits !== 'object') throw new KerasRnnError('limits must be an object', { field: 'limits', value: limits });
  for (const key of Object.keys(limits)) {
    if (!NAMES.includes(key as keyof Limits)) {
      throw new KerasRnnError(`unknown limit "${key}" (known: ${NAMES.join(', ')})`, { field: 'limits', value: key });
    }
    const v = limits[key as keyof Limits];
    if (v !== undefined) out[key as keyof Limits] = v;
  }
  return checked(out);
}

function checked(l: ResolvedLimits): ResolvedLimits {
  for (const key of NAMES) {
    const v = l[key];
    if (typeof v !== 'number' || !(v > 0) || Number.isNaN(v)) {
      throw new KerasRnnError('a limit must be a positive number', { field: `limits.${key}`, value: v });
    }
  }
  l.maxWasmBytes = Math.min(l.maxWasmBytes, MAX_WASM_BYTES);
  return l;
}

/** "(raise it with loadModel's limits.maxWeightBytes)" — the hint every cap message ends with. */
export function raiseHint(name: keyof Limits): string {
  return `raise it with loadModel(source, { limits: { ${name}: ... } })`;
}

/** A ResourceLimitError for `what` (a sentence naming the amount) over cap `name`. */
export function limitError(what: string, name: keyof Limits, cap: number, ctx: ErrorContext = {}): ResourceLimitError {
  return new ResourceLimitError(`${what}, more than the cap limits.${name} = ${cap} (${raiseHint(name)})`, ctx);
}

/**
 * The format readers name their own option in limit messages ("raise it with the maxDepth
 * option"); for a loadModel caller the option lives under `limits`. Rewrites the hint in place.
 */
export function renameReaderLimit(e: unknown): unknown {
  if (!(e instanceof ResourceLimitError)) return e;
  const map: Record<string, keyof Limits> = {
    maxDepth: 'maxConfigDepth',
    maxInflatedBytes: 'maxInflatedBytes',
    maxDatasetElements: 'maxWeightBytes',
    maxWeightBytes: 'maxWeightBytes',
  };
  e.message = e.message.replace(/\(raise it with the (\w+) option\)/, (whole, option: string) =>
    map[option] ? `(the cap limits.${map[option]}: ${raiseHint(map[option])})` : whole,
  );
  return e;
}

/**
 * Checks batch × steps of one predict / stream step against `maxBatchSteps`. `steps` is the
 * longest time axis involved (inputs' second dimension, fixed lengths inside the model).
 */
export function checkBatchSteps(batch: number, steps: number, cap: number, ctx: ErrorContext): void {
  const n = batch * Math.max(steps, 1);
  if (n > cap) {
    throw limitError(`this input needs batch ${batch} × ${steps} time steps = ${n} steps`, 'maxBatchSteps', cap, { ...ctx, value: [batch, steps] });
  }
}
