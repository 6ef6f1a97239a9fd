// Generates src/wasm/kernel-abi.generated.ts from the compiled kernels, so the TypeScript side
// of the wasm ABI cannot drift from assembly/: the `KernelExports` interface (every exported
// function with its parameter names, from the compiler's build/kerasrnn.d.ts) and
// `KERNEL_CONSTANTS` (every exported i32 global - activation ids, tensor-op codes - read from the
// instantiated module), and the interface and writer of every parameter block declared in
// assembly/param-blocks.ts (field names and offsets from the class itself, checked against the
// block size the compiler exports). Run by `npm run build:wasm` after asc.
import { readFileSync, writeFileSync } from 'node:fs';

const dts = readFileSync(new URL('../build/kerasrnn.d.ts', import.meta.url), 'utf8');
const wasm = readFileSync(new URL('../build/kerasrnn.wasm', import.meta.url));
const out = new URL('../src/wasm/kernel-abi.generated.ts', import.meta.url);

const functions = [];
const fnRe = /\/\*\*\s*\n\s*\*\s*(assembly\/[^\n]+)\n(?:\s*\*[^\n]*\n)*?\s*\*\/\s*\n\s*export function (\w+)\(([^)]*)\): (\w+);/g;
for (const m of dts.matchAll(fnRe)) functions.push({ where: m[1].trim(), name: m[2], params: m[3], ret: m[4] });

/** The TSDoc above `export function name` in its assembly/ source, or the source path alone. */
function docOf(f) {
  const file = new URL(`../${f.where.slice(0, f.where.lastIndexOf('/'))}.ts`, import.meta.url);
  const src = readFileSync(file, 'utf8');
  const at = src.search(new RegExp(`export function ${f.name}\\b`));
  const before = src.slice(0, at).trimEnd();
  if (at < 0 || !before.endsWith('*/')) return [`  /** ${f.where} */`];
  const text = before
    .slice(before.lastIndexOf('/**') + 3, -2)
    .split('\n')
    .map((l) => l.trim().replace(/^\* ?/, ''))
    .filter((l, i, all) => l !== '' || (i > 0 && i < all.length - 1));
  return ['  /**', ...text.map((l) => `   * ${l}`.trimEnd()), `   * (${f.where})`, '   */'];
}
if (functions.length === 0) throw new Error('gen-kernel-abi: no functions found in build/kerasrnn.d.ts (did the asc bindings format change?)');

const { instance } = await WebAssembly.instantiate(wasm, { env: { abort() {} } });
const constants = Object.entries(instance.exports)
  .filter(([, v]) => v instanceof WebAssembly.Global)
  .map(([k, v]) => [k, v.value]);
const exported = new Set(Object.keys(instance.exports));
for (const f of functions) if (!exported.has(f.name)) throw new Error(`gen-kernel-abi: ${f.name} is in the bindings but not exported by the module`);

// Parameter blocks (assembly/param-blocks.ts): every `@unmanaged class` there, its fields in
// declaration order after its base class's. All fields are 4 bytes, so field n is at byte 4n; for
// each exported class the module's `<NAME>_BYTES = offsetof<Class>()` must agree, or the compiler
// laid the class out otherwise.
const blockSrc = readFileSync(new URL('../assembly/param-blocks.ts', import.meta.url), 'utf8');
const classes = new Map();
const blocks = [];
const blockRe = /(\/\*\*(?:(?!\*\/)[\s\S])*\*\/)\s*@unmanaged (export )?class (\w+)(?: extends (\w+))? \{([^}]*)\}/g;
const fieldRe = /(?:(\/\*\*(?:(?!\*\/)[\s\S])*\*\/)\s*)?(\w+): (\w+);/g;
const docText = (c) => (c ?? '').replace(/^\/\*\*|\*\/$/g, '').split('\n').map((l) => l.trim().replace(/^\* ?/, '')).join(' ').trim();
for (const [, doc, exported, name, base, body] of blockSrc.matchAll(blockRe)) {
  if (base && !classes.has(base)) throw new Error(`gen-kernel-abi: ${name} extends ${base}, which param-blocks.ts does not declare before it`);
  const own = [...body.matchAll(fieldRe)].map((f) => ({ doc: docText(f[1]), name: f[2], type: f[3] }));
  for (const f of own) {
    if (!['i32', 'u32', 'usize', 'f32'].includes(f.type)) throw new Error(`gen-kernel-abi: ${name}.${f.name} is ${f.type}; parameter block fields must be 4-byte (i32, u32, usize, f32)`);
  }
  const cls = { doc: docText(doc), name, base, own, fields: [...(base ? classes.get(base).fields : []), ...own] };
  classes.set(name, cls);
  if (!exported) continue;
  const constName = `${name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}_BYTES`;
  const bytes = constants.find(([k]) => k === constName)?.[1];
  if (bytes !== cls.fields.length * 4) {
    throw new Error(`gen-kernel-abi: ${name} has ${cls.fields.length} 4-byte fields but the module's ${constName} is ${bytes} (export it from assembly/index.ts as offsetof<${name}>())`);
  }
  blocks.push({ ...cls, constName: constName.replace(/_BYTES$/, ''), bytes });
}
if (blocks.length === 0) throw new Error('gen-kernel-abi: no parameter blocks found in assembly/param-blocks.ts');

