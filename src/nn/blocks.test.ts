// Batch norm, global average pooling and residual blocks: PyTorch's numbers (src/nn/blocks.fixture.json,
// written by scripts/golden-blocks.py), gradient checks, buffers through every file format, and errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { assertClose, assertGrad, rand64 } from '../testing/helpers.js';
import { AdaptiveAvgPool2d, BatchNorm1d, BatchNorm2d, Residual } from './blocks.js';
import { Conv2d, Flatten, Linear, ReLU, Sequential, Tanh, moduleFromSpec } from './layers.js';
import type { LayerSpec, Module } from './module.js';
import { Tensor, randn, tensor } from '../tensor/tensor.js';
import { Random } from '../tensor/random.js';
import { noGrad } from '../autograd/engine.js';
import { decodeModel, encodeModel } from '../io/model-file.js';
import { decodeSafetensors, encodeSafetensors, modelFromSafetensors, modelToSafetensors } from '../io/safetensors.js';
import { decodeCheckpoint, encodeCheckpoint } from '../io/checkpoint.js';
import { checkpointParts, restoreCheckpoint } from '../train/checkpoint.js';
import { startPosition } from '../train/index.js';
import { Adam } from '../optim/index.js';
import { crossEntropy } from '../losses/index.js';
import { registerBackend, setBackend } from '../backends/index.js';
import { WasmBackend } from '../backends/wasm/index.js';

interface State { shape: number[]; data: number[] }
interface Case {
  inputShape: number[]; outputShape: number[]; spec?: LayerSpec;
  state: Record<string, State>; stateAfter: Record<string, State>;
  x: number[]; r: number[]; y: number[]; dx: number[]; grads: Record<string, number[]>;
  eval: { x: number[]; r: number[]; y: number[]; dx: number[] };
}
// The fixture stays in src/ (tsc does not copy JSON); this file runs from dist/nn/.
const fixture = JSON.parse(readFileSync(new URL('../../src/nn/blocks.fixture.json', import.meta.url), 'utf8')) as Record<string, Case>;

const conv = (cin: number, cout: number, k: number, stride = 1) => new Conv2d(cin, cout, k, { stride, padding: k >> 1, bias: false });

/** ResNet's basic block, as scripts/golden-blocks.py builds it: relu(conv-bn-relu-conv-bn(x) + shortcut(x)). */
function basicBlock(cin: number, cout: number, stride: number): Sequential {
  const body = new Sequential(conv(cin, cout, 3, stride), new BatchNorm2d(cout), new ReLU(), conv(cout, cout, 3), new BatchNorm2d(cout));
  const shortcut = stride === 1 && cin === cout ? null : new Sequential(conv(cin, cout, 1, stride), new BatchNorm2d(cout));
  return new Sequential(new Residual(body, shortcut), new ReLU());
}

const builders: Record<string, () => Module> = {
  batchnorm1d: () => moduleFromSpec(fixture.batchnorm1d.spec!),
  batchnorm2d: () => moduleFromSpec(fixture.batchnorm2d.spec!),
  residual: () => basicBlock(4, 4, 1),
  'residual-downsample': () => basicBlock(4, 6, 2),
};

/** Gradient of sum(f(x) ⊙ r) with respect to x and the parameters, and f(x). */
function step(net: Module, x: Tensor, r: number[]): Tensor {
  const y = net.forward(x);
  y.backward(tensor(r, [...y.shape]));
  return y;
}

// On the reference backend (the definition) and on the wasm one (its per-channel kernels).
const wasm = new WasmBackend({ threads: 1 });
registerBackend(wasm);
for (const [name, build] of Object.entries(builders)) for (const backendName of ['reference', 'wasm']) {
  test(`${name} (${backendName}): outputs, gradients, running statistics and eval outputs match PyTorch's`, () => {
    setBackend(backendName);
    try {
      matchesPyTorch(name, build);
    } finally {
      setBackend('reference');
    }
  });
}

