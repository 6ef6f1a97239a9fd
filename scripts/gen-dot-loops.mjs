// One source for the register-blocked inner loop of the kernels (gemm-f32-2x16.ts and the
// sequence kernels): acc[r][v] += a_r[k] * W[k][v] over k, with 1 or 2 rows of A and up to 4
// f32x4 column vectors. The loop is written out inside each kernel on purpose - its
// accumulators must stay in registers and flow straight into the fused epilogue that follows,
// which a call (even @inline, whose results would have to pass through memory or globals) does
// not allow - so this script expands it from one template between markers:
//
//   // dot-loop rows=a0:i0,f0,c0,o0 a1:i1,f1,c1,o1 w=r step=64
//   ...generated...
//   // end dot-loop
//
// The rows may also read several weight panels at once (`w=qA,qB`: each row's accumulators are
// split evenly between the pointers, in order), which is how a batch-1 step interleaves
// independent unit groups, and how a batch pass covers two narrow panels per read of h:
//
//   // dot-loop rows=a0:zA,rA,nA,zB,rB,nB w=qA,qB step=48
//
// `op=mulAdd` keeps mul + add in both builds (assembly/madd.ts: for latency-bound loops).
// `bf16=<condition>` adds a second loop over bfloat16 weights (see expand), chosen by a
// compile-time condition of the enclosing kernel.
//
// The multiply-add is `madd` (assembly/madd.ts): mul + add in the plain SIMD build, one
// f32x4.relaxed_madd in the relaxed SIMD build; every file with a region imports it.
//
// `node scripts/gen-dot-loops.mjs` rewrites every region; `--check` (run by npm run build:wasm)
// fails when a region differs from the template, so a hand edit cannot drift from the others.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';

const dir = new URL('../assembly/', import.meta.url);
const check = process.argv.includes('--check');

/**
 * The loop for `rows` ([{ a, acc: [...] }]), weight pointers `ws`, panel row `step` bytes (float32).
 * With `bf16` (a compile-time condition) it emits both loops, `if (bf16) { ... } else { ... }`:
 * the bf16 one reads half the bytes per row and widens each 8-column vector into two f32x4 with
 * bf16Lo / bf16Hi (assembly/bf16.ts; its lane order), so it needs an even number of vectors.
 */
function expand(rows, ws, step, indent, bf16, op) {
  const n = rows[0].acc.length;
  if (ws.length > 1 && n % ws.length !== 0) throw new Error(`dot-loop: several weight pointers need accumulators divisible among them (${ws.join(',')})`);
  if (!bf16) return loop(rows, ws, step, indent, false, op);
  if (ws.length > 1) throw new Error(`dot-loop: bf16 loops read one weight pointer (got ${ws.join(',')})`);
  if (n % 2) throw new Error(`bf16 dot-loop needs an even number of f32x4 columns (got ${n})`);
  return [
    `${indent}if (${bf16}) {`,
    ...loop(rows, ws, step / 2, `${indent}  `, true, op),
    `${indent}} else {`,
    ...loop(rows, ws, step, `${indent}  `, false, op),
    `${indent}}`,
  ];
}

function loop(rows, ws, step, indent, bf16, op = 'madd') {
  const n = rows[0].acc.length;
  const w = ws[0];
  const per = n / ws.length;
  const at = (v) => `${ws[Math.floor(v / per)]}, ${16 * (v % per)}`;
  const out = [`while (${rows[0].a} < aEnd) {`];
  if (bf16) {
    // two f32x4 columns per 16-byte load: even vectors from the low halves, odd from the high
    const packed = Array.from({ length: n / 2 }, (_, v) => `bw${v} = v128.load(${w}, ${16 * v})`);
    const widen = (v) => `bf16${v % 2 ? 'Hi' : 'Lo'}(bw${v >> 1})`;
    out.push(`  const ${packed.join(', ')};`);
    if (rows.length > 1) out.push(`  const ${Array.from({ length: n }, (_, v) => `w${v} = ${widen(v)}`).join(', ')};`);
    rows.forEach((row, r) => {
      out.push(`  const s${r} = v128.load32_splat(${row.a});`);
      const terms = row.acc.map((x, v) => `${x} = ${op}(${x}, s${r}, ${rows.length > 1 ? `w${v}` : widen(v)});`);
      for (let i = 0; i < terms.length; i += 2) out.push(`  ${terms.slice(i, i + 2).join(' ')}`);
    });
    out.push(`  ${[...rows.map((row) => `${row.a} += 4;`), `${w} += ${step};`].join(' ')}`);
    out.push('}');
    return out.map((l) => indent + l);
  }
  const weight = (v) => (rows.length > 1 ? `w${v}` : `v128.load(${at(v)})`);
  if (rows.length > 1) out.push(`  const ${Array.from({ length: n }, (_, v) => `w${v} = v128.load(${at(v)})`).join(', ')};`);
  rows.forEach((row, r) => {
    out.push(`  const s${r} = v128.load32_splat(${row.a});`);
    const terms = row.acc.map((x, v) => `${x} = ${op}(${x}, s${r}, ${weight(v)});`);
    for (let i = 0; i < terms.length; i += 2) out.push(`  ${terms.slice(i, i + 2).join(' ')}`);
  });
  out.push(`  ${[...rows.map((row) => `${row.a} += 4;`), ...ws.map((p) => `${p} += ${step};`)].join(' ')}`);
  out.push('}');
  return out.map((l) => indent + l);
}

const MARK = /^(\s*)\/\/ dot-loop (.+)$/;
let changed = 0;
for (const name of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
  const file = new URL(name, dir);
  const lines = readFileSync(file, 'utf8').split('\n');
  const result = [];
  for (let i = 0; i < lines.length; i++) {
    const m = MARK.exec(lines[i]);
    result.push(lines[i]);
    if (!m) continue;
    const end = lines.findIndex((l, j) => j > i && l.trim() === '// end dot-loop');
    if (end < 0) throw new Error(`${name}:${i + 1}: dot-loop without "// end dot-loop"`);
    const opts = Object.fromEntries(m[2].trim().split(/\s+(?=\w+=)/).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    const rows = opts.rows.split(/\s+/).map((r) => ({ a: r.split(':')[0], acc: r.split(':')[1].split(',') }));
    result.push(...expand(rows, opts.w.split(','), Number(opts.step), m[1], opts.bf16, opts.op ?? 'madd'));
    result.push(lines[end]);
    i = end;
  }
  const text = result.join('\n');
  if (result.some((l) => MARK.test(l))) {
    if (!/^import \{[^}]*\bmadd\b[^}]*\} from '\.\/madd';$/m.test(text)) throw new Error(`assembly/${name}: has dot-loop regions but does not import { madd } from './madd'`);
    if (/\bop=mulAdd\b/.test(text) && !/^import \{[^}]*\bmulAdd\b[^}]*\} from '\.\/madd';$/m.test(text)) throw new Error(`assembly/${name}: has op=mulAdd dot-loop regions but does not import mulAdd from './madd'`);
    if (/\bbf16=/.test(text) && !/^import \{ bf16Lo, bf16Hi \} from '\.\/bf16';$/m.test(text)) throw new Error(`assembly/${name}: has bf16 dot-loop regions but does not import { bf16Lo, bf16Hi } from './bf16'`);
  }
  if (text !== lines.join('\n')) {
    changed++;
    if (check) console.error(`assembly/${name}: a dot-loop region differs from scripts/gen-dot-loops.mjs (run it to regenerate)`);
    else writeFileSync(file, text);
  }
}
if (check && changed) process.exit(1);
if (!check) console.log(`dot-loops: ${changed} file(s) rewritten`);
