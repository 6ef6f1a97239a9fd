/**
 * `kerasrnn predict <model> --input x.npy [--output y.npy]`: reads the input in batches of
 * `--batch-size` samples, predicts each batch, and writes (or prints) the outputs as they come, so
 * memory stays bounded by one batch however large the input file is.
 */
import cliProgress from 'cli-progress';
import type { Model, StringInput, TensorData, TensorInput } from '../index.js';
import { CliError } from './errors.js';
import { formatArray, formatMs, formatRate, formatShape } from './format.js';
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
}

/** Where the command writes: stdout for results, stderr for progress and timing. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** True when stderr is a terminal (progress bar shown). */
  errIsTty: boolean;
  errStream: NodeJS.WritableStream;
}

/** Names of the model outputs, made unique (two outputs can come from one layer). */
function outputNames(model: Model): string[] {
  const seen = new Map<string, number>();
  return model.outputs.map((o) => {
    const k = seen.get(o.name) ?? 0;
    seen.set(o.name, k + 1);
    return k === 0 ? o.name : `${o.name}_${k}`;
  });
}

/** Runs `predict`. */
export async function predict(modelPath: string, options: PredictCliOptions, io: Io): Promise<void> {
  const { model, loadMs } = await loadFromArgs(modelPath, options.weights);
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
    const tRead = performance.now();
    if (options.text) {
      sources.push(options.tokenizer ? textInput(model, await readTokenizer(options.tokenizer), options.text) : stringInput(model, options.text));
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

    const names = outputNames(model);
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
      const result = model.predict(feeds.length === 1 ? feeds[0] : feeds);
      const t2 = performance.now();
      const outs = (Array.isArray(result) ? result : [result]) as TensorData[];
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
      io.err(`loaded ${modelPath} in ${formatMs(loadMs)} (${model.className}, ${model.layers.length} layers, ${model.numParams} params)\n`);
      io.err(`read ${rows} sample${rows === 1 ? '' : 's'} of shape ${sources.map((s) => formatShape(s.sampleShape)).join(' + ')} from ${sources.map((s) => s.file).join(', ')} in ${formatMs(openMs + readMs)}\n`);
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
