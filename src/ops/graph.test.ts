// What the ops record in the autograd graph and where their gradients go: the op names that graph
// printing and error messages show, operands that are constants, missing biases, float64 kept
// float64, and each function of one number's derivative against its finite difference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ops from './index.js';
import { ABS, EXP, LOG, NEG, POW, RELU, SCALE, SIGMOID, SQRT, TANH, reluGrad } from './elementwise.js';
import { assertClose, assertGrad, rand64 } from '../testing/helpers.js';
import { Tensor, tensor } from '../tensor/tensor.js';
import { clearGrad } from '../autograd/engine.js';
import { registerBackend, setBackend } from '../backends/index.js';
import { Random } from '../tensor/random.js';
import type { ScalarFunction } from '../backends/backend.js';

test('each op records its name in the graph', () => {
  const x = rand64([2, 3], 1);
  const w = rand64([4, 3], 2);
  const img = rand64([1, 1, 4, 4], 3);
  const k = rand64([1, 1, 3, 3], 4);
  const names: Array<[string, Tensor]> = [
    ['add', x.add(x)], ['sub', x.sub(1)], ['mul', x.mul(2)], ['div', x.div(2)],
    ['neg', x.neg()], ['exp', x.exp()], ['log', x.abs().log()], ['sqrt', x.abs().sqrt()], ['abs', x.abs()],
    ['pow', x.pow(2)], ['scale', ops.scale(x, 3)], ['relu', x.relu()], ['sigmoid', x.sigmoid()], ['tanh', x.tanh()],
    ['sum', x.sum()], ['mul', x.mean()], ['max', x.max()],
    ['reshape', x.reshape([3, 2])], ['reshape', x.flatten(0)], ['transpose', x.transpose()], ['slice', x.slice([0, 0], [1, 1])],
    ['pad', x.pad([[1, 0], [0, 0]])], ['concat', ops.concat([x, x])],
    ['matmul', x.matmul(w.transpose())], ['linear', ops.linear(x, w, null)], ['linear+relu', ops.linear(x, w, null, 'fc', { relu: true })],
    ['conv2d', ops.conv2d(img, k, null)], ['conv2d+relu', ops.conv2d(img, k, null, { relu: true })],
    ['maxPool2d', ops.maxPool2d(img)], ['avgPool2d', ops.avgPool2d(img)],
    ['softmax', x.softmax()], ['logSoftmax', x.logSoftmax()], ['softmaxCrossEntropy', ops.softmaxCrossEntropy(x, [0, 2])],
  ];
  for (const [name, y] of names) assert.equal(y.gradFn?.op, name);
  assert.deepEqual([NEG, EXP, LOG, SQRT, ABS, POW, SCALE, RELU, SIGMOID, TANH].map((f) => f.name),
    ['neg', 'exp', 'log', 'sqrt', 'abs', 'pow', 'scale', 'relu', 'sigmoid', 'tanh']);
  assert.deepEqual(ops.linear(x, w, null).gradFn!.parents, [x, w]);
  assert.deepEqual(ops.conv2d(img, k, null).gradFn!.parents, [img, k]);
});

test('the op methods and backward() behave like methods written in the class body', () => {
  for (const name of ['add', 'matmul', 'softmax', 'sum', 'reshape', 'backward']) {
    const d = Object.getOwnPropertyDescriptor(Tensor.prototype, name);
    assert.deepEqual({ writable: d?.writable, configurable: d?.configurable, enumerable: d?.enumerable },
      { writable: true, configurable: true, enumerable: false }, name);
  }
  const t = tensor([1, 2]);
  assert.deepEqual(Object.keys(t).filter((k) => k === 'add' || k === 'backward'), []);
});

test('a number operand is a constant: no gradient for it, and no graph when nothing else needs one', () => {
  const c = tensor([1, 2, 3]);
  assert.equal(c.add(2).requiresGrad, false);
  assert.equal(c.mul(2).gradFn, null);
  const x = rand64([3], 5);
  const y = x.add(2);
  assert.equal(y.gradFn!.parents[1].requiresGrad, false);
  assert.deepEqual(ops.scale(tensor([1, -2]), 3).toArray(), [3, -6]);
});

test('gradients reach only the operands that require them, also through broadcasting', () => {
  const x = rand64([3, 4], 6);
  const col = rand64([3, 1], 7, [0.5, 2]);
  col.requiresGrad = false;
  // Constant first operand, broadcast: only the second gets a gradient.
  assertGrad((x) => col.mul(x), [x]);
  assertGrad((x) => col.div(x.abs().add(1)), [x]);
  assertGrad((x) => x.div(col), [x]);
  assertGrad((x) => x.div(3), [x]);
  assertGrad((c) => x.detach().mul(c), [rand64([3, 1], 8)]);
  // Fused layers without a bias, and with only some inputs requiring grad.
  const inp = rand64([2, 3], 9);
  const w = rand64([4, 3], 10);
  assertGrad((inp, w) => ops.linear(inp, w, null), [inp, w]);
  assertGrad((w) => ops.linear(inp.detach(), w, null), [w]);
  assertGrad((inp) => ops.linear(inp, w.detach(), null, 'fc', { relu: true }), [inp]);
  const img = rand64([2, 2, 5, 5], 11);
  const k = rand64([3, 2, 3, 3], 12);
  const b = rand64([3], 13);
  assertGrad((img, k) => ops.conv2d(img, k, null), [img, k]);
  assertGrad((b) => ops.conv2d(img.detach(), k.detach(), b), [b]);
  assertGrad((k) => ops.conv2d(img.detach(), k, b.detach()), [k]);
  const left = rand64([2, 2], 14).detach();
  assertGrad((b) => ops.concat([left, b], 1), [rand64([2, 3], 15)]);
  assertGrad((a) => ops.concat([a, rand64([1, 3], 16).detach(), a], 0), [rand64([2, 3], 17)]);
});

