import { InputError, InvalidKerasConfigurationError, UnsupportedKerasConfigurationError } from '../errors.js';
import type { ConfigConcept } from '../keras/field-names.js';
import type { ImportRequest } from './types.js';

/** Padding modes of 1D windows: Keras 1 `border_mode` / Keras 2-3 `padding`. */
export type Padding1D = 'valid' | 'same' | 'causal' | 'full';

/**
 * A 1D window geometry (convolution or pooling) over time, with Keras' output-length rules
 * (`conv_utils.conv_output_length`) and the padding each backend puts before the input.
 */
export interface Window1D {
  padding: Padding1D;
  /** Window length (pool size or kernel size). */
  size: number;
  stride: number;
  dilation: number;
  /** Theano's 'same' padding (floor(window / 2) steps before the input). */
  theanoSame: boolean;
}

/** Length of the dilated window. */
export function windowSpan(w: Window1D): number {
  return w.dilation * (w.size - 1) + 1;
}

/** Output steps for `T` input steps (Keras' conv_output_length); may be <= 0 when T is too short. */
export function windowOutputLength(w: Window1D, T: number): number {
  const span = windowSpan(w);
  const ceilDiv = (a: number, b: number) => Math.floor((a + b - 1) / b);
  switch (w.padding) {
    case 'valid':
      return ceilDiv(T - span + 1, w.stride);
    case 'full':
      return ceilDiv(T + span - 1, w.stride);
    default: // same, causal
      return ceilDiv(T, w.stride);
  }
}

/** Steps of zero padding before the input (TensorFlow SAME puts the odd step after). */
export function windowPadLeft(w: Window1D, T: number): number {
  const span = windowSpan(w);
  switch (w.padding) {
    case 'valid':
      return 0;
    case 'causal':
    case 'full':
      return span - 1;
    default: {
      if (w.theanoSame) return Math.floor(span / 2);
      const total = Math.max((windowOutputLength(w, T) - 1) * w.stride + span - T, 0);
      return Math.floor(total / 2);
    }
  }
}

/** The output length for a symbolic input length, refusing windows longer than a known input. */
export function symbolicOutputLength(w: Window1D, T: number | null, req: ImportRequest, field: string): number | null {
  if (T === null) return null;
  const out = windowOutputLength(w, T);
  if (out <= 0) {
    throw new InvalidKerasConfigurationError(`the window (${windowSpan(w)} steps) is longer than the input (${T} steps)`, {
      ...req.context,
      field,
      value: w.size,
    });
  }
  return out;
}

/** The output length for a concrete input at predict time (InputError when the input is too short). */
export function runtimeOutputLength(w: Window1D, T: number, layer: string, className: string): number {
  const out = windowOutputLength(w, T);
  if (out <= 0) {
    throw new InputError(`the input has ${T} steps, fewer than the layer's window of ${windowSpan(w)}`, {
      layer,
      className,
      field: 'input',
      value: T,
    });
  }
  return out;
}

/** An integer given either bare or as a one-element list (Keras 2/3 store tuples as lists). */
export function readInt1(req: ImportRequest, concept: ConfigConcept, fallback?: number, min = 1): number {
  const cfg = req.config;
  const field = cfg.fieldOf(concept) ?? concept;
  let v = cfg.get(concept);
  if (Array.isArray(v)) {
    if (v.length !== 1) {
      throw new InvalidKerasConfigurationError('expected one integer (a 1D layer)', { ...req.context, field, value: v });
    }
    v = v[0];
  }
  return cfg.intField(field, { min, fallback, value: v });
}

/** `padding` / `border_mode`, lower-cased and checked against the modes the layer accepts. */
export function readPadding(req: ImportRequest, allowed: readonly Padding1D[]): Padding1D {
  const raw = req.config.string('convPadding', 'valid');
  const p = raw.toLowerCase();
  if (!allowed.includes(p as Padding1D)) {
    throw new UnsupportedKerasConfigurationError(`padding "${raw}" is not supported here (expected ${allowed.join(', ')})`, {
      ...req.context,
      field: req.config.fieldOf('convPadding') ?? 'padding',
      value: raw,
    });
  }
  return p as Padding1D;
}

