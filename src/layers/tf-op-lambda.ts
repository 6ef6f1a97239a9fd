import { InvalidKerasConfigurationError, UnsupportedKerasConfigurationError, type ErrorContext } from '../errors.js';
import type { BinaryOpName } from '../wasm/tensor-op-codes.js';
import { ActivationId, type Activation } from '../keras/activations.js';
import { isInputPlaceholder } from '../keras/model-config.js';
import { castOf, slicePlan, tensorOpLayer, type OpOperand, type SliceItem, type TensorOp } from './tensor-op.js';
import type { ImportedLayer, ImportRequest, LayerImporter } from './types.js';

/**
 * tf.keras (2.4+) op layers: `TFOpLambda` records a TensorFlow function called on Keras tensors
 * (`tf.expand_dims(x, 1)`, `x * 2`, `tf.reduce_mean(x, axis=1)`), `SlicingOpLambda` a slice
 * `x[:, -1, :]`. The config names the function (`"math.reduce_mean"`); its arguments are stored
 * in the inbound node (tensors as references, constants as values). No code is stored, so the
 * common functions below are implemented; any other is refused with an error naming it.
 *
 * Supported: element-wise add / subtract / multiply / divide / maximum / minimum and comparisons
 * (numpy broadcasting, tensors or constants), tanh / sigmoid / relu / exp and other activations,
 * negation, softmax / log_softmax, cast, identity, expand_dims, squeeze, reshape, transpose (batch
 * axis first), concat, reduce_mean / sum / max / min, and slicing with ints, slices (step >= 1),
 * `...` and `tf.newaxis`. Tensors up to rank 4; the batch axis cannot be sliced, reduced or moved.
 * Outputs carry no mask (TFOpLambda does not propagate Keras masks). This module only decodes the
 * recorded arguments into a {@link TensorOp}; shapes, numeric rules and kernels are the shared
 * core's (`tensor-op.ts`), the same as for Keras 3 op nodes.
 */

function fail(req: ImportRequest, message: string, field: string, value: unknown): never {
  throw new UnsupportedKerasConfigurationError(`${message} (op "${String(req.config.field('function'))}")`, { ...req.context, field, value });
}

/** The op's argument: keyword `name`, else positional `position` (tf.keras names every argument after the first). */
function arg(req: ImportRequest, name: string, position: number): unknown {
  const call = req.call;
  if (!call) return undefined;
  if (Object.hasOwn(call.kwargs, name)) return call.kwargs[name];
  return call.args[position];
}

function constShape(v: unknown): number[] | null {
  if (typeof v === 'number' || typeof v === 'boolean') return [];
  if (!Array.isArray(v) || v.length === 0) return null;
  const inner = constShape(v[0]);
  if (inner === null) return null;
  for (const x of v) {
    const s = constShape(x);
    if (s === null || s.length !== inner.length || s.some((d, i) => d !== inner[i])) return null;
  }
  return [v.length, ...inner];
}

function operand(req: ImportRequest, v: unknown, field: string): OpOperand {
  if (isInputPlaceholder(v)) return { input: v.$input };
  const shape = constShape(v);
  if (shape === null) fail(req, 'expected a tensor or a numeric constant', field, v);
  const flat = [v].flat(Infinity) as (number | boolean)[];
  return { constant: Float32Array.from(flat, (x) => Number(x)), shape };
}

function normAxis(req: ImportRequest, axis: unknown, rank: number, field: string): number {
  if (!Number.isInteger(axis)) fail(req, 'expected an integer axis', field, axis);
  const a = (axis as number) < 0 ? (axis as number) + rank : (axis as number);
  if (a < 0 || a >= rank) throw new InvalidKerasConfigurationError(`axis ${String(axis)} is outside a rank-${rank} tensor`, { ...req.context, field, value: axis });
  if (a === 0) fail(req, 'operating along the batch axis is not supported', field, axis);
  return a;
}

