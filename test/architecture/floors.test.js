// The floors of src/ (docs/architecture.md's ```floors block) against the imports the modules
// really make: no module imports a higher floor, no import cycle, every folder is on a floor.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkFloors, readFloors, readImports } from '../../scripts/check-floors.mjs';

test('src/ imports only go down the floors docs/architecture.md states, with no cycle', () => {
  const problems = checkFloors();
  assert.equal(problems, [], problems.join('\n'));
});

test('every floor the document names exists in src/ (the document describes the code, not a plan)', () => {
  const floors = readFloors();
  const present = new Set([...readImports().keys()].map((rel) => (rel.includes('/') ? rel.slice(0, rel.indexOf('/')) : rel.replace(/\.ts$/, ''))));
  for (const name of floors.keys()) assert.ok(present.has(name), `floor "${name}" has no module in src/`);
});

test('the check finds an upward import and a cycle when there is one', () => {
  const floors = new Map([['wasm', 0], ['layers', 1], ['api', 2]]);
  const modules = new Map([
    ['wasm/memory.ts', ['layers/types.ts']],
    ['layers/types.ts', ['wasm/memory.ts']],
    ['layers/a.ts', ['api/model.ts']],
    ['api/model.ts', []],
  ]);
  const problems = checkFloors(floors, modules);
  assert.ok(problems.some((p) => /wasm\/memory\.ts imports layers\/types\.ts/.test(p)), problems.join('\n'));
  assert.ok(problems.some((p) => /layers\/a\.ts imports api\/model\.ts/.test(p)), problems.join('\n'));
  assert.ok(problems.some((p) => /import cycle: layers\/types\.ts <-> wasm\/memory\.ts/.test(p)), problems.join('\n'));
});

test.run();
