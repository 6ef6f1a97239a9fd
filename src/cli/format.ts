/** Text formatting shared by the commands: numbers, shapes, nested arrays, durations. */

/** Parameter counts are written as the summary writes them. */
export { formatCount } from '../api/summary.js';

/**
 * The shortest decimal text that reads back as the same float32 (what NumPy prints for float32),
 * so printed, CSV and JSON outputs round-trip exactly without 17-digit noise.
 */
export function formatFloat32(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  for (let p = 1; p <= 9; p++) {
    const n = Number(v.toPrecision(p));
    if (Math.fround(n) === v) return String(n);
  }
  return String(v);
}

/** A shape as Python prints it: `(None, 50, 1)`, `(7,)`. */
export function formatShape(shape: readonly (number | null)[]): string {
  return `(${shape.map((d) => (d === null ? 'None' : String(d))).join(', ')}${shape.length === 1 ? ',' : ''})`;
}

/** Milliseconds with sensible precision. */
export function formatMs(ms: number): string {
  return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(3)} ms`;
}

/** A rate with thousands separators. */
export function formatRate(perSecond: number, unit: string): string {
  const digits = perSecond >= 100 ? 0 : perSecond >= 10 ? 1 : 2;
  return `${perSecond.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${unit}/s`;
}

/** Nested JS arrays of numbers (JSON-ready; NaN and infinities become null) from flat data. */
export function toNested(data: Float32Array, shape: readonly number[]): unknown {
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const build = (dim: number, offset: number): unknown => {
    if (dim === shape.length) {
      const v = data[offset];
      return Number.isFinite(v) ? Number(formatFloat32(v)) : null;
    }
    return Array.from({ length: shape[dim] }, (_, i) => build(dim + 1, offset + i * strides[dim]));
  };
  return build(0, 0);
}

/**
 * NumPy-like text of the first `maxRows` samples of a batch-first array (innermost rows cut to
 * `maxCols` values), e.g. `[[-0.4673232],\n [0.5025955]]`.
 */
export function formatArray(data: Float32Array, shape: readonly number[], maxRows = 10, maxCols = 12): string {
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const render = (dim: number, offset: number, indent: string): string => {
    if (shape.length === 0) return formatFloat32(data[0]);
    const n = shape[dim];
    const limit = dim === shape.length - 1 ? maxCols : dim === 0 ? maxRows : maxCols;
    const shown = Math.min(n, limit);
    if (dim === shape.length - 1) {
      const cells = Array.from({ length: shown }, (_, i) => formatFloat32(data[offset + i]));
      if (n > shown) cells.push('...');
      return `[${cells.join(', ')}]`;
    }
    const inner = Array.from({ length: shown }, (_, i) => render(dim + 1, offset + i * strides[dim], `${indent} `));
    if (n > shown) inner.push('...');
    const sep = `,${'\n'.repeat(shape.length - dim - 1)}${indent} `;
    return `[${inner.join(sep)}]`;
  };
  return render(0, 0, '');
}
