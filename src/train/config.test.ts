// One place builds a model, its optimizer and schedule from a configuration: defaults, and errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, buildTraining, resolveConfig, ConfigError, DEFAULT_LR } from './config.js';
import { Adam, CosineLR, SGD, StepLR } from '../optim/index.js';
import { manualSeed } from '../tensor/random.js';
import { cnn } from '../models/index.js';
import { Conv2d, Dropout, Linear, MaxPool2d, AvgPool2d, Sigmoid } from '../nn/layers.js';

const dense = (m: { layers: unknown[] }) => m.layers.filter((l): l is Linear => l instanceof Linear).map((l) => l.outFeatures);

test('the command line\'s defaults: mlp 512, dnn 512,256, cnn 32 kernels 5×5, max pool, dense 128; Adam 0.001, cosine', () => {
  assert.deepEqual(dense(buildModel({ arch: 'mlp' })), [512, 10]);
  assert.deepEqual(dense(buildModel({ arch: 'dnn' })), [512, 256, 10]);
  const t = buildTraining({ arch: 'cnn' });
  const conv = t.model.layers[0] as Conv2d;
  assert.deepEqual([conv.outChannels, conv.kernelSize], [32, 5]);
  assert.ok(t.model.layers.some((l) => l instanceof MaxPool2d));
  assert.deepEqual(dense(t.model), [128, 10]);
  assert.ok(t.optimizer instanceof Adam);
  assert.equal(t.optimizer.lr, 0.001);
  assert.ok(t.schedule instanceof CosineLR);
  assert.deepEqual(t.config, { arch: 'cnn', hidden: [128], kernels: 32, kernelSize: 5, pool: 'max', activation: 'relu', dropout: 0,
    optimizer: 'adam', lr: 0.001, schedule: 'cosine', epochs: 3, batchNorm: false });
});

test('each optimizer gets its default learning rate unless one is given; schedules start from it', () => {
  for (const [name, lr] of Object.entries(DEFAULT_LR)) {
    const t = buildTraining({ arch: 'mlp', hidden: [4], optimizer: name as keyof typeof DEFAULT_LR, schedule: 'none' });
    assert.equal(t.optimizer.lr, lr, name);
    assert.equal(t.schedule, undefined);
  }
  const sgd = buildTraining({ arch: 'mlp', hidden: [4], optimizer: 'sgd', lr: 0.3, schedule: 'step', epochs: 6 });
  assert.ok(sgd.optimizer instanceof SGD && sgd.optimizer.momentum === 0);
  assert.ok(sgd.schedule instanceof StepLR);
  assert.deepEqual([0, 1, 2, 3].map((e) => sgd.schedule!.rate(e)), [0.3, 0.3, 0.3 * 0.1, 0.3 * 0.1]);
  const momentum = buildTraining({ arch: 'mlp', hidden: [4], optimizer: 'momentum' });
  assert.ok(momentum.optimizer instanceof SGD && momentum.optimizer.momentum === 0.9);
  const cosine = buildTraining({ arch: 'mlp', hidden: [4], lr: 0.01, epochs: 4 }).schedule!;
  assert.equal(cosine.rate(0), 0.01);
  assert.ok(Math.abs(cosine.rate(4) - 0.0001) < 1e-12, 'cosine ends at lr/100');
});

test('the shape flags reach the model: activation, dropout, kernels, kernel size, pooling', () => {
  const m = buildModel({ arch: 'cnn', kernels: 6, kernelSize: 3, pool: 'avg', hidden: [20], activation: 'sigmoid', dropout: 0.25 });
  const conv = m.layers[0] as Conv2d;
  assert.deepEqual([conv.outChannels, conv.kernelSize], [6, 3]);
  assert.ok(m.layers.some((l) => l instanceof AvgPool2d) && m.layers.some((l) => l instanceof Sigmoid) && m.layers.some((l) => l instanceof Dropout));
  assert.deepEqual(dense(m), [20, 10]);
  assert.equal(buildModel({ arch: 'cnn', pool: 'none' }).layers.some((l) => l instanceof MaxPool2d || l instanceof AvgPool2d), false);
});

test('the same seed builds the same weights as the model builder it calls', () => {
  manualSeed(5);
  const a = buildModel({ arch: 'cnn', kernels: 4, hidden: [8] });
  manualSeed(5);
  const b = cnn({ kernels: 4, hidden: 8 });
  assert.deepEqual(a.stateDict(), b.stateDict());
});

test('configuration errors name the field, what it got and what it expects', () => {
  const cases: Array<[Parameters<typeof resolveConfig>[0], string, RegExp]> = [
    [{ arch: 'rnn' as 'mlp' }, 'arch', /arch: expected one of mlp, dnn, cnn, lenet5, vgg, resnet, got 'rnn'/],
    [{ arch: 'cnn', hidden: [100, 50] }, 'hidden', /hidden: expected one size \(the cnn has one hidden dense layer\), got \[100,50\]/],
    [{ arch: 'mlp', hidden: [100, 50] }, 'hidden', /hidden: expected one size \(an mlp has one hidden layer; a dnn has several\), got \[100,50\]/],
    [{ arch: 'dnn', hidden: [64] }, 'hidden', /hidden: expected two or more sizes .*got \[64\]/],
    [{ arch: 'mlp', hidden: [] }, 'hidden', /hidden: expected one or more positive integer sizes, got \[\]/],
    [{ arch: 'mlp', hidden: [0] }, 'hidden', /got \[0\]/],
    [{ arch: 'cnn', kernels: 2.5 }, 'kernels', /kernels: expected a positive integer, got 2.5/],
    [{ arch: 'cnn', kernelSize: 0 }, 'kernelSize', /kernelSize: expected a positive integer, got 0/],
    [{ arch: 'cnn', pool: 'min' as 'max' }, 'pool', /pool: expected one of max, avg, none, got 'min'/],
    [{ arch: 'mlp', activation: 'gelu' as 'relu' }, 'activation', /activation: expected one of relu, sigmoid, tanh, got 'gelu'/],
    [{ arch: 'mlp', dropout: 1 }, 'dropout', /dropout: expected a probability in \[0, 1\), got 1/],
    [{ arch: 'mlp', optimizer: 'rmsprop' as 'sgd' }, 'optimizer', /optimizer: expected one of sgd, momentum, adam, got 'rmsprop'/],
    [{ arch: 'mlp', lr: -1 }, 'lr', /lr: expected a positive number, got -1/],
    [{ arch: 'mlp', schedule: 'linear' as 'none' }, 'schedule', /schedule: expected one of none, step, cosine, got 'linear'/],
    [{ arch: 'mlp', epochs: 0 }, 'epochs', /epochs: expected a positive integer, got 0/],
    [{ arch: 'cnn', batchNorm: true }, 'batchNorm', /batchNorm: expected false for cnn \(batch norm is a vgg option; resnet always has it\), got true/],
  ];
  for (const [config, field, pattern] of cases) {
    assert.throws(() => buildTraining(config), (e: unknown) => e instanceof ConfigError && e.field === field && /^training configuration: /.test(e.message) && pattern.test(e.message), JSON.stringify(config));
  }
});
