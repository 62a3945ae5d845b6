// Experiments that show why each part of a network is there. Each is seeded, so its numbers
// repeat; `quick` runs a small version (under a minute) that the tests run.
import * as zg from '../index.js';
import type { MnistData } from '../data/mnist.js';
import { barChart, grayImage, lineChart, table, type Series } from './report.js';

export interface ExperimentContext {
  quick: boolean;
  data: MnistData;
  seed: number;
}

export interface ExperimentResult {
  /** Lines printed to the terminal. */
  summary: string[];
  /** Everything measured, for the JSON file. */
  numbers: Record<string, unknown>;
  /** Report sections. */
  sections: Array<{ heading: string; html: string }>;
}

export interface Experiment {
  name: string;
  title: string;
  /** What it shows, one paragraph (HTML allowed). */
  question: string;
  run(ctx: ExperimentContext): ExperimentResult;
}

interface Curve {
  /** [fraction of epochs done, training loss] */
  loss: Array<[number, number]>;
  testAccuracy: number[];
  trainAccuracy: number[];
  seconds: number;
  diverged: boolean;
}

function sizes(ctx: ExperimentContext, quick: [number, number, number], full: [number, number, number]) {
  const [train, test, epochs] = ctx.quick ? quick : full;
  return { train: ctx.data.train.take(train), test: ctx.data.test.take(test), epochs };
}

/** Train and record the loss every few batches and the accuracies after every epoch. */
function trainCurve(model: zg.Module, opt: zg.Optimizer, train: zg.ImageDataset, test: zg.ImageDataset, epochs: number, batchSize: number, seed: number): Curve {
  const rng = new zg.Random(seed);
  const curve: Curve = { loss: [], testAccuracy: [], trainAccuracy: [], seconds: 0, diverged: false };
  const batches = Math.ceil(train.count / batchSize);
  const every = Math.max(1, Math.floor(batches / 20));
  for (let e = 0; e < epochs; e++) {
    try {
      const info = zg.trainEpoch(model, train, opt, {
        batchSize, rng, epoch: e,
        onBatch: (b) => { if (b.batch % every === 0) curve.loss.push([e + b.batch / batches, b.loss]); },
      });
      curve.seconds += info.seconds;
      curve.trainAccuracy.push(zg.evaluate(model, train).accuracy);
      curve.testAccuracy.push(zg.evaluate(model, test).accuracy);
    } catch (err) {
      if (!(err instanceof zg.DivergedError)) throw err;
      curve.diverged = true;
      break;
    }
  }
  return curve;
}

const pct = (x: number | undefined) => (x === undefined ? '—' : `${(100 * x).toFixed(2)}%`);
const last = <T>(a: T[]): T | undefined => a[a.length - 1];

/** Dense layers with an optional activation between them (none = a purely linear network). */
function denseStack(sizes: number[], activation: 'relu' | 'none' | 'tanh', init: 'he' | 'xavier' | 'normal' = 'he'): zg.Sequential {
  const layers: zg.Module[] = [new zg.Flatten()];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new zg.Linear({ inFeatures: sizes[i], outFeatures: sizes[i + 1], init: i + 2 === sizes.length ? 'xavier' : init }));
    if (i + 2 < sizes.length && activation === 'relu') layers.push(new zg.ReLU());
    if (i + 2 < sizes.length && activation === 'tanh') layers.push(new zg.Tanh());
  }
  return new zg.Sequential(layers);
}

