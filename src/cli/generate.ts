/**
 * `kerasrnn generate <model> --prompt "..." --steps 200 --temperature 0.8 --seed 1`: text (or
 * token ids) from a char- or word-level recurrent generator, and with `--decoder` from a seq2seq
 * encoder / decoder pair. Registered by {@link addGenerateCommand}.
 */
import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { decodeSequence, generate, type Vocabulary, type TextSource } from '../index.js';
import { CliError, fileError } from './errors.js';
import { loadFromArgs } from './inspect.js';
import { readTokenizer } from './text-input.js';

/** Options of the generate command. */
export interface GenerateCliOptions {
  prompt: string;
  steps: number;
  temperature: number;
  topK?: number;
  topP?: number;
  seed?: number;
  stop?: string[];
  mode?: 'window' | 'stream';
  window?: number;
  tokenizer?: string;
  vocabulary?: string;
  decoder?: string;
  targetTokenizer?: string;
  targetVocabulary?: string;
  start?: string;
  beamWidth?: number;
  weights?: string;
  json?: boolean;
}

function num(name: string, check: (n: number) => boolean, what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || !check(n)) throw new InvalidArgumentError(`${name} must be ${what}.`);
    return n;
  };
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

async function readVocabulary(file: string): Promise<Vocabulary> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw fileError(err, file, 'read');
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new CliError(`"${file}" is not JSON`, 'give the vocabulary as a JSON list (id -> token, e.g. json.dump(chars, f)) or object (token -> id, e.g. char_indices)');
  }
  if (!v || typeof v !== 'object') throw new CliError(`"${file}" holds no list or object`, 'give a JSON list of tokens or an object token -> id');
  return v as Vocabulary;
}

async function textSource(tokenizer: string | undefined, vocabulary: string | undefined): Promise<TextSource> {
  if (tokenizer && vocabulary) throw new CliError('give either a tokenizer or a vocabulary, not both');
  if (tokenizer) return { tokenizer: await readTokenizer(tokenizer) };
  if (vocabulary) return { vocabulary: await readVocabulary(vocabulary) };
  return {};
}

/** A prompt or token given as ids ("3,1,4" / "3 1 4") when no vocabulary is known. */
function idsOrText(value: string, known: boolean): string | number[] {
  if (known) return value;
  if (!/^\s*\d+([\s,]+\d+)*\s*$/.test(value)) {
    throw new CliError(`"${value.slice(0, 40)}" is text, but no --tokenizer or --vocabulary was given`, 'give token ids ("3,1,4") or pass --tokenizer tokenizer.json / --vocabulary vocab.json');
  }
  return value.trim().split(/[\s,]+/).map(Number);
}

/** A start / stop token: digits are an id, anything else a token of the vocabulary. */
function tokenOf(value: string): string | number {
  return /^\d+$/.test(value) ? Number(value) : value;
}

/** Runs `generate`; returns what to print. */
export async function generateCommand(modelPath: string, o: GenerateCliOptions): Promise<string> {
  const src = await textSource(o.tokenizer, o.vocabulary);
  const known = Boolean(src.tokenizer || src.vocabulary);
  const { model } = await loadFromArgs(modelPath, o.weights);
  try {
    if (o.decoder) {
      const tgt = await textSource(o.targetTokenizer, o.targetVocabulary);
      if (o.start === undefined || !o.stop?.length) throw new CliError('seq2seq decoding needs --start and --stop tokens', 'e.g. --start 0 --stop 1 (ids, or tokens of --target-vocabulary)');
      const { model: decoder } = await loadFromArgs(o.decoder, undefined);
      try {
        const r = decodeSequence(model, decoder, {
          input: idsOrText(o.prompt, known),
          source: src,
          target: tgt,
          start: tokenOf(o.start),
          stop: tokenOf(o.stop[0]),
          maxLength: o.steps,
          beamWidth: o.beamWidth ?? 1,
        });
        return o.json ? JSON.stringify(r) : (r.text ?? r.ids.join(' '));
      } finally {
        decoder.dispose();
      }
    }
    const r = generate(model, {
      ...src,
      prompt: idsOrText(o.prompt, known),
      steps: o.steps,
      temperature: o.temperature,
      ...(o.topK !== undefined ? { topK: o.topK } : {}),
      ...(o.topP !== undefined ? { topP: o.topP } : {}),
      ...(o.seed !== undefined ? { seed: o.seed } : {}),
      ...(o.stop ? { stop: o.stop.map(tokenOf) } : {}),
      ...(o.mode ? { mode: o.mode } : {}),
      ...(o.window !== undefined ? { window: o.window } : {}),
    });
    return o.json ? JSON.stringify(r) : (r.text ?? r.ids.join(' '));
  } finally {
    model.dispose();
  }
}

/** Adds `generate` to the program; `out` receives stdout text. */
export function addGenerateCommand(program: Command, out: (s: string) => void): void {
  program
    .command('generate')
    .description('generate text (or token ids) from a char- or word-level recurrent model, or decode with an encoder + --decoder pair')
    .argument('<model>', 'model file (the encoder with --decoder)')
    .requiredOption('-p, --prompt <text>', 'prompt text (with --tokenizer / --vocabulary) or token ids "3,1,4"')
    .option('-n, --steps <n>', 'tokens to generate (seq2seq: maximum length)', num('--steps', (n) => Number.isInteger(n) && n >= 0, 'an integer >= 0'), 100)
    .option('-t, --temperature <t>', '0 = greedy; higher = more random', num('--temperature', (n) => n >= 0, 'a number >= 0'), 1)
    .option('--top-k <k>', 'sample among the k most likely tokens', num('--top-k', (n) => Number.isInteger(n) && n >= 1, 'an integer >= 1'))
    .option('--top-p <p>', 'sample among the most likely tokens holding probability p', num('--top-p', (n) => n > 0 && n <= 1, 'in (0, 1]'))
    .option('-s, --seed <n>', 'sampling seed (same seed, same text)', num('--seed', (n) => Number.isSafeInteger(n) && n >= 0, 'an integer >= 0'))
    .option('--stop <token>', 'stop after this token (id or token; repeat for several)', collect)
    .addOption(new Option('--mode <mode>', 'window: slide a fixed window (Keras tutorial loop); stream: carry the state').choices(['window', 'stream']))
    .option('--window <n>', 'window length when the model input length is not fixed', num('--window', (n) => Number.isInteger(n) && n >= 1, 'an integer >= 1'))
    .option('--tokenizer <file>', 'Keras Tokenizer JSON (tokenizer.to_json())')
    .option('--vocabulary <file>', 'JSON list id -> token (e.g. chars) or object token -> id (char_indices)')
    .option('--decoder <file>', 'seq2seq: the decoder model (the <model> argument is the encoder)')
    .option('--target-tokenizer <file>', 'seq2seq: Keras Tokenizer JSON of the target')
    .option('--target-vocabulary <file>', 'seq2seq: vocabulary of the target')
    .option('--start <token>', 'seq2seq: start token (id or target token)')
    .option('--beam-width <n>', 'seq2seq: beam search width (1 = greedy)', num('--beam-width', (n) => Number.isInteger(n) && n >= 1, 'an integer >= 1'))
    .option('-w, --weights <file>', 'weights file (model.save_weights) for a JSON config')
    .option('--json', 'print { ids, text, seed, ... } as JSON')
    .action(async (model: string, opts: GenerateCliOptions) => {
      out(`${await generateCommand(model, opts)}\n`);
    });
}
