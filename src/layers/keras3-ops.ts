/**
 * Keras 3 operation nodes. When model code applies `keras.ops.*` to symbolic tensors (or a layer
 * builds its mask with them: Embedding(mask_zero) calls `ops.not_equal`, Masking `ops.any(
 * ops.not_equal(...))`), Keras 3 records an Operation node in the Functional graph, saved like a
 * layer with `module: "keras.src.ops.<file>"`. `src/keras/keras3-calls.ts` renames those entries
 * `keras.ops.<Class>` (an op `Add` is not the `Add` merge layer) and refuses unknown ones; the
 * importers here read the call's stored arguments (`req.call`: tensors as `{ $input: i }`,
 * constants as numbers) and run the math in `assembly/keras3-ops.ts`.
 *
 * Booleans are float 0 / 1 (the engine holds every tensor in f32), so `Cast` to an integer type
 * truncates, to `bool` tests != 0, and to a float type is the identity. Operations carry no Keras
 * mask (only layers attach masks), so every op output has none. Shapes follow NumPy broadcasting
 * up to rank 4.
 * @packageDocumentation
 */
import { InputError, InvalidKerasConfigurationError, UnsupportedKerasConfigurationError, type ErrorContext } from '../errors.js';
import type { BinaryOpName, ReduceOpName, UnaryOpName } from '../wasm/tensor-op-codes.js';
import { resolveActivation, type Activation } from '../keras/activations.js';
import { isInputPlaceholder } from '../keras/model-config.js';
import { KERAS3_OP_PREFIX, SET_MASK_CLASS } from '../keras/keras3-calls.js';
import { castOf, tensorOpLayer, type OpOperand, type TensorOp } from './tensor-op.js';
import type { ImportRequest, LayerImporter, Mask } from './types.js';
import { weightlessLayer } from './weightless.js';

/** Binary operation classes and the op each computes. */
const BINARY: Record<string, BinaryOpName> = {
  Add: 'add',
  Subtract: 'sub',
  Multiply: 'mul',
  Divide: 'div',
  TrueDivide: 'div',
  Maximum: 'max',
  Minimum: 'min',
  Power: 'pow',
  Equal: 'eq',
  NotEqual: 'ne',
  Greater: 'gt',
  GreaterEqual: 'ge',
  Less: 'lt',
  LessEqual: 'le',
  LogicalAnd: 'and',
  LogicalOr: 'or',
  LogicalXor: 'xor',
};

/** Unary operation classes that are not activations. */
const UNARY: Record<string, UnaryOpName> = {
  LogicalNot: 'not',
  Negative: 'neg',
  Absolute: 'abs',
  Abs: 'abs',
  Sqrt: 'sqrt',
  Square: 'square',
  Round: 'round',
  Floor: 'floor',
  Ceil: 'ceil',
  Sign: 'sign',
};

/** Reduction classes. */
const REDUCE: Record<string, ReduceOpName> = { Sum: 'sum', Mean: 'mean', Max: 'max', Amax: 'max', Min: 'min', Amin: 'min', Any: 'any', All: 'all', Prod: 'prod' };

/** Element-wise activation ops (keras.src.ops.nn / numpy) and the Keras activation they equal. */
const ACTIVATION_OPS: Record<string, string> = {
  Relu: 'relu',
  Relu6: 'relu6',
  Sigmoid: 'sigmoid',
  Tanh: 'tanh',
  Exp: 'exponential',
  Softplus: 'softplus',
  Softsign: 'softsign',
  Silu: 'silu',
  Swish: 'silu',
  HardSigmoid: 'hard_sigmoid',
  HardSilu: 'hard_silu',
  HardSwish: 'hard_silu',
  Selu: 'selu',
  Elu: 'elu',
  Gelu: 'gelu',
  LeakyRelu: 'leaky_relu',
  Softmax: 'softmax',
  LogSoftmax: 'log_softmax',
};

const SHAPE_OPS = ['ExpandDims', 'Squeeze', 'Reshape'];

/** Every Keras 3 operation class kerasrnn runs (without the `keras.ops.` prefix). */
export const SUPPORTED_OPS: readonly string[] = [
  ...Object.keys(BINARY),
  ...Object.keys(UNARY),
  'Cast',
  'Where',
  ...Object.keys(REDUCE),
  ...Object.keys(ACTIVATION_OPS),
  ...SHAPE_OPS,
];

function fail(req: ImportRequest, message: string, field: string, value?: unknown): never {
  throw new UnsupportedKerasConfigurationError(message, { ...req.context, field, ...(value === undefined ? {} : { value }) });
}