const linearCollapse: Experiment = {
  name: 'linear-collapse',
  title: 'Without a non-linearity, a deep network is one linear layer',
  question: 'A network of three dense layers with no activation between them computes W₃(W₂(W₁x + b₁) + b₂) + b₃, which is itself of the form Wx + b. We train it, multiply its weights together, and check that the single product layer gives the same outputs; then compare its accuracy with one linear layer and with the same network with ReLU.',
  run(ctx) {
    const { train, test, epochs } = sizes(ctx, [10000, 2000, 3], [60000, 10000, 5]);
    const arch = [784, 256, 128, 10];
    const results: Record<string, { curve: Curve; params: number }> = {};
    const models: Record<string, zg.Sequential> = {};
    for (const [name, build] of [
      ['deep linear (784-256-128-10, no activation)', () => denseStack(arch, 'none')],
      ['single linear layer (784-10)', () => denseStack([784, 10], 'none')],
      ['deep with ReLU (784-256-128-10)', () => denseStack(arch, 'relu')],
    ] as const) {
      zg.manualSeed(ctx.seed);
      const m = build();
      models[name] = m;
      results[name] = { curve: trainCurve(m, new zg.Adam(m.parameters(), { lr: 0.001 }), train, test, epochs, 50, ctx.seed), params: m.parameterCount() };
    }
    // Collapse the deep linear network: W = W₃·W₂·W₁, b = W₃·(W₂·b₁ + b₂) + b₃ (in float64).
    const deep = models['deep linear (784-256-128-10, no activation)'];
    const lin = deep.layers.filter((l): l is zg.Linear => l instanceof zg.Linear);
    let W = Float64Array.from(lin[0].weight.data), b = Float64Array.from(lin[0].bias!.data);
    let rows = lin[0].outFeatures;
    for (const l of lin.slice(1)) {
      const nW = new Float64Array(l.outFeatures * 784), nb = new Float64Array(l.outFeatures);
      for (let o = 0; o < l.outFeatures; o++) {
        let s = l.bias!.data[o];
        for (let k = 0; k < rows; k++) {
          const w = l.weight.data[o * rows + k];
          s += w * b[k];
          for (let i = 0; i < 784; i++) nW[o * 784 + i] += w * W[k * 784 + i];
        }
        nb[o] = s;
      }
      W = nW; b = nb; rows = l.outFeatures;
    }
    const { x } = test.batch(Array.from({ length: Math.min(500, test.count) }, (_, i) => i));
    const netOut = zg.noGrad(() => deep.eval().forward(x)).data;
    let maxErr = 0, maxAbs = 0;
    for (let n = 0; n < x.shape[0]; n++) for (let o = 0; o < 10; o++) {
      let s = b[o];
      for (let i = 0; i < 784; i++) s += W[o * 784 + i] * x.data[n * 784 + i];
      maxErr = Math.max(maxErr, Math.abs(s - netOut[n * 10 + o]));
      maxAbs = Math.max(maxAbs, Math.abs(s));
    }
    const relErr = maxErr / maxAbs;
    const acc = (k: string) => last(results[k].curve.testAccuracy) ?? 0;
    const deepLin = acc('deep linear (784-256-128-10, no activation)');
    const single = acc('single linear layer (784-10)');
    const relu = acc('deep with ReLU (784-256-128-10)');
    const nonlinearWins = relu > deepLin;
    const reproduces = relErr < 1e-5;
    return {
      summary: [
        `test accuracy: deep linear ${pct(deepLin)}, single linear ${pct(single)}, deep with ReLU ${pct(relu)}`,
        `non-linear network beats the purely linear one: ${nonlinearWins ? 'yes' : 'NO'} (${pct(relu)} vs ${pct(deepLin)})`,
        `product of the linear network's weights reproduces its outputs: ${reproduces ? 'yes' : 'NO'} (largest relative difference ${relErr.toExponential(2)}, float32 precision)`,
      ],
      numbers: { testAccuracy: { deepLinear: deepLin, singleLinear: single, deepRelu: relu }, collapse: { maxAbsError: maxErr, maxRelativeError: relErr, reproduces }, nonlinearWins,
        parameters: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.params])) },
      sections: [
        { heading: 'Loss curves', html: lineChart('training loss', Object.entries(results).map(([name, r]) => ({ name, points: r.curve.loss })), { xLabel: 'epoch', yLabel: 'loss', logY: true }) },
        { heading: 'Test accuracy', html: barChart('test accuracy after training', Object.entries(results).map(([label, r]) => ({ label: label.split(' (')[0], value: 100 * (last(r.curve.testAccuracy) ?? 0) })), '%') },
        { heading: 'The collapse, checked', html: `<p>Multiplying the trained weights together gives one 784→10 layer. On ${x.shape[0]} test images its outputs differ from the deep linear network's by at most ${maxErr.toExponential(2)} (relative ${relErr.toExponential(2)}): the same function, up to float32 rounding. Depth without a non-linearity adds parameters (${results['deep linear (784-256-128-10, no activation)'].params.toLocaleString('en-US')} vs ${results['single linear layer (784-10)'].params.toLocaleString('en-US')}) but no expressive power; its accuracy stays at the single layer's level, and ReLU is what lifts it.</p>` },
      ],
    };
  },
};

