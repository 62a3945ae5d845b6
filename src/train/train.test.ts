// It learns: one batch can be overfit, and a fixed seed gives a fixed loss curve. The one training
// loop (trainBatches/trainEpochs) and its drivers agree, and the confusion matrix is oriented right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cnn, mlp } from '../models/index.js';
import { Adam, SGD, CosineLR, StepLR } from '../optim/index.js';
import { Random, manualSeed } from '../tensor/random.js';
import { ImageDataset } from '../data/dataset.js';
import { DivergedError, evaluate, fit, trainBatches, trainEpoch, trainEpochs, trainStep, type BatchInfo } from './index.js';
import { tensor, type Tensor } from '../tensor/tensor.js';
import { Module, type LayerSpec } from '../nn/module.js';
import { Linear } from '../nn/layers.js';
import { mseLoss } from '../losses/index.js';

/** A tiny synthetic digit set: class c is a bright vertical bar at column 4c+2 (with noise). */
function bars(count: number, seed: number): ImageDataset {
  const rng = new Random(seed);
  const images = new Uint8Array(count * 28 * 28);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const c = rng.int(5);
    labels[i] = c;
    for (let p = 0; p < 784; p++) images[i * 784 + p] = rng.int(40);
    for (let y = 4; y < 24; y++) for (let dx = 0; dx < 3; dx++) images[i * 784 + y * 28 + 4 * c + 2 + dx] = 200 + rng.int(55);
  }
  return new ImageDataset(images, labels, count, 28, 28);
}

test('overfits one batch: the loss goes to nearly zero', () => {
  manualSeed(1);
  const data = bars(20, 2);
  const net = cnn({ kernels: 4, hidden: 16, classes: 5 });
  const opt = new Adam(net.parameters(), { lr: 0.01 });
  const { x, y } = data.batch(Array.from({ length: 20 }, (_, i) => i));
  const first = trainStep(net, opt, x, y).loss;
  let last = first;
  for (let i = 0; i < 60; i++) last = trainStep(net, opt, x, y).loss;
  assert.ok(last < 0.01 * first, `loss went from ${first} to ${last}`);
});

test('learns a small task to full test accuracy with SGD', () => {
  manualSeed(3);
  const net = mlp({ hidden: [32], classes: 5 });
  const history = fit(net, bars(300, 4), new SGD(net.parameters(), { lr: 0.1, momentum: 0.9 }),
    { epochs: 3, batchSize: 20, rng: new Random(5), test: bars(100, 6) });
  assert.ok(history[2].test!.accuracy > 0.95, `test accuracy ${history[2].test!.accuracy}`);
  assert.ok(history[2].trainLoss < history[0].trainLoss);
});

test('the same seed gives the same loss curve, bit for bit', () => {
  const run = (): number[] => {
    manualSeed(7);
    const net = cnn({ kernels: 3, hidden: 8, classes: 5, dropout: 0.2 });
    const opt = new Adam(net.parameters());
    const losses: number[] = [];
    trainEpoch(net, bars(60, 8), opt, { batchSize: 10, rng: new Random(9), onBatch: (b) => losses.push(b.loss) });
    return losses;
  };
  const a = run();
  const b = run();
  assert.equal(a.length, 6);
  assert.deepEqual(a, b);
});

test('a diverging loss stops training with a message that suggests a lower learning rate', () => {
  manualSeed(1);
  const net = mlp({ hidden: [8], classes: 5 });
  const opt = new SGD(net.parameters(), { lr: 1e30 });
  assert.throws(() => trainEpoch(net, bars(40, 1), opt, { batchSize: 10 }),
    (e: unknown) => e instanceof DivergedError && /NaN or infinite.*try a lower learning rate/.test(e.message));
});

test('evaluate: accuracy, confusion matrix and per-class accuracy agree', () => {
  manualSeed(1);
  const net = mlp({ hidden: [8], classes: 5 });
  const e = evaluate(net, bars(50, 2), 16, 5);
  const total = e.confusion.flat().reduce((a, b) => a + b, 0);
  assert.equal(total, 50);
  const diag = e.confusion.reduce((s, row, i) => s + row[i], 0);
  assert.equal(diag / 50, e.accuracy);
});

test('regression with MSE: a linear layer fits y = 2x − 1', () => {
  manualSeed(2);
  const fc = new Linear({ inFeatures: 1, outFeatures: 1 });
  const opt = new SGD(fc.parameters(), { lr: 0.1 });
  const x = tensor([[-1], [0], [0.5], [1], [2]]);
  const y = tensor([[-3], [-1], [0], [1], [3]]);
  for (let i = 0; i < 300; i++) {
    opt.zeroGrad();
    mseLoss(fc.forward(x), y).backward();
    opt.step();
  }
  assert.ok(Math.abs(fc.weight.item() - 2) < 1e-3 && Math.abs(fc.bias!.item() + 1) < 1e-3, `w=${fc.weight.item()} b=${fc.bias!.item()}`);
});

