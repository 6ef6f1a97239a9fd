import type { GraphLayer } from '../../graph/build-graph.js';
import type { KerasGeneration } from '../../keras/generation.js';
import { theanoConvolutions } from '../../keras/semantics.js';
import { runtimeOutputLength, windowPadLeft, type Padding1D, type Window1D } from '../../layers/conv-utils.js';
import { activationGradient, activationOf, applyActivation, refuse, type Activation, type TrainableLayer } from './layer-module.js';

/**
 * Conv1D (Keras 2 / 3; padding valid, same, causal; strides; dilation; groups 1) with the
 * activations of {@link activationOf}, on assembly/backward-layers.ts. Keras drops the mask.
 */
export function planConv1d(layer: GraphLayer, generation: KerasGeneration): TrainableLayer {
  const d = layer.imported.details;
  const name = layer.imported.className;
  if (name !== 'Conv1D' || generation.major === 1 || theanoConvolutions(generation)) refuse(layer, `${name} of a Keras 1 / Theano file`, 'class_name', name);
  if (Number(d.groups ?? 1) !== 1) refuse(layer, 'grouped Conv1D', 'groups', d.groups);
  const F = Number(d.filters);
  const k = Number(d.kernelSize);
  const stride = Number(d.strides);
  const dilation = Number(d.dilationRate);
  const activation = activationOf(layer, d.activation, generation);
  const useBias = d.useBias !== false;
  const win: Window1D = { padding: d.padding as Padding1D, size: k, stride, dilation, theanoSame: false };
  type Saved = { input: Activation; z: number; output: number; Tout: number; padLeft: number; pw: number };
  const plan: TrainableLayer<Saved> = {
    layer,
    weights: useBias ? ['kernel', 'bias'] : ['kernel'],
    masks: 'consume',
    forward(ctx, input, w) {
      const { memory } = ctx;
      const [B, T, C] = input.shape;
      const Tout = runtimeOutputLength(win, T, layer.spec.name, name);
      const padLeft = windowPadLeft(win, T);
      const pw = ctx.put(w[0]);
      const pb = useBias ? ctx.put(w[1]) : 0;
      const z = memory.scratch(B * Tout * F * 4);
      memory.kernels.conv1dForwardTrain(input.ptr, B, T, C, Tout, F, k, stride, dilation, padLeft, pw, pb, z);
      const output = applyActivation(memory, z, B * Tout * F, F, activation, true);
      return { output: { ptr: output, shape: [B, Tout, F] }, saved: { input, z, output, Tout, padLeft, pw } };
    },
    backward(ctx, s, dOut) {
      const { memory } = ctx;
      const [B, T, C] = s.input.shape;
      const n = B * s.Tout * F;
      const dz = activationGradient(memory, activation, s.z, s.output, dOut, n, F);
      const dx = memory.scratch(B * T * C * 4);
      const dW = memory.scratch(k * C * F * 4);
      const db = useBias ? memory.scratch(F * 4) : 0;
      memory.kernels.conv1dBackward(s.input.ptr, B, T, C, s.Tout, F, k, stride, dilation, s.padLeft, s.pw, dz, dx, dW, db);
      return { dInput: dx, grads: [memory.f32(dW, k * C * F).slice(), ...(db ? [memory.f32(db, F).slice()] : [])] };
    },
  };
  return plan as TrainableLayer;
}