/** Refuses `data_format='channels_first'` (kerasrnn's time layers are channels last, like Keras' default). */
export function requireChannelsLast(req: ImportRequest): void {
  const f = req.config.field('data_format') ?? req.config.field('dim_ordering');
  if (f === undefined || f === null || f === 'channels_last' || f === 'tf' || f === 'default') return;
  throw new UnsupportedKerasConfigurationError('only channels_last data is supported for this layer', {
    ...req.context,
    field: req.config.field('data_format') !== undefined ? 'data_format' : 'dim_ordering',
    value: f,
  });
}

/** The (batch, steps, channels) input of a 1D layer; channels must be known. */
export function sequenceInput(req: ImportRequest): { B: number | null; T: number | null; C: number } {
  const input = req.inputShapes[0];
  if (!input || input.length !== 3 || input[2] === null) {
    throw new InvalidKerasConfigurationError(`${req.className} needs a (batch, steps, channels) input with a known channel count`, {
      ...req.context,
      field: 'input_shape',
      value: input,
    });
  }
  return { B: input[0], T: input[1], C: input[2] };
}

/** A 1D window layer's geometry, read from its config and input shape at import. */
export interface WindowLayer {
  win: Window1D;
  /** The symbolic input (batch, steps, channels) and output steps. */
  B: number | null;
  T: number | null;
  C: number;
  Tout: number | null;
}

/**
 * Reads the window of a convolution (`kernelSize`, `convStrides`, `dilationRate`) or pooling
 * layer (`poolSize`, `poolStrides`, no dilation): channels last, the allowed paddings, the
 * (batch, steps, channels) input, and the output length (refusing a window longer than a known
 * input, naming the size field).
 */
export function readWindowLayer(
  req: ImportRequest,
  kind: 'conv' | 'pool',
  allowed: readonly Padding1D[],
  theanoSame: boolean,
): WindowLayer {
  requireChannelsLast(req);
  const sizeConcept = kind === 'conv' ? 'kernelSize' : 'poolSize';
  const size = kind === 'conv' ? readInt1(req, 'kernelSize') : readInt1(req, 'poolSize', 2);
  // a pooling layer's strides=None means "the pool size" (Keras stores the resolved value, older files null)
  const stride = kind === 'conv' ? readInt1(req, 'convStrides', 1) : readInt1(req, 'poolStrides', size);
  const dilation = kind === 'conv' ? readInt1(req, 'dilationRate', 1) : 1;
  const padding = readPadding(req, allowed);
  const { B, T, C } = sequenceInput(req);
  const win: Window1D = { padding, size, stride, dilation, theanoSame };
  const Tout = symbolicOutputLength(win, T, req, req.config.fieldOf(sizeConcept) ?? (kind === 'conv' ? 'kernel_size' : 'pool_size'));
  return { win, B, T, C, Tout };
}

/**
 * The window over a concrete (batch, steps, channels) input at predict time: output steps and
 * the zero steps before the input. InputError when the channels differ from the layer's or the
 * input is shorter than the window.
 */
export function windowOverInput(
  layer: WindowLayer,
  shape: readonly number[],
  req: ImportRequest,
): { b: number; t: number; tOut: number; padLeft: number } {
  const [b, t, c] = shape;
  if (c !== layer.C) throw new InputError(`expected ${layer.C} channels, got ${c}`, { layer: req.name, className: req.className, field: 'input', value: shape });
  const tOut = runtimeOutputLength(layer.win, t, req.name, req.className);
  return { b, t, tOut, padLeft: windowPadLeft(layer.win, t) };
}
