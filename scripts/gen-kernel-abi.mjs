// Generates src/wasm/kernel-abi.generated.ts from the compiled kernels, so the TypeScript side
// of the wasm ABI cannot drift from assembly/: the `KernelExports` interface (every exported
// function with its parameter names, from the compiler's build/kerasrnn.d.ts) and
// `KERNEL_CONSTANTS` (every exported i32 global - activation ids, tensor-op codes - read from the
// instantiated module), and the interface and writer of every parameter block declared in
// assembly/param-blocks.ts (field names and offsets from the class itself, checked against the
// block size the compiler exports). Run by `npm run build:wasm` after asc.
//
// The kernels are built twice from one source (plain SIMD: build/kerasrnn.wasm; relaxed SIMD:
// build/kerasrnn-relaxed.wasm) and the engine loads either behind the same KernelExports, so
// this script also fails unless both export exactly the same ABI: the same bindings, the same
// imports, the same exports with the same wasm function types, the same constant values. The
// relaxed build is compared by reading its sections, not by instantiating it, because the
// Node that builds may not run relaxed SIMD (Node 20 without --experimental-wasm-relaxed-simd).
import { readFileSync, writeFileSync } from 'node:fs';

const dts = readFileSync(new URL('../build/kerasrnn.d.ts', import.meta.url), 'utf8');
const wasm = readFileSync(new URL('../build/kerasrnn.wasm', import.meta.url));
const relaxedDts = readFileSync(new URL('../build/kerasrnn-relaxed.d.ts', import.meta.url), 'utf8');
const relaxedWasm = readFileSync(new URL('../build/kerasrnn-relaxed.wasm', import.meta.url));
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

/**
 * The ABI of a wasm binary read from its sections: imports, and every export with its function
 * type (functions) or its constant initial value (globals), one line each.
 */
function abiOf(bytes) {
  let p = 0;
  const u32 = () => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[p++];
      v += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return v;
    }
  };
  const s32 = () => {
    let v = 0;
    let shift = 0;
    let b;
    do {
      b = bytes[p++];
      v |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    return shift < 32 && b & 0x40 ? v | (-1 << shift) : v;
  };
  const name = () => {
    const n = u32();
    p += n;
    return bytes.subarray(p - n, p).toString('utf8');
  };
  const limits = () => (bytes[p++] & 1 ? `${u32()}..${u32()}` : `${u32()}..`);
  const types = [];
  const funcs = []; // type index per function index (imports first)
  const globals = []; // description per global index (imports first)
  const lines = [];
  p = 8;
  while (p < bytes.length) {
    const id = bytes[p++];
    const size = u32();
    const end = p + size;
    if (id === 1) {
      for (let n = u32(); n > 0; n--) {
        p++; // 0x60
        const params = Array.from({ length: u32() }, () => bytes[p++].toString(16));
        const results = Array.from({ length: u32() }, () => bytes[p++].toString(16));
        types.push(`(${params.join(',')})->(${results.join(',')})`);
      }
    } else if (id === 2) {
      for (let n = u32(); n > 0; n--) {
        const where = `${name()}.${name()}`;
        const kind = bytes[p++];
        let desc;
        if (kind === 0) funcs.push((desc = u32()));
        else if (kind === 1) desc = `${bytes[p++]} ${limits()}`;
        else if (kind === 2) desc = limits();
        else globals.push((desc = `${bytes[p++]} mut=${bytes[p++]} (imported)`));
        lines.push(`import ${where} kind=${kind} ${kind === 0 ? types[desc] : desc}`);
      }
    } else if (id === 3) {
      for (let n = u32(); n > 0; n--) funcs.push(u32());
    } else if (id === 6) {
      for (let n = u32(); n > 0; n--) {
        const type = bytes[p++];
        const mut = bytes[p++];
        const op = bytes[p++];
        const init = op === 0x41 ? `i32.const ${s32()}` : `op 0x${op.toString(16)}`;
        while (bytes[p] !== 0x0b) p++; // an init expression ends with `end`
        p++;
        globals.push(`${type.toString(16)} mut=${mut} ${init}`);
      }
    } else if (id === 7) {
      for (let n = u32(); n > 0; n--) {
        const exported = name();
        const kind = bytes[p++];
        const index = u32();
        const desc = kind === 0 ? `func ${types[funcs[index]]}` : kind === 3 ? `global ${globals[index]}` : `kind=${kind}`;
        lines.push(`export ${exported} ${desc}`);
      }
    }
    p = end;
  }
  return lines.sort();
}

const plainAbi = abiOf(wasm);
const relaxedAbi = abiOf(relaxedWasm);
const onlyIn = (a, b) => a.filter((l) => !b.includes(l));
if (relaxedDts !== dts || plainAbi.join('\n') !== relaxedAbi.join('\n')) {
  const diff = [...onlyIn(plainAbi, relaxedAbi).map((l) => `  plain only:   ${l}`), ...onlyIn(relaxedAbi, plainAbi).map((l) => `  relaxed only: ${l}`)];
  throw new Error(
    `gen-kernel-abi: build/kerasrnn.wasm and build/kerasrnn-relaxed.wasm do not export the same ABI (the two builds of assembly/ must differ only inside functions)\n${diff.join('\n') || '  (their asc bindings, build/*.d.ts, differ)'}`,
  );
}
if (!plainAbi.some((l) => l.startsWith('export memory'))) throw new Error('gen-kernel-abi: could not read the exports of build/kerasrnn.wasm');

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
console.log(`kernel ABI: ${functions.length} functions, ${constants.length} constants, ${blocks.length} parameter blocks; the plain and relaxed SIMD builds export the same ${plainAbi.length} entries`);
