// Layers: output shapes, gradient checks through whole layers, state dicts and errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertGrad, rand64 } from '../testing/helpers.js';
import { AvgPool2d, Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential, Sigmoid, Softmax, Tanh, moduleFromSpec } from './layers.js';
import { zeros } from '../tensor/tensor.js';
import { Random } from '../tensor/random.js';
import { cnn, dnn, mlp } from '../models/index.js';
import { summarize } from './summary.js';
import type { Module } from './module.js';
import { crossEntropy } from '../losses/index.js';
import '../ops/methods.js'; // .softmax() on tensors

/** Copy a float32 module's parameters into float64 tensors so finite differences are exact enough. */
function to64(m: Module): void {
  for (const p of m.parameters()) {
    const d = Float64Array.from(p.data);
    (p as unknown as { values: Float64Array }).values = d; // Tensor's storage field (behind the data getter)
  }
}

test('layers produce the documented output shapes', () => {
  const x = zeros([2, 1, 28, 28]);
  assert.deepEqual(new Conv2d({ inChannels: 1, outChannels: 30, kernelSize: 5 }).forward(x).shape, [2, 30, 24, 24]);
  assert.deepEqual(new Conv2d({ inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1, stride: 2 }).forward(x).shape, [2, 4, 14, 14]);
  assert.deepEqual(new MaxPool2d().forward(x).shape, [2, 1, 14, 14]);
  assert.deepEqual(new AvgPool2d({ kernelSize: 4 }).forward(x).shape, [2, 1, 7, 7]);
  assert.deepEqual(new Flatten().forward(x).shape, [2, 784]);
  assert.deepEqual(new Linear({ inFeatures: 784, outFeatures: 10 }).forward(zeros([2, 784])).shape, [2, 10]);
  for (const L of [ReLU, Sigmoid, Tanh, Softmax]) assert.deepEqual(new L().forward(zeros([2, 5])).shape, [2, 5]);
  assert.deepEqual(new Dropout({ p: 0.3 }).forward(zeros([2, 5])).shape, [2, 5]);
  assert.deepEqual(mlp().forward(x).shape, [2, 10]);
  assert.deepEqual(dnn({ hidden: [50, 40, 30] }).forward(x).shape, [2, 10]);
  assert.deepEqual(cnn({ kernels: 100, kernelSize: 3, pool: 'avg' }).forward(x).shape, [2, 10]);
  const rows = summarize(cnn({ kernels: 30, hidden: 100 }), [1, 28, 28]);
  assert.deepEqual(rows.map((r) => r.outputShape), [[30, 24, 24], [30, 24, 24], [30, 12, 12], [4320], [100], [100], [10]]);
  assert.deepEqual(rows.map((r) => r.parameters), [780, 0, 0, 0, 432100, 0, 1010]);
});

test('a small CNN: every parameter and the input get correct gradients', () => {
  const rng = new Random(3);
  const net = new Sequential([
    new Conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1, rng }), new Tanh(), new MaxPool2d(),
    new Flatten(), new Linear({ inFeatures: 3 * 3 * 3, outFeatures: 5, rng }), new Sigmoid(), new Linear({ inFeatures: 5, outFeatures: 4, rng }),
  ]);
  to64(net);
  const x = rand64([2, 2, 6, 6], 4);
  const params = net.parameters();
  assertGrad((x, ...ps) => { void ps; return crossEntropy(net.forward(x), [1, 3]); }, [x, ...params]);
});

test('Sequential fuses Linear → ReLU, Conv2d → ReLU, and pools before the ReLU: same outputs and gradients as apart', () => {
  const rng = new Random(8);
  const net = new Sequential([
    new Conv2d({ inChannels: 1, outChannels: 3, kernelSize: 3, rng }), new ReLU(), new MaxPool2d(), new Flatten(),
    new Linear({ inFeatures: 12, outFeatures: 6, rng }), new ReLU(), new Linear({ inFeatures: 6, outFeatures: 3, rng }),
  ]);
  to64(net);
  const x = rand64([2, 1, 6, 6], 9);
  const apart = (t: typeof x) => net.layers.reduce((h, l) => l.forward(h), t);
  assert.deepEqual(net.forward(x).toArray(), apart(x).toArray());
  const grads = (f: (t: typeof x) => typeof x) => {
    net.zeroGrad();
    crossEntropy(f(x), [0, 2]).backward();
    return net.parameters().map((p) => p.grad!.toArray());
  };
  const fusedGrads = grads((t) => net.forward(t));
  assert.deepEqual(fusedGrads, grads(apart));
  assertGrad((x, ...ps) => { void ps; return crossEntropy(net.forward(x), [0, 2]); }, [x, ...net.parameters()]);
});

