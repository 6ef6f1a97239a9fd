import { InvalidKerasConfigurationError, UnsupportedKerasConfigurationError, type ErrorContext } from '../errors.js';
import type { WasmMemory } from '../wasm/memory.js';
import { dotNormalizeEpsilon } from '../keras/semantics.js';
import type { ImportedLayer, LayerImporter, Shape, Tensor } from './types.js';
import { weightlessLayer } from './weightless.js';
import { BATCH_MAT_MUL_PARAMS } from '../wasm/kernel-exports.js';

/** Contraction axes of a batch dot product, already made non-negative (1 or 2). */
export type DotAxes = [number, number];

/**
 * Resolves Keras' `axes` (an int, or one per input; negative counts from the end) for inputs of
 * rank 2 or 3, the ranks kerasrnn supports (Keras' `batch_dot` semantics).
 */
export function resolveDotAxes(raw: unknown, shapes: Shape[], ctx: ErrorContext, field: string): DotAxes {
  if (shapes.length !== 2) {
    throw new InvalidKerasConfigurationError('a dot product takes exactly two inputs', { ...ctx, field: 'inbound_nodes', value: shapes.length });
  }
  const ranks = shapes.map((s) => s.length);
  if (!ranks.every((r) => r === 2 || r === 3)) {
    throw new UnsupportedKerasConfigurationError('a dot product is supported over inputs of rank 2 or 3 (batch first)', { ...ctx, field: 'input_shape', value: shapes });
  }
  const list = typeof raw === 'number' ? [raw, raw] : raw;
  if (!Array.isArray(list) || list.length !== 2 || !list.every((a) => Number.isInteger(a))) {
    throw new InvalidKerasConfigurationError('axes must be an integer or a list of two integers', { ...ctx, field, value: raw });
  }
  const axes = list.map((a: number, i) => (a < 0 ? a + ranks[i] : a)) as DotAxes;
  axes.forEach((a, i) => {
    if (a < 1 || a >= ranks[i]) {
      throw new UnsupportedKerasConfigurationError('a dot product along the batch axis (or outside the input) is not supported', { ...ctx, field, value: raw });
    }
  });
  const [d0, d1] = [shapes[0][axes[0]], shapes[1][axes[1]]];
  if (d0 === null || d1 === null || d0 !== d1) {
    throw new InvalidKerasConfigurationError(`the contracted dimensions must be known and equal (${d0} vs ${d1})`, { ...ctx, field, value: shapes });
  }
  return axes;
}

/** Keras' output shape of batch_dot: x's dims without its axis, then y's without its axis; (batch, 1) when both are 2D. */
export function dotOutputShape(shapes: Shape[], axes: DotAxes): Shape {
  const [x, y] = shapes;
  const rest = [...x.slice(1).filter((_, i) => i + 1 !== axes[0]), ...y.slice(1).filter((_, i) => i + 1 !== axes[1])];
  return [x[0] ?? y[0], ...(rest.length === 0 ? [1] : rest)];
}

/**
 * One operand laid out as (batch, P, K) rows along the contraction axis (K contiguous):
 * a 2D (batch, K) input is (batch, 1, K); a 3D input contracted on axis 1 is transposed per batch.
 * With `normalize`, rows are scaled to unit L2 norm (tf.math.l2_normalize over the axis).
 */
export function asRows(memory: WasmMemory, t: Tensor, axis: number, normalizeEps: number | null): { ptr: number; P: number; K: number } {
  const k = memory.kernels;
  const B = t.shape[0];
  let P: number;
  let K: number;
  let ptr = t.ptr;
  if (t.shape.length === 2) {
    P = 1;
    K = t.shape[1];
  } else if (axis === 2) {
    P = t.shape[1];
    K = t.shape[2];
  } else {
    K = t.shape[1];
    P = t.shape[2];
    ptr = memory.scratch(B * P * K * 4);
    for (let b = 0; b < B; b++) k.transposeF32(t.ptr + b * K * P * 4, K, P, ptr + b * P * K * 4);
  }
  if (normalizeEps !== null) {
    if (ptr === t.ptr) {
      const copy = memory.scratch(B * P * K * 4);
      k.copyF32(ptr, copy, B * P * K);
      ptr = copy;
    }
    k.l2NormalizeRows(ptr, B * P, K, normalizeEps);
  }
  return { ptr, P, K };
}

