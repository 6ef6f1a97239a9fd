import type { GraphLayer } from '../../graph/build-graph.js';
import type { KerasGeneration } from '../../keras/generation.js';
import { permuteCudnnKernels } from '../../layers/cudnn.js';
import { BinaryOp } from '../../wasm/tensor-op-codes.js';
import type { TrainContext, TrainableLayer } from './layer-module.js';
import { planLstm } from './lstm.js';
import { planRecurrent, recurrentCore, type RecurrentCore, type RecurrentView } from './recurrent.js';

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
  const plainLayer: GraphLayer = { ...layer, imported: { ...layer.imported, className: lstm ? 'LSTM' : 'GRU', details: plainDetails(layer.imported.details, lstm) } };
  const inner = (lstm ? planLstm : planRecurrent)(plainLayer, generation);
  const stored = storedLayout(lstm, Number(layer.imported.details.units));
  const plan: TrainableLayer<{ saved: unknown; inputDim: number }> = {
    layer,
    weights: ['kernel', 'recurrent_kernel', 'bias'],
    // Keras' CuDNN layers do not support masking (a mask reaching one is an error there too)
    masks: 'refuse',
    // initial_state / return_state as the plain layer takes and returns them
    states: true,
    forward(ctx, input, w, initial) {
      const D = input.shape[input.shape.length - 1];
      const r = inner.forward(ctx, input, stored.toPlain(ctx, w, D), initial);
      return { output: r.output, saved: { saved: r.saved, inputDim: D }, ...(r.states ? { states: r.states } : {}) };
    },
    backward(ctx, s, dOut, dReturned) {
      const r = inner.backward(ctx, s.saved, dOut, dReturned);
      return { dInput: r.dInput, grads: stored.fromPlain(ctx, r.grads, s.inputDim), ...(r.dStates ? { dStates: r.dStates } : {}) };
    },
  };
  return plan as TrainableLayer;
}

/** One direction of a Bidirectional over a CuDNN layer: the plain layer's core on the stored arrays. */
export function cudnnCore(v: RecurrentView, generation: KerasGeneration): RecurrentCore {
  const lstm = v.className === 'CuDNNLSTM';
  const core = recurrentCore({ ...v, className: lstm ? 'LSTM' : 'GRU', details: plainDetails(v.details, lstm) }, generation);
  const stored = storedLayout(lstm, core.units);
  return {
    ...core,
    weights: ['kernel', 'recurrent_kernel', 'bias'],
    forward: (ctx, input, w, initial) => core.forward(ctx, input, stored.toPlain(ctx, w, input.shape[input.shape.length - 1]), initial),
    backward(ctx, s, dSeq, dLast, needDx, dLastC) {
      const r = core.backward(ctx, s, dSeq, dLast, needDx, dLastC);
      return { ...r, grads: stored.fromPlain(ctx, r.grads, s.input.shape[s.input.shape.length - 1]) };
    },
  };
}

/** The importer's details of the plain LSTM / GRU (reset_after) a CuDNN layer is. */
function plainDetails(d: Record<string, unknown>, lstm: boolean): Record<string, unknown> {
  return { ...d, weightLayout: 'fused', activation: 'tanh', recurrentActivation: 'sigmoid', resetAfter: !lstm, useBias: true };
}

/** Maps a CuDNN layer's stored arrays to the plain layer's and its gradients back. */
function storedLayout(lstm: boolean, units: number) {
  const gates = lstm ? 4 : 3;
  return {
    toPlain(ctx: TrainContext, w: Float32Array[], D: number): Float32Array[] {
      const [kernel, recurrent] = permuteCudnnKernels(ctx.memory, w[0], w[1], D, units, gates, false);
      let bias = w[2];
      if (lstm) {
        const half = bias.length / 2;
        const p = ctx.put(bias);
        ctx.memory.kernels.binaryF32(p, p + half * 4, p, half, BinaryOp.add);
        bias = ctx.memory.f32(p, half).slice();
      }
      return [kernel, recurrent, bias];
    },
    fromPlain(ctx: TrainContext, grads: Float32Array[], D: number): Float32Array[] {
      const [dKernel, dRecurrent] = permuteCudnnKernels(ctx.memory, grads[0], grads[1], D, units, gates, true);
      let dBias = grads[2];
      if (lstm) {
        const both = new Float32Array(2 * dBias.length);
        both.set(dBias);
        both.set(dBias, dBias.length);
        dBias = both;
      }
      return [dKernel, dRecurrent, dBias];
    },
  };
}
