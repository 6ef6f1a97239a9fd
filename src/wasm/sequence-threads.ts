// One sequence on several cores: the threads build of the kernels (assembly/threads.ts, shared
// imported memory + atomics) instantiated on the calling thread and in N-1 workers on the same
// WebAssembly.Memory. A parallel sequence kernel (e.g. lstmSequenceParallel) is called by every
// thread with the one-thread kernel's parameter block and a team block; each thread runs all time steps for its share of the unit
// groups and the threads meet at a barrier in shared memory after every step (see
// assembly/parallel-common.ts). Each unit's arithmetic is the one-thread kernel's, so results
// are bit-identical to one thread whatever the partition.
//
// Workers start on the first call that is worth splitting. A worker sleeps on a job counter in a
// small SharedArrayBuffer of its own; a call writes the team block (in the model's scratch
// memory, next to the parameter block), bumps the counter, runs thread 0's share itself, then waits until every worker has
// returned from the kernel - so no worker still reads the block when the call returns.
//
// Node's main thread may block (Atomics.wait, as batch-workers.ts does); a browser page's may
// not, so there thread 0 spins at the barrier and while waiting for the workers, and the first
// calls run on one thread until the workers report ready (they start asynchronously).
import type { KernelExports } from './kernel-exports.js';

/** loadModel's `sequenceThreads`, resolved: how a model runs one sequence (see {@link Model.info}). */
export interface SequenceThreadsInfo {
  /**
   * Threads one sequence may be split over (1: never split). A call is split only when its work
   * per time step is large enough to pay for a barrier per step (see `minStepFlops`).
   */
  readonly threads: number;
  /** Why sequences stay on one thread (no SharedArrayBuffer, option, no large layer), or null. */
  readonly fallback: string | null;
  /** Whether the model has a layer large enough to split (a fallback then costs speed). */
  readonly splittable: boolean;
  /** Flops per time step (2 per multiply-add of the recurrent product) from which a call is split. */
  readonly minStepFlops: number;
}

/** Kernel names a worker may be asked to run (index = id in the control block). */
const KERNELS = ['lstmSequenceParallel', 'gruSequenceParallel'] as const;
/** The parallel kernels' entry points as the threads build exports them. */
type ParallelKernel = (params: number, team: number, tid: number) => void;

// Control block (Int32Array over its own SharedArrayBuffer) shared with the workers.
const C_JOB = 0; // bumped once per call (and on quit)
const C_PARAMS = 1; // the call's parameter block (wasm pointer)
const C_KERNEL = 2; // index into KERNELS
const C_DONE = 3; // workers that returned from the call's kernel
const C_QUIT = 4;
const C_READY = 5; // workers that instantiated the module
const C_FAILED = 6; // a worker's kernel threw (a bug): the pool stops being used
const C_TEAM = 7; // the call's team block (wasm pointer)
const C_WORDS = 8;

// Team block fields in i32 words: assembly/parallel-common.ts (T_* there are byte offsets).
const T_THREADS = 0;
const T_SPIN = 1;
const T_MAY_WAIT = 2;
/** assembly/parallel-common.ts TEAM_BYTES: the fields, then the barrier words on their own lines. */
export const TEAM_BYTES = 192;
/**
 * Barrier polls before a thread sleeps: longer than a large layer's step (LSTM 512 at batch 1:
 * about 70 us per thread). A futex wait and wake costs more than the step itself in a VM, so a
 * shorter spin that lets threads fall asleep every step lost the gain: with 4000 polls two
 * threads ran LSTM 512 batch 1 at 1.2x one thread, with 40000 at 2.1-2.2x (bench --quick, idle
 * 2-core machine). On an oversubscribed machine a waiting thread still sleeps after the spin.
 */
const BARRIER_SPIN = 40000;
/** A worker polls this long for the next call before it sleeps (calls often come back to back). */
const WORKER_SPIN = 20000;

/**
 * Default split threshold: 2 * 4 * 256 * 256 flops per step (an LSTM of 256 units at batch 1).
 * Below it, a step is a few microseconds and the barrier's cost eats the gain (measured in
 * bench/run.mjs: LSTM 128 batch 1 is no faster on two threads).
 */
export const DEFAULT_MIN_STEP_FLOPS = 2 * 4 * 256 * 256;

