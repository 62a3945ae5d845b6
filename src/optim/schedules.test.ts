// Learning-rate schedules against values worked by hand, and the checks every optimizer shares.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Adam, CosineLR, SGD, StepLR } from './index.js';
import { tensor } from '../tensor/tensor.js';
import { assertClose } from '../testing/helpers.js';
import '../ops/methods.js';

test('StepLR: the rate is multiplied by gamma every stepSize epochs', () => {
  const s = new StepLR(0.1, 3, 0.5);
  assertClose([0, 2, 3, 5, 6, 9].map((e) => s.rate(e)), [0.1, 0.1, 0.05, 0.05, 0.025, 0.0125], 1e-15);
  assertClose([new StepLR(1, 2).rate(1), new StepLR(1, 2).rate(2), new StepLR(1, 2).rate(4)], [1, 0.1, 0.01], 1e-15, 'default gamma 0.1');
});

test('CosineLR: half a cosine from the base rate down to min, then flat', () => {
  const s = new CosineLR(1, 10, 0.1);
  // rate(t) = min + ½(base − min)(1 + cos(π·t/total))
  const expected = (t: number) => 0.1 + 0.45 * (1 + Math.cos((Math.PI * t) / 10));
  assertClose([0, 2.5, 5, 7, 10].map((t) => s.rate(t)), [1, expected(2.5), 0.55, expected(7), 0.1], 1e-15);
  assert.equal(s.rate(20), s.rate(10), 'past total the rate stays at min');
  assertClose([new CosineLR(2, 4).rate(4), new CosineLR(2, 4).rate(2)], [0, 1], 1e-15, 'default min 0');
});

test('optimizers refuse a bad learning rate and an empty parameter list', () => {
  const p = [tensor([1, 2], [2], { requiresGrad: true })];
  for (const lr of [0, -0.1, NaN, Infinity]) {
    assert.throws(() => new SGD(p, { lr }), new RegExp(`^Error: optimizer: learning rate must be a positive number, got ${lr}$`));
  }
  assert.throws(() => new Adam(p, { lr: -1 }), /^Error: optimizer: learning rate must be a positive number, got -1$/);
  assert.throws(() => new SGD([], { lr: 0.1 }), /^Error: optimizer: got no parameters to optimize$/);
  assert.equal(new Adam(p).lr, 0.001, 'Adam\'s default rate');
  assert.equal(new SGD(p, { lr: 1e-9 }).lr, 1e-9);
});

test('zeroGrad clears every parameter\'s gradient; a schedule\'s rate is used by the next step', () => {
  const w = tensor([1, 2], [2], { requiresGrad: true });
  const opt = new SGD([w], { lr: 0.5 });
  w.mul(tensor([2, 4], [2])).sum().backward();
  opt.step();
  assert.deepEqual(w.toArray(), [0, 0]);
  opt.zeroGrad();
  assert.equal(w.grad, null);
  w.mul(tensor([2, 4], [2])).sum().backward();
  opt.lr = new StepLR(0.5, 1, 0.5).rate(1);
  opt.step();
  assert.deepEqual(w.toArray(), [-0.5, -1]);
});
