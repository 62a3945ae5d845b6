// The checkpoint format and the state it restores: generators and optimizers continue exactly,
// a damaged or foreign checkpoint is refused with a message that says what is wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHECKPOINT_VERSION, decodeCheckpoint, encodeCheckpoint } from './checkpoint.js';
import { encodeModel } from './model-file.js';
import { Random } from '../tensor/random.js';
import { Adam, SGD } from '../optim/index.js';
import { Linear, Sequential, ReLU } from '../nn/layers.js';
import { tensor } from '../tensor/tensor.js';
import { checkpointParts, restoreCheckpoint } from '../train/checkpoint.js';
import { startPosition } from '../train/index.js';
import '../ops/methods.js';

test('Random: a restored state continues the sequence exactly, the spare normal included', () => {
  const a = new Random(5);
  for (let i = 0; i < 7; i++) a.nextUint32();
  a.normal(); // leaves a spare normal pending
  const b = new Random(99);
  b.setState(JSON.parse(JSON.stringify(a.getState())));
  assert.deepEqual([b.normal(), b.nextUint32(), b.uniform()], [a.normal(), a.nextUint32(), a.uniform()]);
  assert.throws(() => b.setState({ s: [1, 2, 3], spareNormal: null }), /^Error: Random.setState: expected s to be 4 unsigned 32-bit integers, got \[1,2,3\]$/);
  assert.throws(() => b.setState({ s: [0, 0, 0, 0], spareNormal: null }), /expected s not all zero/);
  assert.throws(() => b.setState({ s: [1, 2, 3, 4], spareNormal: NaN }), /expected spareNormal to be a finite number or null, got NaN$/);
});

/** A small network, its optimizer after two steps, and a checkpoint of both. */
function trained(kind: 'adam' | 'momentum') {
  const rng = new Random(3);
  const net = new Sequential(new Linear(3, 4, { rng }), new ReLU(), new Linear(4, 2, { rng }));
  const opt = kind === 'adam' ? new Adam(net.parameters(), { lr: 0.01 }) : new SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
  const x = tensor([0.5, -1, 2, 1, 0.25, -0.5], [2, 3]);
  const step = () => {
    opt.zeroGrad();
    net.forward(x).mul(tensor([1, -2, 0.5, 3], [2, 2])).sum().backward();
    opt.step();
  };
  step();
  step();
  return { net, opt, step, rng };
}

for (const kind of ['adam', 'momentum'] as const) {
  test(`${kind}: a checkpoint restored into a fresh network and optimizer takes the same next step, bit for bit`, () => {
    const a = trained(kind);
    const position = { ...startPosition(), epoch: 1, batch: 3 };
    const bytes = encodeCheckpoint(checkpointParts({ model: a.net, optimizer: a.opt, generators: { g: a.rng }, position }, { inputShape: [3], classes: 2 }, { note: 'x' }));
    const b = trained(kind);
    b.step(); // a different state, to be overwritten
    const run = { model: b.net, optimizer: b.opt, generators: { g: b.rng }, position: startPosition() };
    restoreCheckpoint(decodeCheckpoint(bytes), run);
    assert.deepEqual([run.position.epoch, run.position.batch], [1, 3]);
    a.step();
    b.step();
    const bits = (n: Sequential) => n.parameters().flatMap((p) => Array.from(new Uint32Array(Float32Array.from(p.data).buffer)));
    assert.deepEqual(bits(b.net), bits(a.net));
    assert.equal(b.rng.nextUint32(), a.rng.nextUint32());
  });
}

test('a damaged, foreign or mismatched checkpoint is refused with a message naming the problem', () => {
  const a = trained('adam');
  const run = { model: a.net, optimizer: a.opt, generators: { g: a.rng }, position: startPosition() };
  const bytes = encodeCheckpoint(checkpointParts(run, { inputShape: [3], classes: 2 }, {}));
  assert.throws(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 9), 'c'), /^Error: c: checksum mismatch: the checkpoint is truncated or corrupted$/);
  const flipped = bytes.slice();
  flipped[40] ^= 4;
  assert.throws(() => decodeCheckpoint(flipped, 'c'), /checksum mismatch/);
  const v2 = bytes.slice();
  v2[4] = CHECKPOINT_VERSION + 1;
  assert.throws(() => decodeCheckpoint(v2, 'c'), new RegExp(`^Error: c: checkpoint format version ${CHECKPOINT_VERSION + 1} is not supported; this zerograd reads version ${CHECKPOINT_VERSION}$`));
  assert.throws(() => decodeCheckpoint(encodeModel(a.net, [3], 2), 'm.zg'), /^Error: m\.zg: not a zerograd checkpoint \(expected it to start with "ZGCK"; this is a model file, which holds no training state\)$/);
  // Another optimizer, other hyperparameters, another network: refused, and nothing changes.
  const d = decodeCheckpoint(bytes);
  const sgd = trained('momentum');
  assert.throws(() => restoreCheckpoint(d, { ...run, model: sgd.net, optimizer: sgd.opt }), /^Error: SGD\.loadStateDict: expected the state of a SGD optimizer, got one of "Adam"$/);
  const other = new Adam(a.net.parameters(), { lr: 0.01, beta2: 0.99 });
  assert.throws(() => restoreCheckpoint(d, { ...run, optimizer: other }), /^Error: Adam\.loadStateDict: beta2 is 0\.99 here but 0\.999 in the saved state; build the optimizer as it was$/);
  const wider = new Sequential(new Linear(3, 5), new ReLU(), new Linear(5, 2));
  assert.throws(() => restoreCheckpoint(d, { ...run, model: wider, optimizer: new Adam(wider.parameters()) }), /^Error: checkpoint: its model is .*"outFeatures":4.*, expected .*"outFeatures":5.* \(a checkpoint of another network\)$/);
  assert.throws(() => restoreCheckpoint(d, { ...run, generators: { data: new Random() } }), /^Error: checkpoint: holds generators \[g\], expected \[data\]$/);
  assert.throws(() => a.opt.loadStateDict({ ...a.opt.stateDict(), buffers: { 'm.0': new Float32Array(3), 'v.0': new Float32Array(12) } }),
    /^Error: Adam\.loadStateDict: buffer 'm\.0' has 3 values, expected 12 \(the size of parameter 0, 4×3\)$/);
  assert.throws(() => a.opt.loadStateDict({ ...a.opt.stateDict(), buffers: { 'm.9': new Float32Array(3) } }), /unexpected buffer 'm\.9'; expected m\.<index> or v\.<index> with an index below 4/);
});
