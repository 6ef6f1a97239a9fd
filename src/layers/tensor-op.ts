/**
 * The tensor-op core shared by both front ends that record TensorFlow / Keras functions applied to
 * symbolic tensors: tf.keras' `TFOpLambda` / `SlicingOpLambda` (`tf-op-lambda.ts`) and Keras 3's
 * operation nodes (`keras3-ops.ts`). Each front end only decodes its format's arguments into a
 * {@link TensorOp}; shape inference, the numeric rules and the kernels are here, once, so the same
 * op gives the same numbers whichever Keras saved the file.
 *
 * Numeric rules (decided once; see the kernels in assembly/ for the reasons):
 * - tensors are f32; booleans are 0 / 1;
 * - sums / means / products reduce in f64 and round once (`reduce-axis-f32.ts`); max / min
 *   (element-wise and reductions) propagate NaN;
 * - a cast to an integer type truncates toward zero and follows TensorFlow's x86 CPU kernels for
 *   NaN and out-of-range values (int32(NaN) = -2^31, int8(300.7) = 44; `unary-math-f32.ts`); a
 *   cast to a float type is the identity and to bool tests `!= 0`;
 * - broadcasting is NumPy's, up to rank 4 for ops that compute (shape-only ops take any rank).
 * @packageDocumentation
 */
import { InputError, InvalidKerasConfigurationError, UnsupportedKerasConfigurationError, type ErrorContext } from '../errors.js';
import type { WasmMemory } from '../wasm/memory.js';
import { BinaryOp, IntegerType, ReduceOp, UnaryOp, type BinaryOpName, type IntegerTypeName, type ReduceOpName, type UnaryOpName } from '../wasm/tensor-op-codes.js';
import type { Activation } from '../keras/activations.js';
import { applyActivation, copyTensor } from './activation-kernel.js';
import type { ImportedLayer, ImportRequest, LayerKernel, Shape, Tensor } from './types.js';

/** An operand: one of the layer's input tensors, or a constant stored in the config. */
export type OpOperand = { input: number } | { constant: Float32Array; shape: number[] };

/** One item of a NumPy-style index (`x[:, -1, tf.newaxis, ...]`). */
export type SliceItem =
  | { kind: 'index'; at: number }
  | { kind: 'slice'; start: number | null; stop: number | null; step: number }
  | { kind: 'newaxis' }
  | { kind: 'ellipsis' };

/** A decoded op: what to compute, independent of the format that recorded it. */
export type TensorOp =
  | { kind: 'binary'; op: BinaryOpName; operands: [OpOperand, OpOperand] }
  | { kind: 'select'; operands: [OpOperand, OpOperand, OpOperand] }
  | { kind: 'unary'; op: UnaryOpName; input: number }
  | { kind: 'castToInteger'; to: IntegerTypeName; input: number }
  | { kind: 'identity'; input: number }
  /** An activation; (log-)softmax acts over `axis` (non-negative). */
  | { kind: 'activation'; activation: Activation; axis: number; input: number }
  /** Reduces `axes` (sorted, non-negative, distinct). */
  | { kind: 'reduce'; op: ReduceOpName; axes: number[]; keepdims: boolean; input: number }
  /** Inserts size-1 axes at `axes` (positions in the output). */
  | { kind: 'expandDims'; axes: number[]; input: number }
  /** Drops the size-1 axes `axes`. */
  | { kind: 'squeeze'; axes: number[]; input: number }
  /** Reshapes to `shape` (the batch axis included); at most one -1, resolved per call. */
  | { kind: 'reshape'; shape: number[]; input: number }
  | { kind: 'transpose'; perm: number[]; input: number }
  | { kind: 'concat'; axis: number; inputs: number[] }
  | { kind: 'slice'; items: SliceItem[]; input: number };