const pooling: Experiment = {
  name: 'pooling',
  title: 'Pooling: max, average or none',
  question: 'The same CNN with max pooling, average pooling and no pooling after the convolution: how many parameters and multiply-adds each needs, how long it trains, and the gap between training and test accuracy.',
  run(ctx) {
    const { train, test, epochs } = sizes(ctx, [4000, 2000, 2], [60000, 10000, 3]);
    const out: Record<string, { curve: Curve; params: number; macs: number }> = {};
    for (const pool of ['max', 'avg', 'none'] as const) {
      zg.manualSeed(ctx.seed);
      const m = zg.cnn({ kernels: 16, hidden: 64, pool });
      const rows = zg.summarize(m, [1, 28, 28]);
      // Multiply-adds of one forward pass: conv = OC·OH·OW·C·K·K, dense = in·out.
      const conv = 16 * 24 * 24 * 25;
      const flat = rows.find((r) => r.type === 'Flatten')!.outputShape[0];
      const macs = conv + flat * 64 + 64 * 10;
      out[pool] = { curve: trainCurve(m, new zg.Adam(m.parameters()), train, test, epochs, 100, ctx.seed), params: m.parameterCount(), macs };
    }
    const rows = Object.entries(out).map(([k, v]) => [k, v.params.toLocaleString('en-US'), v.macs.toLocaleString('en-US'), v.curve.seconds.toFixed(1),
      pct(last(v.curve.trainAccuracy)), pct(last(v.curve.testAccuracy)), pct((last(v.curve.trainAccuracy) ?? 0) - (last(v.curve.testAccuracy) ?? 0))]);
    return {
      summary: Object.entries(out).map(([k, v]) => `${k.padEnd(4)} pooling: ${v.params.toLocaleString('en-US')} parameters, ${v.macs.toLocaleString('en-US')} multiply-adds, train ${pct(last(v.curve.trainAccuracy))}, test ${pct(last(v.curve.testAccuracy))}, ${v.curve.seconds.toFixed(1)}s`),
      numbers: Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { parameters: v.params, multiplyAdds: v.macs, seconds: v.curve.seconds, trainAccuracy: last(v.curve.trainAccuracy), testAccuracy: last(v.curve.testAccuracy) }])),
      sections: [
        { heading: 'Cost and accuracy', html: table(['pooling', 'parameters', 'multiply-adds', 'train seconds', 'train acc', 'test acc', 'gap'], rows) + '<p class="note">Without pooling the flattened feature maps are 4× larger, so the dense layer after them has 4× the weights: more to store, more to compute, and more room to memorize the training set.</p>' },
        { heading: 'Loss', html: lineChart('training loss', Object.entries(out).map(([name, v]) => ({ name, points: v.curve.loss })), { xLabel: 'epoch', yLabel: 'loss', logY: true }) },
        { heading: 'Parameters', html: barChart('parameters', Object.entries(out).map(([label, v]) => ({ label, value: v.params }))) },
      ],
    };
  },
};

