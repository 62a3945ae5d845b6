// Reference matrix multiply and the two small helpers every dense layer needs.
import type { Data, Epilogue } from '../backend.js';
import { reluInPlace } from './elementwise.js';

/**
 * C = op(A)·op(B) + beta·C     op(A):(M,K) op(B):(K,N) C:(M,N)
 * then the epilogue: C[i,:] += bias, C = max(0, C); before it, A ⊙ [reluMaskA > 0] and op(A)'s row sums.
 *
 *   C[i,j] = Σ_k op(A)[i,k]·op(B)[k,j] + beta·C[i,j]   (beta 0: C is not read, as in BLAS)
 *
 * The same sum in i-k-j loop order: for each row i of C and each k, add A[i,k]·B[k,:] to C[i,:].
 * The innermost loop walks B and C contiguously, which is what makes it cache friendly.
 * Transposed operands are first copied into (M,K) / (K,N) layout so one loop serves all four cases.
 */
export function gemm(transA: boolean, transB: boolean, M: number, N: number, K: number,
                     a: Data, b: Data, beta: 0 | 1, c: Data, epilogue: Epilogue = {}): void {
  const mask = epilogue.reluMaskA;
  const masked = mask ? a.map((v, i) => v * (mask[i] > 0 ? 1 : 0)) : a; // dy·relu′(y), as mapBackward(RELU) computes it
  const A = transA ? transpose(masked, K, M) : masked;
  const B = transB ? transpose(b, N, K) : b;
  const sums = epilogue.rowSumsA;
  if (sums) {
    // In order of k from 0, rounded as each is added: as sumRows sums rows.
    sums.fill(0, 0, M);
    for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) sums[i] += A[i * K + k];
  }
  if (beta === 0) c.fill(0, 0, M * N);
  for (let i = 0; i < M; i++) {
    const ci = i * N;
    for (let k = 0; k < K; k++) {
      // NOTE: no shortcut for A[i,k] = 0: 0·∞ and 0·NaN must give NaN here as in the wasm kernels,
      // or a diverging run would look finite on one backend only.
      const aik = A[i * K + k];
      const bk = k * N;
      for (let j = 0; j < N; j++) c[ci + j] += aik * B[bk + j];
    }
  }
  if (epilogue.bias) addRowVector(c, epilogue.bias, M, N);
  if (epilogue.relu) {
    const out = c.subarray(0, M * N);
    reluInPlace(out);
  }
}

/** (rows, cols) -> (cols, rows) */
function transpose(x: Data, rows: number, cols: number): Data {
  const y = new (x.constructor as Float32ArrayConstructor | Float64ArrayConstructor)(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) y[c * rows + r] = x[r * cols + c];
  }
  return y;
}

/** y[r, :] += b */
export function addRowVector(y: Data, b: Data, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) y[o + j] += b[j];
  }
}

/** out = (out +) Σ_r dy[r, :] */
export function sumRows(dy: Data, rows: number, cols: number, out: Data, accumulate: boolean): void {
  if (!accumulate) out.fill(0, 0, cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) out[j] += dy[o + j];
  }
}
