/**
 * `kerasrnn predict <model> --input x.npy [--output y.npy]`: reads the input in batches of
 * `--batch-size` samples, predicts each batch, and writes (or prints) the outputs as they come, so
 * memory stays bounded by one batch however large the input file is.
 */
import cliProgress from 'cli-progress';
import type { KernelChoice, Model, StringInput, TensorData, TensorInput } from '../index.js';
import { CliError } from './errors.js';
import { formatArray, formatCount, formatMs, formatRate, formatShape } from './format.js';
import { formatTopClasses, readLabels, tokenizerLabels, topClasses, topClassesJson } from './classes.js';
import { formatOf, openInput, type CsvRows, type InputSource } from './inputs.js';
import { loadFromArgs } from './inspect.js';
import { readTokenizer, stringInput, textInput } from './text-input.js';
import { Collector, csvSink, npySink, outputPaths, outputsJson, writeJsonFile, type OutputSink } from './outputs.js';

/** Options of the predict command. */
export interface PredictCliOptions {
  input?: string[];
  /** Keras Tokenizer JSON for --text. */
  tokenizer?: string;
  /** Texts to run (with --tokenizer) instead of --input files. */
  text?: string[];
  output?: string;
  batchSize: number;
  weights?: string;
  csvRows: CsvRows;
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
  /** Worker threads for large batches (loadModel's `threads`). */
  threads?: number;
  /** The wasm kernel build (loadModel's `kernels`). */
  kernels?: KernelChoice;
  /** Layer outputs to return instead of the model's (`name` or `name:i`). */
  outputs?: string[];
  /** Print the k best classes of each output instead of its values. */
  topK?: number;
  /** Same as `topK: 1`. */
  argmax?: boolean;
  /** Class names for topK / argmax (a text file, one per line, or JSON). */
  labels?: string;
}

/** Where the command writes: stdout for results, stderr for progress and timing. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** True when stderr is a terminal (progress bar shown). */
  errIsTty: boolean;
  errStream: NodeJS.WritableStream;
}

/** Checks `--outputs` names against the model's layers before any input is read. */
function checkOutputNames(model: Model, names: string[]): void {
  for (const n of names) {
    const m = /^(.*?)(?::(\d+))?$/.exec(n) as RegExpExecArray;
    const layer = model.layers.find((l) => l.name === m[1]);
    const tensor = m[2] === undefined ? 0 : Number(m[2]);
    if (!layer) {
      throw new CliError(`--outputs: the model has no layer "${m[1]}"`, `choose among ${model.layers.map((l) => l.name).join(', ')} (kerasrnn inspect lists them)`);
    }
    if (tensor >= layer.outputShapes.length) {
      throw new CliError(`--outputs: layer "${layer.name}" has ${layer.outputShapes.length} output${layer.outputShapes.length === 1 ? '' : 's'}, "${n}" asks for output ${tensor}`, `use ${layer.name}:0 to ${layer.name}:${layer.outputShapes.length - 1}`);
    }
  }
}

