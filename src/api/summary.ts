import type { SummarySource } from './model-info.js';

function fmtShape(shape: (number | null)[]): string {
  return `(${shape.map((d) => (d === null ? 'None' : String(d))).join(', ')}${shape.length === 1 ? ',' : ''})`;
}

/** An integer with thousands separators, as Keras prints parameter counts (`4,385`). */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Keras 3 operation nodes carry a `keras.ops.` prefix inside kerasrnn; Keras shows the bare class. */
const shownClass = (className: string) => className.replace(/^keras\.ops\./, '');

/** The header's origin: `Keras 2.4.0, tensorflow backend`, with what was inferred marked so. */
function origin(model: SummarySource): string {
  const g = model.generation;
  const version = g.inferred ? `Keras ${g.major} (version inferred)` : `Keras ${g.version}`;
  return g.backend ? `${version}, ${g.backend} backend${g.backendInferred ? ' (inferred from the weight names)' : ''}` : version;
}

/** What loadModel's `weights` changed: the reduced-precision recurrent kernels, or that there were none. */
function weightsNote(model: SummarySource): string {
  const { weights, lowPrecisionLayers: layers } = model.info;
  if (weights === 'float32') return '';
  if (layers.length === 0) return `, float32 weights (weights: '${weights}' applies to LSTM, GRU and SimpleRNN layers; this model has none)`;
  return `, ${weights} recurrent weights (${layers.length} layer${layers.length === 1 ? '' : 's'}: ${layers.join(', ')})`;
}

/** The summary's Kernels line: which build of the wasm kernels predict runs, and the weight precision. */
function kernelsLine(model: SummarySource): string[] {
  const k = model.info.kernels;
  if (k === null) return [];
  const weights = weightsNote(model);
  return [`Kernels: ${k === 'relaxed-simd' ? 'wasm relaxed SIMD (fused multiply-add)' : 'wasm SIMD'}${weights}`];
}

/**
 * The summary's Sequence threads line, for models with a layer large enough to split: over how
 * many threads one sequence runs, or why on one.
 */
function threadsLine(model: SummarySource): string[] {
  const t = model.info.sequenceThreads;
  if (t === null || !t.splittable) return [];
  if (t.threads > 1) return [`Sequence threads: ${t.threads} (LSTM / GRU calls with at least ${t.minStepFlops} flops per step)`];
  return [`Sequence threads: 1 (${t.fallback})`];
}

/**
 * Keras-style summary: one row per layer with its type, output shape(s), parameter count and, for
 * functional models, the tensors it is connected to; totals split into trainable and
 * non-trainable; then the import notes. The header names the source format, the kernel build and,
 * for models with a large LSTM / GRU, how many threads one sequence runs on. kerasrnn's internal
 * nodes are not listed.
 */
export function formatSummary(model: SummarySource): string {
  const functional = model.className !== 'Sequential';
  const head = ['Layer (type)', 'Output Shape', 'Param #', ...(functional ? ['Connected to'] : [])];
  // Each layer is one block of lines: several output shapes and several inbound tensors each get
  // their own line, as Keras prints them.
  const blocks = model.layers.map((l) => {
    const shapes = l.outputShapes.map(fmtShape);
    const inbound = l.inbound.flat();
    const lines = Math.max(shapes.length, functional ? inbound.length : 1, 1);
    return Array.from({ length: lines }, (_, i) => [
      i === 0 ? `${l.name} (${shownClass(l.className)})` : '',
      shapes[i] ?? '',
      i === 0 ? formatCount(l.numParams) : '',
      ...(functional ? [inbound[i] ?? (i === 0 ? '-' : '')] : []),
    ]);
  });
  const rows = blocks.flat();
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)) + 2);
  // Param # is right-aligned as in Keras 3, so that the digits line up.
  const line = (cells: string[]) => cells.map((c, i) => (i === 2 ? `${c.padStart(widths[i] - 2)}  ` : c.padEnd(widths[i]))).join('').trimEnd();
  const rule = (ch: string) => ch.repeat(widths.reduce((a, b) => a + b, 0) - 2);
  const total = model.numParams;
  const frozen = model.nonTrainableParams;
  const out = [
    `Model: "${model.name}" (${model.className}, ${origin(model)})`,
    `Format: ${model.formatDetails ?? model.format}`,
    ...kernelsLine(model),
    ...threadsLine(model),
    rule('_'),
    line(head),
    rule('='),
    ...blocks.flatMap((b, i) => [...b.map(line), ...(i < blocks.length - 1 ? [rule('_')] : [])]),
    rule('='),
    `Total params: ${formatCount(total)}`,
    `Trainable params: ${formatCount(total - frozen)}`,
    `Non-trainable params: ${formatCount(frozen)}`,
    rule('_'),
  ];
  const notes = model.layers.flatMap((l) => l.notes.map((n) => `  ${l.name}: ${n}`));
  if (notes.length) out.push('', 'Import notes:', ...notes);
  if (!model.hasWeights) out.push('', 'Loaded without weights: shapes and parameter counts only.');
  return out.join('\n');
}