/** The generated interface of one param-blocks.ts class (its own fields; a base class is extended). */
function interfaceLines(c) {
  return [
    `/** ${c.doc} Fields of the assembly/param-blocks.ts class ${c.name}. */`,
    `export interface ${c.name}${c.base ? ` extends ${c.base}` : ''} {`,
    ...c.own.flatMap((f) => [...(f.doc ? [`  /** ${f.doc} */`] : []), `  readonly ${f.name}: number;`]),
    '}',
    '',
  ];
}

/** The generated writer of one exported block: every field, base fields first, at byte 4n. */
function writerLines(b) {
  const views = [...new Set(b.fields.map((f) => (f.type === 'f32' ? 'f32' : 'i32')))];
  return [
    `/** Writer of ${b.name} (${b.bytes} bytes; field n at byte 4n). */`,
    `export const ${b.constName}: ParamBlock<${b.name}> = {`,
    `  name: '${b.name}',`,
    `  bytes: ${b.bytes},`,
    '  write(buffer, ptr, p) {',
    ...views.map((v) => `    const ${v} = new ${v === 'f32' ? 'Float32Array' : 'Int32Array'}(buffer, ptr, ${b.fields.length});`),
    ...b.fields.map((f, i) => `    ${f.type === 'f32' ? 'f32' : 'i32'}[${i}] = p.${f.name};`),
    '  },',
    '};',
    '',
  ];
}

const lines = [
  '// Generated by scripts/gen-kernel-abi.mjs from build/kerasrnn.wasm and build/kerasrnn.d.ts. Do not edit:',
  '// change assembly/ and rebuild (npm run build:wasm).',
  '',
  '/** The functions `assembly/index.ts` exports. Pointers are byte offsets into the instance\'s memory. */',
  'export interface KernelExports {',
  '  readonly memory: WebAssembly.Memory;',
  ...functions.flatMap((f) => [...docOf(f), `  ${f.name}(${f.params}): ${f.ret};`]),
  '}',
  '',
  '/** Every i32 constant the module exports (activation ids, tensor-op codes), by its assembly/ name. */',
  'export const KERNEL_CONSTANTS = {',
  ...constants.map(([k, v]) => `  ${k}: ${v},`),
  '} as const;',
  '',
  '/**',
  ' * A kernel\'s parameter block: `write` puts the fields at `ptr` (4-byte aligned, `bytes` long)',
  ' * in the module memory\'s `buffer`; the kernel is then called with `ptr`.',
  ' */',
  'export interface ParamBlock<P> {',
  '  /** The class in assembly/param-blocks.ts. */',
  '  readonly name: string;',
  '  readonly bytes: number;',
  '  write(buffer: ArrayBufferLike, ptr: number, params: P): void;',
  '}',
  '',
  ...[...classes.values()].flatMap(interfaceLines),
  ...blocks.flatMap(writerLines),
  '/** The exported function names, to check an instance against at load. */',
  `export const KERNEL_FUNCTIONS: readonly string[] = ${JSON.stringify(functions.map((f) => f.name))};`,
  '',
];
writeFileSync(out, lines.join('\n'));
console.log(`kernel ABI: ${functions.length} functions, ${constants.length} constants, ${blocks.length} parameter blocks`);
