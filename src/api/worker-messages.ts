/**
 * What the main thread and the model worker (`loadModel(src, { worker: true })`) say to each
 * other: the request and reply shapes, errors turned into data and back into the same classes,
 * and the buffers a message can hand over instead of copying.
 * @packageDocumentation
 */
import * as errors from '../errors.js';
import { KerasRnnError, type ErrorContext } from '../errors.js';

/** One request to the worker; `id` pairs it with its reply. */
export type WorkerRequest =
  | { id: number; op: 'load'; source: unknown; options: Record<string, unknown> }
  | { id: number; op: 'predict'; input: unknown; outputs?: string[] }
  | { id: number; op: 'stream' }
  | { id: number; op: 'step'; stream: number; input: unknown }
  | { id: number; op: 'reset' | 'getState' | 'close'; stream: number }
  | { id: number; op: 'setState'; stream: number; state: unknown };

/** A request before it gets its `id` (Omit applied to each member of the union). */
export type WorkerCall = WorkerRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

/** The worker's answer to the request with the same `id`: a result or an error. */
export interface WorkerReply {
  id: number;
  result?: unknown;
  error?: ErrorData;
}

/** An error as it crosses threads: class name, message and (cloneable) context fields. */
export interface ErrorData {
  /** The kerasrnn class (by the key of CLASSES, which minifying cannot rename), else the error's name. */
  name: string;
  message: string;
  context?: ErrorContext;
  stack?: string;
}

/** kerasrnn's error classes by name (every class errors.ts exports), to rebuild the worker's errors. */
const CLASSES: Record<string, new (message: string, context?: ErrorContext) => KerasRnnError> = Object.fromEntries(
  Object.entries(errors).filter(([, v]) => typeof v === 'function' && (v === KerasRnnError || v.prototype instanceof KerasRnnError)),
) as Record<string, new (message: string, context?: ErrorContext) => KerasRnnError>;

/** A context value that structured clone cannot copy (a function, a class instance with one) travels as its text. */
function cloneableValue(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch {
    return String(value);
  }
}

/** The data of an error thrown in the worker. */
export function errorToData(e: unknown): ErrorData {
  const err = e as Partial<Error> & { context?: ErrorContext };
  const data: ErrorData = { name: typeof err?.name === 'string' ? err.name : 'Error', message: String(err?.message ?? e) };
  if (e instanceof KerasRnnError) {
    // The nearest class on the prototype chain (a subclass of an exported class is sent as it).
    for (let proto = Object.getPrototypeOf(e); proto; proto = Object.getPrototypeOf(proto)) {
      const name = Object.keys(CLASSES).find((k) => CLASSES[k].prototype === proto);
      if (name) {
        data.name = name;
        break;
      }
    }
    const ctx: ErrorContext = { ...e.context };
    if ('value' in ctx) ctx.value = cloneableValue(ctx.value);
    data.context = ctx;
  }
  if (typeof err?.stack === 'string') data.stack = err.stack;
  return data;
}

/**
 * The error to throw on the main thread: the same kerasrnn class with the same message and
 * `context` fields as the worker's (so `instanceof InputError` and `e.context.field` work as for
 * a main-thread model); any other error becomes an `Error` with the worker's name and message.
 */
export function errorFromData(data: ErrorData): Error {
  const Cls = Object.hasOwn(CLASSES, data.name) ? CLASSES[data.name] : null;
  let e: Error;
  if (Cls) {
    e = new Cls('');
    // The constructor formats the message from the context; the worker's text already is that.
    Object.defineProperty(e, 'message', { value: data.message, writable: true, configurable: true });
    (e as unknown as { context: ErrorContext }).context = { ...(data.context ?? {}) };
  } else {
    e = new Error(data.message);
    e.name = data.name;
  }
  const here = (e.stack ?? '').split('\n').slice(1).join('\n');
  e.stack = `${data.stack ?? `${data.name}: ${data.message}`}\n    (in the kerasrnn worker; called from:)\n${here}`;
  return e;
}

/**
 * The ArrayBuffers behind the typed arrays of `tensors` (each once; SharedArrayBuffers and
 * buffers already detached are left out: they cannot be transferred).
 */
export function buffersOf(tensors: unknown[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const visit = (v: unknown, depth: number) => {
    if (depth > 3 || v === null || typeof v !== 'object') return;
    if (ArrayBuffer.isView(v)) {
      const b = v.buffer;
      if (b instanceof ArrayBuffer && b.byteLength > 0) out.add(b);
      return;
    }
    for (const x of Array.isArray(v) ? v : Object.values(v)) visit(x, depth + 1);
  };
  for (const t of tensors) visit(t, 0);
  return [...out];
}
