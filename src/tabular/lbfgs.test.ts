// L-BFGS against problems whose minimum is known.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { minimizeLbfgs } from './lbfgs.js';
import { assertClose } from '../testing/helpers.js';
import { Random } from '../tensor/random.js';

test('lbfgs: an ill-conditioned convex quadratic reaches its minimum', () => {
  // f(x) = ½ Σ dᵢ (xᵢ − cᵢ)², with curvatures from 1 to 1000: the minimum is x = c, f = 0.
  const n = 20;
  const d = Float64Array.from({ length: n }, (_, i) => Math.pow(1000, i / (n - 1)));
  const c = Float64Array.from({ length: n }, (_, i) => Math.sin(i + 1) * 3);
  const f = (x: Float64Array) => {
    let v = 0;
    const grad = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      v += 0.5 * d[i] * (x[i] - c[i]) ** 2;
      grad[i] = d[i] * (x[i] - c[i]);
    }
    return { f: v, grad };
  };
  const r = minimizeLbfgs(f, new Float64Array(n), { gtol: 1e-8, ftol: 0, maxIter: 500 });
  assert.equal(r.reason, 'gtol');
  assertClose(r.x, c, 1e-8, 'minimizer');
  // SciPy's L-BFGS-B takes 250 iterations here (same history of 10); gradient descent with the best
  // fixed step needs about κ·ln(1/ε) ≈ 1000·25 of them.
  assert.ok(r.iterations < 300, `${r.iterations} iterations`);
});

test('lbfgs: logistic regression (convex) matches the optimum found by Newton\'s method', () => {
  // Data from a known logistic model; the L2-penalized log-loss has one minimum. Newton's method
  // (exact Hessian, 2 variables) finds it to machine precision; L-BFGS must agree.
  const rng = new Random(3);
  const N = 200, lambda = 0.1;
  const xs = Array.from({ length: N }, () => rng.normal());
  const ys = xs.map((x) => (rng.uniform() < 1 / (1 + Math.exp(-(2 * x - 0.5))) ? 1 : 0));
  const lossGradHess = (w: Float64Array) => {
    let f = 0.5 * lambda * w[0] * w[0];
    const g = Float64Array.of(lambda * w[0], 0);
    const H = [lambda, 0, 0, 0];
    for (let i = 0; i < N; i++) {
      const z = w[0] * xs[i] + w[1];
      const p = 1 / (1 + Math.exp(-z));
      f += (Math.log1p(Math.exp(-Math.abs(z))) + Math.max(z, 0) - ys[i] * z) / N;
      g[0] += ((p - ys[i]) * xs[i]) / N;
      g[1] += (p - ys[i]) / N;
      const s = (p * (1 - p)) / N;
      H[0] += s * xs[i] * xs[i]; H[1] += s * xs[i]; H[2] += s * xs[i]; H[3] += s;
    }
    return { f, grad: g, H };
  };
  const w = new Float64Array(2);
  for (let k = 0; k < 30; k++) {
    const { grad: g, H } = lossGradHess(w);
    const det = H[0] * H[3] - H[1] * H[2];
    w[0] -= (H[3] * g[0] - H[1] * g[1]) / det;
    w[1] -= (H[0] * g[1] - H[2] * g[0]) / det;
  }
  const r = minimizeLbfgs(lossGradHess, new Float64Array(2), { gtol: 1e-10, ftol: 0 });
  assertClose(r.x, w, 1e-7, 'L-BFGS against Newton');
  assert.ok(r.f <= lossGradHess(w).f + 1e-12);
});

test('lbfgs: the Rosenbrock valley (not convex) and the budgets', () => {
  const rosen = (x: Float64Array) => ({
    f: 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2,
    grad: Float64Array.of(-400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0]), 200 * (x[1] - x[0] ** 2)),
  });
  const r = minimizeLbfgs(rosen, Float64Array.of(-1.2, 1), { gtol: 1e-9, ftol: 0, maxIter: 1000 });
  assertClose(r.x, [1, 1], 1e-6, 'Rosenbrock minimum');
  const short = minimizeLbfgs(rosen, Float64Array.of(-1.2, 1), { maxIter: 3 });
  assert.equal(short.reason, 'maxIter');
  assert.equal(short.iterations, 3);
  const few = minimizeLbfgs(rosen, Float64Array.of(-1.2, 1), { maxFun: 5 });
  assert.equal(few.reason, 'maxFun');
  assert.ok(few.evaluations <= 6, `${few.evaluations} evaluations for a budget of 5`);
  const x0 = Float64Array.of(-1.2, 1);
  minimizeLbfgs(rosen, x0);
  assert.deepEqual(Array.from(x0), [-1.2, 1], 'x0 is left as it was');
});
