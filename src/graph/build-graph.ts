import { InvalidKerasConfigurationError, UnsupportedKerasConfigurationError } from '../errors.js';
import { ConfigReader } from '../keras/config-reader.js';
import type { KerasGeneration } from '../keras/generation.js';
import type { LayerSpec, ModelSpec, TensorRef } from '../keras/model-config.js';
import type { ImportedLayer, ImportRequest, LayerAssets, LayerImporter, Shape } from '../layers/types.js';

/** One call of a layer, in execution order. */
export interface GraphNode {
  layer: GraphLayer;
  callIndex: number;
  inputs: TensorRef[];
  /** How many trailing inputs are initial states. */
  initialStates: number;
}

/** A layer of the model with its importer's answers. */
export interface GraphLayer {
  spec: LayerSpec;
  imported: ImportedLayer;
}

/** The model as a DAG in execution order, with every tensor's symbolic shape. */
export interface ModelGraph {
  spec: ModelSpec;
  layers: GraphLayer[];
  nodes: GraphNode[];
  shapes: Map<string, Shape>;
}

/** Key of a tensor reference. */
export function refKey(ref: TensorRef): string {
  return `${ref.layer}:${ref.node}:${ref.tensor}`;
}

/** Layers whose config holds Python code (marshalled bytecode); kerasrnn never runs it. */
const CODE_LAYERS = new Set(['Lambda']);

/**
 * The importer of a layer: a user-supplied custom layer (by layer name, then by class name), else
 * the built-in importer of the class. Without one, the error names the layer, its class and the
 * `customLayers` option that can supply it.
 */
function findImporter(
  table: Map<string, LayerImporter>,
  className: string,
  name: string,
  file: string,
  custom?: ReadonlyMap<string, LayerImporter>,
): LayerImporter {
  const imp = custom?.get(name) ?? custom?.get(className) ?? table.get(className);
  if (imp) return imp;
  if (CODE_LAYERS.has(className)) {
    throw new UnsupportedKerasConfigurationError(
      `${className} layers hold Python code, which kerasrnn never runs; supply what the layer computes with ` +
        `loadModel(source, { customLayers: { ${JSON.stringify(name)}: impl } })`,
      { file, layer: name, className },
    );
  }
  throw new UnsupportedKerasConfigurationError(
    `layer class ${className} is not supported; if it is your own layer class, supply it with ` +
      `loadModel(source, { customLayers: { ${JSON.stringify(className)}: impl } })`,
    { file, layer: name, className },
  );
}

function validateShape(shape: unknown, layer: string, className: string, file: string): Shape {
  if (!Array.isArray(shape) || shape.length < 1) {
    throw new InvalidKerasConfigurationError('input layer without a usable shape', { file, layer, className, field: 'batch_input_shape', value: shape });
  }
  return shape.map((d, i) => {
    if (d === null || (i === 0 && d === undefined)) return null;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > 2 ** 31) {
      throw new InvalidKerasConfigurationError('shape dimensions must be non-negative integers or null', {
        file,
        layer,
        className,
        field: 'batch_input_shape',
        value: shape,
      });
    }
    return d;
  });
}

/** Everything an importer call needs besides the layer itself. */
interface ImportScope {
  file: string;
  generation: KerasGeneration;
  importers: Map<string, LayerImporter>;
  customImporters?: ReadonlyMap<string, LayerImporter>;
  /** Saved asset files per layer name (a `.keras` archive's `assets/`). */
  assets?: ReadonlyMap<string, LayerAssets>;
}

/**
 * Runs a layer's importer for one call: builds its ImportRequest (config reader, shapes, stored
 * call arguments) and lets wrappers import their inner layers the same way.
 */
function importLayer(scope: ImportScope, l: LayerSpec, inputShapes: Shape[], callIndex: number): ImportedLayer {
  const { file, generation, importers, customImporters, assets } = scope;
  const ctx = { file, layer: l.name, className: l.className };
  const stored = l.calls[callIndex];
  const call = stored?.args || stored?.kwargs ? { args: stored.args ?? [], kwargs: stored.kwargs ?? {} } : undefined;
  const request = (name: string, className: string, config: unknown, shapesIn: Shape[], callArgs = call): ImportRequest => ({
    name,
    className,
    config: new ConfigReader(config, generation, { file, layer: name, className }),
    generation,
    inputShapes: shapesIn,
    ...(callArgs ? { call: callArgs } : {}),
    context: { file, layer: name, className },
    ...(assets?.has(name) ? { assets: assets.get(name) } : {}),
    importInner(layerConfig, innerShapes, role) {
      if (!layerConfig || typeof layerConfig !== 'object' || Array.isArray(layerConfig)) {
        throw new InvalidKerasConfigurationError('wrapper without an inner layer config', { ...ctx, field: role, value: layerConfig });
      }
      const inner = layerConfig as Record<string, unknown>;
      const innerClass = inner.class_name;
      if (typeof innerClass !== 'string') {
        throw new InvalidKerasConfigurationError('inner layer without class_name', { ...ctx, field: `${role}.class_name`, value: innerClass });
      }
      const innerCfg = inner.config as Record<string, unknown> | undefined;
      const innerName = typeof innerCfg?.name === 'string' ? innerCfg.name : `${name}/${role}`;
      const imp = findImporter(importers, innerClass, innerName, file, customImporters);
      return imp.import(request(innerName, innerClass, innerCfg, innerShapes, undefined));
    },
  });
  return findImporter(importers, l.className, l.name, file, customImporters).import(request(l.name, l.className, l.config, inputShapes));
}

