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

/**
 * A recurrent kernel packed for `assembly/low-precision-sequence.ts`: 16-column panels of the
 * cell's engine columns (one region per entry of `recurrentPanels`), int8 or bfloat16.
 */
export interface LowPrecisionRecurrent {
  /** int8 with one float32 scale per column (assembly/int8.ts), else bfloat16. */
  int8: boolean;
  /** int8: the column scales, region after region (whole panels); else 0. */
  scales: number;
  /** Floats per batch row of the per-step product scratch: the widest region, in whole panels. */
  productRow: number;
}

/** Packed weights of a cell in wasm memory (engine column order). */
export interface PackedCell {
  inputKernel: number;
  recurrentKernel: number;
  /** The recurrent kernel holds bfloat16 in the cell kernel's own panels (assembly/bf16.ts' packGateColumnsBf16). */
  recurrentBf16: boolean;
  /** Or it is packed for the low-precision kernels (loadModel's weights: 'int8', and 'bf16' for a cell without `bf16`). */
  lowPrecision: LowPrecisionRecurrent | null;
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
  /** The recurrent kernel is bfloat16 (only for a CellKernel with `bf16`). */
  recurrentBf16: boolean;
  /** Or it is packed for assembly/low-precision-sequence.ts, whose kernels then run the sequence. */
  lowPrecision: LowPrecisionRecurrent | null;
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
  /**
   * Whether the cell's own sequence kernel reads a bfloat16 recurrent kernel (loadModel's
   * `weights: 'bf16'`); a cell without it runs its bf16 weights on the low-precision kernel, as
   * every cell does int8 weights (`forward` then receives `lowPrecision`).
   */
  readonly bf16: boolean;
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
export function sequenceFields(cell: CellDefinition, b: SequenceBuffers, memory: WasmMemory): SequenceParams {
  const low = b.lowPrecision;
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
    recurrentBf16: b.recurrentBf16 ? 1 : 0,
    recurrentInt8: low?.int8 ? 1 : 0,
    recurrentScales: low?.scales ?? 0,
    products: low ? memory.scratch(b.batch * low.productRow * 4) : 0,
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
  const Up = paddedUnits(cell);
  const N = G * Up;
  const panels16 = Math.ceil(N / 16);

  const inputKernel = memory.alloc(panels16 * inputDim * 16 * 4);
  // The recurrent kernel: float32 or bf16 in the cell kernel's own panels (bf16 packed straight
  // to bfloat16, half the persistent bytes), or int8 / bf16 in the low-precision kernels'
  // 16-column panels, each region padded to whole panels.
  const recurrentBf16 = memory.weights === 'bf16' && cell.kernel.bf16;
  const low = memory.weights !== 'float32' && !recurrentBf16;
  const int8 = memory.weights === 'int8';
  const elementBytes = int8 ? 1 : memory.weights === 'bf16' ? 2 : 4;
  const regions = (cell.recurrentPanels ?? [layout.recurrent.map((_, g) => g)]).map((gates) => ({
    gates,
    width: low ? 16 : UG * gates.length,
    columns: low ? Math.ceil((Up * gates.length) / 16) * 16 : Up * gates.length,
  }));
  const recurrentKernel = memory.alloc(regions.reduce((n, r) => n + U * r.columns * elementBytes, 0));
  const scales = int8 ? memory.alloc(regions.reduce((n, r) => n + r.columns * 4, 0)) : 0;
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
    let region = recurrentKernel;
    let regionScales = scales;
    for (const { gates, width, columns } of regions) {
      gates.forEach((gate, j) => {
        const b = layout.recurrent[gate];
        const from = src[b.array] + b.offset * 4;
        if (int8) k.packGateColumnsInt8(from, b.stride, U, U, j, gates.length, UG, region, width, regionScales);
        else (elementBytes === 2 ? k.packGateColumnsBf16 : k.packGateColumns)(from, b.stride, U, U, j, gates.length, UG, region, width);
      });
      region += U * columns * elementBytes;
      regionScales += columns * 4;
    }
    if (layout.bias) pack(layout.bias, 1, bias, 16);
    if (layout.recurrentBias) pack(layout.recurrentBias, 1, recurrentBias, 16);
  } finally {
    memory.endScratch();
  }
  const lowPrecision = low ? { int8, scales, productRow: Math.max(...regions.map((r) => r.columns)) } : null;
  return { inputKernel, recurrentKernel, recurrentBf16, lowPrecision, bias, recurrentBias };
}
