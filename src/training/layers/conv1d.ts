import type { GraphLayer } from '../../graph/build-graph.js';
import type { KerasGeneration } from '../../keras/generation.js';
import { theanoConvolutions } from '../../keras/semantics.js';
import { runtimeOutputLength, windowPadLeft, type Padding1D, type Window1D } from '../../layers/conv-utils.js';
import type { WasmMemory } from '../../wasm/memory.js';
import { activationGradient, activationOf, applyActivation, denseWork, sizeOf, type Activation, type TrainableLayer, type TrainContext } from './layer-module.js';

/**
 * The convolution family on assembly/backward-layers.ts (conv1dForwardTrain / conv1dBackward on a
 * full [k][C][F] kernel): Conv1D (Keras 2 / 3, `groups`), Keras 1 Convolution1D /
 * AtrousConvolution1D (W [k][1][C][F], the same memory), Theano files (flipped taps, Theano's
 * `same`, Keras 1 `full`), DepthwiseConv1D and SeparableConv1D (its depthwise half, then the
 * pointwise kernel as a Dense). Grouped and depthwise kernels are expanded to block-diagonal full
 * kernels and their gradients gathered back into the stored layout (assembly/grouped-kernel.ts).
 * The activations are {@link activationOf}'s; Keras drops the mask.
 */

/** A convolution's window and kernel geometry: channels in, filters out of the full kernel, groups. */
interface ConvGeometry {
  win: Window1D;
  k: number;
  C: number;
  F: number;
  groups: number;
  flip: boolean;
}

/** What the convolution half keeps for its backward pass. */
interface ConvSaved {
  input: Activation;
  full: number;
  Tout: number;
  padLeft: number;
}

/** The pre-activation z [B][Tout][F] of the full-kernel convolution of `input` with the stored kernel `w` (and bias). */
function convForward(ctx: TrainContext, g: ConvGeometry, layer: GraphLayer, input: Activation, w: Float32Array, bias: Float32Array | null): { z: number; saved: ConvSaved } {
  const { memory } = ctx;
  const [B, T] = input.shape;
  const Tout = runtimeOutputLength(g.win, T, layer.spec.name, layer.imported.className);
  const padLeft = windowPadLeft(g.win, T);
  const full = fullKernel(ctx, g, w);
  const z = memory.scratch(B * Tout * g.F * 4);
  memory.kernels.conv1dForwardTrain(input.ptr, B, T, g.C, Tout, g.F, g.k, g.win.stride, g.win.dilation, padLeft, full, bias ? ctx.put(bias) : 0, z);
  return { z, saved: { input, full, Tout, padLeft } };
}

/** The stored kernel as a full [k][C][F] kernel in scratch memory. */
function fullKernel(ctx: TrainContext, g: ConvGeometry, w: Float32Array): number {
  const stored = ctx.put(w);
  if (g.groups === 1 && !g.flip) return stored;
  const full = ctx.memory.scratch(g.k * g.C * g.F * 4);
  ctx.memory.kernels.expandGroupedKernel(stored, g.k, g.C, g.F, g.groups, g.flip, full);
  return full;
}

/** dx and the stored kernel's (and bias') gradients from dz [B][Tout][F]. */
function convBackward(memory: WasmMemory, g: ConvGeometry, s: ConvSaved, dz: number, withBias: boolean): { dx: number; dW: Float32Array; db: Float32Array | null } {
  const [B, T] = s.input.shape;
  const { k, C, F } = g;
  const dx = memory.scratch(B * T * C * 4);
  const dFull = memory.scratch(k * C * F * 4);
  const db = withBias ? memory.scratch(F * 4) : 0;
  memory.kernels.conv1dBackward(s.input.ptr, B, T, C, s.Tout, F, k, g.win.stride, g.win.dilation, s.padLeft, s.full, dz, dx, dFull, db);
  const storedFloats = (k * C * F) / g.groups;
  let dW = dFull;
  if (g.groups !== 1 || g.flip) {
    dW = memory.scratch(storedFloats * 4);
    memory.kernels.gatherGroupedKernel(dFull, k, C, F, g.groups, g.flip, dW);
  }
  return { dx, dW: memory.f32(dW, storedFloats).slice(), db: db ? memory.f32(db, F).slice() : null };
}

/** The window and channel geometry every convolution class shares. */
function geometryOf(layer: GraphLayer, generation: KerasGeneration, F: number, groups: number): ConvGeometry {
  const d = layer.imported.details;
  const theano = theanoConvolutions(generation);
  const k = Number(d.kernelSize);
  const win: Window1D = { padding: d.padding as Padding1D, size: k, stride: Number(d.strides), dilation: Number(d.dilationRate), theanoSame: theano };
  return { win, k, C: 0, F, groups, flip: theano };
}

