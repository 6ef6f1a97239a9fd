import type { WasmMemory } from '../wasm/memory.js';
import { resolveElementwiseActivation } from '../keras/activations.js';
import { GRU_KERNEL, gruWeightLayout } from './gru.js';
import { LSTM_KERNEL, lstmWeightLayout } from './lstm.js';
import { importRecurrent, readRecurrentOptions } from './recurrent.js';
import type { CellDefinition } from './recurrent-cell.js';
import type { ImportRequest, LayerImporter } from './types.js';
import { BinaryOp } from '../wasm/tensor-op-codes.js';

/**
 * cuDNN reads each gate's flat buffer as a (units × input) matrix, so Keras' own converter
 * (`_convert_rnn_weights`) maps a CuDNN input kernel block k to `k.T.reshape(k.shape, order='F')`
 * — i.e. the block's row-major data read as (units × input) and transposed — and a recurrent block
 * to `k.T`. The two CuDNNLSTM bias halves (input, recurrent) add up to a plain LSTM bias;
 * CuDNNGRU's become the (2, 3·units) bias of a GRU with reset_after=True. Also what `.keras`
 * saving writes for these layers (Keras 3 has no CuDNN layers).
 */
export function convertCudnnKernels(
  arrays: Float32Array[],
  inputDim: number,
  units: number,
  gates: number,
  memory: WasmMemory,
): Float32Array[] {
  memory.beginScratch();
  try {
    const [kernel, recurrent] = permuteCudnnKernels(memory, arrays[0], arrays[1], inputDim, units, gates, false);
    let bias = arrays[2];
    if (gates === 4) {
      const half = bias.length / 2;
      const b = memory.scratch(bias.length * 4);
      memory.f32(b, bias.length).set(bias);
      memory.kernels.binaryF32(b, b + half * 4, b, half, BinaryOp.add);
      bias = memory.f32(b, half).slice();
    }
    return [kernel, recurrent, bias];
  } finally {
    memory.endScratch();
  }
}

/**
 * The gate-block permutation between CuDNN's stored kernels and the plain fused layout (see
 * {@link convertCudnnKernels}); `inverse` maps plain-layout arrays back to CuDNN's (what training
 * needs to return gradients in the file's own layout: the map is a permutation, so the gradient of
 * the stored array is the plain gradient permuted back). Runs inside the caller's scratch scope.
 */
export function permuteCudnnKernels(
  memory: WasmMemory,
  kernelIn: Float32Array,
  recurrentIn: Float32Array,
  inputDim: number,
  units: number,
  gates: number,
  inverse: boolean,
): [Float32Array, Float32Array] {
  const k = memory.kernels;
  const N = gates * units;
  const stage = (a: Float32Array) => {
    const p = memory.scratch(a.length * 4);
    memory.f32(p, a.length).set(a);
    return p;
  };
  const kernel = stage(kernelIn);
  const recurrent = stage(recurrentIn);
  const block = memory.scratch(Math.max(inputDim, units) * units * 4);
  const transposed = memory.scratch(Math.max(inputDim, units) * units * 4);
  const outKernel = memory.scratch(inputDim * N * 4, true);
  const outRecurrent = memory.scratch(units * N * 4, true);
  const convert = (src: number, rows: number, dst: number, readAsUnitsByRows: boolean) => {
    for (let g = 0; g < gates; g++) {
      // Gather gate g's (rows × units) block contiguously: a one-panel pack of width `units`.
      memory.f32(block, rows * units).fill(0);
      k.packGateColumns(src + g * units * 4, N, rows, units, 0, 1, units, block, units);
      if (readAsUnitsByRows) k.transposeF32(block, units, rows, transposed);
      else k.transposeF32(block, rows, units, transposed);
      // Scatter back as columns g·units.. of the fused (rows × N) array.
      k.packGateColumns(transposed, units, rows, units, 0, 1, N, dst + g * units * 4, N);
    }
  };
  // the inverse of "read as (units × rows), transpose" is "transpose (rows × units)", and back
  convert(kernel, inputDim, outKernel, !inverse);
  convert(recurrent, units, outRecurrent, inverse);
  return [memory.f32(outKernel, inputDim * N).slice(), memory.f32(outRecurrent, units * N).slice()];
}

function cudnnImporter(kind: 'lstm' | 'gru'): LayerImporter {
  const gates = kind === 'lstm' ? 4 : 3;
  return {
    classNames: [kind === 'lstm' ? 'CuDNNLSTM' : 'CuDNNGRU'],
    import(req: ImportRequest) {
      const cfg = req.config;
      const notes: string[] = ['CuDNN weights converted to the plain layout (as Keras does when loading them into a non-CuDNN layer)'];
      const opts = readRecurrentOptions(cfg, notes);
      const units = cfg.int('units');
      const tanh = resolveElementwiseActivation('tanh', req.generation, req.context);
      const sigmoid = resolveElementwiseActivation('sigmoid', req.generation, req.context);
      const plain = (inputDim: number) =>
        kind === 'lstm' ? lstmWeightLayout(inputDim, units, true, false) : gruWeightLayout(inputDim, units, true, false, true);
      const cell: CellDefinition = {
        kind,
        gates,
        kernel: kind === 'lstm' ? LSTM_KERNEL : GRU_KERNEL,
        stateNames: kind === 'lstm' ? ['h', 'c'] : ['h'],
        units,
        activation: tanh,
        recurrentActivation: sigmoid,
        resetAfter: kind === 'gru',
        weightLayout(inputDim) {
          const layout = plain(inputDim);
          const storedBias = kind === 'lstm' ? [8 * units] : [6 * units];
          return { ...layout, specs: layout.specs.map((s) => (s.name === 'bias' ? { ...s, shape: storedBias } : s)) };
        },
        // CuDNNGRU's flat (6·units) bias is exactly GRU reset_after's (2, 3·units) row-major.
        convertWeights: (arrays, inputDim, memory) => convertCudnnKernels(arrays, inputDim, units, gates, memory),
      };
      const layer = importRecurrent(req, cell, opts, notes);
      return { ...layer, details: { ...layer.details, cudnn: true } };
    },
  };
}

/** `CuDNNLSTM` (Keras 2.1+ / tf.keras 1.x): fixed tanh / sigmoid, cuDNN weight layout. */
export const CudnnLstmImporter = cudnnImporter('lstm');
/** `CuDNNGRU`: a GRU with reset_after=True and cuDNN weight layout. */
export const CudnnGruImporter = cudnnImporter('gru');
