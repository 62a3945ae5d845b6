// The classic architectures: shapes, sizes and multiply-adds as published, model files, the
// configuration's rules, and the command line from train to eval, predict and summary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { basicBlock, lenet5, resnet, vgg } from './index.js';
import { summarize, formatSummary } from '../nn/summary.js';
import { Residual } from '../nn/blocks.js';
import { decodeModel, encodeModel } from '../io/model-file.js';
import { modelFromSafetensors, modelToSafetensors } from '../io/safetensors.js';
import { buildModel, resolveConfig } from '../train/config.js';
import { randn } from '../tensor/tensor.js';
import { Random } from '../tensor/random.js';
import { noGrad } from '../autograd/engine.js';
import { crossEntropy } from '../losses/index.js';
import { Adam } from '../optim/index.js';
import { encodeIdx } from '../data/idx.js';
import { loadMnist, MNIST_FILES } from '../data/mnist.js';
import { tempDir, twoAtATime } from '../testing/helpers.js';
import { lastJson, runCli } from '../testing/cli.js';

test('LeNet-5: the published layer sizes, 61,706 parameters and 416,520 multiply-adds on 28×28', () => {
  const net = lenet5({ rng: new Random(1) });
  const rows = summarize(net, [1, 28, 28]);
  assert.deepEqual(rows.map((r) => r.outputShape), [[6, 28, 28], [6, 28, 28], [6, 14, 14], [16, 10, 10], [16, 10, 10], [16, 5, 5], [400], [120], [120], [84], [84], [10]]);
  assert.deepEqual(rows.map((r) => r.type).filter((t) => t !== 'Tanh'), ['Conv2d', 'AvgPool2d', 'Conv2d', 'AvgPool2d', 'Flatten', 'Linear', 'Linear', 'Linear']);
  assert.equal(net.parameterCount(), 61_706);
  // conv1 6·28·28·25 + conv2 16·10·10·6·25 + 400·120 + 120·84 + 84·10
  assert.deepEqual(rows.map((r) => r.macs).filter((m) => m > 0), [117_600, 240_000, 48_000, 10_080, 840]);
  assert.deepEqual(lenet5({ activation: 'relu', pool: 'max' }).layers.map((l) => l.toSpec().type).slice(0, 3), ['Conv2d', 'ReLU', 'MaxPool2d']);
});

test('VGG and ResNet: output shapes, stride-2 stages, and the summary with the blocks\' layers indented', () => {
  const x = randn([2, 1, 28, 28], { rng: new Random(2) });
  assert.deepEqual(vgg({ rng: new Random(1) }).forward(x).shape, [2, 10]);
  assert.deepEqual(vgg({ kernels: 4, blocks: 3, batchNorm: true }).forward(x).shape, [2, 10]);
  const net = resnet({ rng: new Random(1) });
  assert.deepEqual(net.forward(x).shape, [2, 10]);
  const rows = summarize(net, [1, 28, 28], { nested: true });
  const blocks = rows.filter((r) => r.type === 'Residual');
  assert.deepEqual(blocks.map((r) => r.outputShape), [[16, 14, 14], [32, 7, 7], [64, 4, 4]]);
  assert.deepEqual(rows.filter((r) => r.depth === 1 && r.name.startsWith('6.shortcut')).map((r) => r.type), ['Conv2d', 'BatchNorm2d']);
  // A block's multiply-adds are its layers': two 3×3 convs of 16 channels at 14×14 and two batch norms.
  assert.equal(blocks[0].macs, 2 * 16 * 14 * 14 * 16 * 9 + 2 * 16 * 14 * 14);
  assert.equal(rows.filter((r) => r.depth === 0).reduce((n, r) => n + r.parameters, 0), net.parameterCount());
  assert.equal(summarize(net, [1, 28, 28]).length, net.layers.length, 'without nested, one row per layer (the explainer\'s view)');
  const text = formatSummary(rows, [1, 28, 28]);
  assert.match(text, /\n4 +Residual +\(16,14,14\) +4,672 +909K +residual block: output = body\(input\) \+ the input itself/);
  assert.match(text, /\n {4}\s+shortcut\.0 Conv2d +\(32,7,7\) +512 +25\.1K/);
  assert.match(text, /total parameters: 77,754; multiply-adds per example: 2,\d{3},\d{3} \(2\.\d\dM\)/);
  assert.equal(resnet({ stemPool: false }).layers.length, net.layers.length - 1);
  assert.deepEqual(resnet({ blocks: [2, 1] }).layers.filter((l) => l instanceof Residual).length, 3);
  assert.ok(basicBlock(8, 8).shortcut === null && basicBlock(8, 16, 2).shortcut !== null);
  assert.throws(() => resnet({ blocks: [] }), /resnet: blocks must be one or more positive integers \(blocks per stage\), got \[\]/);
  assert.throws(() => vgg({ blocks: 6 }), /vgg: 6 blocks halve a 28×28 input to nothing; expected at most 4 blocks/);
});