/** How a cast to `dtype` is computed, or null when kerasrnn does not support the dtype. */
export function castOf(dtype: string, input: number): TensorOp | null {
  if (/^(float\d*|bfloat16|half|double)$/.test(dtype)) return { kind: 'identity', input };
  if (dtype === 'bool') return { kind: 'unary', op: 'bool', input };
  if (Object.hasOwn(IntegerType, dtype)) return { kind: 'castToInteger', to: dtype as IntegerTypeName, input };
  return null;
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function inputsOf(op: TensorOp): number[] {
  switch (op.kind) {
    case 'binary':
    case 'select':
      return op.operands.flatMap((o) => ('input' in o ? [o.input] : []));
    case 'concat':
      return op.inputs;
    default:
      return [op.input];
  }
}

function operandShape(o: OpOperand, inputShapes: Shape[]): Shape {
  return 'input' in o ? inputShapes[o.input] : o.shape;
}

// ------------------------------------------------------------------------------------------------
// shape inference

function invalid(ctx: ErrorContext, message: string, field: string, value: unknown): never {
  throw new InvalidKerasConfigurationError(message, { ...ctx, field, value });
}

function checkRank(ctx: ErrorContext, shape: Shape): void {
  if (shape.length > 4) throw new UnsupportedKerasConfigurationError('tensors of rank above 4 are not supported', { ...ctx, field: 'inbound_nodes', value: shape });
}

/** NumPy broadcasting of symbolic shapes (null = unknown, e.g. the batch). */
function broadcastShapes(ctx: ErrorContext, shapes: Shape[]): Shape {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    let d: number | null = 1;
    for (const s of shapes) {
      const k = s.length - rank + i;
      const v = k < 0 ? 1 : s[k];
      if (v === 1) continue;
      if (v === null) d = d === 1 ? null : d;
      else if (d === 1 || d === null) d = v;
      else if (d !== v) invalid(ctx, `shapes ${JSON.stringify(shapes)} cannot be broadcast together`, 'inbound_nodes', shapes);
    }
    out.push(d);
  }
  return out;
}

/** Python slice bounds for a known length: [first, count]. */
function sliceRange(len: number, start: number | null, stop: number | null, step: number): [number, number] {
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + len : v, 0), len);
  const a = start === null ? 0 : clamp(start);
  const b = stop === null ? len : clamp(stop);
  return [a, b > a ? Math.ceil((b - a) / step) : 0];
}

/** A slice's items, one per input axis or output newaxis: `axis` is -1 for a newaxis. */
export function slicePlan(ctx: ErrorContext, items: SliceItem[], rank: number): { item: Exclude<SliceItem, { kind: 'ellipsis' }>; axis: number }[] {
  const used = items.filter((s) => s.kind === 'index' || s.kind === 'slice').length;
  if (items.filter((s) => s.kind === 'ellipsis').length > 1 || used > rank) {
    throw new UnsupportedKerasConfigurationError('too many indices', { ...ctx, field: 'slice_spec', value: items });
  }
  const full: SliceItem = { kind: 'slice', start: null, stop: null, step: 1 };
  const fill = new Array<SliceItem>(rank - used).fill(full);
  const ell = items.findIndex((s) => s.kind === 'ellipsis');
  const expanded = (ell >= 0 ? [...items.slice(0, ell), ...fill, ...items.slice(ell + 1)] : [...items, ...fill]) as Exclude<SliceItem, { kind: 'ellipsis' }>[];
  let axis = 0;
  return expanded.map((item) => ({ item, axis: item.kind === 'newaxis' ? -1 : axis++ }));
}

const isFullSlice = (s: SliceItem) => s.kind === 'slice' && s.start === null && s.stop === null && s.step === 1;

/**
 * The op's output shape for symbolic input shapes, and whether it acts on every time step on its
 * own (axis 1 of its inputs and output is time), which is what lets a stream feed it a chunk of
 * steps at a time.
 */
