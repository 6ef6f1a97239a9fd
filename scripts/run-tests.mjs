// Runs the uvu suites and ends with the one-line summary CI reads ("N passed, N failed").
// The tests import dist/ and build/: they refuse to run against a build older than its sources
// (a stale build passes or fails for the wrong code), saying which file is newer.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The newest file below `dir` (skipping generated sources, which the build itself writes). */
function newest(dir) {
  let best = { file: null, mtime: 0 };
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || entry.name.includes('.generated.')) continue;
    const file = path.join(entry.parentPath ?? entry.path, entry.name);
    const mtime = statSync(file).mtimeMs;
    if (mtime > best.mtime) best = { file, mtime };
  }
  return best;
}

for (const [sources, built] of [['src', 'dist/index.js'], ['assembly', 'build/kerasrnn.wasm'], ['assembly', 'build/kerasrnn-relaxed.wasm']]) {
  const target = path.join(root, built);
  if (!existsSync(target)) {
    console.error(`${built} is missing: run \`npm run build\` before \`npm test\``);
    process.exit(1);
  }
  const src = newest(path.join(root, sources));
  if (src.mtime > statSync(target).mtimeMs) {
    console.error(`${built} is older than ${path.relative(root, src.file)}: the tests would run stale code; run \`npm run build\` first`);
    process.exit(1);
  }
}

const uvu = fileURLToPath(new URL('../node_modules/uvu/bin.js', import.meta.url));
const filter = process.argv.slice(2);

/** One uvu process over `dir`; its output is passed through and its counts returned. */
function runUvu(nodeFlags, dir, pattern) {
  const run = spawnSync(process.execPath, [...nodeFlags, uvu, dir, pattern, ...filter], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28 });
  process.stdout.write(run.stdout ?? '');
  process.stderr.write(run.stderr ?? '');
  const text = `${run.stdout ?? ''}\n${run.stderr ?? ''}`;
  const total = Number(/Total:\s+(\d+)/.exec(text)?.[1] ?? 0);
  const passed = Number(/Passed:\s+(\d+)/.exec(text)?.[1] ?? 0);
  const skipped = Number(/Skipped:\s+(\d+)/.exec(text)?.[1] ?? 0);
  const failed = Math.max(0, total - passed - skipped) || (run.status !== 0 && total === 0 ? 1 : 0);
  return { passed, failed, skipped, status: run.status ?? 1 };
}

// The browser tests (test/e2e) compare what a Chromium page computes with Node's predict bit for
// bit, and Chromium runs the relaxed SIMD kernel build: they run in their own Node process with
// relaxed SIMD on (Node 20 needs the flag; newer Node has it by default), everything else in one
// process with this Node's default build.
const relaxedFlag = WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11]))
  ? []
  : ['--experimental-wasm-relaxed-simd'];
const runs = [runUvu([], 'test', '^(?!e2e/).*\\.test\\.js$'), runUvu(relaxedFlag, 'test/e2e', '.*\\.test\\.js$')];
const sum = (k) => runs.reduce((n, r) => n + r[k], 0);
console.log(`\n${sum('passed')} passed, ${sum('failed')} failed${sum('skipped') ? `, ${sum('skipped')} skipped` : ''}`);
process.exit(runs.every((r) => r.status === 0) ? 0 : 1);