/**
 * Keras' `batch_dot(x, y, axes)` (optionally of L2-normalised operands, with `normalizeEps` the
 * floor of the squared norm) for rank-2/3 inputs: out[b] = X[b] · Y[b]^T over rows along the
 * contraction axes, shaped as {@link dotOutputShape}.
 */
export function batchDot(memory: WasmMemory, x: Tensor, y: Tensor, axes: DotAxes, normalizeEps: number | null): Tensor {
  const B = x.shape[0];
  const X = asRows(memory, x, axes[0], normalizeEps);
  const out = memory.scratch(B * X.P * (y.shape.length === 3 ? y.shape[3 - axes[1]] : 1) * 4);
  if (normalizeEps === null && y.shape.length === 3) {
    // Y as (batch, K, Q) columns: as stored when contracting axis 1, else transposed per batch; the
    // product then runs register-blocked over Q.
    const [K, Qn] = axes[1] === 1 ? [y.shape[1], y.shape[2]] : [y.shape[2], y.shape[1]];
    let yc = y.ptr;
    if (axes[1] === 2) {
      yc = memory.scratch(B * K * Qn * 4);
      memory.kernels.stridedCopy4(y.ptr, yc, 1, B, K, Qn, 0, Qn * K, 1, K);
    }
    memory.kernels.batchMatMul(memory.paramBlock(BATCH_MAT_MUL_PARAMS, {
      a: X.ptr, lda: X.K, aBatch: X.P * X.K, b: yc, ldb: Qn, bBatch: K * Qn, c: out, ldc: Qn, cBatch: X.P * Qn,
      batch: B, M: X.P, K: X.K, N: Qn, transB: 0,
    }));
  } else {
    const Y = asRows(memory, y, axes[1], normalizeEps);
    memory.kernels.batchMatMul(memory.paramBlock(BATCH_MAT_MUL_PARAMS, {
      a: X.ptr, lda: X.K, aBatch: X.P * X.K, b: Y.ptr, ldb: Y.K, bBatch: Y.P * Y.K, c: out, ldc: Y.P, cBatch: X.P * Y.P,
      batch: B, M: X.P, K: X.K, N: Y.P, transB: 1,
    }));
  }
  const rest = [...x.shape.slice(1).filter((_, i) => i + 1 !== axes[0]), ...y.shape.slice(1).filter((_, i) => i + 1 !== axes[1])];
  return { ptr: out, shape: [B, ...(rest.length === 0 ? [1] : rest)] };
}

/**
 * `Dot(axes, normalize)` (Keras 2 / tf.keras / Keras 3): batch dot product of two inputs; with
 * `normalize`, the cosine proximity. Like Keras, it outputs no mask.
 */
export const DotImporter: LayerImporter = {
  classNames: ['Dot'],
  import(req): ImportedLayer {
    const axes = resolveDotAxes(req.config.field('axes') ?? -1, req.inputShapes, req.context, 'axes');
    const normalize = req.config.boolField('normalize', false);
    const eps = normalize ? dotNormalizeEpsilon(req.generation) : null;
    return weightlessLayer(
      req,
      [dotOutputShape(req.inputShapes, axes)],
      {
        run(inputs, _masks, ctx) {
          return { outputs: [batchDot(ctx.memory, inputs[0], inputs[1], axes, eps)], masks: [null] };
        },
      },
      { details: { axes, normalize } },
    );
  },
};
