// What every experiment shares: its context and result, the training run that records a loss
// curve (the one training loop of src/train, driven step by step), and small helpers.
import * as zg from '../index.js';
import type { MnistData } from '../data/mnist.js';

export interface ExperimentContext {
  quick: boolean;
  data: MnistData;
  seed: number;
}

export interface ExperimentResult {
  /** Lines printed to the terminal. */
  summary: string[];
  /** Everything measured, for the JSON file (and the claims the tests check). */
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

export interface Curve {
  /** [epochs done (fractional), loss of that batch] every few batches. */
  loss: Array<[number, number]>;
  /** Mean training loss of each epoch. */
  epochLoss: number[];
  testAccuracy: number[];
  trainAccuracy: number[];
  seconds: number;
  /** DivergedError's message when the run diverged, else null. */
  diverged: string | null;
}

/** Training and test sets and epochs: the quick version's or the full one's. */
export function sizes(ctx: ExperimentContext, quick: [number, number, number], full: [number, number, number]) {
  const [train, test, epochs] = ctx.quick ? quick : full;
  return { train: ctx.data.train.take(train), test: ctx.data.test.take(test), epochs };
}

/**
 * Train and record the loss about 20 times an epoch and the accuracies after every epoch.
 * A run that diverges (DivergedError) stops there, and the curve says so; with `divergence: false`
 * only a NaN or infinite loss stops it, so a curve can show a loss that explodes and stays up.
 */
export function trainCurve(t: { model: zg.Module; optimizer: zg.Optimizer; schedule?: zg.Schedule }, train: zg.ImageDataset, test: zg.ImageDataset,
  epochs: number, batchSize: number, seed: number, o: { divergence?: false } = {}): Curve {
  const curve: Curve = { loss: [], epochLoss: [], testAccuracy: [], trainAccuracy: [], seconds: 0, diverged: null };
  const every = Math.max(1, Math.floor(Math.ceil(train.count / batchSize) / 20));
  try {
    for (const e of zg.trainEpochs(t.model, train, t.optimizer, { epochs, batchSize, rng: new zg.Random(seed), schedule: t.schedule, divergence: o.divergence })) {
      if (e.type === 'batch') {
        if (e.batch % every === 0) curve.loss.push([e.epoch + e.batch / e.batches, e.loss]);
        continue;
      }
      curve.seconds += e.seconds;
      curve.epochLoss.push(e.trainLoss);
      curve.trainAccuracy.push(zg.evaluate(t.model, train).accuracy);
      curve.testAccuracy.push(zg.evaluate(t.model, test).accuracy);
    }
  } catch (err) {
    if (!(err instanceof zg.DivergedError)) throw err;
    curve.diverged = err.message;
  }
  return curve;
}

export const pct = (x: number | undefined) => (x === undefined ? '—' : `${(100 * x).toFixed(2)}%`);
export const last = <T>(a: T[]): T | undefined => a[a.length - 1];

/** Dense layers with an optional activation between them (none = a purely linear network). */
export function denseStack(sizes: number[], activation: 'relu' | 'none' | 'tanh', init: 'he' | 'xavier' | 'normal' = 'he'): zg.Sequential {
  const layers: zg.Module[] = [new zg.Flatten()];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new zg.Linear({ inFeatures: sizes[i], outFeatures: sizes[i + 1], init: i + 2 === sizes.length ? 'xavier' : init }));
    if (i + 2 < sizes.length && activation === 'relu') layers.push(new zg.ReLU());
    if (i + 2 < sizes.length && activation === 'tanh') layers.push(new zg.Tanh());
  }
  return new zg.Sequential(layers);
}
