import { InvalidKerasConfigurationError } from '../errors.js';
import type { WasmMemory } from '../wasm/memory.js';
import { resolveActivation } from '../keras/activations.js';
import { theanoConvolutions } from '../keras/semantics.js';
import { applyActivation } from './activation-kernel.js';
import { readWindowLayer, windowOverInput } from './conv-utils.js';
import type { ImportedLayer, ImportRequest, LayerImporter, WeightSpec } from './types.js';
import { CONV1D_PARAMS } from '../wasm/kernel-exports.js';

const PANEL = 16;

function padTo16(n: number): number {
  return Math.ceil(n / PANEL) * PANEL;
}

/**
 * Packs a [k][cg][F] kernel (row-major, i.e. a (k*cg) x F matrix per group's columns) into one
 * gemm panel set per group, groups back to back, plus zero-padded per-group bias blocks: the
 * layout `assembly/conv1d.ts` reads.
 */
export function packConvKernel(
  memory: WasmMemory,
  kernel: Float32Array,
  K: number,
  F: number,
  groups: number,
  bias: Float32Array | null,
): { W: number; bias: number } {
  const Fg = F / groups;
  const groupFloats = padTo16(Fg) * K;
  const W = memory.alloc(groups * groupFloats * 4);
  const b = bias ? memory.alloc(groups * padTo16(Fg) * 4) : 0;
  memory.beginScratch();
  try {
    const src = memory.scratch(kernel.length * 4);
    memory.f32(src, kernel.length).set(kernel);
    for (let g = 0; g < groups; g++) {
      memory.kernels.packGateColumns(src + g * Fg * 4, F, K, Fg, 0, 1, PANEL, W + g * groupFloats * 4, PANEL);
      if (bias) memory.f32(b + g * padTo16(Fg) * 4, Fg).set(bias.subarray(g * Fg, (g + 1) * Fg));
    }
  } finally {
    memory.endScratch();
  }
  return { W, bias: b };
}

/** Reverses a [k][rest] kernel along k (Theano's flipped kernels, as Keras' convert_kernel). */
export function flipKernel(kernel: Float32Array, k: number): Float32Array {
  const rest = kernel.length / k;
  const out = new Float32Array(kernel.length);
  for (let j = 0; j < k; j++) out.set(kernel.subarray(j * rest, (j + 1) * rest), (k - 1 - j) * rest);
  return out;
}

/** Keras 1.0's Convolution1D kernel (F, C, k, 1) -> (k, C, F). */
function fckToKcf(w: Float32Array, F: number, C: number, k: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let f = 0; f < F; f++) for (let c = 0; c < C; c++) for (let j = 0; j < k; j++) out[(j * C + c) * F + f] = w[(f * C + c) * k + j];
  return out;
}

/**
 * `Conv1D` (Keras 2 / 3), Keras 1 `Convolution1D` and `AtrousConvolution1D`: a convolution over
 * time of a (batch, steps, channels) input, run as a GEMM in wasm (assembly/conv1d.ts).
 * Padding valid / same / causal (and Keras 1 Theano's `full`), strides, dilation, groups. The
 * mask is dropped, as Keras does (Conv1D does not support masking: Keras 3 destroys the mask,
 * Keras 1/2 refuse a masked input).
 */
export const Conv1DImporter: LayerImporter = {
  classNames: ['Conv1D', 'Convolution1D', 'AtrousConvolution1D'],
  import(req: ImportRequest): ImportedLayer {
    const cfg = req.config;
    const keras1 = req.generation.major === 1;
    const theano = theanoConvolutions(req.generation);
    const geometry = readWindowLayer(req, 'conv', keras1 ? ['valid', 'same', 'full'] : ['valid', 'same', 'causal'], theano);
    const { win, B, C, Tout } = geometry;
    const { size: k, stride, dilation, padding } = win;
    const filters = cfg.int('filters');
    const groups = cfg.intField('groups', { fallback: 1 });
    const useBias = cfg.bool('useBias', true);
    const activation = resolveActivation(cfg.field('activation') ?? 'linear', req.generation, { ...req.context, field: 'activation' });
    if (C % groups !== 0 || filters % groups !== 0) {
      throw new InvalidKerasConfigurationError(`groups (${groups}) must divide the input channels (${C}) and filters (${filters})`, {
        ...req.context,
        field: 'groups',
        value: groups,
      });
    }
    const cg = C / groups;
    const notes: string[] = [];
    for (const f of ['kernel_regularizer', 'bias_regularizer', 'W_regularizer', 'b_regularizer', 'activity_regularizer']) {
      if (cfg.field(f)) notes.push(`${f} ignored (training only)`);
    }
    if (theano) notes.push('Theano file: kernels flipped to cross-correlation; Theano "same" padding');
    else if (keras1 && req.generation.backend === undefined) {
      notes.push('Keras 1 files do not record their backend: kernels read as TensorFlow stores them (as Keras 2 loads such files)');
    }
    // Keras 1.0 stored the kernel as (nb_filter, input_dim, filter_length, 1), Keras 1.1+ as
    // (filter_length, 1, input_dim, nb_filter) (same memory order as Keras 2's (k, C, F)); like
    // Keras' loaders, the stored shape tells which, whatever version the file states.
    const kernel: WeightSpec = keras1
      ? { name: 'W', shape: [k, 1, C, filters], otherLayouts: [{ shape: [filters, C, k, 1], convert: (w) => fckToKcf(w, filters, C, k) }] }
      : { name: 'kernel', shape: [k, cg, filters] };
    const weights: WeightSpec[] = [
      kernel,
      ...(useBias ? [{ name: keras1 ? 'b' : 'bias', shape: [filters] }] : []),
    ];
    return {
      name: req.name,
      className: req.className,
      outputShapes: [[B, Tout, filters]],
      numParams: k * cg * filters + (useBias ? filters : 0),
      weights,
      notes,
      inputPreprocessor: null,
      details: { filters, kernelSize: k, strides: stride, dilationRate: dilation, padding, groups, activation: activation.name, useBias },
      instantiate(arrays, memory) {
        const kernel = theano ? flipKernel(arrays[0], k) : arrays[0];
        const packed = packConvKernel(memory, kernel, k * cg, filters, groups, useBias ? arrays[1] : null);
        const kx = memory.kernels;
        return {
          run(inputs, _masks, ctx) {
            const x = inputs[0];
            const { b, t, tOut, padLeft } = windowOverInput(geometry, x.shape, req);
            const scratch = ctx.memory.scratch(kx.conv1dScratchFloats(t, C, tOut, k, stride, dilation, padLeft, groups) * 4);
            const out = { ptr: ctx.memory.scratch(b * tOut * filters * 4), shape: [b, tOut, filters] };
            kx.conv1d(ctx.memory.paramBlock(CONV1D_PARAMS, {
              x: x.ptr, batch: b, steps: t, channels: C, out: out.ptr, outSteps: tOut, size: k, stride, dilation, padLeft,
              kernel: packed.W, bias: packed.bias, filters, groups, scratch,
            }));
            applyActivation(ctx.memory, out, activation);
            return { outputs: [out], masks: [null] };
          },
        };
      },
    };
  },
};
