// Measures kerasrnn on one real-world model against an independent float64 NumPy forward pass
// (scripts/fixtures/real_model_reference.py), with the corpus rule |ours - ref| <= 1e-5 + 1e-4|ref|.
//
//   node scripts/measure-real-model.mjs <model> '<inputs>'
//
// <model>: a file or SavedModel directory, or "config.json+weights.h5". <inputs>: JSON list, one
// entry per model input: {"shape": [...], "kind": "float" | "int" | "onehot", "max": n, "scale": s}
// (seeded pseudo-random values; "int" draws token ids below max, "onehot" one 1 per last-axis row).
// Prints the worst error as a fraction of the tolerance (<= 1 passes) and the largest |ours - ref|.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const [modelPath, spec] = process.argv.slice(2);
if (!modelPath || !spec) {
  console.error("usage: node scripts/measure-real-model.mjs <model> '[{\"shape\":[2,10,3]}]'");
  process.exit(2);
}

let seed = 7;
const uniform = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };

function makeInput({ shape, kind = 'float', max = 2, scale = 1 }) {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  if (kind === 'onehot') {
    const width = shape[shape.length - 1];
    for (let row = 0; row < n / width; row++) data[row * width + Math.floor(uniform() * width)] = 1;
  } else {
    for (let i = 0; i < n; i++) data[i] = kind === 'int' ? Math.floor(uniform() * max) : (uniform() * 2 - 1) * scale;
  }
  return { data, shape };
}

function nested(data, shape) {
  if (shape.length === 1) return Array.from(data);
  const step = data.length / shape[0];
  return Array.from({ length: shape[0] }, (_, i) => nested(data.subarray(i * step, (i + 1) * step), shape.slice(1)));
}

const inputs = JSON.parse(spec).map(makeInput);
const inputFile = join(mkdtempSync(join(tmpdir(), 'kerasrnn-measure-')), 'inputs.json');
writeFileSync(inputFile, JSON.stringify(inputs.map((t) => nested(t.data, t.shape))));

const [config, weights] = modelPath.split('+');
const model = await loadModel(weights ? { config, weights } : modelPath);
const got = await model.predict(inputs.length === 1 ? inputs[0] : inputs);
const ours = Array.isArray(got) ? got : [got];
const reference = JSON.parse(execFileSync('/usr/bin/python3', [join(here, 'fixtures', 'real_model_reference.py'), modelPath, inputFile], { maxBuffer: 1 << 30 }).toString());

let worst = 0;
let maxAbs = 0;
ours.forEach((tensor, k) => {
  const want = reference[k].flat(Infinity);
  if (want.length !== tensor.data.length) throw new Error(`output ${k}: ${tensor.data.length} values, reference ${want.length}`);
  want.forEach((w, i) => {
    const err = Math.abs(tensor.data[i] - w);
    maxAbs = Math.max(maxAbs, err);
    worst = Math.max(worst, err / (1e-5 + 1e-4 * Math.abs(w)));
  });
});
console.log(`${modelPath}: worst ${worst.toFixed(4)} of the tolerance, max |ours - ref| ${maxAbs.toExponential(2)} ${worst <= 1 ? 'ok' : 'FAIL'}`);
process.exitCode = worst <= 1 ? 0 : 1;
