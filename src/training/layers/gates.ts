import type { GraphLayer } from '../../graph/build-graph.js';
import type { KerasGeneration } from '../../keras/generation.js';
import { refuse } from './layer-module.js';

/** Gate activations the LSTM kernels implement, by the name the importer resolved (hard_sigmoid by version). */
export const LSTM_GATES: Record<string, number> = { sigmoid: 2, hard_sigmoid_keras2: 3, hard_sigmoid_keras3: 4 };

/** The kernel id of a recurrent layer's gate activation (hard_sigmoid in the form of the file's Keras version), or its refusal. */
export function gateOf(layer: GraphLayer, generation: KerasGeneration): number {
  const d = layer.imported.details;
  let gate = String(d.recurrentActivation);
  if (gate === 'hard_sigmoid') gate = generation.major >= 3 && generation.runtime !== 'tfjs' ? 'hard_sigmoid_keras3' : 'hard_sigmoid_keras2';
  if (!(gate in LSTM_GATES)) refuse(layer, `${layer.imported.className} recurrent_activation ${String(d.recurrentActivation)}`, 'recurrent_activation', d.recurrentActivation);
  return LSTM_GATES[gate];
}

