// The server's worker threads, dynamic batching and shutdown, in this process (startServer) so a
// test can kill a worker thread while it runs a call, and as a child process for SIGTERM.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../../dist/index.js';
import { startServer } from '../../dist/server/server.js';
import { assertClose } from '../support/tolerance.js';
import { startServe, postJson, postBinary, getJson, randomData } from '../support/serve-process.js';

const fixture = (name) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const body = (x, B) => ({ inputs: [{ name: 'lstm_input', shape: [B, 6, 4], datatype: 'FP32', data: Array.from(x) }] });

test('dynamic batching: concurrent requests share calls and each gets its own rows back', async () => {
  const model = await loadModel(fixture('lstm_stacked.h5'));
  const server = await startServer({ models: [{ name: 'm', path: fixture('lstm_stacked.h5') }], port: 0, workers: 1, maxBatchSize: 16, batchDelayMs: 20 });
  try {
    const xs = Array.from({ length: 24 }, (_, i) => ({ x: randomData((1 + (i % 3)) * 24, i + 1), B: 1 + (i % 3) }));
    const rs = await Promise.all(xs.map(({ x, B }) => postJson(`${server.url}/v2/models/m/infer`, body(x, B))));
    rs.forEach((r, i) => {
      assert.is(r.status, 200);
      assertClose(r.json.outputs[0].data, model.predict({ data: xs[i].x, shape: [xs[i].B, 6, 4] }).data, `request ${i}`);
    });
    const metrics = (await getJson(`${server.url}/metrics`)).text;
    const calls = Number(/kerasrnn_batch_rows_count\{model="m",kind="predict"\} (\d+)/.exec(metrics)[1]);
    const rows = Number(/kerasrnn_batch_rows_sum\{model="m",kind="predict"\} (\d+)/.exec(metrics)[1]);
    assert.is(rows, xs.reduce((n, x) => n + x.B, 0));
    assert.ok(calls < xs.length, `${xs.length} requests ran in ${calls} calls`);
  } finally {
    await server.close();
    model.dispose();
  }
});

test('a bad request in a shared batch fails alone', async () => {
  // maxBatchSteps 100: a batch-20 request (120 steps) is refused by the model in the worker; the
  // batch-1 requests merged into the same call must still succeed.
  const server = await startServer({ models: [{ name: 'm', path: fixture('lstm_stacked.h5') }], port: 0, workers: 1, maxBatchSize: 64, batchDelayMs: 30, maxBatchSteps: 100 });
  try {
    const url = `${server.url}/v2/models/m/infer`;
    const small = Array.from({ length: 6 }, (_, i) => postJson(url, body(randomData(24, i + 5), 1)));
    const bad = postJson(url, body(randomData(20 * 24, 1), 20));
    const results = await Promise.all(small);
    for (const r of results) assert.is(r.status, 200);
    const refused = await bad;
    assert.is(refused.status, 400);
    assert.match(refused.json.error, /batch 20 × 6 time steps = 120 steps, more than the cap limits.maxBatchSteps = 100/);
  } finally {
    await server.close();
  }
});

