// Backward kernels of the weightless-or-lookup layers training supports besides Dense and the
// recurrent ones (see backward.ts, backward-rnn.ts).

/**
 * Embedding: dTable[ids[i]][:] += dOut[i][:] for every id (ids already validated by gatherRows
 * in the forward pass). Only the rows of ids present are touched; dTable must be zeroed.
 */
export function embeddingBackward(ids: usize, count: i32, dOut: usize, dim: i32, dTable: usize): void {
  const rowBytes = <usize>dim << 2;
  const d4 = dim & ~3;
  for (let i = 0; i < count; i++) {
    const row = <i32>load<f32>(ids + (<usize>i << 2));
    const dst = dTable + <usize>row * rowBytes;
    const src = dOut + <usize>i * rowBytes;
    let j = 0;
    for (; j < d4; j += 4) {
      const o = <usize>j << 2;
      v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
    }
    for (; j < dim; j++) {
      const o = <usize>j << 2;
      store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
    }
  }
}