export function inferOp(ctx: ErrorContext, op: TensorOp, inputShapes: Shape[]): { shape: Shape; perStep: boolean } {
  switch (op.kind) {
    case 'binary':
    case 'select': {
      const shapes = op.operands.map((o) => operandShape(o, inputShapes));
      const shape = broadcastShapes(ctx, shapes);
      checkRank(ctx, shape);
      // Each tensor has the output's rank (axis 1 is time) or is too short to reach the time axis.
      const perStep = shape.length >= 2 && shapes.every((s) => s.length === shape.length || s.length <= shape.length - 2);
      return { shape, perStep };
    }
    case 'unary':
    case 'castToInteger':
    case 'identity': {
      const shape = inputShapes[op.input];
      return { shape, perStep: shape.length >= 2 };
    }
    case 'activation': {
      const shape = inputShapes[op.input];
      const across = op.activation.kind !== 'elementwise';
      if (across && (op.axis < 0 || op.axis >= shape.length)) invalid(ctx, `axis ${op.axis} is outside a rank-${shape.length} tensor`, 'axis', op.axis);
      if (op.activation.kind === 'logSoftmax' && op.axis !== shape.length - 1) {
        throw new UnsupportedKerasConfigurationError('log_softmax is supported over the last axis', { ...ctx, field: 'axis', value: op.axis });
      }
      return { shape, perStep: across ? shape.length >= 3 && op.axis >= 2 : shape.length >= 2 };
    }
    case 'reduce': {
      const input = inputShapes[op.input];
      checkRank(ctx, input);
      const shape = op.keepdims ? input.map((d, i) => (op.axes.includes(i) ? 1 : d)) : input.filter((_, i) => !op.axes.includes(i));
      return { shape, perStep: input.length >= 3 && op.axes.every((a) => a >= 2) };
    }
    case 'expandDims': {
      const input = inputShapes[op.input];
      const rank = input.length + op.axes.length;
      const shape: Shape = [];
      let j = 0;
      for (let i = 0; i < rank; i++) shape.push(op.axes.includes(i) ? 1 : input[j++]);
      return { shape, perStep: input.length >= 2 && op.axes.every((a) => a >= 2) };
    }
    case 'squeeze': {
      const input = inputShapes[op.input];
      for (const a of op.axes) {
        if (input[a] !== 1 && input[a] !== null) invalid(ctx, `cannot squeeze axis ${a} of size ${input[a]}`, 'axis', op.axes);
      }
      return { shape: input.filter((_, i) => !op.axes.includes(i)), perStep: op.axes.every((a) => a >= 2) };
    }
    case 'reshape': {
      const input = inputShapes[op.input];
      const known = input.every((d, i) => i === 0 || d !== null);
      if (known && op.shape[0] === -1 && op.shape.slice(1).every((d) => d >= 0) && size(op.shape.slice(1)) !== size(input.slice(1) as number[])) {
        invalid(ctx, `cannot reshape ${JSON.stringify(input)} into ${JSON.stringify(op.shape)}`, 'shape', op.shape);
      }
      return { shape: op.shape.map((d) => (d === -1 ? null : d)), perStep: false };
    }
    case 'transpose': {
      const input = inputShapes[op.input];
      checkRank(ctx, input);
      return { shape: op.perm.map((j) => input[j]), perStep: input.length >= 2 && op.perm[0] === 0 && op.perm[1] === 1 };
    }
    case 'concat': {
      const shapes = op.inputs.map((j) => inputShapes[j]);
      const rank = shapes[0].length;
      for (const s of shapes) {
        if (s.length !== rank || s.some((d, j) => j !== op.axis && j > 0 && d !== null && shapes[0][j] !== null && d !== shapes[0][j])) {
          invalid(ctx, 'concat inputs must match except along the axis', 'values', shapes);
        }
      }
      const along = shapes.reduce<number | null>((acc, s) => (acc === null || s[op.axis] === null ? null : acc + (s[op.axis] as number)), 0);
      return { shape: shapes[0].map((d, j) => (j === op.axis ? along : d)), perStep: rank >= 3 && op.axis >= 2 };
    }
    case 'slice': {
      const input = inputShapes[op.input];
      checkRank(ctx, input);
      const plan = slicePlan(ctx, op.items, input.length);
      const shape: Shape = [];
      for (const p of plan) {
        const d = p.item.kind === 'newaxis' ? 1 : input[p.axis];
        if (p.item.kind === 'newaxis') shape.push(1);
        else if (p.item.kind === 'slice') shape.push(d === null ? null : sliceRange(d, p.item.start, p.item.stop, p.item.step)[1]);
        else if (d === null && p.axis > 0) {
          throw new UnsupportedKerasConfigurationError('indexing an axis of unknown size is not supported', { ...ctx, field: 'slice_spec', value: op.items });
        } else if (d !== null && (p.item.at >= d || p.item.at < -d)) {
          invalid(ctx, `index ${p.item.at} is out of range for axis ${p.axis} of size ${d}`, 'slice_spec', p.item.at);
        }
      }
      checkRank(ctx, shape);
      // Per step when the time axis is kept whole and stays axis 1.
      const timeAt = plan.findIndex((p) => p.axis === 1);
      const outAxis = plan.slice(0, timeAt).filter((p) => p.item.kind !== 'index').length;
      return { shape, perStep: timeAt >= 0 && isFullSlice(plan[timeAt].item) && outAxis === 1 && isFullSlice(plan[0].item) };
    }
  }
}

