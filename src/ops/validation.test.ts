// Bad input to the ops: every check gives its own message, naming the op, what it received and
// what it expected; and the edge cases just inside each check are accepted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ops from './index.js';
import { tensor, zeros } from '../tensor/tensor.js';
import { crossEntropy } from '../losses/index.js';
import { registerBackend, setBackend } from '../backends/index.js';
import { WasmBackend } from '../backends/wasm/index.js';

const t23 = () => tensor([[1, 2, 3], [4, 5, 6]]);

test('reshape: infers one −1 axis, refuses shapes that do not hold the elements', () => {
  const t = t23();
  assert.deepEqual(t.reshape([-1, 2]).shape, [3, 2]);
  assert.deepEqual(t.reshape([3, -1]).toArray(), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(zeros([0, 2]).reshape([3, 0]).shape, [3, 0], 'a zero-size axis is allowed');
  assert.throws(() => zeros([0, 2]).reshape([0, -1]), /reshape: cannot reshape \(0,2\) \(0 elements\) to \(0,-1\)/); // nothing to infer from
  assert.throws(() => t.reshape([-1, 4]), /^Error: reshape: cannot reshape \(2,3\) \(6 elements\) to \(-1,4\)$/); // 1.5 rows
  assert.throws(() => t.reshape([-2, -3]), /reshape: cannot reshape \(2,3\) \(6 elements\) to \(-2,-3\)/);
  assert.throws(() => t.reshape([-1, -1, 6]), /reshape: cannot reshape \(2,3\) \(6 elements\) to \(-1,-1,6\)/);
  assert.throws(() => t.flatten(2), /^Error: flatten: axis 2 is out of range for a tensor of rank 2$/);
  assert.deepEqual(tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]).flatten().shape, [2, 4]);
  assert.deepEqual(ops.flatten(tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2])).shape, [2, 4]);
});

test('transpose: default reverses the axes; a permutation must fit the rank', () => {
  const x = zeros([2, 3, 4]);
  assert.deepEqual(x.transpose().shape, [4, 3, 2]);
  assert.throws(() => t23().transpose([0, 0]), /^Error: transpose: permutation \[0,0\] does not fit a tensor of rank 2$/);
  assert.throws(() => t23().transpose([1, 0, 2]), /^Error: transpose: permutation \[1,0,2\] does not fit a tensor of rank 2$/);
  assert.throws(() => t23().transpose([1]), /transpose: permutation \[1\] does not fit a tensor of rank 2/);
});

test('slice: one start and end per axis, integers with 0 ≤ start ≤ end ≤ size', () => {
  const t = t23();
  assert.throws(() => t.slice([0], [1, 1]), /^Error: slice: expected 2 starts and ends for shape \(2,3\), got 1 and 2$/);
  assert.throws(() => t.slice([0, 0], [1]), /^Error: slice: expected 2 starts and ends for shape \(2,3\), got 2 and 1$/);
  const outside = (s: number, e: number) => new RegExp(`^Error: slice: range \\[${s}, ${e}\\) is outside axis 1 of size 3 in shape \\(2,3\\)$`);
  assert.throws(() => t.slice([0, 0.5], [2, 2]), outside(0.5, 2));
  assert.throws(() => t.slice([0, 0], [2, 1.5]), outside(0, 1.5));
  assert.throws(() => t.slice([0, -1], [2, 2]), outside(-1, 2));
  assert.throws(() => t.slice([0, 2], [2, 1]), outside(2, 1));
  assert.throws(() => t.slice([0, 0], [2, 4]), outside(0, 4));
  assert.deepEqual(t.slice([0, 1], [2, 1]).shape, [2, 0], 'start = end: an empty slice');
  assert.deepEqual(t.slice([0, 0], [2, 3]).toArray(), [1, 2, 3, 4, 5, 6], 'end = size');
});

test('pad: one [before, after] pair of non-negative integers per axis', () => {
  const t = t23();
  const msg = /^Error: pad: expected 2 pairs of non-negative integers for shape \(2,3\)$/;
  assert.throws(() => t.pad([[0, 0]]), msg);
  assert.throws(() => t.pad([[0, 0], [0.5, 0]]), msg);
  assert.throws(() => t.pad([[0, 0], [0, 0.5]]), msg);
  assert.throws(() => t.pad([[0, 0], [-1, 0]]), msg);
  assert.throws(() => t.pad([[0, 0], [0, -1]]), msg);
  assert.deepEqual(t.pad([[0, 0], [0, 1]]).toArray(), [1, 2, 3, 0, 4, 5, 6, 0]);
});

