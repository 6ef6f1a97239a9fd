// Open Inference Protocol tests against a running `kerasrnn serve` (child process, loopback,
// ephemeral port): every endpoint, JSON and binary tensors, sequences, and every error path.
// References come from the library's own predict in this process (the server's job is to carry
// tensors faithfully; predict's numbers are checked against Keras elsewhere).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../../dist/index.js';
import { assertClose } from '../support/tolerance.js';
import { startServe, postJson, getJson, postBinary, randomData } from '../support/serve-process.js';

const fixture = (name) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const repo = mkdtempSync(join(tmpdir(), 'kerasrnn-serve-'));
for (const f of ['lstm_stacked.h5', 'masking_lstm_td.h5', 'bidir_lstm_concat.h5', 'embedding_lstm_softmax.h5', 'text/preprocessing/hashing_k3.keras']) copyFileSync(fixture(f), join(repo, f.split('/').pop()));
const MAX_BODY = 200000;
const IDLE_MS = 400;
let server;
const ref = {};

test.before(async () => {
  // One model renamed with --name (it applies to the argument at its position), plus a folder of models.
  server = await startServe([
    fixture('decoder_initial_state_inputs.h5'), repo, '--name', 'decoder',
    '--workers', '2', '--max-body-bytes', String(MAX_BODY), '--max-sequences', '4', '--sequence-idle-ms', String(IDLE_MS), '--batch-delay-ms', '3',
  ]);
  for (const f of ['lstm_stacked', 'masking_lstm_td', 'embedding_lstm_softmax']) ref[f] = await loadModel(fixture(`${f}.h5`));
  ref.hashing_k3 = await loadModel(fixture('text/preprocessing/hashing_k3.keras'));
});

test.after(async () => {
  server?.child.kill('SIGTERM');
  await server?.exited;
  rmSync(repo, { recursive: true, force: true });
});

const infer = (model, body, headers) => postJson(`${server.url}/v2/models/${model}/infer`, body, headers);
const tensor = (name, shape, data, datatype = 'FP32') => ({ name, shape, datatype, data: Array.from(data) });

test('GET /v2: server metadata with the binary and sequence extensions', async () => {
  const r = await getJson(`${server.url}/v2`);
  assert.is(r.status, 200);
  assert.is(r.json.name, 'kerasrnn');
  assert.match(r.json.version, /^\d+\.\d+\.\d+/);
  for (const e of ['binary_tensor_data', 'sequence', 'sequence(string_id)']) assert.ok(r.json.extensions.includes(e), e);
});

test('health: live and ready', async () => {
  assert.equal(await getJson(`${server.url}/v2/health/live`).then((r) => [r.status, r.json.live]), [200, true]);
  assert.equal(await getJson(`${server.url}/v2/health/ready`).then((r) => [r.status, r.json.ready]), [200, true]);
});

test('model metadata: names from files, -1 for any size, version paths, unknown model / version 404', async () => {
  const r = await getJson(`${server.url}/v2/models/lstm_stacked`);
  assert.is(r.status, 200);
  assert.equal(r.json.inputs, [{ name: 'lstm_input', datatype: 'FP32', shape: [-1, 6, 4] }]);
  assert.equal(r.json.outputs, [{ name: 'dense', datatype: 'FP32', shape: [-1, 3] }]);
  assert.equal(r.json.versions, ['1']);
  const d = await getJson(`${server.url}/v2/models/decoder/versions/1`);
  assert.equal(d.json.inputs.map((i) => i.shape), [[-1, -1, 2], [-1, 5], [-1, 5]]);
  assert.is(d.json.parameters.sequences, false);
  assert.match(d.json.parameters.sequences_unsupported_because, /one input/);
  const missing = await getJson(`${server.url}/v2/models/nope`);
  assert.is(missing.status, 404);
  assert.match(missing.json.error, /unknown model "nope".*lstm_stacked/);
  const v = await getJson(`${server.url}/v2/models/lstm_stacked/versions/7`);
  assert.is(v.status, 404);
  assert.match(v.json.error, /no version "7"/);
  assert.equal(await getJson(`${server.url}/v2/models/masking_lstm_td/ready`).then((x) => [x.status, x.json.ready]), [200, true]);
  assert.is((await getJson(`${server.url}/v2/models/nope/ready`)).status, 404);
  assert.is((await getJson(`${server.url}/v2/models/lstm_stacked/versions/1/ready`)).status, 200);
});

