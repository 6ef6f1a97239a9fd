/**
 * Input files for `kerasrnn predict`: `.npy`, `.csv`, `.json`. Each is opened once and then read
 * sample by sample in batches, so a large `.npy` or `.csv` never has to fit in memory at once.
 *
 * Layouts (one sample = one sequence of the model input, shape without the batch dimension):
 * - `.npy`: shape `(samples, ...input)`, or `(...input)` for a single sample; float32, float64 or
 *   integer ids, C order.
 * - `.csv`: one sample per line, values flattened in C order (`np.savetxt(f, x.reshape(len(x), -1),
 *   delimiter=",")`); a first line that is not numbers is skipped as a header. With
 *   `--csv-rows steps` the whole file is one sequence: one time step per line, one column per
 *   feature (what `DataFrame.to_csv` of a time series gives).
 * - `.json`: nested arrays (`x.tolist()`), or `{ "data": [...], "shape": [...] }`.
 */
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { decodeNpyValues, npyHeaderLength, parseNpyHeader, KerasRnnError, type Shape } from '../index.js';
import { CliError, fileError } from './errors.js';
import { formatShape } from './format.js';

/** An opened input file, read in order, `count` samples at a time. */
export interface InputSource {
  readonly file: string;
  /** Number of samples. */
  readonly rows: number;
  /** Shape of one sample (no batch dimension). */
  readonly sampleShape: number[];
  /** The next `count` samples, flattened: float32, or texts for a model input of strings. */
  next(count: number): Promise<Float32Array | string[]>;
  close(): Promise<void>;
}

/** How a CSV maps onto samples. */
export type CsvRows = 'samples' | 'steps';

/** Which format a path holds, from its extension (`.npy`, `.csv`, `.json`). */
export function formatOf(file: string, role: 'input' | 'output'): 'npy' | 'csv' | 'json' {
  const m = /\.(npy|csv|json)$/i.exec(file);
  if (!m) {
    throw new CliError(
      `cannot tell the format of ${role} file "${file}" from its name`,
      `name it .npy, .csv or .json (e.g. --${role} ${role === 'input' ? 'x' : 'y'}.npy)`,
    );
  }
  return m[1].toLowerCase() as 'npy' | 'csv' | 'json';
}

function expectedText(expected: Shape): string {
  return formatShape(expected);
}

/**
 * Splits an array's dimensions into samples and the shape of one sample, checking them against
 * the model input: `(samples, ...input)` or `(...input)` for a single sample.
 */
export function samplesOf(file: string, dims: number[], expected: Shape, inputName: string): { rows: number; sampleShape: number[] } {
  const inner = expected.slice(1);
  let rows: number;
  let sample: number[];
  if (dims.length === expected.length) {
    rows = dims[0];
    sample = dims.slice(1);
  } else if (dims.length === expected.length - 1) {
    rows = 1;
    sample = dims;
  } else {
    throw new CliError(
      `"${file}" holds an array of shape ${formatShape(dims)}, but model input "${inputName}" takes ${expectedText(expected)}`,
      `give an array of shape (samples, ${inner.map((d) => (d === null ? 'steps' : String(d))).join(', ')})${inner.length ? ', or one sample without the first dimension' : ''}`,
    );
  }
  inner.forEach((d, i) => {
    if (d !== null && sample[i] !== d) {
      throw new CliError(
        `"${file}" holds samples of shape ${formatShape(sample)}, but model input "${inputName}" takes ${expectedText(expected)} (dimension ${i + 1} must be ${d})`,
        'reshape the array to the model input (see `kerasrnn inspect <model>`)',
      );
    }
  });
  if (rows === 0) throw new CliError(`"${file}" holds no samples (shape ${formatShape(dims)})`, 'give at least one sample');
  return { rows, sampleShape: sample };
}

