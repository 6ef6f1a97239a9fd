import type { GraphLayer } from '../../graph/build-graph.js';
import type { KerasGeneration } from '../../keras/generation.js';
import { refuse, type LayerPlanner, type TrainableLayer } from './layer-module.js';

/** Inner layers whose TimeDistributed form is gradient-checked (test/training/layer-gradients.test.js). */
const INNER = new Set(['Dense', 'Dropout', 'Activation', 'Conv1D', 'Convolution1D', 'AtrousConvolution1D', 'SeparableConv1D', 'DepthwiseConv1D']);

/**
 * TimeDistributed(inner) for the inner layers of INNER (delegating to their modules): Keras applies the
 * inner layer to every step with the same weights, which on row-major data is the inner layer on
 * the tensor with (batch, steps) folded into one batch axis (as the inference import runs it);
 * the gradients of the steps add up in the inner module's weight gradients. Named after the
 * wrapper in errors; the mask of the input passes to the output (Keras' TimeDistributed).
 */
export function planTimeDistributed(layer: GraphLayer, generation: KerasGeneration, planInner: LayerPlanner): TrainableLayer {
  const inner = layer.imported.details.layer as Record<string, unknown>;
  const className = String(inner.className);
  if (!INNER.has(className)) refuse(layer, `TimeDistributed(${className})`, 'layer.class_name', className);
  const innerConfig = ((layer.spec.config.layer as { config?: Record<string, unknown> } | undefined)?.config ?? {}) as Record<string, unknown>;
  const view: GraphLayer = {
    spec: { ...layer.spec, config: innerConfig },
    imported: {
      ...layer.imported,
      className,
      details: inner,
      outputShapes: layer.imported.outputShapes.map((s) => [s[0], ...s.slice(2)]),
    },
  };
  let plan;
  try {
    plan = planInner(view, generation);
  } catch (e) {
    if (e instanceof Error && /training does not support/.test(e.message)) refuse(layer, `TimeDistributed(${className}): ${e.message.replace(/^.*training does not support /, '').replace(/ yet.*$/s, '')}`, 'layer.class_name', className);
    throw e;
  }
  if ('multiInput' in plan) refuse(layer, `TimeDistributed(${className})`, 'layer.class_name', className);
  const p = plan as TrainableLayer;
  type Saved = { saved: unknown; B: number; T: number };
  const wrapped: TrainableLayer<Saved> = {
    layer,
    weights: p.weights,
    ...(p.statistics ? { statistics: p.statistics } : {}),
    forward(ctx, input, w) {
      const [B, T] = input.shape;
      const r = p.forward(ctx, { ptr: input.ptr, shape: [B * T, ...input.shape.slice(2)] }, w);
      const output = { ptr: r.output.ptr, shape: [B, T, ...r.output.shape.slice(1)], ...(input.mask ? { mask: input.mask } : {}) };
      return { output, saved: { saved: r.saved, B, T }, ...(r.updates ? { updates: r.updates } : {}) };
    },
    backward(ctx, s, dOut) {
      return p.backward(ctx, s.saved, dOut);
    },
  };
  return wrapped as TrainableLayer;
}
