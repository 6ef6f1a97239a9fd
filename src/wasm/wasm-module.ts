import { ResourceLimitError } from '../errors.js';
import { WASM_BASE64 } from './wasm-binary.generated.js';
import type { KernelExports } from './kernel-exports.js';
import { SequenceThreads, type SequenceThreadsInfo } from './sequence-threads.js';

let compiled: Promise<WebAssembly.Module> | undefined;

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Compiles the kernel module once per process (or page); every model instantiates its own copy. */
export function compileKernels(): Promise<WebAssembly.Module> {
  compiled ??= WebAssembly.compile(decodeBase64(WASM_BASE64)).catch((e: unknown) => {
    compiled = undefined; // a failure (e.g. out of memory) must not break every later load
    throw e;
  });
  return compiled;
}

let compiledThreads: Promise<WebAssembly.Module> | undefined;

/**
 * Compiles the threads build (assembly/threads.ts: shared imported memory, atomics) once per
 * process or page. Its binary lives in its own generated module, imported on first use, so a
 * process that never splits a sequence never decodes it.
 */
function compileThreadKernels(): Promise<WebAssembly.Module> {
  compiledThreads ??= import('./wasm-threads-binary.generated.js')
    .then(({ WASM_BASE64: text }) => WebAssembly.compile(decodeBase64(text)))
    .catch((e: unknown) => {
      compiledThreads = undefined;
      throw e;
    });
  return compiledThreads;
}

/** Pages a shared memory may grow to: wasm32's 4 GiB (a shared memory must declare its maximum). */
const SHARED_MAX_PAGES = 65536;

/**
 * A fresh instance of the threads build on its own shared memory, with the (not yet started)
 * workers that will run on that memory: same kernels as {@link instantiateKernels}, plus the
 * parallel sequence kernels. `info.threads` must be 2 or more.
 */
export async function instantiateThreadKernels(info: SequenceThreadsInfo): Promise<{ kernels: KernelExports; threads: SequenceThreads }> {
  const module = await compileThreadKernels();
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: 1, maximum: SHARED_MAX_PAGES, shared: true });
  } catch (cause) {
    throw new ResourceLimitError(`could not create a shared WebAssembly memory for the model (${(cause as Error).message}); dispose() models you no longer need`, { field: 'memory' }, { cause });
  }
  const instance = await WebAssembly.instantiate(module, { env: { memory, abort(): never { throw new Error('kerasrnn kernel aborted'); } } });
  const kernels = instance.exports as unknown as KernelExports;
  return { kernels, threads: new SequenceThreads(module, memory, kernels, info) };
}

/**
 * A fresh kernel instance with its own linear memory: models never share memory, so disposing one
 * model frees all of its memory and a fault in one cannot corrupt another.
 */
export async function instantiateKernels(): Promise<KernelExports> {
  let instance: WebAssembly.Instance;
  try {
    const module = await compileKernels();
    instance = await WebAssembly.instantiate(module, {
      env: {
        abort(): never {
          throw new Error('kerasrnn kernel aborted');
        },
      },
    });
  } catch (cause) {
    // V8 throws a RangeError when it cannot reserve memory for another instance (too many live
    // models, or the process is out of address space): a resource limit, not a bug.
    if (cause instanceof RangeError || (cause instanceof Error && /memory/i.test(cause.message))) {
      throw new ResourceLimitError(
        `could not create a WebAssembly instance for the model (${cause.message}); dispose() models you no longer need`,
        { field: 'memory' },
        { cause },
      );
    }
    throw cause;
  }
  return instance.exports as unknown as KernelExports;
}