test('concat: at least one tensor, same rank, same sizes outside the axis', () => {
  const t = t23();
  assert.throws(() => ops.concat([]), /^Error: concat: expected at least one tensor$/);
  assert.throws(() => ops.concat([t, tensor([1, 2, 3])]), /^Error: concat: shapes \(2,3\) and \(3\) differ outside axis 0$/);
  assert.throws(() => ops.concat([t, zeros([2, 4])], 0), /^Error: concat: shapes \(2,3\) and \(2,4\) differ outside axis 0$/);
  assert.throws(() => ops.concat([t, t], 2), /^Error: concat: axis 2 is out of range for a tensor of rank 2$/);
  const right = tensor([[7], [8]]);
  assert.deepEqual(ops.concat([t, right], 1).toArray(), [1, 2, 3, 7, 4, 5, 6, 8]);
  assert.deepEqual(ops.concat([t, right], -1).shape, [2, 4]);
  assert.deepEqual(ops.concat([t, t]).toArray(), [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6], 'axis 0 by default');
});

test('reductions: the axis errors name the op; axes may repeat and come in any order', () => {
  const t = t23();
  assert.throws(() => t.mean(5), /^Error: mean: axis 5 is out of range for a tensor of rank 2$/);
  assert.throws(() => t.max(-3), /^Error: max: axis -3 is out of range for a tensor of rank 2$/);
  assert.throws(() => t.argmax(2), /^Error: argmax: axis 2 is out of range for a tensor of rank 2$/);
  const x = tensor(Array.from({ length: 24 }, (_, i) => (i * 7) % 11), [2, 3, 4]);
  assert.deepEqual(x.sum([2, 0]).toArray(), x.sum([0, 2]).toArray());
  assert.deepEqual(x.sum([2, 0]).shape, [3]);
  assert.deepEqual(x.max([2, 0], true).toArray(), x.max([0, 2], true).toArray());
  assert.deepEqual(x.sum([1, -2]).toArray(), x.sum(1).toArray());
  // The methods and the functions keep no axes unless asked.
  assert.deepEqual([t.sum(1).shape, t.mean(1).shape, t.max(1).shape], [[2], [2], [2]]);
  assert.deepEqual(Array.from(tensor([[1, 9, 3], [8, 2, 4]]).argmax()), [1, 0]);
  assert.deepEqual(ops.sum(t, 1).shape, [2]);
  assert.deepEqual(ops.mean(t, 1).shape, [2]);
  assert.deepEqual(ops.max(t, 1).shape, [2]);
  assert.deepEqual(ops.sum(t, 1, true).shape, [2, 1]);
  // argmax: the last axis by default; positions along the axis, also for a middle axis.
  assert.deepEqual(Array.from(ops.argmax(tensor([[1, 9, 3], [8, 2, 4]]))), [1, 0]);
  // x[i, :, k] for x (2,3,2): the largest of the three along axis 1.
  const m = tensor([5, 1, 2, 7, 9, 3, 0, 4, 6, 2, 1, 8], [2, 3, 2]);
  assert.deepEqual(Array.from(m.argmax(1)), [2, 1, 1, 2]);
  assert.deepEqual(Array.from(m.argmax(0)), [0, 1, 1, 0, 0, 1]);
  assert.deepEqual(Array.from(ops.argmax(m)), [0, 1, 0, 1, 0, 1], 'the last axis by default');
  // The same on the wasm backend, whose reduce kernel is told max or sum, and gives the positions of the maxima.
  registerBackend(new WasmBackend({ threads: 1 }));
  setBackend('wasm');
  try {
    const w = tensor([5, 1, 2, 7, 9, 3, 0, 4, 6, 2, 1, 8], [2, 3, 2]);
    assert.deepEqual([Array.from(w.argmax(1)), Array.from(w.argmax(0)), Array.from(w.argmax())], [[2, 1, 1, 2], [0, 1, 1, 0, 0, 1], [0, 1, 0, 1, 0, 1]]);
    assert.deepEqual(w.max(1).toArray(), [9, 7, 6, 8]);
    assert.deepEqual(w.sum(1).toArray(), [16, 11, 7, 14]);
  } finally {
    setBackend('reference');
  }
});

