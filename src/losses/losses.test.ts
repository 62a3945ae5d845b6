// Loss functions: values worked by hand, their gradients, and their errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CrossEntropyLoss, MSELoss, crossEntropy, mseLoss } from './index.js';
import { tensor } from '../tensor/tensor.js';
import { assertClose, assertGrad, rand64 } from '../testing/helpers.js';

test('mseLoss: mean of squared differences, gradient 2·(prediction − target)/count', () => {
  const pred = tensor([1, 2, 3], [3], { requiresGrad: true });
  const target = tensor([0, 2, 5]);
  const loss = mseLoss(pred, target); // (1 + 0 + 4) / 3
  assertClose([loss.item()], [5 / 3], 1e-6);
  assert.deepEqual(loss.shape, []);
  loss.backward();
  assertClose(pred.grad!.toArray(), [2 / 3, 0, -4 / 3], 1e-6);
  const t = rand64([2, 3], 2);
  t.requiresGrad = false;
  assertGrad((p) => mseLoss(p, t), [rand64([2, 3], 1)]);
  assert.throws(() => mseLoss(tensor([1, 2, 3]), tensor([1, 2])), /^Error: mseLoss: prediction \(3\) and target \(2\) must have the same shape$/);
  assert.throws(() => mseLoss(tensor([1, 2, 3, 4], [2, 2]), tensor([1, 2, 3, 4], [4])), /mseLoss: prediction \(2,2\) and target \(4\) must have the same shape/);
});

test('the loss classes compute the same as the functions', () => {
  const logits = tensor([[1, 2, 3], [0.5, -1, 2]]);
  assert.equal(new CrossEntropyLoss().forward(logits, [2, 0]).item(), crossEntropy(logits, [2, 0]).item());
  assertClose([crossEntropy(logits, [2, 0]).item()], [(-Math.log(0.66524096) - Math.log(Math.exp(0.5) / (Math.exp(0.5) + Math.exp(-1) + Math.exp(2)))) / 2], 1e-5);
  const p = tensor([1, 2]);
  const q = tensor([2, 4]);
  assert.equal(new MSELoss().forward(p, q).item(), mseLoss(p, q).item());
  assert.equal(new MSELoss().forward(p, q).item(), 2.5);
  assert.throws(() => new MSELoss().forward(p, tensor([1])), /mseLoss: prediction \(2\) and target \(1\)/);
  assert.throws(() => new CrossEntropyLoss().forward(logits, [3, 0]), /crossEntropy: label 3 at row 0/);
});
