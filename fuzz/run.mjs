#!/usr/bin/env node
// kerasrnn fuzzer: `npm run fuzz -- --cases N --seed S`.
//
// Mutates valid model files of every format kerasrnn reads (full-model .h5, JSON + weights .h5,
// .keras archives, JSON configs) and runs each case through loadModel / predict / stream /
// dispose in worker processes, with a time limit per case and a memory bound per worker. Prints
// counts by outcome; writes every defect case to fuzz/defects/<seed>-<index>-<kind>/ (files plus
// case.json) so it can become a regression test (copy it to test/reliability/fuzz-cases/).
// Exit status 1 if any defect was found.

import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { FORMATS, loadSeeds, makeCase, ROOT } from './lib/cases.mjs';
import { DEFECT_KINDS, writeCase } from './lib/execute.mjs';

const HELP = `usage: npm run fuzz -- [options]
  --cases N         number of cases (default 1000)
  --seed S          run seed (default 1); case i of seed S is always the same case
  --start I         first case index (default 0)
  --formats LIST    comma-separated subset of ${FORMATS.join(',')} (default: all that have
                    seeds; savedmodel seeds are the shared corpus' SavedModel directories)
  --workers W       worker processes (default: number of CPUs, at most 4)
  --batch B         cases handed to a worker at a time (default 50)
  --timeout MS      time limit per case (default 10000)
  --memory-mb MB    RSS bound per worker (default 1536)
  --out DIR         where defect cases go (default fuzz/defects)
  --corpus [DIR]    also use the shared corpus files as seeds (default ../shared/corpus)
  --json            print the summary as JSON
  --quiet           no progress lines
  --inject LIST     self-test: make workers hang / crash / blow memory / overrun the limit
                    only on the first run (slow) on given cases,
                    e.g. hang:3,crash:7,memory:11 (checks that the fuzzer reports them)`;

