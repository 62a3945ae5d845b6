// Gradient checks for every op, plus forward values and error messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose, assertGrad, awayFromZero, rand64 } from '../testing/helpers.js';
import * as ops from './index.js';
import { tensor } from '../tensor/tensor.js';
import { crossEntropy, mseLoss } from '../losses/index.js';

test('elementwise ops: gradients match finite differences', () => {
  const a = rand64([3, 4], 1);
  const b = rand64([3, 4], 2);
  assertGrad((a, b) => a.add(b), [a, b]);
  assertGrad((a, b) => a.sub(b), [a, b]);
  assertGrad((a, b) => a.mul(b), [a, b]);
  const pos = rand64([3, 4], 3, [0.5, 2]);
  assertGrad((a, p) => a.div(p), [a, pos]);
  assertGrad((x) => x.neg(), [a]);
  assertGrad((x) => x.exp(), [a]);
  assertGrad((p) => p.log(), [pos]);
  assertGrad((p) => p.sqrt(), [pos]);
  assertGrad((p) => p.pow(3), [pos]);
  assertGrad((p) => p.pow(-0.5), [pos]);
  assertGrad((x) => x.sigmoid(), [a]);
  assertGrad((x) => x.tanh(), [a]);
  assertGrad((x) => x.relu(), [awayFromZero(rand64([5, 3], 4))]);
  assertGrad((x) => x.abs(), [awayFromZero(rand64([5, 3], 5))]);
  assertGrad((x) => x.mul(x), [a]); // a tensor used twice gets both contributions
});

test('broadcasting: gradients are summed over the broadcast axes', () => {
  const a = rand64([2, 3, 4], 6);
  const row = rand64([4], 7);
  const col = rand64([3, 1], 8);
  assertGrad((a, r) => a.add(r), [a, row]);
  assertGrad((a, c) => a.mul(c), [a, col]);
  assertGrad((c, r) => c.sub(r), [col, row]);
  assertGrad((a, c) => a.div(c.abs().add(1)), [a, awayFromZero(col)]);
  assert.deepEqual(tensor([[1], [2]]).add(tensor([10, 20, 30])).toArray(), [11, 21, 31, 12, 22, 32]);
  assert.throws(() => tensor([1, 2, 3]).add(tensor([1, 2])), /add: shapes \(3\) and \(2\) cannot be broadcast together/);
});

test('reductions: sum, mean and max over axes', () => {
  const x = rand64([3, 4, 5], 9);
  assertGrad((x) => x.sum(), [x]);
  assertGrad((x) => x.sum([0, 2]), [x]);
  assertGrad((x) => x.mean(1, true), [x]);
  assertGrad((x) => x.max(2), [x]);
  assertGrad((x) => x.max([0, 1]), [x]);
  const t = tensor([[1, 5, 2], [7, 3, 4]]);
  assert.deepEqual(t.sum(1).toArray(), [8, 14]);
  assert.deepEqual(t.max(0).toArray(), [7, 5, 4]);
  assert.deepEqual(t.mean().toArray(), [22 / 6].map((v) => Math.fround(v)));
  assert.deepEqual(Array.from(t.argmax(1)), [1, 0]);
  assert.throws(() => t.sum(2), /sum: axis 2 is out of range for a tensor of rank 2/);
});

