import { InternalError } from '../errors.js';
import type { WasmMemory } from '../wasm/memory.js';
import type { KernelExports, SequenceParams } from '../wasm/kernel-exports.js';
import type { Activation } from '../keras/activations.js';
import type { WeightSpec } from './types.js';

/**
 * Where one gate's (rows × units) block sits in one of the stored arrays: `array` indexes the
 * layer's weight list, `offset` is the first column, `stride` the row length in floats.
 */
export interface GateBlock {
  array: number;
  offset: number;
  stride: number;
}

/** How a cell's stored weights map onto the engine's gate matrices (gate order: engine order). */
export interface CellWeightLayout {
  /** Stored arrays in Keras order. */
  specs: WeightSpec[];
  /** Input kernel (features × units) of each engine gate. */
  input: GateBlock[];
  /** Recurrent kernel (units × units) of each engine gate. */
  recurrent: GateBlock[];
  /** Input-side bias of each engine gate (added to the input projection), or null for none. */
  bias: GateBlock[] | null;
  /** Recurrent-side bias (GRU reset_after only), or null. */
  recurrentBias: GateBlock[] | null;
}

/** Packed weights of a cell in wasm memory (engine column order). */
export interface PackedCell {
  inputKernel: number;
  recurrentKernel: number;
  bias: number;
  recurrentBias: number;
}

/** The buffers of one run of the recurrent loop (wasm pointers; 0 = absent). */
export interface SequenceBuffers {
  /** Input projection x . W + bias, [batch][steps][gates * paddedUnits]. */
  xproj: number;
  batch: number;
  steps: number;
  /** Packed recurrent kernel and (GRU reset_after) recurrent bias. */
  recurrentKernel: number;
  recurrentBias: number;
  /** The cell's states ([batch][paddedUnits] each, in `stateNames` order) and as many scratch rows. */
  states: number[];
  scratchStates: number[];
  /** [batch][steps][units] when the layer returns sequences, else 0. */
  outSeq: number;
  /** [batch][units] when it returns the last output only, else 0. */
  outLast: number;
  /** u8 time-step mask [batch][steps], or 0. */
  mask: number;
  reverse: boolean;
  zeroOutputForMask: boolean;
}

/**
 * The step math of one cell kind, as the recurrent loop calls it: a new cell is a new CellKernel,
 * not a new branch in the loop. (`backward` joins `forward` when training lands.)
 */
export interface CellKernel {
  /**
   * Units per interleaved group of the kernel's packed layout (state rows and gate columns are
   * padded to a multiple of it): read from the kernel module's exported constant, so the packing
   * here and the kernel's own padding cannot disagree.
   */
  readonly unitGroup: number;
  /** Runs the whole sequence (one wasm call), updating `states` in place. */
  forward(cell: CellDefinition, memory: WasmMemory, buffers: SequenceBuffers): void;
}

/** What distinguishes LSTM, GRU and SimpleRNN: the math of one step and the weight layout. */
export interface CellDefinition {
  /** A label for summaries and details (`lstm`, `gru`, `simple`); the loop never branches on it. */
  readonly kind: 'lstm' | 'gru' | 'simple';
  /** Gates per unit in engine order (LSTM i,f,c,o; GRU z,r,h; SimpleRNN 1). */
  readonly gates: number;
  /** The step kernel and its layout contract. */
  readonly kernel: CellKernel;
  /**
   * How the packed recurrent kernel is split into regions, each holding the listed gates of every
   * unit group side by side (panel width unitGroup x gates), regions one after the other. Default:
   * one region with every gate. A cell whose step reads some gates in a separate pass (GRU
   * reset_after = false: z and r, then the candidate) packs them apart so each pass streams only
   * the bytes it uses.
   */
  readonly recurrentPanels?: readonly (readonly number[])[];
  /** Names of the states the cell carries, in Keras' `return_state` order. */
  readonly stateNames: readonly string[];
  readonly units: number;
  readonly activation: Activation & { kind: 'elementwise' };
  /** Gate activation (unused by SimpleRNN). */
  readonly recurrentActivation: (Activation & { kind: 'elementwise' }) | null;
  /** GRU only. */
  readonly resetAfter: boolean;
  /** Stored specs plus where each gate's block sits in the arrays `convertWeights` returns. */
  weightLayout(inputDim: number): CellWeightLayout;
  /** Re-lays out stored arrays that are not in Keras' own layout (CuDNN files), at load. */
  convertWeights?(arrays: Float32Array[], inputDim: number, memory: WasmMemory): Float32Array[];
}

