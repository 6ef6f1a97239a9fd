import { InvalidKerasConfigurationError, UnsupportedKerasConfigurationError } from '../errors.js';
import { bidirectionalZeroesMaskedSteps } from '../keras/semantics.js';
import type { ImportedLayer, LayerImporter, LayerKernel, Mask, Shape, Tensor } from './types.js';
import { BinaryOp } from '../wasm/tensor-op-codes.js';

const MERGE_MODES = ['concat', 'sum', 'mul', 'ave'] as const;
type MergeMode = (typeof MERGE_MODES)[number] | null;

/** Every recurrent layer the registry imports: tf.keras accepts any RNN layer in `layer` and `backward_layer`. */
const RECURRENT = new Set(['LSTM', 'GRU', 'SimpleRNN', 'CuDNNLSTM', 'CuDNNGRU', 'RNN']);

function innerLayerConfig(value: unknown, role: string, ctx: Record<string, unknown>): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidKerasConfigurationError('Bidirectional needs an inner recurrent layer', { ...ctx, field: role, value });
  }
  const v = value as Record<string, unknown>;
  if (typeof v.class_name !== 'string' || !RECURRENT.has(v.class_name)) {
    throw new UnsupportedKerasConfigurationError(`Bidirectional is supported over ${[...RECURRENT].join(', ')}`, {
      ...ctx,
      field: `${role}.class_name`,
      value: v.class_name,
    });
  }
  if (!v.config || typeof v.config !== 'object') {
    throw new InvalidKerasConfigurationError('inner layer without config', { ...ctx, field: `${role}.config`, value: v.config });
  }
  return v;
}

/**
 * `Bidirectional(layer, merge_mode, backward_layer)`: the layer runs forward and a copy with
 * `go_backwards` flipped runs backward; with return_sequences the backward outputs are reversed
 * back to input order before merging. Weights: forward's, then backward's.
 */
