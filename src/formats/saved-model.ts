/**
 * The protobuf files of a TensorFlow 2 SavedModel directory, read with the wire reader and the
 * field numbers of TensorFlow's `.proto` files:
 *
 * - `saved_model.pb`: SavedModel { meta_graphs 2 } -> MetaGraphDef { meta_info_def 1
 *   { tags 4, tensorflow_version 5 }, object_graph_def 7 } -> SavedObjectGraph { nodes 1 } ->
 *   SavedObject { children 1 (ObjectReference { node_id 1, local_name 2 }), user_object 4
 *   { identifier 1, metadata 3 }, variable 7 { name 6 } }. The GraphDef (field 2, most of the
 *   file) is skipped unread.
 * - `keras_metadata.pb` (TF >= 2.5): SavedMetadata { nodes 1 } -> SavedObject { node_id 2,
 *   node_path 3, identifier 4, metadata 5 }.
 * - the checkpoint's `_CHECKPOINTABLE_OBJECT_GRAPH` tensor: TrackableObjectGraph { nodes 1 } ->
 *   TrackableObject { children 1, attributes 2 (SerializedTensor { name 1, full_name 2,
 *   checkpoint_key 3 }), slot_variables 3 }.
 *
 * Knows files, not Keras: the Keras meaning of these objects is src/keras/saved-model-*.ts.
 * @packageDocumentation
 */
import { ModelFileError } from '../errors.js';
import { refuseLfsPointer } from './lfs-pointer.js';
import { ProtoMessage, readProtoMessage } from './protobuf-wire.js';

/** A named edge of an object graph. */
export interface ObjectReference {
  nodeId: number;
  localName: string;
}

/** One node of a SavedObjectGraph. */
export interface SavedObjectNode {
  children: ObjectReference[];
  /** Which member of SavedObject's `kind` oneof is set. */
  kind: 'user_object' | 'asset' | 'function' | 'variable' | 'bare_concrete_function' | 'constant' | 'resource' | 'other';
  /** SavedUserObject.identifier (`_tf_keras_layer`, `_tf_keras_model`, `trackable_list_wrapper`, ...). */
  identifier?: string;
  /** SavedUserObject.metadata: the Keras JSON metadata in SavedModels written by TF 2.0-2.4. */
  metadata?: string;
}

/** What kerasrnn reads of `saved_model.pb`. */
export interface SavedModelProto {
  schemaVersion: number;
  /** Tags of the meta graph read (Keras writes one, tagged "serve"). */
  tags: string[];
  /** The TensorFlow version that wrote the file ('' in very old files). */
  tensorflowVersion: string;
  /** The object graph, root first. */
  nodes: SavedObjectNode[];
}

/** One node of `keras_metadata.pb`. */
export interface KerasMetadataNode {
  /** Index into the SavedObjectGraph's nodes. */
  nodeId: number;
  /** "root", "root.layer-0", "root.layer_with_weights-0.cell", ... */
  nodePath: string;
  identifier: string;
  /** The Keras JSON metadata. */
  metadata: string;
}

/** A checkpoint value of a TrackableObject. */
export interface SerializedTensor {
  name: string;
  fullName: string;
  checkpointKey: string;
}

/** One node of a checkpoint's TrackableObjectGraph. */
export interface TrackableNode {
  children: ObjectReference[];
  attributes: SerializedTensor[];
  /** Number of optimizer slot variables this node owns (an optimizer's node). */
  slotVariables: number;
}

const KINDS: [number, SavedObjectNode['kind']][] = [
  [4, 'user_object'], [5, 'asset'], [6, 'function'], [7, 'variable'], [8, 'bare_concrete_function'], [9, 'constant'], [10, 'resource'],
];

function references(m: ProtoMessage, type: string): ObjectReference[] {
  return m.messages(1, 'children', `${type}.ObjectReference`).map((r) => ({ nodeId: r.int(1, 'node_id'), localName: r.string(2, 'local_name') }));
}

/** Every edge must point at a node of the same graph. */
function checkEdges(nodes: { children: ObjectReference[] }[], file: string, what: string): void {
  nodes.forEach((n, i) => {
    for (const c of n.children) {
      if (!(c.nodeId >= 0 && c.nodeId < nodes.length)) {
        throw new ModelFileError(`${what} node ${i} has child "${c.localName}" -> node ${c.nodeId}, but the graph has ${nodes.length} nodes`, { file, field: c.localName, value: c.nodeId });
      }
    }
  });
}

/**
 * Text-mode transfers (git autocrlf, FTP ASCII mode, a Windows editor) turn every byte 0x0A of a
 * binary file into 0x0D 0x0A, which breaks protobuf lengths and CRCs. When a read fails and
 * undoing that conversion makes it succeed, the error says so instead of "corrupt"; so does a
 * file that is a Git LFS pointer.
 */