/**
 * The parameter-block fields every sequence kernel reads (`SequenceParams` in
 * `assembly/param-blocks.ts`), filled from the loop's buffers; a cell with more state or options
 * adds its own fields.
 */
export function sequenceFields(cell: CellDefinition, b: SequenceBuffers): SequenceParams {
  return {
    xproj: b.xproj,
    batch: b.batch,
    steps: b.steps,
    units: cell.units,
    recurrentKernel: b.recurrentKernel,
    h: b.states[0],
    hScratch: b.scratchStates[0],
    outSeq: b.outSeq,
    outLast: b.outLast,
    mask: b.mask,
    activation: cell.activation.id,
    recurrentActivation: cell.recurrentActivation?.id ?? 0,
    reverse: b.reverse ? 1 : 0,
    zeroOutputForMask: b.zeroOutputForMask ? 1 : 0,
  };
}

/** Units rounded up to the cell kernel's group size. */
export function paddedUnits(cell: CellDefinition): number {
  const group = cell.kernel.unitGroup;
  return Math.ceil(cell.units / group) * group;
}

/**
 * A layout contract read from the kernel module: a positive power of two (the kernels pad with
 * `(U + g - 1) & ~(g - 1)`). A module without the constant is a build fault, not a user error.
 */
export function unitGroupOf(value: number, name: string): number {
  if (!Number.isInteger(value) || value <= 0 || (value & (value - 1)) !== 0) {
    throw new InternalError(`the kernel module's ${name} is ${value}, not a power of two (stale build?)`);
  }
  return value;
}

/** Packs stored arrays (already shape-checked) into the engine layout; runs the wasm re-layout kernels. */
export function packCell(cell: CellDefinition, inputDim: number, arrays: Float32Array[], memory: WasmMemory): PackedCell {
  const k: KernelExports = memory.kernels;
  const layout = cell.weightLayout(inputDim);
  if (cell.convertWeights) arrays = cell.convertWeights(arrays, inputDim, memory);
  const G = cell.gates;
  const UG = cell.kernel.unitGroup;
  const U = cell.units;
  const N = G * paddedUnits(cell);
  const panels16 = Math.ceil(N / 16);

  const inputKernel = memory.alloc(panels16 * inputDim * 16 * 4);
  const recurrentKernel = memory.alloc(U * N * 4);
  const bias = layout.bias ? memory.alloc(panels16 * 16 * 4) : 0;
  const recurrentBias = layout.recurrentBias ? memory.alloc(panels16 * 16 * 4) : 0;

  memory.beginScratch();
  try {
    const src = arrays.map((a) => {
      const p = memory.scratch(a.length * 4);
      memory.f32(p, a.length).set(a);
      return p;
    });
    const pack = (blocks: GateBlock[], rows: number, dst: number, width: number) => {
      blocks.forEach((b, g) => k.packGateColumns(src[b.array] + b.offset * 4, b.stride, rows, U, g, G, UG, dst, width));
    };
    pack(layout.input, inputDim, inputKernel, 16);
    const regions = cell.recurrentPanels ?? [layout.recurrent.map((_, g) => g)];
    let region = recurrentKernel;
    for (const gates of regions) {
      gates.forEach((gate, j) => {
        const b = layout.recurrent[gate];
        k.packGateColumns(src[b.array] + b.offset * 4, b.stride, U, U, j, gates.length, UG, region, UG * gates.length);
      });
      region += U * paddedUnits(cell) * gates.length * 4;
    }
    if (layout.bias) pack(layout.bias, 1, bias, 16);
    if (layout.recurrentBias) pack(layout.recurrentBias, 1, recurrentBias, 16);
  } finally {
    memory.endScratch();
  }
  return { inputKernel, recurrentKernel, bias, recurrentBias };
}
