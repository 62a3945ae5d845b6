// Every experiment runs in its quick form, reports plots and numbers, and shows what it claims:
// each test below reads the experiment's `numbers` and checks its claim, not just its shape.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXPERIMENTS, type ExperimentResult } from './index.js';
import { page } from './report.js';
import { loadMnist, type MnistData } from '../data/mnist.js';
import { useBackend } from '../backends/wasm/node.js';
import { setBackend } from '../backends/index.js';
import { tempDir } from '../testing/helpers.js';

const BIN = fileURLToPath(new URL('../../bin/zerograd.js', import.meta.url));
let data: MnistData;
before(async () => {
  await useBackend({ backend: 'wasm', threads: 2 });
  data = loadMnist();
});
after(() => setBackend('reference'));

const runs = new Map<string, ExperimentResult>();
/** Run an experiment quick with seed 1 (once), check that its report has plots, and return its numbers. */
function numbers(name: string): any {
  let r = runs.get(name);
  if (!r) {
    const e = EXPERIMENTS.find((x) => x.name === name)!;
    r = e.run({ quick: true, data, seed: 1 });
    runs.set(name, r);
    assert.ok(r.summary.length > 0, `${name}: no summary`);
    const html = page(e.title, e.question, r.sections);
    assert.ok((html.match(/<svg/g) ?? []).length + (html.match(/<img /g) ?? []).length >= 1, `${name}: no plots`);
  }
  return r.numbers;
}

test('linear-collapse --quick: the weight product reproduces the linear network, and ReLU beats it', async () => {
  const out = tempDir('exp');
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, [BIN, 'experiment', 'linear-collapse', '--quick', '--out', out, '--json'], (err, so, se) => (err ? reject(new Error(se)) : resolve(so))));
  const r = JSON.parse(stdout.trim().split('\n').pop()!);
  // One 784→10 layer computes the same function as the trained 784-256-128-10 linear network, to float32 precision.
  assert.ok(r.numbers.collapse.maxRelativeError < 1e-5, `relative error ${r.numbers.collapse.maxRelativeError}`);
  assert.equal(r.numbers.collapse.reproduces, true);
  // …so depth alone adds nothing: the deep linear network is within a few points of one linear layer, and ReLU lifts it.
  const acc = r.numbers.testAccuracy;
  assert.ok(Math.abs(acc.deepLinear - acc.singleLinear) < 0.03, `deep linear ${acc.deepLinear} vs single ${acc.singleLinear}`);
  assert.ok(acc.deepRelu > acc.deepLinear + 0.02, `ReLU ${acc.deepRelu} vs linear ${acc.deepLinear}`);
  assert.equal(r.numbers.nonlinearWins, true);
  assert.match(readFileSync(join(out, 'linear-collapse.html'), 'utf8'), /<svg/);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'linear-collapse.json'), 'utf8')).numbers, r.numbers);
});

test('pooling: the parameter counts are what the arithmetic says', () => {
  const n = numbers('pooling');
  // conv 16 kernels 5×5 + bias: 16·25 + 16; its maps are 16×24×24, pooled 2×2 to 16×12×12;
  // dense (flattened → 64) + bias; output 64·10 + 10.
  const params = (flat: number) => (16 * 25 + 16) + (flat * 64 + 64) + (64 * 10 + 10);
  assert.equal(n.max.parameters, params(16 * 12 * 12));
  assert.equal(n.avg.parameters, params(16 * 12 * 12));
  assert.equal(n.none.parameters, params(16 * 24 * 24));
  assert.equal(n.none.parameters - n.max.parameters, 3 * 16 * 12 * 12 * 64, 'no pooling: 4× the dense layer\'s inputs');
  for (const k of ['max', 'avg', 'none']) assert.ok(n[k].testAccuracy > 0.8, `${k}: test accuracy ${n[k].testAccuracy}`);
});

test('kernels: training moves the kernels away from their random start', () => {
  const n = numbers('kernels');
  assert.ok(n.kernelRelativeChange > 0.05, `kernels changed by ${n.kernelRelativeChange} of their size`);
  assert.ok(n.testAccuracy > 0.8, `test accuracy ${n.testAccuracy}`);
});

test('learning-rate: too small crawls, a good one converges, too large diverges', () => {
  const n = numbers('learning-rate');
  assert.equal(n['0.001'].outcome, 'crawling', n['0.001'].verdict);
  assert.equal(n['0.1'].outcome, 'converged', n['0.1'].verdict);
  assert.ok(n['0.1'].testAccuracy > 0.8, `lr 0.1: test accuracy ${n['0.1'].testAccuracy}`);
  assert.equal(n['10'].outcome, 'diverged', n['10'].verdict);
  assert.ok(n['10'].testAccuracy < 0.3, `lr 10: test accuracy ${n['10'].testAccuracy}`);
});

