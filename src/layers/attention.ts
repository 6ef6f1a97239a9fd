import { InvalidKerasConfigurationError, UnsupportedKerasConfigurationError } from '../errors.js';
import { mergeMaskRule } from '../keras/semantics.js';
import { callFlag, callKwarg, holdsTensor, tensorRoles } from './call-args.js';
import type { ImportedLayer, ImportRequest, LayerImporter, Mask, Shape, Tensor, WeightSpec } from './types.js';
import { layerWithWeights } from './imported-layer.js';
import { ADDITIVE_SCORES_PARAMS, BATCH_MAT_MUL_PARAMS, MASKED_SOFTMAX_PARAMS } from '../wasm/kernel-exports.js';

type ScoreMode = 'dot' | 'concat' | 'additive';

/**
 * `Attention` (Luong, dot-product) and `AdditiveAttention` (Bahdanau), as Keras' dense attention
 * layers compute them (tf.keras `dense_attention.py`, Keras 3 `layers/attention/`):
 *
 *   scores = q · kᵀ (× scale)                               Attention, score_mode="dot"
 *          = c · Σ tanh(scale · (q + k))                    Attention, score_mode="concat"
 *          = Σ scale ⊙ tanh(q + k)                          AdditiveAttention
 *   scores -= 1e9 where the value mask is false or (causal) j > i
 *   out = softmax(scores) · v, then zeroed (× 0) at steps the query mask drops.
 *
 * Inputs [query, value] or [query, value, key] (key defaults to value); the masks used are the
 * query's and the value's (Keras ignores the key's). Causal masking comes from `causal=True` in
 * the config (tf.keras up to 2.9) or `use_causal_mask=True` in the call; with
 * `return_attention_scores=True` in the call the weights are a second output. Dropout is ignored
 * at inference. The output mask is the query mask. Keras 3.0-3.3 passed no masks to layers called
 * on a list, so for those files masks are ignored.
 */
