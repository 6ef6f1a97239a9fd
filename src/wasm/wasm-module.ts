import { InputError, ResourceLimitError } from '../errors.js';
import type { KernelExports } from './kernel-exports.js';
import { SequenceThreads, type SequenceThreadsInfo } from './sequence-threads.js';

/**
 * The two builds of the kernels (one source, `assembly/`): `simd` uses only wasm SIMD (mul then
 * add), which every runtime with SIMD accepts; `relaxed-simd` fuses the hot loops' multiply-adds
 * into `f32x4.relaxed_madd` (one FMA instruction where the CPU has it). They differ in rounding,
 * so a model's results are deterministic per build, not across builds.
 */
export type KernelBuild = 'simd' | 'relaxed-simd';

/** loadModel's `kernels` option: a build, or `auto` (relaxed where the runtime validates it). */
export type KernelChoice = 'auto' | KernelBuild;

const KERNEL_CHOICES: readonly string[] = ['auto', 'simd', 'relaxed-simd'];

/**
 * The smallest module that uses `f32x4.relaxed_madd` (three v128 parameters, one result):
 * validating it answers "does this runtime take relaxed SIMD" without decoding the 100 KB
 * relaxed build (Node 20 refuses it unless started with --experimental-wasm-relaxed-simd).
 */
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type: (v128 v128 v128) -> v128
  0x03, 0x02, 0x01, 0x00, // one function of that type
  // code: local.get 0, 1, 2; f32x4.relaxed_madd (0xfd 0x105); end
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b,
]);

let relaxedSupported: boolean | undefined;

/** Whether this runtime validates relaxed SIMD (asked once per process or page). */
export function relaxedSimdSupported(): boolean {
  relaxedSupported ??= typeof WebAssembly.validate === 'function' && WebAssembly.validate(RELAXED_PROBE);
  return relaxedSupported;
}

/**
 * The build a load uses: `auto` (the default) takes `relaxed-simd` where the runtime validates it;
 * an explicit `relaxed-simd` on a runtime without it is an InputError saying so.
 */
export function resolveKernelBuild(choice: unknown, file?: string): KernelBuild {
  const c = choice ?? 'auto';
  if (typeof c !== 'string' || !KERNEL_CHOICES.includes(c)) {
    throw new InputError(`kernels must be one of ${KERNEL_CHOICES.map((k) => `'${k}'`).join(', ')}`, { file, field: 'kernels', value: c });
  }
  if (c === 'simd') return 'simd';
  if (relaxedSimdSupported()) return 'relaxed-simd';
  if (c === 'auto') return 'simd';
  throw new InputError(
    "kernels: 'relaxed-simd' asked for, but this WebAssembly runtime does not support relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd; Node 22+ and current browsers have it); use 'auto' or 'simd'",
    { file, field: 'kernels', value: c },
  );
}

/** One compiled module per build and process (or page); every model instantiates its own copy. */
const compiled = new Map<KernelBuild, Promise<WebAssembly.Module>>();

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * The embedded binary of a build. Each lives in its own generated module, imported on first use,
 * so a process that runs one build never parses or decodes the other.
 */
async function binaryOf(build: KernelBuild): Promise<Uint8Array<ArrayBuffer>> {
  const text = build === 'simd' ? (await import('./wasm-binary.generated.js')).WASM_BASE64 : (await import('./wasm-relaxed-binary.generated.js')).WASM_RELAXED_BASE64;
  return decodeBase64(text);
}

/** Compiles a build of the kernel module once per process (or page). */
export function compileKernels(build: KernelBuild = 'simd'): Promise<WebAssembly.Module> {
  let module = compiled.get(build);
  if (!module) {
    module = binaryOf(build).then((bytes) => WebAssembly.compile(bytes));
    module.catch(() => compiled.delete(build)); // a failure (e.g. out of memory) must not break every later load
    compiled.set(build, module);
  }
  return module;
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
export async function instantiateKernels(build: KernelBuild = 'simd'): Promise<KernelExports> {
  let instance: WebAssembly.Instance;
  try {
    const module = await compileKernels(build);
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
