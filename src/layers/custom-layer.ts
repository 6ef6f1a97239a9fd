import { InvalidKerasConfigurationError, KerasRnnError } from '../errors.js';
import type { TensorData } from '../types/tensor.js';
import type { ImportedLayer, LayerImporter, Mask, Shape, Tensor } from './types.js';
import { layerWithWeights } from './imported-layer.js';

/**
 * A layer kerasrnn cannot load by itself, supplied by the user: a custom Keras layer class (keyed
 * by its class name), or a `Lambda` layer (keyed by its layer name). kerasrnn never runs code from
 * a model file; whoever knows what the layer computes writes it here, on plain Float32Arrays.
 *
 * ```ts
 * const model = await loadModel('model.h5', {
 *   customLayers: {
 *     // a Lambda layer named "scale_by_two"
 *     scale_by_two: {
 *       outputShape: ([s]) => s,
 *       run: ([x]) => ({ data: x.data.map((v) => 2 * v), shape: x.shape }),
 *     },
 *   },
 * });
 * ```
 */
export interface CustomLayer {
  /**
   * The output shape(s), batch first with `null` for unknown sizes, from the input shapes and the
   * layer's stored config (its `get_config()` dict). Return one shape, or an array of shapes for
   * a layer with several outputs.
   */
  outputShape(inputShapes: Shape[], config: Record<string, unknown>): Shape | Shape[];
  /**
   * The weights the file stores for this layer, in Keras' order (the order of `layer.weights`),
   * with their shapes. Omit for a layer without weights.
   */
  weights?(inputShapes: Shape[], config: Record<string, unknown>): { name: string; shape: number[] }[];
  /** Parameter count for `model.layers` / `summary()`; defaults to the total size of `weights`. */
  numParams?: number;
  /**
   * Computes the layer: `inputs` are copies of the input tensors (row-major float32, batch first),
   * `weights` the stored arrays in `weights` order. Return one tensor, or one per output shape.
   */
  run(inputs: TensorData[], config: Record<string, unknown>, weights: Float32Array[]): TensorData | TensorData[];
  /**
   * Time-step masks: `'drop'` (default; the outputs carry no mask, like a Keras layer that does
   * not support masking) or `'passthrough'` (the first input's mask carries over to outputs that
   * keep its steps).
   */
  mask?: 'drop' | 'passthrough';
}

function isShape(v: unknown): v is Shape {
  return Array.isArray(v) && v.every((d) => d === null || (Number.isInteger(d) && d >= 0));
}

function shapesOf(value: unknown, fail: (msg: string, v: unknown) => never): Shape[] {
  if (isShape(value)) return [value];
  if (Array.isArray(value) && value.length > 0 && value.every(isShape)) return value as Shape[];
  return fail('outputShape() must return a shape (array of integers / null) or an array of shapes', value);
}

