/**
 * Every failure kerasrnn reports is a {@link KerasRnnError}. The subclasses follow the reference
 * design (Deeplearning4j's Keras import): a configuration that is wrong, a configuration that is
 * valid Keras but that kerasrnn cannot run, a file that cannot be read, and bad predict input.
 */

/** Where a problem was found: any of these that are known end up in the message. */
export interface ErrorContext {
  /** The model file (or archive member) being read. */
  file?: string;
  /** The Keras layer name. */
  layer?: string;
  /** The Keras layer class. */
  className?: string;
  /** The config field or weight name. */
  field?: string;
  /** The offending value (printed with JSON.stringify, shortened). */
  value?: unknown;
}

function describeValue(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
  } catch {
    text = String(value);
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function formatMessage(message: string, ctx: ErrorContext): string {
  const parts: string[] = [];
  if (ctx.file !== undefined) parts.push(`file ${JSON.stringify(ctx.file)}`);
  if (ctx.layer !== undefined) {
    parts.push(`layer ${JSON.stringify(ctx.layer)}${ctx.className ? ` (${ctx.className})` : ''}`);
  } else if (ctx.className !== undefined) {
    parts.push(`class ${ctx.className}`);
  }
  if (ctx.field !== undefined) parts.push(`field ${JSON.stringify(ctx.field)}`);
  if ('value' in ctx) parts.push(`value ${describeValue(ctx.value)}`);
  return parts.length ? `${message} [${parts.join(', ')}]` : message;
}

/** Base class of every error kerasrnn throws on purpose. */
export class KerasRnnError extends Error {
  /** Where the problem was found. */
  readonly context: ErrorContext;
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(formatMessage(message, context), options);
    this.name = new.target.name;
    this.context = { ...context };
  }
}

/** The model's configuration or weights are wrong: missing or contradictory fields, bad shapes. */
export class InvalidKerasConfigurationError extends KerasRnnError {}

/** Valid Keras, but kerasrnn cannot run it (an unknown layer, a Lambda layer, an option). */
export class UnsupportedKerasConfigurationError extends KerasRnnError {}

/** The file itself cannot be read: not HDF5 / JSON / zip, truncated, corrupt, over a size cap. */
export class ModelFileError extends KerasRnnError {}

/** The input given to predict or a stream does not fit the model. */
export class InputError extends KerasRnnError {}

/** A resource cap was reached (wasm memory, configured limits). */
export class ResourceLimitError extends KerasRnnError {}

/**
 * A fault inside kerasrnn itself (a broken invariant, a stale build), not a problem with the
 * model or the input: please report it with the model that triggers it.
 */
export class InternalError extends KerasRnnError {}