test('every architecture survives a model file and safetensors: same eval outputs after a few training steps', () => {
  const x = randn([3, 1, 28, 28], { rng: new Random(5) });
  for (const arch of ['lenet5', 'vgg', 'resnet'] as const) {
    const net = buildModel({ arch });
    const opt = new Adam(net.parameters());
    for (let i = 0; i < 2; i++) {
      crossEntropy(net.forward(randn([4, 1, 28, 28], { rng: new Random(i) })), [1, 2, 3, 4]).backward();
      opt.step();
      opt.zeroGrad();
    }
    net.eval();
    const expected = noGrad(() => net.forward(x)).toArray();
    assert.deepEqual(noGrad(() => decodeModel(encodeModel(net, [1, 28, 28], 10)).model.forward(x)).toArray(), expected, `${arch}: model file`);
    assert.deepEqual(noGrad(() => modelFromSafetensors(modelToSafetensors(net, [1, 28, 28], 10)).model.forward(x)).toArray(), expected, `${arch}: safetensors`);
  }
});

test('the configuration: hidden sizes per architecture, with errors that say what each expects', () => {
  assert.deepEqual(resolveConfig({ arch: 'lenet5' }).hidden, [120, 84]);
  assert.deepEqual(resolveConfig({ arch: 'resnet' }).hidden, []);
  assert.throws(() => resolveConfig({ arch: 'resnet', hidden: [64] }), /hidden: expected no sizes \(the resnet has no hidden dense layer/);
  assert.throws(() => resolveConfig({ arch: 'lenet5', hidden: [100] }), /hidden: expected two sizes \(LeNet-5 has two hidden dense layers/);
  assert.throws(() => resolveConfig({ arch: 'vgg', hidden: [] }), /hidden: expected one or more positive integer sizes, got \[\]/);
  assert.deepEqual(buildModel({ arch: 'lenet5', activation: 'tanh', pool: 'avg' }).toSpec(), lenet5({ rng: new Random(0) }).toSpec());
});

test('command line: train a resnet, then eval, predict and summary read its model file', async () => {
  const dir = tempDir('models');
  const data = join(dir, 'mnist');
  mkdirSync(data);
  const m = loadMnist();
  const write = (images: string, labels: string, set: typeof m.train, n: number) => {
    writeFileSync(join(data, images), encodeIdx([n, 28, 28], set.images.subarray(0, n * 784)));
    writeFileSync(join(data, labels), encodeIdx([n], Uint8Array.from(set.labels.subarray(0, n))));
  };
  write(MNIST_FILES.trainImages, MNIST_FILES.trainLabels, m.train, 300);
  write(MNIST_FILES.testImages, MNIST_FILES.testLabels, m.test, 50);
  const model = join(dir, 'resnet.zg');
  const r = await runCli(['train', '--model', 'resnet', '--epochs', '1', '--batch-size', '50', '--data-dir', data, '--out', model, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const res = lastJson(r.stdout);
  assert.equal(res.parameters, 77_754);
  const png = join(dir, 'blank.png');
  const image = new PNG({ width: 28, height: 28 });
  image.data.fill(255);
  for (let y = 6; y < 22; y++) for (const xx of [13, 14]) image.data.fill(0, 4 * (y * 28 + xx), 4 * (y * 28 + xx) + 3); // a "1"
  writeFileSync(png, PNG.sync.write(image));
  // Independent runs, two at a time.
  const [e, p, s, a, bn, wrong] = await twoAtATime([
    ['eval', '--model', model, '--data-dir', data, '--json'],
    ['predict', '--model', model, '--json', png],
    ['summary', '--model', model, '--json'],
    ['summary', '--arch', 'vgg'],
    ['summary', '--arch', 'vgg', '--batch-norm', '--json'],
    ['train', '--model', 'cnn', '--batch-norm', '--epochs', '1', '--data-dir', data],
  ], (args) => runCli(args));
  assert.equal(e.code, 0, e.stderr);
  assert.equal(lastJson(e.stdout).accuracy, res.testAccuracy, 'the saved running statistics give the accuracy training ended with');
  assert.equal(p.code, 0, p.stderr);
  assert.ok(Number.isInteger(lastJson(p.stdout)[0].prediction));
  assert.equal(lastJson(s.stdout).parameters, 77_754);
  assert.ok(lastJson(s.stdout).layers.some((l: { name: string }) => l.name === '6.shortcut.0'));
  assert.match(a.stdout, /total parameters: 218,490; multiply-adds per example: 4,830,720/);
  // --batch-norm: a BatchNorm2d after each of vgg's four convolutions, which then lose their bias.
  const layers = lastJson(bn.stdout).layers as Array<{ name: string; type: string }>;
  assert.equal(layers.filter((l) => l.type === 'BatchNorm2d').length, 4);
  assert.equal(lastJson(bn.stdout).parameters, 218_490 - 16 - 16 - 32 - 32 + 2 * (16 + 16 + 32 + 32));
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /--batch-norm: expected false for cnn \(batch norm is a vgg option; resnet always has it\), got true/);
});
