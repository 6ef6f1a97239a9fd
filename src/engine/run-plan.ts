import { InternalError } from '../errors.js';
import type { GraphNode } from '../graph/build-graph.js';
import { refKey } from '../graph/build-graph.js';
import { callReceivesMask, layerPassesMask } from '../keras/semantics.js';
import type { KerasGeneration } from '../keras/generation.js';
import type { TensorRef } from '../keras/model-config.js';
import type { LayerKernel, LayerState, Mask, Tensor } from '../layers/types.js';
import type { WasmMemory } from '../wasm/memory.js';

/** A node ready to run: its kernel and where its inputs come from. */
export interface PlanStep {
  node: GraphNode;
  kernel: LayerKernel;
}

/**
 * Runs the steps needed for `wanted`, in order, on tensors already in scratch memory. One kernel
 * call per layer call: the time loop of a recurrent layer runs inside wasm.
 */
export function runPlan(
  steps: PlanStep[],
  memory: WasmMemory,
  generation: KerasGeneration,
  feeds: Map<string, Tensor>,
  wanted: TensorRef[],
  states?: Map<string, LayerState>,
): Map<string, Tensor> {
  const tensors = new Map<string, Tensor>(feeds);
  const masks = new Map<string, Mask | null>();
  for (const step of steps) {
    const { node } = step;
    const name = node.layer.spec.name;
    if (node.layer.spec.className === 'InputLayer') continue;
    const inputs = node.inputs.map((ref) => {
      const t = tensors.get(refKey(ref));
      if (!t) throw new InternalError(`tensor ${refKey(ref)} was not computed`, { layer: name });
      return t;
    });
    const receivesMask = callReceivesMask(generation, node.initialStates);
    const inMasks = node.inputs.map((ref) => (receivesMask ? masks.get(refKey(ref)) ?? null : null));
    const result = step.kernel.run(inputs, inMasks, { memory, state: states?.get(name) });
    const passesMask = layerPassesMask(generation, node.layer.spec.className);
    result.outputs.forEach((t, i) => {
      const key = refKey({ layer: name, node: node.callIndex, tensor: i });
      tensors.set(key, t);
      masks.set(key, passesMask ? result.masks[i] ?? null : null);
    });
  }
  const out = new Map<string, Tensor>();
  for (const ref of wanted) {
    const t = tensors.get(refKey(ref));
    if (t) out.set(refKey(ref), t);
  }
  return out;
}

/** The steps (in order) that the wanted tensors depend on. */
export function stepsFor(all: PlanStep[], wanted: TensorRef[]): PlanStep[] {
  const needed = new Set<string>();
  const byKey = new Map(all.map((s) => [`${s.node.layer.spec.name}#${s.node.callIndex}`, s]));
  const stack = wanted.map((r) => `${r.layer}#${r.node}`);
  while (stack.length) {
    const key = stack.pop() as string;
    if (needed.has(key)) continue;
    needed.add(key);
    const s = byKey.get(key);
    if (s) for (const ref of s.node.inputs) stack.push(`${ref.layer}#${ref.node}`);
  }
  return all.filter((s) => needed.has(`${s.node.layer.spec.name}#${s.node.callIndex}`));
}
