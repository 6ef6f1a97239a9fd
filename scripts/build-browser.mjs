// Bundles dist/index.js with its two dependencies (jsfive, fflate) into one ES module,
// dist/browser/kerasrnn.js, that a page imports with no build step and no import map:
//   <script type="module">import { loadModel } from './kerasrnn.js';</script>
// The wasm kernels are already inlined (scripts/embed-wasm.mjs). The only Node built-ins in the
// library are dynamic imports used for string paths in Node (src/api/read-source.ts); here they
// become a stub that throws, so the bundle mentions no `node:` module at all and bundlers that
// consume it (the package's "browser" export condition) need no configuration.
// Beside it, kerasrnn-worker.js is the model worker of `loadModel(src, { worker: true })`
// (dist/api/model-worker.js bundled the same way): the main bundle starts it as
// `new Worker(new URL('./kerasrnn-worker.js', import.meta.url), { type: 'module' })`; where the
// worker file ends up elsewhere (a bundler that does not copy it), `workerUrl` names it.
import { build } from 'esbuild';
import { readFileSync, statSync } from 'node:fs';

const nodeStub = {
  name: 'node-builtins-stub',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'node-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'node-stub' }, (args) => ({
      contents:
        `const fail = () => { throw new Error(${JSON.stringify(`kerasrnn browser build: ${args.path} is not available; pass a URL, File, Blob or ArrayBuffer instead of a file path`)}); };\n` +
        'export const readFile = fail, writeFile = fail, fileURLToPath = fail; export default {};\n',
      loader: 'js',
    }));
  },
};

/** Points worker-model.js at the worker bundle that sits beside the bundle being built. */
function workerFile(name) {
  return {
    name: 'worker-file',
    setup(b) {
      b.onLoad({ filter: /[\\/]api[\\/]worker-model\.js$/ }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        const from = "new URL('./model-worker.js', import.meta.url)";
        if (!text.includes(from)) throw new Error(`${args.path} no longer contains ${from}: update scripts/build-browser.mjs`);
        return { contents: text.replace(from, `new URL('./${name}', import.meta.url)`), loader: 'js' };
      });
    },
  };
}

// kerasrnn.js is readable (useful stack traces); kerasrnn.min.js is the same code minified.
const bundles = [
  ['kerasrnn.js', 'index.js', false, 'kerasrnn-worker.js'],
  ['kerasrnn.min.js', 'index.js', true, 'kerasrnn-worker.min.js'],
  ['kerasrnn-worker.js', 'api/model-worker.js', false, 'kerasrnn-worker.js'],
  ['kerasrnn-worker.min.js', 'api/model-worker.js', true, 'kerasrnn-worker.min.js'],
];
for (const [name, entry, minify, worker] of bundles) {
  const outfile = new URL(`../dist/browser/${name}`, import.meta.url).pathname;
  await build({
    entryPoints: [new URL(`../dist/${entry}`, import.meta.url).pathname],
    outfile,
    bundle: true,
    minify,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['browser', 'import'],
    legalComments: 'inline',
    banner: { js: '// kerasrnn browser build (ES module): dist/index.js bundled with jsfive and fflate by scripts/build-browser.mjs' },
    plugins: [nodeStub, workerFile(worker)],
    logLevel: 'warning',
  });
  const text = readFileSync(outfile, 'utf8');
  if (/["']node:/.test(text)) throw new Error(`${outfile} still refers to a node: module`);
  console.log(`wrote dist/browser/${name} (${(statSync(outfile).size / 1024).toFixed(0)} KiB)`);
}
