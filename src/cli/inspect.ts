/** `kerasrnn inspect <model>`: the Keras-style summary, where the file came from, import notes. */
import { loadModel, type Model } from '../index.js';
import { formatShape } from './format.js';

/** Options of the inspect command. */
export interface InspectOptions {
  weights?: string;
  json?: boolean;
}

/** Loads a model from the CLI's arguments: a model file, or a JSON config plus `--weights`. */
export async function loadFromArgs(modelPath: string, weights: string | undefined): Promise<{ model: Model; loadMs: number }> {
  const t0 = performance.now();
  const model = weights ? await loadModel({ config: modelPath, weights }) : await loadModel(modelPath);
  return { model, loadMs: performance.now() - t0 };
}

function kerasLine(model: Model): string {
  const g = model.generation;
  const origin = g.inferred ? `inferred from the config (the file states no version; Keras ${g.major} field names)` : 'stated in the file';
  const runtime = g.runtime === 'tfjs' ? '; computed as TensorFlow.js computes it' : '';
  return `${g.version}${g.backend ? `, ${g.backend} backend` : ''} (${origin}${runtime})`;
}

/** Everything inspect reports, as plain data (the `--json` output). */
export function inspectData(model: Model, file: string): Record<string, unknown> {
  return {
    file,
    name: model.name,
    className: model.className,
    format: model.format,
    formatDetails: model.formatDetails,
    keras: { version: model.generation.version, major: model.generation.major, backend: model.generation.backend ?? null, versionInferred: model.generation.inferred, runtime: model.generation.runtime ?? null },
    hasWeights: model.hasWeights,
    inputs: model.inputs,
    outputs: model.outputs,
    totalParams: model.numParams,
    layers: model.layers.map((l) => ({
      name: l.name,
      className: l.className,
      outputShapes: l.outputShapes,
      numParams: l.numParams,
      notes: l.notes,
      details: l.details,
    })),
    notes: model.layers.flatMap((l) => l.notes.map((note) => ({ layer: l.name, note }))),
  };
}

/** The human-readable report. */
export function inspectText(model: Model, file: string): string {
  const lines = [
    model.summary(),
    '',
    `File:          ${file}`,
    `Keras version: ${kerasLine(model)}`,
    `Inputs:        ${model.inputs.map((i) => `${i.name} ${formatShape(i.shape)}`).join(', ')}`,
    `Outputs:       ${model.outputs.map((o) => `${o.name} ${formatShape(o.shape)}`).join(', ')}`,
    `Weights:       ${model.hasWeights ? `${model.numParams.toLocaleString('en-US')} parameters (${(model.numParams * 4 / 1024).toFixed(1)} KiB as float32)` : 'none loaded (architecture only: predict needs weights, pass --weights)'}`,
  ];
  if (!model.layers.some((l) => l.notes.length)) lines.push('Import notes:  none');
  return lines.join('\n');
}

/** Runs `inspect`; returns the text to print on stdout. */
export async function inspect(modelPath: string, options: InspectOptions): Promise<string> {
  const { model } = await loadFromArgs(modelPath, options.weights);
  try {
    return options.json ? JSON.stringify(inspectData(model, modelPath), null, 2) : inspectText(model, modelPath);
  } finally {
    model.dispose();
  }
}