test('learning-rate schedules', () => {
  const step = new StepLR(0.1, 2, 0.5);
  assert.deepEqual([0, 1, 2, 3, 4].map((e) => step.rate(e)), [0.1, 0.1, 0.05, 0.05, 0.025]);
  const cos = new CosineLR(1, 4);
  assert.equal(cos.rate(0), 1);
  assert.ok(Math.abs(cos.rate(2) - 0.5) < 1e-12);
  assert.ok(Math.abs(cos.rate(4)) < 1e-12);
  assert.throws(() => new SGD([tensor([1])], { lr: 0 }), /learning rate must be a positive number, got 0/);
});

/** A stand-in network that predicts, for each image, the class written in its first pixel (value c·10). */
class FirstPixelModel extends Module {
  forward(x: Tensor): Tensor {
    const [N] = x.shape;
    const logits = new Float32Array(N * 5);
    for (let n = 0; n < N; n++) logits[n * 5 + Math.round((x.data[n * 784] * 255) / 10)] = 10;
    return tensor(logits, [N, 5]);
  }
  override toSpec(): LayerSpec {
    return { type: 'FirstPixelModel' };
  }
}

test('evaluate: the confusion matrix is confusion[actual][predicted]', () => {
  // Labels and predictions (actual → predicted): 0→0, 1→3, 1→3, 2→0, 4→4; class 3 never occurs.
  const cases: Array<[number, number]> = [[0, 0], [1, 3], [1, 3], [2, 0], [4, 4]];
  const images = new Uint8Array(cases.length * 784);
  cases.forEach(([, predicted], i) => (images[i * 784] = 10 * predicted));
  const data = new ImageDataset(images, Uint8Array.from(cases.map(([actual]) => actual)), cases.length, 28, 28);
  const e = evaluate(new FirstPixelModel(), data, 2, 5);
  assert.deepEqual(e.confusion, [
    [1, 0, 0, 0, 0],
    [0, 0, 0, 2, 0],
    [1, 0, 0, 0, 0],
    [0, 0, 0, 0, 0],
    [0, 0, 0, 0, 1],
  ]);
  assert.deepEqual(e.perClass, [1, 0, 0, 0, 1], 'recall of each actual class');
  assert.equal(e.accuracy, 2 / 5);
});

test('trainBatches yields each step; trainEpoch and fit drive the same loop to the same numbers', () => {
  const steps = (): BatchInfo[] => {
    manualSeed(4);
    const net = mlp({ hidden: [8], classes: 5 });
    return [...trainBatches(net, bars(50, 3), new SGD(net.parameters(), { lr: 0.1 }), { batchSize: 20, rng: new Random(1), epoch: 2 })];
  };
  const s = steps();
  assert.deepEqual(s.map((b) => [b.epoch, b.batch, b.batches, b.size, b.samples]), [[2, 1, 3, 20, 20], [2, 2, 3, 20, 40], [2, 3, 3, 10, 50]]);
  const mean = (s[0].loss * 20 + s[1].loss * 20 + s[2].loss * 10) / 50;
  assert.ok(Math.abs(s[2].meanLoss - mean) < 1e-12, `${s[2].meanLoss} vs ${mean}`);
  assert.equal(s[2].accuracy, (s[0].correct + s[1].correct + s[2].correct) / 50);

  manualSeed(4);
  const net = mlp({ hidden: [8], classes: 5 });
  const viaFit: BatchInfo[] = [];
  const history = fit(net, bars(50, 3), new SGD(net.parameters(), { lr: 0.1 }), { epochs: 3, batchSize: 20, rng: new Random(1), onBatch: (b) => viaFit.push(b) });
  assert.deepEqual(history.map((h) => h.epoch), [0, 1, 2]);
  assert.equal(viaFit.length, 9);
  // trainEpoch and fit's first epoch are the same loop from the same state: the same losses.
  manualSeed(4);
  const again = mlp({ hidden: [8], classes: 5 });
  const one: number[] = [];
  trainEpoch(again, bars(50, 3), new SGD(again.parameters(), { lr: 0.1 }), { batchSize: 20, rng: new Random(1), onBatch: (b) => one.push(b.loss) });
  assert.deepEqual(one, s.map((b) => b.loss));
  assert.deepEqual(viaFit.slice(0, 3).map((b) => b.loss), one);
  assert.equal(history[0].trainLoss, s[2].meanLoss);
});

