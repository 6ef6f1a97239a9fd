// Training throughput, kerasrnn vs TF.js (cpu and wasm backends), on the same model, weights and
// data: LSTM(128) over 100 timesteps of 64 features, batch 32, MSE on the last state, plain SGD.
// One run of `fit` over `batches` batches (one epoch, no shuffle) per round; the peers take turns
// round by round so that load from other processes hits them alike; the median round counts.
// Reports sequences per second (batch x batches / seconds) and the load average.
//
// `--threads N` adds kerasrnn on N threads (loadModel's `threads`: each batch split over N
// threads, training/parallel-trainer.ts) beside the one-thread run; `--no-tfjs` leaves TF.js out
// (then nothing is written to train-results.json). Both kerasrnn peers run one warm-up update and
// restore the weights before the timed fit, so that starting the worker threads (each loads the
// model) is not counted; the startup is reported on its own.
//
// usage: npm run build && node bench/train-throughput.mjs [--rounds 3] [--batches 4] [--threads 2] [--no-tfjs]
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { loadModel } from '../dist/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROUNDS = arg('rounds', 3);
const BATCHES = arg('batches', 4);
const THREADS = arg('threads', 1);
const TFJS = !process.argv.includes('--no-tfjs');
const [B, T, F, U] = [32, 100, 64, 128];
const LR = 0.01;