/** The worker body: instantiate the module on the shared memory, then serve calls until quit. */
const WORKER_SOURCE = `
const start = (d) => {
  const c = new Int32Array(d.control);
  const instance = new WebAssembly.Instance(d.module, { env: { memory: d.memory, abort() { throw new Error('kerasrnn kernel aborted'); } } });
  const kernels = d.kernels.map((k) => instance.exports[k]);
  Atomics.add(c, ${C_READY}, 1);
  Atomics.notify(c, ${C_READY});
  let seen = 0;
  for (;;) {
    let job = Atomics.load(c, ${C_JOB});
    for (let i = 0; job === seen && i < ${WORKER_SPIN}; i++) job = Atomics.load(c, ${C_JOB});
    while (job === seen) { Atomics.wait(c, ${C_JOB}, seen); job = Atomics.load(c, ${C_JOB}); }
    seen = job;
    if (Atomics.load(c, ${C_QUIT})) return;
    try { kernels[Atomics.load(c, ${C_KERNEL})](Atomics.load(c, ${C_PARAMS}), Atomics.load(c, ${C_TEAM}), d.tid); } catch { Atomics.store(c, ${C_FAILED}, 1); }
    Atomics.add(c, ${C_DONE}, 1);
    Atomics.notify(c, ${C_DONE});
  }
};
if (typeof process !== 'undefined' && process.versions && process.versions.node) {
  start(process.getBuiltinModule('worker_threads').workerData);
} else {
  self.onmessage = (e) => start(e.data);
}
`;

interface AnyWorker {
  terminate(): unknown;
  unref?(): void;
  postMessage?(v: unknown): void;
  on?(ev: 'error', fn: () => void): void;
  onerror?: (() => void) | null;
}

function isNode(): boolean {
  return typeof process !== 'undefined' && !!process.versions?.node;
}

/** Threads the machine offers (Node: availableParallelism; browsers: hardwareConcurrency). */
function machineThreads(): number {
  const os = isNode() ? (process as unknown as { getBuiltinModule?: (m: string) => { availableParallelism?: () => number } | undefined }).getBuiltinModule?.('os') : undefined;
  if (os?.availableParallelism) return os.availableParallelism();
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return nav?.hardwareConcurrency ?? 1;
}

/**
 * Why this runtime cannot run one sequence on several threads, or null when it can: it needs
 * SharedArrayBuffer (in a browser only on a cross-origin isolated page) and a way to start
 * workers synchronously from the calling thread's code (Node 20.16+'s process.getBuiltinModule,
 * or a browser's Worker).
 */
export function sequenceThreadsUnavailable(): string | null {
  if (typeof SharedArrayBuffer === 'undefined') {
    return isNode() ? 'SharedArrayBuffer is not available in this runtime' : 'SharedArrayBuffer is not available (the page is not cross-origin isolated: serve it with COOP/COEP headers)';
  }
  if (isNode()) {
    if (typeof (process as unknown as { getBuiltinModule?: unknown }).getBuiltinModule !== 'function') return 'this Node.js has no process.getBuiltinModule (needs Node 20.16 or later)';
    return null;
  }
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== true) return 'the page is not cross-origin isolated (serve it with COOP/COEP headers)';
  if (typeof (globalThis as { Worker?: unknown }).Worker !== 'function') return 'this runtime has no Worker';
  return null;
}

/**
 * Resolves loadModel's `sequenceThreads` (a thread count, default: the machine's threads, at
 * most 4) against what the runtime allows. `eligible` tells whether the model has a layer the
 * parallel kernels cover; without one the model keeps the plain build.
 */
export function resolveSequenceThreads(requested: number | undefined, eligible: string | null, minStepFlops = DEFAULT_MIN_STEP_FLOPS): SequenceThreadsInfo {
  if (eligible !== null) return { threads: 1, fallback: eligible, splittable: false, minStepFlops };
  const wanted = requested ?? Math.min(4, machineThreads());
  if (wanted <= 1) return { threads: 1, fallback: requested === undefined ? 'the machine has one thread' : `sequenceThreads: ${requested}`, splittable: true, minStepFlops };
  const missing = sequenceThreadsUnavailable();
  if (missing) return { threads: 1, fallback: missing, splittable: true, minStepFlops };
  return { threads: wanted, fallback: null, splittable: true, minStepFlops };
}

/** Ends the workers of a model that was dropped without dispose() (they hold its whole memory). */
const collected = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<SequenceThreads>((t) => t.dispose()) : null;

/**
 * Ties `threads` to `owner` (the WasmMemory using them): when the owner is garbage-collected, the
 * workers end. `threads` must not reference `owner`, or the owner never becomes collectable.
 */
export function disposeWithOwner(owner: object, threads: SequenceThreads): void {
  collected?.register(owner, threads);
}

/**
 * The worker threads of one model's threads-build instance. Created with the instance; workers
 * start on the first call worth splitting and end with {@link SequenceThreads.dispose} (they
 * never keep a Node process alive).
 */
export class SequenceThreads {
  private readonly control = new Int32Array(new SharedArrayBuffer(C_WORDS * 4));
  private workers: AnyWorker[] | null = null;
  private broken = false;
  private readonly node = isNode();
  /** Calls run split so far (tests read it to know a call was split, not just equal). */
  splitCalls = 0;

