import type { GraphLayer } from '../../graph/build-graph.js';
import { KERNEL_CONSTANTS } from '../../wasm/kernel-exports.js';
import { refuse, sizeOf, type Activation, type MultiInputLayer } from './layer-module.js';

/**
 * Merges of equal-shaped inputs (Add, Subtract, Multiply, Average, Maximum, Minimum) and
 * Concatenate on the last axis, forward and backward on the element-wise kernels. Maximum /
 * Minimum give each element's gradient to the input that holds the result, the earliest on a tie
 * (Keras folds tf.maximum(output, x) over the inputs, whose gradient goes to its first argument
 * where they are equal). Masks are refused before them (the trainer does not combine masks).
 */
export function planMerge(layer: GraphLayer): MultiInputLayer {
  const kind = layer.imported.className;
  const rank = layer.imported.outputShapes[0].length;
  if (kind === 'Concatenate') {
    const axis = Number(layer.spec.config.axis ?? -1);
    if (axis !== -1 && axis !== rank - 1) refuse(layer, 'Concatenate on an axis other than the last', 'axis', axis);
  }
  const { BIN_ADD: ADD, BIN_SUB: SUB, BIN_MUL: MUL, BIN_MAX: MAX, BIN_MIN: MIN, BIN_EQ: EQ, BIN_GT: GT } = KERNEL_CONSTANTS;
  type Saved = { inputs: Activation[]; n: number; out?: number };
  const plan: MultiInputLayer<Saved> = {
    layer,
    weights: [],
    multiInput: true,
    forward(ctx, inputs) {
      const { memory } = ctx;
      const k = memory.kernels;
      if (kind === 'Subtract' && inputs.length !== 2) refuse(layer, 'Subtract of other than two inputs', 'inputs', inputs.length);
      if (kind === 'Concatenate') {
        const rows = sizeOf(inputs[0].shape) / inputs[0].shape[rank - 1];
        const total = inputs.reduce((a, x) => a + x.shape[rank - 1], 0);
        const out = memory.scratch(rows * total * 4);
        let offset = 0;
        for (const x of inputs) {
          const c = x.shape[rank - 1];
          // one step of c floats per row, placed at column `offset` of each output row
          k.copySteps(x.ptr, c, 0, out, total, offset, rows, c, 1);
          offset += c;
        }
        return { output: { ptr: out, shape: [...inputs[0].shape.slice(0, -1), total] }, saved: { inputs, n: rows } };
      }
      const n = sizeOf(inputs[0].shape);
      const out = memory.scratch(n * 4);
      k.copyF32(inputs[0].ptr, out, n);
      const op = kind === 'Subtract' ? SUB : kind === 'Multiply' ? MUL : kind === 'Maximum' ? MAX : kind === 'Minimum' ? MIN : ADD;
      for (const x of inputs.slice(1)) k.binaryF32(out, x.ptr, out, n, op);
      if (kind === 'Average') k.scaleF32(out, n, 1 / inputs.length);
      return { output: { ptr: out, shape: inputs[0].shape }, saved: { inputs, n, out } };
    },
    backward(ctx, s, dOut) {
      const { memory } = ctx;
      const k = memory.kernels;
      if (kind === 'Concatenate') {
        const rows = s.n;
        const total = s.inputs.reduce((a, x) => a + x.shape[rank - 1], 0);
        let offset = 0;
        return {
          dInputs: s.inputs.map((x) => {
            const c = x.shape[rank - 1];
            const dx = memory.scratch(rows * c * 4);
            k.copySteps(dOut, total, offset, dx, c, 0, rows, c, 1);
            offset += c;
            return dx;
          }),
        };
      }
      const { n } = s;
      if ((kind === 'Maximum' || kind === 'Minimum') && s.out) {
        // 1 where input i holds the result and no earlier input did ("claimed" so far)
        const claimed = memory.scratch(n * 4, true);
        const held = memory.scratch(n * 4);
        return {
          dInputs: s.inputs.map((x) => {
            const dx = memory.scratch(n * 4);
            k.binaryF32(x.ptr, s.out as number, held, n, EQ);
            k.binaryF32(held, claimed, held, n, GT);
            k.binaryF32(claimed, held, claimed, n, MAX);
            k.binaryF32(dOut, held, dx, n, MUL);
            return dx;
          }),
        };
      }
      return {
        dInputs: s.inputs.map((_, i) => {
          const dx = memory.scratch(n * 4);
          k.copyF32(dOut, dx, n);
          if (kind === 'Average') k.scaleF32(dx, n, 1 / s.inputs.length);
          else if (kind === 'Subtract' && i === 1) k.scaleF32(dx, n, -1);
          else if (kind === 'Multiply') s.inputs.forEach((x, j) => j !== i && k.binaryF32(dx, x.ptr, dx, n, MUL));
          return dx;
        }),
      };
    },
  };
  return plan as MultiInputLayer;
}