test('softmax and cross-entropy: axis and label errors', () => {
  assert.throws(() => t23().softmax(2), /^Error: softmax: axis 2 is out of range for a tensor of rank 2$/);
  assert.throws(() => t23().logSoftmax(-3), /^Error: logSoftmax: axis -3 is out of range for a tensor of rank 2$/);
  // Along the first of three axes: every x[:, j, k] sums to 1.
  const x = tensor(Array.from({ length: 24 }, (_, i) => Math.sin(i)), [2, 3, 4]);
  const s = x.softmax(0).toArray();
  for (let i = 0; i < 12; i++) assert.ok(Math.abs(s[i] + s[i + 12] - 1) < 1e-6, `column ${i} sums to ${s[i] + s[i + 12]}`);
  assert.deepEqual(x.softmax(0).shape, [2, 3, 4]);
  assert.deepEqual(x.softmax(2).toArray(), x.softmax().toArray(), 'the last axis by default');
  assert.deepEqual(x.logSoftmax(2).toArray(), x.logSoftmax().toArray(), 'the last axis by default');
  assert.deepEqual(ops.softmax(x).toArray(), x.softmax(2).toArray(), 'the function too');
  assert.deepEqual(ops.logSoftmax(x).toArray(), x.logSoftmax(2).toArray(), 'the function too');
  const logits = tensor([[1, 2, 3]]);
  assert.throws(() => crossEntropy(tensor([1, 2, 3]), [0]), /^Error: crossEntropy: expected logits \(N,classes\), got \(3\)$/);
  assert.throws(() => crossEntropy(logits, [-1]), /^Error: crossEntropy: label -1 at row 0 is not a class index in \[0, 2\]$/);
  assert.throws(() => crossEntropy(logits, [0.5]), /^Error: crossEntropy: label 0.5 at row 0 is not a class index in \[0, 2\]$/);
  assert.throws(() => crossEntropy(tensor([[1, 2], [3, 4]]), [1, 2]), /^Error: crossEntropy: label 2 at row 1 is not a class index in \[0, 1\]$/);
  assert.throws(() => crossEntropy(logits, []), /^Error: crossEntropy: 0 labels for 1 rows of logits; expected one label per row$/);
  const fromInt32 = crossEntropy(logits, Int32Array.from([2])).item();
  assert.equal(fromInt32, crossEntropy(logits, [2]).item());
});

test('matmul and linear: shape errors', () => {
  const m = tensor([[1, 2], [3, 4]]);
  assert.throws(() => tensor([1, 2]).matmul(m), /^Error: matmul: expected \(M,K\)·\(K,N\), got \(2\)·\(2,2\)$/);
  assert.throws(() => m.matmul(tensor([1, 2])), /^Error: matmul: expected \(M,K\)·\(K,N\), got \(2,2\)·\(2\)$/);
  assert.throws(() => zeros([1, 2, 1]).matmul(m), /^Error: matmul: expected \(M,K\)·\(K,N\), got \(1,2,1\)·\(2,2\)$/);
  const w = zeros([4, 3]);
  assert.throws(() => ops.linear(zeros([2, 4]), w, null), /^Error: linear: expected input \(N,3\), got \(2,4\)$/);
  assert.throws(() => ops.linear(zeros([2, 3, 1]), w, null, 'Linear(3, 4)'), /^Error: Linear\(3, 4\): expected input \(N,3\), got \(2,3,1\)$/);
});

test('conv2d and pooling: rank, channels and window errors; a window that just fits is accepted', () => {
  const w = zeros([2, 3, 3, 3]);
  assert.throws(() => ops.conv2d(zeros([1, 3, 5]), w, null), /^Error: conv2d: expected input \(N,3,H,W\), got \(1,3,5\)$/);
  assert.throws(() => ops.conv2d(zeros([1, 2, 5, 5]), w, null), /^Error: conv2d: expected input \(N,3,H,W\), got \(1,2,5,5\)$/);
  assert.throws(() => ops.conv2d(zeros([1, 3, 2, 5]), w, null), /^Error: conv2d: a 3×3 kernel with padding 0 does not fit a 2×5 input$/);
  assert.throws(() => ops.conv2d(zeros([1, 3, 5, 2]), w, null), /^Error: conv2d: a 3×3 kernel with padding 0 does not fit a 5×2 input$/);
  assert.deepEqual(ops.conv2d(zeros([1, 3, 3, 3]), w, null).shape, [1, 2, 1, 1]);
  assert.deepEqual(ops.conv2d(zeros([1, 3, 1, 1]), w, null, { padding: 1 }).shape, [1, 2, 1, 1]);
  assert.throws(() => ops.maxPool2d(zeros([1, 1, 1, 4])), /^Error: maxPool2d: a 2×2 window does not fit a 1×4 input$/);
  assert.throws(() => ops.avgPool2d(zeros([1, 1, 4, 1])), /^Error: avgPool2d: a 2×2 window does not fit a 4×1 input$/);
  assert.throws(() => ops.avgPool2d(zeros([4, 4])), /^Error: avgPool2d: expected input \(N,C,H,W\), got \(4,4\)$/);
  assert.deepEqual(ops.maxPool2d(zeros([1, 1, 2, 2])).shape, [1, 1, 1, 1]);
  assert.deepEqual(ops.avgPool2d(zeros([1, 1, 2, 2])).shape, [1, 1, 1, 1]);
});

test('dropout: p must lie in [0, 1); p = 0 or evaluation passes x through', () => {
  const x = tensor([1, 2, 3, 4]);
  for (const p of [-0.1, 1, 1.5, NaN]) {
    assert.throws(() => ops.dropout(x, p, true), new RegExp(`^Error: dropout: probability p=${p} is outside \\[0, 1\\)$`));
  }
  assert.equal(ops.dropout(x, 0, true), x);
  assert.equal(ops.dropout(x, 0.5, false), x);
});