function importAttention(req: ImportRequest, additive: boolean): ImportedLayer {
  const cfg = req.config;
  const ctx = req.context;
  const [qi, vi, ki] = tensorRoles(req, ['query', 'value', 'key']);
  if (qi < 0 || vi < 0 || req.inputShapes.length < 2 || req.inputShapes.length > 3) {
    throw new InvalidKerasConfigurationError(`${req.className} takes [query, value] or [query, value, key]`, { ...ctx, field: 'inbound_nodes', value: req.inputShapes.length });
  }
  const kIdx = ki >= 0 ? ki : vi;
  const [qs, vs, ks] = [req.inputShapes[qi], req.inputShapes[vi], req.inputShapes[kIdx]];
  for (const s of [qs, vs, ks]) {
    if (s.length !== 3 || s[2] === null) {
      throw new UnsupportedKerasConfigurationError(`${req.className} inputs must be (batch, steps, features) with known features`, { ...ctx, field: 'input_shape', value: req.inputShapes });
    }
  }
  const dim = qs[2] as number;
  if (ks[2] !== dim) throw new InvalidKerasConfigurationError(`query and key feature sizes differ (${dim} vs ${ks[2]})`, { ...ctx, field: 'input_shape', value: req.inputShapes });
  if (vs[1] !== null && ks[1] !== null && vs[1] !== ks[1]) {
    throw new InvalidKerasConfigurationError(`value and key lengths differ (${vs[1]} vs ${ks[1]})`, { ...ctx, field: 'input_shape', value: req.inputShapes });
  }
  if (holdsTensor(callKwarg(req, 'mask'))) {
    throw new UnsupportedKerasConfigurationError('explicit mask tensors passed to the call are not supported (masks from Masking / Embedding are)', { ...ctx, field: 'inbound_nodes.mask' });
  }
  const rawMode = cfg.field('score_mode') ?? 'dot';
  if (!additive && rawMode !== 'dot' && rawMode !== 'concat') throw new InvalidKerasConfigurationError('score_mode must be "dot" or "concat"', { ...ctx, field: 'score_mode', value: rawMode });
  const mode: ScoreMode = additive ? 'additive' : (rawMode as 'dot' | 'concat');
  const useScale = cfg.boolField('use_scale', additive);
  const causal = cfg.boolField('causal', false) || callFlag(req, 'use_causal_mask');
  const returnScores = callFlag(req, 'return_attention_scores');
  const useMasks = mergeMaskRule(req.generation) !== 'none';
  const notes: string[] = [];
  const dropout = cfg.field('dropout');
  if (typeof dropout === 'number' && dropout > 0) notes.push(`dropout=${dropout} ignored (inference)`);
  if (!useMasks) notes.push('Keras 3.0-3.3 passed no masks to layers called on a list: masks are not applied');

  // Weight order of build(): scale, then concat_score_weight.
  const weights: WeightSpec[] = [];
  if (useScale) weights.push({ name: 'scale', shape: additive ? [dim] : [] });
  if (mode === 'concat') weights.push({ name: 'concat_score_weight', shape: [] });
  const Tq = qs[1];
  const Tv = vs[1] ?? ks[1];
  const batch = qs[0] ?? vs[0];
  const outputShapes: Shape[] = [[batch, Tq, vs[2]], ...(returnScores ? [[batch, Tq, Tv] as Shape] : [])];

  return layerWithWeights(req, {
    outputShapes,
    weights,
    notes,
    // roles: the input indices of query, value and key (training reads its inputs by them)
    details: { scoreMode: mode, useScale, causal, returnAttentionScores: returnScores, masks: useMasks, roles: [qi, vi, kIdx], dropout: typeof dropout === 'number' ? dropout : 0 },
    instantiate(arrays, memory) {
      const scale = useScale ? arrays[0] : null;
      const scalePtr = additive && scale ? memory.allocF32(scale) : 0;
      const concatWeight = mode === 'concat' ? arrays[useScale ? 1 : 0][0] : 1;
      return {
        run(inputs, masks, runCtx) {
          const mem = runCtx.memory;
          const k = mem.kernels;
          const [q, v, key] = [inputs[qi], inputs[vi], inputs[kIdx]];
          const [B, nq, d] = q.shape;
          const nv = v.shape[1];
          const dv = v.shape[2];
          if (key.shape[1] !== nv || key.shape[0] !== B || v.shape[0] !== B) {
            throw new InvalidKerasConfigurationError('query, value and key need one batch size and value / key one length', { ...ctx, field: 'input', value: inputs.map((t) => t.shape) });
          }
          const scores = mem.scratch(B * nq * nv * 4);
          if (mode === 'dot') {
            // Keys transposed to (batch, dim, Tv): the product then runs register-blocked over Tv.
            const kt = mem.scratch(B * d * nv * 4);
            k.stridedCopy4(key.ptr, kt, 1, B, d, nv, 0, nv * d, 1, d);
            k.batchMatMul(mem.paramBlock(BATCH_MAT_MUL_PARAMS, {
              a: q.ptr, lda: d, aBatch: nq * d, b: kt, ldb: nv, bBatch: d * nv, c: scores, ldc: nv, cBatch: nq * nv,
              batch: B, M: nq, K: d, N: nv, transB: 0,
            }));
            if (scale) k.scaleF32(scores, B * nq * nv, scale[0]);
          } else if (mode === 'concat') {
            k.additiveScores(mem.paramBlock(ADDITIVE_SCORES_PARAMS, {
              q: q.ptr, k: key.ptr, batch: B, queries: nq, keys: nv, dim: d, inScale: scale ? scale[0] : 1, w: 0, outScale: concatWeight, out: scores,
            }));
          } else {
            k.additiveScores(mem.paramBlock(ADDITIVE_SCORES_PARAMS, {
              q: q.ptr, k: key.ptr, batch: B, queries: nq, keys: nv, dim: d, inScale: 1, w: scalePtr, outScale: 1, out: scores,
            }));
          }
          const qMask: Mask | null = useMasks ? masks[qi] ?? null : null;
          const vMask: Mask | null = useMasks ? masks[vi] ?? null : null;
          k.maskedSoftmax(mem.paramBlock(MASKED_SOFTMAX_PARAMS, {
            scores, batch: B, heads: 1, rows: nq, cols: nv, queryMask: 0, valueMask: vMask ? vMask.ptr : 0, keyMask: 0, causal: causal ? 1 : 0, zeroMasked: 0,
          }));
          const out = mem.scratch(B * nq * dv * 4);
          k.batchMatMul(mem.paramBlock(BATCH_MAT_MUL_PARAMS, {
            a: scores, lda: nv, aBatch: nq * nv, b: v.ptr, ldb: dv, bBatch: nv * dv, c: out, ldc: dv, cBatch: nq * dv,
            batch: B, M: nq, K: nv, N: dv, transB: 0,
          }));
          if (qMask) k.mulRowsByMask(out, qMask.ptr, B * nq, dv);
          const outputs: Tensor[] = [{ ptr: out, shape: [B, nq, dv] }];
          if (returnScores) outputs.push({ ptr: scores, shape: [B, nq, nv] });
          return { outputs, masks: outputs.map((_, i) => (i === 0 ? qMask : null)) };
        },
      };
    },
  });
}

/** `Attention` (Luong-style dot-product attention; `use_scale`, `score_mode`, causal). */
export const AttentionImporter: LayerImporter = {
  classNames: ['Attention'],
  import: (req) => importAttention(req, false),
};

/** `AdditiveAttention` (Bahdanau-style; `use_scale` adds a per-feature scale vector). */
export const AdditiveAttentionImporter: LayerImporter = {
  classNames: ['AdditiveAttention'],
  import: (req) => importAttention(req, true),
};
