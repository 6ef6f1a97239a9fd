import type { GraphLayer } from '../../graph/build-graph.js';
import { permuteAxes } from '../../layers/permute.js';
import { sizeOf, type TrainableLayer } from './layer-module.js';

/**
 * A layer that reduces over `axes` (LayerNormalization's axis list, BatchNormalization's channel
 * axis seen from the other side, Softmax's axes) trained by its last-axis module: the input is
 * permuted so that those axes come last, in their order (the layout of gamma / beta, whose shape
 * is theirs), flattened into one, the module runs, and its output and gradients are permuted
 * back. `axes` are positive (the batch is axis 0); the last axis alone needs no wrapper.
 */
export function overAxes(layer: GraphLayer, inner: TrainableLayer, axes: readonly number[], rank: number): TrainableLayer {
  const sorted = [...axes].sort((a, b) => a - b);
  const perm = [...Array.from({ length: rank }, (_, i) => i).filter((i) => !sorted.includes(i)), ...sorted];
  const inverse = perm.map((_, i) => perm.indexOf(i));
  const moves = perm.some((a, i) => a !== i);
  type Saved = { saved: unknown; permShape: number[] };
  const plan: TrainableLayer<Saved> = {
    layer,
    weights: inner.weights,
    ...(inner.masks ? { masks: inner.masks } : {}),
    ...(inner.statistics ? { statistics: inner.statistics } : {}),
    forward(ctx, input, w) {
      const p = moves ? permuteAxes(ctx.memory, input.ptr, input.shape, perm) : { ptr: input.ptr, shape: input.shape.slice() };
      const keep = rank - sorted.length;
      const flat = [...p.shape.slice(0, keep), sizeOf(p.shape.slice(keep))];
      const r = inner.forward(ctx, { ptr: p.ptr, shape: flat }, w);
      const out = moves ? permuteAxes(ctx.memory, r.output.ptr, p.shape, inverse).ptr : r.output.ptr;
      const output = { ptr: out, shape: input.shape.slice(), ...(input.mask ? { mask: input.mask } : {}) };
      return { output, saved: { saved: r.saved, permShape: p.shape }, ...(r.updates ? { updates: r.updates } : {}) };
    },
    backward(ctx, s, dOut) {
      const d = moves ? permuteAxes(ctx.memory, dOut, s.permShape.map((_, i) => s.permShape[inverse[i]]), perm).ptr : dOut;
      const r = inner.backward(ctx, s.saved, d);
      return { dInput: moves ? permuteAxes(ctx.memory, r.dInput, s.permShape, inverse).ptr : r.dInput, grads: r.grads };
    },
  };
  return plan as TrainableLayer;
}