async function openNpy(file: string, expected: Shape, inputName: string): Promise<InputSource> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw fileError(err, file, 'read');
  }
  try {
    const { size: fileSize } = await fh.stat();
    const prefix = new Uint8Array(12);
    const { bytesRead } = await fh.read(prefix, 0, 12, 0);
    const headerLen = npyHeaderLength(prefix.subarray(0, bytesRead), file);
    const headerBytes = new Uint8Array(headerLen);
    await fh.read(headerBytes, 0, headerLen, 0);
    const header = parseNpyHeader(headerBytes, file);
    const need = header.dataOffset + header.size * header.itemSize;
    if (fileSize < need) {
      throw new CliError(
        `"${file}" is truncated: its header says shape ${formatShape(header.shape)} of ${header.descr} (${need} bytes), the file has ${fileSize} bytes`,
        'write the file again with numpy.save()',
      );
    }
    const { rows, sampleShape } = samplesOf(file, header.shape, expected, inputName);
    const perSample = sampleShape.reduce((a, b) => a * b, 1);
    let position = header.dataOffset;
    return {
      file,
      rows,
      sampleShape,
      async next(count) {
        const bytes = new Uint8Array(count * perSample * header.itemSize);
        const { bytesRead: got } = await fh.read(bytes, 0, bytes.length, position);
        position += got;
        return decodeNpyValues(header, bytes.subarray(0, got), count * perSample, file);
      },
      close: () => fh.close(),
    };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** Splits a CSV line: commas (or semicolons / tabs), and plain whitespace for space-separated text. */
function splitCsv(line: string): string[] {
  return line.trim().split(/\s*[,;\t]\s*|\s+/);
}

function parseCell(cell: string): number {
  const t = cell.toLowerCase();
  if (t === 'nan') return NaN;
  if (t === 'inf' || t === '+inf' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  return cell === '' ? NaN : Number(cell);
}

function isNumberCell(cell: string): boolean {
  return !Number.isNaN(parseCell(cell)) || cell.toLowerCase() === 'nan';
}

/** Lines of a text file with their 1-based numbers, blank lines left out. */
async function* csvLines(file: string): AsyncGenerator<{ text: string; line: number }> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of rl) {
      line++;
      if (text.trim() !== '') yield { text, line };
    }
  } finally {
    rl.close();
    stream.destroy();
  }
}

function parseCsvRow(file: string, text: string, line: number): number[] {
  return splitCsv(text).map((cell, col) => {
    const v = parseCell(cell);
    if (Number.isNaN(v) && cell.toLowerCase() !== 'nan') {
      throw new CliError(`"${file}" line ${line}, column ${col + 1}: ${JSON.stringify(cell)} is not a number`, 'CSV input holds numbers only (one optional header line)');
    }
    return v;
  });
}

