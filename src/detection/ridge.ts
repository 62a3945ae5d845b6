// Ridge regression in closed form, for R-CNN's class-specific bounding-box regression: from a
// proposal's pooled features predict the offsets (tx, ty, tw, th) that move it onto its ground
// truth (encodeBox in boxes.ts), one regressor per class.
//
//   minimise ‖X·W + 1·bᵀ − Y‖² + λ‖W‖²     X:(n,d) Y:(n,k) -> W:(d,k) b:(k)
//
// The bias is not regularised (shrinking it would pull every prediction toward 0 rather than
// toward the mean target). Setting ∂/∂b = 0 gives b = ȳ − Wᵀx̄, and substituting it leaves the
// same problem on centred data Xc = X − 1x̄ᵀ, Yc = Y − 1ȳᵀ, whose normal equations are
//   (XcᵀXc + λI)·W = XcᵀYc.
// For λ > 0 the matrix is symmetric positive definite, so a Cholesky factorisation LLᵀ solves it
// stably in d³/6 multiply-adds; two triangular solves per column of Y finish the job.
//
// NOTE: XcᵀXc is accumulated as XᵀX − n·x̄x̄ᵀ. That lets the O(n·d²) loop skip the zeros of X
// (post-ReLU features are mostly zero); in float64 the cancellation costs nothing measurable at
// the scale of features here. Everything is float64 internally.
import type { Features } from './svm.js';

export interface RidgeModel {
  /** Input and output widths. */
  d: number;
  k: number;
  /** d×k weights, row-major: W[i·k + j] maps input feature i to output j. */
  W: Float64Array;
  /** k biases. */
  b: Float64Array;
}

/**
 * Fit W, b minimising ‖XW + 1bᵀ − Y‖² + λ‖W‖². X: n×d, Y: n×k, row-major. Example:
 *   const model = fitRidge(features, n, d, targets, 4, 1000);   // box regression, λ = 1000
 * Throws if the normal matrix is not positive definite (λ = 0 with collinear features).
 */
export function fitRidge(X: Features, n: number, d: number, Y: Features, k: number, lambda: number): RidgeModel {
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(d) || d < 1 || !Number.isInteger(k) || k < 1) {
    throw new Error(`fitRidge: n, d and k must be positive integers, got n=${n}, d=${d}, k=${k}`);
  }
  if (X.length !== n * d) throw new Error(`fitRidge: X has ${X.length} values; expected n×d = ${n}×${d} = ${n * d}`);
  if (Y.length !== n * k) throw new Error(`fitRidge: Y has ${Y.length} values; expected n×k = ${n}×${k} = ${n * k}`);
  if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new Error(`fitRidge: lambda must be a finite number ≥ 0, got ${lambda}`);

  // Means x̄ (d) and ȳ (k).
  const xm = new Float64Array(d), ym = new Float64Array(k);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < d; i++) xm[i] += X[r * d + i];
    for (let j = 0; j < k; j++) ym[j] += Y[r * k + j];
  }
  for (let i = 0; i < d; i++) xm[i] /= n;
  for (let j = 0; j < k; j++) ym[j] /= n;

  // A = XᵀX (upper triangle), B = XᵀY, one row of X at a time, skipping zeros.
  const A = new Float64Array(d * d), B = new Float64Array(d * k);
  const row = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < d; i++) row[i] = X[r * d + i];
    for (let i = 0; i < d; i++) {
      const xi = row[i];
      if (xi === 0) continue;
      const ai = i * d;
      for (let j = i; j < d; j++) A[ai + j] += xi * row[j];
      for (let j = 0; j < k; j++) B[i * k + j] += xi * Y[r * k + j];
    }
  }
  // Pivots below floor count as zero: a constant feature's centred variance n·(c² − c²) comes
  // out as a rounding residue of its raw Σx², not as exactly 0.
  const floor = new Float64Array(d);
  for (let i = 0; i < d; i++) floor[i] = 1e-10 * A[i * d + i];
  // Centre (XcᵀXc = XᵀX − n x̄x̄ᵀ, XcᵀYc = XᵀY − n x̄ȳᵀ), add λI, mirror the upper triangle.
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      const v = A[i * d + j] - n * xm[i] * xm[j] + (i === j ? lambda : 0);
      A[i * d + j] = v;
      A[j * d + i] = v;
    }
    for (let j = 0; j < k; j++) B[i * k + j] -= n * xm[i] * ym[j];
  }

  let L: Float64Array;
  try {
    L = cholesky(A, d, floor);
  } catch (e) {
    throw new Error(`fitRidge: ${(e as Error).message}; with lambda = ${lambda}, a constant or collinear feature needs lambda > 0`);
  }
  const W = choleskySolve(L, d, B, k);
  // b = ȳ − Wᵀx̄
  const b = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    let s = ym[j];
    for (let i = 0; i < d; i++) s -= W[i * k + j] * xm[i];
    b[j] = s;
  }
  return { d, k, W, b };
}

