/**
 * Model worker threads: each holds its own instance of every served model and runs one call at a
 * time. A worker that dies (a crash, running out of memory) fails only the call it was running
 * and is replaced by a fresh one.
 * @packageDocumentation
 */
import { Worker } from 'node:worker_threads';
import type { FromWorker, Job, JobError, ModelEntry, ModelInfo } from './worker-messages.js';

/** What a finished call gives back. */
export type JobResult = Extract<FromWorker, { type: 'done' }>;

/** A call that failed: a typed library error from the model, or a worker that died. */
export class JobFailure extends Error {
  constructor(
    readonly error: JobError,
    /** True when the worker thread died running the call (not the request's fault). */
    readonly crashed: boolean,
  ) {
    super(error.message);
    this.name = 'JobFailure';
  }
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job: { job: Job; resolve: (r: JobResult) => void; reject: (e: JobFailure) => void } | null;
}

/** Options of {@link WorkerPool}. */
export interface WorkerPoolOptions {
  workers: number;
  models: ModelEntry[];
  maxBatchSteps?: number;
  /** Called whenever a worker becomes free (to dispatch queued work). */
  onIdle: () => void;
  /** Called when a dead worker is replaced. */
  onRestart?: (reason: string) => void;
}

/** The server's model worker threads; {@link WorkerPool.tryRun} hands a call to a free one. */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private closing = false;
  private nextId = 1;
  /** Model metadata from the first worker that loaded them. */
  models: ModelInfo[] | null = null;
  private readonly started: Promise<void>;
  private startedOk!: () => void;
  private startedFail!: (e: Error) => void;

  constructor(private readonly options: WorkerPoolOptions) {
    this.started = new Promise((resolve, reject) => {
      this.startedOk = resolve;
      this.startedFail = reject;
    });
    for (let i = 0; i < options.workers; i++) this.slots.push(this.spawn());
  }

  /** Resolves once every worker has loaded every model; rejects if loading failed. */
  ready(): Promise<void> {
    return this.started;
  }

  /** True when at least one worker can run calls. */
  get anyReady(): boolean {
    return this.slots.some((s) => s.ready);
  }

  /** Workers loaded and not running a call. */
  get idleCount(): number {
    return this.slots.filter((s) => s.ready && !s.job).length;
  }

  /** The worker threads (for tests that kill one). */
  get threads(): Worker[] {
    return this.slots.map((s) => s.worker);
  }

  /** The worker threads running a call right now (for tests that kill one mid-call). */
  get busyThreads(): Worker[] {
    return this.slots.filter((s) => s.job).map((s) => s.worker);
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./model-worker.js', import.meta.url));
    const slot: Slot = { worker, ready: false, job: null };
    worker.on('message', (msg: FromWorker) => this.onMessage(slot, msg));
    worker.on('error', (e) => this.onDeath(slot, `the worker thread failed: ${e.message}`));
    worker.on('exit', (code) => this.onDeath(slot, `the worker thread exited (code ${code})`));
    // Several workers already occupy the cores: each runs its sequences on its own thread.
    const sequenceThreads = this.options.workers > 1 ? 1 : undefined;
    worker.postMessage({ type: 'init', models: this.options.models, maxBatchSteps: this.options.maxBatchSteps, sequenceThreads });
    return slot;
  }

  private onMessage(slot: Slot, msg: FromWorker): void {
    if (msg.type === 'ready') {
      slot.ready = true;
      this.models ??= msg.models;
      if (this.slots.every((s) => s.ready)) this.startedOk();
      this.options.onIdle();
    } else if (msg.type === 'fatal') {
      this.startedFail(new Error(msg.error.message));
      this.closing = true;
      void slot.worker.terminate();
    } else {
      const pending = slot.job;
      slot.job = null;
      if (pending && pending.job.id === msg.id) {
        if (msg.type === 'done') pending.resolve(msg);
        else pending.reject(new JobFailure(msg.error, false));
      }
      this.options.onIdle();
    }
  }

  private onDeath(slot: Slot, reason: string): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    const pending = slot.job;
    slot.job = null;
    slot.ready = false;
    pending?.reject(new JobFailure({ name: 'WorkerCrash', message: `${reason}; the call it ran failed and the worker was replaced` }, true));
    if (this.closing) {
      this.slots.splice(i, 1);
      return;
    }
    void slot.worker.terminate();
    this.options.onRestart?.(reason);
    this.slots[i] = this.spawn();
  }

  /** Runs a call on an idle worker; returns null when none is idle. */
  tryRun(job: Omit<Job, 'id'>): Promise<JobResult> | null {
    const slot = this.slots.find((s) => s.ready && !s.job);
    if (!slot) return null;
    const full: Job = { ...job, id: this.nextId++ };
    return new Promise((resolve, reject) => {
      slot.job = { job: full, resolve, reject };
      const transfer = full.inputs.flatMap((t) => (t.data instanceof Float32Array ? [t.data.buffer as ArrayBuffer] : []));
      slot.worker.postMessage({ type: 'run', job: full }, transfer);
    });
  }

  /** Stops every worker (calls still running are failed). */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
