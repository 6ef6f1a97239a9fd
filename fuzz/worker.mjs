// Fuzz worker: a child process that regenerates cases from their numbers and runs them one after
// the other against dist/ (kerasrnn's public API). It tells the parent when each case starts and
// how it ended; the parent's watchdog turns a silent worker into a "hang" and a dead one into a
// "crash". Defect cases are written out here (the parent writes hangs and crashes).

import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { makeCase, ROOT } from './lib/cases.mjs';
import { DEFECT_KINDS, runCase, writeCase } from './lib/execute.mjs';

const config = JSON.parse(process.env.KERASRNN_FUZZ ?? '{}');
const lib = await import(pathToFileURL(path.join(ROOT, 'dist/index.js')).href);
/** Seed files, sent by the parent so that every process generates the very same cases. */
let seeds = [];
const boundBytes = config.memoryMB * 1024 * 1024;

function rss() {
  return process.memoryUsage().rss;
}

function peak() {
  return process.resourceUsage().maxRSS * 1024;
}

/** `--inject kind:index,...` makes the worker misbehave on purpose, to check that the parent notices. */
const injected = new Map((config.inject ?? []).map(([kind, index]) => [index, kind]));
let hoard = [];
let rerun = false; // the parent is running this batch again after it overran the time limit
function inject(index) {
  const kind = injected.get(index);
  if (kind === 'hang') for (;;);
  if (kind === 'slow' && !rerun) for (const until = performance.now() + 1.5 * config.timeout; performance.now() < until; );
  if (kind === 'crash') process.kill(process.pid, 'SIGSEGV');
  if (kind === 'memory') hoard = Array.from({ length: Math.ceil(config.memoryMB / 64) + 2 }, () => Buffer.alloc(64 << 20, 1));
}

async function runOne(index) {
  process.send({ type: 'start', index });
  let c;
  try {
    c = { ...makeCase(config.runSeed, index, seeds, config.formats), runSeed: config.runSeed };
  } catch (e) {
    // a bug of the fuzzer itself, not of kerasrnn
    process.send({ type: 'result', index, outcome: 'harness-error', detail: `case generation failed: ${e?.stack ?? e}`, what: [], ms: 0 });
    return false;
  }
  const peakBefore = peak();
  const t0 = performance.now();
  inject(index);
  const report = await runCase(c, lib, { limits: config.limits });
  const ms = performance.now() - t0;
  let outcome = report.outcome;
  let detail = report.detail;
  let exitAfter = false;
  const peakAfter = peak();
  if (peakAfter > boundBytes && peakAfter > peakBefore) {
    outcome = 'memory';
    detail = `peak RSS ${(peakAfter / 2 ** 20).toFixed(0)} MB passed the ${config.memoryMB} MB bound during this case (${report.outcome}: ${report.detail})`;
    exitAfter = true; // maxRSS only grows: start a fresh process
  } else if (rss() > boundBytes) {
    globalThis.gc?.();
    if (rss() > boundBytes) {
      outcome = 'memory';
      detail = `RSS ${(rss() / 2 ** 20).toFixed(0)} MB stays above the ${config.memoryMB} MB bound after this case and a GC (${report.outcome}: ${report.detail})`;
      exitAfter = true;
    }
  }
  let dir;
  if (DEFECT_KINDS.includes(outcome)) {
    dir = writeCase(fs, path, path.join(config.out, `${config.runSeed}-${index}-${outcome}`), c, { ...report, outcome, detail });
  }
  process.send({
    type: 'result',
    index,
    seed: c.seed,
    format: c.format,
    outcome,
    errorClass: report.errorClass,
    detail,
    stack: report.stack,
    what: c.what,
    ms,
    dir,
  });
  return exitAfter;
}

process.on('message', async (msg) => {
  if (msg.type === 'seeds') {
    seeds = msg.seeds;
    process.send({ type: 'ready', seeds: seeds.length });
    return;
  }
  if (msg.type !== 'run') return;
  rerun = msg.rerun === true;
  for (const index of msg.indices) {
    if (await runOne(index)) {
      process.send({ type: 'restart' });
      process.exit(0);
    }
  }
  process.send({ type: 'idle' });
});

process.send({ type: 'loaded' });
