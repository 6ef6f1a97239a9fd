import { InputError, InvalidKerasConfigurationError, UnsupportedKerasConfigurationError, type ErrorContext } from '../errors.js';
import type { KernelExports } from '../wasm/kernel-exports.js';
import { BinaryOp } from '../wasm/tensor-op-codes.js';
import type { WasmMemory } from '../wasm/memory.js';
import { mergeMaskRule } from '../keras/semantics.js';
import type { ImportRequest, LayerImporter, Mask, Shape, Tensor } from './types.js';
import { weightlessLayer } from './weightless.js';

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Combines u8 masks element-wise into a fresh scratch mask. */
function combineMasks(memory: WasmMemory, masks: Mask[], op: 'and' | 'or'): Mask {
  if (masks.length === 1) return masks[0];
  const { batch, steps } = masks[0];
  const n = batch * steps;
  const ptr = memory.scratch(n);
  memory.u8(ptr, n).set(memory.u8(masks[0].ptr, n));
  for (const m of masks.slice(1)) (op === 'and' ? memory.kernels.maskAnd : memory.kernels.maskOr)(ptr, m.ptr, ptr, n);
  return { ptr, batch, steps };
}

/**
 * The output mask of an element-wise merge, by the file's Keras generation (see
 * `mergeMaskRule`): Keras 1/2 AND the masks present (a missing mask counts as all-true) and
 * drop the mask when no input had one; Keras 3.0-3.3 pass no masks; Keras >= 3.4 OR the masks
 * when every input has one, and drop it otherwise.
 */
export function mergeMasks(memory: WasmMemory, masks: (Mask | null)[], rule: 'and' | 'none' | 'or'): Mask | null {
  const present = masks.filter((m): m is Mask => m !== null);
  if (rule === 'none' || present.length === 0) return null;
  if (rule === 'or') return present.length === masks.length ? combineMasks(memory, present, 'or') : null;
  return combineMasks(memory, present, 'and');
}

/** A time-step mask that covers tensor `t` (batch, steps, ...): one row of `cols` values per step. */
function rowsOf(t: Tensor, m: Mask | null): { rows: number; cols: number } | null {
  if (!m || t.shape.length < 3 || t.shape[0] !== m.batch || t.shape[1] !== m.steps) return null;
  return { rows: m.batch * m.steps, cols: size(t.shape.slice(2)) };
}

function sameShapes(req: ImportRequest): Shape {
  const shapes = req.inputShapes;
  if (shapes.length < 2) {
    throw new InvalidKerasConfigurationError(`${req.className} needs at least two inputs`, { ...req.context, field: 'inbound_nodes', value: shapes.length });
  }
  const first = shapes[0];
  for (const s of shapes.slice(1)) {
    const ok = s.length === first.length && s.every((d, i) => d === null || first[i] === null || d === first[i]);
    if (!ok) {
      throw new UnsupportedKerasConfigurationError(`${req.className} inputs must have equal shapes (broadcasting is not supported)`, {
        ...req.context,
        field: 'input_shape',
        value: shapes,
      });
    }
  }
  return first.map((d, i) => d ?? shapes.find((s) => s[i] !== null)?.[i] ?? null);
}

type Combine = (k: KernelExports, acc: number, next: number, n: number) => void;
type MergeKind = 'add' | 'subtract' | 'multiply' | 'average' | 'maximum' | 'minimum';

const COMBINE: Record<MergeKind, Combine> = {
  add: (k, a, b, n) => k.binaryF32(a, b, a, n, BinaryOp.add),
  subtract: (k, a, b, n) => k.binaryF32(a, b, a, n, BinaryOp.sub),
  multiply: (k, a, b, n) => k.binaryF32(a, b, a, n, BinaryOp.mul),
  average: (k, a, b, n) => k.binaryF32(a, b, a, n, BinaryOp.add),
  maximum: (k, a, b, n) => k.binaryF32(a, b, a, n, BinaryOp.max),
  minimum: (k, a, b, n) => k.binaryF32(a, b, a, n, BinaryOp.min),
};

/**
 * Runs an element-wise merge over same-shape inputs. With Keras >= 3.4 semantics (`'or'`),
 * Maximum / Minimum substitute an input's masked steps by the running result (and the other way
 * round), and Multiply treats masked steps as 1 and zeroes the steps no input keeps, as
 * `keras/src/layers/merging` does; otherwise values merge as they are.
 */
