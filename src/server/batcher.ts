/**
 * Dynamic batching: requests to one model that queue up together run as the rows of one call and
 * are split back. A batch goes out only when a worker is free, and then at once when it holds
 * `maxBatchSize` rows or its oldest request has waited `delayMs`. With the default delay 0
 * nothing is held back: requests that arrived while the workers were busy merge into the next
 * call, so batches grow with the load by themselves. (A fixed delay measured slower on a closed
 * loop of clients: the worker idles while the batch waits.)
 * @packageDocumentation
 */
import type { TensorData } from '../index.js';
import { ProtocolError } from './protocol-error.js';
import { JobFailure, type WorkerPool } from './worker-pool.js';

/** Typed library errors that mean the request's input was at fault (400, not 500). */
const CLIENT_ERRORS = new Set(['InputError', 'ResourceLimitError', 'UnsupportedKerasConfigurationError']);

/** One request's share of a call. */
export interface WorkItem {
  model: string;
  kind: 'predict' | 'stream';
  /** In the model's input order; every tensor has `rows` as its first dimension. */
  inputs: { data: Float32Array | string[]; shape: number[] }[];
  /** Stream items: the sequence's carry-over (null = starts from zeros). */
  rowState?: Float32Array | null;
  /** When the request arrived (ms, performance.now()), and when it stops waiting. */
  arrived: number;
  deadline: number;
}

/** What a request gets back: its rows of every output, and its sequence's new carry-over. */
export interface WorkResult {
  outputs: TensorData[];
  rowState?: Float32Array;
}

interface Queued extends WorkItem {
  rows: number;
  /** Items that may share a call: same kind and the same dimensions after the batch. */
  key: string;
  /** After a shared call failed on bad input, each item runs alone to find whose it was. */
  solo: boolean;
  resolve: (r: WorkResult) => void;
  reject: (e: Error) => void;
}

/** Options of {@link Batcher}. */
export interface BatcherOptions {
  /** Most rows in one call (1 = no batching). */
  maxBatchSize: number;
  /** Longest a request waits for others to join it, in ms. */
  delayMs: number;
}

/** What the batcher reports for metrics. */
export interface BatcherEvents {
  onBatch?: (model: string, kind: string, rows: number) => void;
  onQueueTime?: (model: string, seconds: number) => void;
}

/** Per-model queues of requests, merged into calls as workers come free. */
export class Batcher {
  private readonly queues = new Map<string, Queued[]>();
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private draining = false;

  constructor(
    private readonly pool: WorkerPool,
    private readonly options: BatcherOptions,
    private readonly events: BatcherEvents = {},
  ) {}

  /** Queues an item; resolves with its rows of the call's outputs. */
  submit(item: WorkItem): Promise<WorkResult> {
    return new Promise((resolve, reject) => {
      const rows = item.inputs[0].shape[0];
      const key = `${item.kind}|${item.inputs.map((t) => t.shape.slice(1).join('x')).join(',')}`;
      const q = this.queues.get(item.model) ?? [];
      this.queues.set(item.model, q);
      q.push({ ...item, rows, key, solo: false, resolve, reject });
      this.pump();
    });
  }

  /** Requests waiting for a worker. */
  get queued(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  /** From now on batches go out without waiting for more requests (shutting down). */
  drain(): void {
    this.draining = true;
    this.pump();
  }

  /** Sends out every batch that is due, while workers are free. */
  pump(): void {
    const now = performance.now();
    let wakeAt = Infinity;
    for (const [model, q] of this.queues) {
      this.expire(q, now);
      while (q.length > 0 && this.pool.idleCount > 0) {
        const head = q[0];
        const group = this.collect(q);
        const rows = group.reduce((n, g) => n + g.rows, 0);
        const dueAt = head.arrived + this.options.delayMs;
        if (rows < this.options.maxBatchSize && !head.solo && !this.draining && now < dueAt) {
          wakeAt = Math.min(wakeAt, dueAt);
          break;
        }
        for (const g of group) q.splice(q.indexOf(g), 1);
        this.dispatch(model, group, rows, now);
      }
      if (q.length === 0) this.queues.delete(model);
    }
    this.schedule(wakeAt, now);
  }

  private collect(q: Queued[]): Queued[] {
    const head = q[0];
    if (head.solo) return [head];
    const group = [head];
    let rows = head.rows;
    for (let i = 1; i < q.length && rows < this.options.maxBatchSize; i++) {
      const it = q[i];
      if (it.solo || it.key !== head.key || rows + it.rows > this.options.maxBatchSize) continue;
      group.push(it);
      rows += it.rows;
    }
    return group;
  }

  private expire(q: Queued[], now: number): void {
    for (let i = q.length - 1; i >= 0; i--) {
      const it = q[i];
      if (now > it.deadline) {
        q.splice(i, 1);
        it.reject(new ProtocolError(503, `the request waited ${Math.round(now - it.arrived)} ms for a worker, more than the server's request timeout; the server is overloaded, retry later`));
      }
    }
  }

  private schedule(at: number, now: number): void {
    if (at === Infinity || at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.pump();
    }, Math.max(0, at - now));
  }

  private dispatch(model: string, group: Queued[], rows: number, now: number): void {
    const kind = group[0].kind;
    // Always a fresh array: it is transferred to the worker, and an item may have to run again.
    const inputs = group[0].inputs.map((t, i) => {
      if (!(t.data instanceof Float32Array)) return { data: group.flatMap((g) => g.inputs[i].data as string[]), shape: [rows, ...t.shape.slice(1)] };
      const data = new Float32Array(rows * (t.data.length / group[0].rows));
      let at = 0;
      for (const g of group) {
        data.set(g.inputs[i].data as Float32Array, at);
        at += g.inputs[i].data.length;
      }
      return { data, shape: [rows, ...t.shape.slice(1)] };
    });
    for (const g of group) this.events.onQueueTime?.(model, (now - g.arrived) / 1000);
    this.events.onBatch?.(model, kind, rows);
    const running = this.pool.tryRun({ model, kind, inputs, rowStates: kind === 'stream' ? group.map((g) => g.rowState ?? null) : undefined });
    if (!running) throw new Error('internal: dispatch without an idle worker');
    running.then(
      (result) => {
        let row = 0;
        group.forEach((g, gi) => {
          const outputs = result.outputs.map((o) => {
            const per = o.data.length / o.shape[0];
            return { data: o.data.slice(row * per, (row + g.rows) * per), shape: [g.rows, ...o.shape.slice(1)] };
          });
          row += g.rows;
          g.resolve({ outputs, rowState: result.rowStates?.[gi] });
        });
      },
      (err: unknown) => {
        const e = err instanceof JobFailure ? err : new JobFailure({ name: 'Error', message: String(err) }, true);
        if (!e.crashed && group.length > 1 && CLIENT_ERRORS.has(e.error.name)) {
          // One request's input broke the shared call: rerun each alone so only that one fails.
          const q = this.queues.get(model) ?? [];
          this.queues.set(model, q);
          q.unshift(...group.map((g) => ({ ...g, solo: true })));
          this.pump();
          return;
        }
        const status = !e.crashed && CLIENT_ERRORS.has(e.error.name) ? 400 : 500;
        for (const g of group) g.reject(new ProtocolError(status, e.message));
      },
    );
  }
}