const BINARY: Record<string, BinaryOpName> = {
  'math.add': 'add', '__operators__.add': 'add', add: 'add',
  'math.subtract': 'sub', '__operators__.sub': 'sub', subtract: 'sub',
  'math.multiply': 'mul', '__operators__.mul': 'mul', multiply: 'mul',
  'math.truediv': 'div', '__operators__.truediv': 'div', 'math.divide': 'div', divide: 'div', truediv: 'div',
  'math.maximum': 'max', maximum: 'max', 'math.minimum': 'min', minimum: 'min',
  'math.equal': 'eq', equal: 'eq', 'math.not_equal': 'ne', not_equal: 'ne', 'math.less': 'lt', less: 'lt', 'math.less_equal': 'le', less_equal: 'le',
  'math.greater': 'gt', greater: 'gt', 'math.greater_equal': 'ge', greater_equal: 'ge',
};

const ACTIVATIONS: Record<string, [string, number]> = {
  'math.tanh': ['tanh', ActivationId.tanh], tanh: ['tanh', ActivationId.tanh],
  'math.sigmoid': ['sigmoid', ActivationId.sigmoid], 'nn.sigmoid': ['sigmoid', ActivationId.sigmoid], sigmoid: ['sigmoid', ActivationId.sigmoid],
  'nn.relu': ['relu', ActivationId.relu], 'math.exp': ['exponential', ActivationId.exponential], exp: ['exponential', ActivationId.exponential],
  'math.softplus': ['softplus', ActivationId.softplus], 'nn.softplus': ['softplus', ActivationId.softplus],
  'math.softsign': ['softsign', ActivationId.softsign], 'nn.softsign': ['softsign', ActivationId.softsign],
  'nn.elu': ['elu', ActivationId.elu], 'nn.selu': ['selu', ActivationId.selu], 'nn.silu': ['silu', ActivationId.swish], 'nn.swish': ['silu', ActivationId.swish],
  'nn.relu6': ['relu6', ActivationId.relu6],
};

function firstTensor(req: ImportRequest, field = 'inbound_nodes'): number {
  const v = req.call?.args[0];
  if (!isInputPlaceholder(v)) fail(req, 'expected a tensor as the first argument', field, v);
  return v.$input;
}

const elementwise = (name: string, id: number, alpha = 0): Activation => ({ kind: 'elementwise', name, id, alpha });

function binaryOp(req: ImportRequest, fn: string): TensorOp {
  return { kind: 'binary', op: BINARY[fn], operands: [operand(req, arg(req, 'x', 0), 'x'), operand(req, arg(req, 'y', 1), 'y')] };
}

function unaryOp(req: ImportRequest, fn: string): TensorOp {
  const input = firstTensor(req);
  if (fn === 'identity') return { kind: 'identity', input };
  if (fn === 'math.negative' || fn === '__operators__.neg' || fn === 'negative') return { kind: 'unary', op: 'neg', input };
  if (fn === 'nn.gelu') {
    const approximate = arg(req, 'approximate', 1) === true;
    return { kind: 'activation', activation: elementwise(approximate ? 'gelu_approximate' : 'gelu', approximate ? ActivationId.geluTanh : ActivationId.gelu), axis: -1, input };
  }
  if (fn === 'nn.leaky_relu') {
    const a = arg(req, 'alpha', 1);
    return { kind: 'activation', activation: elementwise('leaky_relu', ActivationId.leakyRelu, typeof a === 'number' ? a : 0.2), axis: -1, input };
  }
  const [name, id] = ACTIVATIONS[fn];
  return { kind: 'activation', activation: elementwise(name, id), axis: -1, input };
}

function softmaxOp(req: ImportRequest, log: boolean): TensorOp {
  const input = firstTensor(req);
  const rank = req.inputShapes[input].length;
  const axis = normAxis(req, arg(req, 'axis', 1) ?? -1, rank, 'axis');
  const name = log ? 'log_softmax' : 'softmax';
  return { kind: 'activation', activation: log ? { kind: 'logSoftmax', name, axis } : { kind: 'softmax', name, axis }, axis, input };
}

function castOp(req: ImportRequest): TensorOp {
  const dtype = String(arg(req, 'dtype', 1));
  return castOf(dtype, firstTensor(req)) ?? fail(req, 'cast to this dtype is not supported', 'dtype', dtype);
}

function expandDimsOp(req: ImportRequest): TensorOp {
  const input = firstTensor(req);
  const axis = normAxis(req, arg(req, 'axis', 1), req.inputShapes[input].length + 1, 'axis');
  return { kind: 'expandDims', axes: [axis], input };
}

