import { resolveActivation } from '../keras/activations.js';
import { theanoConvolutions } from '../keras/semantics.js';
import { applyActivation } from './activation-kernel.js';
import { flipKernel, packConvKernel } from './conv1d.js';
import { readWindowLayer, windowOverInput } from './conv-utils.js';
import type { ImportedLayer, ImportRequest, LayerImporter, WeightSpec } from './types.js';
import { DEPTHWISE_CONV1D_PARAMS } from '../wasm/kernel-exports.js';

/** The depthwise half shared by SeparableConv1D and DepthwiseConv1D. */
function depthwiseGeometry(req: ImportRequest) {
  const cfg = req.config;
  const theano = theanoConvolutions(req.generation);
  const layer = readWindowLayer(req, 'conv', ['valid', 'same', 'causal'], theano);
  const { B, C, Tout } = layer;
  const { size: k, stride, dilation, padding } = layer.win;
  const dm = cfg.intField('depth_multiplier', { fallback: 1 });
  const useBias = cfg.bool('useBias', true);
  const activation = resolveActivation(cfg.field('activation') ?? 'linear', req.generation, { ...req.context, field: 'activation' });
  const notes: string[] = [];
  for (const f of ['depthwise_regularizer', 'pointwise_regularizer', 'bias_regularizer', 'activity_regularizer']) {
    if (cfg.field(f)) notes.push(`${f} ignored (training only)`);
  }
  if (theano) notes.push('Theano file: kernels flipped to cross-correlation; Theano "same" padding');
  /** The depthwiseConv1d block's fields but the output and weights, for one input. */
  const window = (x: number, batch: number, steps: number, outSteps: number, padLeft: number) =>
    ({ x, batch, steps, channels: C, depthMultiplier: dm, outSteps, size: k, stride, dilation, padLeft });
  return { layer, k, stride, dilation, padding, dm, useBias, activation, B, C, theano, Tout, notes, window };
}

/**
 * `SeparableConv1D`: a depthwise convolution (each input channel convolved with
 * `depth_multiplier` filters of its own; output channel c * dm + m) followed by a pointwise
 * (1-step) convolution to `filters` channels, bias, activation. The depthwise step runs in
 * `depthwiseConv1d`, the pointwise one as a GEMM. The mask is dropped (as for Conv1D).
 */
export const SeparableConv1DImporter: LayerImporter = {
  classNames: ['SeparableConv1D', 'SeparableConvolution1D'],
  import(req: ImportRequest): ImportedLayer {
    const g = depthwiseGeometry(req);
    const filters = req.config.int('filters');
    const { k, dm, C } = g;
    const weights: WeightSpec[] = [
      { name: 'depthwise_kernel', shape: [k, C, dm] },
      { name: 'pointwise_kernel', shape: [1, C * dm, filters] },
      ...(g.useBias ? [{ name: 'bias', shape: [filters] }] : []),
    ];
    return {
      name: req.name,
      className: req.className,
      outputShapes: [[g.B, g.Tout, filters]],
      numParams: k * C * dm + C * dm * filters + (g.useBias ? filters : 0),
      weights,
      notes: g.notes,
      inputPreprocessor: null,
      details: {
        filters, kernelSize: k, strides: g.stride, dilationRate: g.dilation, padding: g.padding, depthMultiplier: dm,
        activation: g.activation.name, useBias: g.useBias,
      },
      instantiate(arrays, memory) {
        const depthwise = memory.allocF32(g.theano ? flipKernel(arrays[0], k) : arrays[0]);
        const pointwise = packConvKernel(memory, arrays[1], C * dm, filters, 1, g.useBias ? arrays[2] : null);
        const kx = memory.kernels;
        return {
          run(inputs, _masks, ctx) {
            const x = inputs[0];
            const { b, t, tOut, padLeft } = windowOverInput(g.layer, x.shape, req);
            const mid = ctx.memory.scratch(b * tOut * C * dm * 4);
            kx.depthwiseConv1d(ctx.memory.paramBlock(DEPTHWISE_CONV1D_PARAMS, { ...g.window(x.ptr, b, t, tOut, padLeft), out: mid, kernel: depthwise, bias: 0 }));
            const out = { ptr: ctx.memory.scratch(b * tOut * filters * 4), shape: [b, tOut, filters] };
            kx.gemm(mid, C * dm, b * tOut, C * dm, pointwise.W, filters, out.ptr, filters, pointwise.bias);
            applyActivation(ctx.memory, out, g.activation);
            return { outputs: [out], masks: [null] };
          },
        };
      },
    };
  },
};

/** `DepthwiseConv1D` (tf.keras 2.9+, Keras 3): the depthwise half alone, with its own bias of C * dm. */
export const DepthwiseConv1DImporter: LayerImporter = {
  classNames: ['DepthwiseConv1D'],
  import(req: ImportRequest): ImportedLayer {
    const g = depthwiseGeometry(req);
    const { k, dm, C } = g;
    const O = C * dm;
    return {
      name: req.name,
      className: req.className,
      outputShapes: [[g.B, g.Tout, O]],
      numParams: k * O + (g.useBias ? O : 0),
      weights: [{ name: 'depthwise_kernel', shape: [k, C, dm] }, ...(g.useBias ? [{ name: 'bias', shape: [O] }] : [])],
      notes: g.notes,
      inputPreprocessor: null,
      details: {
        kernelSize: k, strides: g.stride, dilationRate: g.dilation, padding: g.padding, depthMultiplier: dm,
        activation: g.activation.name, useBias: g.useBias,
      },
      instantiate(arrays, memory) {
        const depthwise = memory.allocF32(g.theano ? flipKernel(arrays[0], k) : arrays[0]);
        const bias = g.useBias ? memory.allocF32(arrays[1]) : 0;
        const kx = memory.kernels;
        return {
          run(inputs, _masks, ctx) {
            const x = inputs[0];
            const { b, t, tOut, padLeft } = windowOverInput(g.layer, x.shape, req);
            const out = { ptr: ctx.memory.scratch(b * tOut * O * 4), shape: [b, tOut, O] };
            kx.depthwiseConv1d(ctx.memory.paramBlock(DEPTHWISE_CONV1D_PARAMS, { ...g.window(x.ptr, b, t, tOut, padLeft), out: out.ptr, kernel: depthwise, bias }));
            applyActivation(ctx.memory, out, g.activation);
            return { outputs: [out], masks: [null] };
          },
        };
      },
    };
  },
};
