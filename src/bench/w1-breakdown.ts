// npm run bench:w1 [-- --threads 1,2 --rounds 40]: how much of a W1 training step is its matrix
// products, and how much is everything else (autograd, the batch, the update, kernel calls).
//
// One W1 step (784-128-10 MLP, SGD 0.1, batch 64, as `npm run bench` runs it) makes five products:
//   forward   h  = relu(x·W1ᵀ + b1)   64×784 · 784×128      y  = h·W2ᵀ + b2   64×128 · 128×10
//   backward  dh = dy·W2              64×10 · 10×128       dW2 = dyᵀ·h        10×64 · 64×128
//             dW1 = dhᵀ·x             128×64 · 64×784      (no dx: the input needs no gradient)
// This times rounds of 50 whole steps and, within the same steps, the time spent inside those five
// products (the backend's gemm, clocked on entry and exit), and reports the medians and the median
// of the rounds' ratios, step ÷ products. The products are timed on the step's own operands: the
// kernels skip exact zeros (MNIST pixels, ReLU outputs), so the same shapes on made-up dense
// buffers would take longer than the step's products do. 1.0 would mean no overhead at all. Then
// 400 more steps with each phase of trainStep timed on its own (batch, zeroGrad, forward, loss,
// backward, update, accuracy, and the scope's release of the step's memory): where the rest goes.
import { parseArgs } from 'node:util';
import * as zg from '../index.js';
import { w1Run } from './w1.js';

const { values } = parseArgs({ options: { threads: { type: 'string', default: '1,2' }, rounds: { type: 'string', default: '40' } } });
const STEPS = 50;
const PHASE_STEPS = 400;

const median = (xs: number[]) => quantile(xs, 0.5);
/** The value a fraction q of the way through xs, sorted. */
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * q + 0.5)];

/** Where a step's time goes, in µs per step: the phases of trainStep, timed one by one. */
type Phases = Record<'batch' | 'zeroGrad' | 'forward' | 'loss' | 'backward' | 'update' | 'accuracy' | 'scope', number>;

async function measure(threads: number, rounds: number): Promise<{ step: number; products: number; ratio: number; spread: [number, number]; phases: Phases }> {
  const { b, net, opt, batch } = await w1Run(threads);
  let next = 0;
  const steps = () => {
    for (let s = 0; s < STEPS; s++, next++) {
      b.scope(() => {
        const { x, y } = batch(next);
        zg.trainStep(net, opt, x, y);
      });
    }
  };
  // The backend's matrix multiply, clocked: `inProducts` sums the time spent inside it.
  const gemm = b.gemm;
  let inProducts = 0, calls = 0;
  b.gemm = function (this: typeof b, ...args: Parameters<typeof b.gemm>) {
    const t0 = performance.now();
    try {
      return gemm.apply(this, args);
    } finally {
      inProducts += performance.now() - t0;
      calls++;
    }
  };
  for (let i = 0; i < 4; i++) steps(); // warm-up: V8 compiles the hot paths, the pool's threads start
  if (calls !== 4 * STEPS * 5) throw new Error(`expected 5 products per W1 step, counted ${calls / (4 * STEPS)}`);
  const stepTimes: number[] = [];
  const productTimes: number[] = [];
  for (let r = 0; r < rounds; r++) {
    inProducts = 0;
    const t0 = performance.now();
    steps();
    stepTimes.push((performance.now() - t0) / STEPS);
    productTimes.push(inProducts / STEPS);
  }
  b.gemm = gemm;
  const ratios = stepTimes.map((t, r) => t / productTimes[r]);
  // The same steps once more, each phase of trainStep timed on its own (the clock reads add a
  // little), and each phase's median over the steps (a burst of other work hits a few steps).
  const laps: Record<keyof Phases, number[]> = { batch: [], zeroGrad: [], forward: [], loss: [], backward: [], update: [], accuracy: [], scope: [] };
  let last = 0;
  const lap = (k: keyof Phases) => {
    const t = performance.now();
    laps[k].push(t - last);
    last = t;
  };
  for (let s = 0; s < PHASE_STEPS; s++, next++) {
    last = performance.now();
    b.scope(() => {
      const { x, y } = batch(next); lap('batch');
      opt.zeroGrad(); lap('zeroGrad');
      const logits = net.forward(x); lap('forward');
      const loss = zg.crossEntropy(logits, y); lap('loss');
      loss.backward(); lap('backward');
      opt.step(); lap('update');
      const correct = zg.countCorrect(logits, y);
      loss.item(); lap('accuracy');
      return correct;
    });
    lap('scope');
  }
  const phases = Object.fromEntries(Object.entries(laps).map(([k, v]) => [k, median(v) * 1000])) as Phases;
  return { step: median(stepTimes), products: median(productTimes), ratio: median(ratios), spread: [quantile(ratios, 0.25), quantile(ratios, 0.75)], phases };
}

const threads = values.threads.split(',').map(Number);
console.log(`W1 step vs its matrix products, ${values.rounds} rounds of ${STEPS} steps, medians (Node ${process.version})`);
console.log('threads  step (µs)  products (µs)  step ÷ products (median of the rounds\' ratios, and their middle half)');
const all: Phases[] = [];
for (const t of threads) {
  const { step, products, ratio, spread, phases } = await measure(t, Number(values.rounds));
  all.push(phases);
  console.log(`${String(t).padStart(7)}  ${(step * 1000).toFixed(0).padStart(9)}  ${(products * 1000).toFixed(0).padStart(13)}  ${ratio.toFixed(2).padStart(15)}  (${spread[0].toFixed(2)}–${spread[1].toFixed(2)})`);
}
console.log(`\nphases of trainStep, µs, medians over ${PHASE_STEPS} more steps (forward and backward hold the products)`);
console.log('threads  ' + Object.keys(all[0]).map((k) => k.padStart(9)).join(''));
all.forEach((p, i) => console.log(String(threads[i]).padStart(7) + '  ' + Object.values(p).map((v) => v.toFixed(0).padStart(9)).join('')));
process.exit(0);
