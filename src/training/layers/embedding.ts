import { InputError } from '../../errors.js';
import type { GraphLayer } from '../../graph/build-graph.js';
import { sizeOf, type Activation, type TrainableLayer } from './layer-module.js';

/**
 * Embedding: the gradient of the table has rows only for the ids in the batch (scatter-added by
 * assembly/backward-layers.ts); it is handed to the optimizer as a dense array whose other rows
 * are zero. mask_zero produces the time-step mask of the layers after it. Ids get no gradient.
 */
export function planEmbedding(layer: GraphLayer): TrainableLayer {
  const d = layer.imported.details;
  const vocab = Number(d.inputDim);
  const dim = Number(d.outputDim);
  const maskZero = d.maskZero === true;
  type Saved = { input: Activation; count: number };
  const plan: TrainableLayer<Saved> = {
    layer,
    weights: ['embeddings'],
    masks: maskZero ? 'produce' : 'pass',
    forward(ctx, input, w) {
      const { memory } = ctx;
      const count = sizeOf(input.shape);
      const table = ctx.put(w[0]);
      const out = memory.scratch(count * dim * 4);
      const bad = memory.kernels.gatherRows(input.ptr, count, table, vocab, dim, out);
      if (bad >= 0) {
        throw new InputError(`Embedding ids must be integers in [0, ${vocab})`, { layer: layer.spec.name, field: 'x', value: memory.f32(input.ptr, count)[bad] });
      }
      let mask = input.mask;
      if (maskZero) {
        mask = memory.scratch(count);
        memory.kernels.maskNotEqualZero(input.ptr, count, mask);
      }
      return { output: { ptr: out, shape: [...input.shape, dim], mask }, saved: { input, count } };
    },
    backward(ctx, s, dOut) {
      const { memory } = ctx;
      const dTable = memory.scratch(vocab * dim * 4, true);
      memory.kernels.embeddingBackward(s.input.ptr, s.count, dOut, dim, dTable);
      return { dInput: memory.scratch(s.count * 4, true), grads: [memory.f32(dTable, vocab * dim).slice()] };
    },
  };
  return plan as TrainableLayer;
}
