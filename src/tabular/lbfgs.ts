// L-BFGS: a quasi-Newton minimizer for smooth functions of many variables, the solver scikit-learn
// recommends for small data sets. Full-batch: every step sees the whole training set.
//
// Newton's method steps by −H⁻¹·g (H the Hessian). L-BFGS never forms H: it keeps the last m pairs
//   s_k = x_{k+1} − x_k   (how the point moved)      y_k = g_{k+1} − g_k   (how the gradient changed)
// and the two-loop recursion turns them into H_k⁻¹·g in O(m·n) (Nocedal & Wright, Algorithm 7.4).
// Each step then searches along d = −H⁻¹·g for a length α that satisfies the strong Wolfe
// conditions (Algorithms 3.5 and 3.6):
//   f(x + α·d) ≤ f(x) + c1·α·gᵀd           sufficient decrease (Armijo)
//   |g(x + α·d)ᵀd| ≤ c2·|gᵀd|              the slope has flattened (curvature)
// With c2 = 0.9 the curvature condition guarantees sᵀy > 0, which keeps H⁻¹ positive definite.
// scikit-learn calls SciPy's L-BFGS-B (Moré–Thuente line search); this one has the same stopping
// rules: the largest gradient entry at most `gtol`, a relative decrease of f below `ftol`, or the
// iteration and evaluation budgets.

/** f and its gradient at x; `grad` has x's length. */
export type Objective = (x: Float64Array) => { f: number; grad: Float64Array };

export interface LbfgsOptions {
  /** Iterations (steps), at most (default 200). */
  maxIter?: number;
  /** Function evaluations, at most (default 15000, scikit-learn's max_fun). */
  maxFun?: number;
  /** Stop when max |gᵢ| ≤ gtol (default 1e-5). */
  gtol?: number;
  /** Stop when (f_k − f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) ≤ ftol (default 2.2e-9, SciPy's factr·ε). */
  ftol?: number;
  /** Pairs (s, y) kept (default 10, as SciPy). */
  history?: number;
  /** Called after each step with the iteration number (1-based) and f. */
  onIteration?: (iteration: number, f: number) => void;
}

export interface LbfgsResult {
  x: Float64Array;
  f: number;
  iterations: number;
  evaluations: number;
  /** Why it stopped: 'gtol', 'ftol', 'maxIter', 'maxFun' or 'lineSearch' (no step decreased f: at the precision limit). */
  reason: 'gtol' | 'ftol' | 'maxIter' | 'maxFun' | 'lineSearch';
}

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
const maxAbs = (a: Float64Array): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/**
 * Minimize f from x0. x0 is not changed.
 * @example minimizeLbfgs((x) => ({ f: (x[0] - 3) ** 2, grad: Float64Array.of(2 * (x[0] - 3)) }), Float64Array.of(0)).x  // ≈ [3]
 */
export function minimizeLbfgs(fn: Objective, x0: Float64Array, o: LbfgsOptions = {}): LbfgsResult {
  const maxIter = o.maxIter ?? 200, maxFun = o.maxFun ?? 15000, gtol = o.gtol ?? 1e-5, ftol = o.ftol ?? 2.220446049250313e-9;
  const m = o.history ?? 10;
  const n = x0.length;
  let evaluations = 0;
  const evaluate = (x: Float64Array) => {
    evaluations++;
    const r = fn(x);
    return { f: r.f, grad: Float64Array.from(r.grad) };
  };
  let x: Float64Array = Float64Array.from(x0);
  const first = evaluate(x);
  let f = first.f;
  let g: Float64Array = first.grad;
  const S: Float64Array[] = [], Y: Float64Array[] = [], RHO: number[] = [];
  let iterations = 0;
  let reason: LbfgsResult['reason'] = 'maxIter';
  if (maxAbs(g) <= gtol) return { x, f, iterations, evaluations, reason: 'gtol' };
  while (iterations < maxIter) {
    // Two-loop recursion: d = −H⁻¹·g, with H₀⁻¹ = γ·I, γ = sᵀy / yᵀy from the newest pair.
    const d = Float64Array.from(g);
    const alphas = new Array<number>(S.length);
    for (let k = S.length - 1; k >= 0; k--) {
      alphas[k] = RHO[k] * dot(S[k], d);
      for (let i = 0; i < n; i++) d[i] -= alphas[k] * Y[k][i];
    }
    const last = S.length - 1;
    const gamma = last >= 0 ? dot(S[last], Y[last]) / dot(Y[last], Y[last]) : 1 / Math.max(1, Math.sqrt(dot(g, g)));
    for (let i = 0; i < n; i++) d[i] *= gamma;
    for (let k = 0; k < S.length; k++) {
      const beta = RHO[k] * dot(Y[k], d);
      for (let i = 0; i < n; i++) d[i] += S[k][i] * (alphas[k] - beta);
    }
    for (let i = 0; i < n; i++) d[i] = -d[i];
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // NOTE: rounding can make d point uphill; fall back to steepest descent and forget the history.
      for (let i = 0; i < n; i++) d[i] = -g[i] * gamma;
      slope = dot(g, d);
      S.length = Y.length = RHO.length = 0;
    }
    const step = wolfeSearch(evaluate, x, f, g, d, slope, () => evaluations >= maxFun);
    if (step === null) {
      reason = evaluations >= maxFun ? 'maxFun' : 'lineSearch';
      break;
    }
    iterations++;
    const s = new Float64Array(n), y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = step.x[i] - x[i];
      y[i] = step.grad[i] - g[i];
    }
    const sy = dot(s, y);
    // Curvature sᵀy > 0 keeps the inverse-Hessian estimate positive definite; skip the pair otherwise.
    if (sy > 1e-10 * dot(y, y)) {
      S.push(s); Y.push(y); RHO.push(1 / sy);
      if (S.length > m) { S.shift(); Y.shift(); RHO.shift(); }
    }
    const fOld = f;
    x = step.x; f = step.f; g = step.grad;
    o.onIteration?.(iterations, f);
    if (maxAbs(g) <= gtol) { reason = 'gtol'; break; }
    if ((fOld - f) / Math.max(Math.abs(fOld), Math.abs(f), 1) <= ftol) { reason = 'ftol'; break; }
    if (evaluations >= maxFun) { reason = 'maxFun'; break; }
  }
  return { x, f, iterations, evaluations, reason };
}

