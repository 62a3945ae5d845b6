// Experiments on the blocks of deeper networks: the classic architectures side by side, then
// batch normalization and the residual connection, each switched off with all else kept equal.
import * as zg from '../index.js';
import { barChart, lineChart, table } from './report.js';
import { last, pct, sizes, trainCurve, type Curve, type Experiment } from './common.js';

interface Run {
  curve: Curve;
  parameters: number;
  /** Multiply-adds of one forward pass on one 28×28 image (summarize's MACs column, summed). */
  macs: number;
}

const INPUT = [1, 28, 28];
const BATCH = 32;
const macsOf = (m: zg.Module) => zg.summarize(m, INPUT).reduce((n, r) => n + r.macs, 0);

/** Train a freshly seeded network (Adam, or plain SGD without momentum) and measure its size and cost. */
function trainNet(build: () => zg.Module, lr: number, d: ReturnType<typeof sizes>, seed: number, opt: 'adam' | 'sgd' = 'adam'): Run & { model: zg.Module } {
  zg.manualSeed(seed);
  const model = build();
  const parameters = model.parameterCount();
  const macs = macsOf(model);
  const optimizer = opt === 'adam' ? new zg.Adam(model.parameters(), { lr }) : new zg.SGD(model.parameters(), { lr });
  return { model, parameters, macs, curve: trainCurve({ model, optimizer }, d.train, d.test, d.epochs, BATCH, seed) };
}

/**
 * The deep stack of the residual ablation: a stem (conv 3×3 → BN → ReLU → max pool 2, 28 → 14),
 * then `pairs` pairs of conv 3×3 → BN → ReLU layers at `width` channels, global average pooling
 * and a dense layer. With `skips`, each pair is ResNet's basic block (the pair's output, before
 * its last ReLU, plus the pair's input); without, the very same layers in a plain chain. The
 * identity adds no parameters and no multiply-adds, so the two differ only in the wiring.
 */
export function deepStack(width: number, pairs: number, skips: boolean): zg.Sequential {
  const layers: zg.Module[] = [new zg.Conv2d(1, width, 3, { padding: 1, bias: false }), new zg.BatchNorm2d(width), new zg.ReLU(), new zg.MaxPool2d(2)];
  for (let p = 0; p < pairs; p++) {
    const block = zg.basicBlock(width, width);
    layers.push(...(skips ? [block] : (block.body as zg.Sequential).layers), new zg.ReLU());
  }
  layers.push(new zg.AdaptiveAvgPool2d(1), new zg.Flatten(), new zg.Linear(width, 10, { init: 'xavier' }));
  return new zg.Sequential(layers);
}

/**
 * ‖∂loss/∂w‖ of the first convolution's weights on one batch, in training mode (batch statistics):
 * how much of the error signal survives the trip back through every layer above it.
 */
function firstLayerGradNorm(model: zg.Sequential, x: zg.Tensor, y: Int32Array): number {
  model.train();
  model.zeroGrad();
  zg.crossEntropy(model.forward(x), y).backward();
  const g = (model.layers[0] as zg.Conv2d).weight.grad!.data;
  let s = 0;
  for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  model.zeroGrad();
  return Math.sqrt(s);
}

const fmt = (n: number) => n.toLocaleString('en-US');

