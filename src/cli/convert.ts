/** `kerasrnn convert IN OUT`: any model kerasrnn reads, written as a Keras 3 `.keras` or a legacy `.h5`. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { InputError, type SaveFormat } from '../index.js';
import { loadFromArgs } from './inspect.js';

/** Options of the convert command. */
export interface ConvertOptions {
  weights?: string;
  format?: SaveFormat;
  quiet?: boolean;
}

/** Loads `input` (through loadModel, so every format it reads) and saves it as `output`. */
export async function convert(input: string, output: string, opts: ConvertOptions): Promise<string> {
  const { model } = await loadFromArgs(input, opts.weights);
  try {
    if (!model.hasWeights) throw new InputError('the model has no weights (a JSON config needs --weights)', { file: input });
    await model.save(output, opts.format ? { format: opts.format } : {});
    return `wrote ${output} (${model.className} "${model.name}", ${model.layers.length} layers, ${model.numParams} parameters, read as Keras ${model.generation.version})`;
  } finally {
    model.dispose();
  }
}

/** Adds the `convert` command to the program. */
export function registerConvert(program: Command, out: (s: string) => void): void {
  program
    .command('convert')
    .description('write a model kerasrnn reads as a Keras 3 .keras archive, a legacy full-model .h5 or a Keras 3 .weights.h5')
    .argument('<input>', 'model file kerasrnn reads (.h5, .keras, a JSON config with --weights, ...)')
    .argument('<output>', 'file to write; the format follows the extension (.keras, .h5, .weights.h5) unless --format is given')
    .option('-w, --weights <file>', 'weights file (model.save_weights) for a JSON config')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['keras', 'h5', 'weights.h5']))
    .option('-q, --quiet', 'no "wrote" line')
    .action(async (input: string, output: string, opts: ConvertOptions) => {
      const line = await convert(input, output, opts);
      if (!opts.quiet) out(`${line}\n`);
    });
}
