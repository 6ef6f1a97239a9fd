// PReLU's backward pass (training): the input gradient and the alpha gradient in one sweep.

/**
 * For PReLU over data seen as [B][T][F] with alpha[t * tStride + f * fStride] (a shared axis has
 * stride 0), as the forward `prelu` of activation-layers.ts: dx = dy where x >= 0, alpha * dy
 * elsewhere; dAlpha[t * tStride + f * fStride] += dy * x where x < 0 (the caller zeroes dAlpha).
 */
export function preluBackward(src: usize, dy: usize, dx: usize, B: i32, T: i32, F: i32, alpha: usize, tStride: i32, fStride: i32, dAlpha: usize): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const row = ((<usize>b * <usize>T + <usize>t) * <usize>F) << 2;
      for (let f = 0; f < F; f++) {
        const off = row + (<usize>f << 2);
        const x = load<f32>(src + off);
        const g = load<f32>(dy + off);
        if (x >= 0) {
          store<f32>(dx + off, g);
        } else {
          const a = (<usize>(t * tStride + f * fStride)) << 2;
          store<f32>(dx + off, g * load<f32>(alpha + a));
          store<f32>(dAlpha + a, load<f32>(dAlpha + a) + g * x);
        }
      }
    }
  }
}
