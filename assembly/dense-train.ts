// Dense for training on the gemm kernel (gemm-f32-2x16.ts): z = x W + b forward; dW = x^T dz,
// dx = dz W^T and db = column sums of dz backward. Each gemm needs its right-hand matrix packed
// in 16-column panels and its left one row-major, so W, x and dz are transposed / packed into
// the caller's work buffer (denseTrainWorkFloats) first.
import { gemm } from './gemm-f32-2x16';
import { packPanels16, pad16, transposeF32 } from './pack-gates';
import { axpy } from './train-common';

/** Floats of the work buffer denseForwardTrain / denseBackward need for x [M][K], W [K][N]. */
export function denseTrainWorkFloats(M: i32, K: i32, N: i32): i32 {
  const forward = pad16(N) * K + pad16(N);
  const weights = pad16(N) * M + K * M;
  const inputs = N * K + pad16(K) * N;
  return max(forward, max(weights, inputs)) + 16;
}

/** z = x W + b for x [M][K], W [K][N], b [N] or 0. */
export function denseForwardTrain(x: usize, M: i32, K: i32, N: i32, W: usize, b: usize, z: usize, work: usize): void {
  const Wp = work;
  const bp = Wp + (<usize>(pad16(N) * K) << 2);
  packPanels16(W, K, N, Wp);
  if (b) {
    memory.fill(bp, 0, <usize>pad16(N) << 2);
    memory.copy(bp, b, <usize>N << 2);
  }
  gemm(x, K, M, K, Wp, N, z, N, b ? bp : 0);
}

/** Dense backward from dz ([M][N], the gradient before the activation): dW = x^T dz, db = sum dz (if db), dx = dz W^T. */
export function denseBackward(x: usize, dz: usize, M: i32, K: i32, N: i32, W: usize, dx: usize, dW: usize, db: usize, work: usize): void {
  // dW [K][N] = x^T [K][M] x dz [M][N]
  const dzp = work;
  const xT = dzp + (<usize>(pad16(N) * M) << 2);
  packPanels16(dz, M, N, dzp);
  transposeF32(x, M, K, xT);
  gemm(xT, M, K, M, dzp, N, dW, N, 0);
  if (db) {
    memory.fill(db, 0, <usize>N << 2);
    for (let m = 0; m < M; m++) axpy(db, 1, dz + (<usize>(m * N) << 2), N);
  }
  // dx [M][K] = dz [M][N] x W^T [N][K]
  const wT = work;
  const wTp = wT + (<usize>(N * K) << 2);
  transposeF32(W, K, N, wT);
  packPanels16(wT, N, K, wTp);
  gemm(dz, N, M, N, wTp, K, dx, K, 0);
}