function matchesPyTorch(name: string, build: () => Module): void {
  {
    const c = fixture[name];
    const net = build();
    assert.deepEqual(Object.keys(net.stateDict()), Object.keys(c.state), 'state_dict() names and order are PyTorch\'s');
    net.loadStateDict(c.state);
    net.train();
    const x = tensor(c.x, c.inputShape, { requiresGrad: true });
    const y = step(net, x, c.r);
    assert.deepEqual(y.shape, c.outputShape);
    assertClose(y.toArray(), c.y, 1e-5, `${name} y`);
    assertClose(x.grad!.toArray(), c.dx, 1e-5, `${name} dx`);
    for (const [p, t] of net.namedParameters()) assertClose(t.grad!.toArray(), c.grads[p], 1e-5, `${name} d${p}`);
    for (const [b, t] of net.namedBuffers()) assertClose(t.toArray(), c.stateAfter[b].data, 1e-5, `${name} ${b} after a step`);
    net.eval();
    const x2 = tensor(c.eval.x, c.inputShape, { requiresGrad: true });
    const before = net.buffers().map((b) => b.toArray());
    const y2 = step(net, x2, c.eval.r);
    assertClose(y2.toArray(), c.eval.y, 1e-5, `${name} eval y`);
    assertClose(x2.grad!.toArray(), c.eval.dx, 1e-5, `${name} eval dx`);
    assert.deepEqual(net.buffers().map((b) => b.toArray()), before, 'evaluation leaves the running statistics alone');
  }
}

/** Copy a float32 module's parameters into float64 tensors so finite differences are exact enough. */
function to64(m: Module): Module {
  for (const p of m.parameters()) (p as unknown as { values: Float64Array }).values = Float64Array.from(p.data);
  return m;
}

test('gradient checks: batch norm in training mode (1d and 2d, with and without affine), in eval mode', () => {
  const rng = new Random(5);
  for (const [bn, shape] of [[new BatchNorm1d(4), [5, 4]], [new BatchNorm2d(3), [2, 3, 3, 4]], [new BatchNorm2d(2, { affine: false }), [3, 2, 2, 2]]] as const) {
    to64(bn);
    for (const p of bn.parameters()) for (let i = 0; i < p.size; i++) p.data[i] = 0.5 + rng.uniform();
    const x = rand64(shape.slice(), 11);
    assertGrad((x, ...ps) => { void ps; return bn.forward(x); }, [x, ...bn.parameters()]);
    bn.eval();
    assertGrad((x, ...ps) => { void ps; return bn.forward(x); }, [x, ...bn.parameters()]);
  }
});

test('gradient checks: global average pooling, and a residual block with batch norm (identity and projection shortcuts)', () => {
  const pool = new AdaptiveAvgPool2d(1);
  assertGrad((x) => pool.forward(x), [rand64([2, 3, 3, 5], 2)]);
  const rng = new Random(9);
  for (const [cin, cout, stride] of [[2, 2, 1], [2, 3, 2]]) {
    const body = new Sequential(new Conv2d(cin, cout, 3, { stride, padding: 1, rng }), new BatchNorm2d(cout), new Tanh(), new Conv2d(cout, cout, 3, { padding: 1, rng }), new BatchNorm2d(cout));
    const shortcut = cin === cout ? null : new Sequential(new Conv2d(cin, cout, 1, { stride, bias: false, rng }), new BatchNorm2d(cout));
    const net = to64(new Sequential(new Residual(body, shortcut), new AdaptiveAvgPool2d(1), new Flatten(), new Linear(cout, 3, { rng })));
    const x = rand64([3, cin, 5, 5], 4);
    assertGrad((x, ...ps) => { void ps; return crossEntropy(net.forward(x), [0, 2, 1]); }, [x, ...net.parameters()]);
  }
});

test('an identity residual block passes the gradient straight through: d(body(x) + x)/dx = d body/dx + 1', () => {
  const zero = new Conv2d(2, 2, 1, { bias: false });
  zero.weight.data.fill(0); // body(x) = 0, so y = x and dx = dy
  const x = rand64([1, 2, 2, 2], 3);
  const dy = rand64([1, 2, 2, 2], 8);
  new Residual(zero).forward(x).backward(dy);
  assertClose(x.grad!.toArray(), dy.toArray(), 1e-12, 'dx');
});

