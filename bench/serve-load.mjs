// `node bench/serve-load.mjs [--requests=2000] [--rounds=3] [--connections=32] [--max-batch=32] [--sequences=64] [--long=20000] [--model=path/to/model.h5]`
//
// The default model is an LSTM(128) over 100 steps of 8 features (then Dense), written once into
// bench/out/models by bench/make-models.py (/usr/bin/python3 with numpy + h5py), a size where the
// model's compute, not HTTP, is most of a request's cost.
// examples/sine_forecaster.h5 (LSTM 32) shows the other end: there HTTP and JSON dominate.
// Loopback load test of `kerasrnn serve` (autocannon), bounded in requests and time. Every
// response is checked against the library's predict on the same input; any lost, failed or wrong
// response is counted and makes the run exit 1. Measures p50 / p99 latency and throughput with
// and without dynamic batching, server memory (RSS from /metrics) over a long run, and a SIGTERM
// in the middle of load (every accepted request must still get its correct answer), and many
// concurrent sequences sent in pieces (each must equal predict over the whole sequence).
// Build first (npm run build). Results go to stdout and bench/out/serve-load.json.
import autocannon from 'autocannon';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../dist/index.js';
import { startServe, randomData } from '../test/support/serve-process.js';
import { compareArrays } from '../test/support/tolerance.js';

const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const REQUESTS = Number(arg('requests', 2000));
const ROUNDS = Number(arg('rounds', 3));
const CONNECTIONS = Number(arg('connections', 32));
const MAX_BATCH = arg('max-batch', '32');
const LONG = Number(arg('long', 20000));
const modelsDir = fileURLToPath(new URL('./out/models/', import.meta.url));
const DEFAULT_SPEC = { id: 'serve_lstm128', kind: 'lstm', units: 128, features: 8, steps: 100, arch: 'single', return_sequences: false };
let modelPath = arg('model', null);
if (modelPath) modelPath = fileURLToPath(new URL(`../${modelPath}`, import.meta.url));
if (!modelPath) {
  modelPath = `${modelsDir}${DEFAULT_SPEC.id}.h5`;
  if (!existsSync(modelPath)) {
    mkdirSync(modelsDir, { recursive: true });
    execFileSync('/usr/bin/python3', [fileURLToPath(new URL('./make-models.py', import.meta.url)), modelsDir], { input: JSON.stringify([DEFAULT_SPEC]) });
  }
}
const model = await loadModel(modelPath);
const { name: inputName, shape } = model.inputs[0];
const T = shape[1] ?? 50;
const F = shape[2];
const name = modelPath.split('/').pop().replace(/\.[^.]+$/, '');

// A pool of distinct inputs with their predict outputs; request k sends input k % POOL. Inputs go
// as binary tensors (the extension high-throughput clients use), outputs come back as JSON.
const POOL = 256;
const cases = Array.from({ length: POOL }, (_, i) => {
  const x = randomData(T * F, i + 1);
  const head = Buffer.from(JSON.stringify({ id: String(i), inputs: [{ name: inputName, shape: [1, T, F], datatype: 'FP32', parameters: { binary_data_size: x.byteLength } }] }));
  const body = Buffer.concat([head, Buffer.from(x.buffer, x.byteOffset, x.byteLength)]);
  const headers = { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(head.length) };
  return { body, headers, x, y: model.predict({ data: x, shape: [1, T, F] }).data };
});

function checker() {
  const tally = { ok: 0, wrong: 0, failed: 0 };
  let next = 0;
  const requests = [
    {
      method: 'POST',
      path: `/v2/models/${name}/infer`,
      setupRequest: (req, context) => {
        context.k = next++ % POOL;
        return { ...req, headers: cases[context.k].headers, body: cases[context.k].body };
      },
      onResponse: (status, body, context) => {
        if (status !== 200) {
          tally.failed++;
          return;
        }
        const r = JSON.parse(body);
        const good = r.id === String(context.k) && compareArrays(r.outputs[0].data, cases[context.k].y).ok;
        if (good) tally.ok++;
        else tally.wrong++;
      },
    },
  ];
  return { tally, requests };
}

