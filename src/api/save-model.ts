import { withConfigForSaving } from './config-for-saving.js';
import { InputError, UnsupportedKerasConfigurationError } from '../errors.js';
import { writeHdf5, h5Group, h5String, type H5AttributeValue } from '../formats/h5-writer.js';
import { writeZip } from '../formats/zip-writer.js';
import { refKey } from '../graph/build-graph.js';
import { CUDNN_AS_KERAS3, KERAS3_SCHEMA_VERSION, keras3ModelConfig, legacyModelConfig, type ExportContext } from '../keras/config-export.js';
import { convertCudnnKernels } from '../layers/cudnn.js';
import { generationFromVersion, type KerasGeneration } from '../keras/generation.js';
import { semanticsChange } from '../keras/semantics.js';
import { KERAS1_TARGET_VERSION, keras1ModelConfig, keras1Weights, keras2ClassName } from '../keras/keras1-export.js';
import { KERAS3_OP_PREFIX } from '../keras/keras3-calls.js';
import { keras3WeightsTree, legacyOptimizerGroup, legacyVariableNames, legacyWeightsGroup, type LayerValues, type WeightsExport } from '../keras/weights-export.js';
import { keras3CompileConfig, legacyTrainingConfig, type UsedCompileConfig } from '../training/compile-config-export.js';
import { optimizerVariablesForSaving, stateLayoutOf, type VariableRef } from './optimizer-state.js';
import type { SaveSource, TrainingForSaving } from './model-info.js';

/**
 * The files `model.save` writes:
 * - `keras`: a Keras 3 `.keras` archive (metadata.json, config.json, model.weights.h5);
 * - `h5`: a legacy full-model `.h5` with a tf.keras 2.x config (`model_config`, `keras_version`,
 *   `backend` attributes, weights under `model_weights/<layer>/...`);
 * - `weights.h5`: Keras 3's `save_weights` file (the `.keras` archive's weights alone).
 */
export type SaveFormat = 'keras' | 'h5' | 'weights.h5';

/** The format a file name asks for (`.keras`, `.weights.h5`, `.h5` / `.hdf5`), or null. */
export function formatFromPath(path: string): SaveFormat | null {
  const p = path.toLowerCase();
  if (p.endsWith('.keras')) return 'keras';
  if (p.endsWith('.weights.h5')) return 'weights.h5';
  if (p.endsWith('.h5') || p.endsWith('.hdf5')) return 'h5';
  return null;
}

const FORMATS: readonly SaveFormat[] = ['keras', 'h5', 'weights.h5'];

