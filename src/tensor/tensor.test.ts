// The Tensor methods a PyTorch user reaches for first: item, numel, dim, tolist, detach; and countCorrect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, zeros, countCorrect } from '../index.js';   // the public entry, which attaches every Tensor method

test('numel, dim, shape and size', () => {
  const x = zeros([2, 3, 4]);
  assert.equal(x.numel(), 24);
  assert.equal(x.size, 24, 'size is the element count here (PyTorch’s size() is x.shape)');
  assert.equal(x.dim(), 3);
  assert.deepEqual(x.shape, [2, 3, 4]);
  assert.equal(tensor(5).dim(), 0);
  assert.equal(tensor(5).numel(), 1);
});

test('tolist gives nested arrays in the tensor’s shape', () => {
  assert.deepEqual(tensor([1, 2, 3, 4, 5, 6], [2, 3]).tolist(), [[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(tensor([1, 2, 3, 4, 5, 6], [3, 2]).tolist(), [[1, 2], [3, 4], [5, 6]]);
  const cube = [[[1, 2], [3, 4]], [[5, 6], [7, 8]], [[9, 10], [11, 12]]];
  assert.deepEqual(tensor(cube).tolist(), cube);
  assert.deepEqual(tensor([7, 8]).tolist(), [7, 8]);
  assert.equal(tensor(2.5).tolist(), 2.5);
  assert.deepEqual(zeros([2, 0]).tolist(), [[], []]);
  assert.deepEqual(tensor(cube).transpose([2, 0, 1]).tolist(), [[[1, 3], [5, 7], [9, 11]], [[2, 4], [6, 8], [10, 12]]]);
});

test('item and detach: the loss as a number, values cut from the graph', () => {
  const w = tensor([3], [1], { requiresGrad: true });
  const loss = w.mul(2).sum();
  assert.equal(loss.item(), 6);
  const d = loss.detach();
  assert.equal(d.requiresGrad, false);
  assert.equal(d.gradFn, null);
  assert.equal(d.item(), 6);
  assert.throws(() => w.mul(tensor([1, 2])).item(), /item: expected a tensor with one element, got shape \(2\)/);
});

test('countCorrect: PyTorch’s (pred.argmax(1) == y).sum().item()', () => {
  const pred = tensor([[0.1, 0.9, 0], [2, 1, 0], [0, 0, 5], [1, 3, 2]]);   // predicted classes 1, 0, 2, 1
  assert.equal(countCorrect(pred, [1, 0, 2, 1]), 4);
  assert.equal(countCorrect(pred, new Int32Array([1, 1, 2, 0])), 2);
  assert.equal(countCorrect(pred, [0, 1, 0, 0]), 0);
  assert.throws(() => countCorrect(pred, [1, 0]), /countCorrect: expected predictions \(N,classes\) with N = 2 labels, got \(4,3\)/);
});