test('optimizers: Adam beats plain SGD in the same number of steps', () => {
  const n = numbers('optimizers');
  assert.equal(n.steps, 2 * Math.ceil(5000 / 64));
  const adam = n['Adam lr 0.001'], sgd = n['SGD lr 0.1'], slowSgd = n['SGD lr 0.01'];
  assert.ok(adam.lastEpochLoss < 0.9 * sgd.lastEpochLoss, `Adam ${adam.lastEpochLoss} vs SGD lr 0.1 ${sgd.lastEpochLoss}`);
  assert.ok(adam.testAccuracy > sgd.testAccuracy, `Adam ${adam.testAccuracy} vs SGD lr 0.1 ${sgd.testAccuracy}`);
  assert.ok(adam.lastEpochLoss < 0.5 * slowSgd.lastEpochLoss, `Adam ${adam.lastEpochLoss} vs SGD lr 0.01 ${slowSgd.lastEpochLoss}`);
});

test('experiments repeat: the same seed gives the same numbers', () => {
  const e = EXPERIMENTS.find((x) => x.name === 'optimizers')!;
  assert.deepEqual(e.run({ quick: true, data, seed: 1 }).numbers, numbers('optimizers'));
});

test('init: He keeps the spread of activations through six layers; small random weights make it vanish', () => {
  const n = numbers('init');
  const ratio = (k: string) => n[k].activationStd.at(-1) / n[k].activationStd[0];
  assert.equal(n.he.activationStd.length, 6);
  // He: var(w) = 2/fan-in makes each ReLU layer keep the variance, so the spread stays within 2×.
  assert.ok(ratio('he') > 0.5 && ratio('he') < 2, `He: last/first std ${ratio('he')}`);
  // N(0, 0.01²) with 256 inputs multiplies the spread by about √(256·0.01²/2) ≈ 0.11 per layer.
  assert.ok(ratio('normal') < 1e-3, `small random: last/first std ${ratio('normal')}`);
  for (let i = 1; i < 6; i++) assert.ok(n.normal.activationStd[i] < 0.2 * n.normal.activationStd[i - 1], `small random: layer ${i + 1}`);
  // …and training stalls at chance while He trains.
  assert.ok(n.normal.testAccuracy < 0.2, `small random: test accuracy ${n.normal.testAccuracy}`);
  assert.ok(n.he.testAccuracy > 0.8, `He: test accuracy ${n.he.testAccuracy}`);
});

test('depth: each hidden layer adds 128·128 + 128 parameters, and the accuracy gains flatten', () => {
  const n = numbers('depth');
  for (const d of [1, 2, 3, 5]) assert.equal(n[d].parameters, (784 * 128 + 128) + (d - 1) * (128 * 128 + 128) + (128 * 10 + 10), `${d} hidden`);
  const test = [1, 2, 3, 5].map((d) => n[d].testAccuracy);
  assert.ok(Math.max(...test) - Math.min(...test) < 0.02, `test accuracy by depth ${test.join(', ')}`);
  assert.ok(n[5].trainAccuracy >= n[1].trainAccuracy, `train accuracy: 5 hidden ${n[5].trainAccuracy} vs 1 hidden ${n[1].trainAccuracy}`);
  for (const d of [1, 2, 3, 5]) assert.ok(n[d].testAccuracy > 0.85, `${d} hidden: test accuracy ${n[d].testAccuracy}`);
});

