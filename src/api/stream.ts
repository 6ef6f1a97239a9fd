import { InputError, InternalError } from '../errors.js';
import { refKey, type ModelGraph } from '../graph/build-graph.js';
import type { WasmMemory } from '../wasm/memory.js';
import { runPlan, type PlanStep } from '../engine/run-plan.js';
import { KEPT_ROWS } from '../layers/recurrent.js';
import type { LayerState, StateLayout } from '../layers/types.js';
import type { TensorData, TensorInput } from '../types/tensor.js';
import { checkBatchSteps, DEFAULT_LIMITS, type ResolvedLimits } from './limits.js';
import { checkNumericData } from './validate-input.js';
import { checkStreamable } from './streamable.js';

/** A recurrent layer's kept state, as `getState` returns it: one (batch, units) tensor per state. */
export type StreamState = Record<string, TensorData>;

/**
 * Everything one batch row carries from one step to the next (every recurrent layer's states and
 * its masking history), as `getRowStates` returns it. Opaque: only for `setRowStates` of a stream
 * over the same model. Lets a server step many independent sequences as the rows of one call.
 */
export type StreamRowState = Float32Array;

/**
 * Runs a model over a sequence that arrives in pieces. Every recurrent layer's state carries over
 * from one `step` to the next, so feeding a sequence in chunks gives the same outputs as one
 * `predict` over the whole sequence. Independent of the layers' `stateful` flag.
 */
export class Stream {
  private batch = 0;
  private readonly states = new Map<string, LayerState>();
  private readonly recurrent: { name: string; layout: StateLayout }[];

  /** @internal */
  constructor(
    private readonly graph: ModelGraph,
    private readonly steps: PlanStep[],
    private readonly memory: WasmMemory,
    private readonly fileName: string,
    private readonly limits: ResolvedLimits = DEFAULT_LIMITS,
    /** True once the model was disposed: its streams refuse to run too. */
    private readonly closed: () => boolean = () => false,
  ) {
    checkStreamable(graph, fileName);
    this.recurrent = steps
      .filter((s) => s.kernel.states !== undefined)
      .map((s) => ({ name: s.node.layer.spec.name, layout: s.kernel.states as StateLayout }));
  }

  private allocate(batch: number): void {
    this.release();
    for (const { name, layout } of this.recurrent) {
      const buffers = new Map<string, { ptr: number; length: number }>();
      for (const s of layout.names) {
        const length = batch * layout.paddedUnits;
        buffers.set(s, { ptr: this.memory.alloc(length * 4), length });
      }
      // One byte per row (stored as a float-sized block for the allocator's bookkeeping).
      buffers.set(KEPT_ROWS, { ptr: this.memory.alloc(batch), length: Math.ceil(batch / 4) });
      this.states.set(name, { buffers });
    }
    this.batch = batch;
  }

  private release(): void {
    for (const st of this.states.values()) {
      for (const [name, b] of st.buffers) this.memory.free(b.ptr, name === KEPT_ROWS ? this.batch : b.length * 4);
    }
    this.states.clear();
    this.batch = 0;
  }

  /**
   * Feeds one or more time steps, `{ data, shape: [batch, steps, features] }`, and returns the
   * model's outputs for them. The batch size is fixed by the first step until `reset()`.
   */
  step(x: TensorInput): TensorData | TensorData[] {
    if (this.closed()) throw new InputError('the model was disposed', { file: this.fileName, field: 'step' });
    const shape = x?.shape;
    const expected = this.graph.shapes.get(refKey(this.graph.spec.inputs[0])) as (number | null)[];
    if (!Array.isArray(shape) || shape.length !== expected.length || shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new InputError(`a stream step takes a rank-${expected.length} input ${JSON.stringify(expected)} with at least one step`, {
        file: this.fileName,
        field: 'step',
        value: shape,
      });
    }
    for (let i = 2; i < expected.length; i++) {
      if (expected[i] !== null && shape[i] !== expected[i]) {
        throw new InputError(`dimension ${i} must be ${expected[i]}`, { file: this.fileName, field: 'step', value: shape });
      }
    }
    const n = shape.reduce((a, b) => a * b, 1);
    if (!x.data || x.data.length !== n) throw new InputError(`data has ${x.data?.length} values, shape needs ${n}`, { file: this.fileName, field: 'step', value: x.data?.length });
    checkNumericData(x.data, { file: this.fileName, field: 'step' });
    checkBatchSteps(shape[0], shape.length >= 2 ? shape[1] : 1, this.limits.maxBatchSteps, { file: this.fileName, field: 'step' });
    if (this.batch === 0) this.allocate(shape[0]);
    else if (shape[0] !== this.batch) {
      throw new InputError(`this stream runs batch ${this.batch}; call reset() to change it`, { file: this.fileName, field: 'step', value: shape[0] });
    }
    const memory = this.memory;
    // A step that fails half-way (e.g. wasm memory exhausted in a later layer) must not leave
    // earlier layers' states advanced: keep a copy and put it back on error.
    const saved = [...this.states.values()].flatMap((st) => [...st.buffers.values()].map((b) => ({ b, copy: memory.f32(b.ptr, b.length).slice() })));
    memory.beginScratch();
    try {
      const ptr = memory.scratch(n * 4);
      memory.f32(ptr, n).set(x.data);
      const feeds = new Map([[refKey(this.graph.spec.inputs[0]), { ptr, shape: shape.slice() }]]);
      const wanted = this.graph.spec.outputs;
      const results = runPlan(this.steps, memory, this.graph.spec.generation, feeds, wanted, this.states);
      const outs = wanted.map((ref) => {
        const t = results.get(refKey(ref));
        if (!t) throw new InternalError(`output ${refKey(ref)} was not computed`, { file: this.fileName });
        const size = t.shape.reduce((a, b) => a * b, 1);
        return { data: memory.f32(t.ptr, size).slice(), shape: t.shape.slice() };
      });
      return outs.length === 1 ? outs[0] : outs;
    } catch (e) {
      for (const { b, copy } of saved) memory.f32(b.ptr, b.length).set(copy);
      throw e;
    } finally {
      memory.endScratch();
    }
  }

