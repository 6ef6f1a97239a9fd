// The implementations the benchmark compares. Each peer turns a case (network spec, Keras-layout
// weights, batch) into a `run()` returning the output as a Float32Array, so every timing includes
// getting the result back into JavaScript, as a user's call would.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildOnnxModel } from './onnx-model.mjs';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));

/** Why a peer could not be loaded on this machine (reported in the results), or its module. */
async function tryImport(name) {
  try {
    return { mod: await import(name) };
  } catch (e) {
    return { error: `${name} could not be loaded: ${String(e?.message ?? e).split('\n')[0]}` };
  }
}

// ------------------------------------------------------------------------------------------------
// kerasrnn (from dist/, the build users get)

export async function kerasrnnPeer({ threads = 1 } = {}) {
  const { loadModel } = await import(pathToFileURL(path.join(here, '..', 'dist', 'index.js')).href);
  return {
    name: threads > 1 ? `kerasrnn ${threads} threads` : 'kerasrnn',
    threads,
    async prepare(c) {
      // One thread means one: no batch workers and no sequence split. With more, the engine uses
      // them as it chooses per call: batch workers for large batches, a split sequence at batch 1.
      const opts = threads > 1 ? { threads, sequenceThreads: threads } : { sequenceThreads: 1 };
      const model = await loadModel(await readFile(c.h5Path), { fileName: path.basename(c.h5Path), ...opts });
      const x = { data: c.x, shape: [c.batch, c.steps, c.features] };
      if (threads > 1 && !model.batchWorkers) throw new Error('worker threads are not available here');
      return {
        run: () => model.predict(x).data,
        memoryBytes: () => model.memoryBytes,
        dispose: () => model.dispose(),
      };
    },
  };
}

// ------------------------------------------------------------------------------------------------
// TF.js layers on the cpu and wasm backends

let tfjs = null;
async function loadTfjs() {
  if (tfjs) return tfjs;
  // TF.js prints a hint about tfjs-node on import: keep the benchmark output clean.
  const warn = console.warn;
  console.warn = () => {};
  try {
    const tf = await import('@tensorflow/tfjs');
    await import('@tensorflow/tfjs-backend-cpu');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // In Node the wasm backend loads its .wasm files from a path prefix (its package's dist/).
    wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm')) + path.sep);
    // Production mode, as a deployed app would run (also silences the tfjs-node hint).
    tf.enableProdMode();
    // Threads need a worker script and cross-origin isolation: off, as in a default page.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    tfjs = tf;
    return tf;
  } finally {
    console.warn = warn;
  }
}

function tfjsLayer(tf, c, units, opts) {
  // Zero initializers: the weights are set right after, and TF.js' orthogonal initializer takes
  // seconds on a 512 x 2048 matrix.
  const init = { kernelInitializer: 'zeros', recurrentInitializer: 'zeros', biasInitializer: 'zeros' };
  const common = { units, recurrentActivation: 'sigmoid', ...init, ...opts };
  if (c.kind === 'lstm') return tf.layers.lstm(common);
  if (c.kind === 'gru') return tf.layers.gru({ ...common, resetAfter: false });
  return tf.layers.simpleRNN({ units, ...init, ...opts });
}