test('infer with JSON tensors: flat and nested data, id echoed, equals predict', async () => {
  const x = randomData(2 * 6 * 4, 3);
  const expected = ref.lstm_stacked.predict({ data: x, shape: [2, 6, 4] });
  const flat = await infer('lstm_stacked', { id: 'req-1', inputs: [tensor('lstm_input', [2, 6, 4], x)] });
  assert.is(flat.status, 200, JSON.stringify(flat.json));
  assert.is(flat.json.id, 'req-1');
  assert.is(flat.json.model_name, 'lstm_stacked');
  assert.equal(flat.json.outputs[0].shape, [2, 3]);
  assert.is(flat.json.outputs[0].datatype, 'FP32');
  assertClose(flat.json.outputs[0].data, expected.data, 'flat JSON');
  const nested = [0, 1].map((b) => [0, 1, 2, 3, 4, 5].map((t) => Array.from(x.subarray((b * 6 + t) * 4, (b * 6 + t + 1) * 4))));
  const r2 = await postJson(`${server.url}/v2/models/lstm_stacked/versions/1/infer`, { inputs: [{ name: 'lstm_input', shape: [2, 6, 4], datatype: 'FP32', data: nested }], outputs: [{ name: 'dense' }] });
  assert.is(r2.status, 200);
  assertClose(r2.json.outputs[0].data, expected.data, 'nested JSON');
  assert.is(r2.json.id, undefined);
});

test('infer with integer datatypes (Embedding ids as INT32 JSON and INT64 binary)', async () => {
  const ids = [1, 5, 0, 7, 3, 2, 9, 4, 4, 1, 0, 0, 8, 6];
  const expected = ref.embedding_lstm_softmax.predict({ data: Float32Array.from(ids), shape: [2, 7] });
  const j = await infer('embedding_lstm_softmax', { inputs: [tensor('embedding_input', [2, 7], ids, 'INT32')] });
  assert.is(j.status, 200, JSON.stringify(j.json));
  assertClose(j.json.outputs[0].data, expected.data, 'INT32 JSON');
  const b = await postBinary(`${server.url}/v2/models/embedding_lstm_softmax/infer`, { inputs: [{ name: 'embedding_input', shape: [2, 7], datatype: 'INT64', parameters: { binary_data_size: ids.length * 8 } }] }, [BigInt64Array.from(ids.map(BigInt))]);
  assert.is(b.status, 200);
  assertClose(b.header.outputs[0].data, expected.data, 'INT64 binary in, JSON out');
});

test('binary tensor data extension: binary in, binary out (per output and request-wide), FP64', async () => {
  const x = randomData(3 * 7 * 3, 9);
  const expected = ref.masking_lstm_td.predict({ data: x, shape: [3, 7, 3] });
  const url = `${server.url}/v2/models/masking_lstm_td/infer`;
  const a = await postBinary(url, { inputs: [{ name: 'masking_input', shape: [3, 7, 3], datatype: 'FP32', parameters: { binary_data_size: x.byteLength } }], outputs: [{ name: 'time_distributed', parameters: { binary_data: true } }] }, [x]);
  assert.is(a.status, 200);
  assert.is(a.header.outputs[0].parameters.binary_data_size, expected.data.byteLength);
  assert.is(a.header.outputs[0].data, undefined);
  assertClose(a.blobs[0], expected.data, 'binary output');
  const x64 = Float64Array.from(x);
  const b = await postBinary(url, { parameters: { binary_data_output: true }, inputs: [{ name: 'masking_input', shape: [3, 7, 3], datatype: 'FP64', parameters: { binary_data_size: x64.byteLength } }] }, [x64]);
  assertClose(b.blobs[0], expected.data, 'binary_data_output');
  // JSON request, binary output only where asked.
  const c = await postBinary(url, { inputs: [tensor('masking_input', [3, 7, 3], x)], outputs: [{ name: 'time_distributed', parameters: { binary_data: false } }] }, []);
  assertClose(c.header.outputs[0].data, expected.data, 'JSON output through the binary path');
});