interface Point { x: Float64Array; f: number; grad: Float64Array; slope: number }

/**
 * A step length α along d satisfying the strong Wolfe conditions (c1 = 1e-4, c2 = 0.9), by
 * bracketing then zooming (Nocedal & Wright, Algorithms 3.5 and 3.6); null when none is found in
 * 20 tries. Trial steps inside a bracket come from the minimizer of the cubic through both ends'
 * values and slopes, kept away from the ends (else bisection).
 */
function wolfeSearch(evaluate: (x: Float64Array) => { f: number; grad: Float64Array }, x: Float64Array, f0: number, g0: Float64Array,
  d: Float64Array, slope0: number, outOfBudget: () => boolean): Point | null {
  const c1 = 1e-4, c2 = 0.9;
  const at = (alpha: number): Point & { alpha: number } => {
    const xa = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) xa[i] = x[i] + alpha * d[i];
    const r = evaluate(xa);
    return { alpha, x: xa, f: r.f, grad: r.grad, slope: dot(r.grad, d) };
  };
  const armijo = (p: { alpha: number; f: number }) => p.f <= f0 + c1 * p.alpha * slope0;
  const curvature = (p: { slope: number }) => Math.abs(p.slope) <= -c2 * slope0;
  let prev = { alpha: 0, f: f0, slope: slope0, x, grad: g0 };
  let alpha = 1;
  for (let tries = 0; tries < 20 && !outOfBudget(); tries++) {
    const p = at(alpha);
    if (!Number.isFinite(p.f)) { alpha = (prev.alpha + alpha) / 2; continue; } // overshot into overflow: shorten
    if (!armijo(p) || (tries > 0 && p.f >= prev.f)) return zoom(prev, p);
    if (curvature(p)) return p;
    if (p.slope >= 0) return zoom(p, prev);
    prev = p;
    alpha *= 2;
  }
  return null;

  function zoom(lo: Point & { alpha: number }, hi: Point & { alpha: number }): Point | null {
    for (let tries = 0; tries < 20 && !outOfBudget(); tries++) {
      const a = cubicMin(lo, hi);
      const p = at(a);
      if (!armijo(p) || p.f >= lo.f) {
        hi = p;
      } else {
        if (curvature(p)) return p;
        if (p.slope * (hi.alpha - lo.alpha) >= 0) hi = lo;
        lo = p;
      }
      if (Math.abs(hi.alpha - lo.alpha) < 1e-12 * Math.max(1, lo.alpha)) break;
    }
    // The bracket has shrunk to nothing (f is flat at float32 precision): take its best point if it decreased f.
    return lo.alpha > 0 && lo.f < f0 ? lo : null;
  }
}

/** The minimizer of the cubic through (a, fa, fa′) and (b, fb, fb′), clamped to the middle 80% of [a, b]; else the midpoint. */
function cubicMin(a: { alpha: number; f: number; slope: number }, b: { alpha: number; f: number; slope: number }): number {
  const d1 = a.slope + b.slope - 3 * (a.f - b.f) / (a.alpha - b.alpha);
  const disc = d1 * d1 - a.slope * b.slope;
  const lo = Math.min(a.alpha, b.alpha), hi = Math.max(a.alpha, b.alpha), w = hi - lo;
  if (disc >= 0) {
    const d2 = Math.sign(b.alpha - a.alpha) * Math.sqrt(disc);
    const t = b.alpha - (b.alpha - a.alpha) * (b.slope + d2 - d1) / (b.slope - a.slope + 2 * d2);
    if (Number.isFinite(t)) return Math.min(Math.max(t, lo + 0.1 * w), hi - 0.1 * w);
  }
  return (a.alpha + b.alpha) / 2;
}
