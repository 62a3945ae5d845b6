// Experiments on the parts of a network: a non-linearity, pooling, convolution kernels, depth.
import * as zg from '../index.js';
import { barChart, grayImage, lineChart, table } from './report.js';
import { denseStack, last, pct, sizes, trainCurve, type Curve, type Experiment } from './common.js';

export const linearCollapse: Experiment = {
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
      results[name] = { curve: trainCurve({ model: m, optimizer: new zg.Adam(m.parameters(), { lr: 0.001 }) }, train, test, epochs, 50, ctx.seed), params: m.parameterCount() };
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

export const pooling: Experiment = {
  name: 'pooling',
  title: 'Pooling: max, average or none',
  question: 'The same CNN with max pooling, average pooling and no pooling after the convolution: how many parameters and multiply-adds each needs, how long it trains, and the gap between training and test accuracy.',
  run(ctx) {
    const { train, test, epochs } = sizes(ctx, [4000, 2000, 2], [60000, 10000, 3]);
    const out: Record<string, { curve: Curve; params: number; macs: number }> = {};
    for (const pool of ['max', 'avg', 'none'] as const) {
      zg.manualSeed(ctx.seed);
      const t = zg.buildTraining({ arch: 'cnn', kernels: 16, hidden: [64], pool, optimizer: 'adam', schedule: 'none' });
      const m = t.model;
      const rows = zg.summarize(m, [1, 28, 28]);
      // Multiply-adds of one forward pass: conv = OC·OH·OW·C·K·K, dense = in·out.
      const conv = 16 * 24 * 24 * 25;
      const flat = rows.find((r) => r.type === 'Flatten')!.outputShape[0];
      const macs = conv + flat * 64 + 64 * 10;
      out[pool] = { curve: trainCurve(t, train, test, epochs, 100, ctx.seed), params: m.parameterCount(), macs };
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

export const kernels: Experiment = {
  name: 'kernels',
  title: 'What convolution kernels learn',
  question: 'The kernels of a CNN at random initialization and after training, side by side as images, with the feature maps they produce on the same digit. Random kernels respond to noise; trained ones become stroke and edge detectors.',
  run(ctx) {
    const { train, test, epochs } = sizes(ctx, [5000, 1000, 1], [60000, 10000, 2]);
    zg.manualSeed(ctx.seed);
    const t = zg.buildTraining({ arch: 'cnn', kernels: 12, hidden: [64], optimizer: 'adam', schedule: 'none' });
    const m = t.model;
    const digit = test.batch([0]).x;
    const before = kernelViews(m, digit, 'random initialization');
    const w0 = Float32Array.from((m.layers[0] as zg.Conv2d).weight.data);
    const curve = trainCurve(t, train, test, epochs, 100, ctx.seed);
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

export const depth: Experiment = {
  name: 'depth',
  title: 'Depth: 1, 2, 3 and 5 hidden layers',
  question: 'MLPs with 1, 2, 3 and 5 hidden layers of 128 units (ReLU, Adam): does more depth help on MNIST? On a problem this simple, the gains flatten quickly; what is "deep" is a matter of convention, not a threshold.',
  run(ctx) {
    const { train, test, epochs } = sizes(ctx, [5000, 1000, 2], [60000, 10000, 5]);
    const out: Record<string, { curve: Curve; params: number }> = {};
    for (const d of [1, 2, 3, 5]) {
      zg.manualSeed(ctx.seed);
      const t = zg.buildTraining({ arch: d === 1 ? 'mlp' : 'dnn', hidden: new Array(d).fill(128), optimizer: 'adam', schedule: 'none' });
      out[String(d)] = { curve: trainCurve(t, train, test, epochs, 64, ctx.seed), params: t.model.parameterCount() };
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
