#!/usr/bin/env node
/**
 * The `kerasrnn` command: inspect, predict, bench, generate, convert, serve. Uses only the package's public API.
 * Results go to stdout, progress / timing / errors to stderr; exit code 0 on success, 1 when the
 * command failed, 2 for a usage error (unknown option, bad option value).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { reportError } from './errors.js';
import { inspect } from './inspect.js';
import { predict } from './predict.js';
import { bench } from './bench.js';
import { addGenerateCommand } from './generate.js';
import { registerConvert } from './convert.js';
import { serve } from './serve.js';

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be an integer >= 1.`);
    return n;
  };
}

function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a number > 0.`);
    return n;
  };
}

function intList(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  if (!parts.every((p) => /^\d+$/.test(p) && Number(p) >= 1)) throw new InvalidArgumentError('give integers >= 1 separated by commas, e.g. 1,32.');
  return parts.map(Number);
}

function nameList(value: string, previous: string[] | undefined): string[] {
  const names = value.split(',').map((s) => s.trim());
  if (names.some((n) => n === '')) throw new InvalidArgumentError('give layer names separated by commas, e.g. lstm,dense.');
  return [...(previous ?? []), ...names];
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * The --help examples, on the example model and input the package ships (`examples/`), with paths
 * as seen from the current folder, so that each line runs as printed (in a clone or an install).
 */
function helpExamples(): string {
  const shipped = (name: string) => {
    const file = fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));
    const rel = path.relative(process.cwd(), file);
    return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
  };
  const model = shipped('sine_forecaster.h5');
  const input = shipped('sine_input.npy');
  return `
Examples: (the example model and input ship with kerasrnn)
  kerasrnn inspect ${model}
  kerasrnn predict ${model} --input ${input}
  kerasrnn predict ${model} -i ${input} -o y.npy --batch-size 512 --verbose
  kerasrnn predict ${model} -i ${input} --outputs lstm,dense --json
  kerasrnn bench ${model} --batch-sizes 1,64 --seconds 0.5
  kerasrnn convert ${model} sine.keras
  kerasrnn serve ${model} --port 8000 --workers 2
Each command's options: kerasrnn <command> --help`;
}

