/**
 * How the CLI reports failures: one line naming what went wrong (the library's messages already
 * name file, layer, field and value) and one line saying what to do, on stderr, exit code 1.
 */
import {
  InputError,
  InvalidKerasConfigurationError,
  KerasRnnError,
  ModelFileError,
  ResourceLimitError,
  UnsupportedKerasConfigurationError,
} from '../index.js';

/** A CLI-level problem (bad option value, unreadable input file) with a hint on what to do. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Wraps a Node file-system error so that the message names the file and the cause in words. */
export function fileError(err: unknown, file: string, action: 'read' | 'write'): CliError {
  const code = (err as { code?: string })?.code;
  const why =
    code === 'ENOENT'
      ? action === 'read'
        ? 'file not found'
        : 'the folder does not exist'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'it is a folder'
          : ((err as Error)?.message ?? String(err));
  return new CliError(
    `cannot ${action} "${file}": ${why}`,
    action === 'read' ? 'check the path (relative paths start from the current folder)' : 'choose an --output path in an existing, writable folder',
  );
}

function hintFor(err: KerasRnnError): string {
  if (err instanceof ModelFileError) {
    return /not found/.test(err.message)
      ? 'check the path; kerasrnn reads .h5, .keras, Keras JSON and TF.js model.json files, and SavedModel folders'
      : 'give a model saved by Keras (model.save("model.h5") or "model.keras", or model.to_json() with --weights)';
  }
  if (err instanceof UnsupportedKerasConfigurationError) return 'see "Supported layers" in the kerasrnn README for what can run';
  if (err instanceof InvalidKerasConfigurationError) return 'the model file is inconsistent or incomplete; save it again from Keras';
  if (err instanceof InputError && err.context.field === 'kernels') return 'run with --kernels auto (or simd), or start Node 20 with --experimental-wasm-relaxed-simd';
  if (err instanceof InputError) return 'compare the input with the model inputs that `kerasrnn inspect <model>` lists';
  if (err instanceof ResourceLimitError) return 'use a smaller --batch-size';
  return 'see the kerasrnn README';
}

/** Writes the error and its hint to stderr; returns the exit code. */
export function reportError(err: unknown, write: (text: string) => void): number {
  if (err instanceof CliError) {
    write(`kerasrnn: error: ${err.message}\n`);
    if (err.hint) write(`  hint: ${err.hint}\n`);
    return 1;
  }
  if (err instanceof KerasRnnError) {
    write(`kerasrnn: ${err.name}: ${err.message}\n`);
    write(`  hint: ${hintFor(err)}\n`);
    return 1;
  }
  // Not an error kerasrnn raises on purpose: show the stack, it is a bug to report.
  write(`kerasrnn: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
  write('  hint: this is a bug in kerasrnn; please report it with the command you ran\n');
  return 1;
}
