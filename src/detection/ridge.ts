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

/** Rows of X per pass over XᵀX in fitRidge. */
const ROWS = 4;

/**
 * A[ai + j] += xs[q]·rows[at[q]·d + j] for j from j0 to d − 1, for q = 0, 1, …, c − 1 in that order
 * (c ≤ ROWS): one pass over the row of A, each product added and rounded in turn.
 */
function addProducts(A: Float64Array, ai: number, j0: number, d: number, rows: Float64Array, xs: Float64Array,
                     at: Int32Array, c: number): void {
  const x0 = xs[0], o0 = at[0] * d;
  if (c === 1) {
    for (let j = j0; j < d; j++) A[ai + j] += x0 * rows[o0 + j];
    return;
  }
  const x1 = xs[1], o1 = at[1] * d;
  if (c === 2) {
    for (let j = j0; j < d; j++) A[ai + j] = A[ai + j] + x0 * rows[o0 + j] + x1 * rows[o1 + j];
    return;
  }
  const x2 = xs[2], o2 = at[2] * d;
  if (c === 3) {
    for (let j = j0; j < d; j++) A[ai + j] = A[ai + j] + x0 * rows[o0 + j] + x1 * rows[o1 + j] + x2 * rows[o2 + j];
    return;
  }
  const x3 = xs[3], o3 = at[3] * d;
  for (let j = j0; j < d; j++) A[ai + j] = A[ai + j] + x0 * rows[o0 + j] + x1 * rows[o1 + j] + x2 * rows[o2 + j] + x3 * rows[o3 + j];
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

  // A = XᵀX (upper triangle), B = XᵀY, skipping zeros: for each row r and each i with x_ri ≠ 0,
  //   A[i, j] += x_ri·x_rj (j ≥ i),   B[i, :] += x_ri·y_r.
  // A (d×d float64, 5 MB at d = 800) does not fit the cache, so the loop takes ROWS rows of X at a
  // time and passes over A once per block rather than once per row (1.5× faster at d = 800 with half
  // the features zero; no faster with four fifths zero). Each A[i, j] still
  // receives its products one at a time in row order, each rounded, so the sums are bit for bit
  // those of the one-row-at-a-time loop.
  const A = new Float64Array(d * d), B = new Float64Array(d * k);
  const rows = new Float64Array(ROWS * d);
  const xs = new Float64Array(ROWS), at = new Int32Array(ROWS); // a block's non-zero x_ri, and where its row starts
  for (let r0 = 0; r0 < n; r0 += ROWS) {
    const m = Math.min(ROWS, n - r0);
    for (let q = 0; q < m * d; q++) rows[q] = X[r0 * d + q];
    for (let i = 0; i < d; i++) {
      let c = 0;
      for (let q = 0; q < m; q++) {
        const v = rows[q * d + i];
        if (v === 0) continue;
        xs[c] = v;
        at[c++] = q;
      }
      if (c === 0) continue;
      addProducts(A, i * d, i, d, rows, xs, at, c);
      for (let q = 0; q < c; q++) {
        const y = (r0 + at[q]) * k;
        for (let j = 0; j < k; j++) B[i * k + j] += xs[q] * Y[y + j];
      }
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
    // L[i][j] = (A[i][j] − Σ_{p<j} L[i][p]·L[j][p]) / L[j][j], four rows i at a time: four independent
    // chains of subtractions share the loads of row j (one chain alone waits on each subtraction;
    // ~2× faster at d = 800). Each chain is the same sequence of roundings as one row alone.
    let i = j + 1;
    for (; i + 4 <= d; i += 4) {
      const l0 = i * d, l1 = l0 + d, l2 = l1 + d, l3 = l2 + d;
      let t0 = A[l0 + j], t1 = A[l1 + j], t2 = A[l2 + j], t3 = A[l3 + j];
      for (let p = 0; p < j; p++) {
        const v = L[lj + p];
        t0 -= L[l0 + p] * v;
        t1 -= L[l1 + p] * v;
        t2 -= L[l2 + p] * v;
        t3 -= L[l3 + p] * v;
      }
      L[l0 + j] = t0 / djj;
      L[l1 + j] = t1 / djj;
      L[l2 + j] = t2 / djj;
      L[l3 + j] = t3 / djj;
    }
    for (; i < d; i++) {
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
