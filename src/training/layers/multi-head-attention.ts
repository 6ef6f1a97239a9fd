import type { GraphLayer } from '../../graph/build-graph.js';
import type { WasmMemory } from '../../wasm/memory.js';
import { attend, attendBackward, attentionOptions, dotScores, dotScoresBackward, gradientsByInput, type Attended, type AttentionDims } from './attention-core.js';
import { denseWork, type Activation, type MultiInputLayer, type TrainContext } from './layer-module.js';

/** A projection x · W + b of rows of K features to N (MultiHeadAttention's EinsumDense layers, flattened). */
interface Projection {
  x: Activation;
  rows: number;
  K: number;
  N: number;
  w: number;
  b: number;
  y: number;
}

function projectForward(ctx: TrainContext, x: Activation, w: Float32Array, b: Float32Array | null, N: number): Projection {
  const K = x.shape[x.shape.length - 1];
  const rows = x.shape[0] * x.shape[1];
  const pw = ctx.put(w);
  const pb = b ? ctx.put(b) : 0;
  const y = ctx.memory.scratch(rows * N * 4);
  ctx.memory.kernels.denseForwardTrain(x.ptr, rows, K, N, pw, pb, y, denseWork(ctx.memory, rows, K, N));
  return { x, rows, K, N, w: pw, b: pb, y };
}

/** dx, then the kernel and (with a bias) bias gradients of a projection given d(loss)/dy. */
function projectBackward(memory: WasmMemory, p: Projection, dy: number, grads: Float32Array[]): number {
  const dx = memory.scratch(p.rows * p.K * 4);
  const dW = memory.scratch(p.K * p.N * 4);
  const db = p.b ? memory.scratch(p.N * 4) : 0;
  memory.kernels.denseBackward(p.x.ptr, dy, p.rows, p.K, p.N, p.w, dx, dW, db, denseWork(memory, p.rows, p.K, p.N));
  grads.push(memory.f32(dW, p.K * p.N).slice());
  if (db) grads.push(memory.f32(db, p.N).slice());
  return dx;
}

/**
 * MultiHeadAttention in training (default attention axes, use_bias, use_causal_mask, dropout of
 * the attention weights from the step's seeded generator): Q = query·Wq + bq scaled by
 * 1/sqrt(key_dim), K and V likewise, per-head softmax(Q·Kᵀ)·V, then the output projection. The
 * EinsumDense kernels (features, heads, dim) / (heads, value_dim, output) are plain matrices
 * row-major, so the gradients come back in the file's layout. Keras masks as the inference
 * layer applies them (query AND value AND key masks on the scores, Keras >= 3.10's zeroing when
 * the scores are returned; none for tf.keras before 2.10); the output carries the query's mask.
 * The attention-scores output is not trained.
 */
export function planMultiHeadAttention(layer: GraphLayer): MultiInputLayer {
  const d = layer.imported.details;
  const H = Number(d.numHeads);
  const kd = Number(d.keyDim);
  const vd = Number(d.valueDim);
  const outDim = Number(d.outputDim);
  const useBias = d.useBias !== false;
  const { roles, causal, rate, useMasks, masks } = attentionOptions(layer);
  const [qi, vi, ki] = roles;
  const zeroMasked = d.zeroMasked === true;
  const scale = Math.fround(1 / Math.sqrt(kd));
  const names = (p: string) => [`${p}/kernel`, ...(useBias ? [`${p}/bias`] : [])];
  const weights = [...names('query'), ...names('key'), ...names('value'), ...names('attention_output')];
  type Saved = { pq: Projection; pk: Projection; pv: Projection; po: Projection; dims: AttentionDims; att: Attended; count: number };
  const plan: MultiInputLayer<Saved> = {
    layer,
    weights,
    multiInput: true,
    masks,
    forward(ctx, inputs, w) {
      const { memory } = ctx;
      const per = useBias ? 2 : 1;
      const proj = (i: number, x: Activation, N: number) => projectForward(ctx, x, w[i * per], useBias ? w[i * per + 1] : null, N);
      const [q, v, key] = [inputs[qi], inputs[vi], inputs[ki]];
      const [B, Tq] = q.shape;
      const dims: AttentionDims = { B, H, Tq, Tv: v.shape[1], dk: kd, dv: vd };
      const pq = proj(0, q, H * kd);
      memory.kernels.scaleF32(pq.y, B * Tq * H * kd, scale);
      const pk = proj(1, key, H * kd);
      const pv = proj(2, v, H * vd);
      const scores = dotScores(memory, pq.y, pk.y, dims);
      const mask = (a: Activation) => (useMasks ? a.mask : 0);
      const att = attend(ctx, scores, pv.y, dims, { causal, query: mask(q), value: mask(v), key: mask(key), zeroMasked }, rate);
      const po = proj(3, { ptr: att.context, shape: [B, Tq, H * vd] }, outDim);
      const queryMask = mask(q);
      return { output: { ptr: po.y, shape: [B, Tq, outDim], ...(queryMask ? { mask: queryMask } : {}) }, saved: { pq, pk, pv, po, dims, att, count: inputs.length } };
    },
    backward(ctx, s, dOut) {
      const { memory } = ctx;
      const { dims } = s;
      const gOut: Float32Array[] = [];
      const dContext = projectBackward(memory, s.po, dOut, gOut);
      const { dScores, dV } = attendBackward(memory, s.att, s.pv.y, dContext, dims);
      const { dQ, dK } = dotScoresBackward(memory, s.pq.y, s.pk.y, dScores, dims);
      memory.kernels.scaleF32(dQ, dims.B * dims.Tq * H * kd, scale);
      const grads: Float32Array[] = [];
      const dq = projectBackward(memory, s.pq, dQ, grads);
      const dk = projectBackward(memory, s.pk, dK, grads);
      const dv = projectBackward(memory, s.pv, dV, grads);
      grads.push(...gOut);
      const dInputs = gradientsByInput(memory, s.count, [
        { index: qi, ptr: dq, n: s.pq.rows * s.pq.K },
        { index: vi, ptr: dv, n: s.pv.rows * s.pv.K },
        { index: ki, ptr: dk, n: s.pk.rows * s.pk.K },
      ]);
      return { dInputs, grads };
    },
  };
  return plan as MultiInputLayer;
}