async function load(url, amount) {
  const { tally, requests } = checker();
  // Wall time measured here: autocannon's own duration stops on its 1 s sampling ticks.
  const started = performance.now();
  const r = await autocannon({ url, connections: CONNECTIONS, amount, timeout: 30, requests });
  const seconds = (performance.now() - started) / 1000;
  return {
    requests: amount,
    ok: tally.ok,
    wrong: tally.wrong,
    failed: tally.failed + r.errors + r.timeouts,
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    throughput_rps: Math.round((amount / seconds) * 10) / 10,
  };
}

/** CPU time (user + system, ms) the server process used so far, all its threads (Linux /proc). */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

async function rss(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/process_resident_memory_bytes (\d+)/.exec(text)[1]);
}

const results = { max_batch_size: Number(MAX_BATCH), machine: `${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(2)}, node ${process.version}`, model: name, connections: CONNECTIONS };
const log = (...a) => console.log(...a);

// Without and with batching in alternating rounds (A B A B ...): on a shared machine the load
// drifts, and alternating keeps the comparison fair; the medians are reported.
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const runs = { no_batching: [], dynamic_batching: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const [label, flags] of [
    ['no_batching', ['--max-batch-size', '1']],
    ['dynamic_batching', ['--max-batch-size', MAX_BATCH]],
  ]) {
    const srv = await startServe([modelPath, '--workers', '1', ...flags]);
    await load(srv.url, Math.min(300, REQUESTS)); // warm-up
    const cpu0 = cpuMs(srv.child.pid);
    const r = await load(srv.url, REQUESTS);
    // Server CPU per request (HTTP thread + worker): what a saturated machine's capacity follows.
    r.server_cpu_ms_per_request = Math.round(((cpuMs(srv.child.pid) - cpu0) / REQUESTS) * 1000) / 1000;
    const metrics = await (await fetch(`${srv.url}/metrics`)).text();
    const calls = Number(/kerasrnn_batch_rows_count\{[^}]*kind="predict"\} (\d+)/.exec(metrics)?.[1]);
    r.mean_rows_per_call = Math.round(((REQUESTS + Math.min(300, REQUESTS)) / calls) * 10) / 10;
    runs[label].push(r);
    log(`round ${round + 1}`, label, r);
    srv.child.kill('SIGTERM');
    await srv.exited;
  }
}
for (const label of Object.keys(runs)) {
  const rs = runs[label];
  results[label] = {
    rounds: rs,
    requests: rs.reduce((n, r) => n + r.requests, 0),
    ok: rs.reduce((n, r) => n + r.ok, 0),
    wrong: rs.reduce((n, r) => n + r.wrong, 0),
    failed: rs.reduce((n, r) => n + r.failed, 0),
    median_p50_ms: median(rs.map((r) => r.p50_ms)),
    median_p99_ms: median(rs.map((r) => r.p99_ms)),
    median_throughput_rps: median(rs.map((r) => r.throughput_rps)),
    median_server_cpu_ms_per_request: median(rs.map((r) => r.server_cpu_ms_per_request)),
  };
}
results.batching_gain = Math.round((results.dynamic_batching.median_throughput_rps / results.no_batching.median_throughput_rps) * 100) / 100;
results.batching_gain_per_round = runs.no_batching.map((r, i) => Math.round((runs.dynamic_batching[i].throughput_rps / r.throughput_rps) * 100) / 100);
results.cpu_per_request_ratio = Math.round((results.dynamic_batching.median_server_cpu_ms_per_request / results.no_batching.median_server_cpu_ms_per_request) * 100) / 100;
log('throughput gain of dynamic batching (median):', `${results.batching_gain}x`, 'per round:', results.batching_gain_per_round);
log('server CPU per request, batching / no batching:', `${results.cpu_per_request_ratio}x`);

