import type { GraphLayer } from '../../graph/build-graph.js';
import { overAxes } from './axes-last.js';
import { refuse, sizeOf, SOFTMAX, type Activation, type TrainableLayer } from './layer-module.js';

/**
 * Keras' activation layers: ReLU (negative_slope, max_value, threshold), LeakyReLU, ELU,
 * ThresholdedReLU (forward on the predict kernels of assembly/activation-layers.ts, backward on
 * activationLayerBackward) and Softmax over any axes (the Dense softmax gradient, by overAxes). The mask
 * passes; Softmax refuses one (Keras changes masked logits there).
 */
export function planActivationLayer(layer: GraphLayer): TrainableLayer {
  const kind = layer.imported.className;
  const d = layer.imported.details;
  // the parameters of activationLayerBackward's kind
  const params: [number, number, number, number] =
    kind === 'ReLU'
      ? [0, Number(d.negativeSlope ?? 0), d.maxValue === null || d.maxValue === undefined ? Infinity : Number(d.maxValue), Number(d.threshold ?? 0)]
      : kind === 'LeakyReLU'
        ? [0, Number(d.negativeSlope), Infinity, 0]
        : kind === 'ELU'
          ? [1, Number(d.alpha), 0, 0]
          : [2, Number(d.theta), 0, 0];
  type Saved = { input: Activation; output: number; n: number; cols: number };
  const plan: TrainableLayer<Saved> = {
    layer,
    weights: [],
    masks: kind === 'Softmax' ? 'refuse' : 'pass',
    forward(ctx, input) {
      const { memory } = ctx;
      const k = memory.kernels;
      const n = sizeOf(input.shape);
      const cols = input.shape[input.shape.length - 1];
      const out = memory.scratch(n * 4);
      if (kind === 'Softmax') {
        k.copyF32(input.ptr, out, n);
        k.softmaxRows(out, n / cols, cols);
      } else if (params[0] === 0) k.reluLayer(input.ptr, out, n, params[1], params[2], params[3]);
      else if (params[0] === 1) k.eluLayer(input.ptr, out, n, params[1]);
      else k.thresholdedRelu(input.ptr, out, n, params[1]);
      return { output: { ptr: out, shape: input.shape, mask: input.mask }, saved: { input, output: out, n, cols } };
    },
    backward(ctx, s, dOut) {
      const { memory } = ctx;
      const dx = memory.scratch(s.n * 4);
      if (kind === 'Softmax') memory.kernels.activationBackward(s.output, dOut, s.n, s.cols, SOFTMAX, dx);
      else memory.kernels.activationLayerBackward(s.input.ptr, dOut, s.n, params[0], params[1], params[2], params[3], dx);
      return { dInput: dx, grads: [] };
    },
  };
  if (kind !== 'Softmax') return plan as TrainableLayer;
  // Softmax over other axes (or several): over the last of the input permuted so that they come last
  const axes = d.axis as number[];
  const rank = layer.imported.outputShapes[0].length;
  if (!Array.isArray(axes) || axes.length === 0 || axes.some((a) => !(Number.isInteger(a) && a >= 1 && a < rank))) refuse(layer, `Softmax over axes ${JSON.stringify(axes)}`, 'axis', axes);
  return axes.length === 1 && axes[0] === rank - 1 ? (plan as TrainableLayer) : overAxes(layer, plan as TrainableLayer, axes, rank);
}