function parseArgs(argv) {
  const o = {
    cases: 1000,
    seed: 1,
    start: 0,
    formats: null,
    workers: Math.min(4, os.availableParallelism?.() ?? os.cpus().length),
    batch: 50,
    timeout: 10000,
    memoryMB: 1536,
    out: path.join(ROOT, 'fuzz/defects'),
    corpus: null,
    inject: [],
    json: false,
    quiet: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--cases') o.cases = Number(next());
    else if (a === '--seed') o.seed = Number(next());
    else if (a === '--start') o.start = Number(next());
    else if (a === '--formats') o.formats = next().split(',');
    else if (a === '--workers') o.workers = Number(next());
    else if (a === '--batch') o.batch = Number(next());
    else if (a === '--timeout') o.timeout = Number(next());
    else if (a === '--memory-mb') o.memoryMB = Number(next());
    else if (a === '--out') o.out = path.resolve(next());
    else if (a === '--corpus') o.corpus = argv[i + 1] && !argv[i + 1].startsWith('--') ? path.resolve(next()) : path.resolve(ROOT, '../shared/corpus');
    else if (a === '--inject') o.inject = next().split(',').map((x) => [x.split(':')[0], Number(x.split(':')[1])]);
    else if (a === '--json') o.json = true;
    else if (a === '--quiet') o.quiet = true;
    else if (a === '--help' || a === '-h') {
      console.log(HELP);
      process.exit(0);
    } else throw new Error(`unknown option ${a}\n${HELP}`);
  }
  for (const k of ['cases', 'seed', 'start', 'workers', 'batch', 'timeout', 'memoryMB']) {
    if (!Number.isInteger(o[k]) || o[k] < 0) throw new Error(`--${k} must be a non-negative integer`);
  }
  for (const f of o.formats ?? []) if (!FORMATS.includes(f)) throw new Error(`unknown format ${f}`);
  o.workers = Math.max(1, o.workers);
  return o;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(path.join(ROOT, 'dist/index.js'))) throw new Error('dist/ is missing: run npm run build first');
  const seeds = loadSeeds({ corpus: opts.corpus });
  const perFormat = Object.fromEntries(FORMATS.map((f) => [f, seeds.filter((s) => s.format === f).length]));
  // by default every format that has seeds (savedmodel seeds come from the shared corpus when present)
  opts.formats ??= FORMATS.filter((f) => perFormat[f] > 0);
  const t0 = performance.now();
  if (!opts.quiet && !opts.json) {
    console.log(`kerasrnn fuzz: ${opts.cases} cases, seed ${opts.seed}, formats ${opts.formats.join(',')}, ${opts.workers} workers, ${opts.timeout} ms per case, ${opts.memoryMB} MB per worker`);
    console.log(`seeds: ${Object.entries(perFormat).map(([f, n]) => `${f} ${n}`).join(', ')}${opts.corpus ? ' (with corpus)' : ''}`);
  }

  const pending = [];
  for (let i = opts.start; i < opts.start + opts.cases; i += opts.batch) {
    pending.push(Array.from({ length: Math.min(opts.batch, opts.start + opts.cases - i) }, (_, k) => i + k));
  }
  const results = new Map();
  const env = {
    ...process.env,
    KERASRNN_FUZZ: JSON.stringify({ runSeed: opts.seed, formats: opts.formats, memoryMB: opts.memoryMB, timeout: opts.timeout, out: opts.out, inject: opts.inject }),
  };
  const workers = new Set();
  // A case that overruns the limit is run once more, alone in a fresh worker with 4x the limit,
  // before it counts as a hang: on a machine loaded by other work a slow case is not a defect,
  // while a real endless loop overruns the second limit as well.
  const RECHECK_FACTOR = 4;
  const rechecking = new Set();
  const slowUnderLoad = [];
  const limitFor = (index) => (rechecking.has(index) ? opts.timeout * RECHECK_FACTOR : opts.timeout);
  let lastProgress = performance.now();
  let fruitlessDeaths = 0; // workers that died before finishing any case: stop instead of looping

  const record = (index, r) => {
    if (results.has(index)) return;
    results.set(index, r);
    if (r.outcome === 'harness-error' && !opts.json) console.log(`FUZZER ERROR case ${index}: ${r.detail}`);
    if (DEFECT_KINDS.includes(r.outcome) && !opts.json) {
      console.log(`DEFECT case ${index} [${r.format} ${r.seed}] ${r.outcome}: ${r.detail}${r.dir ? `\n  written to ${path.relative(process.cwd(), r.dir)}` : ''}`);
    }
    if (!opts.quiet && !opts.json && performance.now() - lastProgress > 5000) {
      lastProgress = performance.now();
      console.log(`  ${results.size}/${opts.cases} cases, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
  };

  const writeOut = (index, outcome, detail) => {
    let c;
    try {
      c = { ...makeCase(opts.seed, index, seeds, opts.formats), runSeed: opts.seed };
    } catch {
      return {};
    }
    const dir = writeCase(fs, path, path.join(opts.out, `${opts.seed}-${index}-${outcome}`), c, { outcome, detail });
    return { seed: c.seed, format: c.format, what: c.what, dir };
  };

  await new Promise((resolve, reject) => {
    const spawn = () => {
      const child = fork(path.join(ROOT, 'fuzz/worker.mjs'), [], {
        env,
        execArgv: ['--expose-gc', `--max-old-space-size=${opts.memoryMB}`],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        serialization: 'advanced',
      });
      const w = { child, batch: null, current: null, startedAt: 0, killedForHang: false, done: false };
      workers.add(w);
      const give = () => {
        const batch = pending.shift();
        if (!batch) {
          w.done = true;
          child.kill();
          return;
        }
        w.batch = batch;
        child.send({ type: 'run', indices: batch, rerun: batch.some((i) => rechecking.has(i)) });
      };
      child.on('message', (msg) => {
        if (msg.type === 'loaded') child.send({ type: 'seeds', seeds });
        else if (msg.type === 'ready') give();
        else if (msg.type === 'start') {
          w.current = msg.index;
          w.startedAt = performance.now();
        } else if (msg.type === 'result') {
          // a re-run that finished is slow under load only if it finished well; a defect found on the re-run (e.g. memory) stays a defect
          if (rechecking.has(msg.index) && !DEFECT_KINDS.includes(msg.outcome)) slowUnderLoad.push({ index: msg.index, ms: Math.round(msg.ms ?? performance.now() - w.startedAt) });
          w.current = null;
          fruitlessDeaths = 0;
          record(msg.index, msg);
        } else if (msg.type === 'idle') {
          w.batch = null;
          give();
        }
      });
      child.on('exit', (code, signal) => {
        workers.delete(w);
        if (!w.done && w.current === null && !w.batch?.some((i) => results.has(i)) && ++fruitlessDeaths > 5) {
          reject(new Error(`workers keep dying before running a case (last exit code ${code}, signal ${signal})`));
          return;
        }
        if (!w.done) {
          const rest = (w.batch ?? []).filter((i) => !results.has(i) && i !== w.current);
          if (rest.length) pending.unshift(rest);
          if (w.current !== null && !results.has(w.current)) {
            if (w.killedForHang && !rechecking.has(w.current)) {
              rechecking.add(w.current);
              pending.unshift([w.current]);
            } else {
              const outcome = w.killedForHang ? 'hang' : 'crash';
              const detail = w.killedForHang
                ? `no result within ${opts.timeout} ms, nor within ${opts.timeout * RECHECK_FACTOR} ms when run again alone`
                : `worker died (exit code ${code}, signal ${signal})`;
              record(w.current, { index: w.current, outcome, detail, ...writeOut(w.current, outcome, detail) });
            }
          }
          if (pending.length || [...workers].some((x) => !x.done)) spawn();
        }
        if (workers.size === 0) {
          if (results.size >= opts.cases || pending.length === 0) resolve();
          else spawn();
        }
      });
      child.on('error', reject);
    };
    for (let i = 0; i < Math.min(opts.workers, pending.length); i++) spawn();
    if (pending.length === 0) resolve();
    const watchdog = setInterval(() => {
      for (const w of workers) {
        if (w.current !== null && !w.killedForHang && performance.now() - w.startedAt > limitFor(w.current)) {
          w.killedForHang = true;
          w.child.kill('SIGKILL');
        }
      }
      if (workers.size === 0 && pending.length === 0) {
        clearInterval(watchdog);
        resolve();
      }
    }, 100);
    watchdog.unref();
  });

  const seconds = (performance.now() - t0) / 1000;
  const counts = {};
  const typedClasses = {};
  const byFormat = {};
  for (const r of results.values()) {
    counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
    if (r.outcome === 'typed') typedClasses[r.errorClass] = (typedClasses[r.errorClass] ?? 0) + 1;
    byFormat[r.format] ??= {};
    byFormat[r.format][r.outcome] = (byFormat[r.format][r.outcome] ?? 0) + 1;
  }
  const defects = [...results.values()].filter((r) => DEFECT_KINDS.includes(r.outcome));
  const summary = {
    cases: results.size,
    seed: opts.seed,
    seconds: Number(seconds.toFixed(1)),
    workers: opts.workers,
    loadedAndPredicted: counts.predicted ?? 0,
    configOnly: counts['config-only'] ?? 0,
    loadedOnly: counts.loaded ?? 0,
    typedErrors: counts.typed ?? 0,
    harnessErrors: counts['harness-error'] ?? 0,
    defects: defects.length,
    slowUnderLoad,
    counts,
    typedClasses,
    byFormat,
    slowestCases: [...results.values()]
      .filter((r) => typeof r.ms === 'number')
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 5)
      .map((r) => ({ index: r.index, ms: Math.round(r.ms), format: r.format, outcome: r.outcome, what: (r.what ?? []).join(' | ').slice(0, 160) })),
    defectCases: defects.map((d) => ({ index: d.index, outcome: d.outcome, format: d.format, seed: d.seed, detail: d.detail, dir: d.dir && path.relative(ROOT, d.dir) })),
  };
  if (opts.json) console.log(JSON.stringify(summary, null, 2));
  else {
    console.log(`\n${results.size} cases in ${seconds.toFixed(1)} s (${(results.size / seconds).toFixed(0)} cases/s, ${opts.workers} workers)`);
    console.log(`  loaded and predicted: ${summary.loadedAndPredicted}`);
    console.log(`  loaded (architecture only): ${summary.configOnly}`);
    if (summary.loadedOnly) console.log(`  loaded (input too large to try a predict): ${summary.loadedOnly}`);
    console.log(`  typed errors: ${summary.typedErrors} (${Object.entries(typedClasses).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')})`);
    console.log(`  defects: ${defects.length}${defects.length ? ` (${DEFECT_KINDS.filter((k) => counts[k]).map((k) => `${k} ${counts[k]}`).join(', ')})` : ''}`);
    const slow = summary.slowestCases[0];
    if (slowUnderLoad.length) console.log(`  over the time limit once, then finished when run again alone (not defects): ${slowUnderLoad.map((c) => `${c.index} (${c.ms} ms)`).join(', ')}`);
    if (slow) console.log(`  slowest case: ${slow.index} (${slow.format}, ${slow.outcome}) ${slow.ms} ms`);
    if (summary.harnessErrors) console.log(`  fuzzer errors (bugs of the fuzzer, not of kerasrnn): ${summary.harnessErrors}`);
    for (const [f, c] of Object.entries(byFormat)) console.log(`  ${f}: ${Object.entries(c).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  process.exitCode = defects.length || summary.harnessErrors ? 1 : 0;
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 2;
});