// ------------------------------------------------------------------------------------------------
// kernels

/** Concrete broadcast shape at run time (a mismatch is the caller's input: the config accepted the shapes). */
function runtimeBroadcast(ctx: ErrorContext, shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const k = s.length - rank + i;
      const v = k < 0 ? 1 : s[k];
      if (v === 1) continue;
      if (d !== 1 && d !== v) throw new InputError(`operand shapes ${JSON.stringify(shapes)} cannot be broadcast together`, { ...ctx, field: 'input', value: shapes });
      d = v;
    }
    out.push(d);
  }
  return out;
}

/** Rank-4 (left-padded) element strides of `shape` broadcast to `out` (0 on broadcast axes). */
function broadcastStrides(shape: number[], out: number[]): number[] {
  const padded = [...new Array<number>(out.length - shape.length).fill(1), ...shape];
  const strides = new Array<number>(padded.length).fill(0);
  let s = 1;
  for (let i = padded.length - 1; i >= 0; i--) {
    strides[i] = padded[i] === 1 ? 0 : s;
    s *= padded[i];
  }
  return [...new Array<number>(4 - strides.length).fill(0), ...strides];
}

const dims4 = (shape: number[]) => [...new Array<number>(4 - shape.length).fill(1), ...shape];

function contiguousStrides(shape: number[]): number[] {
  const out = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) out[i] = out[i + 1] * shape[i + 1];
  return out;
}

/** stridedCopy4 for ranks 0..4 (leading dims padded with 1). */
function stridedCopy(memory: WasmMemory, src: number, dst: number, dims: number[], strides: number[]): void {
  const d = dims4(dims);
  const st = [...new Array<number>(4 - strides.length).fill(0), ...strides];
  memory.kernels.stridedCopy4(src, dst, d[0], d[1], d[2], d[3], st[0], st[1], st[2], st[3]);
}

/** A block of i32s in scratch memory (a kernel's geometry parameters). */
function i32Block(memory: WasmMemory, values: number[]): number {
  const ptr = memory.scratch(values.length * 4);
  new Int32Array(memory.kernels.memory.buffer, ptr, values.length).set(values);
  return ptr;
}

type Run = (inputs: Tensor[], memory: WasmMemory) => Tensor;