/** Checks a format named by a caller. */
export function checkFormat(format: unknown, file: string): SaveFormat {
  if (!FORMATS.includes(format as SaveFormat)) {
    throw new InputError(`unknown save format (use ${FORMATS.map((f) => `"${f}"`).join(', ')})`, { file, field: 'format', value: format });
  }
  return format as SaveFormat;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** Keras' `date_saved`: local time as `%Y-%m-%d@%H:%M:%S`. */
function kerasDate(d: Date): string {
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}@${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

function exportContext(model: SaveSource): ExportContext {
  const graph = model.graphForSaving;
  const byName = new Map(graph.layers.map((l) => [l.spec.name, l]));
  const info = new Map(model.layers.map((l) => [l.name, l]));
  const shapeOfRef = (r: { layer: string; node: number; tensor: number }) => graph.shapes.get(refKey(r));
  return {
    file: model.fileName,
    shapeOf: (layer, tensor) => byName.get(layer)?.imported.outputShapes[tensor],
    inputShapeOf: (layer) => {
      if (layer === '') return model.inputs[0]?.shape;
      const call = byName.get(layer)?.spec.calls[0];
      if (!call || call.inputs.length === 0) return undefined;
      const main = call.inputs.slice(0, call.inputs.length - call.initialStates);
      const shapes = main.map(shapeOfRef);
      if (shapes.some((s) => s === undefined)) return undefined;
      return shapes.length === 1 ? shapes[0] : shapes;
    },
    trainableOf: (layer) => info.get(layer)?.trainable,
    isOperation: (layer) => byName.get(layer)?.spec.className.startsWith(KERAS3_OP_PREFIX) === true,
  };
}

function weightsExport(model: SaveSource): WeightsExport {
  const graph = model.graphForSaving;
  const arrays = model.stored.arrays;
  if (!arrays) throw new InputError('the model was loaded without weights (architecture only): there is nothing to save', { file: model.fileName });
  const trainable = new Map(model.layers.map((l) => [l.name, l.trainable]));
  const leaves = new Map<string, LayerValues>();
  for (const l of graph.layers) {
    if (l.imported.weights.length === 0) continue;
    leaves.set(l.spec.name, {
      className: l.spec.className,
      config: l.spec.config,
      specs: l.imported.weights,
      arrays: arrays.get(l.spec.name) ?? [],
      trainable: trainable.get(l.spec.name) ?? true,
    });
  }
  // Keep the tree's trainable flags in step with the layers' (the user may have changed them).
  const saved = (graph.spec.savedLayers ?? []).map(function update(s): typeof s {
    if (s.children) return { ...s, children: s.children.map(update) };
    return s.specName !== undefined && trainable.has(s.specName) ? { ...s, trainable: trainable.get(s.specName) as boolean } : s;
  });
  return { file: model.fileName, modelName: graph.spec.name, saved, leaves };
}

/** Refuses a save that would make the model compute differently once read as `target`. */
function checkSemantics(model: SaveSource, target: KerasGeneration): void {
  const source = model.stored.generation;
  const layers = model.graphForSaving.layers.map((l) => ({
    name: l.spec.name,
    className: l.spec.className,
    config: l.spec.config,
    initialStates: Math.max(0, ...l.spec.calls.map((c) => c.initialStates)),
  }));
  const change = semanticsChange(layers, source, target);
  if (change) {
    throw new UnsupportedKerasConfigurationError(
      `saving this Keras ${source.version} model as Keras ${target.version} would change what it computes: ${change.reason}`,
      { file: model.fileName, layer: change.layer, className: change.className },
    );
  }
}

/** The Keras 3 version a `.keras` file states: the source's own when it is Keras 3. */
function keras3Version(source: KerasGeneration): string {
  return source.major === 3 && !source.inferred ? source.version : KERAS3_SCHEMA_VERSION;
}

/** The tf.keras version written for a Keras 2 config that stated none. */
const LEGACY_SCHEMA_VERSION = '2.4.0';

const encoder = new TextEncoder();

/** JSON as Python's `json.dumps` writes it by default: non-ASCII characters escaped. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The model as it is written: a Keras 1 model is first rewritten as a Keras 2 one. */
function exportView(model: SaveSource): { json: unknown; source: KerasGeneration; ex: WeightsExport } {
  const source = model.stored.generation;
  const ex = weightsExport(model);
  const stored = withConfigForSaving(model.stored.json, model.graphForSaving);
  if (source.major !== 1) return { json: stored, source, ex };
  const json = keras1ModelConfig(stored, model.fileName, model.inputs[0]?.shape);
  const target: KerasGeneration = { major: 2, version: KERAS1_TARGET_VERSION, inferred: false, backend: source.backend };
  checkSemantics(model, target);
  const leaves = new Map<string, LayerValues>();
  for (const [name, leaf] of ex.leaves) {
    const converted = keras1Weights(leaf.className, leaf.specs, leaf.arrays, model.fileName, name);
    leaves.set(name, { ...leaf, className: keras2ClassName(leaf.className), config: keras2LayerConfig(json, name) ?? leaf.config, ...converted });
  }
  const saved = ex.saved.map(function rename(s): typeof s {
    return { ...s, className: keras2ClassName(s.className), ...(s.children ? { children: s.children.map(rename) } : {}) };
  });
  return { json, source: target, ex: { ...ex, leaves, saved } };
}

/** A layer's config (by name) in a Keras 2 model config. */
function keras2LayerConfig(json: unknown, name: string): Record<string, unknown> | undefined {
  const c = (json as { config?: { layers?: { config?: Record<string, unknown> }[] } }).config;
  return c?.layers?.find((l) => l.config?.name === name)?.config;
}

/**
 * The weights as a `.keras` file holds them: CuDNNLSTM / CuDNNGRU layers become the LSTM /
 * GRU(reset_after) their config is written as, with Keras' converted arrays (per-gate kernel blocks
 * re-laid, CuDNNLSTM's two bias halves summed, CuDNNGRU's bias as (2, 3·units)).
 */
function keras3View(model: SaveSource, ex: WeightsExport): WeightsExport {
  if (![...ex.leaves.values()].some((l) => l.className in CUDNN_AS_KERAS3)) return ex;
  const memory = model.kernelsForSaving;
  if (!memory) throw new InputError('the model has no kernel instance to convert its CuDNN weights with', { file: model.fileName });
  const leaves = new Map<string, LayerValues>();
  for (const [name, leaf] of ex.leaves) {
    if (!(leaf.className in CUDNN_AS_KERAS3)) {
      leaves.set(name, leaf);
      continue;
    }
    const lstm = leaf.className === 'CuDNNLSTM';
    const units = Number(leaf.config.units);
    const [inputDim] = leaf.specs[0].shape;
    const arrays = convertCudnnKernels(leaf.arrays.slice(), inputDim, units, lstm ? 4 : 3, memory);
    const specs = leaf.specs.map((s) => (s.name === 'bias' ? { ...s, shape: lstm ? [4 * units] : [2, 3 * units] } : s));
    leaves.set(name, { ...leaf, className: CUDNN_AS_KERAS3[leaf.className], arrays, specs });
  }
  const saved = ex.saved.map(function rename(s): typeof s {
    return { ...s, className: CUDNN_AS_KERAS3[s.className] ?? s.className, ...(s.children ? { children: s.children.map(rename) } : {}) };
  });
  return { ...ex, leaves, saved };
}

/** What compile used, for the file's compile_config / training_config. */
function usedCompileConfig(training: TrainingForSaving): UsedCompileConfig {
  return { optimizer: training.spec, optimizerEntry: training.entry, loss: training.loss, metrics: training.metrics, lossWeights: training.lossWeights };
}

/** Variable paths as tf.keras names the weights (`lstm/lstm_cell/kernel`), for optimizer slot names. */
function variablePaths(ex: WeightsExport): (v: VariableRef) => string {
  const names = legacyVariableNames(ex);
  return (v) => (names.get(v.layer)?.[v.index] ?? `${v.layer}/${v.index}`).replace(/:0$/, '');
}

/** Serialises a loaded model as a file of `format`. */
export function modelToBytes(model: SaveSource, format: SaveFormat, now = new Date()): Uint8Array {
  const { json, source, ex: stored } = exportView(model);
  const training = model.trainingForSaving ?? null;
  const ex = format === 'h5' ? stored : keras3View(model, stored);
  // A converted CuDNN layer's optimizer slots do not carry over to the plain layer (its two bias
  // halves have one bias): such a model is written without its optimizer state.
  const optimizer = training && ex === stored ? optimizerVariablesForSaving(model, training, 'keras3', variablePaths(ex)) : undefined;
  if (format === 'weights.h5') return writeHdf5(keras3WeightsTree(ex, optimizer));
  if (format === 'keras') {
    const version = keras3Version(source);
    checkSemantics(model, generationFromVersion(version) as KerasGeneration);
    const config = keras3ModelConfig(json, source, exportContext(model));
    if (training) config.compile_config = keras3CompileConfig(usedCompileConfig(training), model.fileName);
    const metadata = { keras_version: version, date_saved: kerasDate(now) };
    return writeZip(
      [
        ['metadata.json', encoder.encode(asciiJson(metadata))],
        ['config.json', encoder.encode(asciiJson(config))],
        ['model.weights.h5', writeHdf5(keras3WeightsTree(ex, optimizer))],
      ],
      now,
    );
  }
  // A legacy .h5 keeps the source's Keras version (Keras 3 itself writes legacy .h5 files with its
  // own version), so every version-dependent rule reads back the same. A version that was only
  // inferred from the config is written as a full one of the same generation.
  // (TF.js files state e.g. "tfjs-layers 1.5.2", which is no Keras version either.)
  const stated = !source.inferred && generationFromVersion(source.version) !== null;
  const version = stated ? source.version : source.major === 3 ? KERAS3_SCHEMA_VERSION : LEGACY_SCHEMA_VERSION;
  if (!stated) checkSemantics(model, generationFromVersion(version) as KerasGeneration);
  const config = legacyModelConfig(json, source, exportContext(model));
  // Keras knows the backends it ran on; TF.js ("tensor_flow.js") follows TensorFlow's conventions.
  const backend = model.stored.backend === 'theano' || model.stored.backend === 'cntk' ? model.stored.backend : 'tensorflow';
  const root = h5Group({
    keras_version: h5String(version),
    backend: h5String(backend),
    model_config: h5String(asciiJson(config), 'ascii'),
  });
  root.members.push(['model_weights', legacyWeightsGroup(ex, { backend, kerasVersion: version })]);
  if (training) {
    const generation = generationFromVersion(version) as KerasGeneration;
    (root.attributes as Record<string, H5AttributeValue>).training_config = h5String(asciiJson(legacyTrainingConfig(usedCompileConfig(training), generation)), 'ascii');
    // tf.keras 2.11+ and standalone Keras 2 keep other optimizer layouts: written without a state,
    // as Keras' include_optimizer=False does.
    const layout = stateLayoutOf(generation, 'h5');
    const state = layout ? optimizerVariablesForSaving(model, training, layout, variablePaths(ex)) : null;
    if (state && state.variables.length > 0) root.members.push(['optimizer_weights', legacyOptimizerGroup(state.variables)]);
  }
  return writeHdf5(root);
}
