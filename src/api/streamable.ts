import { UnsupportedKerasConfigurationError } from '../errors.js';
import { refKey, type ModelGraph } from '../graph/build-graph.js';

/** Layers whose output at a step depends only on that step (and recurrent state): they stream. */
const PER_STEP = new Set([
  'InputLayer', 'Dense', 'TimeDistributed', 'TimeDistributedDense', 'Activation', 'Embedding', 'Masking',
  'Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'ActivityRegularization',
]);
const RECURRENT = new Set(['LSTM', 'GRU', 'SimpleRNN', 'CuDNNLSTM', 'CuDNNGRU']);
/** Element-wise activation layers: always per step. */
const ELEMENTWISE = new Set(['ReLU', 'LeakyReLU', 'ELU', 'ThresholdedReLU']);
/** Per step unless they act along the time axis (their `details.axis` lists normalised axes). */
const PER_STEP_UNLESS_TIME_AXIS = new Set(['BatchNormalization', 'LayerNormalization', 'Softmax']);
/**
 * Layers that act element by element, so they stream even when the time axis is the last axis
 * (a `(batch, steps)` tensor of ids or values).
 */
const ELEMENT_BY_ELEMENT = new Set([
  'InputLayer', 'Embedding', 'Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'ActivityRegularization',
  ...ELEMENTWISE,
]);

function actsAlongTime(details: Record<string, unknown>): boolean {
  const axes = details.axis;
  return !Array.isArray(axes) || axes.includes(1);
}

function isSoftmax(details: Record<string, unknown>): boolean {
  return /softmax/.test(String(details.activation));
}

/**
 * Refuses, with the layer named, a model whose outputs a stream could not reproduce chunk by
 * chunk. Every tensor is followed from the input: it carries the streamed time axis (axis 1) until
 * a recurrent layer without `return_sequences` turns it into a per-chunk `(batch, units)` value.
 * Only layers that act along a tensor's time axis are refused; after the time axis is gone, any
 * layer sees exactly what it would see at the end of a whole-sequence predict (e.g. the common
 * `LSTM -> Dense -> Activation('softmax')` generator, whose softmax runs over classes).
 */
export function checkStreamable(graph: ModelGraph, fileName: string): void {
  if (graph.spec.inputs.length !== 1) {
    throw new UnsupportedKerasConfigurationError('streaming supports models with one input', { file: fileName, field: 'inputs', value: graph.spec.inputs.length });
  }
  const timed = new Set<string>([refKey(graph.spec.inputs[0])]);
  for (const node of graph.nodes) {
    const l = node.layer;
    const cls = l.spec.className;
    const details = l.imported.details;
    const ctx = { file: fileName, layer: l.spec.name, className: cls };
    const outputs = l.imported.outputShapes.map((_, t) => refKey({ layer: l.spec.name, node: node.callIndex, tensor: t }));
    if (cls === 'InputLayer') continue;
    const inputTimed = node.inputs.length > 0 && timed.has(refKey(node.inputs[0]));
    if (!inputTimed) {
      // A value computed once per chunk from the stream's last step: every layer gives what it
      // gives after a whole predict, except a recurrent layer, whose own sequence (e.g. after
      // RepeatVector) would wrongly continue from the previous chunk's state.
      if (RECURRENT.has(cls) || cls === 'Bidirectional' || cls === 'RNN') {
        throw new UnsupportedKerasConfigurationError(
          'a recurrent layer over a sequence that is not the streamed input (e.g. after RepeatVector) cannot stream: its state would carry across chunks',
          ctx,
        );
      }
      continue;
    }
    const inputShape = graph.shapes.get(refKey(node.inputs[0])) ?? [];
    if (RECURRENT.has(cls)) {
      if (details.goBackwards) throw new UnsupportedKerasConfigurationError('a go_backwards layer cannot stream: it needs the whole sequence', ctx);
      if (l.spec.calls.length > 1) throw new UnsupportedKerasConfigurationError('a recurrent layer called more than once cannot stream', ctx);
      if (details.returnSequences) timed.add(outputs[0]);
      continue;
    }
    if (inputShape.length === 2 && !ELEMENT_BY_ELEMENT.has(cls) && details.perStep !== true && !(cls === 'Activation' && !isSoftmax(details))) {
      // (batch, steps): the last axis, which Dense, softmax, Masking... act along, is time.
      throw new UnsupportedKerasConfigurationError(`${cls} over a (batch, steps) tensor cannot stream: it acts along the time axis`, ctx);
    }
    if (PER_STEP_UNLESS_TIME_AXIS.has(cls) && inputShape.length >= 3 && actsAlongTime(details)) {
      throw new UnsupportedKerasConfigurationError(`${cls} over the time axis cannot stream: it needs the whole sequence`, ctx);
    }
    if (!PER_STEP.has(cls) && !ELEMENTWISE.has(cls) && !PER_STEP_UNLESS_TIME_AXIS.has(cls) && details.perStep !== true) {
      throw new UnsupportedKerasConfigurationError(
        `${cls} cannot stream: it does not act step by step (streaming needs per-step and forward recurrent layers)`,
        ctx,
      );
    }
    for (const o of outputs) timed.add(o);
  }
}
