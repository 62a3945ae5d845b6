// The autograd engine on its own: grad mode, how gradients accumulate, the order of the backward
// pass, and the errors backward() gives. The ops are only the means; each test pins one rule of
// src/autograd/engine.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accumulate, isGradEnabled, noGrad, result } from './engine.js';
import { backend, registerBackend, setBackend } from '../backends/index.js';
import { referenceBackend } from '../backends/reference/index.js';
import { tensor, type Tensor } from '../tensor/tensor.js';
import '../ops/methods.js';

test('noGrad: switches graph recording off inside, back on after, even when fn throws', () => {
  assert.equal(isGradEnabled(), true);
  const w = tensor([2, 3], [2], { requiresGrad: true });
  const inside = noGrad(() => {
    assert.equal(isGradEnabled(), false);
    noGrad(() => assert.equal(isGradEnabled(), false));
    assert.equal(isGradEnabled(), false, 'a nested noGrad restores the outer (off) state');
    return w.mul(2);
  });
  assert.equal(inside.requiresGrad, false);
  assert.equal(inside.gradFn, null);
  assert.deepEqual(inside.toArray(), [4, 6]);
  assert.equal(isGradEnabled(), true);
  assert.throws(() => noGrad(() => { throw new Error('boom'); }), /boom/);
  assert.equal(isGradEnabled(), true, 'grad mode is restored after fn throws');
  const outside = w.mul(2);
  assert.equal(outside.requiresGrad, true);
  assert.equal(outside.gradFn?.op, 'mul');
  assert.deepEqual(outside.gradFn?.parents.length, 2);
});

test('result: records a node only when some parent requires grad', () => {
  const c = tensor([1, 2], [2]);
  const y = c.mul(3);
  assert.equal(y.requiresGrad, false);
  assert.equal(y.gradFn, null);
  const w = tensor([1, 2], [2], { requiresGrad: true });
  const z = c.add(w);
  assert.equal(z.requiresGrad, true);
  assert.deepEqual(z.gradFn?.parents, [c, w]);
});

test('backward: the errors name the problem and the shapes', () => {
  const c = tensor([1, 2], [2]);
  assert.throws(() => c.backward(), /^Error: backward: this tensor does not require grad/);
  const w = tensor([1, 2, 3], [3], { requiresGrad: true });
  assert.throws(() => w.mul(2).backward(), /^Error: backward: a tensor of shape \(3\) needs an explicit gradient; call it on a scalar loss or pass grad$/);
  assert.throws(() => w.mul(2).backward(tensor([1, 1], [2])),
    /^Error: backward: gradient of shape \(2\) given for a tensor of shape \(3\)$/);
  const empty = tensor([], [0], { requiresGrad: true });
  assert.throws(() => empty.backward(), /^Error: backward: empty tensor$/);
  assert.throws(() => accumulate(w, new Float32Array(2)), /^Error: internal: gradient of length 2 for tensor of shape \(3\)$/);
});

test('backward: an explicit gradient seeds the pass and is not modified', () => {
  const w = tensor([1, 2, 3], [3], { requiresGrad: true });
  const g = tensor([0.5, -1, 2], [3]);
  w.mul(tensor([2, 3, 4], [3])).backward(g);
  assert.deepEqual(w.grad!.toArray(), [1, -3, 8]);
  w.backward(g); // a leaf as the root: its gradient is the seed, copied
  assert.deepEqual(w.grad!.toArray(), [1.5, -4, 10]);
  assert.deepEqual(g.toArray(), [0.5, -1, 2], 'the caller\'s gradient is left as it was');
});

