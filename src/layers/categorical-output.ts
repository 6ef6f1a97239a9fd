import { InputError, InvalidKerasConfigurationError } from '../errors.js';
import type { WasmMemory } from '../wasm/memory.js';
import type { ImportRequest, LayerKernel, Shape, Tensor } from './types.js';

/** Keras' categorical output modes (`tf_idf` only for the lookup layers). */
export type CategoricalMode = 'int' | 'one_hot' | 'multi_hot' | 'count' | 'tf_idf';

/** Reads `output_mode`, refusing modes the layer does not have and `sparse=True` (dense outputs only). */
export function outputModeOf(req: ImportRequest, allowed: readonly CategoricalMode[], fallback: CategoricalMode): CategoricalMode {
  const raw = req.config.string('output_mode', fallback);
  // TF 2.3-2.5 (layers.experimental.preprocessing) named them "binary" and "tf-idf"
  const mode = (raw === 'binary' ? 'multi_hot' : raw === 'tf-idf' ? 'tf_idf' : raw) as CategoricalMode;
  if (!allowed.includes(mode)) {
    throw new InvalidKerasConfigurationError(`output_mode must be one of ${allowed.join(', ')}`, { ...req.context, field: 'output_mode', value: mode });
  }
  if (req.config.field('sparse') === true && mode !== 'int') {
    throw new InvalidKerasConfigurationError('sparse=True outputs are not supported (kerasrnn returns dense tensors)', { ...req.context, field: 'sparse', value: true });
  }
  return mode;
}

/**
 * Output shape of Keras' `encode_categorical_inputs` for an ids tensor of shape `ids`: int keeps
 * it; one_hot appends `depth` (replacing a last axis of 1); multi_hot / count / tf_idf replace the
 * last axis by `depth`.
 */
export function categoricalShape(ids: Shape, mode: CategoricalMode, depth: number): Shape {
  if (mode === 'int') return ids.slice();
  if (mode === 'one_hot') return ids.length > 1 && ids[ids.length - 1] === 1 ? [...ids.slice(0, -1), depth] : [...ids, depth];
  return ids.length === 1 ? [ids[0], depth] : [...ids.slice(0, -1), depth];
}

/**
 * The wasm half of a categorical layer: ids (f32; -1 = dropped slot) in, the output mode's tensor
 * out. `strict` (CategoryEncoding) makes an id outside [0, depth) an error naming the layer;
 * the lookup layers' ids are in range by construction, and `weights` (tf_idf) scale the counts.
 */
export function categoricalKernel(
  req: ImportRequest,
  mode: CategoricalMode,
  depth: number,
  memory: WasmMemory,
  opts: { strict: boolean; weights?: Float32Array },
): LayerKernel {
  const k = memory.kernels;
  const weights = opts.weights ? memory.allocF32(opts.weights) : 0;
  const fail = (ids: Tensor, at: number, ctx: { memory: WasmMemory }): never => {
    const v = ctx.memory.f32(ids.ptr + at * 4, 1)[0];
    throw new InputError(`value ${v} at flat position ${at} is not an integer in [0, ${depth})`, { layer: req.name, className: req.className, field: 'input', value: v });
  };
  return {
    run(inputs, _masks, ctx) {
      const ids = inputs[0];
      if (mode === 'int') return { outputs: [ids], masks: [null] };
      const n = ids.shape.reduce((a, b) => a * b, 1);
      const shape = categoricalShape(ids.shape, mode, depth) as number[];
      const out = ctx.memory.scratch(shape.reduce((a, b) => a * b, 1) * 4);
      if (mode === 'one_hot') {
        const bad = k.oneHotRows(ids.ptr, n, depth, out);
        if (bad >= 0) fail(ids, bad, ctx);
      } else {
        const len = ids.shape.length === 1 ? 1 : ids.shape[ids.shape.length - 1];
        const bad = k.categoryCounts(ids.ptr, n / len, len, depth, mode === 'multi_hot' ? 0 : 1, mode === 'tf_idf' ? weights : 0, opts.strict ? 1 : 0, out);
        if (bad >= 0) fail(ids, bad, ctx);
      }
      return { outputs: [{ ptr: out, shape }], masks: [null] };
    },
  };
}