export function runElementwiseMerge(
  memory: WasmMemory,
  kind: MergeKind,
  inputs: Tensor[],
  masks: (Mask | null)[],
  rule: 'and' | 'none' | 'or',
  ctx: ErrorContext = {},
): { output: Tensor; mask: Mask | null } {
  const k = memory.kernels;
  const n = size(inputs[0].shape);
  for (const t of inputs.slice(1)) {
    if (t.shape.length !== inputs[0].shape.length || t.shape.some((d, i) => d !== inputs[0].shape[i])) {
      throw new InputError(`merged inputs must have one shape, got ${inputs.map((x) => JSON.stringify(x.shape)).join(' and ')}`, { ...ctx, field: 'input', value: inputs.map((x) => x.shape) });
    }
  }
  const ptr = memory.scratch(n * 4);
  const combine = COMBINE[kind];
  const substitute = rule === 'or' && (kind === 'maximum' || kind === 'minimum' || kind === 'multiply') && masks.some((m) => m !== null);
  if (!substitute) {
    k.copyF32(inputs[0].ptr, ptr, n);
    for (const t of inputs.slice(1)) combine(k, ptr, t.ptr, n);
  } else if (kind === 'multiply') {
    const allMasked = masks.every((m) => m !== null);
    const ones = memory.scratch(n * 4);
    k.fillF32(ones, n, 1);
    const tmp = memory.scratch(n * 4);
    inputs.forEach((t, i) => {
      const geo = rowsOf(t, masks[i]);
      let src = t.ptr;
      if (geo) {
        k.selectRows(t.ptr, ones, (masks[i] as Mask).ptr, geo.rows, geo.cols, tmp);
        src = tmp;
      }
      if (i === 0) k.copyF32(src, ptr, n);
      else combine(k, ptr, src, n);
    });
    const outMask = allMasked ? mergeMasks(memory, masks, 'or') : null;
    const geo = rowsOf(inputs[0], outMask);
    if (outMask && geo) {
      k.fillF32(ones, n, 0);
      k.selectRows(ptr, ones, outMask.ptr, geo.rows, geo.cols, ptr);
    }
    return { output: { ptr, shape: inputs[0].shape.slice() }, mask: outMask };
  } else {
    // keras Merge._apply_merge_op_and_or_mask, step by step.
    k.copyF32(inputs[0].ptr, ptr, n);
    let outMask: Mask | null = masks[0] ?? null;
    const x = memory.scratch(n * 4);
    for (let i = 1; i < inputs.length; i++) {
      const t = inputs[i];
      const m = masks[i] ?? null;
      k.copyF32(t.ptr, x, n);
      const gm = rowsOf(t, m);
      if (m && gm) k.selectRows(x, ptr, m.ptr, gm.rows, gm.cols, x);
      const go = rowsOf(t, outMask);
      if (outMask && go) k.selectRows(ptr, x, outMask.ptr, go.rows, go.cols, ptr);
      outMask = m && outMask ? combineMasks(memory, [outMask, m], 'or') : null;
      combine(k, ptr, x, n);
    }
    return { output: { ptr, shape: inputs[0].shape.slice() }, mask: outMask };
  }
  if (kind === 'average') k.scaleF32(ptr, n, 1 / inputs.length);
  return { output: { ptr, shape: inputs[0].shape.slice() }, mask: mergeMasks(memory, masks, rule) };
}

function elementwiseMerge(classNames: string[], kind: MergeKind, maxInputs?: number): LayerImporter {
  return {
    classNames,
    import(req) {
      if (maxInputs !== undefined && req.inputShapes.length !== maxInputs) {
        throw new InvalidKerasConfigurationError(`${req.className} takes exactly ${maxInputs} inputs`, { ...req.context, field: 'inbound_nodes', value: req.inputShapes.length });
      }
      const shape = sameShapes(req);
      const rule = mergeMaskRule(req.generation);
      return weightlessLayer(
        req,
        [shape],
        {
          run(inputs, masks, ctx) {
            const r = runElementwiseMerge(ctx.memory, kind, inputs, masks, rule, req.context);
            return { outputs: [r.output], masks: [r.mask] };
          },
        },
        { details: { maskRule: rule } },
      );
    },
  };
}

/** `Add` (and Keras 1 `Merge(mode='sum')` semantics). */
export const AddImporter = elementwiseMerge(['Add'], 'add');
/** `Subtract`: exactly two inputs, a − b. */
export const SubtractImporter = elementwiseMerge(['Subtract'], 'subtract', 2);
/** `Multiply`. */
export const MultiplyImporter = elementwiseMerge(['Multiply'], 'multiply');
/** `Average`. */
export const AverageImporter = elementwiseMerge(['Average'], 'average');
/** `Maximum`. */
export const MaximumImporter = elementwiseMerge(['Maximum'], 'maximum');
/** `Minimum`. */
export const MinimumImporter = elementwiseMerge(['Minimum'], 'minimum');