/** Runs `predict`. */
export async function predict(modelPath: string, options: PredictCliOptions, io: Io): Promise<void> {
  const topK = options.argmax ? 1 : options.topK;
  if (topK !== undefined && options.output) {
    throw new CliError('--top-k / --argmax print the best classes; they cannot be combined with --output', 'drop --output to print them (add --json for machine-readable output), or drop --top-k to write the scores');
  }
  if (options.labels && topK === undefined) throw new CliError('--labels names the classes of --top-k / --argmax', 'add --argmax or --top-k <k>');
  const labels = options.labels ? await readLabels(options.labels) : null;
  // Without --labels, a tokenizer names the classes of an output over its vocabulary (next word).
  const tokenizer = options.tokenizer ? await readTokenizer(options.tokenizer) : null;
  const labelsFor = (classes: number) => labels ?? (tokenizer && tokenizer.vocabularySize === classes ? tokenizerLabels(tokenizer) : null);
  const { model, loadMs } = await loadFromArgs(modelPath, options.weights, { threads: options.threads, kernels: options.kernels });
  const sources: InputSource[] = [];
  const sinks: OutputSink[] = [];
  try {
    if (!model.hasWeights) {
      throw new CliError(`"${modelPath}" holds the architecture only, predict needs weights`, 'pass the weights file: --weights model.weights.h5');
    }
    const inputFiles = options.input ?? [];
    if (options.text && inputFiles.length) throw new CliError('give either --input files or --text, not both');
    if (!options.text && inputFiles.length === 0) throw new CliError('no input given', 'pass --input x.npy (or --tokenizer tokenizer.json --text "...")');
    if (!options.text && inputFiles.length !== model.inputs.length) {
      const names = model.inputs.map((i) => `${i.name} ${formatShape(i.shape)}`).join(', ');
      throw new CliError(
        `the model has ${model.inputs.length} input${model.inputs.length === 1 ? '' : 's'} (${names}), ${inputFiles.length} --input file${inputFiles.length === 1 ? ' was' : 's were'} given`,
        'give one --input per model input, in this order',
      );
    }
    if (options.output) formatOf(options.output, 'output');
    if (options.outputs) checkOutputNames(model, options.outputs);
    const tRead = performance.now();
    if (options.text) {
      sources.push(options.tokenizer ? textInput(model, tokenizer ?? (await readTokenizer(options.tokenizer)), options.text) : stringInput(model, options.text));
    } else {
      for (let i = 0; i < model.inputs.length; i++) {
        sources.push(await openInput(inputFiles[i], model.inputs[i].shape, model.inputs[i].name, options.csvRows));
      }
    }
    const openMs = performance.now() - tRead;
    const rows = sources[0].rows;
    for (const s of sources) {
      if (s.rows !== rows) {
        throw new CliError(`"${s.file}" holds ${s.rows} samples, "${sources[0].file}" holds ${rows}`, 'every input file needs the same number of samples');
      }
    }

    // The names inspect lists (lstm, lstm_1 for two outputs of one layer), or the requested ones.
    const names = options.outputs ?? model.outputs.map((o) => o.name);
    const kind = options.output ? formatOf(options.output, 'output') : null;
    const paths = options.output ? outputPaths(options.output, names) : [];
    // Printing shows the first samples only, so only those are kept; JSON keeps everything.
    const printRows = 10;
    const collectors = names.map(() => new Collector(kind === 'json' || (!kind && options.json) ? Infinity : printRows));
    if (kind === 'npy') for (const p of paths) sinks.push(await npySink(p, rows));
    else if (kind === 'csv') for (const p of paths) sinks.push(await csvSink(p));
    else sinks.push(...collectors);

    const batches = Math.ceil(rows / options.batchSize);
    const showBar = io.errIsTty && !options.quiet && batches > 1;
    const bar = showBar
      ? new cliProgress.SingleBar(
          { stream: io.errStream, format: 'predict [{bar}] {percentage}% | {value}/{total} samples | {eta_formatted} left', hideCursor: true, clearOnComplete: true },
          cliProgress.Presets.shades_classic,
        )
      : null;
    bar?.start(rows, 0);

    let predictMs = 0;
    let readMs = 0;
    let writeMs = 0;
    for (let start = 0; start < rows; start += options.batchSize) {
      const count = Math.min(options.batchSize, rows - start);
      const t0 = performance.now();
      const feeds: (TensorInput | StringInput)[] = [];
      for (const s of sources) feeds.push({ data: await s.next(count), shape: [count, ...s.sampleShape] } as TensorInput | StringInput);
      const t1 = performance.now();
      const result = model.predict(feeds.length === 1 ? feeds[0] : feeds, options.outputs ? { outputs: options.outputs } : {});
      const t2 = performance.now();
      const outs: TensorData[] = Array.isArray(result) ? result : [result];
      for (let i = 0; i < outs.length; i++) await sinks[i].write(outs[i]);
      const t3 = performance.now();
      readMs += t1 - t0;
      predictMs += t2 - t1;
      writeMs += t3 - t2;
      bar?.update(start + count);
    }
    bar?.stop();

    if (kind === 'json' && options.output) {
      await writeJsonFile(options.output, names, collectors.map((c) => c.result()));
    } else if (!kind && topK !== undefined) {
      const tensors = collectors.map((c) => c.result());
      const ranked = tensors.map((t, i) => topClasses(t, topK, labelsFor(t.shape[t.shape.length - 1]), names[i]));
      if (options.json) {
        const obj: Record<string, unknown> = {};
        names.forEach((n, i) => (obj[n] = topClassesJson(ranked[i], tensors[i].shape)));
        io.out(`${JSON.stringify(names.length === 1 ? obj[names[0]] : obj)}\n`);
      } else {
        tensors.forEach((t, i) => {
          const total = collectors[i].totalRows;
          const classes = t.shape[t.shape.length - 1];
          io.out(`${names[i]}: top ${Math.min(topK, classes)} of ${formatCount(classes)} classes${t.shape.length === 3 ? ` at each of ${t.shape[1]} steps` : ''}\n${formatTopClasses(ranked[i], t.shape)}\n`);
          if (total > t.shape[0]) io.out(`(first ${t.shape[0]} of ${total} samples shown; all of them with --json)\n`);
        });
      }
    } else if (!kind) {
      const tensors = collectors.map((c) => c.result());
      if (options.json) io.out(`${outputsJson(names, tensors)}\n`);
      else {
        tensors.forEach((t, i) => {
          const total = collectors[i].totalRows;
          io.out(`${names[i]}: shape ${formatShape([total, ...t.shape.slice(1)])}\n${formatArray(t.data, t.shape, printRows)}\n`);
          if (total > t.shape[0]) io.out(`(first ${t.shape[0]} of ${total} samples shown; write them all with --output y.npy)\n`);
        });
      }
    }

    if (options.verbose) {
      io.err(`loaded ${modelPath} in ${formatMs(loadMs)} (${model.className}, ${model.layers.length} layers, ${formatCount(model.numParams)} params${options.threads ? `, ${options.threads} thread${options.threads === 1 ? '' : 's'}` : ''})\n`);
      io.err(`read ${formatCount(rows)} sample${rows === 1 ? '' : 's'} of shape ${sources.map((s) => formatShape(s.sampleShape)).join(' + ')} from ${sources.map((s) => s.file).join(', ')} in ${formatMs(openMs + readMs)}\n`);
      io.err(`predict: ${batches} batch${batches === 1 ? '' : 'es'} of up to ${options.batchSize} in ${formatMs(predictMs)} (${formatMs(predictMs / batches)} per batch, ${formatRate(rows / (predictMs / 1000), 'samples')})\n`);
      if (options.output) io.err(`wrote ${[...new Set(paths.length ? paths : [options.output])].join(', ')}${kind !== 'json' ? ` in ${formatMs(writeMs)}` : ''}\n`);
    } else if (options.output && !options.quiet) {
      io.err(`wrote ${[...new Set(paths)].join(', ')}\n`);
    }
  } finally {
    for (const s of sources) await s.close().catch(() => {});
    for (const s of sinks) await s.close().catch(() => {});
    model.dispose();
  }
}
