// Turns a benchmark run into bench/results.{json,md,svg}, the README's benchmark section and the
// results part of docs/benchmarks.md. Ratios (peer time / kerasrnn time) are the claims; absolute
// times depend on the machine and on what else it was doing.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';

const PEER_ORDER = ['kerasrnn 2 threads', 'TF.js wasm', 'TF.js cpu', 'ORT-Web wasm', 'ORT-node native', 'scalar TS'];
const COLORS = { 'kerasrnn 2 threads': '#1b9e77', 'TF.js wasm': '#d95f02', 'TF.js cpu': '#e7298a', 'ORT-Web wasm': '#7570b3', 'ORT-node native': '#66a61e', 'scalar TS': '#a6761d' };
const NAMES = { lstm: 'LSTM', gru: 'GRU', simple_rnn: 'SimpleRNN' };

export function caseLabel(c) {
  const arch = c.arch === 'stacked' ? '2-layer ' : c.arch === 'bidirectional' ? 'Bidirectional ' : '';
  return `${arch}${NAMES[c.kind]} ${c.units}, batch ${c.batch}${c.returnSequences ? ', sequences' : ''}`;
}
const ms = (v) => (v < 1 ? v.toFixed(3) : v < 100 ? v.toFixed(2) : v.toFixed(0));
const ratio = (r) => (r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2));

function peersPresent(run) {
  const seen = new Set();
  for (const c of run.cases) for (const n of Object.keys(c.peers)) seen.add(n);
  return PEER_ORDER.filter((n) => seen.has(n));
}

/** The issue's targets, judged from this run. */
export function targets(run) {
  const find = (pred) => run.cases.find(pred);
  const out = [];
  const b1 = find((c) => c.arch === 'single' && c.kind === 'lstm' && c.units === 128 && c.batch === 1 && !c.returnSequences);
  if (b1?.peers.kerasrnn?.medianMs) {
    const k = b1.peers.kerasrnn.medianMs;
    const tf = ['TF.js wasm', 'TF.js cpu'].map((n) => [n, b1.peers[n]?.medianMs]).filter(([, v]) => v).sort((a, b) => a[1] - b[1])[0];
    if (tf) out.push({ target: 'batch 1, 100 steps, LSTM 128: ≥ 10x faster than the faster TF.js backend', measured: `${ms(k)} ms vs ${tf[0]} ${ms(tf[1])} ms: ${ratio(tf[1] / k)}x`, met: tf[1] / k >= 10 });
    const ow = b1.peers['ORT-Web wasm']?.medianMs;
    if (ow) out.push({ target: 'batch 1, 100 steps, LSTM 128: faster than ONNX Runtime Web (wasm)', measured: `${ms(k)} ms vs ${ms(ow)} ms: ${ratio(ow / k)}x`, met: ow / k > 1 });
  }
  const big = find((c) => c.arch === 'single' && c.kind === 'lstm' && c.units === 512 && c.batch === 32 && !c.returnSequences);
  if (big?.peers.kerasrnn?.gflops) {
    const k = big.peers.kerasrnn;
    const t2 = big.peers['kerasrnn 2 threads'];
    const two = t2?.gflops ? `; 2 threads ${t2.gflops.toFixed(1)} GFLOP/s = ${(t2.shareOfPeak * 100).toFixed(0)}% per thread (${ratio(k.medianMs / t2.medianMs)}x the 1-thread speed)` : '';
    out.push({
      target: 'batch 32, LSTM 512: ≥ 60% of the single-core wasm SIMD peak per thread',
      measured: `1 thread ${k.gflops.toFixed(1)} GFLOP/s of ${run.simdPeakGflops.toFixed(1)} = ${(k.shareOfPeak * 100).toFixed(0)}%${two}${big.loadAverage !== undefined ? ` (load average ${big.loadAverage.toFixed(1)} while it ran)` : ''}`,
      met: k.shareOfPeak >= 0.6 && (!t2?.shareOfPeak || t2.shareOfPeak >= 0.6),
    });
  }
  for (const units of [128, 512]) {
    // One sequence on two cores (loadModel's sequenceThreads): same case, one and two threads.
    const b1 = find((c) => c.arch === 'single' && c.kind === 'lstm' && c.units === units && c.batch === 1 && !c.returnSequences);
    const one = b1?.peers.kerasrnn?.medianMs;
    const two = b1?.peers['kerasrnn 2 threads']?.medianMs;
    if (one && two) {
      out.push({
        target: `batch 1, LSTM ${units}: two threads ${units === 512 ? '≥ 1.6x' : 'vs'} one thread (one sequence split by units when large enough)`,
        measured: `${ms(one)} ms on 1 thread, ${ms(two)} ms on 2: ${ratio(one / two)}x${b1.loadAverage !== undefined ? ` (load average ${b1.loadAverage.toFixed(1)} while it ran)` : ''}`,
        met: units === 512 ? one / two >= 1.6 : one / two >= 0.95,
      });
    }
  }
  if (run.load) {
    out.push({
      target: 'load of a ~10 MB .h5 (bytes to ready): under 150 ms',
      measured: `${(run.load.fileBytes / 1e6).toFixed(1)} MB: ${run.load.coldMs.toFixed(0)} ms first load in a fresh process (compiles the kernels), ${run.load.warmMedianMs.toFixed(0)} ms after`,
      met: run.load.coldMs < 150,
    });
  }
  return out;
}