test('a worker that dies fails only its own call and is replaced', async () => {
  const model = await loadModel(fixture('lstm_stacked.h5'));
  const server = await startServer({ models: [{ name: 'm', path: fixture('lstm_stacked.h5') }], port: 0, workers: 2, maxBatchSize: 1, batchDelayMs: 0 });
  try {
    // A large call (binary tensors, so it reaches the worker fast) keeps one worker busy; it is
    // killed while running that call.
    const big = randomData(20000 * 24, 3);
    const doomed = postBinary(`${server.url}/v2/models/m/infer`, { inputs: [{ name: 'lstm_input', shape: [20000, 6, 4], datatype: 'FP32', parameters: { binary_data_size: big.byteLength } }] }, [big]);
    for (let i = 0; i < 200 && server.pool.busyThreads.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    const [victim] = server.pool.busyThreads;
    assert.ok(victim, 'the large call is running');
    const others = Array.from({ length: 4 }, (_, i) => ({ x: randomData(24, 50 + i) }));
    const pending = others.map(({ x }) => postJson(`${server.url}/v2/models/m/infer`, body(x, 1)).catch((e) => ({ status: e.message })));
    await victim.terminate();
    const lost = await doomed;
    assert.is(lost.status, 500);
    assert.match(lost.header.error, /worker thread exited.*the call it ran failed and the worker was replaced/);
    const rs = await Promise.all(pending);
    rs.forEach((r, i) => {
      assert.is(r.status, 200);
      assertClose(r.json.outputs[0].data, model.predict({ data: others[i].x, shape: [1, 6, 4] }).data, `other request ${i}`);
    });
    // The replacement loads and serves.
    for (let i = 0; i < 50 && server.pool.idleCount < 2; i++) await new Promise((r) => setTimeout(r, 100));
    assert.is(server.pool.idleCount, 2);
    assert.is(server.pool.threads.includes(victim), false);
    const after = await postJson(`${server.url}/v2/models/m/infer`, body(big.subarray(0, 24 * 3), 3));
    assert.is(after.status, 200);
    assert.match((await getJson(`${server.url}/metrics`)).text, /kerasrnn_worker_restarts_total 1/);
  } finally {
    await server.close();
    model.dispose();
  }
});

test('a request that waits longer than the request timeout for a worker gets 503', async () => {
  const server = await startServer({ models: [{ name: 'm', path: fixture('lstm_stacked.h5') }], port: 0, workers: 1, maxBatchSize: 1, requestTimeoutMs: 100 });
  try {
    const big = randomData(60000 * 24, 3);
    const long = postBinary(`${server.url}/v2/models/m/infer`, { inputs: [{ name: 'lstm_input', shape: [60000, 6, 4], datatype: 'FP32', parameters: { binary_data_size: big.byteLength } }] }, [big]);
    for (let i = 0; i < 200 && server.pool.busyThreads.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    const waiting = await postJson(`${server.url}/v2/models/m/infer`, body(randomData(24, 1), 1));
    const first = await long;
    // The long call itself was already running, so it finishes; the one behind it timed out.
    assert.is(first.status, 200);
    assert.is(waiting.status, 503);
    assert.match(waiting.json.error, /waited \d+ ms for a worker, more than the server's request timeout/);
  } finally {
    await server.close();
  }
});

test('startServer refuses a model it cannot load, naming the file', async () => {
  try {
    await startServer({ models: [{ name: 'x', path: fixture('README.md') }], port: 0 });
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.match(e.message, /README\.md/);
  }
});

test('SIGTERM: the server finishes accepted requests, refuses new ones, exits 0', async () => {
  const srv = await startServe([fixture('lstm_stacked.h5'), '--workers', '1', '--max-batch-size', '4']);
  const model = await loadModel(fixture('lstm_stacked.h5'));
  const xs = Array.from({ length: 40 }, (_, i) => randomData(200 * 24, i + 7));
  const inflight = xs.map((x) => postJson(`${srv.url}/v2/models/lstm_stacked/infer`, body(x, 200)).catch((e) => ({ status: 'refused', e })));
  await new Promise((r) => setTimeout(r, 150));
  srv.child.kill('SIGTERM');
  const rs = await Promise.all(inflight);
  const { code } = await srv.exited;
  assert.is(code, 0);
  let ok = 0;
  rs.forEach((r, i) => {
    if (r.status === 200) {
      ok++;
      assertClose(r.json.outputs[0].data, model.predict({ data: xs[i], shape: [200, 6, 4] }).data, `request ${i}`);
    } else {
      // Not accepted: refused at the socket or told the server is closing; never a lost answer.
      assert.ok(r.status === 'refused' || r.status === 503, `request ${i}: ${r.status} ${JSON.stringify(r.json ?? r.e?.message)}`);
    }
  });
  assert.ok(ok > 0, 'requests accepted before SIGTERM were answered');
  assert.match(srv.stderr(), /SIGTERM, finishing accepted requests[\s\S]*stopped/);
  model.dispose();
});

test.run();
