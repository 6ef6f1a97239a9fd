/**
 * `--argmax` / `--top-k` for classifiers: the k highest scores along the last axis of an output
 * (per sample for (N, classes), per sample and time step for (N, steps, classes)), with class
 * names from `--labels` when given.
 */
import { readFile } from 'node:fs/promises';
import type { KerasTokenizer, TensorData } from '../index.js';
import { CliError, fileError } from './errors.js';
import { formatFloat32, formatShape } from './format.js';

/** One ranked class. */
export interface RankedClass {
  index: number;
  score: number;
  label?: string;
}

/**
 * Class names: a text file with one label per line (line i = class i), or a JSON array, or a
 * JSON object mapping class index to name (Keras' `class_indices` inverted, `{"0": "cat"}`) or
 * name to index (`class_indices` itself, `{"cat": 0}`).
 */
export async function readLabels(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw fileError(err, file, 'read');
  }
  const trimmed = text.trim();
  if (/\.json$/i.test(file) || /^[[{]/.test(trimmed)) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch (e) {
      throw new CliError(`"${file}" is not valid JSON: ${(e as Error).message}`, 'give a JSON array of class names, or a text file with one name per line');
    }
    if (Array.isArray(json)) return json.map(String);
    if (json && typeof json === 'object') {
      const entries = Object.entries(json as Record<string, unknown>);
      const byIndex = entries.every(([k]) => /^\d+$/.test(k));
      const labels: string[] = [];
      for (const [k, v] of entries) {
        const index = byIndex ? Number(k) : Number(v);
        if (!Number.isInteger(index) || index < 0) {
          throw new CliError(`"${file}": ${JSON.stringify(k)}: ${JSON.stringify(v)} maps no class index`, 'map class indices to names ({"0": "cat"}) or names to indices ({"cat": 0})');
        }
        labels[index] = byIndex ? String(v) : k;
      }
      return Array.from(labels, (l, i) => l ?? String(i));
    }
    throw new CliError(`"${file}" holds ${typeof json}, not class names`, 'give a JSON array of class names, or a text file with one name per line');
  }
  return text.split(/\r?\n/).filter((line, i, all) => line !== '' || i < all.length - 1);
}

/** Class names from a tokenizer's `index_word` (id 0 is the padding id Keras never assigns). */
export function tokenizerLabels(tokenizer: KerasTokenizer): string[] {
  return Array.from({ length: tokenizer.vocabularySize }, (_, i) => (i === 0 ? '(padding)' : (tokenizer.indexWord.get(i) ?? `(id ${i})`)));
}

/** The k best classes of every row of the last axis; rows are samples (and steps for rank 3). */
export function topClasses(t: TensorData, k: number, labels: string[] | null, outputName: string): RankedClass[][] {
  const classes = t.shape[t.shape.length - 1];
  if (t.shape.length < 2 || t.shape.length > 3 || classes < 2) {
    throw new CliError(`output "${outputName}" has shape ${formatShape(t.shape)}: --top-k / --argmax rank the last axis of a (samples, classes) or (samples, steps, classes) output`, 'use them with a classifier output (pick one with --outputs)');
  }
  if (labels && labels.length !== classes) {
    throw new CliError(`--labels gives ${labels.length} names, output "${outputName}" has ${classes} classes`, 'give one label per class, in class-index order');
  }
  const rows = t.data.length / classes;
  const take = Math.min(k, classes);
  const out: RankedClass[][] = [];
  for (let r = 0; r < rows; r++) {
    const row = t.data.subarray(r * classes, (r + 1) * classes);
    // Indices sorted by score, highest first; ties keep the lower index first (as np.argsort(-x, kind="stable")).
    const order = Array.from(row.keys()).sort((a, b) => row[b] - row[a] || a - b).slice(0, take);
    out.push(order.map((index) => ({ index, score: row[index], ...(labels ? { label: labels[index] } : {}) })));
  }
  return out;
}

/** Text lines: `sample 0: 7 "seven" 0.91, 2 "two" 0.05` (and `step s` for sequence outputs). */
export function formatTopClasses(ranked: RankedClass[][], shape: readonly number[]): string {
  const steps = shape.length === 3 ? shape[1] : 1;
  return ranked
    .map((row, r) => {
      const where = steps > 1 ? `sample ${Math.floor(r / steps)}, step ${r % steps}` : `sample ${r}`;
      return `${where}: ${row.map((c) => `${c.index}${c.label !== undefined ? ` ${JSON.stringify(c.label)}` : ''} ${formatFloat32(c.score)}`).join(', ')}`;
    })
    .join('\n');
}

/** JSON-ready ranked classes: per sample a list (per sample a list of per-step lists for sequences). */
export function topClassesJson(ranked: RankedClass[][], shape: readonly number[]): unknown {
  const plain = ranked.map((row) => row.map((c) => ({ index: c.index, ...(c.label !== undefined ? { label: c.label } : {}), score: Number(formatFloat32(c.score)) })));
  if (shape.length !== 3) return plain;
  const steps = shape[1];
  return Array.from({ length: plain.length / steps }, (_, s) => plain.slice(s * steps, (s + 1) * steps));
}