function machineLine(run) {
  const m = run.machine;
  const load = m.loadAverage !== undefined ? ` Load average ${m.loadAverage.toFixed(1)} before, ${m.loadAverageAfter.toFixed(1)} after (other work on the machine).` : '';
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB; ${m.os}; Node ${m.node} (V8 ${m.v8}).${load} wasm SIMD peak measured in the run (f32x4 mul+add, 1 thread): ${run.simdPeakGflops.toFixed(1)} GFLOP/s. ${run.mode} run of ${run.date.slice(0, 10)}, ${run.seconds.toFixed(0)} s.`;
}

/** Main table: kerasrnn's latency and throughput, then each peer's latency and kerasrnn's speedup over it. */
export function markdownTable(run) {
  const peers = peersPresent(run);
  const head = ['case', 'kerasrnn ms', 'seq/s', 'GFLOP/s', '% of peak', ...peers.map((p) => `${p} ms (${p.startsWith('kerasrnn') ? 'speedup' : '×'})`)];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const c of run.cases) {
    const k = c.peers.kerasrnn;
    if (!k?.medianMs) continue;
    const cells = [caseLabel(c), `${ms(k.medianMs)} (${ms(k.p10Ms)}–${ms(k.p90Ms)})`, k.seqPerSec.toFixed(0), k.gflops.toFixed(1), `${(k.shareOfPeak * 100).toFixed(0)}%`];
    for (const p of peers) {
      const e = c.peers[p];
      if (!e) cells.push('');
      else if (e.medianMs === undefined) cells.push(e.skipped ? 'skipped' : 'error');
      else if (p.startsWith('kerasrnn')) cells.push(`${ms(e.medianMs)} (${ratio(k.medianMs / e.medianMs)}× the 1-thread speed)`);
      else cells.push(`${ms(e.medianMs)} (${ratio(e.medianMs / k.medianMs)}×)`);
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

function targetsTable(run) {
  const rows = targets(run).map((t) => `| ${t.target} | ${t.measured} | ${t.met ? 'met' : '**missed**'} |`);
  return ['| target | measured | |', '|---|---|---|', ...rows].join('\n');
}

function notesText(run) {
  const lines = [];
  const missing = Object.entries(run.unavailable ?? {});
  for (const [n, why] of missing) lines.push(`- ${n} did not run here: ${why}`);
  if (missing.length === 0) lines.push('- Every peer installed with `npm ci` (offline-safe, see docs/benchmarks.md) and ran on this machine.');
  const skipped = new Set();
  for (const c of run.cases) for (const [n, e] of Object.entries(c.peers)) if (e.skipped) skipped.add(n);
  if (skipped.size) lines.push(`- Skipped where one run would exceed this mode's time cap: ${[...skipped].join(', ')} (see bench/results.json).`);
  let worst = 0;
  for (const c of run.cases) for (const e of Object.values(c.peers)) if (Number.isFinite(e.maxAbsDiff)) worst = Math.max(worst, e.maxAbsDiff);
  lines.push(`- Every peer's output was compared with kerasrnn's on every case: largest difference ${worst.toExponential(1)}.`);
  return lines.join('\n');
}

