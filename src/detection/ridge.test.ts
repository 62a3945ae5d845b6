// Ridge regression (closed form through a Cholesky factorisation), for box regression.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../tensor/random.js';
import { cholesky, choleskySolve, fitRidge, predictRidge } from './ridge.js';

const close = (a: number, b: number, tol: number, what: string): void => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('ridge: matches a 2-D case solved by hand', () => {
  // x = (0,0), (1,0), (0,1), (2,1);  y = 0, 1, 1, 4;  λ = 1.
  // Means x̄ = (0.75, 0.5), ȳ = 1.5. Centred: Xc rows (−.75,−.5), (.25,−.5), (−.75,.5), (1.25,.5);
  // Yc = −1.5, −.5, −.5, 2.5.
  //   XcᵀXc = [[2.75, 0.5], [0.5, 1]]        XcᵀYc = [4.5, 2]
  //   (XcᵀXc + I)·W = XcᵀYc:  [[3.75, .5], [.5, 2]]·W = [4.5, 2],  det = 7.25
  //   W = [(4.5·2 − .5·2) / 7.25, (3.75·2 − .5·4.5) / 7.25] = [32/29, 21/29]
  //   b = ȳ − W·x̄ = 1.5 − (24 + 10.5) / 29 = 9/29
  const X = new Float32Array([0, 0, 1, 0, 0, 1, 2, 1]);
  const Y = new Float32Array([0, 1, 1, 4]);
  const m = fitRidge(X, 4, 2, Y, 1, 1);
  close(m.W[0], 32 / 29, 1e-12, 'W0');
  close(m.W[1], 21 / 29, 1e-12, 'W1');
  close(m.b[0], 9 / 29, 1e-12, 'b');
  const p = predictRidge(X, 4, m);
  close(p[3], 2 * 32 / 29 + 21 / 29 + 9 / 29, 1e-12, 'prediction of row 3');
});

test('ridge: recovers W and b from noiseless data; λ shrinks W but never b', () => {
  const n = 60, d = 5, k = 4;
  const rng = new Random(4);
  const W = Float64Array.from({ length: d * k }, () => rng.normal());
  const b = Float64Array.from({ length: k }, () => 5 + rng.normal()); // far from 0 on purpose
  // Sparse non-negative features with a non-zero mean, like pooled post-ReLU activations.
  const X = Float32Array.from({ length: n * d }, () => Math.max(0, rng.normal() + 0.5));
  const Y = predictRidge(X, n, { d, k, W, b });
  const m = fitRidge(X, n, d, Y, k, 0);
  for (let i = 0; i < d * k; i++) close(m.W[i], W[i], 1e-9, `W[${i}]`);
  for (let j = 0; j < k; j++) close(m.b[j], b[j], 1e-9, `b[${j}]`);
  // A huge λ drives W to 0 and b to the mean target (the bias is not penalised).
  const flat = fitRidge(X, n, d, Y, k, 1e12);
  for (let i = 0; i < d * k; i++) close(flat.W[i], 0, 1e-6, `W[${i}] at λ = 1e12`);
  for (let j = 0; j < k; j++) {
    let mean = 0;
    for (let r = 0; r < n; r++) mean += Y[r * k + j] / n;
    close(flat.b[j], mean, 1e-6, `b[${j}] at λ = 1e12`);
  }
});

test('ridge: Cholesky factor and solve on a 3×3 matrix', () => {
  // A = L·Lᵀ with L = [[2,0,0],[1,3,0],[−1,2,1]] → A = [[4,2,−2],[2,10,5],[−2,5,6]].
  const A = new Float64Array([4, 2, -2, 2, 10, 5, -2, 5, 6]);
  const L = cholesky(A, 3);
  assert.deepEqual([...L], [2, 0, 0, 1, 3, 0, -1, 2, 1]);
  // A·[1, −1, 2] = [4−2−4, 2−10+10, −2−5+12] = [−2, 2, 5]
  const x = choleskySolve(L, 3, new Float64Array([-2, 2, 5]), 1);
  [1, -1, 2].forEach((v, i) => close(x[i], v, 1e-12, `x[${i}]`));
});

