// Bundles dist/index.js with its two dependencies (jsfive, fflate) into one ES module,
// dist/browser/kerasrnn.js, that a page imports with no build step and no import map:
//   <script type="module">import { loadModel } from './kerasrnn.js';</script>
// The wasm kernels are already inlined (scripts/embed-wasm.mjs). The only Node built-ins in the
// library are dynamic imports used for string paths in Node (src/api/read-source.ts); here they
// become a stub that throws, so the bundle mentions no `node:` module at all and bundlers that
// consume it (the package's "browser" export condition) need no configuration.
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

// kerasrnn.js is readable (useful stack traces); kerasrnn.min.js is the same code minified.
for (const [name, minify] of [['kerasrnn.js', false], ['kerasrnn.min.js', true]]) {
  const outfile = new URL(`../dist/browser/${name}`, import.meta.url).pathname;
  await build({
    entryPoints: [new URL('../dist/index.js', import.meta.url).pathname],
    outfile,
    bundle: true,
    minify,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['browser', 'import'],
    legalComments: 'inline',
    banner: { js: '// kerasrnn browser build (ES module): dist/index.js bundled with jsfive and fflate by scripts/build-browser.mjs' },
    plugins: [nodeStub],
    logLevel: 'warning',
  });
  const text = readFileSync(outfile, 'utf8');
  if (/["']node:/.test(text)) throw new Error(`${outfile} still refers to a node: module`);
  console.log(`wrote dist/browser/${name} (${(statSync(outfile).size / 1024).toFixed(0)} KiB)`);
}