test('BYTES inputs for a model that takes texts: JSON and binary (length-prefixed) equal predict', async () => {
  const meta = await getJson(`${server.url}/v2/models/hashing_k3`);
  assert.equal(meta.json.inputs, [{ name: 'text', datatype: 'BYTES', shape: [-1, 3] }]);
  const texts = ['cat', 'dog', 'émile', 'x', '', 'a b'];
  const expected = ref.hashing_k3.predict({ data: texts, shape: [2, 3] });
  const j = await infer('hashing_k3', { inputs: [{ name: 'text', shape: [2, 3], datatype: 'BYTES', data: [texts.slice(0, 3), texts.slice(3)] }] });
  assert.is(j.status, 200, JSON.stringify(j.json));
  assertClose(j.json.outputs[0].data, expected.data, 'BYTES JSON');
  const encoded = Buffer.concat(texts.map((t) => {
    const b = Buffer.from(t, 'utf8');
    const n = Buffer.alloc(4);
    n.writeUInt32LE(b.length);
    return Buffer.concat([n, b]);
  }));
  const b = await postBinary(`${server.url}/v2/models/hashing_k3/infer`, { inputs: [{ name: 'text', shape: [2, 3], datatype: 'BYTES', parameters: { binary_data_size: encoded.length } }] }, [new Uint8Array(encoded)]);
  assert.is(b.status, 200, JSON.stringify(b.header));
  assertClose(b.header.outputs[0].data, expected.data, 'BYTES binary');
  const short = await postBinary(`${server.url}/v2/models/hashing_k3/infer`, { inputs: [{ name: 'text', shape: [2, 3], datatype: 'BYTES', parameters: { binary_data_size: 6 } }] }, [new Uint8Array(encoded.subarray(0, 6))]);
  assert.is(short.status, 400);
  assert.match(short.header.error, /element 0 claims 3 bytes|ends before element/);
});

