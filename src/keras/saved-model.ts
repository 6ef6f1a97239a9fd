/**
 * tf.keras SavedModel directories (`model.save('dir')`, TF 2.0-2.15): the Keras config and the
 * weights, from what TensorFlow wrote.
 *
 * - Config: each Keras object of the SavedObjectGraph carries JSON metadata: in
 *   `keras_metadata.pb` (TF >= 2.5) or in the object's SavedUserObject (TF 2.0-2.4). The root's
 *   `model_config` is what `model.to_json()` gives; tuples are written as
 *   `{"class_name": "__tuple__", "items": [...]}` and become arrays here.
 * - Weights: every Keras layer object has a `variables` list (its `layer.weights`, in the order
 *   Keras stores them in .h5 files) whose elements are variable objects. The checkpoint in
 *   `variables/` has its own object graph (TrackableObjectGraph); objects are matched between the
 *   two graphs by walking both from the root along edges of the same name, as TensorFlow's loader
 *   does, which gives each variable its checkpoint key and so its bundle entry. Optimizer slots
 *   and metrics are never reached from a layer and stay unread.
 *
 * Only the tensors of the model's layers are read from the shards (byte ranges, each CRC-checked).
 * @packageDocumentation
 */
import { InvalidKerasConfigurationError, ModelFileError, ResourceLimitError, UnsupportedKerasConfigurationError } from '../errors.js';
import { parseJsonConfig } from '../formats/json-config.js';
import { refuseLfsPointer } from '../formats/lfs-pointer.js';
import {
  diagnoseLineEndings,
  readKerasMetadataProto,
  readSavedModelProto,
  readTrackableObjectGraph,
  type SavedModelFiles,
  type SavedObjectNode,
  type TrackableNode,
} from '../formats/saved-model.js';
import { readBundleIndex, readFloatTensor, readStringTensor, shardFileName, type BundleEntry, type BundleIndex } from '../formats/tensor-bundle.js';
import { savedModelWeightSource, type SavedModelLayerWeights } from './saved-model-weights.js';
import type { WeightSource } from './weights.js';

/** Files of a SavedModel directory Keras writes. */
export const SAVED_MODEL_FILES = {
  graph: 'saved_model.pb',
  kerasMetadata: 'keras_metadata.pb',
  index: 'variables/variables.index',
  shardPrefix: 'variables/variables',
} as const;

/** The checkpoint entry holding the TrackableObjectGraph. */
const OBJECT_GRAPH_KEY = '_CHECKPOINTABLE_OBJECT_GRAPH';

/** What a SavedModel directory gives the loader. */
export interface KerasSavedModel {
  /** The root model's config (`model.to_json()` form), tuples turned into arrays. */
  config: unknown;
  kerasVersion: string | undefined;
  backend: string | undefined;
  weights: WeightSource;
  /** e.g. `tf.keras SavedModel (TF 2.10.1, keras_metadata.pb)`. */
  format: string;
  /** The directory's name. */
  fileName: string;
}

/** Caps the reader respects (from loadModel's limits). */
export interface SavedModelLimits {
  /** Bytes of weights (as float32) the model may hold. */
  maxWeightBytes: number;
  /** Deepest JSON nesting in the metadata. */
  maxConfigDepth: number;
}

/** A Keras object of the graph with its parsed metadata. */
interface KerasObject {
  nodeId: number;
  identifier: string;
  meta: Record<string, unknown>;
}

/** Keras' SavedModel encoding of a Python tuple. */
function untuple(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(untuple);
  if (value === null || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  if (o.class_name === '__tuple__' && Array.isArray(o.items)) return o.items.map(untuple);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = untuple(v);
  return out;
}

/** Node paths as Keras names them ("root.layer-0.cell"), breadth first, for TF 2.0-2.4 files. */
function nodePaths(nodes: SavedObjectNode[]): Map<number, string> {
  const paths = new Map<number, string>([[0, 'root']]);
  const queue = [0];
  while (queue.length) {
    const id = queue.shift() as number;
    for (const c of nodes[id].children) {
      if (paths.has(c.nodeId)) continue;
      paths.set(c.nodeId, `${paths.get(id)}.${c.localName}`);
      queue.push(c.nodeId);
    }
  }
  return paths;
}

/** Follows a node path ("root.layer_with_weights-0.cell") through the SavedObjectGraph. */
function resolvePath(nodes: SavedObjectNode[], path: string): number | undefined {
  const parts = path.split('.');
  if (parts[0] !== 'root') return undefined;
  let id = 0;
  for (const name of parts.slice(1)) {
    const next = nodes[id].children.find((c) => c.localName === name);
    if (!next) return undefined;
    id = next.nodeId;
  }
  return id;
}

function parseMetadata(text: string, file: string, what: string, limits: SavedModelLimits): Record<string, unknown> {
  const json = parseJsonConfig(text, `${file} (${what})`, { maxDepth: limits.maxConfigDepth });
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ModelFileError(`the Keras metadata of ${what} is not a JSON object`, { file });
  }
  return json as Record<string, unknown>;
}