/** The op's positional operands (`req.call.args`; `kwargs` by name as fallback). */
function operands(req: ImportRequest, names: readonly string[]): OpOperand[] {
  const args = req.call?.args ?? names.map((_, i) => ({ $input: i }));
  const kwargs = req.call?.kwargs ?? {};
  return names.map((name, i) => {
    const v = i < args.length ? args[i] : kwargs[name];
    if (isInputPlaceholder(v)) return { input: v.$input };
    // inf / nan constants are kept (e.g. -inf fill values)
    if (typeof v === 'number') return { constant: Float32Array.of(v), shape: [] };
    if (typeof v === 'boolean') return { constant: Float32Array.of(v ? 1 : 0), shape: [] };
    return fail(req, `operand ${name} must be a tensor or a number`, `inbound_nodes.args[${i}]`, v);
  });
}

/** An importer of one operation class: decode the op, then the shared core builds the layer. */
function opImporter(name: string, decode: (req: ImportRequest) => [TensorOp, Record<string, unknown>]): LayerImporter {
  return {
    classNames: [KERAS3_OP_PREFIX + name],
    import(req) {
      const [op, details] = decode(req);
      return tensorOpLayer(req, op, { op: name, ...details });
    },
  };
}

function binaryImporter(name: string): LayerImporter {
  return opImporter(name, (req) => {
    const [a, b] = operands(req, ['x1', 'x2']);
    const constants = [a, b].flatMap((o) => ('constant' in o ? [o.constant[0]] : []));
    return [{ kind: 'binary', op: BINARY[name], operands: [a, b] }, { constants }];
  });
}

const WhereImporter = opImporter('Where', (req) => {
  const args = req.call?.args ?? [];
  if (args.length < 3 || args[1] === null || args[2] === null) {
    fail(req, 'where(condition) without x1 and x2 (the indices form) is not supported', 'inbound_nodes.args', args.length);
  }
  const [c, a, b] = operands(req, ['condition', 'x1', 'x2']);
  return [{ kind: 'select', operands: [c, a, b] }, {}];
});

/** The single tensor operand (input 0) of a one-operand op. */
function singleTensor(req: ImportRequest): number {
  const [o] = operands(req, ['x']);
  if (!('input' in o) || o.input !== 0) fail(req, 'the operation needs a tensor operand', 'inbound_nodes.args[0]');
  return 0;
}

function unaryImporter(name: string): LayerImporter {
  return opImporter(name, (req) => {
    const input = singleTensor(req);
    if (name === 'Round' && (req.config.field('decimals') ?? 0) !== 0) fail(req, 'round with decimals is not supported', 'decimals', req.config.field('decimals'));
    return [{ kind: 'unary', op: UNARY[name], input }, {}];
  });
}

const CastImporter = opImporter('Cast', (req) => {
  const input = singleTensor(req);
  const dtype = req.config.field('dtype');
  const d = typeof dtype === 'string' ? dtype : typeof dtype === 'object' && dtype !== null ? (dtype as Record<string, unknown>).name : undefined;
  const op = typeof d === 'string' ? castOf(d, input) : null;
  if (!op) return fail(req, 'cast to this dtype is not supported', 'dtype', dtype);
  return [op, { dtype: d }];
});

function activationImporter(name: string): LayerImporter {
  return opImporter(name, (req) => {
    const input = singleTensor(req);
    const rank = req.inputShapes[input].length;
    const ctx: ErrorContext = { ...req.context, field: 'config' };
    let activation: Activation = resolveActivation(ACTIVATION_OPS[name], req.generation, ctx);
    const cfg = req.config;
    let axis = rank - 1;
    if (name === 'Softmax' || name === 'LogSoftmax') {
      const raw = cfg.field('axis') ?? -1;
      if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < -rank || raw >= rank) {
        throw new InvalidKerasConfigurationError(`axis ${JSON.stringify(raw)} is out of range for rank ${rank}`, { ...req.context, field: 'axis', value: raw });
      }
      axis = raw < 0 ? raw + rank : raw;
    }
    if (name === 'Elu' && (cfg.field('alpha') ?? 1) !== 1) fail(req, 'elu with alpha other than 1 is not supported', 'alpha', cfg.field('alpha'));
    if (name === 'Gelu' && cfg.field('approximate') === true) activation = resolveActivation('gelu_approximate', req.generation, ctx);
    if (name === 'LeakyRelu' && activation.kind === 'elementwise') {
      const slope = cfg.field('negative_slope') ?? 0.2;
      if (typeof slope !== 'number') fail(req, 'negative_slope must be a number', 'negative_slope', slope);
      activation = { ...activation, alpha: slope };
    }
    return [{ kind: 'activation', activation, axis, input }, { activation: activation.name }];
  });
}

/** Axis argument(s) normalised to sorted non-negative ints, or null for "all axes". */
function axesOf(req: ImportRequest, value: unknown, rank: number, field: string): number[] | null {
  if (value === undefined || value === null) return null;
  const list = Array.isArray(value) ? value : [value];
  const axes = list.map((a) => {
    if (typeof a !== 'number' || !Number.isInteger(a) || a < -rank || a >= rank) {
      throw new InvalidKerasConfigurationError(`axis ${JSON.stringify(a)} is out of range for rank ${rank}`, { ...req.context, field, value });
    }
    return a < 0 ? a + rank : a;
  });
  return [...new Set(axes)].sort((a, b) => a - b);
}

