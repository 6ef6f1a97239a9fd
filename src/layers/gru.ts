import { defaultGruResetAfter } from '../keras/semantics.js';
import { importCellLayer } from './recurrent.js';
import { paddedUnits, sequenceFields, unitGroupOf, type CellKernel, type CellWeightLayout, type GateBlock } from './recurrent-cell.js';
import type { ImportRequest, LayerImporter } from './types.js';
import { GRU_SEQUENCE_PARAMS, KERNEL_CONSTANTS } from '../wasm/kernel-exports.js';
import { TEAM_BYTES } from '../wasm/sequence-threads.js';

const GATES = ['z', 'r', 'h'] as const;

/**
 * Weight layout of a GRU. Gate order z, r, h everywhere. Keras 1 stores nine arrays W_x, U_x, b_x
 * (x in z, r, h) unless `consume_less='gpu'`; Keras 2/3 store kernel, recurrent_kernel and a bias
 * that is (3·units) or, with `reset_after=True`, (2, 3·units): row 0 input bias, row 1 recurrent.
 */
export function gruWeightLayout(inputDim: number, units: number, useBias: boolean, perGate: boolean, resetAfter: boolean): CellWeightLayout {
  if (perGate) {
    const specs = GATES.flatMap((g) => [
      { name: `W_${g}`, shape: [inputDim, units] },
      { name: `U_${g}`, shape: [units, units] },
      { name: `b_${g}`, shape: [units] },
    ]);
    const at = (gate: number, which: number): GateBlock => ({ array: gate * 3 + which, offset: 0, stride: units });
    return {
      specs,
      input: [0, 1, 2].map((g) => at(g, 0)),
      recurrent: [0, 1, 2].map((g) => at(g, 1)),
      bias: [0, 1, 2].map((g) => at(g, 2)),
      recurrentBias: null,
    };
  }
  const fused = (array: number, row = 0): GateBlock[] =>
    [0, 1, 2].map((g) => ({ array, offset: row * 3 * units + g * units, stride: 3 * units }));
  return {
    specs: [
      { name: 'kernel', shape: [inputDim, 3 * units] },
      { name: 'recurrent_kernel', shape: [units, 3 * units] },
      ...(useBias ? [{ name: 'bias', shape: resetAfter ? [2, 3 * units] : [3 * units] }] : []),
    ],
    input: fused(0),
    recurrent: fused(1),
    bias: useBias ? fused(2, 0) : null,
    recurrentBias: useBias && resetAfter ? fused(2, 1) : null,
  };
}

/** The packed recurrent kernel of reset_after = false: z and r of each unit group, then the candidate's. */
export const GRU_TWO_PASS_PANELS: readonly (readonly number[])[] = [[0, 1], [2]];

/**
 * The GRU step: `assembly/gru-sequence.ts` (state h; reset_after selects the candidate form); on
 * a threads-build instance, a call whose recurrent product is large enough runs
 * `assembly/gru-sequence-parallel.ts` on all the model's sequence threads (bit-identical).
 * bf16 and int8 weights run `assembly/low-precision-sequence.ts`, on one thread.
 */
export const GRU_KERNEL: CellKernel = {
  unitGroup: unitGroupOf(KERNEL_CONSTANTS.GRU_UNIT_GROUP, 'GRU_UNIT_GROUP'),
  bf16: false, // its 12- and 4-column panels do not fit bf16's 8-column vectors: bf16 runs the low-precision kernel
  forward(cell, memory, b) {
    // r * h of the reset_after = false form, one row per batch entry
    const rh = memory.scratch(b.batch * paddedUnits(cell) * 4);
    const params = memory.paramBlock(GRU_SEQUENCE_PARAMS, {
      ...sequenceFields(cell, b, memory),
      recurrentBias: b.recurrentBias,
      rh,
      resetAfter: cell.resetAfter ? 1 : 0,
    });
    if (b.lowPrecision) return memory.kernels.gruSequenceLowPrecision(params);
    const threads = memory.threads;
    // 2 flops per multiply-add of h (units) by the recurrent kernel (3 * units columns), per row.
    if (threads?.worthSplitting(6 * b.batch * cell.units * cell.units, b.steps)) threads.split('gruSequenceParallel', params, memory.scratch(TEAM_BYTES));
    else memory.kernels.gruSequence(params);
  },
};

/** `GRU` (Keras 1, 2, 3; `reset_after` false and true). */
export const GruImporter: LayerImporter = {
  classNames: ['GRU'],
  import(req: ImportRequest) {
    return importCellLayer(req, true, ({ units, useBias, perGate }, notes) => {
      const resetAfter = req.generation.major === 1 ? false : req.config.bool('resetAfter', defaultGruResetAfter(req.generation));
      if (resetAfter && req.generation.runtime === 'tfjs') notes.push('reset_after=True: TF.js refuses this GRU; computed as Keras computes it');
      return {
        cell: {
          kind: 'gru',
          gates: 3,
          kernel: GRU_KERNEL,
          stateNames: ['h'],
          resetAfter,
          // reset_after = false reads z, r and the candidate's columns in two passes (gruSequence)
          ...(resetAfter ? {} : { recurrentPanels: GRU_TWO_PASS_PANELS }),
          weightLayout: (inputDim) => gruWeightLayout(inputDim, units, useBias, perGate, resetAfter),
        },
        details: { weightLayout: perGate ? 'keras1-per-gate' : 'fused' },
      };
    });
  },
};
