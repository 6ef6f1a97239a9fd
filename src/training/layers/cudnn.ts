import type { GraphLayer } from '../../graph/build-graph.js';
import type { KerasGeneration } from '../../keras/generation.js';
import { permuteCudnnKernels } from '../../layers/cudnn.js';
import { BinaryOp } from '../../wasm/tensor-op-codes.js';
import type { TrainableLayer } from './layer-module.js';
import { planLstm } from './lstm.js';
import { planRecurrent } from './recurrent.js';

/**
 * CuDNNLSTM and CuDNNGRU (Keras 2 / tf.keras 1.x) for training: an LSTM (sigmoid gates, tanh) and
 * a GRU with reset_after=True whose stored arrays are in cuDNN's layout. Each step maps the stored
 * arrays to the plain layout as the importer does (a permutation of each gate block; CuDNNLSTM's
 * input and recurrent bias halves summed; CuDNNGRU's (6·units) bias is already GRU reset_after's
 * (2, 3·units)) and trains the plain layer on the LSTM / GRU kernels; the gradients are permuted
 * back to the stored layout, and both CuDNNLSTM bias halves receive the plain bias' gradient
 * (each enters the sum once).
 */
export function planCudnn(layer: GraphLayer, generation: KerasGeneration): TrainableLayer {
  const lstm = layer.imported.className === 'CuDNNLSTM';
  const d = layer.imported.details;
  const plainLayer: GraphLayer = {
    ...layer,
    imported: {
      ...layer.imported,
      className: lstm ? 'LSTM' : 'GRU',
      details: { ...d, weightLayout: 'fused', activation: 'tanh', recurrentActivation: 'sigmoid', resetAfter: !lstm, useBias: true },
    },
  };
  const inner = (lstm ? planLstm : planRecurrent)(plainLayer, generation);
  const units = Number(d.units);
  const gates = lstm ? 4 : 3;
  const plan: TrainableLayer<{ saved: unknown; inputDim: number }> = {
    layer,
    weights: ['kernel', 'recurrent_kernel', 'bias'],
    // Keras' CuDNN layers do not support masking (a mask reaching one is an error there too)
    masks: 'refuse',
    forward(ctx, input, w) {
      const D = input.shape[input.shape.length - 1];
      const [kernel, recurrent] = permuteCudnnKernels(ctx.memory, w[0], w[1], D, units, gates, false);
      let bias = w[2];
      if (lstm) {
        const half = bias.length / 2;
        const p = ctx.put(bias);
        ctx.memory.kernels.binaryF32(p, p + half * 4, p, half, BinaryOp.add);
        bias = ctx.memory.f32(p, half).slice();
      }
      const r = inner.forward(ctx, input, [kernel, recurrent, bias]);
      return { output: r.output, saved: { saved: r.saved, inputDim: D } };
    },
    backward(ctx, s, dOut) {
      const r = inner.backward(ctx, s.saved, dOut);
      const [dKernel, dRecurrent] = permuteCudnnKernels(ctx.memory, r.grads[0], r.grads[1], s.inputDim, units, gates, true);
      let dBias = r.grads[2];
      if (lstm) {
        const both = new Float32Array(2 * dBias.length);
        both.set(dBias);
        both.set(dBias, dBias.length);
        dBias = both;
      }
      return { dInput: r.dInput, grads: [dKernel, dRecurrent, dBias] };
    },
  };
  return plan as TrainableLayer;
}
