#!/usr/bin/env node
// `npm run demo`: serves the demo page on http://127.0.0.1:8080/ (or --port N / PORT; 0 picks a
// free port; --isolated sends the COOP / COEP headers that make the page cross-origin isolated,
// which a browser requires for SharedArrayBuffer and so for sequence threads). Everything the
// page needs comes from this server, so it works offline:
//   /              demo/index.html, app.js, plot.js, style.css
//   /kerasrnn.js   dist/browser/kerasrnn.js (the package's browser build: npm run build)
//   /kerasrnn-worker.js  dist/browser/kerasrnn-worker.js (its model worker, for { worker: true })
//   /examples/...  examples/ (the sine forecaster the page offers as a sample model)
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const roots = { demo: path.join(root, 'demo'), examples: path.join(root, 'examples') };
const bundle = path.join(root, 'dist', 'browser', 'kerasrnn.js');
const workerBundle = path.join(root, 'dist', 'browser', 'kerasrnn-worker.js');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/** The file a URL path maps to, or null (outside the served folders, or not a file). */
function resolveFile(urlPath) {
  let p;
  try {
    p = decodeURIComponent(urlPath.split('?')[0]);
  } catch {
    return null;
  }
  if (p === '/' || p === '/index.html') return path.join(roots.demo, 'index.html');
  if (p === '/kerasrnn.js') return bundle;
  if (p === '/kerasrnn-worker.js') return workerBundle;
  const [base, rel] = p.startsWith('/examples/') ? [roots.examples, p.slice('/examples/'.length)] : [roots.demo, p.slice(1)];
  const file = path.resolve(base, rel);
  if (!file.startsWith(base + path.sep)) return null; // no ../ escapes
  return file;
}

/** The headers that make a page cross-origin isolated (everything it loads is same-origin here). */
const ISOLATION_HEADERS = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

export function startServer({ port = 8080, host = '127.0.0.1', isolated = false } = {}) {
  const server = http.createServer((req, res) => {
    const file = req.method === 'GET' || req.method === 'HEAD' ? resolveFile(req.url ?? '/') : null;
    fs.stat(file ?? '', (err, st) => {
      if (!file || err || !st.isFile()) {
        res.writeHead(file ? 404 : 400, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(file ? 'not found\n' : 'bad request\n');
        return;
      }
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
        'content-length': st.size,
        'cache-control': 'no-store',
        ...(isolated ? ISOLATION_HEADERS : {}),
      });
      if (req.method === 'HEAD') res.end();
      else fs.createReadStream(file).pipe(res);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

function argPort() {
  const i = process.argv.indexOf('--port');
  const v = i >= 0 ? process.argv[i + 1] : process.env.PORT;
  if (v === undefined) return 8080;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`kerasrnn demo: --port must be an integer 0..65535, got ${JSON.stringify(v)}`);
    process.exit(2);
  }
  return n;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!fs.existsSync(bundle)) {
    console.error(`kerasrnn demo: ${path.relative(process.cwd(), bundle)} is missing; run \`npm run build\` first`);
    process.exit(1);
  }
  const port = argPort();
  const isolated = process.argv.includes('--isolated');
  startServer({ port, isolated }).then(
    (server) => {
      const { port: actual } = server.address();
      console.log(`kerasrnn demo: http://127.0.0.1:${actual}/  (${isolated ? 'cross-origin isolated; ' : ''}Ctrl+C stops it)`);
    },
    (err) => {
      console.error(`kerasrnn demo: cannot listen on 127.0.0.1:${port} (${err.code ?? err.message})${err.code === 'EADDRINUSE' ? '; choose another port: npm run demo -- --port 8081' : ''}`);
      process.exit(1);
    },
  );
}
