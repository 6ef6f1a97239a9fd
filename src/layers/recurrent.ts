import { InputError, InvalidKerasConfigurationError, UnsupportedKerasConfigurationError } from '../errors.js';
import { resolveElementwiseActivation, type Activation } from '../keras/activations.js';
import type { ConfigReader } from '../keras/config-reader.js';
import { defaultRecurrentActivation } from '../keras/semantics.js';
import { packCell, paddedUnits, type CellDefinition } from './recurrent-cell.js';
import type { ImportedLayer, ImportRequest, LayerKernel, Mask, RunContext, Shape, StateLayout, Tensor } from './types.js';
import { layerWithWeights } from './imported-layer.js';

/** The loop options every Keras recurrent layer shares (Keras' `RNN` base class). */
export interface RecurrentOptions {
  returnSequences: boolean;
  returnState: boolean;
  goBackwards: boolean;
  stateful: boolean;
  unroll: boolean;
  /** Output zeros (instead of repeating the last output) at masked steps. */
  zeroOutputForMask: boolean;
}

/** Reads the shared loop options and collects notes about options that inference ignores. */
export function readRecurrentOptions(cfg: ConfigReader, notes: string[]): RecurrentOptions {
  const dropout = cfg.rate('dropout');
  const recurrentDropout = cfg.rate('recurrentDropout');
  if (dropout > 0) notes.push(`${cfg.fieldOf('dropout')}=${dropout} ignored (inference)`);
  if (recurrentDropout > 0) notes.push(`${cfg.fieldOf('recurrentDropout')}=${recurrentDropout} ignored (inference)`);
  for (const concept of ['kernelRegularizer', 'recurrentRegularizer', 'biasRegularizer'] as const) {
    if (cfg.has(concept)) notes.push(`${cfg.fieldOf(concept)} ignored (training only)`);
  }
  const opts: RecurrentOptions = {
    returnSequences: cfg.boolField('return_sequences', false),
    returnState: cfg.boolField('return_state', false),
    goBackwards: cfg.boolField('go_backwards', false),
    stateful: cfg.boolField('stateful', false),
    unroll: cfg.boolField('unroll', false),
    zeroOutputForMask: cfg.boolField('zero_output_for_mask', false),
  };
  if (opts.unroll) notes.push('unroll=true has no effect on the results (the engine runs a fused loop)');
  if (opts.stateful) notes.push('stateful=true: predict() starts from zero state; use model.stream() to carry state');
  if (cfg.field('time_major') === true) {
    throw new UnsupportedKerasConfigurationError('time_major=true is not supported', { ...cfg.context, field: 'time_major', value: true });
  }
  return opts;
}

/** The cell settings LSTM, GRU and SimpleRNN read the same way, whatever the Keras generation. */
export interface CellConfig {
  units: number;
  activation: Activation & { kind: 'elementwise' };
  /** Gate activation; null for SimpleRNN. */
  recurrentActivation: (Activation & { kind: 'elementwise' }) | null;
  useBias: boolean;
  /** Keras 1 stores one array per gate unless `consume_less='gpu'`. */
  perGate: boolean;
}

/** Reads a cell's units, activations, bias flag and (Keras 1) weight layout. */
export function readCellConfig(req: ImportRequest, gated: boolean): CellConfig {
  const cfg = req.config;
  const ctx = req.context;
  const keras1 = req.generation.major === 1;
  const units = cfg.int('units');
  const activation = resolveElementwiseActivation(cfg.get('activation') ?? 'tanh', req.generation, { ...ctx, field: 'activation' });
  // The default differs by version (saved configs state it anyway).
  const recurrentActivation = gated
    ? resolveElementwiseActivation(cfg.get('recurrentActivation') ?? defaultRecurrentActivation(req.generation), req.generation, {
        ...ctx,
        field: cfg.fieldOf('recurrentActivation') ?? 'recurrent_activation',
      })
    : null;
  // Keras 1 recurrent layers always have a bias (their `bias` flag belongs to Dense).
  const useBias = keras1 ? true : cfg.bool('useBias', true);
  const implementation = cfg.get('implementation');
  if (keras1 && implementation !== undefined && !['cpu', 'mem', 'gpu'].includes(implementation as string)) {
    throw new UnsupportedKerasConfigurationError('unknown consume_less mode', { ...ctx, field: 'consume_less', value: implementation });
  }
  return { units, activation, recurrentActivation, useBias, perGate: keras1 && gated && implementation !== 'gpu' };
}

