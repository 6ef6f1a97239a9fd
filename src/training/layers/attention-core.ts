import { BATCH_MAT_MUL_PARAMS, MASKED_SOFTMAX_PARAMS, KERNEL_CONSTANTS, type BatchMatMulParams } from '../../wasm/kernel-exports.js';
import type { WasmMemory } from '../../wasm/memory.js';
import type { GraphLayer } from '../../graph/build-graph.js';
import { drawForRows, refuse, type TrainContext } from './layer-module.js';

/**
 * What the attention layers share in training (Attention, AdditiveAttention with one head,
 * MultiHeadAttention with several): the masked softmax of the scores, attention dropout, the
 * weighted sum of the values, the dot-product scores, and their backward passes, all on
 * batchMatMul / maskedSoftmax / activationBackward. Tensors are (batch, steps, heads, dim)
 * row-major (heads = 1: Keras' (batch, steps, dim)); scores and weights (batch, heads, Tq, Tv).
 */

/** What the attention layers' imports say about a call: roles, causal, dropout, masks. */
export interface AttentionOptions {
  /** Input indices of query, value and key (key = value when the call gave none). */
  roles: [number, number, number];
  causal: boolean;
  /** Dropout rate of the attention weights in training. */
  rate: number;
  /** Whether the file's Keras version applied Keras masks in this layer. */
  useMasks: boolean;
  /** The trainer's mask contract: the output carries the query's mask when masks apply. */
  masks: { outputFrom: number };
}

/** The {@link AttentionOptions} of an imported Attention / AdditiveAttention / MultiHeadAttention. */
export function attentionOptions(layer: GraphLayer): AttentionOptions {
  const d = layer.imported.details;
  const roles = d.roles as [number, number, number];
  const rate = Number(d.dropout ?? 0);
  if (!(rate >= 0 && rate < 1)) refuse(layer, `${layer.imported.className} dropout outside [0, 1)`, 'dropout', rate);
  const useMasks = d.masks !== false;
  return { roles, causal: d.causal === true, rate, useMasks, masks: { outputFrom: useMasks ? roles[0] : -1 } };
}

/** Sizes of one attention call. */
export interface AttentionDims {
  B: number;
  H: number;
  Tq: number;
  Tv: number;
  /** Feature size of query and key per head. */
  dk: number;
  /** Feature size of value per head. */
  dv: number;
}

/** C = A · B (or A · Bᵀ) over strided batches: batchMatMul with its parameter block. */
export function matMul(memory: WasmMemory, p: BatchMatMulParams): void {
  memory.kernels.batchMatMul(memory.paramBlock(BATCH_MAT_MUL_PARAMS, p));
}

/** [count][rows][cols] at `src` transposed into a new [count][cols][rows] scratch buffer. */
export function transposeMatrices(memory: WasmMemory, src: number, count: number, rows: number, cols: number): number {
  const dst = memory.scratch(count * rows * cols * 4);
  memory.kernels.stridedCopy4(src, dst, 1, count, cols, rows, 0, rows * cols, 1, cols);
  return dst;
}

/** Sum over `n` floats of a · b, as a 1 × n by n × 1 product. */
export function dotSum(memory: WasmMemory, a: number, b: number, n: number): number {
  const out = memory.scratch(4);
  matMul(memory, { a, lda: n, aBatch: 0, b, ldb: n, bBatch: 0, c: out, ldc: 1, cBatch: 0, batch: 1, M: 1, K: n, N: 1, transB: 1 });
  return memory.f32(out, 1)[0];
}

/** raw[b, h] = Q[b, :, h] · K[b, :, h]ᵀ, one product per batch row with the heads as its batch. */
export function dotScores(memory: WasmMemory, Q: number, K: number, d: AttentionDims): number {
  const { B, H, Tq, Tv, dk } = d;
  const raw = memory.scratch(B * H * Tq * Tv * 4);
  for (let b = 0; b < B; b++) {
    matMul(memory, {
      a: Q + b * Tq * H * dk * 4, lda: H * dk, aBatch: dk, b: K + b * Tv * H * dk * 4, ldb: H * dk, bBatch: dk,
      c: raw + b * H * Tq * Tv * 4, ldc: Tv, cBatch: Tq * Tv, batch: H, M: Tq, K: dk, N: Tv, transB: 1,
    });
  }
  return raw;
}

/** Gradients of {@link dotScores} from d(loss)/d(raw): dQ = dRaw · K, dK = dRawᵀ · Q (per batch row and head). */
export function dotScoresBackward(memory: WasmMemory, Q: number, K: number, dRaw: number, d: AttentionDims): { dQ: number; dK: number } {
  const { B, H, Tq, Tv, dk } = d;
  const dQ = memory.scratch(B * Tq * H * dk * 4);
  const dK = memory.scratch(B * Tv * H * dk * 4);
  const dRawT = transposeMatrices(memory, dRaw, B * H, Tq, Tv);
  for (let b = 0; b < B; b++) {
    matMul(memory, {
      a: dRaw + b * H * Tq * Tv * 4, lda: Tv, aBatch: Tq * Tv, b: K + b * Tv * H * dk * 4, ldb: H * dk, bBatch: dk,
      c: dQ + b * Tq * H * dk * 4, ldc: H * dk, cBatch: dk, batch: H, M: Tq, K: Tv, N: dk, transB: 0,
    });
    matMul(memory, {
      a: dRawT + b * H * Tv * Tq * 4, lda: Tq, aBatch: Tv * Tq, b: Q + b * Tq * H * dk * 4, ldb: H * dk, bBatch: dk,
      c: dK + b * Tv * H * dk * 4, ldc: H * dk, cBatch: dk, batch: H, M: Tv, K: Tq, N: dk, transB: 0,
    });
  }
  return { dQ, dK };
}