test('shape ops: reshape, transpose, slice, pad, concat', () => {
  const x = rand64([2, 3, 4], 10);
  assertGrad((x) => x.reshape([6, 4]).mul(x.reshape([6, 4])), [x]);
  assertGrad((x) => x.transpose([2, 0, 1]), [x]);
  assertGrad((x) => x.slice([0, 1, 1], [2, 3, 3]), [x]);
  assertGrad((x) => x.pad([[0, 0], [1, 2], [0, 1]]), [x]);
  const y = rand64([2, 2, 4], 11);
  assertGrad((x, y) => ops.concat([x, y], 1), [x, y]);
  const t = tensor([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(t.transpose().toArray(), [1, 4, 2, 5, 3, 6]);
  assert.deepEqual(t.slice([0, 1], [2, 3]).toArray(), [2, 3, 5, 6]);
  assert.deepEqual(t.pad([[0, 0], [1, 0]]).toArray(), [0, 1, 2, 3, 0, 4, 5, 6]);
  assert.deepEqual(ops.concat([t, t], 0).shape, [4, 3]);
  assert.deepEqual(t.reshape([-1]).shape, [6]);
  assert.throws(() => t.reshape([4, 2]), /reshape: cannot reshape \(2,3\) \(6 elements\) to \(4,2\)/);
  assert.throws(() => t.slice([0, 0], [3, 1]), /slice: range \[0, 3\) is outside axis 0 of size 2/);
});

test('matmul and linear: values and gradients', () => {
  const a = rand64([3, 5], 12);
  const b = rand64([5, 2], 13);
  assertGrad((a, b) => a.matmul(b), [a, b]);
  const x = rand64([4, 6], 14);
  const w = rand64([3, 6], 15);
  const bias = rand64([3], 16);
  assertGrad((x, w, b) => ops.linear(x, w, b), [x, w, bias]);
  assertGrad((x, w, b) => ops.linear(x, w, b, 'linear', { relu: true }), [x, w, bias]);
  const fused = ops.linear(x, w, bias, 'linear', { relu: true }).toArray();
  assert.deepEqual(fused, ops.linear(x, w, bias).relu().toArray());
  assert.ok(fused.some((v) => v === 0) && fused.some((v) => v > 0), 'the ReLU cuts some outputs and keeps others');
  assert.deepEqual(tensor([[1, 2], [3, 4]]).matmul(tensor([[5], [6]])).toArray(), [17, 39]);
  assert.throws(() => tensor([[1, 2]]).matmul(tensor([[1, 2]])), /matmul: expected \(M,K\)·\(K,N\), got \(1,2\)·\(1,2\)/);
});

test('softmax, log-softmax, cross-entropy and MSE', () => {
  const x = rand64([4, 5], 17);
  assertGrad((x) => x.softmax(), [x]);
  assertGrad((x) => x.logSoftmax(), [x]);
  assertGrad((x) => x.softmax(0), [x]);
  assertGrad((x) => crossEntropy(x, [0, 3, 4, 1]), [x]);
  const t = rand64([4, 5], 18);
  t.requiresGrad = false;
  assertGrad((x) => mseLoss(x, t), [x]);
  const p = tensor([[1, 2, 3]]).softmax();
  assertClose(p.toArray(), [0.09003057, 0.24472847, 0.66524096], 1e-6);
  // Large logits do not overflow (log-sum-exp).
  const big = tensor([[1000, 0]]).logSoftmax().toArray();
  assertClose(big, [0, -1000], 1e-6);
  // CE = −log softmax at the label.
  assertClose([crossEntropy(tensor([[1, 2, 3]]), [2]).item()], [-Math.log(0.66524096)], 1e-5);
  assert.throws(() => crossEntropy(tensor([[1, 2, 3]]), [3]), /label 3 at row 0 is not a class index in \[0, 2\]/);
  assert.throws(() => crossEntropy(tensor([[1, 2, 3]]), [0, 1]), /2 labels for 1 rows of logits/);
});

test('dropout: scales survivors in training, identity in evaluation', () => {
  const x = tensor(new Array(1000).fill(1), [1000]);
  const y = ops.dropout(x, 0.5, true);
  const kept = y.toArray().filter((v) => v !== 0);
  assert.ok(kept.every((v) => v === 2));
  assert.ok(kept.length > 400 && kept.length < 600, `kept ${kept.length} of 1000`);
  assert.equal(ops.dropout(x, 0.5, false), x);
});

test('backward accumulates and noGrad records nothing', async () => {
  const { noGrad } = await import('../autograd/engine.js');
  const w = tensor([2], [1], { requiresGrad: true });
  w.mul(3).sum().backward();
  w.mul(4).sum().backward();
  assert.deepEqual(w.grad!.toArray(), [7]);
  const y = noGrad(() => w.mul(2));
  assert.equal(y.requiresGrad, false);
  assert.throws(() => y.sum().backward(), /does not require grad/);
  assert.throws(() => w.mul(tensor([1, 2])).backward(), /needs an explicit gradient/);
});
