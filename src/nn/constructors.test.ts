// PyTorch's constructor calls work as a PyTorch user types them; the one-object forms still work;
// a wrong call names the layer, the argument and the expected call. Fields register themselves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
// The public entry, as a user imports it (it also attaches every Tensor method).
import { AvgPool2d, Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential, Module, Tensor, tensor, zeros, Random, crossEntropy, SGD } from '../index.js';

test('Linear: positional sizes, then options; the same layer as the one-object form', () => {
  const a = new Linear(784, 128, { rng: new Random(1) });
  const b = new Linear({ inFeatures: 784, outFeatures: 128, rng: new Random(1) });
  assert.deepEqual(a.toSpec(), { type: 'Linear', inFeatures: 784, outFeatures: 128, bias: true, init: 'he' });
  assert.deepEqual(a.toSpec(), b.toSpec());
  assert.deepEqual(a.weight.toArray(), b.weight.toArray(), 'same generator, same initial weights');
  const c = new Linear(784, 128, { bias: false, init: 'xavier' });
  assert.equal(c.bias, null);
  assert.equal(c.init, 'xavier');
  assert.deepEqual(new Linear(3, 2).forward(zeros([5, 3])).shape, [5, 2]);
});

test('Conv2d: kernel size as k or [k, k], PyTorch positional stride and padding, or options', () => {
  const x = zeros([2, 1, 28, 28]);
  assert.deepEqual(new Conv2d(1, 30, 5).forward(x).shape, [2, 30, 24, 24]);
  assert.deepEqual(new Conv2d(1, 30, [5, 5]).forward(x).shape, [2, 30, 24, 24]);
  assert.deepEqual(new Conv2d(1, 30, 5, { padding: 2 }).forward(x).shape, [2, 30, 28, 28]);
  assert.deepEqual(new Conv2d(1, 4, 3, { stride: 2, padding: 1 }).forward(x).shape, [2, 4, 14, 14]);
  assert.deepEqual(new Conv2d(1, 4, 3, 2, 1).forward(x).shape, [2, 4, 14, 14], 'PyTorch: Conv2d(1, 4, 3, 2, 1) = stride 2, padding 1');
  assert.deepEqual(new Conv2d(1, 32, 3, 1).forward(x).shape, [2, 32, 26, 26], "PyTorch's MNIST example: Conv2d(1, 32, 3, 1)");
  assert.equal(new Conv2d(1, 4, 3, 2, 1, { bias: false }).bias, null);
  const seeded = (c: (rng: Random) => Conv2d) => c(new Random(4));
  const p = seeded((rng) => new Conv2d(2, 6, 3, { stride: 2, padding: 1, init: 'xavier', rng }));
  const o = seeded((rng) => new Conv2d({ inChannels: 2, outChannels: 6, kernelSize: 3, stride: 2, padding: 1, init: 'xavier', rng }));
  assert.deepEqual(p.toSpec(), o.toSpec());
  assert.deepEqual(p.weight.toArray(), o.weight.toArray());
});

test('pools, Dropout, Flatten and ReLU: PyTorch calls and the one-object forms', () => {
  const x = zeros([1, 2, 8, 8]);
  assert.deepEqual(new MaxPool2d(2).toSpec(), { type: 'MaxPool2d', kernelSize: 2, stride: 2 });
  assert.deepEqual(new MaxPool2d(3, { stride: 2 }).toSpec(), { type: 'MaxPool2d', kernelSize: 3, stride: 2 });
  assert.deepEqual(new MaxPool2d(2, 1).toSpec(), { type: 'MaxPool2d', kernelSize: 2, stride: 1 });
  assert.deepEqual(new MaxPool2d([2, 2]).toSpec(), new MaxPool2d().toSpec());
  assert.deepEqual(new MaxPool2d({ kernelSize: 4 }).forward(x).shape, [1, 2, 2, 2]);
  assert.deepEqual(new AvgPool2d(2).forward(x).shape, [1, 2, 4, 4]);
  assert.deepEqual(new AvgPool2d({ kernelSize: 2, stride: 1 }).forward(x).shape, [1, 2, 7, 7]);
  assert.equal(new Dropout(0.3).p, 0.3);
  assert.equal(new Dropout({ p: 0.2 }).p, 0.2);
  assert.equal(new Dropout().p, 0.5);
  assert.deepEqual(new Flatten().forward(x).shape, [1, 128]);
  assert.deepEqual(new ReLU().forward(tensor([-1, 2])).toArray(), [0, 2]);
});