  constructor(
    private readonly module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
    private readonly kernels: KernelExports,
    readonly info: SequenceThreadsInfo,
  ) {}

  private held = 0;

  /** Whether a call with this much work per step (flops) and T steps is split now. */
  worthSplitting(stepFlops: number, steps: number): boolean {
    return this.info.threads > 1 && this.held === 0 && !this.broken && steps >= 2 && stepFlops >= this.info.minStepFlops && this.ready();
  }

  /** Runs `fn` without splitting sequences (e.g. while batch workers occupy the other cores). */
  alone<T>(fn: () => T): T {
    this.held++;
    try {
      return fn();
    } finally {
      this.held--;
    }
  }

  /** Starts the workers if needed; true once all of them run (Node waits for them, a page does not). */
  private ready(): boolean {
    const n = this.info.threads - 1;
    if (!this.workers) this.start();
    if (Atomics.load(this.control, C_READY) === n) return true;
    if (!this.node) return false;
    // Node: block until the workers are up (a fresh worker takes a few ms); give up after 10 s.
    const deadline = Date.now() + 10_000;
    for (let r = Atomics.load(this.control, C_READY); r < n && Date.now() < deadline; r = Atomics.load(this.control, C_READY)) {
      Atomics.wait(this.control, C_READY, r, 100);
    }
    if (Atomics.load(this.control, C_READY) === n) return true;
    this.broken = true;
    return false;
  }

  private start(): void {
    const n = this.info.threads - 1;
    this.workers = [];
    const kernels = [...KERNELS];
    for (let tid = 1; tid <= n; tid++) {
      const data = { module: this.module, memory: this.memory, control: this.control.buffer, kernels, tid };
      if (this.node) {
        const wt = (process as unknown as { getBuiltinModule(m: string): { Worker: new (code: string, o: unknown) => AnyWorker } }).getBuiltinModule('worker_threads');
        const w = new wt.Worker(WORKER_SOURCE, { eval: true, workerData: data });
        // A worker that fails to start (e.g. no memory for its instance) must not crash the
        // process with an unhandled 'error' event: the model just stays on one thread.
        w.on?.('error', () => (this.broken = true));
        w.unref?.();
        this.workers.push(w);
      } else {
        const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
        const W = (globalThis as unknown as { Worker: new (u: string) => AnyWorker }).Worker;
        const w = new W(url);
        w.onerror = () => (this.broken = true);
        URL.revokeObjectURL(url);
        w.postMessage?.(data);
        this.workers.push(w);
      }
    }
  }

  /**
   * Runs a sequence on all threads: `kernel` is the parallel kernel (`lstmSequenceParallel`,
   * `gruSequenceParallel`), `params` the one-thread kernel's parameter block (written with
   * WasmMemory.paramBlock), `team` a TEAM_BYTES scratch block of the caller.
   */
  split(kernel: (typeof KERNELS)[number], params: number, team: number): void {
    const v = new Int32Array(this.memory.buffer, team, TEAM_BYTES / 4);
    v.fill(0);
    v[T_THREADS] = this.info.threads;
    v[T_SPIN] = BARRIER_SPIN;
    // Every thread may sleep at the barrier except a browser page's own thread.
    v[T_MAY_WAIT] = this.node ? -1 : -2;
    this.run(KERNELS.indexOf(kernel), params, team, (this.kernels as unknown as Record<string, ParallelKernel>)[kernel]);
  }

  private run(kernel: number, params: number, team: number, own: ParallelKernel): void {
    const c = this.control;
    const n = this.info.threads - 1;
    this.splitCalls++;
    Atomics.store(c, C_DONE, 0);
    Atomics.store(c, C_KERNEL, kernel);
    Atomics.store(c, C_PARAMS, params);
    Atomics.store(c, C_TEAM, team);
    Atomics.add(c, C_JOB, 1);
    Atomics.notify(c, C_JOB);
    own(params, team, 0);
    for (let d = Atomics.load(c, C_DONE), i = 0; d < n; d = Atomics.load(c, C_DONE), i++) {
      if (this.node && i > WORKER_SPIN) Atomics.wait(c, C_DONE, d, 100);
    }
    if (Atomics.load(c, C_FAILED)) this.broken = true;
  }

  /** Stops the workers (the model was disposed or got a new instance). */
  dispose(): void {
    if (!this.workers) return;
    Atomics.store(this.control, C_QUIT, 1);
    Atomics.add(this.control, C_JOB, 1);
    Atomics.notify(this.control, C_JOB);
    for (const w of this.workers) void w.terminate();
    this.workers = null;
    this.broken = true;
  }
}