test('depth-and-blocks: sizes and costs are what the arithmetic says; batch norm and skips help', () => {
  const n = numbers('depth-and-blocks');
  const net = n.networks;
  // Parameters: a conv has OC·C·K·K weights (+ OC biases), a dense layer OUT·IN (+ OUT); batch norm a
  // scale and a shift per channel. Multiply-adds: a conv OC·OH·OW·C·K·K per image, a dense layer IN·OUT.
  // cnn, 8 kernels 5×5 → pool to 8×12×12 → dense 64 → 10.
  assert.equal(net.cnn.parameters, (8 * 25 + 8) + (8 * 12 * 12 * 64 + 64) + (64 * 10 + 10));
  assert.equal(net.cnn.multiplyAdds, 8 * 24 * 24 * 25 + 8 * 12 * 12 * 64 + 64 * 10);
  // LeNet-5: 6@5×5 pad 2 (28×28) → pool → 16@5×5 (10×10) → pool → 400 → 120 → 84 → 10.
  assert.equal(net.lenet5.parameters, 61706);
  assert.equal(net.lenet5.multiplyAdds, 6 * 28 * 28 * 25 + 16 * 10 * 10 * 6 * 25 + 400 * 120 + 120 * 84 + 84 * 10);
  // VGG-style, 8 then 16 channels: two 3×3 convs per block at 28×28 then 14×14, dense 16·7·7 → 64 → 10.
  const vggConvs = [[1, 8, 28], [8, 8, 28], [8, 16, 14], [16, 16, 14]];
  assert.equal(net.vgg.parameters, vggConvs.reduce((s, [c, o]) => s + o * c * 9 + o, 0) + (16 * 49 * 64 + 64) + (64 * 10 + 10));
  assert.equal(net.vgg.multiplyAdds, vggConvs.reduce((s, [c, o, h]) => s + o * h * h * c * 9, 0) + 16 * 49 * 64 + 64 * 10);
  // With batch norm the convs lose their biases and each channel gains γ and β: +48 in all.
  assert.equal(n.batchNorm.with.parameters - n.batchNorm.without.parameters, (8 + 8 + 16 + 16) * (2 - 1));
  // ResNet-style 8, 16, 32: stem conv + BN, one block per stage (1×1 projections at the stride-2 ones), dense 32 → 10.
  const block = (c: number, o: number) => 9 * c * o + 9 * o * o + 4 * o + (c === o ? 0 : c * o + 2 * o);
  assert.equal(net.resnet.parameters, (9 * 8 + 16) + block(8, 8) + block(8, 16) + block(16, 32) + (32 * 10 + 10));
  // Every network learns well above chance (10%) in one epoch on 2,000 images.
  for (const k of ['cnn', 'lenet5', 'vgg', 'resnet']) assert.ok(net[k].testAccuracy > 0.5, `${k}: test accuracy ${net[k].testAccuracy}`);
  // Batch norm: a lower training loss after the same SGD steps at the same learning rate.
  assert.ok(n.batchNorm.with.lastEpochLoss < n.batchNorm.without.lastEpochLoss, `batch norm: loss ${n.batchNorm.with.lastEpochLoss} with, ${n.batchNorm.without.lastEpochLoss} without`);
  // The identity skips add no parameters and no multiply-adds…
  const { plain, skips } = n.residual;
  assert.equal(skips.parameters, plain.parameters);
  assert.equal(skips.multiplyAdds, plain.multiplyAdds);
  assert.equal(plain.parameters, (9 * 8 + 16) + 4 * 2 * (9 * 8 * 8 + 16) + (8 * 10 + 10));
  // …yet more gradient reaches the first layer (∂y/∂x = I + ∂F/∂x), and the loss falls further.
  assert.ok(skips.firstLayerGradNorm.init > 1.5 * plain.firstLayerGradNorm.init, `first-layer gradient: ${skips.firstLayerGradNorm.init} with skips, ${plain.firstLayerGradNorm.init} plain`);
  assert.ok(skips.lastEpochLoss < plain.lastEpochLoss, `loss: ${skips.lastEpochLoss} with skips, ${plain.lastEpochLoss} plain`);
});

test('detection: each stage of R-CNN adds to mAP where the paper says it does', () => {
  const n = numbers('detection');
  const at = (k: string) => n[k];
  // Proposals alone name nothing: every box is offered as every digit.
  assert.ok(at('proposals only').mAP50 < 0.1, `proposals only: ${at('proposals only').mAP50}`);
  assert.ok(at('+ CNN scores (SVMs)').mAP50 > at('proposals only').mAP50 + 0.2, 'scores name the regions');
  // Regression moves boxes onto the digits: it shows at the strict IoU of 0.7 (compared with NMS on
  // both sides: without NMS, regression only piles the duplicates up more neatly).
  assert.ok(at('+ NMS (full R-CNN)').mAP70 > at('full R-CNN without box regression').mAP70,
    `regression at IoU 0.7: ${at('+ NMS (full R-CNN)').mAP70} vs ${at('full R-CNN without box regression').mAP70}`);
  // Without NMS each digit's duplicates are false positives; NMS removes them.
  assert.ok(at('+ NMS (full R-CNN)').mAP50 > at('+ box regression').mAP50 + 0.1, `NMS: ${at('+ NMS (full R-CNN)').mAP50} vs ${at('+ box regression').mAP50}`);
  assert.ok(at('+ NMS (full R-CNN)').mAP50 >= 0.3, `full pipeline on the smoke split: ${at('+ NMS (full R-CNN)').mAP50}`);
});

test('every experiment has a test above', () => {
  const tested = ['linear-collapse', 'pooling', 'kernels', 'learning-rate', 'optimizers', 'init', 'depth', 'depth-and-blocks', 'detection'];
  assert.deepEqual(EXPERIMENTS.map((e) => e.name).sort(), [...tested].sort());
});