function squeezeOp(req: ImportRequest): TensorOp {
  const input = firstTensor(req);
  const shape = req.inputShapes[input];
  const raw = arg(req, 'axis', 1) ?? arg(req, 'squeeze_dims', 3);
  let axes: number[];
  if (raw === undefined || raw === null) axes = shape.map((d, j) => (j > 0 && d === 1 ? j : -1)).filter((j) => j >= 0);
  else axes = (Array.isArray(raw) ? raw : [raw]).map((a) => normAxis(req, a, shape.length, 'axis'));
  for (const a of axes) if (shape[a] !== 1) fail(req, `cannot squeeze axis ${a} of size ${shape[a]}`, 'axis', raw);
  return { kind: 'squeeze', axes, input };
}

function reshapeOp(req: ImportRequest): TensorOp {
  const input = firstTensor(req);
  const target = arg(req, 'shape', 1);
  if (!Array.isArray(target) || !target.every((d) => Number.isInteger(d) && d >= -1)) fail(req, 'expected a constant target shape', 'shape', target);
  const t = target as number[];
  if (t[0] !== -1 || t.slice(1).some((d) => d === -1)) fail(req, 'reshape is supported with -1 (the batch) first and known sizes after it', 'shape', target);
  if (req.inputShapes[input].slice(1).some((d) => d === null)) {
    throw new InvalidKerasConfigurationError(`cannot reshape ${JSON.stringify(req.inputShapes[input])} to ${JSON.stringify(target)}`, { ...req.context, field: 'shape', value: target });
  }
  if (t.length > 4) fail(req, 'tensors of rank above 4 are not supported', 'shape', target);
  return { kind: 'reshape', shape: t, input };
}

function transposeOp(req: ImportRequest): TensorOp {
  const input = firstTensor(req);
  const rank = req.inputShapes[input].length;
  const perm = arg(req, 'perm', 1);
  if (!Array.isArray(perm) || perm.length !== rank || perm[0] !== 0 || [...perm].sort().some((p, j) => p !== j)) {
    fail(req, 'transpose needs a constant perm that keeps the batch axis first', 'perm', perm);
  }
  return { kind: 'transpose', perm: perm as number[], input };
}

function concatOp(req: ImportRequest): TensorOp {
  const values = arg(req, 'values', 0);
  if (!Array.isArray(values) || values.length === 0 || !values.every(isInputPlaceholder)) fail(req, 'concat needs a list of tensors', 'values', values);
  const inputs = (values as { $input: number }[]).map((v) => v.$input);
  return { kind: 'concat', axis: normAxis(req, arg(req, 'axis', 1), req.inputShapes[inputs[0]].length, 'axis'), inputs };
}

function reduceOp(req: ImportRequest, op: 'sum' | 'mean' | 'max' | 'min'): TensorOp {
  const input = firstTensor(req);
  const rank = req.inputShapes[input].length;
  const raw = arg(req, 'axis', 1);
  if (raw === undefined || raw === null) fail(req, 'a reduction over every axis (including the batch) is not supported', 'axis', raw);
  const axes = [...new Set((Array.isArray(raw) ? raw : [raw]).map((a) => normAxis(req, a, rank, 'axis')))].sort((a, b) => a - b);
  const keepdims = arg(req, 'keepdims', 2) === true || arg(req, 'keep_dims', 4) === true;
  return { kind: 'reduce', op, axes, keepdims, input };
}

function sliceItems(req: ImportRequest, spec: unknown): SliceItem[] {
  const list = Array.isArray(spec) ? spec : [spec];
  return list.map((s): SliceItem => {
    if (s === null) return { kind: 'newaxis' };
    if (Number.isInteger(s)) return { kind: 'index', at: s as number };
    if (s && typeof s === 'object' && !Array.isArray(s)) {
      const o = s as Record<string, unknown>;
      if (o.class_name === '__ellipsis__') return { kind: 'ellipsis' };
      if ('start' in o || 'stop' in o || 'step' in o) {
        const ok = (v: unknown) => v === null || v === undefined || Number.isInteger(v);
        if (!ok(o.start) || !ok(o.stop) || !ok(o.step)) fail(req, 'slice bounds must be constant integers', 'slice_spec', spec);
        const step = (o.step as number | null | undefined) ?? 1;
        if (step < 1) fail(req, 'slices with a step below 1 are not supported', 'slice_spec', spec);
        return { kind: 'slice', start: (o.start as number | null | undefined) ?? null, stop: (o.stop as number | null | undefined) ?? null, step };
      }
    }
    return fail(req, 'unsupported slice item', 'slice_spec', spec);
  });
}