/** The op's runner; `constants` holds the persistent pointer of every constant operand. */
function runnerOf(ctx: ErrorContext, op: TensorOp, constants: Map<OpOperand, number>): Run {
  const operand = (o: OpOperand, inputs: Tensor[]): Tensor => ('input' in o ? inputs[o.input] : { ptr: constants.get(o) as number, shape: o.shape });
  switch (op.kind) {
    case 'binary':
      return (inputs, memory) => {
        const [a, b] = op.operands.map((o) => operand(o, inputs));
        const out = runtimeBroadcast(ctx, [a.shape, b.shape]);
        const ptr = memory.scratch(size(out) * 4);
        const geometry = i32Block(memory, [...dims4(out), ...broadcastStrides(a.shape, out), ...broadcastStrides(b.shape, out)]);
        memory.kernels.broadcastBinaryF32(a.ptr, b.ptr, ptr, BinaryOp[op.op], geometry);
        return { ptr, shape: out };
      };
    case 'select':
      return (inputs, memory) => {
        const [c, a, b] = op.operands.map((o) => operand(o, inputs));
        const out = runtimeBroadcast(ctx, [c.shape, a.shape, b.shape]);
        const ptr = memory.scratch(size(out) * 4);
        const geometry = i32Block(memory, [...dims4(out), ...[c, a, b].flatMap((t) => broadcastStrides(t.shape, out))]);
        memory.kernels.broadcastSelectF32(c.ptr, a.ptr, b.ptr, ptr, geometry);
        return { ptr, shape: out };
      };
    case 'unary':
    case 'castToInteger':
      return (inputs, memory) => {
        const x = inputs[op.input];
        const n = size(x.shape);
        const ptr = memory.scratch(n * 4);
        if (op.kind === 'unary') memory.kernels.unaryMathF32(x.ptr, ptr, n, UnaryOp[op.op]);
        else memory.kernels.castToIntegerF32(x.ptr, ptr, n, IntegerType[op.to]);
        return { ptr, shape: x.shape.slice() };
      };
    case 'identity':
      return (inputs) => inputs[op.input];
    case 'activation':
      return (inputs, memory) => {
        const x = inputs[op.input];
        const out = copyTensor(memory, x);
        const inner = size(x.shape.slice(op.axis + 1));
        if (op.activation.kind === 'softmax' && inner > 1) memory.kernels.softmaxStrided(out.ptr, size(x.shape.slice(0, op.axis)), x.shape[op.axis], inner);
        else applyActivation(memory, out, op.activation);
        return out;
      };
    case 'reduce':
      return (inputs, memory) => {
        const x = inputs[op.input];
        let shape = x.shape.slice();
        let ptr = x.ptr;
        // One axis at a time, the last first, keeping dims so the axis numbers stay valid; a mean
        // over several axes is the mean of means (every slice has the same count).
        for (let k = op.axes.length - 1; k >= 0; k--) {
          const ax = op.axes[k];
          const outer = size(shape.slice(0, ax));
          const inner = size(shape.slice(ax + 1));
          const dst = memory.scratch(outer * inner * 4);
          memory.kernels.reduceAxisF32(ptr, outer, shape[ax], inner, dst, ReduceOp[op.op]);
          ptr = dst;
          shape = shape.map((d, i) => (i === ax ? 1 : d));
        }
        return { ptr, shape: op.keepdims ? shape : shape.filter((_, i) => !op.axes.includes(i)) };
      };
    case 'expandDims':
      return (inputs) => {
        const x = inputs[op.input];
        const shape: number[] = [];
        let k = 0;
        for (let i = 0; i < x.shape.length + op.axes.length; i++) shape.push(op.axes.includes(i) ? 1 : x.shape[k++]);
        return { ptr: x.ptr, shape };
      };
    case 'squeeze':
      return (inputs) => {
        const x = inputs[op.input];
        if (op.axes.some((a) => x.shape[a] !== 1)) {
          throw new InputError(`cannot squeeze axes ${JSON.stringify(op.axes)} of shape ${JSON.stringify(x.shape)}`, { ...ctx, field: 'input', value: x.shape });
        }
        return { ptr: x.ptr, shape: x.shape.filter((_, i) => !op.axes.includes(i)) };
      };
    case 'reshape':
      return (inputs) => {
        const x = inputs[op.input];
        const n = size(x.shape);
        const fixed = size(op.shape.filter((d) => d !== -1));
        const shape = op.shape.map((d) => (d === -1 ? n / fixed : d));
        if (!shape.every((d) => Number.isInteger(d)) || size(shape) !== n) {
          throw new InputError(`cannot reshape ${JSON.stringify(x.shape)} into ${JSON.stringify(op.shape)}`, { ...ctx, field: 'input', value: x.shape });
        }
        return { ptr: x.ptr, shape };
      };
    case 'transpose':
      return (inputs, memory) => {
        const x = inputs[op.input];
        const st = contiguousStrides(x.shape);
        const dims = op.perm.map((j) => x.shape[j]);
        const ptr = memory.scratch(size(dims) * 4);
        stridedCopy(memory, x.ptr, ptr, dims, op.perm.map((j) => st[j]));
        return { ptr, shape: dims };
      };
    case 'concat':
      return (inputs, memory) => {
        const ts = op.inputs.map((j) => inputs[j]);
        const outer = size(ts[0].shape.slice(0, op.axis));
        let acc = ts[0].ptr;
        let width = size(ts[0].shape.slice(op.axis));
        for (const t of ts.slice(1)) {
          const w = size(t.shape.slice(op.axis));
          const out = memory.scratch(outer * (width + w) * 4);
          memory.kernels.concatRows(acc, width, t.ptr, w, outer, out);
          acc = out;
          width += w;
        }
        const shape = ts[0].shape.slice();
        shape[op.axis] = ts.reduce((n, t) => n + t.shape[op.axis], 0);
        return { ptr: acc, shape };
      };
    case 'slice':
      return (inputs, memory) => {
        const x = inputs[op.input];
        const st = contiguousStrides(x.shape);
        let offset = 0;
        const dims: number[] = [];
        const strides: number[] = [];
        for (const p of slicePlan(ctx, op.items, x.shape.length)) {
          if (p.item.kind === 'newaxis') {
            dims.push(1);
            strides.push(0);
          } else if (p.item.kind === 'index') {
            const len = x.shape[p.axis];
            const at = p.item.at < 0 ? p.item.at + len : p.item.at;
            if (at < 0 || at >= len) throw new InputError(`index ${p.item.at} is out of range for axis ${p.axis} of size ${len}`, { ...ctx, field: 'input', value: x.shape });
            offset += at * st[p.axis];
          } else {
            const [first, count] = sliceRange(x.shape[p.axis], p.item.start, p.item.stop, p.item.step);
            offset += first * st[p.axis];
            dims.push(count);
            strides.push(st[p.axis] * p.item.step);
          }
        }
        const ptr = memory.scratch(Math.max(1, size(dims)) * 4);
        if (size(dims) > 0) stridedCopy(memory, x.ptr + offset * 4, ptr, dims, strides);
        return { ptr, shape: dims };
      };
  }
}

