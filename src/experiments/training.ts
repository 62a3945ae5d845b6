// Experiments on how a network is trained: the learning rate, the optimizer, the initial weights.
import * as zg from '../index.js';
import { lineChart } from './report.js';
import { denseStack, last, pct, sizes, trainCurve, type Curve, type Experiment } from './common.js';

/**
 * Crawl, converge or diverge, from a loss curve. The yardstick is ln 10 ≈ 2.30, the loss of
 * guessing all ten classes equally: a loss far above it has exploded, one still near it has barely moved.
 */
function verdict(c: Curve): { outcome: 'crawling' | 'converged' | 'diverged'; text: string } {
  const chance = Math.log(10);
  const end = last(c.loss)?.[1] ?? NaN;
  const peak = Math.max(...c.loss.map(([, l]) => l));
  const acc = pct(last(c.testAccuracy));
  // The message of the DivergedError that stopped the run, as the command line would print it.
  if (c.diverged) return { outcome: 'diverged', text: c.diverged };
  if (peak > 5 * chance) return { outcome: 'diverged', text: `diverged: the loss exploded to ${peak.toFixed(0)} and ends at ${end.toFixed(2)}, test ${acc}` };
  if (end > 1) return { outcome: 'crawling', text: `crawling: the loss is still ${end.toFixed(2)} (chance is ${chance.toFixed(2)}), test ${acc}` };
  return { outcome: 'converged', text: `converged: loss ${end.toFixed(2)}, test ${acc}` };
}

export const learningRate: Experiment = {
  name: 'learning-rate',
  title: 'Learning rate: crawl, converge, diverge',
  question: 'Plain gradient descent (SGD, no momentum) on the same MLP with learning rates from 0.001 to 10: too small crawls, a good one converges, too large oscillates or diverges to NaN.',
  run(ctx) {
    const { train, test, epochs } = sizes(ctx, [5000, 1000, 2], [60000, 10000, 3]);
    const rates = [0.001, 0.01, 0.1, 1, 10];
    const out: Record<string, Curve> = {};
    for (const lr of rates) {
      zg.manualSeed(ctx.seed);
      // divergence: false — the point is to watch a too-large rate oscillate or explode, so only a
      // loss that becomes NaN or infinite stops a run here, not one that merely stays high.
      out[String(lr)] = trainCurve(zg.buildTraining({ arch: 'mlp', hidden: [100], optimizer: 'sgd', lr, schedule: 'none' }), train, test, epochs, 64, ctx.seed, { divergence: false });
    }
    const v = (lr: number) => verdict(out[String(lr)]);
    return {
      summary: rates.map((lr) => `lr ${String(lr).padEnd(5)}: ${v(lr).text}`),
      numbers: Object.fromEntries(rates.map((lr) => [String(lr), {
        outcome: v(lr).outcome, verdict: v(lr).text, diverged: out[String(lr)].diverged !== null,
        finalLoss: last(out[String(lr)].loss)?.[1], lastEpochLoss: last(out[String(lr)].epochLoss), testAccuracy: last(out[String(lr)].testAccuracy),
      }])),
      sections: [
        { heading: 'Loss curves', html: lineChart('training loss by learning rate', rates.map((lr) => ({ name: `lr ${lr}${out[String(lr)].diverged ? ' (diverged)' : ''}`, points: out[String(lr)].loss })), { xLabel: 'epoch', yLabel: 'loss', logY: true }) },
      ],
    };
  },
};

export const optimizers: Experiment = {
  name: 'optimizers',
  title: 'SGD, momentum and Adam',
  question: 'The same MLP and data, trained with plain SGD, SGD with momentum 0.9, and Adam, each at its usual learning rate.',
  run(ctx) {
    const { train, test, epochs } = sizes(ctx, [5000, 1000, 2], [60000, 10000, 3]);
    // Each at its default learning rate (DEFAULT_LR), and plain SGD again at momentum's rate.
    const runs: Array<[zg.OptimizerName, number?]> = [['sgd'], ['momentum'], ['adam'], ['sgd', 0.01]];
    const out: Record<string, Curve> = {};
    const names: string[] = [];
    for (const [optimizer, lr] of runs) {
      zg.manualSeed(ctx.seed);
      const t = zg.buildTraining({ arch: 'mlp', hidden: [100], optimizer, lr, schedule: 'none' });
      const name = optimizer === 'momentum' ? `momentum 0.9, lr ${t.config.lr}` : `${optimizer === 'adam' ? 'Adam' : 'SGD'} lr ${t.config.lr}`;
      names.push(name);
      out[name] = trainCurve(t, train, test, epochs, 64, ctx.seed);
    }
    const steps = epochs * Math.ceil(train.count / 64);
    return {
      summary: names.map((n) => `${n.padEnd(22)} test ${pct(last(out[n].testAccuracy))}, final loss ${(last(out[n].loss)?.[1] ?? NaN).toFixed(3)}`),
      numbers: { steps, ...Object.fromEntries(names.map((n) => [n, { testAccuracy: last(out[n].testAccuracy), finalLoss: last(out[n].loss)?.[1], lastEpochLoss: last(out[n].epochLoss) }])) },
      sections: [
        { heading: 'Loss curves', html: lineChart('training loss', names.map((n) => ({ name: n, points: out[n].loss })), { xLabel: 'epoch', yLabel: 'loss', logY: true }) },
        { heading: 'Test accuracy per epoch', html: lineChart('test accuracy', names.map((n) => ({ name: n, points: out[n].testAccuracy.map((a, i): [number, number] => [i + 1, 100 * a]) })), { xLabel: 'epoch', yLabel: 'test accuracy %' }) },
      ],
    };
  },
};

export const init: Experiment = {
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
      out[kind] = { curve: trainCurve({ model: m, optimizer: new zg.SGD(m.parameters(), { lr: 0.05, momentum: 0.9 }) }, train, test, epochs, 64, ctx.seed), spread };
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