// the model, written by bench/make-models.py (seeded weights, a tf.keras 2.4 .h5 plus raw weights)
const dir = path.join(here, 'out', 'models');
const id = 'train-lstm-128';
if (!existsSync(path.join(dir, `${id}.h5`))) {
  mkdirSync(dir, { recursive: true });
  const spec = [{ id, kind: 'lstm', units: U, features: F, steps: T, arch: 'single', return_sequences: false }];
  execFileSync(existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3', [path.join(here, 'make-models.py'), dir], { input: JSON.stringify(spec), stdio: ['pipe', 'inherit', 'inherit'] });
}
const raw = readFileSync(path.join(dir, `${id}.weights.bin`));
const all = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
const manifest = JSON.parse(readFileSync(path.join(dir, `${id}.weights.json`), 'utf8'));
const arrays = manifest.map((m) => ({ shape: m.shape, data: all.slice(m.offset, m.offset + m.shape.reduce((a, b) => a * b, 1)) }));

// seeded data: x in [-1, 1), y a smooth function of x's last step
let s = 12345;
const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
const N = B * BATCHES;
const x = Float32Array.from({ length: N * T * F }, rnd);
const y = Float32Array.from({ length: N * U }, rnd).map((v) => v * 0.5);

async function kerasrnnPeer(threads) {
  return {
    name: threads > 1 ? `kerasrnn ${threads} threads` : 'kerasrnn',
    async round() {
      const model = await loadModel(path.join(dir, `${id}.h5`), { threads });
      model.compile({ optimizer: { class_name: 'SGD', config: { learning_rate: LR } }, loss: 'mse' });
      // warm-up: the trainer's wasm instance (and worker threads) start on the first update;
      // plain SGD keeps no state, so restoring the weights makes the timed fit start afresh
      const start = model.getWeights();
      const s0 = performance.now();
      await model.trainOnBatch({ data: x.subarray(0, B * T * F), shape: [B, T, F] }, { data: y.subarray(0, B * U), shape: [B, U] });
      const startupMs = performance.now() - s0;
      await model.setWeights(start);
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const h = await model.fit({ data: x, shape: [N, T, F] }, { data: y, shape: [N, U] }, { epochs: 1, batchSize: B, shuffle: false });
      const ms = performance.now() - t0;
      // CPU time of all the process' threads: what the split costs in total, whatever the load
      const cpu = process.cpuUsage(cpu0);
      model.dispose();
      return { ms, loss: h.history.loss[0], startupMs, cpuMs: (cpu.user + cpu.system) / 1000 };
    },
  };
}

let tf = null;
async function tfjsPeer(backend) {
  if (!tf) {
    const warn = console.warn;
    console.warn = () => {};
    tf = await import('@tensorflow/tfjs');
    await import('@tensorflow/tfjs-backend-cpu');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm')) + path.sep);
    tf.enableProdMode();
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    console.warn = warn;
  }
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js ${backend} did not initialise`);
  await tf.ready();
  return {
    name: `TF.js ${backend}`,
    async round() {
      await tf.setBackend(backend);
      const model = tf.sequential();
      model.add(tf.layers.lstm({ units: U, recurrentActivation: 'sigmoid', inputShape: [T, F], kernelInitializer: 'zeros', recurrentInitializer: 'zeros', biasInitializer: 'zeros' }));
      model.setWeights(arrays.map((a) => tf.tensor(a.data, a.shape)));
      model.compile({ optimizer: tf.train.sgd(LR), loss: 'meanSquaredError' });
      const xs = tf.tensor3d(x, [N, T, F]);
      const ys = tf.tensor2d(y, [N, U]);
      const t0 = performance.now();
      const h = await model.fit(xs, ys, { epochs: 1, batchSize: B, shuffle: false, verbose: 0 });
      const ms = performance.now() - t0;
      xs.dispose();
      ys.dispose();
      model.dispose();
      return { ms, loss: h.history.loss[0] };
    },
  };
}

const peers = [await kerasrnnPeer(1), ...(THREADS > 1 ? [await kerasrnnPeer(THREADS)] : []), ...(TFJS ? [await tfjsPeer('wasm'), await tfjsPeer('cpu')] : [])];
const times = new Map(peers.map((p) => [p.name, []]));
const losses = new Map();
const cpuTimes = new Map();
const loadBefore = loadavg();
for (let r = 0; r < ROUNDS; r++) {
  for (const p of peers) {
    const { ms, loss, startupMs, cpuMs } = await p.round();
    times.get(p.name).push(ms);
    if (cpuMs !== undefined) (cpuTimes.get(p.name) ?? cpuTimes.set(p.name, []).get(p.name)).push(cpuMs);
    losses.set(p.name, loss);
    const startup = startupMs === undefined ? '' : ` (CPU ${cpuMs.toFixed(0)} ms; warm-up update incl. start ${startupMs.toFixed(0)} ms)`;
    console.log(`round ${r + 1} ${p.name}: ${ms.toFixed(0)} ms, ${((N / ms) * 1000).toFixed(1)} seq/s, epoch loss ${loss.toFixed(6)}${startup}`);
  }
}
const loadAfter = loadavg();
const median = (a) => a.slice().sort((p, q) => p - q)[Math.floor(a.length / 2)];
const rows = peers.map((p) => ({
  peer: p.name,
  ms: median(times.get(p.name)),
  seqPerSecond: (N / median(times.get(p.name))) * 1000,
  ...(cpuTimes.has(p.name) ? { cpuMs: median(cpuTimes.get(p.name)) } : {}),
  loss: losses.get(p.name),
}));
const ours = rows[0].seqPerSecond;
const tfjsRows = rows.filter((r) => r.peer.startsWith('TF.js'));
const best = Math.max(...tfjsRows.map((r) => r.seqPerSecond));
const threaded = rows.find((r) => r.peer.includes('threads'));
const result = {
  case: `LSTM ${U}, batch ${B}, ${T} timesteps x ${F} features, MSE, SGD lr ${LR}; fit over ${BATCHES} batches, median of ${ROUNDS} rounds`,
  rows,
  ...(tfjsRows.length ? { speedupOverFasterTfjs: ours / best } : {}),
  ...(threaded ? { threadsOverOneThread: threaded.seqPerSecond / ours } : {}),
  loadAverage: { before: loadBefore.map((v) => +v.toFixed(2)), after: loadAfter.map((v) => +v.toFixed(2)) },
  cpus: cpus().length,
  date: new Date().toISOString(),
};
console.log(JSON.stringify(result, null, 2));
if (tfjsRows.length) writeFileSync(path.join(here, 'train-results.json'), JSON.stringify(result, null, 2) + '\n');