export function diagnoseLineEndings<T>(bytes: Uint8Array, file: string, read: (b: Uint8Array) => T): T {
  try {
    return read(bytes);
  } catch (e) {
    if (!(e instanceof ModelFileError)) throw e;
    refuseLfsPointer(bytes, file);
    if (!hasCrLf(bytes)) throw e;
    let restored = false;
    try {
      read(undoCrLf(bytes));
      restored = true;
    } catch {
      // not the explanation
    }
    if (restored) {
      throw new ModelFileError(
        'the file was mangled by a text-mode line-ending conversion (every \\n byte became \\r\\n, e.g. git autocrlf or an FTP ASCII transfer); copy the SavedModel again in binary mode',
        { file },
        { cause: e },
      );
    }
    throw e;
  }
}

function hasCrLf(b: Uint8Array): boolean {
  for (let i = 0; i + 1 < b.length; i++) if (b[i] === 0x0d && b[i + 1] === 0x0a) return true;
  return false;
}

function undoCrLf(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0x0d && b[i + 1] === 0x0a) continue;
    out[n++] = b[i];
  }
  return out.subarray(0, n);
}

/**
 * Reads `saved_model.pb`: the first meta graph that has an object graph.
 * @throws ModelFileError for a file that is not a SavedModel protobuf, or a TF 1 SavedModel
 *   (no object graph).
 */
export function readSavedModelProto(bytes: Uint8Array, file: string): SavedModelProto {
  const root = readProtoMessage(bytes, file, 'SavedModel');
  const metaGraphs = root.messages(2, 'meta_graphs', 'MetaGraphDef');
  if (metaGraphs.length === 0) throw new ModelFileError('saved_model.pb holds no meta graph (not a SavedModel file?)', { file, field: 'meta_graphs' });
  const withObjects = metaGraphs.find((m) => m.has(7));
  if (!withObjects) {
    throw new ModelFileError('this SavedModel has no object graph: it was written by TensorFlow 1.x (tf.saved_model.simple_save / builder), which stores no Keras model', {
      file,
      field: 'object_graph_def',
    });
  }
  const info = withObjects.message(1, 'meta_info_def', 'MetaInfoDef');
  const graph = withObjects.message(7, 'object_graph_def', 'SavedObjectGraph') as ProtoMessage;
  const nodes = graph.messages(1, 'nodes', 'SavedObject').map((n): SavedObjectNode => {
    const kind = KINDS.find(([f]) => n.has(f))?.[1] ?? 'other';
    const node: SavedObjectNode = { children: references(n, 'SavedObject'), kind };
    if (kind === 'user_object') {
      const u = n.message(4, 'user_object', 'SavedUserObject') as ProtoMessage;
      node.identifier = u.string(1, 'identifier');
      node.metadata = u.string(3, 'metadata');
    }
    return node;
  });
  if (nodes.length === 0) throw new ModelFileError('the SavedModel object graph is empty', { file, field: 'object_graph_def' });
  checkEdges(nodes, file, 'SavedObjectGraph');
  return {
    schemaVersion: root.int(1, 'saved_model_schema_version'),
    tags: info ? info.strings(4, 'tags') : [],
    tensorflowVersion: info ? info.string(5, 'tensorflow_version') : '',
    nodes,
  };
}

/** Reads `keras_metadata.pb` (SavedMetadata). */
export function readKerasMetadataProto(bytes: Uint8Array, file: string): KerasMetadataNode[] {
  const root = readProtoMessage(bytes, file, 'SavedMetadata');
  return root.messages(1, 'nodes', 'SavedMetadata.SavedObject').map((n) => ({
    nodeId: n.int(2, 'node_id'),
    nodePath: n.string(3, 'node_path'),
    identifier: n.string(4, 'identifier'),
    metadata: n.string(5, 'metadata'),
  }));
}

/** Reads a serialized TrackableObjectGraph (the checkpoint's object graph). */
export function readTrackableObjectGraph(bytes: Uint8Array, file: string): TrackableNode[] {
  const root = readProtoMessage(bytes, file, 'TrackableObjectGraph');
  const nodes = root.messages(1, 'nodes', 'TrackableObject').map((n) => ({
    children: references(n, 'TrackableObject'),
    attributes: n.messages(2, 'attributes', 'SerializedTensor').map((a) => ({
      name: a.string(1, 'name'),
      fullName: a.string(2, 'full_name'),
      checkpointKey: a.string(3, 'checkpoint_key'),
    })),
    slotVariables: n.count(3),
  }));
  if (nodes.length === 0) throw new ModelFileError('the checkpoint object graph is empty', { file, field: '_CHECKPOINTABLE_OBJECT_GRAPH' });
  checkEdges(nodes, file, 'TrackableObjectGraph');
  return nodes;
}

/**
 * The files of a SavedModel directory, wherever they come from (a folder in Node, a browser
 * FileList, a zip, a URL, a map of bytes). Paths are relative to the directory and use `/`.
 */
export interface SavedModelFiles {
  /** The directory's name in messages; a file is named `<name>/<path>`. */
  readonly name: string;
  /** A whole file, or null when it does not exist. */
  read(path: string): Promise<Uint8Array | null>;
  /**
   * Bytes `offset .. offset + length` of a file (fewer when the file is shorter), or null when
   * it does not exist. Lets a reader take the model's weights out of a shard without holding
   * the optimizer's state that shares the file.
   */
  readRange(path: string, offset: number, length: number): Promise<Uint8Array | null>;
}
