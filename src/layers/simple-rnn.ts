import { importCellLayer } from './recurrent.js';
import { sequenceFields, unitGroupOf, type CellKernel, type CellWeightLayout } from './recurrent-cell.js';
import type { ImportRequest, LayerImporter } from './types.js';
import { KERNEL_CONSTANTS, SIMPLE_RNN_SEQUENCE_PARAMS } from '../wasm/kernel-exports.js';

/** SimpleRNN stores W/U/b (Keras 1) or kernel/recurrent_kernel/bias (Keras 2/3): one gate. */
export function simpleRnnWeightLayout(inputDim: number, units: number, useBias: boolean, keras1: boolean): CellWeightLayout {
  const names = keras1 ? ['W', 'U', 'b'] : ['kernel', 'recurrent_kernel', 'bias'];
  return {
    specs: [
      { name: names[0], shape: [inputDim, units] },
      { name: names[1], shape: [units, units] },
      ...(useBias ? [{ name: names[2], shape: [units] }] : []),
    ],
    input: [{ array: 0, offset: 0, stride: units }],
    recurrent: [{ array: 1, offset: 0, stride: units }],
    bias: useBias ? [{ array: 2, offset: 0, stride: units }] : null,
    recurrentBias: null,
  };
}

/** The SimpleRNN step: `assembly/simple-rnn-sequence.ts` (state h, no gates); int8 weights: `assembly/low-precision-sequence.ts`. */
export const SIMPLE_RNN_KERNEL: CellKernel = {
  unitGroup: unitGroupOf(KERNEL_CONSTANTS.SIMPLE_RNN_UNIT_GROUP, 'SIMPLE_RNN_UNIT_GROUP'),
  bf16: true,
  forward(cell, memory, b) {
    const params = memory.paramBlock(SIMPLE_RNN_SEQUENCE_PARAMS, sequenceFields(cell, b, memory));
    if (b.lowPrecision) memory.kernels.simpleRnnSequenceLowPrecision(params);
    else memory.kernels.simpleRnnSequence(params);
  },
};

/** `SimpleRNN` (Keras 1, 2, 3) — the KerasSimpleRnn of the reference design. */
export const SimpleRnnImporter: LayerImporter = {
  classNames: ['SimpleRNN'],
  import(req: ImportRequest) {
    const keras1 = req.generation.major === 1;
    return importCellLayer(req, false, ({ units, useBias }) => ({
      cell: { kind: 'simple', gates: 1, kernel: SIMPLE_RNN_KERNEL, stateNames: ['h'], weightLayout: (inputDim) => simpleRnnWeightLayout(inputDim, units, useBias, keras1) },
    }));
  },
};