/** Builds the program; `out` / `err` receive stdout / stderr text. */
export function buildProgram(out: (s: string) => void, err: (s: string) => void): Command {
  const program = new Command('kerasrnn');
  program
    .description('Run Keras recurrent models (LSTM, GRU, SimpleRNN) from .h5 / .keras / JSON files on WebAssembly.')
    .version(packageVersion(), '-V, --version', 'print the kerasrnn version')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: out, writeErr: err, outputError: (s, write) => write(`kerasrnn: ${s}`) })
    .exitOverride();

  program
    .command('inspect')
    .description('print the Keras-style summary, the Keras version and backend the file came from, and import notes')
    .argument('<model>', 'model file: .h5, .keras, a TF.js model.json, a SavedModel directory, or a JSON config (with --weights)')
    .option('-w, --weights <file>', 'weights file (model.save_weights) for a JSON config')
    .option('--json', 'machine-readable JSON output')
    .action(async (model: string, opts: { weights?: string; json?: boolean }) => {
      out(`${await inspect(model, opts)}\n`);
    });

  program
    .command('predict')
    .description('run the model on an input file and print or write the outputs')
    .argument('<model>', 'model file: .h5, .keras, a TF.js model.json, a SavedModel directory, or a JSON config (with --weights)')
    .option('-i, --input <file>', 'input .npy / .csv / .json (repeat for models with several inputs, in input order)', collect)
    .option('--tokenizer <file>', 'Keras Tokenizer JSON (tokenizer.to_json()) for --text')
    .option('--text <text>', 'a text to run instead of --input (repeat for several; needs --tokenizer)', collect)
    .option('-o, --output <file>', 'write the outputs to .npy / .csv / .json instead of printing them')
    .option('-b, --batch-size <n>', 'samples per predict call (the input is streamed in batches)', positiveInt('--batch-size'), 64)
    .option('-w, --weights <file>', 'weights file (model.save_weights) for a JSON config')
    .addOption(new Option('--csv-rows <layout>', 'CSV lines are samples (flattened) or the time steps of one sequence').choices(['samples', 'steps']).default('samples'))
    .option('--json', 'print the outputs as JSON (when no --output is given)')
    .option('--outputs <names>', 'return these layers\' outputs instead of the model\'s: layer names separated by commas (name:1 = its 2nd output)', nameList)
    .option('--argmax', 'print the best class of each output row instead of the values')
    .option('--top-k <k>', 'print the k best classes with their scores', positiveInt('--top-k'))
    .option('--labels <file>', 'class names for --argmax / --top-k: one per line, or JSON (array, or {"0": "cat"} / {"cat": 0})')
    .option('--threads <n>', 'worker threads for large batches (Node.js; default 1)', positiveInt('--threads'))
    .addOption(new Option('--kernels <build>', 'wasm kernel build: relaxed-simd (fused multiply-add, where the runtime has it), simd, or auto').choices(['auto', 'simd', 'relaxed-simd']).default('auto'))
    .option('-v, --verbose', 'print load / read / predict / write timing to stderr')
    .option('-q, --quiet', 'no progress bar and no "wrote" line')
    .action(async (model: string, opts: Parameters<typeof predict>[1], cmd: Command) => {
      if (!opts.input && !opts.text) cmd.error("error: required option '-i, --input <file>' not specified (or give --tokenizer <file> --text <text>)");
      await predict(model, opts, {
        out,
        err,
        errIsTty: Boolean(process.stderr.isTTY),
        errStream: process.stderr,
      });
    });

  program
    .command('bench')
    .description('measure latency and throughput of the model on this machine (synthetic input)')
    .argument('<model>', 'model file: .h5, .keras, a TF.js model.json, a SavedModel directory, or a JSON config (with --weights)')
    .option('--batch-sizes <list>', 'batch sizes to measure, comma separated', intList, [1, 32])
    .option('--steps <n>', 'time steps when the model input length is not fixed (default 100)', positiveInt('--steps'))
    .option('--seconds <s>', 'measuring time per batch size', positiveNumber('--seconds'), 1)
    .option('--threads <n>', 'worker threads for large batches (Node.js; default 1)', positiveInt('--threads'))
    .addOption(new Option('--kernels <build>', 'wasm kernel build: relaxed-simd (fused multiply-add, where the runtime has it), simd, or auto').choices(['auto', 'simd', 'relaxed-simd']).default('auto'))
    .option('-w, --weights <file>', 'weights file (model.save_weights) for a JSON config')
    .option('--json', 'machine-readable JSON output')
    .action(async (model: string, opts: Parameters<typeof bench>[1]) => {
      out(`${await bench(model, opts)}\n`);
    });

  addGenerateCommand(program, out);
  registerConvert(program, out);
  program
    .command('serve')
    .description('serve models over HTTP with the Open Inference Protocol (KServe v2): dynamic batching, sequences, /metrics')
    .argument('<models...>', 'model files or folders (every format loadModel reads), or folders holding several')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('-p, --port <n>', 'port (0: any free port)', (v: string) => (v === '0' ? 0 : positiveInt('--port')(v)), 8000)
    .option('--name <name>', 'serve the model argument at the same position under this name (repeatable)', collect)
    .option('--workers <n>', 'worker threads, each with its own instance of every model', positiveInt('--workers'), 1)
    .option('--max-batch-size <n>', 'most rows merged into one call (1: no dynamic batching)', positiveInt('--max-batch-size'), 32)
    .option('--batch-delay-ms <ms>', 'hold a request this long for others to join its batch even when a worker is free (0: merge only what queued while workers were busy)', (v: string) => (v === '0' ? 0 : positiveNumber('--batch-delay-ms')(v)), 0)
    .option('--max-sequences <n>', 'most live sequences (sequence_id) at once', positiveInt('--max-sequences'), 1024)
    .option('--sequence-idle-ms <ms>', 'drop a sequence idle this long', positiveNumber('--sequence-idle-ms'), 60000)
    .option('--max-body-bytes <n>', 'largest request body', positiveInt('--max-body-bytes'), 64 * 1024 * 1024)
    .option('--request-timeout-ms <ms>', 'longest a request may wait for a worker (and to be received)', positiveNumber('--request-timeout-ms'), 30000)
    .action(async (models: string[], opts: Parameters<typeof serve>[1]) => {
      await serve(models, opts, packageVersion(), err);
    });

  program.addHelpText('after', () => helpExamples());
  return program;
}

/** Runs the CLI with these arguments (without node and the script); returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const out = (s: string) => void process.stdout.write(s);
  const err = (s: string) => void process.stderr.write(s);
  const program = buildProgram(out, err);
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
    }
    return reportError(e, err);
  }
}

// `kerasrnn predict ... | head`: a closed pipe is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.exitCode = reportError(e, (s) => void process.stderr.write(s));
  },
);
