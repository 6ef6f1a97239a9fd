import type { GraphLayer } from '../graph/build-graph.js';
import type { KerasGeneration } from '../keras/generation.js';
import { refuse } from './layers/layer-module.js';

/**
 * Keras' regularization losses in training, read from the layers' configs: weight regularizers
 * (`kernel_regularizer`, `recurrent_regularizer`, `bias_regularizer`, `depthwise_regularizer`,
 * ... and Keras 1's `W_regularizer`, `U_regularizer`, `b_regularizer`) and activity
 * regularizers (`activity_regularizer`, the ActivityRegularization layer). Keras adds them to
 * the loss it minimises and reports: l1 sum|x| + l2 sum x^2 per regularized weight; per layer
 * output for activity regularizers, divided by the batch size in Keras 1 (the mean over the batch
 * axis) and tf.keras / Keras 2 (`_handle_activity_regularization`), not in Keras 3
 * (`Layer.__call__` adds `activity_regularizer(output)` as it is). The kernel is
 * assembly/regularizers.ts.
 */

/** An L1 / L2 / L1L2 penalty's factors. */
export interface Penalty {
  l1: number;
  l2: number;
}

/** A regularized weight: its index in the layer's stored arrays. */
export interface WeightPenalty extends Penalty {
  index: number;
}

/** A layer's activity regularizer: the penalty and the factor applied to it (1 / batch or 1). */
export interface ActivityPenalty extends Penalty {
  perBatch: boolean;
}

const num = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);

/**
 * A serialised regularizer's factors, null for none, or its refusal by name: Keras 1 dicts
 * (`{ name: 'WeightRegularizer' | 'ActivityRegularizer' | 'L1L2Regularizer', l1, l2 }`), Keras 2
 * / 3 objects (`{ class_name: 'L1' | 'L2' | 'L1L2', config }`), the names 'l1' / 'l2' (0.01 in
 * every version). OrthogonalRegularizer and custom classes are refused.
 */
export function readRegularizer(layer: GraphLayer, field: string, value: unknown): Penalty | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') {
    if (value === 'l1') return { l1: 0.01, l2: 0 };
    if (value === 'l2') return { l1: 0, l2: 0.01 };
    refuse(layer, `the regularizer "${value}"`, field, value);
  }
  const v = value as Record<string, unknown>;
  if (typeof v.name === 'string' && v.class_name === undefined) {
    if (['WeightRegularizer', 'ActivityRegularizer', 'L1L2Regularizer'].includes(v.name)) return { l1: num(v.l1, 0), l2: num(v.l2, 0) };
    refuse(layer, `the regularizer ${v.name}`, field, v.name);
  }
  const cls = String(v.class_name);
  const c = (v.config ?? {}) as Record<string, unknown>;
  // defaults: Keras 2 / 3 L1(l1=0.01), L2(l2=0.01), L1L2(l1=0.0, l2=0.0); configs state them anyway
  if (cls === 'L1' || cls === 'l1') return { l1: num(c.l1, 0.01), l2: 0 };
  if (cls === 'L2' || cls === 'l2') return { l1: 0, l2: num(c.l2, 0.01) };
  if (cls === 'L1L2' || cls === 'l1_l2') return { l1: num(c.l1, 0), l2: num(c.l2, 0) };
  refuse(layer, `the regularizer ${cls}`, field, cls);
}

/** Weight regularizer fields and the stored weight names they cover (Keras 2 / 3 and Keras 1 per-gate names). */
const WEIGHT_FIELDS: [string, RegExp][] = [
  ['kernel_regularizer', /^kernel$/],
  ['recurrent_regularizer', /^recurrent_kernel$/],
  ['bias_regularizer', /^bias$/],
  ['depthwise_regularizer', /^depthwise_kernel$/],
  ['pointwise_regularizer', /^pointwise_kernel$/],
  ['embeddings_regularizer', /^embeddings$/],
  ['gamma_regularizer', /^gamma$/],
  ['beta_regularizer', /^beta$/],
  ['alpha_regularizer', /^alphas?$/],
  // Keras 1: W / U / b, per gate W_i, U_z, b_h ...
  ['W_regularizer', /^W(_[a-z])?$/],
  ['U_regularizer', /^U(_[a-z])?$/],
  ['b_regularizer', /^b(_[a-z])?$/],
];

/** The config holding a layer's regularizers: wrappers (Bidirectional, TimeDistributed) keep their inner layer's. */
function regularizerConfig(layer: GraphLayer): Record<string, unknown> {
  const c = layer.spec.config;
  const inner = (c.layer as { config?: Record<string, unknown> } | undefined)?.config;
  return inner && (layer.imported.className === 'Bidirectional' || layer.imported.className === 'TimeDistributed') ? inner : c;
}

/** The regularized weights of a layer (indices into its stored arrays), refusing unknown regularizers by name. */
export function weightPenalties(layer: GraphLayer): WeightPenalty[] {
  const config = regularizerConfig(layer);
  const names = layer.imported.weights.map((w) => w.name.replace(/^.*\//, '').replace(/:0$/, ''));
  const out: WeightPenalty[] = [];
  for (const [field, pattern] of WEIGHT_FIELDS) {
    const p = readRegularizer(layer, field, config[field]);
    if (!p || (p.l1 === 0 && p.l2 === 0)) continue;
    const hit = names.flatMap((n, index) => (pattern.test(n) && !out.some((o) => o.index === index) ? [index] : []));
    if (hit.length === 0) refuse(layer, `${field} on a layer without the weight it names`, field, config[field]);
    for (const index of hit) out.push({ index, ...p });
  }
  return out;
}

/** A layer's activity regularizer (ActivityRegularization: its l1 / l2), or null. */
export function activityPenalty(layer: GraphLayer, generation: KerasGeneration): ActivityPenalty | null {
  const c = layer.spec.config;
  const inner = regularizerConfig(layer);
  // Keras 2 applies an inner layer's to the folded [batch * steps] tensor, Keras 3's wrappers call `layer.call` and skip it
  if (inner !== c && readRegularizer(layer, 'layer.activity_regularizer', inner.activity_regularizer)) {
    refuse(layer, `an activity_regularizer on the layer inside ${layer.imported.className}`, 'layer.activity_regularizer', inner.activity_regularizer);
  }
  const perBatch = generation.major < 3;
  if (layer.imported.className === 'ActivityRegularization') {
    const l1 = num(layer.spec.config.l1, 0);
    const l2 = num(layer.spec.config.l2, 0);
    return l1 === 0 && l2 === 0 ? null : { l1, l2, perBatch };
  }
  const p = readRegularizer(layer, 'activity_regularizer', c.activity_regularizer);
  return p && (p.l1 !== 0 || p.l2 !== 0) ? { ...p, perBatch } : null;
}
