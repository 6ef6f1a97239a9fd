// Starts `kerasrnn serve` as a child process on an ephemeral loopback port, for protocol tests and
// the serve load bench; and small HTTP helpers for Open Inference Protocol requests.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** Spawns the server; resolves with { url, child, stderr(), exited } once it listens. */
export function startServe(args, { timeoutMs = 60000 } = {}) {
  const child = spawn(process.execPath, [cli, 'serve', ...args, '--host', '127.0.0.1', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in ${timeoutMs} ms:\n${err}`)), timeoutMs);
    child.stderr.on('data', (d) => {
      err += d;
      const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], child, stderr: () => err, exited });
      }
    });
    exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}) before listening:\n${err}`));
    });
  });
}

/** POSTs a JSON body (object or raw string); returns { status, headers, json }. */
export async function postJson(url, body, headers = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = { raw: text };
  }
  return { status: res.status, headers: res.headers, json };
}

/** GETs a URL; returns { status, json } (json null for a non-JSON body). */
export async function getJson(url) {
  const res = await fetch(url);
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, json, text };
}

/** Sends a binary-extension request: JSON header + raw tensors; returns { status, header, blobs }. */
export async function postBinary(url, head, tensors) {
  const json = Buffer.from(JSON.stringify(head));
  const body = Buffer.concat([json, ...tensors.map((t) => Buffer.from(t.buffer, t.byteOffset, t.byteLength))]);
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(json.length) }, body });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const n = Number(res.headers.get('inference-header-content-length') ?? bytes.length);
  const header = JSON.parse(Buffer.from(bytes.subarray(0, n)).toString('utf8'));
  const blobs = [];
  let at = n;
  for (const o of header.outputs ?? []) {
    const size = o.parameters?.binary_data_size;
    if (size === undefined) continue;
    blobs.push(new Float32Array(bytes.slice(at, at + size).buffer));
    at += size;
  }
  return { status: res.status, header, blobs };
}

/** Deterministic values in [-1, 1). */
export function randomData(n, seed) {
  const data = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    data[i] = (s / 2 ** 32) * 2 - 1;
  }
  return data;
}
