import { InvalidKerasConfigurationError, UnsupportedKerasConfigurationError } from '../errors.js';
import type { WasmMemory } from '../wasm/memory.js';
import { callFlag, callKwarg, holdsTensor, tensorRoles } from './call-args.js';
import type { ImportedLayer, LayerImporter, Mask, Shape, Tensor, WeightSpec } from './types.js';
import { layerWithWeights } from './imported-layer.js';
import { BATCH_MAT_MUL_PARAMS, MASKED_SOFTMAX_PARAMS } from '../wasm/kernel-exports.js';

/** A dense projection packed for the gemm micro-kernel: x (rows × K) · W (K × N) + b. */
interface PackedProjection {
  kernel: number;
  bias: number;
  K: number;
  N: number;
}

/** Packs a (K × N) row-major kernel (an EinsumDense kernel with its output axes flattened) and bias. */
function packProjection(memory: WasmMemory, kernel: Float32Array, bias: Float32Array | null, K: number, N: number): PackedProjection {
  const k = memory.kernels;
  const panels = Math.ceil(N / 16);
  const packed = memory.alloc(panels * K * 16 * 4);
  const b = memory.alloc(panels * 16 * 4);
  if (bias) memory.f32(b, N).set(bias);
  memory.beginScratch();
  try {
    const src = memory.scratch(kernel.length * 4);
    memory.f32(src, kernel.length).set(kernel);
    k.packGateColumns(src, N, K, N, 0, 1, 16, packed, 16);
  } finally {
    memory.endScratch();
  }
  return { kernel: packed, bias: b, K, N };
}

function project(memory: WasmMemory, p: PackedProjection, x: Tensor, rows: number): number {
  const out = memory.scratch(rows * p.N * 4);
  memory.kernels.gemm(x.ptr, p.K, rows, p.K, p.kernel, p.N, out, p.N, p.bias);
  return out;
}

/**
 * `MultiHeadAttention(num_heads, key_dim, value_dim, output_shape, use_bias)` over
 * (batch, steps, features) inputs with the default attention axes, as tf.keras (2.4+) and Keras 3
 * compute it:
 *
 *   Q = query·Wq + bq  (batch, Tq, heads, key_dim), likewise K and V from key and value;
 *   scores[b, h] = (Q[b, :, h] / sqrt(key_dim)) · K[b, :, h]ᵀ, masked softmax over the value axis;
 *   out = concat_h(scores[b, h] · V[b, :, h]) · Wo + bo.
 *
 * The EinsumDense kernels are stored (features, heads, dim) and (heads, value_dim, output): row-major,
 * they are plain (features × heads·dim) and (heads·value_dim × output) matrices, so each projection
 * is one GEMM. Masks as Keras builds `attention_mask`: query mask [B, T, 1] AND value mask
 * [B, 1, S] AND key mask [B, 1, S] AND (use_causal_mask) lower-triangular; masked scores get
 * -1e9; when Keras 3.10+ returns the scores, its Softmax also zeroes them after the softmax
 * (otherwise Keras 3 takes its fused dot_product_attention path); that only changes rows whose
 * every position is masked. tf.keras before 2.10 did not read Keras masks in this layer.
 * An `attention_mask` tensor argument, other attention axes and multi-axis output shapes are
 * refused. The output mask is the query mask.
 */
