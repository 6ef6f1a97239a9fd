import type { GraphLayer } from '../../graph/build-graph.js';
import { KERNEL_CONSTANTS } from '../../wasm/kernel-exports.js';
import type { WasmMemory } from '../../wasm/memory.js';
import { overAxes } from './axes-last.js';
import { refuse, sizeOf, type Activation, type TrainContext, type TrainableLayer } from './layer-module.js';

/** gamma and beta in scratch memory (0 for the ones the layer does not have). */
function putAffine(ctx: TrainContext, w: Float32Array[], scale: boolean, center: boolean): [number, number] {
  return [scale ? ctx.put(w[0]) : 0, center ? ctx.put(w[scale ? 1 : 0]) : 0];
}

/** Backward buffers: dx [rows][C], dgamma / dbeta [C] (0 for absent ones). */
function gradientBuffers(memory: WasmMemory, rows: number, C: number, scale: boolean, center: boolean): { dx: number; dg: number; db: number } {
  return { dx: memory.scratch(rows * C * 4), dg: scale ? memory.scratch(C * 4) : 0, db: center ? memory.scratch(C * 4) : 0 };
}

/** dgamma, dbeta as arrays in Keras' order. */
function affineGrads(memory: WasmMemory, dg: number, db: number, C: number): Float32Array[] {
  return [...(dg ? [memory.f32(dg, C).slice()] : []), ...(db ? [memory.f32(db, C).slice()] : [])];
}

/**
 * What both normalisation layers read of their config: epsilon, whether gamma (scale) and beta
 * (center) exist, and their weight names.
 */

/**
 * The layer's plan over the last axis, wrapped to run over its `axis` (LayerNormalization: the
 * normalised axes; BatchNormalization: the channel axis) when that is not the last alone.
 */
function overLayerAxes(layer: GraphLayer, lastAxis: TrainableLayer): TrainableLayer {
  const axes = layer.imported.details.axis as number[];
  const rank = layer.imported.outputShapes[0].length;
  if (!Array.isArray(axes) || axes.length === 0 || axes.some((a) => !(Number.isInteger(a) && a >= 1 && a < rank))) refuse(layer, `${layer.imported.className} over axes ${JSON.stringify(axes)}`, 'axis', axes);
  return axes.length === 1 && axes[0] === rank - 1 ? lastAxis : overAxes(layer, lastAxis, axes, rank);
}
function affineConfig(layer: GraphLayer): { eps: number; scale: boolean; center: boolean; names: string[] } {
  const d = layer.imported.details;
  const scale = d.scale !== false;
  const center = d.center !== false;
  return { eps: Number(d.epsilon), scale, center, names: [...(scale ? ['gamma'] : []), ...(center ? ['beta'] : [])] };
}

/** Rows and channels of an input normalised over its last axis, gamma / beta placed, y and x-hat buffers. */
function forwardBuffers(ctx: TrainContext, input: Activation, w: Float32Array[], scale: boolean, center: boolean) {
  const C = input.shape[input.shape.length - 1];
  const rows = sizeOf(input.shape) / C;
  const [pg, pb] = putAffine(ctx, w, scale, center);
  return { C, rows, pg, pb, y: ctx.memory.scratch(rows * C * 4), xhat: ctx.memory.scratch(rows * C * 4) };
}

/** LayerNormalization over its axes (any set, by {@link overAxes}; center / scale optional); the mask passes. */
export function planLayerNormalization(layer: GraphLayer): TrainableLayer {
  const { eps, scale, center, names } = affineConfig(layer);
  type Saved = { rows: number; C: number; xhat: number; rstd: number; pg: number };
  const plan: TrainableLayer<Saved> = {
    layer,
    weights: names,
    forward(ctx, input, w) {
      const { memory } = ctx;
      const { C, rows, pg, pb, y, xhat } = forwardBuffers(ctx, input, w, scale, center);
      const rstd = memory.scratch(rows * 4);
      memory.kernels.layerNormForwardTrain(input.ptr, rows, C, eps, pg, pb, y, xhat, rstd);
      return { output: { ptr: y, shape: input.shape, mask: input.mask }, saved: { rows, C, xhat, rstd, pg } };
    },
    backward(ctx, s, dOut) {
      const { memory } = ctx;
      const { dx, dg, db } = gradientBuffers(memory, s.rows, s.C, scale, center);
      memory.kernels.layerNormBackward(dOut, s.rows, s.C, s.pg, s.xhat, s.rstd, dx, dg, db);
      return { dInput: dx, grads: affineGrads(memory, dg, db, s.C) };
    },
  };
  return overLayerAxes(layer, plan as TrainableLayer);
}