export const BidirectionalImporter: LayerImporter = {
  classNames: ['Bidirectional'],
  import(req): ImportedLayer {
    const cfg = req.config;
    const ctx = req.context as Record<string, unknown>;
    const forwardCfg = innerLayerConfig(cfg.field('layer'), 'layer', ctx);
    const backwardRaw = cfg.field('backward_layer');
    const rawMode = cfg.field('merge_mode');
    const mergeMode: MergeMode = rawMode === null ? null : rawMode === undefined ? 'concat' : (rawMode as MergeMode);
    if (mergeMode !== null && !MERGE_MODES.includes(mergeMode)) {
      throw new UnsupportedKerasConfigurationError('unknown merge_mode', { ...req.context, field: 'merge_mode', value: rawMode });
    }
    const inner = forwardCfg.config as Record<string, unknown>;
    const returnSequences = inner.return_sequences === true;
    // tf.keras 2.x / Keras 3 force zero outputs at masked steps when sequences are returned.
    const zeroMasked = returnSequences && bidirectionalZeroesMaskedSteps(req.generation);
    const withOverrides = (c: Record<string, unknown>, overrides: Record<string, unknown>) => ({
      ...c,
      config: { ...(c.config as Record<string, unknown>), ...overrides },
    });
    const fwdZero = zeroMasked ? { zero_output_for_mask: true } : {};
    // initial_state: Keras gives the first half of the states to the forward copy, the second to the backward one
    const [seqShape, ...stateShapes] = req.inputShapes;
    const half = stateShapes.length / 2;
    const forward = req.importInner(withOverrides(forwardCfg, fwdZero), [seqShape, ...stateShapes.slice(0, half)], 'layer');
    const backwardCfg = backwardRaw
      ? withOverrides(innerLayerConfig(backwardRaw, 'backward_layer', ctx), fwdZero)
      : withOverrides(forwardCfg, { ...fwdZero, go_backwards: !(inner.go_backwards === true) });
    const backward = req.importInner(backwardCfg, [seqShape, ...stateShapes.slice(half)], 'backward_layer');
    const fOut = forward.outputShapes[0];
    const bOut = backward.outputShapes[0];
    if (fOut.length !== bOut.length) {
      throw new InvalidKerasConfigurationError('forward and backward layers disagree on return_sequences', { ...req.context, field: 'backward_layer' });
    }
    const last = fOut.length - 1;
    const fu = fOut[last] as number;
    const bu = bOut[last] as number;
    if (mergeMode !== 'concat' && mergeMode !== null && fu !== bu) {
      throw new InvalidKerasConfigurationError(`merge_mode ${mergeMode} needs equal units (${fu} vs ${bu})`, { ...req.context, field: 'merge_mode', value: mergeMode });
    }
    const merged: Shape[] =
      mergeMode === null ? [fOut, bOut] : [[...fOut.slice(0, last), mergeMode === 'concat' ? fu + bu : fu]];
    const outputShapes = [...merged, ...forward.outputShapes.slice(1), ...backward.outputShapes.slice(1)];
    const returnState = forward.outputShapes.length > 1;
    return {
      name: req.name,
      className: req.className,
      outputShapes,
      numParams: forward.numParams + backward.numParams,
      weights: [...forward.weights, ...backward.weights],
      notes: [...new Set([...forward.notes, ...backward.notes])],
      inputPreprocessor: null,
      details: {
        mergeMode,
        forward: { className: forward.className, ...forward.details },
        backward: { className: backward.className, ...backward.details },
        zeroOutputAtMaskedSteps: zeroMasked,
      },
      instantiate(arrays, memory): LayerKernel {
        const nf = forward.weights.length;
        const fk = forward.instantiate(arrays.slice(0, nf), memory);
        const bk = backward.instantiate(arrays.slice(nf), memory);
        const k = memory.kernels;
        return {
          run(inputs, masks, runCtx) {
            if (runCtx.state) {
              throw new UnsupportedKerasConfigurationError('a Bidirectional layer cannot stream: its backward direction needs the whole sequence', {
                layer: req.name,
                className: req.className,
              });
            }
            const states = inputs.slice(1);
            const half = states.length / 2;
            const f = fk.run([inputs[0], ...states.slice(0, half)], masks, runCtx);
            const b = bk.run([inputs[0], ...states.slice(half)], masks, runCtx);
            let bSeq = b.outputs[0];
            if (returnSequences) {
              const [B, T, U] = bSeq.shape;
              const ptr = runCtx.memory.scratch(B * T * U * 4);
              k.reverseSequence(bSeq.ptr, B, T, U, ptr);
              bSeq = { ptr, shape: bSeq.shape };
            }
            const fSeq = f.outputs[0];
            const outMask: Mask | null = returnSequences ? masks[0] ?? null : null;
            let outputs: Tensor[];
            if (mergeMode === null) {
              outputs = [fSeq, bSeq];
            } else {
              const rows = fSeq.shape.slice(0, -1).reduce((a, c) => a * c, 1);
              const shape = [...fSeq.shape.slice(0, -1), mergeMode === 'concat' ? fu + bu : fu];
              const ptr = runCtx.memory.scratch(rows * shape[shape.length - 1] * 4);
              const n = rows * fu;
              if (mergeMode === 'concat') k.concatRows(fSeq.ptr, fu, bSeq.ptr, bu, rows, ptr);
              else if (mergeMode === 'sum') k.binaryF32(fSeq.ptr, bSeq.ptr, ptr, n, BinaryOp.add);
              else if (mergeMode === 'mul') k.binaryF32(fSeq.ptr, bSeq.ptr, ptr, n, BinaryOp.mul);
              else {
                k.binaryF32(fSeq.ptr, bSeq.ptr, ptr, n, BinaryOp.add);
                k.scaleF32(ptr, n, 0.5);
              }
              outputs = [{ ptr, shape }];
            }
            const stateOutputs = returnState ? [...f.outputs.slice(1), ...b.outputs.slice(1)] : [];
            const all = [...outputs, ...stateOutputs];
            return { outputs: all, masks: all.map((_, i) => (i < outputs.length ? outMask : null)) };
          },
        };
      },
    };
  },
};
