// Reads the imports of every src/ module (static `import` / `export ... from`, `import type`
// included, and dynamic `import('...')` of relative paths) and checks them against the floors
// docs/architecture.md states: a module may import its own floor or a lower one, never a higher
// one, and no chain of imports may lead back to where it started (no cycles, at module level).
// `node scripts/check-floors.mjs` prints every violation and exits 1 when there is one; the test
// test/architecture/floors.test.js runs the same check.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = path.join(root, 'src');

/**
 * The floors, lowest first, from the ```floors block of docs/architecture.md: one floor per line,
 * each naming src/ folders (or root modules by file name without .ts) that share it.
 */
export function readFloors(doc = readFileSync(path.join(root, 'docs', 'architecture.md'), 'utf8')) {
  const block = /```floors\n([\s\S]*?)```/.exec(doc);
  if (!block) throw new Error('docs/architecture.md has no ```floors block');
  // Written top floor first, as a building is drawn.
  const lines = block[1].split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean).reverse();
  const floorOf = new Map();
  lines.forEach((line, level) => {
    for (const name of line.split(/\s+/)) floorOf.set(name, level);
  });
  return floorOf;
}

/** Every .ts module under src/ with the src/-relative modules it imports. */
export function readImports() {
  const modules = new Map();
  for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = path.join(entry.parentPath ?? entry.path, entry.name);
    const rel = path.relative(src, file).split(path.sep).join('/');
    const text = readFileSync(file, 'utf8');
    const deps = new Set();
    const re = /(?:^|\n)\s*(?:import|export)\s(?:[^;'"]*?\sfrom\s)?['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
    for (const m of text.matchAll(re)) {
      const spec = m[1] ?? m[2];
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(rel), spec)).replace(/\.js$/, '.ts');
      deps.add(target);
    }
    modules.set(rel, [...deps]);
  }
  return modules;
}

/** The floor name of a module: its folder, or its own name for a module directly in src/. */
export function floorName(rel) {
  return rel.includes('/') ? rel.slice(0, rel.indexOf('/')) : rel.replace(/\.ts$/, '');
}

/** Violations: upward imports, modules on no floor, and import cycles. */
export function checkFloors(floorOf = readFloors(), modules = readImports()) {
  const problems = [];
  for (const [rel, deps] of modules) {
    const from = floorOf.get(floorName(rel));
    if (from === undefined) {
      problems.push(`${rel}: its floor "${floorName(rel)}" is not in docs/architecture.md`);
      continue;
    }
    for (const dep of deps) {
      const to = floorOf.get(floorName(dep));
      if (to !== undefined && to > from) problems.push(`${rel} imports ${dep}: floor "${floorName(dep)}" is above "${floorName(rel)}"`);
    }
  }
  // Cycles: Tarjan's strongly connected components over the module graph.
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const strong = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of modules.get(v) ?? []) {
      if (!modules.has(w)) continue;
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (modules.get(v) ?? []).includes(v)) problems.push(`import cycle: ${comp.sort().join(' <-> ')}`);
    }
  };
  for (const v of modules.keys()) if (!idx.has(v)) strong(v);
  return problems;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const problems = checkFloors();
  for (const p of problems) console.error(p);
  console.log(problems.length ? `${problems.length} floor violation(s)` : 'floors: no upward import, no cycle');
  process.exit(problems.length ? 1 : 0);
}