/** Keras objects from `keras_metadata.pb`, each checked against the object graph of `saved_model.pb`. */
function fromKerasMetadata(bytes: Uint8Array, file: string, graphFile: string, nodes: SavedObjectNode[], limits: SavedModelLimits): KerasObject[] {
  const list = diagnoseLineEndings(bytes, file, (b) => readKerasMetadataProto(b, file));
  const differentSave = (n: { nodeId: number; nodePath: string }, why: string): never => {
    throw new ModelFileError(
      `keras_metadata.pb does not belong to this saved_model.pb (${why}): the two files come from different saves; copy the whole SavedModel directory from one save`,
      { file, field: n.nodePath, value: n.nodeId },
    );
  };
  // Ids past the object graph first: the plainest sign of a mixed-up directory.
  for (const n of list) {
    if (!(n.nodeId >= 0 && n.nodeId < nodes.length)) differentSave(n, `node ${n.nodeId} "${n.nodePath}" is past the ${nodes.length} objects of ${graphFile}`);
  }
  return list.map((n) => {
    const node = nodes[n.nodeId];
    if (node.kind !== 'user_object' || (node.identifier !== n.identifier && node.identifier !== '_generic_user_object')) {
      differentSave(n, `node ${n.nodeId} "${n.nodePath}" is a ${n.identifier} here and a ${node.identifier ?? node.kind} in ${graphFile}`);
    }
    // A path that does not resolve (a local name holding a dot) proves nothing; one that leads elsewhere does.
    const at = resolvePath(nodes, n.nodePath);
    if (at !== undefined && at !== n.nodeId) differentSave(n, `path "${n.nodePath}" leads to node ${at} in ${graphFile}, not ${n.nodeId}`);
    return { nodeId: n.nodeId, identifier: n.identifier, meta: parseMetadata(n.metadata, file, `node ${n.nodePath}`, limits) };
  });
}

/** Keras objects of a TF 2.0-2.4 SavedModel: user objects whose identifier starts with `_tf_keras_`. */
function fromUserObjects(nodes: SavedObjectNode[], file: string, limits: SavedModelLimits): KerasObject[] {
  const paths = nodePaths(nodes);
  const out: KerasObject[] = [];
  nodes.forEach((n, i) => {
    if (n.kind !== 'user_object' || !n.identifier?.startsWith('_tf_keras_') || !n.metadata) return;
    out.push({ nodeId: i, identifier: n.identifier, meta: parseMetadata(n.metadata, file, `node ${paths.get(i) ?? i}`, limits) });
  });
  return out;
}

/** The root model's config, or a refusal saying why there is none. */
function rootConfig(objects: KerasObject[], nodes: SavedObjectNode[], dir: string): { config: unknown; root: KerasObject } {
  const root = objects.find((o) => o.nodeId === 0);
  if (!root && nodes[0].identifier?.startsWith('_tf_keras_')) {
    throw new ModelFileError(
      `keras_metadata.pb is missing: the root is a Keras object (${nodes[0].identifier}) without metadata in saved_model.pb, so TensorFlow >= 2.5 wrote the Keras config to keras_metadata.pb; copy that file too`,
      { file: `${dir}/${SAVED_MODEL_FILES.kerasMetadata}` },
    );
  }
  if (!root) {
    const what = nodes[0].kind === 'user_object' ? `a ${nodes[0].identifier || 'plain'} object` : `a ${nodes[0].kind}`;
    throw new UnsupportedKerasConfigurationError(
      objects.length === 0
        ? `this SavedModel holds no Keras model (its root is ${what}: a tf.Module / tf.function export); kerasrnn needs a model saved with Keras' model.save()`
        : `this SavedModel's root is not a Keras model (it is ${what}); kerasrnn needs a model saved with Keras' model.save()`,
      { file: dir },
    );
  }
  const className = typeof root.meta.class_name === 'string' ? root.meta.class_name : undefined;
  const modelConfig = root.meta.model_config as Record<string, unknown> | undefined;
  if (root.meta.is_graph_network === false || !modelConfig || typeof modelConfig !== 'object') {
    if (root.identifier === '_tf_keras_model' || root.meta.is_graph_network === false) {
      throw new UnsupportedKerasConfigurationError(
        `this SavedModel holds a subclassed Keras model${className ? ` (class ${className})` : ''}: its architecture is Python code in call(), not a config, so there is nothing to rebuild it from; save a Sequential or functional model instead`,
        { file: dir, className },
      );
    }
    if (root.identifier === '_tf_keras_layer' || root.identifier === '_tf_keras_rnn_layer') {
      throw new UnsupportedKerasConfigurationError(`this SavedModel holds a single Keras layer${className ? ` (${className})` : ''}, not a model`, { file: dir, className });
    }
    throw new InvalidKerasConfigurationError('the root model\'s Keras metadata has no model_config', { file: dir, field: 'model_config' });
  }
  return { config: untuple(modelConfig), root };
}

