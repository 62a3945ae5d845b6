// The gradient check itself must catch wrong gradients, or every other check means nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gradcheck } from './gradcheck.js';
import { accumulate, result } from './engine.js';
import { rand64 } from '../testing/helpers.js';
import '../ops/methods.js'; // x.mul(x) in the functions checked
import type { Tensor } from '../tensor/tensor.js';

/** y = x², with a deliberately wrong backward (dx = dy·x instead of 2·dy·x). */
function brokenSquare(x: Tensor): Tensor {
  const y = x.data.map((v) => v * v);
  return result(y, x.shape, 'brokenSquare', [x], (dy) => accumulate(x, dy.map((g, i) => g * x.data[i]), true));
}

/** y = xᵀ for a square matrix, with the gradient not transposed back: only a non-uniform upstream gradient exposes it. */
function brokenTranspose(x: Tensor): Tensor {
  const n = x.shape[0];
  const y = x.data.map((_, i) => x.data[(i % n) * n + Math.floor(i / n)]);
  return result(y, x.shape, 'brokenTranspose', [x], (dy) => accumulate(x, dy));
}

test('gradcheck rejects wrong gradients and accepts right ones', () => {
  const x = rand64([3, 3], 1);
  assert.equal(gradcheck(brokenSquare, [x]).ok, false);
  assert.equal(gradcheck(brokenTranspose, [x]).ok, false);
  assert.equal(gradcheck((x) => x.mul(x), [x]).ok, true);
  assert.equal(gradcheck((x) => x.transpose(), [x]).ok, true);
});

test('gradcheck requires float64 inputs', () => {
  const x = rand64([2], 1);
  const f32 = x.detach();
  const t = new (f32.constructor as typeof import('../tensor/tensor.js').Tensor)(new Float32Array(2), [2], true);
  assert.throws(() => gradcheck((v) => v, [t]), /float64/);
});

/** y = x (identity), with the gradient of element `at` off by `delta`; records the dy it received. */
function offByOne(received: { dy: Float64Array | null }, at: number, delta: number) {
  return (x: Tensor): Tensor => result(x.data.slice(), x.shape, 'offByOne', [x], (dy) => {
    received.dy = Float64Array.from(dy);
    const dx = dy.slice();
    dx[at] += delta;
    accumulate(x, dx, true);
  });
}

test('gradcheck reports the largest error and where it is', () => {
  const seen = { dy: null as Float64Array | null };
  const seenX = { dy: null as Float64Array | null };
  const x = rand64([2, 3], 2);
  const y = rand64([4], 3);
  const r = gradcheck((x, y) => offByOne(seenX, 1, 0)(x).sum().add(offByOne(seen, 2, 0.5)(y)), [x, y]);
  assert.equal(r.ok, false);
  assert.ok(Math.abs(r.maxError - 0.5) < 1e-6, `maxError ${r.maxError}`);
  assert.equal(r.worst!.input, 1);
  assert.equal(r.worst!.index, 2);
  assert.ok(Math.abs(r.worst!.analytic - r.worst!.numeric - 0.5) < 1e-6, JSON.stringify(r.worst));
  assert.ok(Math.abs(r.worst!.numeric - seen.dy![2]) < 1e-6, 'numeric = the upstream weight of y[2]');
  // The upstream gradient r is uniform in [−1, 1): of both signs, not all equal, reproducible from the seed.
  const z = rand64([50], 4);
  gradcheck(offByOne(seen, 0, 0), [z]);
  const dy = seen.dy!;
  assert.ok(dy.every((v) => v >= -1 && v < 1), `upstream gradient outside [-1, 1): ${dy}`);
  assert.ok(dy.some((v) => v < -0.5) && dy.some((v) => v > 0.5), 'upstream gradient spans [-1, 1)');
  const first = dy;
  // Checking the same inputs again starts from cleared gradients.
  assert.equal(gradcheck(offByOne(seen, 0, 0), [z], { seed: 7 }).ok, true);
  assert.deepEqual(seen.dy, first, 'the default seed is 7');
  assert.equal(gradcheck(offByOne(seen, 0, 0), [z], { seed: 8 }).ok, true);
  assert.notDeepEqual(seen.dy, first, 'another seed gives another upstream gradient');
});

test('gradcheck: the tolerance is atol + rtol·|numeric|, inclusive', () => {
  // An exact gradient (of a function that ignores x) passes even with zero tolerance, and the
  // worst entry is then the first one checked.
  const x = rand64([3], 5);
  const exact = gradcheck((x) => x.mul(0), [x], { atol: 0, rtol: 0 });
  assert.equal(exact.ok, true);
  assert.equal(exact.maxError, 0);
  assert.equal(exact.worst!.input, 0);
  assert.equal(exact.worst!.index, 0);
  assert.ok(exact.worst!.analytic === 0 && exact.worst!.numeric === 0, JSON.stringify(exact.worst));
  // y = 100·x with the gradient 0.05% too large: within rtol = 1e-3 of |numeric| ≈ 100·|r|,
  // though far outside 1e-3 as an absolute error; 0.2% too large is outside.
  const scaled = (factor: number) => (x: Tensor): Tensor =>
    result(x.data.map((v) => 100 * v), x.shape, 'scaled', [x], (dy) => accumulate(x, dy.map((g) => 100 * factor * g), true));
  const w = rand64([20], 6);
  assert.equal(gradcheck(scaled(1.0005), [w], { atol: 0 }).ok, true);
  assert.equal(gradcheck(scaled(1.002), [w], { atol: 0 }).ok, false);
  assert.equal(gradcheck(scaled(1.002), [w], { atol: 1, rtol: 0 }).ok, true, 'atol alone covers an error under 1');
});

test('gradcheck skips inputs that do not require grad', () => {
  const x = rand64([3], 7);
  const c = rand64([3], 8);
  c.requiresGrad = false;
  const r = gradcheck((x, c) => x.mul(c), [x, c]);
  assert.equal(r.ok, true);
  assert.equal(r.worst!.input, 0);
  // An input the function does not use gets no gradient at all, and 0 is right for it.
  assert.equal(gradcheck((x, unused) => x.mul(2), [x, rand64([2], 9)]).ok, true);
});

test('gradcheck fails a NaN gradient and reports where it is', () => {
  // A backward that reads past the end of its input (the bug an off-by-one loop makes) gives NaN.
  const x = rand64([4], 10);
  const nanAt2 = (x: Tensor): Tensor => result(x.data.slice(), x.shape, 'nanAt2', [x], (dy) => {
    const dx = dy.slice();
    dx[2] = NaN;
    dx[3] = NaN;
    accumulate(x, dx, true);
  });
  const r = gradcheck(nanAt2, [x]);
  assert.equal(r.ok, false);
  assert.ok(Number.isNaN(r.maxError));
  assert.equal(r.worst!.index, 2, 'the first NaN');
  assert.ok(Number.isNaN(r.worst!.analytic));
});