/** The input channels of a layer: its stored kernel's [k][C / groups][...] middle axis times groups. */
function channelsOf(layer: GraphLayer, groups: number): number {
  const shape = layer.imported.weights[0].shape;
  return shape[shape.length - 2] * groups;
}

/** Conv1D / Convolution1D / AtrousConvolution1D, any groups, Keras 1 and Theano files. */
export function planConv1d(layer: GraphLayer, generation: KerasGeneration): TrainableLayer {
  const d = layer.imported.details;
  const F = Number(d.filters);
  const groups = Number(d.groups ?? 1);
  const g = { ...geometryOf(layer, generation, F, groups), C: channelsOf(layer, groups) };
  const activation = activationOf(layer, d.activation, generation);
  const useBias = d.useBias !== false;
  type Saved = { conv: ConvSaved; z: number; output: number };
  const plan: TrainableLayer<Saved> = {
    layer,
    weights: layer.imported.weights.map((w) => w.name),
    masks: 'consume',
    forward(ctx, input, w) {
      const { z, saved } = convForward(ctx, g, layer, input, w[0], useBias ? w[1] : null);
      const [B] = input.shape;
      const output = applyActivation(ctx.memory, z, B * saved.Tout * F, F, activation, true);
      return { output: { ptr: output, shape: [B, saved.Tout, F] }, saved: { conv: saved, z, output } };
    },
    backward(ctx, s, dOut) {
      const n = s.conv.input.shape[0] * s.conv.Tout * F;
      const dz = activationGradient(ctx.memory, activation, s.z, s.output, dOut, n, F);
      const r = convBackward(ctx.memory, g, s.conv, dz, useBias);
      return { dInput: r.dx, grads: r.db ? [r.dW, r.db] : [r.dW] };
    },
  };
  return plan as TrainableLayer;
}

/**
 * DepthwiseConv1D (its own bias of C · dm) and SeparableConv1D (depthwise without bias, then the
 * pointwise kernel [1][C · dm][filters] as a Dense with the layer's bias): the depthwise kernel
 * [k][C][dm] is the grouped kernel of groups = C.
 */
export function planDepthwiseConv1d(layer: GraphLayer, generation: KerasGeneration): TrainableLayer {
  const d = layer.imported.details;
  const separable = layer.imported.className !== 'DepthwiseConv1D';
  const dm = Number(d.depthMultiplier ?? 1);
  const C = layer.imported.weights[0].shape[1];
  const g = { ...geometryOf(layer, generation, C * dm, C), C };
  const filters = separable ? Number(d.filters) : C * dm;
  const activation = activationOf(layer, d.activation, generation);
  const useBias = d.useBias !== false;
  type Saved = { conv: ConvSaved; mid: number; pw: number; z: number; output: number };
  const plan: TrainableLayer<Saved> = {
    layer,
    weights: layer.imported.weights.map((w) => w.name),
    masks: 'consume',
    forward(ctx, input, w) {
      const { memory } = ctx;
      const [B] = input.shape;
      const bias = useBias ? w[separable ? 2 : 1] : null;
      const { z: mid, saved } = convForward(ctx, g, layer, input, w[0], separable ? null : bias);
      let z = mid;
      let pw = 0;
      if (separable) {
        const rows = B * saved.Tout;
        pw = ctx.put(w[1]);
        z = memory.scratch(rows * filters * 4);
        memory.kernels.denseForwardTrain(mid, rows, C * dm, filters, pw, bias ? ctx.put(bias) : 0, z, denseWork(memory, rows, C * dm, filters));
      }
      const output = applyActivation(memory, z, B * saved.Tout * filters, filters, activation, true);
      return { output: { ptr: output, shape: [B, saved.Tout, filters] }, saved: { conv: saved, mid, pw, z, output } };
    },
    backward(ctx, s, dOut) {
      const { memory } = ctx;
      const rows = s.conv.input.shape[0] * s.conv.Tout;
      let dz = activationGradient(memory, activation, s.z, s.output, dOut, rows * filters, filters);
      const grads: Float32Array[] = [];
      let pointwise: Float32Array[] = [];
      if (separable) {
        const K = C * dm;
        const dMid = memory.scratch(rows * K * 4);
        const dPw = memory.scratch(K * filters * 4);
        const db = useBias ? memory.scratch(filters * 4) : 0;
        memory.kernels.denseBackward(s.mid, dz, rows, K, filters, s.pw, dMid, dPw, db, denseWork(memory, rows, K, filters));
        pointwise = [memory.f32(dPw, K * filters).slice(), ...(db ? [memory.f32(db, filters).slice()] : [])];
        dz = dMid;
      }
      const r = convBackward(memory, g, s.conv, dz, !separable && useBias);
      grads.push(r.dW, ...pointwise, ...(r.db ? [r.db] : []));
      return { dInput: r.dx, grads };
    },
  };
  return plan as TrainableLayer;
}