/** Layers by name; two layers with one name make the graph ambiguous. */
function indexLayers(spec: ModelSpec, file: string): Map<string, LayerSpec> {
  const byName = new Map<string, LayerSpec>();
  for (const l of spec.layers) {
    if (byName.has(l.name)) {
      throw new InvalidKerasConfigurationError('two layers share a name', { file, layer: l.name, field: 'name', value: l.name });
    }
    byName.set(l.name, l);
  }
  return byName;
}

/** A layer call on the traversal stack. */
interface Frame {
  l: LayerSpec;
  key: string;
  callIndex: number;
  inputs: TensorRef[];
  initialStates: number;
  inputShapes?: Shape[];
}

/** The state of one buildGraph run: nodes imported so far, tensor shapes, the current path. */
class GraphBuilder {
  private readonly byName: Map<string, LayerSpec>;
  private readonly shapes = new Map<string, Shape>();
  private readonly imported = new Map<string, GraphLayer>();
  private readonly importedInputShapes = new Map<string, Shape[]>();
  private readonly nodes: GraphNode[] = [];
  private readonly done = new Set<string>();
  private readonly visiting = new Set<string>();

  constructor(
    private readonly spec: ModelSpec,
    private readonly scope: ImportScope,
  ) {
    this.byName = indexLayers(spec, scope.file);
  }

  build(): ModelGraph {
    const { spec } = this;
    for (const ref of spec.outputs) this.visit(ref.layer, ref.node, 'output_layers');
    for (const ref of spec.inputs) {
      const l = this.byName.get(ref.layer);
      if (!l || l.className !== 'InputLayer') {
        throw new InvalidKerasConfigurationError('a model input is not an InputLayer', { file: this.scope.file, field: 'input_layers', value: ref.layer });
      }
      this.visit(ref.layer, 0, 'input_layers');
    }
    // Layers no output depends on are still part of the model (their weights are in the file).
    for (const l of spec.layers) l.calls.forEach((_, i) => this.visit(l.name, i, l.name));
    this.checkModelTensors();
    const layers = spec.layers.map((l) => this.imported.get(l.name)).filter((g): g is GraphLayer => g !== undefined);
    return { spec, layers, nodes: this.nodes, shapes: this.shapes };
  }

  /**
   * Depth-first, inputs before the node, with an explicit stack: a model of 100,000 chained
   * layers must not overflow the call stack. `visiting` holds exactly the current path.
   */
  private visit(layerName: string, callIndex: number, from: string): void {
    const stack: ({ enter: [string, number, string] } | { finish: Frame })[] = [{ enter: [layerName, callIndex, from] }];
    while (stack.length) {
      const item = stack.pop() as { enter: [string, number, string] } | { finish: Frame };
      if ('finish' in item) {
        this.finish(item.finish);
        continue;
      }
      const f = this.enter(...item.enter);
      if (!f) continue;
      stack.push({ finish: f });
      for (let i = f.inputs.length - 1; i >= 0; i--) stack.push({ enter: [f.inputs[i].layer, f.inputs[i].node, f.l.name] });
    }
  }

