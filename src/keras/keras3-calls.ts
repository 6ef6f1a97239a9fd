import { UnsupportedKerasConfigurationError } from '../errors.js';
import type { InputPlaceholder, LayerCall, LayerSpec, ModelSpec, TensorRef } from './model-spec.js';

/**
 * Keras 3 graph entries that are not plain layer calls, normalised once per model level:
 *
 * - Operations. `keras.ops.*` applied to symbolic tensors becomes an Operation node saved like a
 *   layer with `module: "keras.src.ops.<file>"` (Keras 3's legacy .h5 config drops `module`; an
 *   operation's config then has no `trainable` / `dtype`). They are renamed
 *   `keras.ops.<Class>` so that, e.g., the op `Add` never meets the `Add` merge layer's importer,
 *   and an operation kerasrnn does not implement is refused here, by name.
 * - `mask=` call arguments. Keras 3's `Layer.__call__` fills a layer's `mask` argument from its
 *   single tensor argument's mask, and that mask is itself a graph tensor (Embedding(mask_zero)
 *   computes it with `ops.not_equal`, Masking with `ops.any(ops.not_equal(...))`), so saved
 *   configs of Functional models pass it explicitly: `kwargs: {mask: <keras tensor>}`. Users can
 *   pass their own mask the same way. Either way the layer uses that tensor, so a synthetic
 *   `kerasrnn.SetMask` node makes it the time-step mask of the input it belongs to (the call's
 *   `mask` becomes null; model-config keeps mask tensors as `{ $ref }` references).
 */

/** Prefix of the class names given to Keras 3 operation nodes. */
export const KERAS3_OP_PREFIX = 'keras.ops.';

/** Class name of the synthetic node that turns a `mask=` tensor into an input's time-step mask. */
export const SET_MASK_CLASS = 'kerasrnn.SetMask';

/** Keras 3 operation classes kerasrnn runs (importers in src/layers/keras3-ops.ts). */
export const SUPPORTED_KERAS3_OPS: readonly string[] = [
  'Add', 'Subtract', 'Multiply', 'Divide', 'TrueDivide', 'Maximum', 'Minimum', 'Power',
  'Equal', 'NotEqual', 'Greater', 'GreaterEqual', 'Less', 'LessEqual', 'LogicalAnd', 'LogicalOr', 'LogicalXor',
  'LogicalNot', 'Negative', 'Absolute', 'Abs', 'Sqrt', 'Square', 'Round', 'Floor', 'Ceil', 'Sign',
  'Cast', 'Where',
  'Sum', 'Mean', 'Max', 'Amax', 'Min', 'Amin', 'Any', 'All', 'Prod',
  'Relu', 'Relu6', 'Sigmoid', 'Tanh', 'Exp', 'Softplus', 'Softsign', 'Silu', 'Swish', 'HardSigmoid', 'HardSilu',
  'HardSwish', 'Selu', 'Elu', 'Gelu', 'LeakyRelu', 'Softmax', 'LogSoftmax',
  'ExpandDims', 'Squeeze', 'Reshape',
];

/** Operation classes whose names are also layer classes: told apart by their config. */
const ALSO_LAYERS = new Set(['Add', 'Subtract', 'Multiply', 'Maximum', 'Minimum', 'Reshape', 'Softmax', 'Concatenate', 'Dot', 'Average']);

/** Classes that only exist as operations (for configs without `module`). */
const OP_ONLY = new Set(
  [...SUPPORTED_KERAS3_OPS, 'GetItem', 'Concatenate', 'Stack', 'Transpose', 'Matmul', 'Einsum', 'Take', 'Slice', 'Argmax', 'Argmin', 'Tile', 'Repeat', 'Log', 'Clip', 'Cumsum']
    .filter((c) => !ALSO_LAYERS.has(c)),
);

const OP_MODULE = /^keras(\.src)?\.ops(\.|$)/;

function isOperation(l: LayerSpec): boolean {
  // an entry with a module key is what current Keras writes: only keras.src.ops.* are operations
  if (l.module !== undefined) return typeof l.module === 'string' && OP_MODULE.test(l.module);
  if (OP_ONLY.has(l.className)) return true;
  return ALSO_LAYERS.has(l.className) && !('trainable' in l.config) && !('dtype' in l.config);
}

/** `{ $input: i }` (model-config's placeholder; repeated here to keep the import type-only). */
function isInputPlaceholder(v: unknown): v is InputPlaceholder {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && typeof (v as Record<string, unknown>).$input === 'number' && Object.keys(v).length === 1;
}