test('accumulate: leaves sum contributions across passes; tensors without requiresGrad get none', () => {
  const a = tensor([1, 2], [2], { requiresGrad: true });
  const b = tensor([3, 4], [2], { requiresGrad: true });
  const c = tensor([5, 6], [2]);
  // y = a + b + c: both leaves receive the same dy. Each keeps its own gradient array.
  a.add(b).add(c).backward(tensor([1, 10], [2]));
  assert.deepEqual(a.grad!.toArray(), [1, 10]);
  assert.deepEqual(b.grad!.toArray(), [1, 10]);
  assert.equal(a.grad!.requiresGrad, false, 'a gradient is a plain constant, not part of any graph');
  assert.equal(c.grad, null);
  a.mul(3).sum().backward();
  assert.deepEqual(a.grad!.toArray(), [4, 13], 'the second pass adds to the first');
  assert.deepEqual(b.grad!.toArray(), [1, 10], 'b\'s gradient did not change with a\'s (no shared array)');
  // Same with a − b and a·1: the gradient handed to one operand is not the other's.
  const p = tensor([1, 2], [2], { requiresGrad: true });
  const q = tensor([3, 4], [2], { requiresGrad: true });
  p.sub(q).backward(tensor([1, 2], [2]));
  p.sum().backward();
  assert.deepEqual(p.grad!.toArray(), [2, 3]);
  assert.deepEqual(q.grad!.toArray(), [-1, -2]);
  // Outside a backward pass, accumulate writes the .grad of any tensor that requires grad.
  const h = a.mul(2);
  accumulate(h, Float32Array.from([7, 8]));
  assert.deepEqual(h.grad!.toArray(), [7, 8]);
  accumulate(c, Float32Array.from([7, 8]));
  assert.equal(c.grad, null);
});

test('a tensor that feeds two consumers gets both contributions, before its own backward runs', () => {
  const x = tensor([2], [1], { dtype: 'float64', requiresGrad: true });
  const h = x.mul(3); // h feeds both terms: y = h² + 5h, dy/dx = (2h + 5)·3 = 51
  h.mul(h).add(h.mul(5)).sum().backward();
  assert.deepEqual(x.grad!.toArray(), [51]);
  assert.equal(h.grad, null, 'intermediate tensors keep no .grad');
  // A deep graph where each value is used twice: y = 2⁴⁰·x. Each node is visited once, so this is
  // 40 steps, not 2⁴⁰ (a walk that revisits shared nodes never ends).
  let y: Tensor = x;
  for (let i = 0; i < 40; i++) y = y.add(y);
  x.grad = null;
  y.sum().backward();
  assert.deepEqual(x.grad!.toArray(), [2 ** 40]);
});

test('a node that receives no gradient is skipped, and its parents get nothing from it', () => {
  const x = tensor([1, 2], [2], { requiresGrad: true });
  const h = x.mul(2);
  // A custom op that passes no gradient back (like a stop-gradient).
  const stop = result(h.data, h.shape, 'stop', [h], () => {});
  stop.add(x).sum().backward();
  assert.deepEqual(x.grad!.toArray(), [1, 1]);
});

test('backward ends a training step once: the backend hears one step boundary per outermost pass', () => {
  let boundaries = 0;
  registerBackend({ ...referenceBackend, name: 'counting', stepBoundary: () => { boundaries++; } });
  setBackend('counting');
  try {
    assert.equal(backend().name, 'counting');
    const w = tensor([1, 2], [2], { requiresGrad: true });
    w.mul(w).sum().backward();
    assert.equal(boundaries, 1);
    // A backward run inside another pass's backward (a custom op that differentiates a helper
    // graph) is part of that step: only the outer pass marks a boundary.
    const inner = tensor([3], [1], { requiresGrad: true });
    const op = result(w.data, w.shape, 'nested', [w], (dy) => {
      inner.mul(2).sum().backward();
      accumulate(w, dy);
    });
    op.sum().backward();
    assert.equal(boundaries, 2);
    assert.deepEqual(inner.grad!.toArray(), [2]);
    assert.deepEqual(w.grad!.toArray(), [3, 5]);
    // After the passes, accumulate on a non-leaf writes .grad again (no pass is open).
    const h = w.mul(1);
    accumulate(h, Float32Array.from([1, 1]));
    assert.deepEqual(h.grad!.toArray(), [1, 1]);
  } finally {
    setBackend('reference');
  }
});

test('on a backend that reclaims step memory, a leaf\'s gradient outlives the step boundaries', async () => {
  const { WasmBackend } = await import('../backends/wasm/index.js');
  registerBackend(new WasmBackend({ threads: 1 }));
  setBackend('wasm');
  try {
    const w = tensor([1, 2], [2], { requiresGrad: true });
    for (let step = 0; step < 3; step++) w.mul(tensor([2, 3], [2])).sum().backward();
    assert.deepEqual(w.grad!.toArray(), [6, 9]);
  } finally {
    setBackend('reference');
  }
});