function getItemOp(req: ImportRequest): TensorOp {
  const input = firstTensor(req);
  const items = sliceItems(req, arg(req, 'slice_spec', 1));
  const batch = slicePlan(req.context, items, req.inputShapes[input].length).find((p) => p.axis === 0)?.item;
  if (batch && !(batch.kind === 'slice' && batch.start === null && batch.stop === null && batch.step === 1)) {
    fail(req, 'slicing the batch axis is not supported', 'slice_spec', items);
  }
  return { kind: 'slice', items, input };
}

/** What `details` shows about the decoded arguments (the summary and tests read it). */
function describe(req: ImportRequest, fn: string, op: TensorOp): Record<string, unknown> {
  if (fn === 'cast') return { dtype: String(arg(req, 'dtype', 1)) };
  if (op.kind === 'reduce') return { axes: [...op.axes].reverse(), keepdims: op.keepdims };
  if (op.kind === 'activation' && op.activation.kind !== 'elementwise') return { axis: op.axis };
  if (op.kind === 'slice') return { sliceSpec: op.items };
  return {};
}

const OPS: Record<string, (req: ImportRequest, fn: string) => TensorOp> = {
  ...Object.fromEntries(Object.keys(BINARY).map((k) => [k, binaryOp])),
  ...Object.fromEntries([...Object.keys(ACTIVATIONS), 'math.negative', '__operators__.neg', 'negative', 'identity', 'nn.gelu', 'nn.leaky_relu'].map((k) => [k, unaryOp])),
  'nn.softmax': (req) => softmaxOp(req, false),
  'math.softmax': (req) => softmaxOp(req, false),
  'nn.log_softmax': (req) => softmaxOp(req, true),
  'math.log_softmax': (req) => softmaxOp(req, true),
  cast: castOp,
  expand_dims: expandDimsOp,
  squeeze: squeezeOp,
  reshape: reshapeOp,
  transpose: transposeOp,
  concat: concatOp,
  'math.reduce_sum': (req) => reduceOp(req, 'sum'),
  reduce_sum: (req) => reduceOp(req, 'sum'),
  'math.reduce_mean': (req) => reduceOp(req, 'mean'),
  reduce_mean: (req) => reduceOp(req, 'mean'),
  'math.reduce_max': (req) => reduceOp(req, 'max'),
  reduce_max: (req) => reduceOp(req, 'max'),
  'math.reduce_min': (req) => reduceOp(req, 'min'),
  reduce_min: (req) => reduceOp(req, 'min'),
  '__operators__.getitem': getItemOp,
};

/** The names of the functions kerasrnn implements (for error messages and the README). */
export const SUPPORTED_TF_OPS: readonly string[] = Object.keys(OPS).sort();

function importOp(req: ImportRequest): ImportedLayer {
  const ctx: ErrorContext = req.context;
  const raw = req.config.string('function');
  // tf.compat.v1.<op> records "compat.v1.<op>"; the v1 and v2 functions agree on these ops.
  const fn = raw.replace(/^compat\.v[12]\./, '');
  const make = OPS[fn];
  if (!make) {
    throw new UnsupportedKerasConfigurationError(
      `the TensorFlow op "${raw}" is not supported in ${req.className} layers; supported: ${SUPPORTED_TF_OPS.join(', ')}. ` +
        `Supply it with loadModel(source, { customLayers: { ${JSON.stringify(req.name)}: impl } })`,
      { ...ctx, field: 'function', value: raw },
    );
  }
  if (!req.call) throw new InvalidKerasConfigurationError('an op layer needs its call arguments (inbound_nodes)', { ...ctx, field: 'inbound_nodes', value: undefined });
  const op = make(req, fn);
  return tensorOpLayer(req, op, { function: raw, ...describe(req, fn, op) });
}

/** `TFOpLambda` and `SlicingOpLambda` (tf.keras 2.4+): see the list of supported functions above. */
export const TfOpLambdaImporter: LayerImporter = {
  classNames: ['TFOpLambda', 'SlicingOpLambda'],
  import: importOp,
};
