import type { GraphLayer } from '../../graph/build-graph.js';
import type { KerasGeneration } from '../../keras/generation.js';
import { dotNormalizeEpsilon } from '../../keras/semantics.js';
import { asRows, dotOutputShape, type DotAxes } from '../../layers/dot.js';
import { matMul, transposeMatrices } from './attention-core.js';
import type { Activation, MultiInputLayer } from './layer-module.js';

/** One operand as (batch, P, K) rows along its contraction axis, before and after normalising. */
interface Operand {
  input: Activation;
  rows: number;
  used: number;
  P: number;
  K: number;
}

/**
 * Dot(axes, normalize) in training: each operand as rows along its contraction axis (the
 * inference layer's asRows; a 3D operand contracted on axis 1 is transposed), L2-normalised with
 * Keras' epsilon of the file's version when `normalize`, out[b] = X[b] · Y[b]ᵀ. Backward: dX =
 * dOut · Y, dY = dOutᵀ · X, through the normalisation, transposed back to the input's layout.
 * Like Keras' Dot (and the inference layer), it ignores the inputs' masks and outputs none.
 */
export function planDot(layer: GraphLayer, generation: KerasGeneration): MultiInputLayer {
  const axes = layer.imported.details.axes as DotAxes;
  const eps = layer.imported.details.normalize === true ? dotNormalizeEpsilon(generation) : null;
  type Saved = { x: Operand; y: Operand };
  const plan: MultiInputLayer<Saved> = {
    layer,
    weights: [],
    multiInput: true,
    masks: { outputFrom: -1 },
    forward(ctx, inputs) {
      const { memory } = ctx;
      const B = inputs[0].shape[0];
      const [x, y] = inputs.map((input, i): Operand => {
        const r = asRows(memory, input, axes[i], null);
        let used = r.ptr;
        if (eps !== null) {
          used = memory.scratch(B * r.P * r.K * 4);
          memory.kernels.copyF32(r.ptr, used, B * r.P * r.K);
          memory.kernels.l2NormalizeRows(used, B * r.P, r.K, eps);
        }
        return { input, rows: r.ptr, used, P: r.P, K: r.K };
      });
      const out = memory.scratch(B * x.P * y.P * 4);
      matMul(memory, {
        a: x.used, lda: x.K, aBatch: x.P * x.K, b: y.used, ldb: y.K, bBatch: y.P * y.K, c: out, ldc: y.P, cBatch: x.P * y.P,
        batch: B, M: x.P, K: x.K, N: y.P, transB: 1,
      });
      const shape = dotOutputShape(inputs.map((t) => t.shape), axes) as number[];
      return { output: { ptr: out, shape }, saved: { x, y } };
    },
    backward(ctx, s, dOut) {
      const { memory } = ctx;
      const { x, y } = s;
      const B = x.input.shape[0];
      // the output as stored is (batch, Px, Py) whatever Keras' squeezed shape
      const dOutT = transposeMatrices(memory, dOut, B, x.P, y.P);
      const grad = (o: Operand, other: Operand, d: number, rows: number): number => {
        const dRows = memory.scratch(B * o.P * o.K * 4);
        matMul(memory, {
          a: d, lda: other.P, aBatch: rows * other.P, b: other.used, ldb: other.K, bBatch: other.P * other.K, c: dRows, ldc: o.K, cBatch: o.P * o.K,
          batch: B, M: o.P, K: other.P, N: o.K, transB: 0,
        });
        let dx = dRows;
        if (eps !== null) {
          dx = memory.scratch(B * o.P * o.K * 4);
          memory.kernels.l2NormalizeRowsBackward(o.rows, dRows, B * o.P, o.K, eps, dx);
        }
        // a 3D operand contracted on axis 1 was transposed into rows: transpose the gradient back
        return o.input.shape.length === 3 && o.rows !== o.input.ptr ? transposeMatrices(memory, dx, B, o.P, o.K) : dx;
      };
      return { dInputs: [grad(x, y, dOut, x.P), grad(y, x, dOutT, y.P)] };
    },
  };
  return plan as MultiInputLayer;
}