test('buffers: named as PyTorch, not trained, counted; train() updates them and eval() uses them', () => {
  const bn = new BatchNorm2d(3);
  assert.deepEqual(bn.namedBuffers().map(([n, b]) => [n, b.shape]), [['running_mean', [3]], ['running_var', [3]], ['num_batches_tracked', []]]);
  assert.deepEqual(bn.namedParameters().map(([n]) => n), ['weight', 'bias']);
  assert.equal(bn.parameterCount(), 6, 'buffers are not parameters');
  const x = randn([4, 3, 2, 2], { rng: new Random(1) });
  bn.forward(x);
  bn.forward(x);
  assert.equal(bn.numBatchesTracked.item(), 2);
  // The same batch twice: running_mean = (1 − 0.9²)·μ, after starting from 0.
  const mu = noGrad(() => x.mean([0, 2, 3])).toArray();
  assertClose(bn.runningMean.toArray(), mu.map((m) => 0.19 * m), 1e-6, 'running_mean');
  bn.eval();
  const before = bn.runningMean.toArray();
  const y = bn.forward(x);
  assert.deepEqual(bn.runningMean.toArray(), before);
  assert.equal(bn.numBatchesTracked.item(), 2);
  const expected = x.toArray().map((v, i) => {
    const c = Math.floor(i / 4) % 3;
    return (v - bn.runningMean.data[c]) / Math.sqrt(bn.runningVar.data[c] + 1e-5);
  });
  assertClose(y.toArray(), expected, 1e-5, 'eval output');
});

/** A small network with every new layer, trained a few steps so its buffers are not their defaults. */
function trainedNet(): Sequential {
  const rng = new Random(3);
  const net = new Sequential(new Conv2d(1, 4, 3, { padding: 1, bias: false, rng }), new BatchNorm2d(4), new ReLU(),
    new Residual(new Sequential(new Conv2d(4, 6, 3, { stride: 2, padding: 1, rng }), new BatchNorm2d(6)), new Sequential(new Conv2d(4, 6, 1, { stride: 2, bias: false, rng }), new BatchNorm2d(6))),
    new ReLU(), new AdaptiveAvgPool2d(1), new Flatten(), new Linear(6, 5, { bias: false, rng }), new BatchNorm1d(5), new Linear(5, 3, { rng }));
  const opt = new Adam(net.parameters(), { lr: 0.01 });
  for (let i = 0; i < 3; i++) {
    crossEntropy(net.forward(randn([4, 1, 8, 8], { rng })), [0, 1, 2, 1]).backward();
    opt.step();
    opt.zeroGrad();
  }
  return net;
}

test('model files, safetensors and checkpoints save and restore the buffers: same eval outputs after loading', () => {
  const net = trainedNet();
  net.eval();
  const x = randn([2, 1, 8, 8], { rng: new Random(4) });
  const expected = noGrad(() => net.forward(x)).toArray();
  const loaded = decodeModel(encodeModel(net, [1, 8, 8], 3)).model;
  assert.deepEqual(noGrad(() => loaded.forward(x)).toArray(), expected, 'model file');
  assert.deepEqual(loaded.namedBuffers().map(([n, b]) => [n, b.toArray()]), net.namedBuffers().map(([n, b]) => [n, b.toArray()]));

  const bytes = modelToSafetensors(net, [1, 8, 8], 3);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true)))));
  assert.deepEqual(header['1.num_batches_tracked'], { dtype: 'I64', shape: [], data_offsets: header['1.num_batches_tracked'].data_offsets });
  assert.equal(header['1.running_var'].dtype, 'F32');
  const fromSt = modelFromSafetensors(bytes).model;
  assert.deepEqual(noGrad(() => fromSt.forward(x)).toArray(), expected, 'safetensors');
  assert.equal((fromSt.stateDict()['1.num_batches_tracked']).item(), 3);
  // A count saved as F32 (PyTorch's {k: v.float()}) is read too; I64 where a float belongs is refused.
  const file = decodeSafetensors(bytes);
  const asF32 = encodeSafetensors(file.tensors.map((t) => ({ ...t, dtype: 'F32' as const })), file.metadata);
  assert.deepEqual(noGrad(() => modelFromSafetensors(asF32).model.forward(x)).toArray(), expected);
  const wrong = encodeSafetensors(file.tensors.map((t) => (t.name === '1.running_mean' ? { ...t, data: t.data.map(Math.round), dtype: 'I64' as const } : t)), file.metadata);
  assert.throws(() => modelFromSafetensors(wrong, 'w.safetensors'), /w.safetensors: tensor '1.running_mean' is I64, but the architecture in its metadata expects F32 values there/);

  const run = { model: net, optimizer: new Adam(net.parameters()), generators: {}, position: startPosition() };
  const d = decodeCheckpoint(encodeCheckpoint(checkpointParts(run, { inputShape: [1, 8, 8], classes: 3 }, {})));
  const fresh = moduleFromSpec(net.toSpec(), new Random(0));
  restoreCheckpoint(d, { ...run, model: fresh, optimizer: new Adam(fresh.parameters()), position: startPosition() });
  fresh.eval();
  assert.deepEqual(noGrad(() => fresh.forward(x)).toArray(), expected, 'checkpoint');
});