/** Checks a user-supplied implementation when the model is loaded. */
export function checkCustomLayer(key: string, impl: unknown): CustomLayer {
  const ctx = { field: `customLayers.${key}` };
  if (!impl || typeof impl !== 'object') throw new InvalidKerasConfigurationError('a custom layer must be an object', { ...ctx, value: typeof impl });
  const c = impl as Record<string, unknown>;
  for (const f of ['outputShape', 'run'] as const) {
    if (typeof c[f] !== 'function') throw new InvalidKerasConfigurationError(`a custom layer needs a ${f}() function`, { ...ctx, value: typeof c[f] });
  }
  if (c.weights !== undefined && typeof c.weights !== 'function') throw new InvalidKerasConfigurationError('weights must be a function', { ...ctx, value: typeof c.weights });
  if (c.numParams !== undefined && !(Number.isInteger(c.numParams) && (c.numParams as number) >= 0)) {
    throw new InvalidKerasConfigurationError('numParams must be a non-negative integer', { ...ctx, value: c.numParams });
  }
  if (c.mask !== undefined && c.mask !== 'drop' && c.mask !== 'passthrough') {
    throw new InvalidKerasConfigurationError("mask must be 'drop' or 'passthrough'", { ...ctx, value: c.mask });
  }
  return impl as CustomLayer;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The importer that runs a user's {@link CustomLayer} for the layers it replaces. */
export function customLayerImporter(key: string, impl: CustomLayer): LayerImporter {
  return {
    classNames: [],
    import(req): ImportedLayer {
      const ctx = { ...req.context, field: `customLayers.${key}` };
      const fail = (msg: string, value: unknown): never => {
        throw new InvalidKerasConfigurationError(`custom layer: ${msg}`, { ...ctx, value });
      };
      const config = req.config.raw;
      const call = <T>(what: string, f: () => T): T => {
        try {
          return f();
        } catch (cause) {
          if (cause instanceof KerasRnnError) throw cause;
          throw new InvalidKerasConfigurationError(`custom layer: ${what} threw: ${cause instanceof Error ? cause.message : String(cause)}`, ctx, { cause });
        }
      };
      const outputShapes = shapesOf(call('outputShape()', () => impl.outputShape(req.inputShapes.map((s) => s.slice()), config)), fail);
      const weightList: unknown = impl.weights ? call('weights()', () => impl.weights?.(req.inputShapes.map((s) => s.slice()), config)) : [];
      const okWeight = (w: unknown): w is { name: string; shape: number[] } => {
        const r = w as { name?: unknown; shape?: unknown } | null;
        return !!r && typeof r.name === 'string' && Array.isArray(r.shape) && r.shape.every((d) => Number.isInteger(d) && d >= 0);
      };
      if (!Array.isArray(weightList) || !weightList.every(okWeight)) fail('weights() must return [{ name, shape }] with integer shapes', weightList);
      const weights = (weightList as { name: string; shape: number[] }[]).map((w) => ({ name: w.name, shape: w.shape.slice() }));
      return layerWithWeights(req, {
        outputShapes,
        ...(impl.numParams !== undefined ? { numParams: impl.numParams } : {}),
        weights,
        notes: [`computed by the user-supplied customLayers.${key}`],
        details: { custom: key },
        instantiate(arrays) {
          const stored = arrays.map((a) => a.slice());
          return {
            run(inputs: Tensor[], masks: (Mask | null)[], runCtx) {
              const mem = runCtx.memory;
              const hostInputs = inputs.map((t) => ({ data: mem.f32(t.ptr, size(t.shape)).slice(), shape: t.shape.slice() }));
              const result = call('run()', () => impl.run(hostInputs, config, stored));
              const list = Array.isArray(result) ? result : [result];
              if (list.length !== outputShapes.length) fail(`run() returned ${list.length} tensors, outputShape() declared ${outputShapes.length}`, list.length);
              const outputs: Tensor[] = list.map((o, i) => {
                if (!o || typeof o !== 'object' || !isShape(o.shape) || o.shape.some((d) => d === null)) fail(`run() output ${i} must be { data, shape }`, o?.shape);
                const shape = o.shape as number[];
                const declared = outputShapes[i];
                if (shape.length !== declared.length || declared.some((d, j) => d !== null && j > 0 && d !== shape[j])) {
                  fail(`run() output ${i} has shape ${JSON.stringify(shape)}, outputShape() declared ${JSON.stringify(declared)}`, shape);
                }
                const n = size(shape);
                if (!o.data || typeof o.data.length !== 'number' || o.data.length !== n) fail(`run() output ${i} has ${o.data?.length} values, its shape needs ${n}`, o.data?.length);
                const ptr = mem.scratch(n * 4);
                mem.f32(ptr, n).set(o.data instanceof Float32Array ? o.data : Float32Array.from(o.data as ArrayLike<number>));
                return { ptr, shape: shape.slice() };
              });
              const m = impl.mask === 'passthrough' ? masks[0] ?? null : null;
              return { outputs, masks: outputs.map((o) => (m && o.shape[0] === m.batch && o.shape[1] === m.steps ? m : null)) };
            },
          };
        },
      });
    },
  };
}

/** Importers for `LoadOptions.customLayers`, keyed by layer name or class name. */
export function customImporterTable(customLayers: Record<string, unknown> | undefined): Map<string, LayerImporter> {
  const table = new Map<string, LayerImporter>();
  if (customLayers === undefined || customLayers === null) return table;
  if (typeof customLayers !== 'object' || Array.isArray(customLayers)) {
    throw new InvalidKerasConfigurationError('customLayers must be an object keyed by layer or class name', { field: 'customLayers', value: typeof customLayers });
  }
  for (const [key, impl] of Object.entries(customLayers)) table.set(key, customLayerImporter(key, checkCustomLayer(key, impl)));
  return table;
}
