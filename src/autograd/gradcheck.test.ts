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