/** Kernels of the first convolution as images, and their feature maps on one digit. */
function kernelViews(m: zg.Sequential, digit: zg.Tensor, label: string): string {
  const conv = m.layers[0] as zg.Conv2d;
  const k = conv.kernelSize;
  const kernels = Array.from({ length: conv.outChannels }, (_, o) => grayImage(conv.weight.data.subarray(o * k * k, (o + 1) * k * k), k, k, { scale: 8, symmetric: true, title: `${label} kernel ${o}` })).join('');
  const maps = zg.noGrad(() => m.layers[1].forward(conv.forward(digit)));
  const [, C, H, W] = maps.shape;
  const fm = Array.from({ length: C }, (_, c) => grayImage(maps.data.subarray(c * H * W, (c + 1) * H * W), W, H, { scale: 2, title: `${label} feature map ${c}` })).join('');
  return `<h3>${label}: kernels</h3><div>${kernels}</div><h3>${label}: feature maps after ReLU</h3><div>${fm}</div>`;
}

const kernels: Experiment = {
  name: 'kernels',
  title: 'What convolution kernels learn',
  question: 'The kernels of a CNN at random initialization and after training, side by side as images, with the feature maps they produce on the same digit. Random kernels respond to noise; trained ones become stroke and edge detectors.',
  run(ctx) {
    const { train, test, epochs } = sizes(ctx, [5000, 1000, 1], [60000, 10000, 2]);
    zg.manualSeed(ctx.seed);
    const m = zg.cnn({ kernels: 12, hidden: 64 });
    const digit = test.batch([0]).x;
    const before = kernelViews(m, digit, 'random initialization');
    const w0 = Float32Array.from((m.layers[0] as zg.Conv2d).weight.data);
    const curve = trainCurve(m, new zg.Adam(m.parameters()), train, test, epochs, 100, ctx.seed);
    const after = kernelViews(m, digit, 'after training');
    const w1 = (m.layers[0] as zg.Conv2d).weight.data;
    let change = 0, norm = 0;
    for (let i = 0; i < w0.length; i++) { change += (w1[i] - w0[i]) ** 2; norm += w0[i] ** 2; }
    const relChange = Math.sqrt(change / norm);
    return {
      summary: [`test accuracy ${pct(last(curve.testAccuracy))}; the kernels moved by ${(100 * relChange).toFixed(0)}% of their initial size`],
      numbers: { testAccuracy: last(curve.testAccuracy), kernelRelativeChange: relChange },
      sections: [
        { heading: 'The digit', html: grayImage(digit.data, 28, 28, { scale: 6, title: 'input digit' }) },
        { heading: 'Before training', html: before },
        { heading: 'After training', html: after },
      ],
    };
  },
};

/**
 * Crawl, converge or diverge, from a loss curve. The yardstick is ln 10 ≈ 2.30, the loss of
 * guessing all ten classes equally: a loss far above it has exploded, one still near it has barely moved.
 */
function verdict(c: Curve): string {
  const chance = Math.log(10);
  const end = last(c.loss)?.[1] ?? NaN;
  const peak = Math.max(...c.loss.map(([, l]) => l));
  const acc = pct(last(c.testAccuracy));
  if (c.diverged) return 'diverged: the loss became NaN or infinite';
  if (peak > 5 * chance) return `diverged: the loss exploded to ${peak.toFixed(0)} and ends at ${end.toFixed(2)}, test ${acc}`;
  if (end > 1) return `crawling: the loss is still ${end.toFixed(2)} (chance is ${chance.toFixed(2)}), test ${acc}`;
  return `converged: loss ${end.toFixed(2)}, test ${acc}`;
}

