import { InternalError, ResourceLimitError } from '../errors.js';
import type { KernelExports, ParamBlock } from './kernel-exports.js';
import type { SequenceThreads } from './sequence-threads.js';

const PAGE = 65536;
const ALIGN = 16;
/** wasm32 memory cannot exceed 4 GiB; we stop a little below so the error is ours. */
const MAX_BYTES = 4 * 1024 * 1024 * 1024 - PAGE;

function alignUp(n: number): number {
  // not `& ~15`: bitwise operators wrap at 2^31 and a huge request would come back negative
  return Math.ceil(n / ALIGN) * ALIGN;
}

/**
 * How a model stores the matrices its recurrent kernels stream every step (loadModel's `weights`):
 * `float32`, `bf16` (the upper half of each float32, rounded to nearest even) or `int8` (signed
 * bytes with one float32 scale per column) for the recurrent kernels of LSTM, GRU and SimpleRNN
 * cells. Activations and accumulation stay float32 either way.
 */
export type WeightPrecision = 'float32' | 'bf16' | 'int8';

/**
 * Owns one kernel instance's linear memory. Weights live in a persistent region allocated at load;
 * predict-time buffers come from a scratch region above it that is reset after every call, so a
 * predict allocates nothing new once memory has grown to the size it needs.
 */
export class WasmMemory {
  private top: number;
  private scratchTop = 0;
  private scratchBase = 0;
  private inScratch = false;
  /** Freed persistent blocks by size, reused first (stream states come and go). */
  private readonly freeBlocks = new Map<number, number[]>();

  /**
   * @param maxBytes Cap on the instance's memory (loadModel's `limits.maxWasmBytes`); at most,
   *   and by default, a little under the 4 GiB a wasm32 instance can address.
   * @param weights The precision packers store recurrent matrices in (see {@link WeightPrecision}).
   * @param threads The workers sharing this memory (threads build), or null: sequence kernels
   *   split a call over them when it is worth it.
   */
  constructor(
    readonly kernels: KernelExports,
    private readonly maxBytes = MAX_BYTES,
    readonly weights: WeightPrecision = 'float32',
    readonly threads: SequenceThreads | null = null,
  ) {
    this.top = alignUp(kernels.heapBase());
    if (this.byteLength > maxBytes) {
      throw new ResourceLimitError(
        `a model's wasm instance starts with ${this.byteLength} bytes of memory, more than the cap limits.maxWasmBytes = ${maxBytes} (raise it with loadModel(source, { limits: { maxWasmBytes: ... } }))`,
        { field: 'memory', value: this.byteLength },
      );
    }
  }

  /** Bytes of linear memory currently reserved by the instance. */
  get byteLength(): number {
    return this.kernels.memory.buffer.byteLength;
  }

  private ensure(end: number): void {
    const mem = this.kernels.memory;
    if (end <= mem.buffer.byteLength) return;
    if (!Number.isFinite(end) || end > MAX_BYTES) {
      throw new ResourceLimitError(`model needs ${end} bytes of wasm memory, more than the 4 GiB a wasm32 instance can address`, {
        field: 'memory',
        value: end,
      });
    }
    if (end > this.maxBytes) {
      throw new ResourceLimitError(
        `model needs ${end} bytes of wasm memory, more than the cap limits.maxWasmBytes = ${this.maxBytes} (raise it with loadModel(source, { limits: { maxWasmBytes: ... } }))`,
        { field: 'memory', value: end },
      );
    }
    const pages = Math.ceil((end - mem.buffer.byteLength) / PAGE);
    try {
      mem.grow(pages);
    } catch (cause) {
      throw new ResourceLimitError(`could not grow wasm memory to ${end} bytes (the host refused)`, { field: 'memory', value: end }, { cause });
    }
  }

  /** Allocates persistent memory (weights, stream states), zero-filled. */
  alloc(bytes: number): number {
    if (this.inScratch) throw new InternalError('persistent allocation during a predict');
    const size = alignUp(Math.max(bytes, ALIGN));
    const reused = this.freeBlocks.get(size)?.pop();
    if (reused !== undefined) {
      new Uint8Array(this.kernels.memory.buffer, reused, size).fill(0);
      return reused;
    }
    const ptr = this.top;
    const end = ptr + size;
    this.ensure(end);
    new Uint8Array(this.kernels.memory.buffer, ptr, end - ptr).fill(0);
    this.top = end;
    return ptr;
  }

  /** Returns a persistent block (from `alloc` with the same byte count) for reuse. */
  free(ptr: number, bytes: number): void {
    const size = alignUp(Math.max(bytes, ALIGN));
    const list = this.freeBlocks.get(size);
    if (list) list.push(ptr);
    else this.freeBlocks.set(size, [ptr]);
  }

  /** Allocates and fills persistent memory with `data`. */
  allocF32(data: Float32Array): number {
    const ptr = this.alloc(data.length * 4);
    this.f32(ptr, data.length).set(data);
    return ptr;
  }

  /** Starts a predict: scratch allocations until `endScratch` come from above the persistent region. */
  beginScratch(): void {
    this.inScratch = true;
    this.scratchBase = this.top;
    this.scratchTop = this.top;
  }

  /** Scratch allocation (not zeroed unless `zero`). */
  scratch(bytes: number, zero = false): number {
    const ptr = this.scratchTop;
    const end = alignUp(ptr + Math.max(bytes, ALIGN));
    this.ensure(end);
    if (zero) new Uint8Array(this.kernels.memory.buffer, ptr, end - ptr).fill(0);
    this.scratchTop = end;
    return ptr;
  }

  /**
   * Writes a kernel's parameter block (see `ParamBlock`) into scratch memory and returns the
   * pointer to pass to the kernel; valid until `endScratch`, like every scratch pointer.
   */
  paramBlock<P>(block: ParamBlock<P>, params: P): number {
    const ptr = this.scratch(block.bytes);
    block.write(this.kernels.memory.buffer, ptr, params);
    return ptr;
  }

  /** Ends a predict; every scratch pointer becomes invalid. */
  endScratch(): void {
    this.inScratch = false;
    this.scratchTop = this.scratchBase;
  }

  /** A fresh view (views detach whenever memory grows). */
  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.kernels.memory.buffer, ptr, length);
  }

  /** A fresh byte view. */
  u8(ptr: number, length: number): Uint8Array {
    return new Uint8Array(this.kernels.memory.buffer, ptr, length);
  }
}