  /** Checks a node on the way down; returns null if it is already done. */
  private enter(layerName: string, callIndex: number, from: string): Frame | null {
    const { file } = this.scope;
    const key = `${layerName}#${callIndex}`;
    if (this.done.has(key)) return null;
    const l = this.byName.get(layerName);
    if (!l) {
      throw new InvalidKerasConfigurationError(`a layer's input refers to unknown layer "${layerName}"`, { file, layer: from, field: 'inbound_nodes', value: layerName });
    }
    if (!Number.isInteger(callIndex) || callIndex < 0 || (l.className === 'InputLayer' && callIndex !== 0)) {
      // an InputLayer has exactly one node (0); any layer's node index counts its calls from 0
      throw new InvalidKerasConfigurationError(`layer "${layerName}" has no node ${callIndex}`, { file, layer: from, field: 'inbound_nodes', value: [layerName, callIndex] });
    }
    if (this.visiting.has(key)) {
      throw new InvalidKerasConfigurationError('the model graph has a cycle', { file, layer: layerName, field: 'inbound_nodes', value: key });
    }
    this.visiting.add(key);
    if (l.className === 'InputLayer' || l.calls.length === 0) return this.enterInput(l, key);
    const call = l.calls[callIndex];
    if (!call) {
      throw new InvalidKerasConfigurationError(`layer has no call number ${callIndex}`, { file, layer: l.name, field: 'inbound_nodes', value: callIndex });
    }
    return { l, key, callIndex, inputs: call.inputs, initialStates: call.initialStates };
  }

  /** An InputLayer node (or a layer that is never called, which is an error). */
  private enterInput(l: LayerSpec, key: string): Frame {
    const { file } = this.scope;
    if (l.className !== 'InputLayer') {
      throw new InvalidKerasConfigurationError('layer is never called (no inbound nodes) yet the model uses it', { file, layer: l.name, className: l.className, field: 'inbound_nodes', value: [] });
    }
    if (!this.spec.inputs.some((r) => r.layer === l.name)) {
      // Nothing would feed it at predict time.
      throw new InvalidKerasConfigurationError('the model uses this InputLayer but does not list it among its inputs', {
        file,
        layer: l.name,
        className: l.className,
        field: 'input_layers',
        value: this.spec.inputs.map((r) => r.layer),
      });
    }
    return { l, key, callIndex: 0, inputs: [], initialStates: 0, inputShapes: [validateShape(l.declaredInputShape, l.name, l.className, file)] };
  }

  /** Imports a node once its inputs are done. */
  private finish(f: Frame): void {
    const { l, callIndex, inputs } = f;
    const inputShapes = f.inputShapes ?? inputs.map((ref) => this.shapeOf(ref, l.name));
    let g = this.imported.get(l.name);
    if (!g) {
      g = { spec: l, imported: importLayer(this.scope, l, inputShapes, callIndex) };
      this.imported.set(l.name, g);
    } else if (JSON.stringify(inputShapes) !== JSON.stringify(this.importedInputShapes.get(l.name))) {
      throw new UnsupportedKerasConfigurationError('a shared layer called on inputs of different shapes is not supported', {
        file: this.scope.file,
        layer: l.name,
        className: l.className,
        field: 'inbound_nodes',
        value: inputShapes,
      });
    }
    if (!this.importedInputShapes.has(l.name)) this.importedInputShapes.set(l.name, inputShapes);
    g.imported.outputShapes.forEach((s, t) => this.shapes.set(refKey({ layer: l.name, node: callIndex, tensor: t }), s));
    this.nodes.push({ layer: g, callIndex, inputs, initialStates: f.initialStates });
    this.visiting.delete(f.key);
    this.done.add(f.key);
  }

  private shapeOf(ref: TensorRef, layer: string): Shape {
    const s = this.shapes.get(refKey(ref));
    if (!s) {
      throw new InvalidKerasConfigurationError(`input tensor ${ref.layer}[${ref.node}][${ref.tensor}] does not exist`, { file: this.scope.file, layer, field: 'inbound_nodes', value: ref });
    }
    return s;
  }

  /** A model input / output naming a tensor the layer does not produce (e.g. ["lstm", 0, 5]). */
  private checkModelTensors(): void {
    for (const [field, refs] of [['input_layers', this.spec.inputs], ['output_layers', this.spec.outputs]] as const) {
      for (const ref of refs) {
        if (!this.shapes.has(refKey(ref))) {
          throw new InvalidKerasConfigurationError(`the model's ${field} name tensor ${ref.layer}[${ref.node}][${ref.tensor}], which that layer does not produce`, {
            file: this.scope.file,
            layer: ref.layer,
            field,
            value: [ref.layer, ref.node, ref.tensor],
          });
        }
      }
    }
  }
}

/**
 * Imports every layer in dependency order and derives every tensor's shape. Works from the config
 * alone, so a JSON architecture without weights still gives output shapes and parameter counts.
 */
export function buildGraph(
  spec: ModelSpec,
  importers: Map<string, LayerImporter>,
  file: string,
  customImporters?: ReadonlyMap<string, LayerImporter>,
  /** Saved asset files per layer name (a `.keras` archive's `assets/`). */
  assets?: ReadonlyMap<string, LayerAssets>,
): ModelGraph {
  return new GraphBuilder(spec, {
    file,
    generation: spec.generation,
    importers,
    ...(customImporters ? { customImporters } : {}),
    ...(assets ? { assets } : {}),
  }).build();
}