/** Horizontal bars, log scale: how many times faster kerasrnn is than each peer, per case. */
export function svgChart(run) {
  // The threaded row is kerasrnn itself: it belongs in the table, not in a speedup-over-peers chart.
  const peers = peersPresent(run).filter((p) => !p.startsWith('kerasrnn'));
  const cases = run.cases.filter((c) => c.peers.kerasrnn?.medianMs);
  const barH = 7;
  const groupH = peers.length * barH + 8;
  const left = 250;
  const width = 900;
  const plotW = width - left - 30;
  const top = 100;
  const height = top + cases.length * groupH + 40;
  const lo = -1;
  const hi = 3; // 0.1x .. 1000x
  const x = (r) => left + ((Math.log10(Math.min(Math.max(r, 10 ** lo), 10 ** hi)) - lo) / (hi - lo)) * plotW;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">kerasrnn speedup over each peer (peer median time / kerasrnn median time, log scale)</text>`,
  ];
  const esc = (t) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  // The machine line, wrapped at sentence ends to the chart width.
  const lines = [''];
  for (const sentence of machineLine(run).split(/(?<=\.) /)) {
    if ((lines[lines.length - 1] + ' ' + sentence).length > 140) lines.push(sentence);
    else lines[lines.length - 1] = (lines[lines.length - 1] + ' ' + sentence).trim();
  }
  lines.slice(0, 3).forEach((l, i) => parts.push(`<text x="10" y="${34 + i * 13}" fill="#555">${esc(l)}</text>`));
  peers.forEach((p, i) => {
    parts.push(`<rect x="${10 + i * 145}" y="${top - 32}" width="10" height="10" fill="${COLORS[p]}"/><text x="${24 + i * 145}" y="${top - 23}">${p}</text>`);
  });
  for (let e = lo; e <= hi; e++) {
    const gx = x(10 ** e);
    parts.push(`<line x1="${gx}" y1="${top}" x2="${gx}" y2="${height - 30}" stroke="${e === 0 ? '#000' : '#ddd'}"/>`);
    parts.push(`<text x="${gx}" y="${height - 16}" text-anchor="middle">${10 ** e}×</text>`);
    parts.push(`<text x="${gx}" y="${top - 2}" text-anchor="middle" fill="#555">${10 ** e}×</text>`);
  }
  cases.forEach((c, ci) => {
    const y0 = top + ci * groupH + 4;
    parts.push(`<text x="${left - 6}" y="${y0 + groupH / 2}" text-anchor="end">${caseLabel(c)}</text>`);
    peers.forEach((p, pi) => {
      const e = c.peers[p];
      if (!e?.medianMs) return;
      const r = e.medianMs / c.peers.kerasrnn.medianMs;
      const x1 = x(1);
      const x2 = x(r);
      parts.push(`<rect x="${Math.min(x1, x2)}" y="${y0 + pi * barH}" width="${Math.max(1, Math.abs(x2 - x1))}" height="${barH - 1}" fill="${COLORS[p]}"><title>${p}: ${ratio(r)}×</title></rect>`);
    });
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function replaceBetween(text, start, end, body) {
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) return null;
  return `${text.slice(0, i + start.length)}\n${body}\n${text.slice(j)}`;
}

export async function writeReports(run, { here, write, quick }) {
  const dir = write && !quick ? here : path.join(here, 'out');
  await mkdir(dir, { recursive: true });
  const stem = quick ? 'quick-results' : 'results';
  const md = [`Machine: ${machineLine(run)}`, '', targetsTable(run), '', markdownTable(run), '', notesText(run)].join('\n');
  await writeFile(path.join(dir, `${stem}.json`), JSON.stringify(run, null, 1) + '\n');
  await writeFile(path.join(dir, `${stem}.md`), md + '\n');
  await writeFile(path.join(dir, `${stem}.svg`), svgChart(run) + '\n');
  console.log(`\n${md}\n\nwrote ${path.relative(process.cwd(), path.join(dir, stem))}.{json,md,svg}`);
  if (!write || quick) return;

  const readmePath = path.join(here, '..', 'README.md');
  const section = [
    '## Benchmarks',
    '',
    'Measured side by side in one `npm run bench` run, on identical weights and inputs (100 time steps, 64',
    'features, single-layer networks unless stated; the ONNX models are built from the same Keras weights by',
    '`bench/onnx-model.mjs`). Each cell: median time per `predict` after warm-up, and in brackets how many',
    'times faster kerasrnn is than that peer. The ratios are the claim; methodology and every case in',
    '[docs/benchmarks.md](docs/benchmarks.md), raw data in `bench/results.json`, chart `bench/results.svg`.',
    '',
    'Batch work can use more cores: `loadModel(src, { threads: 2 })` (Node.js) splits large batches across',
    'worker threads, and `sequenceThreads` (on by default where SharedArrayBuffer exists) splits one large',
    'LSTM sequence by units (the "kerasrnn 2 threads" column: both; the kerasrnn column: one thread).',
    '',
    md,
  ].join('\n');
  const readme = await readFile(readmePath, 'utf8');
  const updated = replaceBetween(readme, '<!-- section:benchmarks -->', '<!-- /section:benchmarks -->', section);
  if (updated) await writeFile(readmePath, updated);
  else console.log('README.md has no benchmarks section markers: not updated');

  const docPath = path.join(here, '..', 'docs', 'benchmarks.md');
  try {
    const doc = await readFile(docPath, 'utf8');
    const body = [`Machine: ${machineLine(run)}`, '', targetsTable(run), '', markdownTable(run), '', notesText(run), '', '![speedup chart](../bench/results.svg)'].join('\n');
    const next = replaceBetween(doc, '<!-- results -->', '<!-- /results -->', body);
    if (next) await writeFile(docPath, next);
  } catch {
    // docs/benchmarks.md is optional for a run
  }
}