/** What {@link attend} keeps for {@link attendBackward}. */
export interface Attended {
  /** Softmax weights (batch, heads, Tq, Tv). */
  probs: number;
  /** The weights after dropout (= probs without dropout). */
  dropped: number;
  /** Inverted-dropout mask of the weights, or 0. */
  mask: number;
  /** The weighted values (batch, Tq, heads, dv). */
  context: number;
}

/** What masks the softmax of {@link attend}: u8 [B][T] time-step masks (0: none) and Keras' causal / zeroing rules. */
export interface ScoreMasks {
  causal: boolean;
  query?: number;
  value?: number;
  key?: number;
  /** Masked weights multiplied by 0 after the softmax (Keras >= 3.10 MultiHeadAttention returning its scores). */
  zeroMasked?: boolean;
}

/**
 * softmax(scores, masked as maskedSoftmax does: Keras' -1e9 rule) in place, Keras' dropout of the
 * weights in training (`rate` > 0: an inverted-dropout mask from the step's seeded generator,
 * like the Dropout layer's), then context[b, :, h] = weights[b, h] · V[b, :, h]. The softmax
 * backward of {@link attendBackward} on the zeroed weights is also exact for `zeroMasked`.
 */
export function attend(ctx: TrainContext, scores: number, V: number, d: AttentionDims, masks: ScoreMasks, rate: number): Attended {
  const { memory } = ctx;
  const { B, H, Tq, Tv, dv } = d;
  const n = B * H * Tq * Tv;
  memory.kernels.maskedSoftmax(memory.paramBlock(MASKED_SOFTMAX_PARAMS, {
    scores, batch: B, heads: H, rows: Tq, cols: Tv, queryMask: masks.query ?? 0, valueMask: masks.value ?? 0, keyMask: masks.key ?? 0,
    causal: masks.causal ? 1 : 0, zeroMasked: masks.zeroMasked ? 1 : 0,
  }));
  let dropped = scores;
  let mask = 0;
  if (rate > 0) {
    mask = memory.scratch(n * 4);
    drawForRows(ctx, mask, n, (q, c, seed) => memory.kernels.dropoutMask(q, c, rate, seed));
    dropped = memory.scratch(n * 4);
    memory.kernels.binaryF32(scores, mask, dropped, n, KERNEL_CONSTANTS.BIN_MUL);
  }
  const context = memory.scratch(B * Tq * H * dv * 4);
  for (let b = 0; b < B; b++) {
    matMul(memory, {
      a: dropped + b * H * Tq * Tv * 4, lda: Tv, aBatch: Tq * Tv, b: V + b * Tv * H * dv * 4, ldb: H * dv, bBatch: dv,
      c: context + b * Tq * H * dv * 4, ldc: H * dv, cBatch: dv, batch: H, M: Tq, K: Tv, N: dv, transB: 0,
    });
  }
  return { probs: scores, dropped, mask, context };
}

/**
 * Backward of {@link attend} from d(loss)/d(context): d(loss)/d(scores before the softmax) and
 * d(loss)/d(V). Masked positions have weights ~0 and so no gradient, as in Keras.
 */
export function attendBackward(memory: WasmMemory, a: Attended, V: number, dContext: number, d: AttentionDims): { dScores: number; dV: number } {
  const { B, H, Tq, Tv, dv } = d;
  const n = B * H * Tq * Tv;
  const dW = memory.scratch(n * 4);
  const dV = memory.scratch(B * Tv * H * dv * 4);
  const droppedT = transposeMatrices(memory, a.dropped, B * H, Tq, Tv);
  for (let b = 0; b < B; b++) {
    matMul(memory, {
      a: dContext + b * Tq * H * dv * 4, lda: H * dv, aBatch: dv, b: V + b * Tv * H * dv * 4, ldb: H * dv, bBatch: dv,
      c: dW + b * H * Tq * Tv * 4, ldc: Tv, cBatch: Tq * Tv, batch: H, M: Tq, K: dv, N: Tv, transB: 1,
    });
    matMul(memory, {
      a: droppedT + b * H * Tv * Tq * 4, lda: Tq, aBatch: Tv * Tq, b: dContext + b * Tq * H * dv * 4, ldb: H * dv, bBatch: dv,
      c: dV + b * Tv * H * dv * 4, ldc: H * dv, cBatch: dv, batch: H, M: Tv, K: Tq, N: dv, transB: 0,
    });
  }
  if (a.mask) memory.kernels.binaryF32(dW, a.mask, dW, n, KERNEL_CONSTANTS.BIN_MUL);
  const dScores = memory.scratch(n * 4);
  memory.kernels.activationBackward(a.probs, dW, n, Tv, 100, dScores);
  return { dScores, dV };
}

/**
 * d(loss)/d(input) of a layer whose roles (query, value, key) read `count` inputs, some possibly
 * the same one (key defaults to value): the role gradients summed per input.
 */
export function gradientsByInput(memory: WasmMemory, count: number, parts: { index: number; ptr: number; n: number }[]): number[] {
  const out: number[] = new Array(count);
  for (const { index, ptr, n } of parts) {
    if (out[index] === undefined) out[index] = ptr;
    else {
      const sum = memory.scratch(n * 4);
      memory.kernels.binaryF32(out[index], ptr, sum, n, KERNEL_CONSTANTS.BIN_ADD);
      out[index] = sum;
    }
  }
  return out;
}