export const depthAndBlocks: Experiment = {
  name: 'depth-and-blocks',
  title: 'Deeper CNNs: LeNet-5, VGG, ResNet, batch norm and the residual connection',
  question: 'The simple CNN, LeNet-5, a VGG-style and a ResNet-style network, trained for the same epochs on the same data: accuracy, parameters and multiply-adds per image. Then two ablations: the VGG-style network with and without batch normalization (plain SGD at learning rate 0.1), and a deep plain stack of 3×3 conv → BN → ReLU layers against the same layers with an identity skip around every two — the loss curves, the accuracy, and the gradient that reaches the first layer.',
  run(ctx) {
    const d = sizes(ctx, [2000, 500, 1], [10000, 2000, 2]);
    // Quick: narrow versions of each (the builders take the widths); full: the builders' defaults.
    const w = ctx.quick ? 8 : 16;
    const nets: Record<string, () => zg.Module> = {
      [`cnn (${w} kernels 5×5)`]: () => zg.cnn({ kernels: w, hidden: 64 }),
      'LeNet-5': () => zg.lenet5(),
      [`VGG-style (${w}, ${2 * w} channels)`]: () => zg.vgg({ kernels: w, hidden: 64 }),
      [`ResNet-style (${w}, ${2 * w}, ${4 * w} channels)`]: () => zg.resnet({ kernels: w }),
    };
    const keys = ['cnn', 'lenet5', 'vgg', 'resnet'];
    const nets4: Record<string, Run> = {};
    Object.entries(nets).forEach(([, build], i) => { nets4[keys[i]] = trainNet(build, 0.003, d, ctx.seed); });
    const label = Object.fromEntries(Object.keys(nets).map((name, i) => [keys[i], name]));

    // Batch norm: the same VGG under plain SGD at lr 0.1, where the one without batch norm learns slowly.
    const bnLr = 0.1;
    const bn: Record<'with' | 'without', Run> = {
      without: trainNet(() => zg.vgg({ kernels: w, hidden: 64 }), bnLr, d, ctx.seed, 'sgd'),
      with: trainNet(() => zg.vgg({ kernels: w, hidden: 64, batchNorm: true }), bnLr, d, ctx.seed, 'sgd'),
    };

    // The residual connection: the same seed gives the two stacks the same initial weights.
    const [width, pairs] = ctx.quick ? [8, 4] : [16, 5];
    const probe = d.train.batch(Array.from({ length: 100 }, (_, i) => i));
    const res: Record<'plain' | 'skips', Run & { gradInit: number; gradEnd: number }> = {} as never;
    for (const kind of ['plain', 'skips'] as const) {
      let gradInit = 0;
      const r = trainNet(() => {
        const m = deepStack(width, pairs, kind === 'skips');
        gradInit = firstLayerGradNorm(m, probe.x, probe.y);
        return m;
      }, 0.01, d, ctx.seed);
      res[kind] = { ...r, gradInit, gradEnd: firstLayerGradNorm(r.model as zg.Sequential, probe.x, probe.y) };
    }

    const acc = (r: Run) => last(r.curve.testAccuracy) ?? 0;
    const loss = (r: Run) => last(r.curve.epochLoss) ?? NaN;
    const layers = 1 + 2 * pairs;
    const summary = [
      ...keys.map((k) => `${label[k].padEnd(36)} ${fmt(nets4[k].parameters).padStart(9)} parameters ${fmt(nets4[k].macs).padStart(11)} multiply-adds   test ${pct(acc(nets4[k]))}`),
      `batch norm (VGG, SGD lr ${bnLr}): last-epoch loss ${loss(bn.with).toFixed(3)} with, ${loss(bn.without).toFixed(3)} without; test ${pct(acc(bn.with))} vs ${pct(acc(bn.without))}`,
      `residual connection (${layers} conv layers, ${width} channels): last-epoch loss ${loss(res.skips).toFixed(3)} with skips, ${loss(res.plain).toFixed(3)} plain; test ${pct(acc(res.skips))} vs ${pct(acc(res.plain))}`,
      `gradient reaching the first layer at initialization: ${res.skips.gradInit.toExponential(2)} with skips, ${res.plain.gradInit.toExponential(2)} plain (${(res.skips.gradInit / res.plain.gradInit).toFixed(1)}×)`,
    ];
    const numbers = {
      samples: { train: d.train.count, test: d.test.count, epochs: d.epochs },
      networks: Object.fromEntries(keys.map((k) => [k, { name: label[k], parameters: nets4[k].parameters, multiplyAdds: nets4[k].macs, testAccuracy: acc(nets4[k]), lastEpochLoss: loss(nets4[k]), seconds: nets4[k].curve.seconds }])),
      batchNorm: { lr: bnLr, ...Object.fromEntries((['with', 'without'] as const).map((k) => [k, { parameters: bn[k].parameters, lastEpochLoss: loss(bn[k]), testAccuracy: acc(bn[k]) }])) },
      residual: { convLayers: layers, width, ...Object.fromEntries((['plain', 'skips'] as const).map((k) => [k, {
        parameters: res[k].parameters, multiplyAdds: res[k].macs, lastEpochLoss: loss(res[k]), testAccuracy: acc(res[k]),
        firstLayerGradNorm: { init: res[k].gradInit, trained: res[k].gradEnd } }])) },
    };
    const curves = (o: Record<string, Run>, names: Record<string, string>) => Object.entries(o).map(([k, r]) => ({ name: names[k], points: r.curve.loss }));
    return {
      summary,
      numbers,
      sections: [
        { heading: 'Four architectures, same data, same epochs', html: table(['network', 'parameters', 'multiply-adds per image', 'last-epoch loss', 'test accuracy'],
          keys.map((k) => [label[k], fmt(nets4[k].parameters), fmt(nets4[k].macs), loss(nets4[k]).toFixed(3), pct(acc(nets4[k]))]))
          + '<p class="note">Parameters are what a network stores; multiply-adds are what one image costs. A convolution reuses each weight at every position, so the convolutional networks do far more work per weight than the dense layers; global average pooling lets the ResNet end with one small dense layer.</p>'
          + lineChart('training loss', curves(nets4, label), { xLabel: 'epoch', yLabel: 'loss', logY: true }) },
        { heading: 'Batch normalization', html: lineChart(`VGG-style, plain SGD at lr ${bnLr}: training loss`, curves(bn, { with: 'with batch norm', without: 'without' }), { xLabel: 'epoch', yLabel: 'loss', logY: true })
          + `<p>Each batch norm layer rescales its channel to mean 0 and variance 1 over the batch, so every layer sees inputs of the same scale whatever the weights below it do, and the same learning rate makes faster progress in every layer: the loss falls faster in the same steps. The convolutions before it lose their bias (the mean subtraction would cancel it), and each channel gains a scale and a shift: ${fmt(bn.with.parameters)} parameters against ${fmt(bn.without.parameters)}.</p>` },
        { heading: 'The residual connection', html: lineChart(`${layers} conv layers at ${width} channels: training loss`, curves(res, { plain: 'plain stack', skips: 'with identity skips' }), { xLabel: 'epoch', yLabel: 'loss', logY: true })
          + barChart('‖∂loss/∂w‖ of the first layer at initialization', [{ label: 'plain', value: res.plain.gradInit }, { label: 'with skips', value: res.skips.gradInit }])
          + `<p>With a skip, y = x + F(x), so ∂y/∂x = I + ∂F/∂x: the error signal reaches the layers below through the identity undiminished, on top of whatever passes through the block. The two networks have the same layers, the same ${fmt(res.plain.parameters)} parameters and ${fmt(res.plain.macs)} multiply-adds; only the wiring differs. Test accuracy ${pct(acc(res.skips))} with skips, ${pct(acc(res.plain))} without.</p>` },
      ],
    };
  },
};
