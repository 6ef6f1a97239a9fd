import type { GraphLayer } from '../../graph/build-graph.js';
import { refuse, sizeOf, type Activation, type TrainableLayer } from './layer-module.js';

/**
 * Layers that only move values: Reshape (row-major data unchanged), RepeatVector, UpSampling1D,
 * ZeroPadding1D and Cropping1D (whole rows copied; their gradients copied back, or summed over
 * the copies for RepeatVector / UpSampling1D). Masks are refused before them (Keras 2 refuses
 * masked input to these layers).
 */
export function planShapeOp(layer: GraphLayer): TrainableLayer {
  const kind = layer.imported.className;
  const d = layer.imported.details;
  if (!['Reshape', 'RepeatVector', 'UpSampling1D', 'ZeroPadding1D', 'Cropping1D'].includes(kind)) refuse(layer, `${kind} layers`);
  type Saved = { input: Activation; shape: number[] };
  const plan: TrainableLayer<Saved> = {
    layer,
    weights: [],
    masks: 'refuse',
    forward(ctx, input) {
      const { memory } = ctx;
      const k = memory.kernels;
      const [B] = input.shape;
      if (kind === 'Reshape') {
        const target = (layer.imported.outputShapes[0] as (number | null)[]).slice(1);
        const rest = sizeOf(input.shape) / B;
        const known = target.reduce<number>((a, v) => (v === null ? a : a * v), 1);
        const shape = [B, ...target.map((v) => (v === null ? rest / known : v))];
        return { output: { ptr: input.ptr, shape }, saved: { input, shape } };
      }
      if (kind === 'RepeatVector' || kind === 'UpSampling1D') {
        // RepeatVector: [B][C] -> [B][n][C]; UpSampling1D: every step of [B][T][C] n times
        const n = Number(kind === 'RepeatVector' ? d.n : d.size);
        const C = input.shape[input.shape.length - 1];
        const rows = sizeOf(input.shape) / C;
        const out = memory.scratch(rows * n * C * 4);
        k.repeatRows(input.ptr, rows, C, n, out);
        const shape = kind === 'RepeatVector' ? [B, n, C] : [B, input.shape[1] * n, C];
        return { output: { ptr: out, shape }, saved: { input, shape } };
      }
      const [, T, C] = input.shape;
      const [a, b] = (kind === 'ZeroPadding1D' ? d.padding : d.cropping) as number[];
      const T2 = kind === 'ZeroPadding1D' ? T + a + b : T - a - b;
      const out = memory.scratch(B * T2 * C * 4, kind === 'ZeroPadding1D');
      if (kind === 'ZeroPadding1D') k.copySteps(input.ptr, T, 0, out, T2, a, B, T, C);
      else k.copySteps(input.ptr, T, a, out, T2, 0, B, T2, C);
      return { output: { ptr: out, shape: [B, T2, C] }, saved: { input, shape: [B, T2, C] } };
    },
    backward(ctx, s, dOut) {
      const { memory } = ctx;
      const k = memory.kernels;
      if (kind === 'Reshape') return { dInput: dOut, grads: [] };
      const [B, T2, C] = s.shape;
      if (kind === 'RepeatVector' || kind === 'UpSampling1D') {
        const rows = sizeOf(s.input.shape) / C;
        const dx = memory.scratch(rows * C * 4);
        k.sumRepeats(dOut, rows, (B * T2) / rows, C, dx);
        return { dInput: dx, grads: [] };
      }
      const T = s.input.shape[1];
      const [a] = (kind === 'ZeroPadding1D' ? d.padding : d.cropping) as number[];
      const dx = memory.scratch(B * T * C * 4, kind === 'Cropping1D');
      if (kind === 'ZeroPadding1D') k.copySteps(dOut, T2, a, dx, T, 0, B, T, C);
      else k.copySteps(dOut, T2, 0, dx, T, a, B, T2, C);
      return { dInput: dx, grads: [] };
    },
  };
  return plan as TrainableLayer;
}

/** Flatten: a reshape of row-major data (the gradient is the same floats). Keras drops the mask. */
export function planFlatten(layer: GraphLayer): TrainableLayer {
  return {
    layer,
    weights: [],
    masks: 'consume',
    forward(_ctx, input) {
      return { output: { ptr: input.ptr, shape: [input.shape[0], input.shape.slice(1).reduce((a, b) => a * b, 1)] }, saved: null };
    },
    backward(_ctx, _s, dOut) {
      return { dInput: dOut, grads: [] };
    },
  };
}