export const MultiHeadAttentionImporter: LayerImporter = {
  classNames: ['MultiHeadAttention'],
  import(req): ImportedLayer {
    const cfg = req.config;
    const ctx = req.context;
    const [qi, vi, ki] = tensorRoles(req, ['query', 'value', 'key']);
    if (qi < 0 || vi < 0) throw new InvalidKerasConfigurationError('MultiHeadAttention needs a query and a value', { ...ctx, field: 'inbound_nodes', value: req.inputShapes.length });
    if (holdsTensor(callKwarg(req, 'attention_mask'))) {
      throw new UnsupportedKerasConfigurationError('an attention_mask tensor argument is not supported (masks from Masking / Embedding are)', { ...ctx, field: 'inbound_nodes.attention_mask' });
    }
    const kIdx = ki >= 0 ? ki : vi;
    const [qs, vs, ks] = [req.inputShapes[qi], req.inputShapes[vi], req.inputShapes[kIdx]];
    for (const s of [qs, vs, ks]) {
      if (!s || s.length !== 3 || s[2] === null) {
        throw new UnsupportedKerasConfigurationError('MultiHeadAttention is supported over (batch, steps, features) inputs with known features', { ...ctx, field: 'input_shape', value: req.inputShapes });
      }
    }
    const axes = cfg.field('attention_axes');
    const axesList = typeof axes === 'number' ? [axes] : axes;
    if (axesList !== undefined && axesList !== null && !(Array.isArray(axesList) && axesList.length === 1 && (axesList[0] === 1 || axesList[0] === -2))) {
      throw new UnsupportedKerasConfigurationError('only the default attention axes (the steps axis) are supported', { ...ctx, field: 'attention_axes', value: axes });
    }
    const H = cfg.intField('num_heads');
    const kd = cfg.intField('key_dim');
    const vd = cfg.intField('value_dim', { fallback: kd });
    const useBias = cfg.boolField('use_bias', true);
    const rawOut = cfg.field('output_shape');
    let outDim = qs[2] as number;
    if (rawOut !== undefined && rawOut !== null) {
      const list = typeof rawOut === 'number' ? [rawOut] : rawOut;
      if (!Array.isArray(list) || list.length !== 1 || !Number.isInteger(list[0]) || list[0] < 1) {
        throw new UnsupportedKerasConfigurationError('output_shape is supported as one positive integer', { ...ctx, field: 'output_shape', value: rawOut });
      }
      outDim = list[0];
    }
    const [qDim, vDim, kDim] = [qs[2], vs[2], ks[2]] as number[];
    const causal = callFlag(req, 'use_causal_mask');
    const returnScores = callFlag(req, 'return_attention_scores');
    // tf.keras read Keras masks in this layer from 2.10 on; Keras 3 always does.
    const m = /^2\.(\d+)/.exec(req.generation.version);
    const useMasks = req.generation.major >= 3 || (m !== null && Number(m[1]) >= 10);
    const m3 = /^3\.(\d+)/.exec(req.generation.version);
    // Keras >= 3.10's Softmax zeroes masked probabilities; it runs when the scores are returned
    // (otherwise Keras 3 takes its fused dot_product_attention path, which keeps the -1e9 rule).
    const zeroMasked = returnScores && req.generation.major >= 3 && (m3 === null || Number(m3[1]) >= 10);
    const notes: string[] = [];
    const dropout = cfg.field('dropout');
    if (typeof dropout === 'number' && dropout > 0) notes.push(`dropout=${dropout} ignored (inference)`);
    if (!useMasks) notes.push('tf.keras before 2.10 did not apply Keras masks in MultiHeadAttention: masks are not applied');

    const proj = (name: string, inDim: number, dim: number): WeightSpec[] => [
      { name: `${name}/kernel`, shape: [inDim, H, dim] },
      ...(useBias ? [{ name: `${name}/bias`, shape: [H, dim] }] : []),
    ];
    const weights: WeightSpec[] = [
      ...proj('query', qDim, kd),
      ...proj('key', kDim, kd),
      ...proj('value', vDim, vd),
      { name: 'attention_output/kernel', shape: [H, vd, outDim] },
      ...(useBias ? [{ name: 'attention_output/bias', shape: [outDim] }] : []),
    ];
    const batch = qs[0] ?? vs[0];
    const outputShapes: Shape[] = [[batch, qs[1], outDim], ...(returnScores ? [[batch, H, qs[1], vs[1] ?? ks[1]] as Shape] : [])];
    const scale = Math.fround(1 / Math.sqrt(kd));

    return layerWithWeights(req, {
      outputShapes,
      weights,
      notes,
      // roles: the input indices of query, value and key (training reads its inputs by them)
      details: {
        numHeads: H, keyDim: kd, valueDim: vd, outputDim: outDim, useBias, causal, returnAttentionScores: returnScores, masks: useMasks,
        roles: [qi, vi, kIdx], dropout: typeof dropout === 'number' ? dropout : 0, zeroMasked,
      },
      instantiate(arrays, memory) {
        const per = useBias ? 2 : 1;
        const w = (i: number) => arrays[i * per];
        const b = (i: number) => (useBias ? arrays[i * per + 1] : null);
        const pq = packProjection(memory, w(0), b(0), qDim, H * kd);
        const pk = packProjection(memory, w(1), b(1), kDim, H * kd);
        const pv = packProjection(memory, w(2), b(2), vDim, H * vd);
        const po = packProjection(memory, w(3), b(3), H * vd, outDim);
        return {
          run(inputs, masks, runCtx) {
            const mem = runCtx.memory;
            const k = mem.kernels;
            const [q, v, key] = [inputs[qi], inputs[vi], inputs[kIdx]];
            const B = q.shape[0];
            const Tq = q.shape[1];
            const Tv = v.shape[1];
            if (key.shape[1] !== Tv || v.shape[0] !== B || key.shape[0] !== B) {
              throw new InvalidKerasConfigurationError('query, value and key need one batch size and value / key one length', { ...ctx, field: 'input', value: inputs.map((t) => t.shape) });
            }
            const Q = project(mem, pq, q, B * Tq);
            k.scaleF32(Q, B * Tq * H * kd, scale);
            const Kp = project(mem, pk, key, B * Tv);
            const V = project(mem, pv, v, B * Tv);
            // Keys as (batch, heads, key_dim, Tv), so each score row is a register-blocked
            // combination of contiguous key rows (no per-score horizontal sums).
            const Kt = mem.scratch(B * H * kd * Tv * 4);
            k.stridedCopy4(Kp, Kt, B, H, kd, Tv, Tv * H * kd, kd, 1, H * kd);
            const scores = mem.scratch(B * H * Tq * Tv * 4);
            for (let bi = 0; bi < B; bi++) {
              // per batch entry, the heads as the product's batch: Q (Tq x kd, rows H*kd apart) times Kt
              k.batchMatMul(mem.paramBlock(BATCH_MAT_MUL_PARAMS, {
                a: Q + bi * Tq * H * kd * 4, lda: H * kd, aBatch: kd,
                b: Kt + bi * H * kd * Tv * 4, ldb: Tv, bBatch: kd * Tv,
                c: scores + bi * H * Tq * Tv * 4, ldc: Tv, cBatch: Tq * Tv,
                batch: H, M: Tq, K: kd, N: Tv, transB: 0,
              }));
            }
            const mask = (i: number): Mask | null => (useMasks && i >= 0 ? masks[i] ?? null : null);
            const [qm, vm] = [mask(qi), mask(vi)];
            const km = ki >= 0 ? mask(ki) : null;
            k.maskedSoftmax(mem.paramBlock(MASKED_SOFTMAX_PARAMS, {
              scores, batch: B, heads: H, rows: Tq, cols: Tv,
              queryMask: qm ? qm.ptr : 0, valueMask: vm ? vm.ptr : 0, keyMask: km ? km.ptr : 0, causal: causal ? 1 : 0, zeroMasked: zeroMasked ? 1 : 0,
            }));
            const context = mem.scratch(B * Tq * H * vd * 4);
            for (let bi = 0; bi < B; bi++) {
              k.batchMatMul(mem.paramBlock(BATCH_MAT_MUL_PARAMS, {
                a: scores + bi * H * Tq * Tv * 4, lda: Tv, aBatch: Tq * Tv,
                b: V + bi * Tv * H * vd * 4, ldb: H * vd, bBatch: vd,
                c: context + bi * Tq * H * vd * 4, ldc: H * vd, cBatch: vd,
                batch: H, M: Tq, K: Tv, N: vd, transB: 0,
              }));
            }
            const out = project(mem, po, { ptr: context, shape: [B, Tq, H * vd] }, B * Tq);
            const outputs: Tensor[] = [{ ptr: out, shape: [B, Tq, outDim] }];
            if (returnScores) outputs.push({ ptr: scores, shape: [B, H, Tq, Tv] });
            return { outputs, masks: outputs.map((_, i) => (i === 0 ? qm : null)) };
          },
        };
      },
    });
  },
};