/** Ranges of a shard to read for the model's tensors. */
async function readTensors(files: SavedModelFiles, index: BundleIndex, entries: BundleEntry[], dir: string): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const e of entries) {
    const shardPath = shardFileName(SAVED_MODEL_FILES.shardPrefix, e.shardId, index.numShards);
    const shardName = `${dir}/${shardPath}`;
    const bytes = await files.readRange(shardPath, e.offset, e.size);
    if (bytes === null) {
      throw new ModelFileError(`the data shard ${shardPath} is missing (the index names ${index.numShards} shard${index.numShards > 1 ? 's' : ''})`, { file: shardName, field: e.key });
    }
    if (bytes.length < e.size) {
      await refuseLfsShard(files, shardPath, shardName);
      throw new ModelFileError(`tensor "${e.key}" claims bytes ${e.offset}..${e.offset + e.size}, past the end of the shard (truncated shard?)`, { file: shardName, field: e.key });
    }
    out.set(e.key, readFloatTensor({ ...e, offset: 0 }, bytes, shardName));
  }
  return out;
}

/** A shard shorter than the index says may be a Git LFS pointer left in its place. */
async function refuseLfsShard(files: SavedModelFiles, shardPath: string, shardName: string): Promise<void> {
  const head = await files.readRange(shardPath, 0, 1025);
  if (head) refuseLfsPointer(head, shardName);
}

async function required(files: SavedModelFiles, path: string, why: string): Promise<Uint8Array> {
  const bytes = await files.read(path);
  if (bytes === null) throw new ModelFileError(`${path} is missing: ${why}`, { file: `${files.name}/${path}` });
  return bytes;
}

/**
 * Reads a tf.keras SavedModel directory.
 * @throws UnsupportedKerasConfigurationError for a SavedModel with no Keras config (subclassed
 *   model, tf.function export).
 * @throws ModelFileError for missing or damaged files (each naming the file and the fault).
 */
export async function readKerasSavedModel(files: SavedModelFiles, limits: SavedModelLimits): Promise<KerasSavedModel> {
  const dir = files.name;
  const graphFile = `${dir}/${SAVED_MODEL_FILES.graph}`;
  const graphBytes = await required(files, SAVED_MODEL_FILES.graph, 'not a SavedModel directory');
  const saved = diagnoseLineEndings(graphBytes, graphFile, (b) => readSavedModelProto(b, graphFile));
  const metadataBytes = await files.read(SAVED_MODEL_FILES.kerasMetadata);
  const metadataFile = `${dir}/${SAVED_MODEL_FILES.kerasMetadata}`;
  const objects = metadataBytes
    ? fromKerasMetadata(metadataBytes, metadataFile, graphFile, saved.nodes, limits)
    : fromUserObjects(saved.nodes, graphFile, limits);
  const { config, root } = rootConfig(objects, saved.nodes, dir);

  const indexFile = `${dir}/${SAVED_MODEL_FILES.index}`;
  const indexBytes = await required(files, SAVED_MODEL_FILES.index, 'the SavedModel has no variables/ folder (its weights); copy the whole directory');
  const index = diagnoseLineEndings(indexBytes, indexFile, (b) => readBundleIndex(b, indexFile));
  const graphEntry = index.entries.get(OBJECT_GRAPH_KEY);
  if (!graphEntry) throw new ModelFileError(`the checkpoint has no ${OBJECT_GRAPH_KEY} entry (not an object-based TF 2 checkpoint)`, { file: indexFile });
  const shardPath = shardFileName(SAVED_MODEL_FILES.shardPrefix, graphEntry.shardId, index.numShards);
  const graphShard = await files.readRange(shardPath, graphEntry.offset, graphEntry.size);
  if (graphShard === null) {
    throw new ModelFileError(`the data shard ${shardPath} is missing (the index names ${index.numShards} shard${index.numShards > 1 ? 's' : ''})`, { file: `${dir}/${shardPath}` });
  }
  if (graphShard.length < graphEntry.size) await refuseLfsShard(files, shardPath, `${dir}/${shardPath}`);
  const [objectGraphBytes] = readStringTensor({ ...graphEntry, offset: 0 }, graphShard, `${dir}/${shardPath}`);
  if (!objectGraphBytes) throw new ModelFileError(`${OBJECT_GRAPH_KEY} is empty`, { file: indexFile });
  const checkpoint = readTrackableObjectGraph(objectGraphBytes, `${indexFile} (${OBJECT_GRAPH_KEY})`);

  const layers = layerWeights(objects, saved.nodes, checkpoint, index, dir);
  const wanted = new Map<string, BundleEntry>();
  for (const l of layers.values()) for (const v of l.variables) wanted.set(v.entry.key, v.entry);
  const floats = [...wanted.values()].reduce((n, e) => n + 4 * e.shape.reduce((a, b) => a * b, 1), 0);
  if (!(floats <= limits.maxWeightBytes)) {
    throw new ResourceLimitError(
      `the model's layers hold ${floats} bytes of weights as float32, more than the cap limits.maxWeightBytes = ${limits.maxWeightBytes} (raise it with loadModel(source, { limits: { maxWeightBytes: ... } }))`,
      { file: indexFile },
    );
  }
  const arrays = await readTensors(files, index, [...wanted.values()], dir);

  const kerasVersion = typeof root.meta.keras_version === 'string' ? root.meta.keras_version : undefined;
  const backend = typeof root.meta.backend === 'string' ? root.meta.backend : undefined;
  const source = metadataBytes ? 'keras_metadata.pb' : 'Keras metadata in saved_model.pb';
  return {
    config,
    kerasVersion,
    backend,
    weights: savedModelWeightSource(dir, layers, arrays, saved.nodes, objects.map((o) => ({ nodeId: o.nodeId, name: typeof o.meta.name === 'string' ? o.meta.name : undefined }))),
    format: `tf.keras SavedModel (TF ${saved.tensorflowVersion || '2.x'}, ${source})`,
    fileName: dir,
  };
}