test('trainEpochs sets the learning rate from the schedule at the start of each epoch, counting epochs from 0', () => {
  manualSeed(1);
  const net = mlp({ hidden: [8], classes: 5 });
  const opt = new SGD(net.parameters(), { lr: 1 });
  const seen: Array<[string, number, number]> = [];
  for (const e of trainEpochs(net, bars(20, 1), opt, { epochs: 3, batchSize: 10, schedule: new StepLR(0.4, 1, 0.5) })) {
    seen.push([e.type, e.epoch, opt.lr]);
  }
  assert.deepEqual(seen, [
    ['batch', 0, 0.4], ['batch', 0, 0.4], ['epoch', 0, 0.4],
    ['batch', 1, 0.2], ['batch', 1, 0.2], ['epoch', 1, 0.2],
    ['batch', 2, 0.1], ['batch', 2, 0.1], ['epoch', 2, 0.1],
  ]);
});

test('DivergedError: one message from every driver, epochs and batches counted from 1', () => {
  const message = (drive: (net: Module, data: ImageDataset, opt: SGD) => void): string => {
    manualSeed(1);
    const net = mlp({ hidden: [8], classes: 5 });
    try {
      drive(net, bars(40, 1), new SGD(net.parameters(), { lr: 1e30 }));
    } catch (e) {
      assert.ok(e instanceof DivergedError);
      return e.message;
    }
    return 'no error';
  };
  const viaEpoch = message((n, d, o) => trainEpoch(n, d, o, { batchSize: 10, rng: new Random(1) }));
  assert.equal(viaEpoch, message((n, d, o) => fit(n, d, o, { epochs: 2, batchSize: 10, rng: new Random(1) })));
  assert.equal(viaEpoch, message((n, d, o) => [...trainEpochs(n, d, o, { epochs: 2, batchSize: 10, rng: new Random(1) })]));
  // Plain SGD far above its default rate (0.1): the advice is the default, not 1e29, which diverges too.
  assert.match(viaEpoch, /^training diverged: the loss became NaN or infinite at epoch 1, batch \d+ \(learning rate 1e\+30\); try a lower learning rate, e\.g\. 0\.1$/);
  assert.match(new DivergedError(0, 0, 0.5).message, /at epoch 1, batch 1 \(learning rate 0\.5\).*e\.g\. 0\.05$/);
});

test('a finite loss far above its start for many batches stops the run; divergence: false lets it go on', () => {
  // Adam at lr 100 moves every weight by ~100 per step: the loss jumps to 10⁴–10⁶ and stays finite.
  const run = (divergence?: false) => {
    manualSeed(1);
    const net = mlp({ hidden: [8], classes: 5 });
    const losses: number[] = [];
    const opt = new Adam(net.parameters(), { lr: 100 });
    try {
      for (const e of trainEpochs(net, bars(200, 1), opt, { epochs: 3, batchSize: 10, rng: new Random(1), divergence })) {
        if (e.type === 'batch') losses.push(e.loss);
      }
    } catch (e) {
      return { losses, error: e };
    }
    return { losses, error: undefined };
  };
  const stopped = run();
  assert.ok(stopped.error instanceof DivergedError, String(stopped.error));
  assert.match(stopped.error.message, /^training diverged: the median loss of the last 20 batches, [\d.e+]+, is more than 10× the first batch's [\d.]+ at epoch 1, batch 20 \(learning rate 100\); try a lower learning rate, e\.g\. 0\.001$/);
  assert.equal(stopped.error.suggestedLr, 0.001, "Adam's default rate");
  assert.ok(stopped.losses.every(Number.isFinite));
  const free = run(false);
  assert.equal(free.error, undefined);
  assert.equal(free.losses.length, 60, 'three epochs of 20 batches');
  const lastEpoch = free.losses.slice(40);
  assert.ok(lastEpoch.reduce((a, b) => a + b, 0) / 20 > 10 * free.losses[0], `and it never learned: ${lastEpoch.map((l) => l.toPrecision(2))}`);
});

test('the divergence rule counts batches in a row, across epochs, from the first step of the run', () => {
  // 10 steps an epoch, a median over 15 needed: only a watch that spans epochs sees 15 (at the 15th step).
  manualSeed(1);
  const net = mlp({ hidden: [8], classes: 5 });
  const opt = new Adam(net.parameters(), { lr: 100 });
  assert.throws(() => [...trainEpochs(net, bars(100, 1), opt, { epochs: 3, batchSize: 10, rng: new Random(1), divergence: { factor: 10, batches: 15 } })],
    (e: unknown) => e instanceof DivergedError && e.epoch === 1 && e.batch === 4);
  // Each trainBatches call is a run of its own: 10 steps never fill a window of 15.
  manualSeed(1);
  const net2 = mlp({ hidden: [8], classes: 5 });
  const opt2 = new Adam(net2.parameters(), { lr: 100 });
  for (let epoch = 0; epoch < 3; epoch++) [...trainBatches(net2, bars(100, 1), opt2, { batchSize: 10, epoch, divergence: { factor: 10, batches: 15 } })];
});
