import { ResourceLimitError } from '../errors.js';
import { WASM_BASE64 } from './wasm-binary.generated.js';
import type { KernelExports } from './kernel-exports.js';

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