/**
 * Objects of the SavedObjectGraph matched to checkpoint objects: both graphs are walked from
 * their roots along edges of the same name (the checkpoint graph lacks the functions and may
 * lack Keras' extra lists, so node ids differ in general).
 */
export function matchCheckpointObjects(nodes: SavedObjectNode[], checkpoint: TrackableNode[]): Map<number, number> {
  const map = new Map<number, number>([[0, 0]]);
  const queue: [number, number][] = [[0, 0]];
  while (queue.length) {
    const [s, c] = queue.shift() as [number, number];
    const byName = new Map(checkpoint[c].children.map((r) => [r.localName, r.nodeId]));
    for (const child of nodes[s].children) {
      const target = byName.get(child.localName);
      if (target === undefined || map.has(child.nodeId)) continue;
      map.set(child.nodeId, target);
      queue.push([child.nodeId, target]);
    }
  }
  return map;
}

/** Keras identifiers of layer objects whose own variables the model may ask for (models and metrics excluded). */
const LAYER_IDENTIFIERS = new Set(['_tf_keras_layer', '_tf_keras_rnn_layer']);

/**
 * Each Keras layer object's variables (its `variables` list), with their bundle entries. A
 * variable that cannot be found is recorded, not refused: only the layers the model asks for
 * matter, and the refusal happens when one of them is bound.
 */
function layerWeights(objects: KerasObject[], nodes: SavedObjectNode[], checkpoint: TrackableNode[], index: BundleIndex, dir: string): Map<number, SavedModelLayerWeights> {
  const toCheckpoint = matchCheckpointObjects(nodes, checkpoint);
  const out = new Map<number, SavedModelLayerWeights>();
  const indexFile = `${dir}/${SAVED_MODEL_FILES.index}`;
  for (const o of objects) {
    if (!LAYER_IDENTIFIERS.has(o.identifier)) continue;
    const list = nodes[o.nodeId].children.find((c) => c.localName === 'variables');
    if (!list) continue;
    const layerName = typeof o.meta.name === 'string' ? o.meta.name : `node ${o.nodeId}`;
    const variables: SavedModelLayerWeights['variables'] = [];
    let problem: string | undefined;
    for (const [i, ref] of nodes[list.nodeId].children.entries()) {
      const ckpt = toCheckpoint.get(ref.nodeId);
      const key = ckpt === undefined ? undefined : checkpoint[ckpt].attributes.find((a) => a.name === 'VARIABLE_VALUE')?.checkpointKey;
      const entry = key === undefined ? undefined : index.entries.get(key);
      if (key === undefined) problem = `the checkpoint holds no value for variable ${i} of layer "${layerName}" (saved_model.pb and variables/ come from different saves?)`;
      else if (!entry) problem = `the checkpoint object graph names tensor "${key}" for layer "${layerName}", but ${indexFile} has no such entry`;
      else if (entry.dtype !== 1 && entry.dtype !== 2 && entry.dtype !== 19) continue; // not a weight: an RNG state, a counter (int64)
      else variables.push({ name: key as string, entry });
      if (problem) break;
    }
    out.set(o.nodeId, problem ? { variables: [], problem } : { variables });
  }
  return out;
}
