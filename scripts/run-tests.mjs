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
const args = [uvu, 'test', '.*\\.test\\.js$', ...process.argv.slice(2)];
const run = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28 });
process.stdout.write(run.stdout ?? '');
process.stderr.write(run.stderr ?? '');
const text = `${run.stdout ?? ''}\n${run.stderr ?? ''}`;
const total = Number(/Total:\s+(\d+)/.exec(text)?.[1] ?? 0);
const passed = Number(/Passed:\s+(\d+)/.exec(text)?.[1] ?? 0);
const skipped = Number(/Skipped:\s+(\d+)/.exec(text)?.[1] ?? 0);
const failed = Math.max(0, total - passed - skipped) || (run.status !== 0 && total === 0 ? 1 : 0);
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(run.status ?? 1);