/**
 * BatchNormalization in training mode over its channel axis (any, by {@link overAxes}): normalises with the batch's mean and
 * biased variance and moves moving_mean / moving_variance towards them by `momentum` (Keras 2 / 3
 * on inputs that are not 4D: the biased variance in both). Refused on masked input (Keras 3 would
 * use the mask for the statistics) and when frozen (Keras versions disagree on its mode then).
 */
export function planBatchNormalization(layer: GraphLayer): TrainableLayer {
  const { eps, scale, center, names } = affineConfig(layer);
  const momentum = typeof layer.spec.config.momentum === 'number' ? (layer.spec.config.momentum as number) : 0.99;
  const iMean = (scale ? 1 : 0) + (center ? 1 : 0);
  type Saved = { rows: number; C: number; xhat: number; rstd: number; pg: number; input: Activation };
  const plan: TrainableLayer<Saved> = {
    layer,
    weights: [...names, 'moving_mean', 'moving_variance'],
    masks: 'refuse',
    statistics: [iMean, iMean + 1],
    forward(ctx, input, w) {
      if (ctx.isTrainable && !ctx.isTrainable(layer.spec.name)) refuse(layer, 'a frozen BatchNormalization (trainable false)', 'trainable', false);
      const { memory } = ctx;
      const { C, rows, pg, pb, y, xhat } = forwardBuffers(ctx, input, w, scale, center);
      const mean = memory.scratch(C * 4);
      const variance = memory.scratch(C * 4);
      const rstd = memory.scratch(C * 4);
      memory.kernels.batchNormForwardTrain(input.ptr, rows, C, eps, pg, pb, y, xhat, mean, variance, rstd);
      // moving = moving * momentum + batch * (1 - momentum), as Keras' assign_moving_average
      const mv = memory.scratch(2 * C * 4);
      memory.f32(mv, C).set(w[iMean]);
      memory.f32(mv + C * 4, C).set(w[iMean + 1]);
      memory.kernels.scaleF32(mv, 2 * C, momentum);
      memory.kernels.scaleF32(mean, C, 1 - momentum);
      memory.kernels.scaleF32(variance, C, 1 - momentum);
      memory.kernels.binaryF32(mv, mean, mv, C, KERNEL_CONSTANTS.BIN_ADD);
      memory.kernels.binaryF32(mv + C * 4, variance, mv + C * 4, C, KERNEL_CONSTANTS.BIN_ADD);
      const updates = [
        { index: iMean, values: memory.f32(mv, C).slice() },
        { index: iMean + 1, values: memory.f32(mv + C * 4, C).slice() },
      ];
      return { output: { ptr: y, shape: input.shape }, saved: { rows, C, xhat, rstd, pg, input }, updates };
    },
    backward(ctx, s, dOut) {
      const { memory } = ctx;
      const { dx, dg, db } = gradientBuffers(memory, s.rows, s.C, scale, center);
      memory.kernels.batchNormBackward(dOut, s.rows, s.C, s.pg, s.xhat, s.rstd, dx, dg, db, memory.scratch(2 * s.C * 4));
      // the moving statistics get no gradient
      return { dInput: dx, grads: [...affineGrads(memory, dg, db, s.C), new Float32Array(s.C), new Float32Array(s.C)] };
    },
  };
  return overLayerAxes(layer, plan as TrainableLayer);
}