/**
 * Concatenate's output mask (Keras' `Concatenate.compute_mask`: a missing mask counts as
 * all-true, masks are concatenated along the axis, then reduced over the last axis with `all`
 * (Keras 1/2) or `any` (Keras 3)). Along the time axis of (batch, steps, ...) inputs that is the
 * masks joined step-wise; along a later axis, the AND (Keras 1/2) or OR (Keras 3; all-true, i.e.
 * no mask, as soon as one input has none) of the masks.
 */
function concatMask(memory: WasmMemory, inputs: Tensor[], masks: (Mask | null)[], axis: number, rule: 'and' | 'none' | 'or'): Mask | null {
  if (rule === 'none' || masks.every((m) => m === null)) return null;
  if (axis === 1 && inputs[0].shape.length >= 3) {
    const batch = inputs[0].shape[0];
    const steps = inputs.reduce((n, t) => n + t.shape[1], 0);
    const ptr = memory.scratch(batch * steps);
    const out = memory.u8(ptr, batch * steps);
    let offset = 0;
    inputs.forEach((t, i) => {
      const T = t.shape[1];
      const m = masks[i];
      for (let b = 0; b < batch; b++) {
        const row = out.subarray(b * steps + offset, b * steps + offset + T);
        if (m) row.set(memory.u8(m.ptr + b * T, T));
        else row.fill(1);
      }
      offset += T;
    });
    return { ptr, batch, steps };
  }
  return mergeMasks(memory, masks, rule);
}

/** `Concatenate(axis)`: joins inputs along one axis (default -1). */
export const ConcatenateImporter: LayerImporter = {
  classNames: ['Concatenate'],
  import(req) {
    const shapes = req.inputShapes;
    if (shapes.length < 2) {
      throw new InvalidKerasConfigurationError('Concatenate needs at least two inputs', { ...req.context, field: 'inbound_nodes', value: shapes.length });
    }
    const rank = shapes[0].length;
    const rawAxis = req.config.intField('axis', { min: -rank, max: rank - 1, fallback: -1 });
    const axis = rawAxis < 0 ? rank + rawAxis : rawAxis;
    if (axis === 0) {
      throw new UnsupportedKerasConfigurationError('concatenation along the batch axis is not supported', { ...req.context, field: 'axis', value: rawAxis });
    }
    for (const s of shapes) {
      if (s.length !== rank || s.some((d, i) => i !== axis && i !== 0 && d !== null && shapes[0][i] !== null && d !== shapes[0][i])) {
        throw new InvalidKerasConfigurationError('Concatenate inputs must match except along the axis', { ...req.context, field: 'input_shape', value: shapes });
      }
    }
    const along = shapes.reduce<number | null>((acc, s) => (acc === null || s[axis] === null ? null : acc + (s[axis] as number)), 0);
    const out: Shape = shapes[0].map((d, i) => (i === axis ? along : d ?? shapes.find((s) => s[i] !== null)?.[i] ?? null));
    const rule = mergeMaskRule(req.generation);
    return weightlessLayer(
      req,
      [out],
      {
        run(inputs, masks, ctx) {
          const k = ctx.memory.kernels;
          for (const t of inputs.slice(1)) {
            if (t.shape.length !== rank || t.shape.some((d, i) => i !== axis && d !== inputs[0].shape[i])) {
              throw new InputError(`inputs must match except along axis ${axis}, got ${inputs.map((x) => JSON.stringify(x.shape)).join(' and ')}`, {
                ...req.context,
                field: 'input',
                value: inputs.map((x) => x.shape),
              });
            }
          }
          // Row-major: each input contributes a contiguous chunk of shape[axis..] per outer index.
          const outer = size(inputs[0].shape.slice(0, axis));
          let acc: Tensor = inputs[0];
          for (const t of inputs.slice(1)) {
            const ca = size(acc.shape.slice(axis));
            const cb = size(t.shape.slice(axis));
            const ptr = ctx.memory.scratch(outer * (ca + cb) * 4);
            k.concatRows(acc.ptr, ca, t.ptr, cb, outer, ptr);
            const shape = acc.shape.slice();
            shape[axis] += t.shape[axis];
            acc = { ptr, shape };
          }
          return { outputs: [acc], masks: [concatMask(ctx.memory, inputs, masks, axis, rule)] };
        },
      },
      { details: { axis: rawAxis, maskRule: rule } },
    );
  },
};
