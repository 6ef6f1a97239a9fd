/** `kerasrnn inspect <model>`: the Keras-style summary, where the file came from, import notes. */
import { InvalidKerasConfigurationError, loadModel, type KernelChoice, type Model } from '../index.js';
import { CliError } from './errors.js';
import { formatCount, formatShape } from './format.js';

/** Options of the inspect command. */
export interface InspectOptions {
  weights?: string;
  json?: boolean;
}

/** Loads a model from the CLI's arguments: a model file, or a JSON config plus `--weights`. */
export async function loadFromArgs(modelPath: string, weights: string | undefined, options: { threads?: number; kernels?: KernelChoice } = {}): Promise<{ model: Model; loadMs: number }> {
  const t0 = performance.now();
  try {
    const model = weights ? await loadModel({ config: modelPath, weights }, options) : await loadModel(modelPath, options);
    return { model, loadMs: performance.now() - t0 };
  } catch (e) {
    // The library's message names its own call; on the command line the pair is given with -w.
    if (!weights && e instanceof InvalidKerasConfigurationError && e.context.field === 'model_config' && /weights-only/.test(e.message)) {
      throw new CliError(`"${modelPath}" holds weights only (model.save_weights()), not a model`, `give the architecture file with the weights: kerasrnn <command> model.json -w ${modelPath}`);
    }
    throw e;
  }
}

/** Everything inspect reports, as plain data (the `--json` output). */
export function inspectData(model: Model, file: string): Record<string, unknown> {
  return {
    file,
    name: model.name,
    className: model.className,
    format: model.format,
    formatDetails: model.formatDetails,
    keras: {
      version: model.generation.version,
      major: model.generation.major,
      backend: model.generation.backend ?? null,
      versionInferred: model.generation.inferred,
      backendInferred: model.generation.backend ? Boolean(model.generation.backendInferred) : null,
      runtime: model.generation.runtime ?? null,
    },
    hasWeights: model.hasWeights,
    inputs: model.inputs,
    outputs: model.outputs,
    totalParams: model.numParams,
    trainableParams: model.numParams - model.nonTrainableParams,
    nonTrainableParams: model.nonTrainableParams,
    layers: model.layers.map((l) => ({
      name: l.name,
      className: l.className,
      outputShapes: l.outputShapes,
      numParams: l.numParams,
      nonTrainableParams: l.nonTrainableParams,
      inbound: l.inbound,
      notes: l.notes,
      details: l.details,
    })),
    notes: model.layers.flatMap((l) => l.notes.map((note) => ({ layer: l.name, note }))),
  };
}

/** The human-readable report. */
export function inspectText(model: Model, file: string): string {
  const g = model.generation;
  const lines = [
    model.summary(),
    '',
    `File:          ${file}`,
    `Keras version: ${g.inferred ? `${g.major} (inferred from the config's field names; the file states no version)` : `${g.version} (stated in the file)`}${g.runtime === 'tfjs' ? '; computed as TensorFlow.js computes it' : ''}`,
    `Backend:       ${g.backend ? `${g.backend} (${g.backendInferred ? 'inferred from the weight names; Keras 1 files do not state it' : 'stated in the file'})` : 'not stated in the file'}`,
    `Inputs:        ${model.inputs.map((i) => `${i.name} ${formatShape(i.shape)}`).join(', ')}`,
    `Outputs:       ${model.outputs.map((o) => `${o.name} ${formatShape(o.shape)}${o.name !== o.layer || o.tensor !== 0 ? ` (${o.layer} output ${o.tensor})` : ''}`).join(', ')}`,
    `Weights:       ${model.hasWeights ? `${formatCount(model.numParams)} parameters (${(model.numParams * 4 / 1024).toFixed(1)} KiB as float32)` : 'none loaded (architecture only: predict needs weights, pass --weights)'}`,
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