export async function tfjsPeer(backend) {
  const name = `TF.js ${backend}`;
  let tf;
  try {
    tf = await loadTfjs();
    if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not initialise`);
    await tf.ready();
    if (backend === 'wasm' && !(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))) throw new Error('no wasm SIMD support');
  } catch (e) {
    return { name, unavailable: `@tensorflow/tfjs ${backend} backend: ${String(e?.message ?? e).split('\n')[0]}` };
  }
  return {
    name,
    async prepare(c) {
      await tf.setBackend(backend);
      const model = tf.sequential();
      const inputShape = [c.steps, c.features];
      const weights = [];
      if (c.arch === 'bidirectional') {
        model.add(tf.layers.bidirectional({ layer: tfjsLayer(tf, c, c.units, { returnSequences: c.returnSequences }), mergeMode: 'concat', inputShape }));
      } else {
        c.layers.forEach((l, i) => {
          const last = i === c.layers.length - 1;
          model.add(tfjsLayer(tf, c, l.units, { returnSequences: last ? c.returnSequences : true, ...(i === 0 ? { inputShape } : {}) }));
        });
      }
      for (const l of c.layers) {
        const G = c.gates;
        weights.push(
          tf.tensor2d(l.kernel, [l.kernel.length / (G * l.units), G * l.units]),
          tf.tensor2d(l.recurrent, [l.units, G * l.units]),
          tf.tensor1d(l.bias),
        );
      }
      model.setWeights(weights);
      weights.forEach((w) => w.dispose());
      const x = tf.tensor3d(c.x, [c.batch, c.steps, c.features]);
      return {
        // TF.js' backend is process-global: switch to this peer's before its runs.
        activate: () => tf.setBackend(backend),
        run() {
          const y = model.predict(x);
          const data = y.dataSync();
          y.dispose();
          return data;
        },
        dispose() {
          x.dispose();
          model.dispose();
        },
      };
    },
  };
}

// ------------------------------------------------------------------------------------------------
// ONNX Runtime: web (wasm, 1 thread) and node (native CPU, 1 intra-op thread)

export async function ortWebPeer() {
  const name = 'ORT-Web wasm';
  const { mod, error } = await tryImport('onnxruntime-web');
  if (error) return { name, unavailable: error };
  const ort = mod.default ?? mod;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true;
  ort.env.logLevel = 'error';
  return ortPeer(name, ort, { executionProviders: ['wasm'] });
}

export async function ortNodePeer() {
  const name = 'ORT-node native';
  const { mod, error } = await tryImport('onnxruntime-node');
  if (error) return { name, unavailable: error };
  const ort = mod.default ?? mod;
  return ortPeer(name, ort, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 });
}

async function ortPeer(name, ort, sessionOptions) {
  // Fail early (and say why) if the runtime cannot start here: one tiny model.
  try {
    const probe = buildOnnxModel({ kind: 'simple_rnn', features: 1, steps: 1, arch: 'single', return_sequences: false }, [
      { units: 1, kernel: new Float32Array([1]), recurrent: new Float32Array([0]), bias: new Float32Array([0]) },
    ]);
    const s = await ort.InferenceSession.create(probe, sessionOptions);
    await s.run({ x: new ort.Tensor('float32', new Float32Array([0.5]), [1, 1, 1]) });
    await s.release?.();
  } catch (e) {
    return { name, unavailable: `${name}: ${String(e?.message ?? e).split('\n')[0]}` };
  }
  return {
    name,
    async prepare(c) {
      const bytes = buildOnnxModel(
        { kind: c.kind, features: c.features, steps: c.steps, arch: c.arch, return_sequences: c.returnSequences },
        c.layers,
      );
      const session = await ort.InferenceSession.create(bytes, { ...sessionOptions, graphOptimizationLevel: 'all' });
      const feeds = { x: new ort.Tensor('float32', c.x, [c.batch, c.steps, c.features]) };
      return {
        async run() {
          const out = await session.run(feeds);
          return out.y.data;
        },
        dispose: () => session.release?.(),
      };
    },
  };
}

// ------------------------------------------------------------------------------------------------
// Scalar TypeScript floor (bench/scalar-cells.ts, transpiled here with the TypeScript compiler)

export async function scalarPeer() {
  const ts = (await import('typescript')).default;
  const source = await readFile(path.join(here, 'scalar-cells.ts'), 'utf8');
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
  const { runNetwork } = await import(`data:text/javascript;base64,${Buffer.from(js).toString('base64')}`);
  return {
    name: 'scalar TS',
    async prepare(c) {
      return {
        run: () => runNetwork(c.kind, c.arch, c.layers, c.x, c.batch, c.steps, c.features, c.returnSequences),
        dispose() {},
      };
    },
  };
}