const errorCases = [
  ['wrong datatype name', 'lstm_stacked', { inputs: [{ name: 'lstm_input', shape: [1, 6, 4], datatype: 'FLOAT', data: new Array(24).fill(0) }] }, 400, /unknown datatype "FLOAT"/],
  ['BYTES to a numeric input', 'lstm_stacked', { inputs: [{ name: 'lstm_input', shape: [1, 6, 4], datatype: 'BYTES', data: new Array(24).fill('a') }] }, 400, /BYTES \(strings\) does not fit, this input takes numbers/],
  ['numbers to a text input', 'hashing_k3', { inputs: [{ name: 'text', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] }, 400, /this input takes texts, send datatype BYTES \(got FP32\)/],
  ['a number in BYTES data', 'hashing_k3', { inputs: [{ name: 'text', shape: [1, 3], datatype: 'BYTES', data: ['a', 2, 'c'] }] }, 400, /BYTES needs strings, got 2 at element 1/],
  ['data not of its datatype', 'lstm_stacked', { inputs: [{ name: 'lstm_input', shape: [1, 6, 4], datatype: 'INT32', data: [1.5, ...new Array(23).fill(0)] }] }, 400, /INT32 needs integers, got 1.5 at element 0/],
  ['a string in FP32 data', 'lstm_stacked', { inputs: [{ name: 'lstm_input', shape: [1, 6, 4], datatype: 'FP32', data: ['x', ...new Array(23).fill(0)] }] }, 400, /finite numbers, got "x"/],
  ['wrong rank', 'lstm_stacked', { inputs: [{ name: 'lstm_input', shape: [6, 4], datatype: 'FP32', data: new Array(24).fill(0) }] }, 400, /shape \[6,4\] does not fit the model's \[-1,6,4\]/],
  ['wrong fixed dimension', 'lstm_stacked', { inputs: [{ name: 'lstm_input', shape: [1, 6, 5], datatype: 'FP32', data: new Array(30).fill(0) }] }, 400, /does not fit/],
  ['empty batch', 'lstm_stacked', { inputs: [{ name: 'lstm_input', shape: [0, 6, 4], datatype: 'FP32', data: [] }] }, 400, /does not fit/],
  ['data count vs shape', 'lstm_stacked', { inputs: [{ name: 'lstm_input', shape: [1, 6, 4], datatype: 'FP32', data: new Array(23).fill(0) }] }, 400, /has 23 elements, its shape needs 24/],
  ['unknown input', 'lstm_stacked', { inputs: [{ name: 'x', shape: [1, 6, 4], datatype: 'FP32', data: new Array(24).fill(0) }] }, 400, /unknown input "x".*lstm_input/],
  ['missing input', 'decoder', { inputs: [{ name: 'decoder_inputs', shape: [1, 2, 2], datatype: 'FP32', data: [0, 0, 0, 0] }] }, 400, /missing input "state_h", "state_c"/],
  ['input given twice', 'lstm_stacked', { inputs: [1, 2].map(() => ({ name: 'lstm_input', shape: [1, 6, 4], datatype: 'FP32', data: new Array(24).fill(0) })) }, 400, /given twice/],
  ['no inputs', 'lstm_stacked', { inputs: [] }, 400, /non-empty list/],
  ['unknown output', 'lstm_stacked', { inputs: [{ name: 'lstm_input', shape: [1, 6, 4], datatype: 'FP32', data: new Array(24).fill(0) }], outputs: [{ name: 'nope' }] }, 400, /unknown output "nope"/],
  ['unknown model', 'nope', { inputs: [] }, 404, /unknown model "nope"/],
  ['unknown version', 'lstm_stacked/versions/2', { inputs: [] }, 404, /no version "2"/],
  ['id not a string', 'lstm_stacked', { id: 5, inputs: [] }, 400, /"id" must be a string/],
  ['sequence_start without an id', 'masking_lstm_td', { parameters: { sequence_start: true }, inputs: [tensor('masking_input', [1, 2, 3], new Array(6).fill(1))] }, 400, /need a non-zero, non-empty parameters.sequence_id/],
  ['sequence_end with id 0', 'masking_lstm_td', { parameters: { sequence_id: 0, sequence_end: true }, inputs: [tensor('masking_input', [1, 2, 3], new Array(6).fill(1))] }, 400, /non-zero/],
  ['sequence_start not a boolean', 'masking_lstm_td', { parameters: { sequence_id: 5, sequence_start: 'yes' }, inputs: [tensor('masking_input', [1, 2, 3], new Array(6).fill(1))] }, 400, /sequence_start must be true or false, got "yes"/],
  ['sequence_id of a wrong type', 'masking_lstm_td', { parameters: { sequence_id: -3, sequence_start: true }, inputs: [tensor('masking_input', [1, 2, 3], new Array(6).fill(1))] }, 400, /sequence_id must be a non-negative integer or a string, got -3/],
  ['sequence never started', 'masking_lstm_td', { parameters: { sequence_id: 'never' }, inputs: [tensor('masking_input', [1, 2, 3], new Array(6).fill(1))] }, 400, /sequence "never" of model "masking_lstm_td" is not live: start it/],
  ['sequence with batch 2', 'masking_lstm_td', { parameters: { sequence_id: 77, sequence_start: true }, inputs: [tensor('masking_input', [2, 2, 3], new Array(12).fill(1))] }, 400, /batch dimension must be 1/],
  ['sequence on a model that cannot stream', 'bidir_lstm_concat', { parameters: { sequence_id: 1, sequence_start: true }, inputs: [tensor('bidirectional_input', [1, 5, 3], new Array(15).fill(1))] }, 400, /cannot run sequences: .*Bidirectional/],
];

for (const [what, model, body, status, message] of errorCases) {
  test(`error: ${what} -> ${status}`, async () => {
    const r = await infer(model, body);
    assert.is(r.status, status, JSON.stringify(r.json));
    assert.type(r.json.error, 'string');
    assert.match(r.json.error, message);
  });
}

test('error: malformed JSON, non-object body, oversized body, unknown endpoint', async () => {
  const bad = await infer('lstm_stacked', '{"inputs": [');
  assert.is(bad.status, 400);
  assert.match(bad.json.error, /malformed JSON in the request body/);
  const arr = await infer('lstm_stacked', '[1, 2]');
  assert.match(arr.json.error, /must be a JSON object/);
  const big = await infer('lstm_stacked', { inputs: [tensor('lstm_input', [1, 6, 4], new Array(24).fill(0))], pad: 'x'.repeat(MAX_BODY) });
  assert.is(big.status, 413);
  assert.match(big.json.error, new RegExp(`larger than the server's limit of ${MAX_BODY} bytes`));
  const nf = await getJson(`${server.url}/v2/nothing`);
  assert.is(nf.status, 404);
  assert.match(nf.json.error, /no such endpoint: GET \/v2\/nothing/);
});

test('error: binary extension framing (header length, sizes, leftover bytes)', async () => {
  const url = `${server.url}/v2/models/lstm_stacked/infer`;
  const x = randomData(24, 1);
  const head = (size) => ({ inputs: [{ name: 'lstm_input', shape: [1, 6, 4], datatype: 'FP32', parameters: { binary_data_size: size } }] });
  const short = await postBinary(url, head(96), [x.subarray(0, 10)]);
  assert.is(short.status, 400);
  assert.match(short.header.error, /binary_data_size 96 runs past the 40 bytes/);
  const wrong = await postBinary(url, head(40), [x.subarray(0, 10)]);
  assert.match(wrong.header.error, /binary_data_size is 40 bytes, shape and FP32 need 24 x 4 = 96/);
  const extra = await postBinary(url, head(96), [x, x.subarray(0, 2)]);
  assert.match(extra.header.error, /8 bytes of binary data after the JSON header belong to no input/);
  const res = await fetch(url, { method: 'POST', headers: { 'inference-header-content-length': '99999' }, body: '{}' });
  assert.is(res.status, 400);
  assert.match((await res.json()).error, /Inference-Header-Content-Length "99999" must be an integer no larger than the body/);
});

/** Sends one sequence in chunks, one request after the other; returns the outputs per request. */
async function runSequence(model, inputName, id, x, T, F, cuts) {
  const outs = [];
  for (let i = 0; i < cuts.length - 1; i++) {
    const [a, b] = [cuts[i], cuts[i + 1]];
    const r = await infer(model, {
      parameters: { sequence_id: id, ...(i === 0 ? { sequence_start: true } : {}), ...(i === cuts.length - 2 ? { sequence_end: true } : {}) },
      inputs: [tensor(inputName, [1, b - a, F], x.subarray(a * F, b * F))],
    });
    assert.is(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.parameters.sequence_id, id);
    outs.push(r.json.outputs[0]);
  }
  return outs;
}

test('sequences: interleaved concurrent sequences in pieces == predict over each whole sequence', async () => {
  // Each sequence is cut at its own random points; all run at once, so steps of different
  // sequences share calls as rows (and, with --max-sequences 4, four at a time).
  for (const [model, inputName, T, F] of [['masking_lstm_td', 'masking_input', 7, 3], ['lstm_stacked', 'lstm_input', 6, 4]]) {
    const seqs = Array.from({ length: 4 }, (_, s) => {
      const x = randomData(T * F, 100 + s);
      if (s === 1) x.fill(0, 2 * F, 3 * F); // a masked step in the middle
      let r = 1000 + s;
      const cuts = [0];
      while (cuts[cuts.length - 1] < T) {
        r = (r * 1103515245 + 12345) >>> 0;
        cuts.push(Math.min(T, cuts[cuts.length - 1] + 1 + (r % 3)));
      }
      return { id: s % 2 ? `seq-${s}` : s + 1, x, cuts };
    });
    const results = await Promise.all(seqs.map((s) => runSequence(model, inputName, s.id, s.x, T, F, s.cuts)));
    seqs.forEach((s, i) => {
      const whole = ref[model].predict({ data: s.x, shape: [1, T, F] });
      if (whole.shape.length === 3) {
        assertClose(results[i].flatMap((o) => o.data), whole.data, `${model} sequence ${s.id}: concatenated step outputs`);
        assert.equal(results[i].map((o) => o.shape[1]), s.cuts.slice(1).map((c, k) => c - s.cuts[k]));
      } else {
        assertClose(results[i][results[i].length - 1].data, whole.data, `${model} sequence ${s.id}: last output`);
      }
    });
  }
});

test('sequences: slots run out with a clear 503, sequence_end frees one; idle sequences expire', async () => {
  const step = (id, flags) => infer('masking_lstm_td', { parameters: { sequence_id: id, ...flags }, inputs: [tensor('masking_input', [1, 1, 3], [0.1, 0.2, 0.3])] });
  for (const id of ['a', 'b', 'c', 'd']) assert.is((await step(id, { sequence_start: true })).status, 200);
  const full = await step('e', { sequence_start: true });
  assert.is(full.status, 503);
  assert.match(full.json.error, /all 4 sequence slots are in use/);
  assert.is((await step('a', { sequence_end: true })).status, 200);
  assert.is((await step('a', {})).status, 400, 'an ended sequence is gone');
  assert.is((await step('e', { sequence_start: true })).status, 200);
  await new Promise((r) => setTimeout(r, IDLE_MS * 3));
  const expired = await step('b', {});
  assert.is(expired.status, 400);
  assert.match(expired.json.error, /not live.*expired after 400 ms idle/);
  assert.is((await step('f', { sequence_start: true, sequence_end: true })).status, 200, 'all slots free again');
});

test('/metrics: Prometheus text with requests, failures, latency, queue time, batch rows, memory', async () => {
  const r = await getJson(`${server.url}/metrics`);
  assert.is(r.status, 200);
  for (const line of [
    /kerasrnn_requests_total\{model="lstm_stacked"\} \d+/,
    /kerasrnn_request_failures_total\{model="lstm_stacked",status="400"\} \d+/,
    /kerasrnn_request_duration_seconds_bucket\{le="[\d.]+",model="lstm_stacked"\}/,
    /kerasrnn_queue_duration_seconds_count\{model="masking_lstm_td"\} \d+/,
    /kerasrnn_batch_rows_count\{model="masking_lstm_td",kind="stream"\} \d+/,
    /kerasrnn_live_sequences\{model="masking_lstm_td"\} \d+/,
    /process_resident_memory_bytes \d+/,
  ]) assert.match(r.text, line);
});

test.run();
