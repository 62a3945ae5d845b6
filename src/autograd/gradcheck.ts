// Numerical gradient check: the test that backpropagation computes what calculus says.
import { Tensor } from '../tensor/tensor.js';
import { Random } from '../tensor/random.js';
import { noGrad } from './engine.js';

export interface GradcheckOptions {
  /** Finite-difference step. */
  eps?: number;
  /** Allowed |analytic − numeric| ≤ atol + rtol·|numeric|. */
  atol?: number;
  rtol?: number;
  seed?: number;
}

export interface GradcheckResult {
  ok: boolean;
  /** Largest error found (NaN if a gradient or a function value was NaN), with where it was. */
  maxError: number;
  worst: { input: number; index: number; analytic: number; numeric: number } | null;
}

/**
 * Compare the gradients that backward() computes with central finite differences,
 *   ∂L/∂xᵢ ≈ (L(x + ε·eᵢ) − L(x − ε·eᵢ)) / 2ε,   with L = Σ f(x) ⊙ r
 * for a random upstream gradient r (a uniform one would hide transpose and index bugs).
 * Inputs should be float64 tensors with requiresGrad, kept away from kinks (ReLU at 0, ties in max).
 * @example
 * const x = randn([3, 4], { dtype: 'float64', requiresGrad: true });
 * gradcheck((x) => x.tanh(), [x]).ok  // true
 */
export function gradcheck(f: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], options: GradcheckOptions = {}): GradcheckResult {
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? 1e-5;
  const rtol = options.rtol ?? 1e-3;
  const rng = new Random(options.seed ?? 7);
  for (const x of inputs) {
    if (x.dtype !== 'float64') throw new Error('gradcheck: inputs must be float64 tensors (float32 is too coarse for finite differences)');
    x.grad = null;
  }
  const out = f(...inputs);
  const r = new Tensor(new Float64Array(out.size).map(() => rng.uniform() * 2 - 1), out.shape);
  const weighted = (t: Tensor): number => {
    let s = 0;
    for (let i = 0; i < t.size; i++) s += t.data[i] * r.data[i];
    return s;
  };
  out.backward(r);
  let maxError = 0;
  let worst: GradcheckResult['worst'] = null;
  let ok = true;
  inputs.forEach((x, k) => {
    if (!x.requiresGrad) return;
    for (let i = 0; i < x.size; i++) {
      const saved = x.data[i];
      x.data[i] = saved + eps;
      const plus = noGrad(() => weighted(f(...inputs)));
      x.data[i] = saved - eps;
      const minus = noGrad(() => weighted(f(...inputs)));
      x.data[i] = saved;
      const numeric = (plus - minus) / (2 * eps);
      const analytic = x.grad ? x.grad.data[i] : 0;
      const err = Math.abs(analytic - numeric);
      // NOTE: a NaN gradient must fail, and NaN compares false with everything: hence !(err ≤ tol),
      // not err > tol, and a NaN error is the worst there is (the first one is reported).
      if (!(err <= atol + rtol * Math.abs(numeric))) ok = false;
      if (worst === null || err > maxError || (Number.isNaN(err) && !Number.isNaN(maxError))) {
        maxError = err;
        worst = { input: k, index: i, analytic, numeric };
      }
    }
  });
  return { ok, maxError, worst };
}