test('Sequential takes layers as arguments, as PyTorch does, or as one array', () => {
  const layers = (rng: Random) => [new Linear(4, 3, { rng }), new ReLU(), new Linear(3, 2, { rng })];
  const spread = new Sequential(...layers(new Random(2)));
  const array = new Sequential(layers(new Random(2)));
  const direct = new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2));
  assert.equal(direct.layers.length, 3);
  assert.deepEqual(spread.toSpec(), array.toSpec());
  assert.deepEqual(spread.namedParameters().map(([n]) => n), ['0.weight', '0.bias', '2.weight', '2.bias']);
  const x = tensor([[1, -2, 3, 0.5]]);
  assert.deepEqual(spread.forward(x).toArray(), array.forward(x).toArray());
  assert.deepEqual(new Sequential().forward(x).toArray(), x.toArray(), 'no layers: the identity, as in PyTorch');
});

test('a wrong call names the layer, the argument, what came and the call expected', () => {
  // @ts-expect-error a missing argument is a type error too
  assert.throws(() => new Linear(784), { message: 'Linear(in=784, out=undefined): outFeatures must be a positive integer, got undefined; expected new Linear(inFeatures, outFeatures[, { bias, init, rng }])' });
  // @ts-expect-error PyTorch's bias=False is an option here
  assert.throws(() => new Linear(784, 128, false), /Linear\(in=784, out=128\): options must be an object \{ bias, init, rng \}, got false/);
  // @ts-expect-error a misspelled option
  assert.throws(() => new Linear(784, 128, { bais: false }), /Linear\(in=784, out=128\): unknown option bais \(known: bias, init, rng\)/);
  // @ts-expect-error a string is not a size
  assert.throws(() => new Linear('784', 10), /Linear\(in='784', out=10\): inFeatures must be a positive integer, got '784'/);
  assert.throws(() => new Linear({ inFeatures: 0, outFeatures: 3 }),
    { message: 'Linear(in=0, out=3): inFeatures must be a positive integer, got 0; expected new Linear({ inFeatures, outFeatures, bias, init, rng })' });
  assert.throws(() => new Conv2d(1, 30, [3, 5]), /Conv2d\(in=1, out=30\): kernelSize \[3, 5\] is not square, and this layer supports square windows only: pass one number or \[k, k\]; expected new Conv2d\(inChannels, outChannels, kernelSize/);
  // @ts-expect-error the kernel size is required
  assert.throws(() => new Conv2d(1, 30), /Conv2d\(in=1, out=30\): kernelSize must be a positive integer \(or a pair of equal ones\), got undefined/);
  assert.throws(() => new Conv2d(1, 30, 5, { padding: -1 }), /Conv2d\(in=1, out=30\): padding must be a non-negative integer \(or a pair of equal ones\), got -1/);
  assert.throws(() => new MaxPool2d(0), /MaxPool2d\(kernelSize=0\): kernelSize must be a positive integer \(or a pair of equal ones\), got 0; expected new MaxPool2d\(kernelSize\[, stride or \{ stride \}\]\)/);
  // @ts-expect-error pools take no padding
  assert.throws(() => new MaxPool2d(2, { padding: 1 }), /MaxPool2d\(kernelSize=2\): unknown option padding \(known: stride\)/);
  assert.throws(() => new Dropout(1), { message: 'Dropout(p=1): p must be a probability in [0, 1), got 1; expected new Dropout(p) with 0 ≤ p < 1' });
  assert.throws(() => new Dropout({ p: 1 }), /Dropout\(p=1\): p must be a probability in \[0, 1\), got 1; expected new Dropout\(\{ p \}\)/);
  // @ts-expect-error a class is not a layer
  assert.throws(() => new Sequential(new Linear(2, 3), ReLU), /Sequential\(2 layers\): layer 1 is the class ReLU \(missing new … \(\)\?\), not a Module; expected new Sequential\(layer1, layer2, …\) or new Sequential\(\[layer1, layer2, …\]\)/);
  // @ts-expect-error nor is a number
  assert.throws(() => new Sequential([new ReLU(), 3]), /Sequential\(2 layers\): layer 1 is 3, not a Module/);
});

/** PyTorch's way of writing a network: assign layers (and tensors that require gradients) to fields. */
class TwoLayer extends Module {
  flatten = new Flatten();
  stack = new Sequential(new Linear(4, 3, { rng: new Random(1) }), new ReLU());
  heads = [new Linear(3, 2, { rng: new Random(2) }), new Dropout(0.5)];
  scale = tensor([2], [1], { requiresGrad: true });
  lastHidden: Tensor | null = null;
  forward(x: Tensor): Tensor {
    this.lastHidden = this.stack.forward(this.flatten.forward(x));
    return this.heads[1].forward(this.heads[0].forward(this.lastHidden)).mul(this.scale);
  }
}

test('a Module subclass registers its fields: children, arrays of children, parameters', () => {
  const net = new TwoLayer();
  const x = tensor([[[1, -2], [3, 0.5]]]);   // (1,2,2): flattened to (1,4)
  net.forward(x);
  assert.ok(net.lastHidden!.requiresGrad && net.lastHidden!.gradFn !== null, 'a cached activation...');
  assert.deepEqual(net.namedParameters().map(([n]) => n),
    ['scale', 'stack.0.weight', 'stack.0.bias', 'heads.0.weight', 'heads.0.bias'], '...is not a parameter');
  assert.deepEqual(net.namedChildren().map(([n]) => n), ['flatten', 'stack', 'heads.0', 'heads.1']);
  net.eval();
  assert.equal(net.heads[1].training, false, 'eval() reaches a layer held in an array');
  assert.equal(net.stack.layers[0].training, false, 'and a layer inside a Sequential field');
  net.train();
  assert.equal(net.heads[1].training, true);
  net.eval();
  // Every discovered parameter takes part in training.
  const opt = new SGD(net.parameters(), { lr: 0.1 });
  const before = net.parameters().map((p) => p.toArray());
  crossEntropy(net.forward(x), [1]).backward();
  assert.ok(net.parameters().every((p) => p.grad !== null));
  opt.step();
  net.parameters().forEach((p, i) => assert.notDeepEqual(p.toArray(), before[i], `${net.namedParameters()[i][0]} was not updated`));
  net.zeroGrad();
  assert.ok(net.parameters().every((p) => p.grad === null));
  // A reassigned field replaces the old child.
  net.stack = new Sequential(new Linear(4, 3), new ReLU());
  assert.deepEqual(net.namedParameters().map(([n]) => n).slice(1, 3), ['stack.0.weight', 'stack.0.bias']);
  assert.equal(net.parameters().length, 5);
  // stateDict moves weights between two instances.
  const other = new TwoLayer();
  other.loadStateDict(net.stateDict());
  assert.deepEqual(other.eval().forward(x).toArray(), net.forward(x).toArray());
  assert.throws(() => net.toSpec(), /TwoLayer.toSpec: a Module written by hand has no layer spec, so it cannot be saved as a model file; save its stateDict\(\) instead/);
});