/** The constant operands of an op (they get persistent memory at instantiation). */
function constantsOf(op: TensorOp): OpOperand[] {
  return op.kind === 'binary' || op.kind === 'select' ? op.operands.filter((o) => 'constant' in o) : [];
}

/**
 * The ImportedLayer of a decoded op: output shape and `details.perStep` from {@link inferOp}, a
 * kernel that runs it. `details` adds the front end's own description (function name, axes).
 */
export function tensorOpLayer(req: ImportRequest, op: TensorOp, details: Record<string, unknown>): ImportedLayer {
  const { shape, perStep } = inferOp(req.context, op, req.inputShapes);
  for (const i of inputsOf(op)) if (i < 0 || i >= req.inputShapes.length) invalid(req.context, `the op reads input ${i} of ${req.inputShapes.length}`, 'inbound_nodes', i);
  const runCtx: ErrorContext = { layer: req.name };
  return {
    name: req.name,
    className: req.className,
    outputShapes: [shape],
    numParams: 0,
    weights: [],
    notes: [],
    inputPreprocessor: null,
    details: { ...details, perStep },
    instantiate(_arrays, memory): LayerKernel {
      const constants = new Map<OpOperand, number>();
      for (const c of constantsOf(op)) if ('constant' in c) constants.set(c, memory.allocF32(c.constant));
      const run = runnerOf(runCtx, op, constants);
      return { run: (inputs, _masks, ctx) => ({ outputs: [run(inputs, ctx.memory)], masks: [null] }) };
    },
  };
}