function checkSequenceInput(req: ImportRequest, cell: CellDefinition): { steps: number | null; features: number } {
  const shape = req.inputShapes[0];
  if (!shape || shape.length !== 3) {
    throw new InvalidKerasConfigurationError(
      `a recurrent layer needs a 3D input (batch, steps, features), got ${JSON.stringify(shape)}`,
      { ...req.context, field: 'input_shape', value: shape },
    );
  }
  const features = shape[2];
  if (features === null) {
    throw new InvalidKerasConfigurationError('the input feature size must be known', { ...req.context, field: 'input_shape', value: shape });
  }
  const extra = req.inputShapes.length - 1;
  if (extra !== 0 && extra !== cell.stateNames.length) {
    throw new InvalidKerasConfigurationError(
      `expected ${cell.stateNames.length} initial state tensors (${cell.stateNames.join(', ')}), got ${extra}`,
      { ...req.context, field: 'initial_state', value: extra },
    );
  }
  return { steps: shape[1], features };
}

/** Builds the imported layer for any cell: output shapes, parameter count, weights, kernel. */
export function importRecurrent(req: ImportRequest, cell: CellDefinition, opts: RecurrentOptions, notes: string[]): ImportedLayer {
  const { steps, features } = checkSequenceInput(req, cell);
  const U = cell.units;
  const batch = req.inputShapes[0][0];
  const output: Shape = opts.returnSequences ? [batch, steps, U] : [batch, U];
  const outputShapes: Shape[] = [output, ...(opts.returnState ? cell.stateNames.map((): Shape => [batch, U]) : [])];
  const layout = cell.weightLayout(features);
  return layerWithWeights(req, {
    outputShapes,
    weights: layout.specs,
    notes,
    details: {
      cell: cell.kind,
      units: U,
      activation: cell.activation.name,
      recurrentActivation: cell.recurrentActivation?.name ?? null,
      ...(cell.kind === 'gru' ? { resetAfter: cell.resetAfter } : {}),
      ...opts,
    },
    instantiate: (arrays, memory) => new RecurrentKernel(cell, opts, features, packCell(cell, features, arrays, memory), req.name),
  });
}

/** What one built-in cell class decides of its CellDefinition (the rest comes from its CellConfig). */
export type CellParts = Omit<CellDefinition, 'units' | 'activation' | 'recurrentActivation' | 'resetAfter'> & { resetAfter?: boolean };

/**
 * Imports a built-in recurrent layer (LSTM, GRU, SimpleRNN): the loop options and the cell
 * config are read the same way for all of them, then `define` adds what its cell class decides
 * (reading any further fields, adding notes). `useBias` and the cell's own `details` join the
 * layer's details.
 */
export function importCellLayer(
  req: ImportRequest,
  gated: boolean,
  define: (config: CellConfig, notes: string[]) => { cell: CellParts; details?: Record<string, unknown> },
): ImportedLayer {
  const notes: string[] = [];
  const opts = readRecurrentOptions(req.config, notes);
  const config = readCellConfig(req, gated);
  const { cell, details } = define(config, notes);
  const { units, activation, recurrentActivation } = config;
  const layer = importRecurrent(req, { resetAfter: false, ...cell, units, activation, recurrentActivation }, opts, notes);
  return { ...layer, details: { ...layer.details, useBias: config.useBias, ...details } };
}

/** Name of the per-row byte buffer a stream keeps next to a recurrent layer's states. */
export const KEPT_ROWS = 'keptRows';

/** Runs a whole sequence per call: one GEMM for the input projection, one fused kernel for the loop. */
class RecurrentKernel implements LayerKernel {
  private readonly N: number;
  private readonly Up: number;
  readonly states: StateLayout;