const learningRate: Experiment = {
  name: 'learning-rate',
  title: 'Learning rate: crawl, converge, diverge',
  question: 'Plain gradient descent (SGD, no momentum) on the same MLP with learning rates from 0.001 to 10: too small crawls, a good one converges, too large oscillates or diverges to NaN.',
  run(ctx) {
    const { train, test, epochs } = sizes(ctx, [5000, 1000, 2], [60000, 10000, 3]);
    const rates = [0.001, 0.01, 0.1, 1, 10];
    const out: Record<string, Curve> = {};
    for (const lr of rates) {
      zg.manualSeed(ctx.seed);
      const m = zg.mlp({ hidden: [100] });
      out[String(lr)] = trainCurve(m, new zg.SGD(m.parameters(), { lr }), train, test, epochs, 64, ctx.seed);
    }
    return {
      summary: rates.map((lr) => `lr ${String(lr).padEnd(5)}: ${verdict(out[String(lr)])}`),
      numbers: Object.fromEntries(rates.map((lr) => [String(lr), { verdict: verdict(out[String(lr)]), diverged: out[String(lr)].diverged, finalLoss: last(out[String(lr)].loss)?.[1], testAccuracy: last(out[String(lr)].testAccuracy) }])),
      sections: [
        { heading: 'Loss curves', html: lineChart('training loss by learning rate', rates.map((lr) => ({ name: `lr ${lr}${out[String(lr)].diverged ? ' (diverged)' : ''}`, points: out[String(lr)].loss })), { xLabel: 'epoch', yLabel: 'loss', logY: true }) },
      ],
    };
  },
};

const optimizers: Experiment = {
  name: 'optimizers',
  title: 'SGD, momentum and Adam',
  question: 'The same MLP and data, trained with plain SGD, SGD with momentum 0.9, and Adam, each at its usual learning rate.',
  run(ctx) {
    const { train, test, epochs } = sizes(ctx, [5000, 1000, 2], [60000, 10000, 3]);
    const configs: Array<[string, (p: zg.Tensor[]) => zg.Optimizer]> = [
      ['SGD lr 0.1', (p) => new zg.SGD(p, { lr: 0.1 })],
      ['momentum 0.9, lr 0.01', (p) => new zg.SGD(p, { lr: 0.01, momentum: 0.9 })],
      ['Adam lr 0.001', (p) => new zg.Adam(p, { lr: 0.001 })],
      ['SGD lr 0.01', (p) => new zg.SGD(p, { lr: 0.01 })],
    ];
    const out: Record<string, Curve> = {};
    for (const [name, make] of configs) {
      zg.manualSeed(ctx.seed);
      const m = zg.mlp({ hidden: [100] });
      out[name] = trainCurve(m, make(m.parameters()), train, test, epochs, 64, ctx.seed);
    }
    return {
      summary: configs.map(([n]) => `${n.padEnd(22)} test ${pct(last(out[n].testAccuracy))}, final loss ${(last(out[n].loss)?.[1] ?? NaN).toFixed(3)}`),
      numbers: Object.fromEntries(configs.map(([n]) => [n, { testAccuracy: last(out[n].testAccuracy), finalLoss: last(out[n].loss)?.[1] }])),
      sections: [
        { heading: 'Loss curves', html: lineChart('training loss', configs.map(([n]) => ({ name: n, points: out[n].loss })), { xLabel: 'epoch', yLabel: 'loss', logY: true }) },
        { heading: 'Test accuracy per epoch', html: lineChart('test accuracy', configs.map(([n]) => ({ name: n, points: out[n].testAccuracy.map((a, i): [number, number] => [i + 1, 100 * a]) })), { xLabel: 'epoch', yLabel: 'test accuracy %' }) },
      ],
    };
  },
};

