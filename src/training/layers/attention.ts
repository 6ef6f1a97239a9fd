import type { GraphLayer } from '../../graph/build-graph.js';
import { ADDITIVE_SCORES_BACKWARD_PARAMS, ADDITIVE_SCORES_PARAMS } from '../../wasm/kernel-exports.js';
import { attend, attendBackward, attentionOptions, dotScores, dotScoresBackward, dotSum, gradientsByInput, type Attended, type AttentionDims } from './attention-core.js';
import { sizeOf, type Activation, type MultiInputLayer } from './layer-module.js';

/**
 * Attention (Luong: score_mode dot or concat, use_scale, causal / use_causal_mask) and
 * AdditiveAttention (Bahdanau, use_scale) in training, on the inputs of the call's roles
 * (query, value, key; key defaults to value). Dropout of the attention weights is applied with a
 * mask from the step's seeded generator. Weights: scale (a scalar, or AdditiveAttention's vector
 * [dim]) and concat_score_weight, as Keras stores them. Keras masks: the value's masks the
 * scores (-1e9), the query's zeroes the output rows (and their gradient) and is the output's mask;
 * files of Keras 3.0-3.3 (which passed no masks to the layer) ignore them. The attention-scores
 * output is not trained.
 */
export function planAttention(layer: GraphLayer): MultiInputLayer {
  const d = layer.imported.details;
  const mode = d.scoreMode as 'dot' | 'concat' | 'additive';
  const useScale = d.useScale === true;
  const { roles, causal, rate, useMasks, masks } = attentionOptions(layer);
  const [qi, vi, ki] = roles;
  const weights = [...(useScale ? ['scale'] : []), ...(mode === 'concat' ? ['concat_score_weight'] : [])];
  type Saved = { q: Activation; key: Activation; v: Activation; dims: AttentionDims; raw: number; scale: number; cw: number; pw: number; att: Attended; count: number; queryMask: number };
  const plan: MultiInputLayer<Saved> = {
    layer,
    weights,
    multiInput: true,
    masks,
    forward(ctx, inputs, w) {
      const { memory } = ctx;
      const [q, v, key] = [inputs[qi], inputs[vi], inputs[ki]];
      const [B, Tq, dk] = q.shape;
      const queryMask = useMasks ? q.mask ?? 0 : 0;
      const dims: AttentionDims = { B, H: 1, Tq, Tv: v.shape[1], dk, dv: v.shape[2] };
      const n = B * Tq * dims.Tv;
      const scale = useScale && mode !== 'additive' ? w[0][0] : 1;
      const cw = mode === 'concat' ? w[useScale ? 1 : 0][0] : 1;
      const pw = mode === 'additive' && useScale ? ctx.put(w[0]) : 0;
      let raw = 0;
      let scores: number;
      if (mode === 'dot') {
        raw = dotScores(memory, q.ptr, key.ptr, dims);
        scores = memory.scratch(n * 4);
        memory.kernels.copyF32(raw, scores, n);
        if (useScale) memory.kernels.scaleF32(scores, n, scale);
      } else {
        scores = memory.scratch(n * 4);
        memory.kernels.additiveScores(memory.paramBlock(ADDITIVE_SCORES_PARAMS, {
          q: q.ptr, k: key.ptr, batch: B, queries: Tq, keys: dims.Tv, dim: dk, inScale: scale, w: pw, outScale: cw, out: scores,
        }));
      }
      const att = attend(ctx, scores, v.ptr, dims, { causal, value: useMasks ? v.mask : 0 }, rate);
      if (queryMask) memory.kernels.mulRowsByMask(att.context, queryMask, B * Tq, dims.dv);
      const output: Activation = { ptr: att.context, shape: [B, Tq, dims.dv], ...(queryMask ? { mask: queryMask } : {}) };
      return { output, saved: { q, key, v, dims, raw, scale, cw, pw, att, count: inputs.length, queryMask } };
    },
    backward(ctx, s, dOut) {
      const { memory } = ctx;
      const { dims } = s;
      let dContext = dOut;
      if (s.queryMask) {
        // the rows the query mask zeroed pass no gradient (a copy: dOut may be read elsewhere)
        const n = dims.B * dims.Tq * dims.dv;
        dContext = memory.scratch(n * 4);
        memory.kernels.copyF32(dOut, dContext, n);
        memory.kernels.mulRowsByMask(dContext, s.queryMask, dims.B * dims.Tq, dims.dv);
      }
      const { dScores, dV } = attendBackward(memory, s.att, s.v.ptr, dContext, dims);
      const n = dims.B * dims.Tq * dims.Tv;
      let dQ: number;
      let dK: number;
      const grads: Float32Array[] = [];
      if (mode === 'dot') {
        // scores = scale · raw: d scale = Σ dScores · raw, d raw = scale · dScores
        if (useScale) grads.push(Float32Array.of(dotSum(memory, dScores, s.raw, n)));
        if (useScale) memory.kernels.scaleF32(dScores, n, s.scale);
        ({ dQ, dK } = dotScoresBackward(memory, s.q.ptr, s.key.ptr, dScores, dims));
      } else {
        const D = dims.dk;
        dQ = memory.scratch(sizeOf(s.q.shape) * 4);
        dK = memory.scratch(sizeOf(s.key.shape) * 4);
        const dw = memory.scratch(D * 4);
        const dScalars = memory.scratch(8);
        memory.kernels.additiveScoresBackward(memory.paramBlock(ADDITIVE_SCORES_BACKWARD_PARAMS, {
          q: s.q.ptr, k: s.key.ptr, dScores, batch: dims.B, queries: dims.Tq, keys: dims.Tv, dim: D,
          inScale: s.scale, w: s.pw, outScale: s.cw, dq: dQ, dk: dK, dw, dScalars,
        }));
        const [dIn, dOutScale] = memory.f32(dScalars, 2);
        if (mode === 'additive' && useScale) grads.push(memory.f32(dw, D).slice());
        if (mode === 'concat') {
          if (useScale) grads.push(Float32Array.of(dIn));
          grads.push(Float32Array.of(dOutScale));
        }
      }
      const dInputs = gradientsByInput(memory, s.count, [
        { index: qi, ptr: dQ, n: sizeOf(s.q.shape) },
        { index: vi, ptr: dV, n: sizeOf(s.v.shape) },
        { index: ki, ptr: dK, n: sizeOf(s.key.shape) },
      ]);
      return { dInputs, grads };
    },
  };
  return plan as MultiInputLayer;
}