test('a model file written before buffers existed still loads; a state without a buffer is refused by name', () => {
  const old = decodeModel(readFileSync(new URL('../../src/testing/fixtures/default-cnn.zg', import.meta.url)), 'default-cnn.zg');
  assert.deepEqual(old.model.namedBuffers(), []);
  assert.equal(noGrad(() => old.model.forward(randn([1, 1, 28, 28]))).shape[1], 10);
  const net = new Sequential(new BatchNorm1d(2));
  const state = Object.fromEntries(Object.entries(net.stateDict()).filter(([n]) => n !== '0.running_var'));
  assert.throws(() => net.loadStateDict(state), /loadStateDict: missing buffer '0.running_var'/);
});

test('specs: every new layer round-trips through toSpec and moduleFromSpec', () => {
  const net = trainedNet();
  const spec = net.toSpec();
  assert.deepEqual(moduleFromSpec(spec).toSpec(), spec);
  assert.deepEqual(new BatchNorm2d(8, { eps: 1e-3, momentum: 0.01, affine: false }).toSpec(),
    { type: 'BatchNorm2d', numFeatures: 8, eps: 1e-3, momentum: 0.01, affine: false });
  assert.deepEqual(new Residual(new ReLU()).toSpec(), { type: 'Residual', body: { type: 'ReLU' }, shortcut: null });
  assert.deepEqual(new AdaptiveAvgPool2d(1).toSpec(), { type: 'AdaptiveAvgPool2d', outputSize: 1 });
  assert.equal(new BatchNorm2d(4, { affine: false }).parameterCount(), 0);
});

test('bad input: each error names the layer, what it got and what it expected', () => {
  assert.throws(() => new BatchNorm2d(3).forward(randn([2, 4, 5, 5])), /BatchNorm2d\(numFeatures=3\): expected input \(N,3,H,W\), got \(2,4,5,5\)/);
  assert.throws(() => new BatchNorm1d(3).forward(randn([2, 3, 1, 1])), /BatchNorm1d\(numFeatures=3\): expected input \(N,3\), got \(2,3,1,1\)/);
  assert.throws(() => new BatchNorm1d(3).forward(randn([1, 3])), /BatchNorm1d\(numFeatures=3\): training needs more than one value per channel, got input \(1,3\)/);
  assert.doesNotThrow(() => new BatchNorm1d(3).eval().forward(randn([1, 3])));
  assert.throws(() => new BatchNorm2d(0), /BatchNorm2d\(numFeatures=0\): numFeatures must be a positive integer, got 0; expected new BatchNorm2d\(numFeatures/);
  assert.throws(() => new BatchNorm2d(2, { eps: -1 }), /eps must be a positive number, got -1/);
  assert.throws(() => new BatchNorm2d(2, { momentum: 2 }), /momentum must be a number in \[0, 1\], got 2/);
  assert.throws(() => new BatchNorm2d(2, { mommentum: 0.1 } as never), /unknown option mommentum/);
  assert.throws(() => new AdaptiveAvgPool2d(2), /AdaptiveAvgPool2d\(outputSize=2\): only output size 1/);
  assert.throws(() => new AdaptiveAvgPool2d(1).forward(randn([2, 3])), /AdaptiveAvgPool2d\(1\): expected input \(N,C,H,W\), got \(2,3\)/);
  assert.throws(() => new Residual(conv(2, 3, 3)).forward(randn([1, 2, 4, 4])),
    /Residual: the body gives \(1,3,4,4\) but the shortcut gives \(1,2,4,4\) for input \(1,2,4,4\); expected the same shape/);
  assert.throws(() => new Residual('conv' as never), /Residual: body is 'conv', not a Module/);
  assert.throws(() => moduleFromSpec({ type: 'Residual' }), /Residual spec: expected a "body" layer spec/);
});