function reduceImporter(name: string): LayerImporter {
  return opImporter(name, (req) => {
    const input = singleTensor(req);
    const cfg = req.config;
    if (cfg.field('initial') !== undefined && cfg.field('initial') !== null) fail(req, `${name} with an initial value is not supported`, 'initial', cfg.field('initial'));
    const keepdims = cfg.boolField('keepdims', false);
    const rank = req.inputShapes[input].length;
    const axes = axesOf(req, cfg.field('axis'), rank, 'axis') ?? req.inputShapes[input].map((_, i) => i);
    return [{ kind: 'reduce', op: REDUCE[name], axes, keepdims, input }, { axes, keepdims }];
  });
}

const ExpandDimsImporter = opImporter('ExpandDims', (req) => {
  const input = singleTensor(req);
  const raw = req.config.field('axis');
  const list = Array.isArray(raw) ? raw : [raw];
  const rank = req.inputShapes[input].length + list.length;
  const axes = axesOf(req, list, rank, 'axis') as number[];
  if (rank > 5) fail(req, 'tensors of rank above 5 are not supported', 'axis', raw);
  return [{ kind: 'expandDims', axes, input }, { axes }];
});

const SqueezeImporter = opImporter('Squeeze', (req) => {
  const input = singleTensor(req);
  const shape = req.inputShapes[input];
  const axes = axesOf(req, req.config.field('axis'), shape.length, 'axis') ?? shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
  return [{ kind: 'squeeze', axes, input }, { axes }];
});

const ReshapeOpImporter = opImporter('Reshape', (req) => {
  const input = singleTensor(req);
  const raw = req.config.field('newshape') ?? req.config.field('new_shape');
  if (!Array.isArray(raw) || raw.length === 0 || raw.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < -1) || raw.filter((d) => d === -1).length > 1) {
    fail(req, 'reshape needs a list of dimensions with at most one -1', 'newshape', raw);
  }
  // keras.ops.reshape's new shape includes the batch axis; -1 is resolved per call
  return [{ kind: 'reshape', shape: raw as number[], input }, { newshape: raw }];
});

/**
 * `kerasrnn.SetMask` (synthetic, inserted by keras3-calls.ts): the tensor a Keras 3 call received
 * as its `mask=` argument becomes the time-step mask of the call's input, so the layer sees it
 * exactly as it sees a mask from Masking / Embedding. Inputs [x, mask]; mask (batch, steps).
 */
export const SetMaskImporter: LayerImporter = {
  classNames: [SET_MASK_CLASS],
  import(req) {
    const [x, m] = req.inputShapes;
    if (!x || !m || m.length !== 2 || x.length < 2) {
      throw new UnsupportedKerasConfigurationError('a mask argument must be a (batch, steps) tensor for an input with a time axis', {
        ...req.context,
        field: 'inbound_nodes.mask',
        value: [x, m],
      });
    }
    if (m[1] !== null && x[1] !== null && m[1] !== x[1]) {
      throw new InvalidKerasConfigurationError(`the mask has ${m[1]} steps, the input ${x[1]}`, { ...req.context, field: 'inbound_nodes.mask', value: [x, m] });
    }
    return weightlessLayer(req, [x], {
      run(inputs, _masks, ctx) {
        const [t, mt] = inputs;
        if (mt.shape[0] !== t.shape[0] || mt.shape[1] !== t.shape[1]) {
          throw new InputError(`mask shape ${JSON.stringify(mt.shape)} does not match input ${JSON.stringify(t.shape)}`, { layer: req.name, field: 'input', value: mt.shape });
        }
        const n = mt.shape[0] * mt.shape[1];
        const mask: Mask = { ptr: ctx.memory.scratch(n), batch: mt.shape[0], steps: mt.shape[1] };
        ctx.memory.kernels.maskFromValuesF32(mt.ptr, n, mask.ptr);
        return { outputs: [t], masks: [mask] };
      },
    }, { details: { synthetic: 'the mask= argument of a Keras 3 call', perStep: true } });
  },
};

/** Importers of every supported Keras 3 operation, plus the synthetic SetMask. */
export const KERAS3_OP_IMPORTERS: readonly LayerImporter[] = [
  ...Object.keys(BINARY).map(binaryImporter),
  ...Object.keys(UNARY).map(unaryImporter),
  CastImporter,
  WhereImporter,
  ...Object.keys(REDUCE).map(reduceImporter),
  ...Object.keys(ACTIVATION_OPS).map(activationImporter),
  ExpandDimsImporter,
  SqueezeImporter,
  ReshapeOpImporter,
  SetMaskImporter,
];
