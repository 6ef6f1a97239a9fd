import type { GraphLayer } from '../../graph/build-graph.js';
import type { KerasGeneration } from '../../keras/generation.js';
import { theanoConvolutions } from '../../keras/semantics.js';
import { runtimeOutputLength, windowPadLeft, type Padding1D, type Window1D } from '../../layers/conv-utils.js';
import { KERNEL_CONSTANTS, POOL1D_PARAMS } from '../../wasm/kernel-exports.js';
import { refuse, type Activation, type TrainableLayer } from './layer-module.js';

const MAX = KERNEL_CONSTANTS.POOL_MAX;
const AVG = KERNEL_CONSTANTS.POOL_AVG;

/**
 * MaxPooling1D / AveragePooling1D (channels last) and GlobalMaxPooling1D /
 * GlobalAveragePooling1D (channels last; the average over kept steps when the file's Keras
 * version applies the mask) on the predict kernels forward and assembly/backward-layers.ts back.
 */
export function planPooling(layer: GraphLayer, generation: KerasGeneration): TrainableLayer {
  const name = layer.imported.className;
  const d = layer.imported.details;
  const global = name.startsWith('Global');
  const mode = name.includes('Max') ? MAX : AVG;
  if (global) {
    if (d.dataFormat !== 'channels_last') refuse(layer, `${name} channels_first`, 'data_format', d.dataFormat);
  } else if (d.padding === 'same' && theanoConvolutions(generation)) refuse(layer, 'Theano same pooling', 'padding', d.padding);
  const maskAware = global && d.maskAware === true;
  const keepdims = d.keepdims === true;
  const win: Window1D = global ? { padding: 'valid', size: 1, stride: 1, dilation: 1, theanoSame: false } : { padding: d.padding as Padding1D, size: Number(d.poolSize), stride: Number(d.strides), dilation: 1, theanoSame: false };
  type Saved = { input: Activation; out: number; Tout: number; pool: number; stride: number; padLeft: number; mask: number };
  const plan: TrainableLayer<Saved> = {
    layer,
    weights: [],
    // Keras' pooling layers drop the mask; the global average uses it first where Keras does
    masks: 'consume',
    forward(ctx, input) {
      const { memory } = ctx;
      const [B, T, C] = input.shape;
      const Tout = global ? 1 : runtimeOutputLength(win, T, layer.spec.name, name);
      const pool = global ? T : win.size;
      const stride = global ? T : win.stride;
      const padLeft = global ? 0 : windowPadLeft(win, T);
      const mask = maskAware ? (input.mask ?? 0) : 0;
      const out = memory.scratch(B * Tout * C * 4);
      if (global) memory.kernels.globalPool1d(input.ptr, B, T, C, mask, mode, out);
      else memory.kernels.pool1d(memory.paramBlock(POOL1D_PARAMS, { x: input.ptr, batch: B, steps: T, channels: C, out, outSteps: Tout, size: pool, stride, padLeft, mode }));
      const shape = global ? (keepdims ? [B, 1, C] : [B, C]) : [B, Tout, C];
      return { output: { ptr: out, shape }, saved: { input, out, Tout, pool, stride, padLeft, mask } };
    },
    backward(ctx, s, dOut) {
      const [B, T, C] = s.input.shape;
      const dx = ctx.memory.scratch(B * T * C * 4);
      ctx.memory.kernels.pool1dBackward(s.input.ptr, s.out, dOut, B, T, C, s.Tout, s.pool, s.stride, s.padLeft, mode, s.mask, dx);
      return { dInput: dx, grads: [] };
    },
  };
  return plan as TrainableLayer;
}
