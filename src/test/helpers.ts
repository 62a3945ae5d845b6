// Shared test helpers.
import assert from 'node:assert/strict';
import { gradcheck, type GradcheckOptions } from '../autograd/gradcheck.js';
import { Random } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import '../ops/methods.js'; // the functions the tests check call x.mul(...), x.relu(), ...

/** A float64 tensor of N(0,1) values (or uniform in [lo,hi)) that requires grad. */
export function rand64(shape: number[], seed: number, range?: [number, number]): Tensor {
  const rng = new Random(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = range ? range[0] + (range[1] - range[0]) * rng.uniform() : rng.normal();
  return new Tensor(data, shape, true);
}

/** Keep values at least `gap` away from 0 (for ReLU/abs kinks). */
export function awayFromZero(t: Tensor, gap = 0.1): Tensor {
  for (let i = 0; i < t.size; i++) if (Math.abs(t.data[i]) < gap) t.data[i] = t.data[i] < 0 ? -gap - 0.05 : gap + 0.05;
  return t;
}

export function assertGrad(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], options: GradcheckOptions = {}): void {
  const r = gradcheck(f, inputs, options);
  assert.ok(r.ok, `gradient check failed: max error ${r.maxError}, worst ${JSON.stringify(r.worst)}`);
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5, what = 'values'): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (err > tol * (1 + Math.abs(expected[i]))) {
      assert.fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]} (error ${err})`);
    }
  }
}
