import type { Model } from './model.js';

function fmtShape(shape: (number | null)[]): string {
  return `(${shape.map((d) => (d === null ? 'None' : String(d))).join(', ')}${shape.length === 1 ? ',' : ''})`;
}

/** Keras-style summary: layer (type), output shape, params, totals, then import notes. */
export function formatSummary(model: Model): string {
  const rows = model.layers.map((l) => [
    `${l.name} (${l.className})`,
    l.outputShapes.map(fmtShape).join(', '),
    String(l.numParams),
  ]);
  const head = ['Layer (type)', 'Output Shape', 'Param #'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)) + 2);
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('').trimEnd();
  const rule = (ch: string) => ch.repeat(widths.reduce((a, b) => a + b, 0));
  const out = [
    `Model: "${model.name}" (${model.className}, Keras ${model.generation.version}${model.generation.backend ? `, ${model.generation.backend} backend` : ''})`,
    `Format: ${model.formatDetails ?? model.format}`,
    rule('_'),
    line(head),
    rule('='),
    ...rows.flatMap((r, i) => [line(r), ...(i < rows.length - 1 ? [rule('_')] : [])]),
    rule('='),
    `Total params: ${model.numParams}`,
  ];
  const notes = model.layers.flatMap((l) => l.notes.map((n) => `  ${l.name}: ${n}`));
  if (notes.length) out.push('', 'Import notes:', ...notes);
  if (!model.hasWeights) out.push('', 'Loaded without weights: shapes and parameter counts only.');
  return out.join('\n');
}