/** Predictions X·W + 1bᵀ.   X:(n,d) -> (n,k), row-major, float64. */
export function predictRidge(X: Features, n: number, model: RidgeModel): Float64Array {
  const { d, k, W, b } = model;
  if (X.length !== n * d) throw new Error(`predictRidge: X has ${X.length} values; expected n×d = ${n}×${d} = ${n * d}`);
  const out = new Float64Array(n * k);
  for (let r = 0; r < n; r++) {
    const o = r * k;
    for (let j = 0; j < k; j++) out[o + j] = b[j];
    for (let i = 0; i < d; i++) {
      const xi = X[r * d + i];
      if (xi === 0) continue;
      for (let j = 0; j < k; j++) out[o + j] += xi * W[i * k + j];
    }
  }
  return out;
}

/**
 * Cholesky factor of a symmetric positive definite d×d matrix: A = L·Lᵀ, L lower triangular
 * (returned row-major, upper part zero). A pivot ≤ pivotFloor[j] (default 0) counts as zero and
 * throws: A is not positive definite (to rounding). Column by column:
 *   L[j][j] = √(A[j][j] − Σ_{p<j} L[j][p]²)
 *   L[i][j] = (A[i][j] − Σ_{p<j} L[i][p]·L[j][p]) / L[j][j]     for i > j
 */
export function cholesky(A: Float64Array, d: number, pivotFloor?: ArrayLike<number>): Float64Array {
  if (A.length !== d * d) throw new Error(`cholesky: A has ${A.length} values; expected d×d = ${d * d}`);
  const L = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    const lj = j * d;
    let s = A[lj + j];
    for (let p = 0; p < j; p++) s -= L[lj + p] * L[lj + p];
    // NOTE: a pivot ≤ 0 means A is not positive definite (in ridge: collinear or constant
    // features with λ = 0). Dividing by it, or by a rounding residue, would give garbage.
    if (!(s > 0 && s > (pivotFloor ? pivotFloor[j] : 0))) {
      throw new Error(`cholesky: matrix is not positive definite at pivot ${j} (value ${s})`);
    }
    const djj = Math.sqrt(s);
    L[lj + j] = djj;
    for (let i = j + 1; i < d; i++) {
      const li = i * d;
      let t = A[li + j];
      for (let p = 0; p < j; p++) t -= L[li + p] * L[lj + p];
      L[li + j] = t / djj;
    }
  }
  return L;
}

/** Solve L·Lᵀ·X = B for X, B: d×k row-major (forward substitution, then backward). */
export function choleskySolve(L: Float64Array, d: number, B: Float64Array, k: number): Float64Array {
  if (L.length !== d * d || B.length !== d * k) {
    throw new Error(`choleskySolve: expected L of d×d = ${d * d} and B of d×k = ${d * k} values, got ${L.length} and ${B.length}`);
  }
  const Z = new Float64Array(B);
  // L·Z = B:  Z[i] = (B[i] − Σ_{p<i} L[i][p] Z[p]) / L[i][i]
  for (let i = 0; i < d; i++) {
    for (let p = 0; p < i; p++) {
      const l = L[i * d + p];
      if (l === 0) continue;
      for (let j = 0; j < k; j++) Z[i * k + j] -= l * Z[p * k + j];
    }
    for (let j = 0; j < k; j++) Z[i * k + j] /= L[i * d + i];
  }
  // Lᵀ·X = Z:  X[i] = (Z[i] − Σ_{p>i} L[p][i] X[p]) / L[i][i]
  for (let i = d - 1; i >= 0; i--) {
    for (let p = i + 1; p < d; p++) {
      const l = L[p * d + i];
      if (l === 0) continue;
      for (let j = 0; j < k; j++) Z[i * k + j] -= l * Z[p * k + j];
    }
    for (let j = 0; j < k; j++) Z[i * k + j] /= L[i * d + i];
  }
  return Z;
}
