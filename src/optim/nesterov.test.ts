// SGD with Nesterov momentum against two steps worked by hand (PyTorch's rule, scikit-learn's at a constant rate).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SGD } from './index.js';
import { tensor } from '../tensor/tensor.js';
import { assertClose } from '../testing/helpers.js';
import '../ops/methods.js';

test('SGD nesterov: v ← μv + g, p ← p − lr·(g + μv)', () => {
  const p = tensor([1, -1], [2], { requiresGrad: true });
  const opt = new SGD([p], { lr: 0.1, momentum: 0.9, nesterov: true });
  const after: number[][] = [];
  for (let step = 0; step < 2; step++) {
    opt.zeroGrad();
    p.mul(tensor([2, -4], [2])).sum().backward(); // gradient (2, −4) at every step
    opt.step();
    after.push(Array.from(p.data));
  }
  // Step 1: v = g = (2, −4); p = (1, −1) − 0.1·(g + 0.9·v) = (0.62, −0.24).
  // Step 2: v = 0.9·(2, −4) + g = (3.8, −7.6); p −= 0.1·(g + 0.9·v) = (0.078, 0.844).
  assertClose(after[0], [0.62, -0.24], 1e-6, 'after step 1');
  assertClose(after[1], [0.078, 0.844], 1e-6, 'after step 2');
  assert.throws(() => new SGD([p], { lr: 0.1, nesterov: true }), /^Error: SGD: nesterov needs momentum > 0, got momentum 0$/);
});