// Sequences: SEQUENCES sequences run at once, each sent in pieces of 10 steps (binary), so
// steps of different sequences share calls as rows; each sequence's last answer must equal
// predict over the whole sequence (the model returns its last output).
{
  const SEQUENCES = Number(arg('sequences', 64));
  const srv = await startServe([modelPath, '--workers', '1', '--max-batch-size', MAX_BATCH]);
  const tally = { sequences: SEQUENCES, requests: 0, ok: 0, wrong: 0, failed: 0 };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: SEQUENCES }, async (_, s) => {
      const c = cases[s % POOL];
      let last = null;
      for (let a = 0; a < T; a += 10) {
        const b = Math.min(T, a + 10);
        const x = c.x.subarray(a * F, b * F);
        const params = { sequence_id: `bench-${s}`, ...(a === 0 ? { sequence_start: true } : {}), ...(b === T ? { sequence_end: true } : {}) };
        const head = Buffer.from(JSON.stringify({ parameters: params, inputs: [{ name: inputName, shape: [1, b - a, F], datatype: 'FP32', parameters: { binary_data_size: x.byteLength } }] }));
        const res = await fetch(`${srv.url}/v2/models/${name}/infer`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(head.length) }, body: Buffer.concat([head, Buffer.from(x.buffer, x.byteOffset, x.byteLength)]) });
        tally.requests++;
        const body = await res.json();
        if (res.status !== 200) {
          tally.failed++;
          return;
        }
        last = body.outputs[0].data;
      }
      if (compareArrays(last, c.y).ok) tally.ok++;
      else tally.wrong++;
    }),
  );
  tally.seconds = Math.round((performance.now() - started) / 10) / 100;
  const metrics = await (await fetch(`${srv.url}/metrics`)).text();
  const calls = Number(/kerasrnn_batch_rows_count\{[^}]*kind="stream"\} (\d+)/.exec(metrics)?.[1]);
  tally.mean_rows_per_call = Math.round((tally.requests / calls) * 10) / 10;
  results.sequences = tally;
  log('sequences', tally);
  srv.child.kill('SIGTERM');
  await srv.exited;
}

// Memory over a long run: RSS after each tenth of LONG requests.
{
  const srv = await startServe([modelPath, '--workers', '1']);
  const samples = [];
  const totals = { ok: 0, wrong: 0, failed: 0 };
  for (let i = 0; i < 10; i++) {
    const r = await load(srv.url, Math.round(LONG / 10));
    totals.ok += r.ok;
    totals.wrong += r.wrong;
    totals.failed += r.failed;
    samples.push(Math.round((await rss(srv.url)) / 2 ** 20));
  }
  results.long_run = { requests: LONG, ...totals, rss_mib_per_tenth: samples };
  log('long run', results.long_run);
  srv.child.kill('SIGTERM');
  await srv.exited;
}

// SIGTERM under load: fetch loops keep CONNECTIONS requests in flight; the signal arrives after
// 1 s. An answered request must be correct; a request the closing server declines gets 503 or a
// refused connection; anything else (a reset after the request was accepted) would be a loss.
{
  const srv = await startServe([modelPath, '--workers', '1']);
  const tally = { ok: 0, wrong: 0, declined_503: 0, refused: 0, lost: 0 };
  let stop = false;
  let k = 0;
  const loop = async () => {
    while (!stop) {
      const c = cases[k++ % POOL];
      try {
        const res = await fetch(`${srv.url}/v2/models/${name}/infer`, { method: 'POST', headers: c.headers, body: c.body });
        const text = await res.text();
        if (res.status === 200) {
          if (compareArrays(JSON.parse(text).outputs[0].data, c.y).ok) tally.ok++;
          else tally.wrong++;
        } else if (res.status === 503) tally.declined_503++;
        else tally.lost++;
      } catch (e) {
        const code = e.cause?.code;
        if (code === 'ECONNREFUSED') {
          tally.refused++;
          stop = true;
        } else if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET') {
          // A keep-alive socket closed by the server between requests: the request was never
          // read. undici reports it the same way as a reset mid-request, so it is counted apart.
          tally.closed_socket = (tally.closed_socket ?? 0) + 1;
        } else tally.lost++;
      }
    }
  };
  const loops = Array.from({ length: CONNECTIONS }, loop);
  await new Promise((r) => setTimeout(r, 1000));
  srv.child.kill('SIGTERM');
  const { code } = await srv.exited;
  stop = true;
  await Promise.all(loops);
  results.sigterm = { exit_code: code, ...tally };
  log('SIGTERM under load', results.sigterm);
}

mkdirSync(fileURLToPath(new URL('./out/', import.meta.url)), { recursive: true });
writeFileSync(new URL('./out/serve-load.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
const bad = ['no_batching', 'dynamic_batching', 'long_run', 'sequences'].some((k) => results[k].wrong || results[k].failed) || results.sigterm.wrong || results.sigterm.lost || results.sigterm.exit_code !== 0;
model.dispose();
process.exit(bad ? 1 : 0);