test('float64 gradients are computed in float64', () => {
  // Values that float32 cannot hold: a gradient rounded through float32 is off by ~1e-8 relative.
  const a = tensor([1 / 3, 2 / 7], [2], { dtype: 'float64', requiresGrad: true });
  const b = tensor([3 / 11, 5 / 13], [2], { dtype: 'float64', requiresGrad: true });
  a.mul(b).div(b.add(1)).sum().backward();
  const ga = [0, 1].map((i) => b.data[i] / (b.data[i] + 1));
  const gb = [0, 1].map((i) => a.data[i] / (b.data[i] + 1) ** 2);
  assertClose(a.grad!.toArray(), ga, 1e-15, 'da');
  assertClose(b.grad!.toArray(), gb, 1e-15, 'db');
});

/** f′ against the central difference of f at x (p the function's parameter). */
function checkDerivative(f: ScalarFunction, xs: number[], p = 0): void {
  const h = 1e-6;
  for (const x of xs) {
    const y = f.f(x, p);
    const numeric = (f.f(x + h, p) - f.f(x - h, p)) / (2 * h);
    const analytic = f.df(x, y, p);
    assert.ok(Math.abs(analytic - numeric) <= 1e-6 * (1 + Math.abs(numeric)), `${f.name}′(${x}) = ${analytic}, finite difference ${numeric}`);
  }
}

test('functions of one number: each derivative matches its finite difference', () => {
  const xs = [-2.5, -0.7, 0.3, 1.9];
  const pos = [0.2, 0.9, 2.6];
  checkDerivative(NEG, xs);
  checkDerivative(EXP, xs);
  checkDerivative(LOG, pos);
  checkDerivative(SQRT, pos);
  checkDerivative(ABS, xs);
  checkDerivative(POW, pos, 3);
  checkDerivative(POW, pos, -0.5);
  checkDerivative(SCALE, xs, -1.5);
  checkDerivative(RELU, xs);
  checkDerivative(SIGMOID, xs);
  checkDerivative(TANH, xs);
  // Values, including the ends and kinks the derivatives take a side on.
  assert.deepEqual([RELU.f(-1, 0), RELU.f(0, 0), RELU.f(2, 0)], [0, 0, 2]);
  assert.deepEqual([RELU.df(0, 0, 0), ABS.df(0, 0, 0), RELU.df(NaN, NaN, 0)], [0, 0, 0]);
  assert.equal(SIGMOID.f(-1000, 0), 0);
  assert.equal(SIGMOID.f(0, 0), 0.5);
  assert.equal(SCALE.f(3, -2), -6);
  assert.equal(POW.f(2, 3), 8);
});

test('reluGrad passes dy where the fused layer\'s output is positive', () => {
  const y = Float32Array.from([0, 1.5, 0, 3]);
  const dy = Float32Array.from([5, 6, 7, 8]);
  assert.deepEqual(Array.from(reluGrad(y, dy, 'float32')), [0, 6, 0, 8]);
  assert.ok(reluGrad(Float64Array.from(y), Float64Array.from(dy), 'float64') instanceof Float64Array);
});

test('dropout: the gradient goes through the kept units, scaled like them', () => {
  const x = tensor(new Array(200).fill(1.5), [200], { requiresGrad: true });
  const y = ops.dropout(x, 0.25, true, new Random(3));
  y.sum().backward();
  const kept = y.toArray().map((v) => v !== 0);
  assert.ok(kept.some((k) => !k) && kept.some((k) => k));
  assertClose(x.grad!.toArray(), kept.map((k) => (k ? 1 / 0.75 : 0)), 1e-6);
  assertClose(y.toArray(), kept.map((k) => (k ? 1.5 / 0.75 : 0)), 1e-6);
});

test('on the wasm backend, whose fresh buffers hold old values, fused-layer and softmax gradients match the reference', async () => {
  const { WasmBackend } = await import('../backends/wasm/index.js');
  registerBackend(new WasmBackend({ threads: 1 }));
  /** Four training steps of logSoftmax(linear(x)) on one backend; the gradients of every step. */
  const run = (name: string): number[] => {
    setBackend(name);
    try {
      const rng = new Random(21);
      const values = (n: number) => Array.from({ length: n }, () => rng.normal());
      const x = tensor(values(12), [4, 3], { requiresGrad: true });
      const w = tensor(values(15), [5, 3], { requiresGrad: true });
      const b = tensor(values(5), [5], { requiresGrad: true });
      const r = tensor(values(20), [4, 5]);
      const grads: number[] = [];
      // From the third step on, buffers freed at earlier step boundaries are handed out again.
      for (let step = 0; step < 4; step++) {
        for (const p of [x, w, b]) clearGrad(p);
        ops.linear(x, w, b, 'fc', { relu: step % 2 === 1 }).logSoftmax().mul(r).sum().backward();
        grads.push(...b.grad!.toArray(), ...w.grad!.toArray(), ...x.grad!.toArray());
      }
      return grads;
    } finally {
      setBackend('reference');
    }
  };
  assertClose(run('wasm'), run('reference'), 1e-5, 'gradients on wasm vs reference');
});