  constructor(
    private readonly cell: CellDefinition,
    private readonly opts: RecurrentOptions,
    private readonly features: number,
    private readonly packed: ReturnType<typeof packCell>,
    private readonly layerName: string,
  ) {
    this.Up = paddedUnits(cell);
    this.N = cell.gates * this.Up;
    this.states = { names: cell.stateNames, units: cell.units, paddedUnits: this.Up };
  }

  run(inputs: Tensor[], masks: (Mask | null)[], ctx: RunContext): { outputs: Tensor[]; masks: (Mask | null)[] } {
    const { memory } = ctx;
    const k = memory.kernels;
    const [x, ...initial] = inputs;
    const [B, T, F] = x.shape;
    if (F !== this.features) {
      throw new InputError(`expected ${this.features} features, got ${F}`, { layer: this.layerName, field: 'input', value: x.shape });
    }
    if (T === 0) {
      // Keras' RNN loop takes its result from the last step (outputs[-1]) and fails on an empty
      // sequence; returning the initial state instead would be a silently invented number.
      throw new InputError('a zero-length sequence: a recurrent layer needs at least one time step (Keras raises here too)', {
        layer: this.layerName,
        field: 'input',
        value: x.shape,
      });
    }
    const U = this.cell.units;
    const { Up, N } = this;
    const xproj = memory.scratch(B * T * N * 4);
    k.gemm(x.ptr, F, B * T, F, this.packed.inputKernel, N, xproj, N, this.packed.bias);

    const stateCount = this.cell.stateNames.length;
    const states: number[] = [];
    for (let s = 0; s < stateCount; s++) {
      const kept = ctx.state?.buffers.get(this.cell.stateNames[s]);
      const ptr = kept ? kept.ptr : memory.scratch(B * Up * 4, true);
      if (initial[s]) {
        // Keras' initial_state is (batch, units); the engine keeps rows padded to the unit group.
        const src = memory.f32(initial[s].ptr, B * U);
        const dst = memory.f32(ptr, B * Up);
        for (let b = 0; b < B; b++) dst.set(src.subarray(b * U, b * U + U), b * Up);
      }
      states.push(ptr);
    }
    const scratchStates = states.map(() => memory.scratch(B * Up * 4));
    const outSeq = this.opts.returnSequences ? memory.scratch(B * T * U * 4) : 0;
    const outLast = this.opts.returnSequences ? 0 : memory.scratch(B * U * 4, true);
    const mask = masks[0] ? masks[0].ptr : 0;
    // Streams keep, per row, whether a step was kept in an earlier call (Keras' "previous output").
    const history = mask ? ctx.state?.buffers.get(KEPT_ROWS) : undefined;
    k.setMaskHistory(history ? history.ptr : 0);
    this.cell.kernel.forward(this.cell, memory, {
      xproj,
      batch: B,
      steps: T,
      recurrentKernel: this.packed.recurrentKernel,
      recurrentBf16: this.packed.recurrentBf16,
      lowPrecision: this.packed.lowPrecision,
      recurrentBias: this.packed.recurrentBias,
      states,
      scratchStates,
      outSeq,
      outLast,
      mask,
      reverse: this.opts.goBackwards,
      zeroOutputForMask: this.opts.zeroOutputForMask,
    });

    k.setMaskHistory(0);
    if (history) k.markKeptRows(mask, B, T, history.ptr);

    const outputs: Tensor[] = [this.opts.returnSequences ? { ptr: outSeq, shape: [B, T, U] } : { ptr: outLast, shape: [B, U] }];
    if (this.opts.returnState) {
      for (const ptr of states) {
        // States are returned densely as (batch, units) like Keras.
        const dense = memory.scratch(B * U * 4);
        const src = memory.f32(ptr, B * Up);
        const dst = memory.f32(dense, B * U);
        for (let b = 0; b < B; b++) dst.set(src.subarray(b * Up, b * Up + U), b * U);
        outputs.push({ ptr: dense, shape: [B, U] });
      }
    }
    const outMasks: (Mask | null)[] = outputs.map((_, i) => (i === 0 && this.opts.returnSequences ? masks[0] ?? null : null));
    return { outputs, masks: outMasks };
  }
}