const init: Experiment = {
  name: 'init',
  title: 'Initialization: small random, Xavier, He',
  question: 'A deep network (6 hidden layers of 256, ReLU) started from small random weights N(0, 0.01²), Xavier and He initialization: the spread (standard deviation) of the activations layer by layer at the start, and the loss curves. Too small a start makes the signal vanish layer after layer, and training stalls.',
  run(ctx) {
    const { train, test, epochs } = sizes(ctx, [5000, 1000, 2], [60000, 10000, 3]);
    const sizesArr = [784, 256, 256, 256, 256, 256, 256, 10];
    const out: Record<string, { curve: Curve; spread: number[] }> = {};
    for (const kind of ['normal', 'xavier', 'he'] as const) {
      zg.manualSeed(ctx.seed);
      const m = denseStack(sizesArr, 'relu', kind);
      const spread: number[] = [];
      zg.noGrad(() => {
        let h = test.batch(Array.from({ length: 200 }, (_, i) => i)).x;
        for (const l of m.layers) {
          h = l.forward(h);
          if (l instanceof zg.ReLU) {
            const mean = h.mean().item();
            spread.push(Math.sqrt(h.sub(mean).pow(2).mean().item()));
          }
        }
      });
      out[kind] = { curve: trainCurve(m, new zg.SGD(m.parameters(), { lr: 0.05, momentum: 0.9 }), train, test, epochs, 64, ctx.seed), spread };
    }
    const label = { normal: 'small random N(0,0.01²)', xavier: 'Xavier', he: 'He' } as const;
    return {
      summary: (Object.keys(out) as Array<keyof typeof label>).map((k) => `${label[k].padEnd(24)} activation std by layer ${out[k].spread.map((s) => s.toExponential(1)).join(' ')}; test ${pct(last(out[k].curve.testAccuracy))}`),
      numbers: Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { activationStd: v.spread, testAccuracy: last(v.curve.testAccuracy), finalLoss: last(v.curve.loss)?.[1] }])),
      sections: [
        { heading: 'Spread of activations at initialization', html: lineChart('std of activations per hidden layer', Object.entries(out).map(([k, v]) => ({ name: label[k as keyof typeof label], points: v.spread.map((s, i): [number, number] => [i + 1, s]) })), { xLabel: 'hidden layer', yLabel: 'std', logY: true }) },
        { heading: 'Loss curves', html: lineChart('training loss', Object.entries(out).map(([k, v]) => ({ name: label[k as keyof typeof label], points: v.curve.loss })), { xLabel: 'epoch', yLabel: 'loss', logY: true }) },
      ],
    };
  },
};

const depth: Experiment = {
  name: 'depth',
  title: 'Depth: 1, 2, 3 and 5 hidden layers',
  question: 'MLPs with 1, 2, 3 and 5 hidden layers of 128 units (ReLU, Adam): does more depth help on MNIST? On a problem this simple, the gains flatten quickly; what is "deep" is a matter of convention, not a threshold.',
  run(ctx) {
    const { train, test, epochs } = sizes(ctx, [5000, 1000, 2], [60000, 10000, 5]);
    const out: Record<string, { curve: Curve; params: number }> = {};
    for (const d of [1, 2, 3, 5]) {
      zg.manualSeed(ctx.seed);
      const m = zg.mlp({ hidden: new Array(d).fill(128) });
      out[String(d)] = { curve: trainCurve(m, new zg.Adam(m.parameters()), train, test, epochs, 64, ctx.seed), params: m.parameterCount() };
    }
    return {
      summary: Object.entries(out).map(([d, v]) => `${d} hidden layer(s): ${v.params.toLocaleString('en-US')} parameters, train ${pct(last(v.curve.trainAccuracy))}, test ${pct(last(v.curve.testAccuracy))}`),
      numbers: Object.fromEntries(Object.entries(out).map(([d, v]) => [d, { parameters: v.params, trainAccuracy: last(v.curve.trainAccuracy), testAccuracy: last(v.curve.testAccuracy) }])),
      sections: [
        { heading: 'Test accuracy', html: barChart('test accuracy by number of hidden layers', Object.entries(out).map(([d, v]) => ({ label: `${d} hidden`, value: 100 * (last(v.curve.testAccuracy) ?? 0) })), '%') },
        { heading: 'Loss curves', html: lineChart('training loss', Object.entries(out).map(([d, v]) => ({ name: `${d} hidden`, points: v.curve.loss })), { xLabel: 'epoch', yLabel: 'loss', logY: true }) },
      ],
    };
  },
};

export const EXPERIMENTS: Experiment[] = [linearCollapse, pooling, kernels, learningRate, optimizers, init, depth];

export function findExperiment(name: string): Experiment {
  const e = EXPERIMENTS.find((x) => x.name === name);
  if (!e) throw new Error(`unknown experiment '${name}', expected one of: ${EXPERIMENTS.map((x) => x.name).join(', ')}`);
  return e;
}

export type { Series };
