// Fixed-seed fuzz runs (500 cases over every format, 200 SavedModel cases) as part of npm test: 0 defects, and the
// cases really reach every outcome (loads that predict, architecture-only loads, typed errors).
// The full run is `npm run fuzz -- --cases 10000` (see docs/reliability.md).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function fuzz(args) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'kerasrnn-fuzz-'));
  const run = spawnSync(process.execPath, [path.join(ROOT, 'fuzz/run.mjs'), '--json', '--out', out, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const summary = JSON.parse(run.stdout || 'null');
  return { run, summary, out };
}

test('500 fixed-seed fuzz cases over every format: no defect', () => {
  const { run, summary, out } = fuzz(['--cases', '500', '--seed', '2024', '--workers', '2']);
  assert.ok(summary, `no summary: ${run.stderr}`);
  const defects = summary.defectCases.map((d) => `${d.outcome} case ${d.index} [${d.format} ${d.seed}]: ${d.detail} (${d.dir})`).join('\n');
  assert.is(summary.defects, 0, `defects (files in ${out}):\n${defects}`);
  assert.is(summary.harnessErrors, 0);
  assert.is(summary.cases, 500);
  assert.is(run.status, 0, run.stderr);
  for (const format of ['h5', 'pair', 'keras', 'json', 'tfjs']) assert.ok(summary.byFormat[format], `no ${format} cases`);
  assert.ok(summary.loadedAndPredicted >= 25, `only ${summary.loadedAndPredicted} cases loaded and predicted`);
  assert.ok(summary.configOnly >= 10, `only ${summary.configOnly} architecture-only loads`);
  assert.ok(summary.typedErrors >= 200, `only ${summary.typedErrors} typed errors`);
  fs.rmSync(out, { recursive: true, force: true });
});

const CORPUS_SAVEDMODELS = fs.existsSync(path.join(ROOT, '../shared/corpus/savedmodel'));

test('200 fixed-seed SavedModel fuzz cases (corpus directories, mutated): no defect, and both loads and refusals happen', () => {
  if (!CORPUS_SAVEDMODELS) {
    console.log('skipped: ../shared/corpus absent (the SavedModel fuzz seeds are its directories)');
    return;
  }
  const { run, summary, out } = fuzz(['--cases', '200', '--seed', '11', '--workers', '2', '--formats', 'savedmodel']);
  assert.ok(summary, `no summary: ${run.stderr}`);
  const defects = summary.defectCases.map((d) => `${d.outcome} case ${d.index} [${d.seed}]: ${d.detail} (${d.dir})`).join('\n');
  assert.is(summary.defects, 0, `defects (files in ${out}):\n${defects}`);
  assert.is(summary.harnessErrors, 0);
  assert.ok(summary.byFormat.savedmodel, 'no savedmodel cases');
  assert.ok(summary.loadedAndPredicted >= 20, `only ${summary.loadedAndPredicted} cases loaded and predicted`);
  assert.ok(summary.typedErrors >= 80, `only ${summary.typedErrors} typed errors`);
  fs.rmSync(out, { recursive: true, force: true });
});

test('the fuzzer itself reports hangs, crashes and memory blow-ups (and writes the cases out); a case slow only once is re-run, not a defect', () => {
  const { run, summary, out } = fuzz(['--cases', '12', '--seed', '7', '--workers', '2', '--timeout', '2000', '--memory-mb', '384', '--inject', 'hang:2,crash:5,memory:8,slow:10']);
  assert.ok(summary, run.stderr);
  assert.is(run.status, 1);
  assert.is(summary.cases, 12);
  assert.equal(summary.defectCases.map((d) => [d.index, d.outcome]).sort((a, b) => a[0] - b[0]), [[2, 'hang'], [5, 'crash'], [8, 'memory']]);
  assert.equal(summary.slowUnderLoad.map((c) => c.index), [10]);
  assert.match(summary.defectCases.find((d) => d.index === 2).detail, /nor within 8000 ms when run again alone/);
  for (const d of summary.defectCases) {
    const meta = JSON.parse(fs.readFileSync(path.join(ROOT, d.dir, 'case.json'), 'utf8'));
    assert.is(meta.index, d.index);
    assert.ok(Object.keys(meta.files).length >= 1);
  }
  fs.rmSync(out, { recursive: true, force: true });
});

test.run();