async function openCsv(file: string, expected: Shape, inputName: string, layout: CsvRows): Promise<InputSource> {
  // First pass: count the data lines and learn the row length, so that the number of samples (and
  // the progress bar) is known before predicting; the second pass streams the values.
  let count = 0;
  let width = -1;
  let skipHeader = false;
  let first: { text: string; line: number } | null = null;
  try {
    for await (const { text, line } of csvLines(file)) {
      const cells = splitCsv(text);
      if (count === 0 && width < 0 && !skipHeader && !cells.every(isNumberCell)) {
        skipHeader = true;
        first = { text, line };
        continue;
      }
      parseCsvRow(file, text, line); // bad cells are reported before anything is predicted
      if (width < 0) width = cells.length;
      else if (cells.length !== width) {
        throw new CliError(`"${file}" line ${line} has ${cells.length} values, the first data line has ${width}`, 'every CSV line needs the same number of values');
      }
      count++;
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw fileError(err, file, 'read');
  }
  // A header needs data under it: a file of one line is data, so its bad cell is reported as such.
  if (count === 0 && first) parseCsvRow(file, first.text, first.line);
  if (count === 0) throw new CliError(`"${file}" holds no data lines`, 'give one sample per line (or one time step per line with --csv-rows steps)');

  const inner = expected.slice(1);
  let rows: number;
  let sampleShape: number[];
  if (layout === 'steps') {
    // The whole file is one sequence: (steps, features) for a (None, steps, features) input.
    ({ rows, sampleShape } = samplesOf(file, inner.length === 1 ? [count * width] : [count, width], expected, inputName));
    if (inner.length > 2) {
      throw new CliError(`--csv-rows steps needs a model input of shape (None, steps, features); "${inputName}" takes ${formatShape(expected)}`, 'use .npy input for this model');
    }
  } else {
    const fixed = inner.reduce<number>((a, d) => a * (d ?? 1), 1);
    const unknown = inner.filter((d) => d === null).length;
    if (unknown > 1) {
      throw new CliError(`model input "${inputName}" takes ${formatShape(expected)}: a flat CSV line cannot say its dimensions`, 'use .npy or .json input (or --csv-rows steps for one sequence)');
    }
    if (unknown === 0 ? width !== fixed : width % fixed !== 0) {
      throw new CliError(
        `"${file}" has ${width} values per line, but one sample of model input "${inputName}" ${formatShape(expected)} has ${unknown ? `a multiple of ${fixed}` : fixed}`,
        'write one sample per line, flattened (np.savetxt(f, x.reshape(len(x), -1), delimiter=",")), or use --csv-rows steps for one sequence with a time step per line',
      );
    }
    rows = count;
    sampleShape = inner.map((d) => d ?? width / fixed);
  }

  const perSample = sampleShape.reduce((a, b) => a * b, 1);
  const lines = csvLines(file);
  let headerPending = skipHeader;
  return {
    file,
    rows,
    sampleShape,
    async next(n) {
      const out = new Float32Array(n * perSample);
      const linesWanted = layout === 'steps' ? count : n;
      let filled = 0;
      for (let i = 0; i < linesWanted; i++) {
        let r = await lines.next();
        if (!r.done && headerPending) {
          headerPending = false;
          r = await lines.next();
        }
        if (r.done) throw new CliError(`"${file}" changed while it was being read`, 'run the command again');
        const values = parseCsvRow(file, r.value.text, r.value.line);
        out.set(values, filled);
        filled += values.length;
      }
      return out;
    },
    close: async () => {
      await lines.return(undefined);
    },
  };
}

/** Flattens nested arrays of numbers, returning the values and the (rectangular) shape. */
function flattenNested(file: string, value: unknown): { values: number[]; shape: number[] } {
  const shape: number[] = [];
  for (let v: unknown = value; Array.isArray(v); v = v[0]) shape.push(v.length);
  const values: number[] = [];
  const walk = (v: unknown, dim: number, where: string): void => {
    if (dim === shape.length) {
      if (typeof v !== 'number' && v !== null) {
        throw new CliError(`"${file}" at ${where || 'top level'}: expected a number, found ${Array.isArray(v) ? 'an array' : JSON.stringify(v)}`, 'JSON input is nested arrays of numbers, all rows the same length');
      }
      values.push(v === null ? NaN : v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      throw new CliError(
        `"${file}" at ${where || 'top level'}: expected an array of ${shape[dim]} elements (the array is not rectangular)`,
        'JSON input is nested arrays of numbers, all rows the same length',
      );
    }
    v.forEach((x, i) => walk(x, dim + 1, `${where}[${i}]`));
  };
  walk(value, 0, '');
  return { values, shape };
}

async function openJson(file: string, expected: Shape, inputName: string): Promise<InputSource> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw fileError(err, file, 'read');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CliError(`"${file}" is not valid JSON: ${(err as Error).message}`, 'give nested arrays (x.tolist()) or {"data": [...], "shape": [...]}');
  }
  let values: number[];
  let dims: number[];
  if (Array.isArray(json)) {
    ({ values, shape: dims } = flattenNested(file, json));
  } else if (json && typeof json === 'object' && 'data' in json && 'shape' in json) {
    const rec = json as { data: unknown; shape: unknown };
    if (!Array.isArray(rec.shape) || !rec.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new CliError(`"${file}": "shape" must be a list of non-negative integers`, 'e.g. {"data": [...], "shape": [2, 50, 1]}');
    }
    dims = rec.shape as number[];
    values = flattenNested(file, rec.data).values;
    const n = dims.reduce((a, b) => a * b, 1);
    if (values.length !== n) throw new CliError(`"${file}": "data" has ${values.length} values, "shape" ${formatShape(dims)} needs ${n}`, 'make data and shape agree');
  } else {
    throw new CliError(`"${file}" is not an array`, 'give nested arrays (x.tolist()) or {"data": [...], "shape": [...]}');
  }
  const { rows, sampleShape } = samplesOf(file, dims, expected, inputName);
  const all = Float32Array.from(values);
  const perSample = sampleShape.reduce((a, b) => a * b, 1);
  let offset = 0;
  return {
    file,
    rows,
    sampleShape,
    async next(count) {
      const out = all.subarray(offset, offset + count * perSample);
      offset += count * perSample;
      return out;
    },
    close: async () => {},
  };
}

/** Opens an input file for a model input of shape `expected` (batch first). */
export async function openInput(file: string, expected: Shape, inputName: string, csvRows: CsvRows): Promise<InputSource> {
  const kind = formatOf(file, 'input');
  try {
    if (kind === 'npy') return await openNpy(file, expected, inputName);
    if (kind === 'csv') return await openCsv(file, expected, inputName, csvRows);
    return await openJson(file, expected, inputName);
  } catch (err) {
    if (err instanceof CliError || err instanceof KerasRnnError) throw err;
    throw fileError(err, file, 'read');
  }
}
