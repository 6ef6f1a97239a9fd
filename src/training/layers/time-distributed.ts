import type { GraphLayer } from '../../graph/build-graph.js';
import { planActivation } from './activation.js';
import { planDense } from './dense.js';
import { planDropout } from './dropout.js';
import { refuse, type TrainableLayer } from './layer-module.js';

/** Inner layers TimeDistributed trains: they act on the last axis (or elementwise), so the time axis folds into the rows. */
const INNER: Record<string, (layer: GraphLayer) => TrainableLayer> = { Dense: planDense, Dropout: planDropout, Activation: planActivation };

/**
 * TimeDistributed(Dense | Dropout | Activation): the inner layer's plan on the whole [B][T][...]
 * tensor (the same computation as step by step), named after the wrapper in errors.
 */
export function planTimeDistributed(layer: GraphLayer): TrainableLayer {
  const inner = layer.imported.details.layer as Record<string, unknown>;
  const className = String(inner.className);
  const planner = Object.hasOwn(INNER, className) ? INNER[className] : undefined;
  if (!planner) refuse(layer, `TimeDistributed(${className})`, 'layer.class_name', className);
  const innerConfig = ((layer.spec.config.layer as { config?: Record<string, unknown> } | undefined)?.config ?? {}) as Record<string, unknown>;
  const view: GraphLayer = {
    spec: { ...layer.spec, config: innerConfig },
    imported: { ...layer.imported, className, details: inner },
  };
  return { ...planner(view), layer };
}
