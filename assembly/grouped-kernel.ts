// Convolution kernels of other layouts as the [k][C][F] kernel conv1dForwardTrain / conv1dBackward
// (backward-layers.ts) take, and their gradients back: grouped Conv1D ([k][C / groups][F], filter
// f reading the channels of group f / (F / groups)), DepthwiseConv1D / SeparableConv1D's
// depthwise half ([k][C][dm]: the same memory as groups = C with dm filters each), Theano's
// flipped taps. The full kernel is block-diagonal (zeros outside the groups): training runs
// `groups` times the flops of a grouped kernel, for one set of convolution kernels.

/** dst [k][C][F] = the grouped kernel src [k][C / groups][F] on its diagonal blocks, zeros elsewhere; taps reversed if `flip`. */
export function expandGroupedKernel(src: usize, k: i32, C: i32, F: i32, groups: i32, flip: bool, dst: usize): void {
  const cg = C / groups;
  const fg = F / groups;
  memory.fill(dst, 0, <usize>(k * C * F) << 2);
  for (let j = 0; j < k; j++) {
    const js = flip ? k - 1 - j : j;
    for (let g = 0; g < groups; g++) {
      for (let ci = 0; ci < cg; ci++) {
        const from = src + (<usize>((js * cg + ci) * F + g * fg) << 2);
        const to = dst + (<usize>((j * C + g * cg + ci) * F + g * fg) << 2);
        memory.copy(to, from, <usize>fg << 2);
      }
    }
  }
}

/** The gradient of a grouped kernel from that of its full form (the diagonal blocks of full [k][C][F]); taps reversed if `flip`. */
export function gatherGroupedKernel(full: usize, k: i32, C: i32, F: i32, groups: i32, flip: bool, dst: usize): void {
  const cg = C / groups;
  const fg = F / groups;
  for (let j = 0; j < k; j++) {
    const js = flip ? k - 1 - j : j;
    for (let g = 0; g < groups; g++) {
      for (let ci = 0; ci < cg; ci++) {
        const from = full + (<usize>((j * C + g * cg + ci) * F + g * fg) << 2);
        const to = dst + (<usize>((js * cg + ci) * F + g * fg) << 2);
        memory.copy(to, from, <usize>fg << 2);
      }
    }
  }
}