test('Conv2d → ReLU → MaxPool2d pooled before the ReLU: the same bits, with overlapping windows and windows all ≤ 0', () => {
  const rng = new Random(12);
  const conv = new Conv2d({ inChannels: 2, outChannels: 3, kernelSize: 2, rng });
  const net = new Sequential([conv, new ReLU(), new MaxPool2d(3, 2), new Flatten()]);
  to64(net);
  conv.bias!.data.set([-0.6, 0, 0.3]); // many windows of the first map are all negative: their gradient is 0 either way
  const x = rand64([2, 2, 8, 9], 13);
  const apart = (t: typeof x) => net.layers.reduce((h, l) => l.forward(h), t);
  const run = (f: (t: typeof x) => typeof x) => {
    net.zeroGrad();
    x.grad = null;
    const y = f(x);
    y.mul(rand64([...y.shape], 14)).sum().backward();
    return [y.toArray(), x.grad!.toArray(), ...net.parameters().map((p) => p.grad!.toArray())];
  };
  assert.deepEqual(run((t) => net.forward(t)), run(apart));
});

test('an MLP with ReLU: gradients through every layer', () => {
  const rng = new Random(5);
  const net = new Sequential([new Linear({ inFeatures: 6, outFeatures: 8, rng }), new ReLU(), new Linear({ inFeatures: 8, outFeatures: 3, rng })]);
  to64(net);
  const x = rand64([4, 6], 6);
  assertGrad((x, ...ps) => { void ps; return net.forward(x).softmax(); }, [x, ...net.parameters()]);
});

test('parameters, stateDict and loadStateDict', () => {
  const a = mlp({ hidden: [16], rng: new Random(1) });
  const b = mlp({ hidden: [16], rng: new Random(2) });
  assert.deepEqual(a.namedParameters().map(([n]) => n), ['1.weight', '1.bias', '3.weight', '3.bias']);
  assert.equal(a.parameterCount(), 784 * 16 + 16 + 16 * 10 + 10);
  b.loadStateDict(a.stateDict());
  const x = rand64([2, 1, 28, 28], 3).detach();
  const x32 = zeros([2, 1, 28, 28]);
  x32.data.set(x.data);
  assert.deepEqual(b.forward(x32).toArray(), a.forward(x32).toArray());
  const other = mlp({ hidden: [17] });
  const before = other.parameters()[0].toArray();
  assert.throws(() => other.loadStateDict(a.stateDict()), /parameter '1.weight' has shape \(16,784\) in the state, expected \(17,784\)/);
  assert.deepEqual(other.parameters()[0].toArray(), before, 'a failed load changes nothing');
  assert.throws(() => other.loadStateDict({ nope: a.stateDict()['1.bias'] }), /unexpected parameter 'nope'/);
});

test('train/eval modes, zeroGrad and specs round-trip', () => {
  const net = cnn({ kernels: 4, hidden: 8, dropout: 0.5 });
  net.eval();
  assert.ok(net.layers.every((l) => !l.training));
  net.train();
  assert.ok(net.layers.every((l) => l.training));
  crossEntropy(net.forward(zeros([1, 1, 28, 28])), [0]).backward();
  assert.ok(net.parameters().every((p) => p.grad !== null));
  net.zeroGrad();
  assert.ok(net.parameters().every((p) => p.grad === null));
  const copy = moduleFromSpec(net.toSpec());
  assert.deepEqual(copy.toSpec(), net.toSpec());
  assert.throws(() => moduleFromSpec({ type: 'Conv3d' }), /unknown layer type 'Conv3d'/);
});

test('layer input errors name the layer, the expected and the received shape', () => {
  const fc = new Linear({ inFeatures: 784, outFeatures: 100 });
  assert.throws(() => fc.forward(zeros([64, 1, 28, 28])), /Linear\(in=784, out=100\): expected input \(N,784\), got \(64,1,28,28\)/);
  const conv = new Conv2d({ inChannels: 1, outChannels: 30, kernelSize: 5 });
  assert.throws(() => conv.forward(zeros([64, 784])), /Conv2d\(in=1, out=30\): expected input \(N,1,H,W\), got \(64,784\)/);
  assert.throws(() => new Linear({ inFeatures: 0, outFeatures: 3 }), /Linear\(in=0, out=3\): inFeatures must be a positive integer, got 0/);
  assert.throws(() => new Dropout({ p: 1 }), /Dropout\(p=1\): p must be a probability in \[0, 1\), got 1/);
  assert.throws(() => dnn({ hidden: [10] }), /dnn: expected two or more hidden layers/);
});
