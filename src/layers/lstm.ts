import { importCellLayer } from './recurrent.js';
import { sequenceFields, unitGroupOf, type CellKernel, type CellWeightLayout, type GateBlock } from './recurrent-cell.js';
import type { ImportRequest, LayerImporter } from './types.js';
import { KERNEL_CONSTANTS, LSTM_SEQUENCE_PARAMS } from '../wasm/kernel-exports.js';
import { TEAM_BYTES } from '../wasm/sequence-threads.js';

/** Keras 1 per-gate arrays are stored in this order; the engine's gate order is i, f, c, o. */
const KERAS1_GATE_ORDER = ['i', 'c', 'f', 'o'] as const;
const ENGINE_GATES = ['i', 'f', 'c', 'o'] as const;

/**
 * Weight layout of an LSTM. Keras 2/3 and Keras 1 with `consume_less='gpu'` store fused arrays
 * (kernel, recurrent_kernel, bias) with gate blocks i, f, c, o; Keras 1 otherwise stores twelve
 * arrays W_x, U_x, b_x for x in i, c, f, o.
 */
export function lstmWeightLayout(inputDim: number, units: number, useBias: boolean, perGate: boolean): CellWeightLayout {
  if (perGate) {
    const specs = KERAS1_GATE_ORDER.flatMap((g) => [
      { name: `W_${g}`, shape: [inputDim, units] },
      { name: `U_${g}`, shape: [units, units] },
      { name: `b_${g}`, shape: [units] },
    ]);
    const at = (g: string, which: number): GateBlock => ({ array: KERAS1_GATE_ORDER.indexOf(g as never) * 3 + which, offset: 0, stride: units });
    return {
      specs,
      input: ENGINE_GATES.map((g) => at(g, 0)),
      recurrent: ENGINE_GATES.map((g) => at(g, 1)),
      bias: ENGINE_GATES.map((g) => at(g, 2)),
      recurrentBias: null,
    };
  }
  const fused = (array: number): GateBlock[] => [0, 1, 2, 3].map((g) => ({ array, offset: g * units, stride: 4 * units }));
  return {
    specs: [
      { name: 'kernel', shape: [inputDim, 4 * units] },
      { name: 'recurrent_kernel', shape: [units, 4 * units] },
      ...(useBias ? [{ name: 'bias', shape: [4 * units] }] : []),
    ],
    input: fused(0),
    recurrent: fused(1),
    bias: useBias ? fused(2) : null,
    recurrentBias: null,
  };
}

/**
 * The LSTM step: `assembly/lstm-sequence.ts` (states h, c); on a threads-build instance, a call
 * whose recurrent product is large enough runs `assembly/lstm-sequence-parallel.ts` on all the
 * model's sequence threads instead (bit-identical results). int8 weights run
 * `assembly/low-precision-sequence.ts`, on one thread.
 */
export const LSTM_KERNEL: CellKernel = {
  unitGroup: unitGroupOf(KERNEL_CONSTANTS.LSTM_UNIT_GROUP, 'LSTM_UNIT_GROUP'),
  bf16: true,
  forward(cell, memory, b) {
    const params = memory.paramBlock(LSTM_SEQUENCE_PARAMS, { ...sequenceFields(cell, b, memory), c: b.states[1], cScratch: b.scratchStates[1] });
    if (b.lowPrecision) return memory.kernels.lstmSequenceLowPrecision(params);
    const threads = memory.threads;
    // 2 flops per multiply-add of h (units) by the recurrent kernel (4 * units columns), per row.
    if (threads?.worthSplitting(8 * b.batch * cell.units * cell.units, b.steps)) threads.split('lstmSequenceParallel', params, memory.scratch(TEAM_BYTES));
    else memory.kernels.lstmSequence(params);
  },
};

/** `LSTM` (Keras 1, 2, 3) — the KerasLSTM of the reference design. */
export const LstmImporter: LayerImporter = {
  classNames: ['LSTM'],
  import(req: ImportRequest) {
    return importCellLayer(req, true, ({ units, useBias, perGate }) => {
      // unit_forget_bias / forget_bias_init only shape the initial bias: the stored bias is what runs.
      req.config.bool('unitForgetBias', false);
      return {
        cell: { kind: 'lstm', gates: 4, kernel: LSTM_KERNEL, stateNames: ['h', 'c'], weightLayout: (inputDim) => lstmWeightLayout(inputDim, units, useBias, perGate) },
        details: { weightLayout: perGate ? 'keras1-per-gate' : 'fused' },
      };
    });
  },
};