test('ridge: bad input and a singular system name the cause', () => {
  // Feature 1 is constant: with λ = 0 its centred column is zero and XᵀX is singular.
  const X = new Float32Array([0, 3, 1, 3, 2, 3]);
  const Y = new Float32Array([1, 2, 3]);
  assert.throws(() => fitRidge(X, 3, 2, Y, 1, 0), /fitRidge: cholesky: matrix is not positive definite at pivot 1.*lambda = 0/);
  const m = fitRidge(X, 3, 2, Y, 1, 1e-3);
  close(m.W[1], 0, 1e-9, 'weight of the constant feature');
  close(m.W[0], 2 / (2 + 1e-3), 1e-12, 'W0'); // Σxc² = 2, Σxc·yc = 2
  assert.throws(() => fitRidge(X, 3, 2, Y, 2, 1), /Y has 3 values; expected n×k = 3×2 = 6/);
  assert.throws(() => fitRidge(X, 3, 2, Y, 1, -1), /lambda must be a finite number ≥ 0, got -1/);
  assert.throws(() => cholesky(new Float64Array([1, 2, 2, 1]), 2), /not positive definite at pivot 1/);
  assert.throws(() => predictRidge(X, 2, m), /X has 6 values; expected n×d = 2×2 = 4/);
});

test('ridge: the blocked XᵀX gives the weights of the plain one-row-at-a-time loop, bit for bit', () => {
  // n = 203 (not a multiple of the block), mostly zeros, a −0 among them, as pooled ReLU features are.
  const n = 203, d = 40, k = 2, lambda = 0.5;
  const rng = new Random(11);
  const X = Float32Array.from({ length: n * d }, () => (rng.uniform() < 0.6 ? 0 : rng.uniform() * 4));
  X[5] = -0;
  const Y = Float32Array.from({ length: n * k }, () => rng.normal());
  // The textbook loop: means, then XᵀX and XᵀY row by row, centred, λ on the diagonal.
  const xm = new Float64Array(d), ym = new Float64Array(k);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < d; i++) xm[i] += X[r * d + i];
    for (let j = 0; j < k; j++) ym[j] += Y[r * k + j];
  }
  for (let i = 0; i < d; i++) xm[i] /= n;
  for (let j = 0; j < k; j++) ym[j] /= n;
  const A = new Float64Array(d * d), B = new Float64Array(d * k);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < d; i++) {
      const xi = X[r * d + i];
      if (xi === 0) continue;
      for (let j = i; j < d; j++) A[i * d + j] += xi * X[r * d + j];
      for (let j = 0; j < k; j++) B[i * k + j] += xi * Y[r * k + j];
    }
  }
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) A[i * d + j] = A[j * d + i] = A[i * d + j] - n * xm[i] * xm[j] + (i === j ? lambda : 0);
    for (let j = 0; j < k; j++) B[i * k + j] -= n * xm[i] * ym[j];
  }
  const W = choleskySolve(cholesky(A, d), d, B, k);
  assert.deepEqual([...fitRidge(X, n, d, Y, k, lambda).W], [...W]);
});

test('ridge: Cholesky four rows at a time is the one-row-at-a-time factor, bit for bit', () => {
  const d = 30; // the blocks of four and two rows left over
  const rng = new Random(12);
  const G = Float64Array.from({ length: d * d }, () => rng.normal());
  const A = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = i === j ? d : 0;
      for (let p = 0; p < d; p++) s += G[i * d + p] * G[j * d + p];
      A[i * d + j] = s;
    }
  }
  // Cholesky–Crout, column by column: L[i][j] = (A[i][j] − Σ_{p<j} L[i][p]·L[j][p]) / L[j][j].
  const L = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let s = A[j * d + j];
    for (let p = 0; p < j; p++) s -= L[j * d + p] * L[j * d + p];
    L[j * d + j] = Math.sqrt(s);
    for (let i = j + 1; i < d; i++) {
      let t = A[i * d + j];
      for (let p = 0; p < j; p++) t -= L[i * d + p] * L[j * d + p];
      L[i * d + j] = t / L[j * d + j];
    }
  }
  assert.deepEqual([...cholesky(A, d)], [...L]);
});
