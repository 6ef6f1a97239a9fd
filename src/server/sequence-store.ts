/**
 * Live sequences (Triton's sequence extension): each keeps its model stream's carry-over between
 * requests. Steps of one sequence run one after another in arrival order; steps of different
 * sequences run as rows of shared calls. Idle sequences are dropped after `idleMs`, and at most
 * `maxLive` sequences live at once.
 * @packageDocumentation
 */
import { ProtocolError, badRequest } from './protocol-error.js';
import type { SequenceFlags } from './infer-request.js';

interface Entry {
  model: string;
  /** Carry-over after the last finished step (null: nothing run yet). */
  state: Float32Array | null;
  lastUsed: number;
  busy: boolean;
  waiting: (() => void)[];
}

/** Options of {@link SequenceStore}. */
export interface SequenceStoreOptions {
  maxLive: number;
  idleMs: number;
}

/** Live sequences and their carry-over, keyed by model and sequence id. */
export class SequenceStore {
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: SequenceStoreOptions) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(1000, Math.max(10, options.idleMs / 4)));
    this.sweeper.unref();
  }

  /** Live sequences of each model. */
  liveCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const e of this.entries.values()) counts.set(e.model, (counts.get(e.model) ?? 0) + 1);
    return counts;
  }

  /** Live sequences in all. */
  get size(): number {
    return this.entries.size;
  }

  private keyOf(model: string, id: number | string): string {
    // 7 and "7" are different sequences, as in Triton.
    return `${model}\0${typeof id}\0${id}`;
  }

  private describe(id: number | string): string {
    return typeof id === 'string' ? JSON.stringify(id) : String(id);
  }

  /**
   * Runs one step of a sequence: waits for the sequence's previous step, calls `step` with the
   * carry-over to continue from, keeps the new one. A failed step leaves the sequence as it was.
   */
  async run<T extends { rowState?: Float32Array }>(model: string, flags: SequenceFlags, step: (state: Float32Array | null) => Promise<T>): Promise<T> {
    const key = this.keyOf(model, flags.id);
    let entry = this.entries.get(key);
    if (!entry) {
      if (!flags.start) {
        throw badRequest(
          `sequence ${this.describe(flags.id)} of model "${model}" is not live: start it with parameters.sequence_start = true (it may have ended, or expired after ${this.options.idleMs} ms idle)`,
        );
      }
      if (this.entries.size >= this.options.maxLive) {
        throw new ProtocolError(503, `all ${this.options.maxLive} sequence slots are in use: end sequences with sequence_end, wait for idle ones to expire (${this.options.idleMs} ms), or start the server with a larger --max-sequences`);
      }
      entry = { model, state: null, lastUsed: performance.now(), busy: false, waiting: [] };
      this.entries.set(key, entry);
    }
    const e = entry;
    if (e.busy) await new Promise<void>((resolve) => e.waiting.push(resolve));
    e.busy = true;
    try {
      if (this.entries.get(key) !== e) {
        // The sequence ended or expired while this step waited for the one before it.
        throw badRequest(`sequence ${this.describe(flags.id)} of model "${model}" ended before this request's turn`);
      }
      const result = await step(flags.start ? null : e.state);
      e.state = result.rowState ?? null;
      if (flags.end) this.entries.delete(key);
      return result;
    } catch (err) {
      if (flags.start && e.state === null && e.waiting.length === 0 && this.entries.get(key) === e) this.entries.delete(key);
      throw err;
    } finally {
      e.busy = false;
      e.lastUsed = performance.now();
      e.waiting.shift()?.();
    }
  }

  private sweep(): void {
    const now = performance.now();
    for (const [key, e] of this.entries) {
      if (!e.busy && e.waiting.length === 0 && now - e.lastUsed > this.options.idleMs) this.entries.delete(key);
    }
  }

  /** Stops the idle sweep. */
  close(): void {
    clearInterval(this.sweeper);
  }
}