  /** Forgets all state; the next step starts from zeros and may use another batch size. */
  reset(): void {
    this.release();
  }

  /** Each recurrent layer's states as (batch, units) tensors, keyed `"<layer>/<h|c>"`. */
  getState(): StreamState {
    const out: StreamState = {};
    for (const { name, layout } of this.recurrent) {
      const st = this.states.get(name);
      for (const s of layout.names) {
        const data = new Float32Array(this.batch * layout.units);
        const buf = st?.buffers.get(s);
        if (buf) {
          const src = this.memory.f32(buf.ptr, buf.length);
          for (let b = 0; b < this.batch; b++) data.set(src.subarray(b * layout.paddedUnits, b * layout.paddedUnits + layout.units), b * layout.units);
        }
        out[`${name}/${s}`] = { data, shape: [this.batch, layout.units] };
      }
    }
    return out;
  }

  /** Floats one row takes in a {@link StreamRowState}: padded states, then one kept-step flag, per layer. */
  private rowStateLength(): number {
    return this.recurrent.reduce((n, { layout }) => n + layout.names.length * layout.paddedUnits + 1, 0);
  }

  /**
   * One {@link StreamRowState} per row of the current batch (none before the first step). Unlike
   * `getState` it also holds the masking history, so `setRowStates` restores a row exactly.
   */
  getRowStates(): StreamRowState[] {
    const width = this.rowStateLength();
    const rows = Array.from({ length: this.batch }, () => new Float32Array(width));
    let at = 0;
    for (const { name, layout } of this.recurrent) {
      const st = this.states.get(name);
      const Up = layout.paddedUnits;
      for (const s of layout.names) {
        const buf = st?.buffers.get(s);
        if (buf) {
          const src = this.memory.f32(buf.ptr, buf.length);
          rows.forEach((row, b) => row.set(src.subarray(b * Up, (b + 1) * Up), at));
        }
        at += Up;
      }
      const kept = st?.buffers.get(KEPT_ROWS);
      if (kept) {
        const flags = this.memory.u8(kept.ptr, this.batch);
        rows.forEach((row, b) => (row[at] = flags[b]));
      }
      at += 1;
    }
    return rows;
  }

  /**
   * Makes the batch `rows.length` rows, row i continuing from `rows[i]` (from `getRowStates` of a
   * stream over the same model) or, for `null`, starting fresh from zeros like a new stream.
   */
  setRowStates(rows: (StreamRowState | null)[]): void {
    if (this.closed()) throw new InputError('the model was disposed', { file: this.fileName, field: 'state' });
    if (!Array.isArray(rows) || rows.length < 1) throw new InputError('setRowStates needs at least one row', { file: this.fileName, field: 'state', value: Array.isArray(rows) ? 0 : typeof rows });
    const width = this.rowStateLength();
    rows.forEach((row, i) => {
      if (row !== null && !(row instanceof Float32Array && row.length === width)) {
        throw new InputError(`row state ${i} is not a row state of this model (expected ${width} floats from getRowStates)`, { file: this.fileName, field: 'state', value: (row as { length?: unknown })?.length });
      }
    });
    if (this.batch !== rows.length) this.allocate(rows.length);
    let at = 0;
    for (const { name, layout } of this.recurrent) {
      const st = this.states.get(name) as LayerState;
      const Up = layout.paddedUnits;
      for (const s of layout.names) {
        const buf = st.buffers.get(s) as { ptr: number; length: number };
        const dst = this.memory.f32(buf.ptr, buf.length);
        rows.forEach((row, b) => (row ? dst.set(row.subarray(at, at + Up), b * Up) : dst.fill(0, b * Up, (b + 1) * Up)));
        at += Up;
      }
      const kept = st.buffers.get(KEPT_ROWS) as { ptr: number };
      const flags = this.memory.u8(kept.ptr, rows.length);
      rows.forEach((row, b) => (flags[b] = row ? row[at] : 0));
      at += 1;
    }
  }

  /** Sets states (all or some) from `getState()`-shaped tensors; sets the batch size if none yet. */
  setState(state: StreamState): void {
    const entries = Object.entries(state);
    if (entries.length === 0) return;
    const batch = entries[0][1]?.shape?.[0];
    if (!Number.isInteger(batch) || batch < 1) throw new InputError('state tensors need shape [batch, units]', { file: this.fileName, field: 'state' });
    if (this.batch === 0) this.allocate(batch);
    for (const [key, t] of entries) {
      const slash = key.lastIndexOf('/');
      const layer = key.slice(0, slash);
      const s = key.slice(slash + 1);
      const rec = this.recurrent.find((r) => r.name === layer);
      const buf = this.states.get(layer)?.buffers.get(s);
      if (!rec || !buf) throw new InputError('no such recurrent state', { file: this.fileName, field: 'state', value: key });
      const { units, paddedUnits } = rec.layout;
      if (!t || t.shape?.[0] !== this.batch || t.shape?.[1] !== units || t.data?.length !== this.batch * units) {
        throw new InputError(`state must have shape [${this.batch}, ${units}]`, { file: this.fileName, layer, field: key, value: t?.shape });
      }
      const dst = this.memory.f32(buf.ptr, buf.length);
      for (let b = 0; b < this.batch; b++) dst.set(t.data.subarray(b * units, (b + 1) * units), b * paddedUnits);
    }
  }
}