function snakeCase(name: string): string {
  return name.replace(/(.)([A-Z][a-z]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

/** A `mask=` tensor of a call (model-config keeps them as `{ $ref }` references, not inputs). */
function maskRef(v: unknown): TensorRef | null {
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && '$ref' in v) {
    const r = (v as { $ref: unknown }).$ref as TensorRef;
    if (r && typeof r.layer === 'string') return r;
  }
  return null;
}

/**
 * Rewrites a call whose `mask` keyword argument holds tensors: each (input, mask) pair goes
 * through a SetMask node appended to `added`, which replaces the input in the call.
 */
function rewriteMaskArgument(l: LayerSpec, call: LayerCall, k: number, file: string, added: LayerSpec[]): LayerCall {
  const mask = call.kwargs?.mask;
  const single = maskRef(mask);
  const list = Array.isArray(mask) ? mask.map(maskRef) : null;
  if (!single && !(list && list.some((m) => m !== null))) return call;
  const ctx = { file, layer: l.name, className: l.className, field: 'inbound_nodes.mask' };
  if (call.initialStates > 0) {
    throw new UnsupportedKerasConfigurationError('a mask= tensor together with initial_state is not supported', ctx);
  }
  const first = call.args?.[0];
  const pairs: [number, TensorRef][] = [];
  if (single && isInputPlaceholder(first)) {
    pairs.push([first.$input, single]);
  } else if (list && Array.isArray(first) && first.length === list.length) {
    list.forEach((m, i) => {
      if (m === null) return;
      const x = first[i];
      if (!isInputPlaceholder(x)) throw new UnsupportedKerasConfigurationError('this form of mask= argument is not supported', { ...ctx, value: mask });
      pairs.push([x.$input, m]);
    });
  } else {
    throw new UnsupportedKerasConfigurationError('this form of mask= argument is not supported', { ...ctx, value: mask });
  }
  const inputs = call.inputs.slice();
  pairs.forEach(([x, m], j) => {
    const name = `${l.name}/mask${k === 0 && pairs.length === 1 ? '' : `_${k}_${j}`}`;
    added.push({ name, className: SET_MASK_CLASS, config: { name }, calls: [{ inputs: [call.inputs[x], m], initialStates: 0 }] });
    inputs[x] = { layer: name, node: 0, tensor: 0 };
  });
  return { ...call, inputs, kwargs: { ...call.kwargs, mask: null } };
}

/** The dtype policy name of a Keras 3 config value (`"float32"` or a DTypePolicy object). */
function policyName(v: unknown): { name?: string; className?: string } {
  if (typeof v === 'string') return { name: v };
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const cfg = o.config as Record<string, unknown> | undefined;
    return { name: typeof cfg?.name === 'string' ? cfg.name : undefined, className: typeof o.class_name === 'string' ? o.class_name : undefined };
  }
  return {};
}

/**
 * Keras 3 dtype policies. Float policies (float32, float16, bfloat16, mixed_float16 / _bfloat16,
 * float64) only change the precision Keras computes in; kerasrnn computes in float32 whatever
 * they say. Quantized policies (int8 / int4 / float8 / GPTQ, `DTypePolicyMap`) store integer
 * weights with scales in another layout: refused, naming the layer and the policy.
 */
function checkDtypePolicy(l: LayerSpec, config: unknown, file: string, depth = 0): void {
  if (depth > 8 || config === null || typeof config !== 'object' || Array.isArray(config)) return;
  const c = config as Record<string, unknown>;
  const { name, className } = policyName(c.dtype);
  if ((className && /Quantized|DTypePolicyMap/.test(className)) || (name && /^(int8|int4|float8|gptq)/.test(name))) {
    throw new UnsupportedKerasConfigurationError('quantized layers (a quantized dtype policy: integer weights with scales) are not supported', {
      file,
      layer: l.name,
      className: l.className,
      field: 'dtype',
      value: name ?? className,
    });
  }
  for (const key of ['layer', 'backward_layer', 'cell']) {
    const inner = c[key] as Record<string, unknown> | undefined;
    if (inner && typeof inner === 'object') checkDtypePolicy(l, inner.config, file, depth + 1);
  }
}

/**
 * Normalises one model level's Keras 3 entries (see the module comment). Returns the spec with
 * operation classes renamed and SetMask nodes inserted before the layers whose `mask=` they feed.
 */
export function normalizeKeras3Calls(spec: ModelSpec, file: string): ModelSpec {
  if (spec.generation.major < 3) return spec;
  const layers: LayerSpec[] = [];
  // operations exist only in Functional graphs (a Sequential config lists layers)
  const graph = spec.className !== 'Sequential';
  for (const l of spec.layers) {
    if (graph && isOperation(l)) {
      if (!SUPPORTED_KERAS3_OPS.includes(l.className)) {
        throw new UnsupportedKerasConfigurationError(
          `the Keras 3 operation ${l.className} (keras.ops.${snakeCase(l.className)}, or a tensor expression such as x[...] in the model's code) is not supported; ` +
            `supported operations: ${SUPPORTED_KERAS3_OPS.join(', ')}`,
          { file, layer: l.name, className: l.className },
        );
      }
      layers.push({ ...l, className: KERAS3_OP_PREFIX + l.className });
      continue;
    }
    checkDtypePolicy(l, l.config, file);
    const added: LayerSpec[] = [];
    const calls = l.calls.map((c, k) => rewriteMaskArgument(l, c, k, file, added));
    layers.push(...added, added.length ? { ...l, calls } : l);
  }
  return { ...spec, layers };
}
