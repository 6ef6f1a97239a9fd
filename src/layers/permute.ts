import { InvalidKerasConfigurationError, UnsupportedKerasConfigurationError } from '../errors.js';
import type { WasmMemory } from '../wasm/memory.js';
import type { LayerImporter, Shape } from './types.js';
import { weightlessLayer } from './weightless.js';

/** Most axes (batch included) the permute kernel handles. */
const MAX_RANK = 5;

/**
 * `Permute(dims)`: reorders the non-batch axes; `dims` is 1-based (`(2, 1)` swaps steps and
 * features). Runs as one strided copy in wasm. The mask is dropped: Keras' Permute does not
 * support masking.
 */
export const PermuteImporter: LayerImporter = {
  classNames: ['Permute'],
  import(req) {
    const input = req.inputShapes[0];
    const raw = req.config.get('dims');
    const r = input.length - 1;
    const ok =
      Array.isArray(raw) &&
      raw.length === r &&
      raw.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 1 && d <= r) &&
      new Set(raw).size === r;
    if (!ok) {
      throw new InvalidKerasConfigurationError(`dims must be a permutation of 1..${r}`, { ...req.context, field: 'dims', value: raw });
    }
    if (input.length > MAX_RANK) {
      throw new UnsupportedKerasConfigurationError(`Permute supports inputs of up to ${MAX_RANK} axes`, { ...req.context, field: 'input_shape', value: input });
    }
    const dims = raw as number[];
    const out: Shape = [input[0], ...dims.map((d) => input[d])];
    return weightlessLayer(
      req,
      [out],
      {
        run(inputs, _masks, ctx) {
          const x = inputs[0];
          const { ptr, shape } = permuteAxes(ctx.memory, x.ptr, x.shape, [0, ...dims]);
          return { outputs: [{ ptr, shape }], masks: [null] };
        },
      },
      { details: { dims } },
    );
  },
};

/**
 * A row-major tensor at `ptr` with its axes reordered (`axes[i]` is the input axis that becomes
 * output axis i, batch included; at most five axes), as one strided copy into scratch memory.
 */
export function permuteAxes(memory: WasmMemory, src: number, shape: readonly number[], axes: readonly number[]): { ptr: number; shape: number[] } {
  const strides = shape.map((_, a) => shape.slice(a + 1).reduce((p, q) => p * q, 1));
  const n = axes.map((a) => shape[a]);
  const s = axes.map((a) => strides[a]);
  while (n.length < MAX_RANK) {
    n.unshift(1);
    s.unshift(0);
  }
  const total = shape.reduce((p, q) => p * q, 1);
  const ptr = memory.scratch(total * 4);
  memory.kernels.permuteCopy(src, ptr, n[0], n[1], n[2], n[3], n[4], s[0], s[1], s[2], s[3], s[4]);
  return { ptr, shape: axes.map((a) => shape[a]) };
}
