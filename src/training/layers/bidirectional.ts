import type { GraphLayer } from '../../graph/build-graph.js';
import type { KerasGeneration } from '../../keras/generation.js';
import { KERNEL_CONSTANTS } from '../../wasm/kernel-exports.js';
import { lastStateGradient, recurrentCore, reversedSteps, type RecurrentSaved, type RecurrentView } from './recurrent.js';
import { cudnnCore } from './cudnn.js';
import { refuse, type Activation, type TrainableLayer } from './layer-module.js';

/**
 * Bidirectional over LSTM, GRU, SimpleRNN, CuDNNLSTM or CuDNNGRU with merge_mode concat, sum, mul
 * or ave. The backward copy runs from the sequence's end with its buffers kept in input order,
 * which is the order Keras re-reverses its outputs into, so merging is position by position. An
 * inner layer with go_backwards runs reversed and its copy forward: Keras merges the first's
 * outputs in processing order with the second's reversed, so with return_sequences the merged
 * sequence comes out reversed (as the inference import computes it). Weights: forward's, then
 * backward's, as Keras stores them. initial_state: Keras splits the list in halves, the first
 * for the forward copy and the second for the backward one; return_state returns [output,
 * forward's states, backward's states], each copy's state after its last processed step.
 */
export function planBidirectional(layer: GraphLayer, generation: KerasGeneration): TrainableLayer {
  const d = layer.imported.details;
  const mode = d.mergeMode as string | null;
  if (mode === null) refuse(layer, 'Bidirectional merge_mode None (two outputs)', 'merge_mode', null);
  const cfg = layer.spec.config;
  const fwd = d.forward as Record<string, unknown>;
  const bwd = d.backward as Record<string, unknown>;
  const configOf = (v: unknown) => ((v as { config?: Record<string, unknown> } | undefined)?.config ?? {}) as Record<string, unknown>;
  const coreOf = (v: RecurrentView) => (v.className.startsWith('CuDNN') ? cudnnCore(v, generation) : recurrentCore(v, generation));
  const f = coreOf({ layer, className: String(fwd.className), details: fwd, config: configOf(cfg.layer) });
  const b = coreOf({ layer, className: String(bwd.className), details: bwd, config: configOf(cfg.backward_layer ?? cfg.layer) });
  const flipped = f.reverse && f.returnSequences;
  const cudnn = String(fwd.className).startsWith('CuDNN') || String(bwd.className).startsWith('CuDNN');
  const nf = f.weights.length;
  const fu = f.units;
  const bu = b.units;
  const out = mode === 'concat' ? fu + bu : fu;
  const returnState = fwd.returnState === true;
  // states per copy: [h] or [h, c]
  const fStates = /LSTM$/.test(String(fwd.className)) ? 2 : 1;
  type Saved = { input: Activation; fs: RecurrentSaved; bs: RecurrentSaved; fOut: number; bOut: number; rows: number };
  const plan: TrainableLayer<Saved> = {
    layer,
    weights: [...f.weights, ...b.weights],
    // Keras' CuDNN layers take no mask
    masks: cudnn ? 'refuse' : f.returnSequences ? 'pass' : 'consume',
    states: true,
    forward(ctx, input, w, initial) {
      const { memory } = ctx;
      const k = memory.kernels;
      const half = initial ? initial.length / 2 : 0;
      const fr = f.forward(ctx, input, w.slice(0, nf), initial?.slice(0, half));
      const br = b.forward(ctx, input, w.slice(nf), initial?.slice(half));
      const [B, T] = input.shape;
      const fOut = f.returnSequences ? fr.seq : fr.last;
      const bOut = b.returnSequences ? br.seq : br.last;
      const rows = f.returnSequences ? B * T : B;
      const y = memory.scratch(rows * out * 4);
      const n = rows * fu;
      if (mode === 'concat') k.concatRows(fOut, fu, bOut, bu, rows, y);
      else if (mode === 'sum') k.binaryF32(fOut, bOut, y, n, KERNEL_CONSTANTS.BIN_ADD);
      else if (mode === 'mul') k.binaryF32(fOut, bOut, y, n, KERNEL_CONSTANTS.BIN_MUL);
      else {
        k.binaryF32(fOut, bOut, y, n, KERNEL_CONSTANTS.BIN_ADD);
        k.scaleF32(y, n, 0.5);
      }
      const shape = f.returnSequences ? [B, T, out] : [B, out];
      const merged = flipped ? reversedSteps(ctx, y, B, T, out) : y;
      const output = { ptr: merged, shape, mask: f.returnSequences ? input.mask : undefined };
      const saved = { input, fs: fr.saved, bs: br.saved, fOut, bOut, rows };
      if (!returnState) return { output, saved };
      const stateOf = (ptr: number, units: number): Activation => ({ ptr, shape: [B, units] });
      const states = [stateOf(fr.last, fu), ...(fr.lastC ? [stateOf(fr.lastC, fu)] : []), stateOf(br.last, bu), ...(br.lastC ? [stateOf(br.lastC, bu)] : [])];
      return { output, saved, states };
    },
    backward(ctx, s, dMerged, dReturned) {
      const { memory } = ctx;
      const k = memory.kernels;
      const { rows } = s;
      const [B, T] = s.input.shape;
      const dOut = flipped ? reversedSteps(ctx, dMerged, B, T, out) : dMerged;
      const n = rows * fu;
      const dF = memory.scratch(n * 4);
      const dB = memory.scratch(rows * bu * 4);
      if (mode === 'concat') {
        // columns [0, fu) and [fu, fu + bu) of every row
        k.copySteps(dOut, out, 0, dF, fu, 0, rows, fu, 1);
        k.copySteps(dOut, out, fu, dB, bu, 0, rows, bu, 1);
      } else if (mode === 'mul') {
        k.binaryF32(dOut, s.bOut, dF, n, KERNEL_CONSTANTS.BIN_MUL);
        k.binaryF32(dOut, s.fOut, dB, n, KERNEL_CONSTANTS.BIN_MUL);
      } else {
        k.copyF32(dOut, dF, n);
        if (mode === 'ave') k.scaleF32(dF, n, 0.5);
        k.copyF32(dF, dB, n);
      }
      const seq = f.returnSequences;
      // the returned states' gradients: forward's, then backward's
      const [dfh, dfc] = [dReturned?.[0] ?? 0, fStates > 1 ? (dReturned?.[1] ?? 0) : 0];
      const [dbh, dbc] = [dReturned?.[fStates] ?? 0, dReturned?.[fStates + 1] ?? 0];
      const fg = f.backward(ctx, s.fs, seq ? dF : 0, lastStateGradient(ctx, seq ? 0 : dF, dfh, B * fu), true, dfc);
      const bg = b.backward(ctx, s.bs, seq ? dB : 0, lastStateGradient(ctx, seq ? 0 : dB, dbh, B * bu), true, dbc);
      const count = s.input.shape.reduce((a, c) => a * c, 1);
      k.binaryF32(fg.dx, bg.dx, fg.dx, count, KERNEL_CONSTANTS.BIN_ADD);
      const dStates = fg.dStates && bg.dStates ? [...fg.dStates, ...bg.dStates] : undefined;
      return { dInput: fg.dx, grads: [...fg.grads, ...bg.grads], ...(dStates ? { dStates } : {}) };
    },
  };
  return plan as TrainableLayer;
}
