// The training loop: forward, loss, backward, update — over mini-batches, epoch after epoch.
// It is written once, as generators (`trainBatches`, `trainEpochs`) that run one step each time they
// are resumed and yield what happened; `trainEpoch` and `fit` drive them, and so do the command
// line (progress bar), the explainer's worker (which pauses between steps to hear the page) and
// the experiments (loss curves). Epochs and batches count from 0 here and are shown from 1.
import type { Module } from '../nn/module.js';
import { countCorrect } from '../nn/metrics.js';
import type { Optimizer, Schedule } from '../optim/index.js';
import { crossEntropy } from '../losses/index.js';
import { noGrad } from '../autograd/engine.js';
import { DataLoader, type ImageDataset } from '../data/dataset.js';
import type { Augmenter } from '../data/augment.js';
import { Random, defaultRandom, type RandomState } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { backend } from '../backends/index.js';
import '../ops/methods.js'; // argmax() and softmax() on tensors
import { DEFAULT_LR, lowerLearningRate, optimizerName, type OptimizerName } from './config.js';

/**
 * Thrown when training diverges: the loss became NaN or infinite, or stayed far above its start
 * (DivergenceRule). `epoch` and `batch` count from 0; the message counts from 1. `suggestedLr` is
 * the rate to try instead (lowerLearningRate: the optimizer's default when lr is above it, else lr/10).
 */
export class DivergedError extends Error {
  constructor(readonly epoch: number, readonly batch: number, readonly lr: number,
    readonly reason = 'the loss became NaN or infinite', readonly suggestedLr = lowerLearningRate(lr, undefined)) {
    super(`training diverged: ${reason} at epoch ${epoch + 1}, batch ${batch + 1} (learning rate ${lr}); ` +
      `try a lower learning rate, e.g. ${suggestedLr}`);
  }
}

/**
 * The advice for a run that diverged, in the words of the tool that started it: the command line
 * names its flags (`--optimizer adam --lr 100`), the explainer its form's fields. One text, so both
 * say the same thing: where it diverged, and the rate to try (lowerLearningRate of the rate the
 * run was started with, which a schedule may since have changed).
 * @example divergenceAdvice(e, 'sgd', 50, { optimizer: 'optimizer', lr: 'learning rate', sep: ', ' })
 */
export function divergenceAdvice(e: DivergedError, optimizer: OptimizerName, lr: number,
  names: { optimizer: string; lr: string; sep: string } = { optimizer: '--optimizer', lr: '--lr', sep: ' ' }): string {
  const next = lowerLearningRate(lr, optimizer);
  const why = next === DEFAULT_LR[optimizer] ? ` (the default for ${optimizer})` : '';
  return `training diverged: ${e.reason} at epoch ${e.epoch + 1}, batch ${e.batch + 1} ` +
    `(${names.optimizer} ${optimizer}${names.sep}${names.lr} ${lr}); try ${names.lr} ${next}${why}`;
}

/** After an epoch, a test accuracy below this is near chance (10% for ten classes): the run is not learning. */
/**
 * Accuracy after a whole epoch below chance + (1 − chance)/9, a ninth of the way from guessing to
 * perfect, means the network is not learning: 20% for MNIST's 10 classes, 56% for 2.
 */
export function nearChanceAccuracy(classes = 10): number {
  return 1 / classes + (1 - 1 / classes) / 9;
}

/** nearChanceAccuracy for MNIST's 10 classes: 20%. */
export const NEAR_CHANCE_ACCURACY = nearChanceAccuracy(10);

/**
 * The warning after an epoch that ends near chance, saying which way the learning rate probably
 * needs to go, in the words of the tool that ran it (names: its spelling of the learning rate and
 * of the number of training images, and which set the accuracy is on). A rate too high throws the
 * loss far above its start at some point (then it may sit near chance, the weights bouncing around
 * or the units dead) without the median staying high enough for DivergenceRule; a rate too low, or
 * too few steps, leaves the loss near where it started.
 */
export function nearChanceAdvice(r: { epoch: number; accuracy: number; firstLoss: number; peakLoss: number; trainLoss: number; lr: number; optimizer: OptimizerName; classes?: number },
  names: { lr: string; limit: string; on?: string } = { lr: '--lr', limit: '--limit' }): string {
  const classes = r.classes ?? 10;
  const head = `${names.on ?? 'test'} accuracy ${(100 * r.accuracy).toFixed(2)}% after epoch ${r.epoch + 1} is near chance (${(100 / classes).toFixed(2)}% for ${classes} classes)`;
  if (r.peakLoss > 2 * r.firstLoss) {
    return `${head}: the loss jumped from ${r.firstLoss.toFixed(2)} to ${r.peakLoss.toPrecision(3)}, so the learning rate is too high; try ${names.lr} ${lowerLearningRate(r.lr, r.optimizer)}`;
  }
  return `${head}: the loss went only from ${r.firstLoss.toFixed(2)} to ${r.trainLoss.toFixed(2)}; train on more images (${names.limit}), for more epochs, or with a higher ${names.lr}`;
}

/**
 * When a finite loss counts as diverged: the median loss of the last `batches` steps is above
 * `factor` × the loss of the first step (and above `factor` × 1). The first step's loss is measured
 * before any update, so it is the loss of the initial weights (about ln 10 ≈ 2.3 for ten classes).
 * A run that learns can spike above 10× that, but its median over 20 steps never gets there; a
 * learning rate far too large (Adam at 100) sends the loss to 10⁶ and leaves it in the tens to
 * hundreds, finite for ever, never learning. The median ignores the odd lucky batch that dips below
 * (and the odd spike). The floor of 1 keeps a run that starts from trained weights (a first loss
 * of 0.01) from being stopped for ordinary noise.
 */
export interface DivergenceRule {
  factor: number;
  batches: number;
}

export const DEFAULT_DIVERGENCE: Readonly<DivergenceRule> = { factor: 10, batches: 20 };

/** What the divergence watch remembers: the first loss and the last few (kept in LoopPosition, so a resumed run watches on). */
interface WatchMemory {
  firstLoss: number | null;
  recentLosses: number[];
}

/** Follows the loss step after step and says when the run has diverged (rule false: only NaN/Inf count). */
class DivergenceWatch {
  constructor(private readonly rule: DivergenceRule | false, private readonly memory: WatchMemory = { firstLoss: null, recentLosses: [] }) {}

  /** Why the run has diverged at this loss, or null. */
  check(loss: number): string | null {
    if (!Number.isFinite(loss)) return 'the loss became NaN or infinite';
    if (this.rule === false) return null;
    const m = this.memory;
    const first = (m.firstLoss ??= loss);
    m.recentLosses.push(loss);
    if (m.recentLosses.length > this.rule.batches) m.recentLosses.shift();
    if (m.recentLosses.length < this.rule.batches) return null;
    const sorted = [...m.recentLosses].sort((x, y) => x - y);
    const median = sorted[sorted.length >> 1];
    if (median <= this.rule.factor * Math.max(first, 1)) return null;
    const g = (x: number) => Number(x.toPrecision(3));
    return `the median loss of the last ${this.rule.batches} batches, ${g(median)}, is more than ${this.rule.factor}× the first batch's ${g(first)}`;
  }
}

/**
 * Where trainEpochs is: pass one as `position` and the loop keeps it up to date after every step
 * (a checkpoint saves it as JSON); pass one from a checkpoint and the loop continues from there.
 * Continuing mid-epoch needs the same batches in the same order: the loop replays the epoch's
 * shuffle from `shuffle`, the data generator's state before it, and skips the `batch` steps done.
 */
export interface LoopPosition extends WatchMemory {
  /** The epoch in progress, from 0 (the number of epochs when all are done). */
  epoch: number;
  /** Steps done in that epoch. */
  batch: number;
  /** The data generator's state just before this epoch's shuffle; null before the epoch starts. */
  shuffle: RandomState | null;
  /** The epoch's sums so far (its summary then covers every step, before and after a resume). */
  lossSum: number;
  correct: number;
  samples: number;
  seconds: number;
}

/** The position of a run that has not started. */
export function startPosition(): LoopPosition {
  return { epoch: 0, batch: 0, shuffle: null, lossSum: 0, correct: 0, samples: 0, seconds: 0, firstLoss: null, recentLosses: [] };
}

/** Move `pos` to the start of `epoch` (the watch's memory carries on across epochs). */
function startEpoch(pos: LoopPosition, epoch: number): void {
  Object.assign(pos, { epoch, batch: 0, shuffle: null, lossSum: 0, correct: 0, samples: 0, seconds: 0 });
}

/** What one training step did, with running means over its epoch so far. */
export interface BatchInfo {
  /** Epoch, counted from 0. */
  epoch: number;
  /** Steps done in this epoch, this one included (1 after the first step). */
  batch: number;
  batches: number;
  /** This step's mean loss, its number of examples and how many of them it classified correctly. */
  loss: number;
  size: number;
  correct: number;
  /** Running mean loss and accuracy over this epoch so far. */
  meanLoss: number;
  accuracy: number;
  /** Examples seen in this epoch so far, and the seconds its steps took (not counting whoever drives them). */
  samples: number;
  seconds: number;
}

export interface EpochInfo {
  /** Epoch, counted from 0. */
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  /** Time spent in the training steps themselves (not in whoever drives them). */
  seconds: number;
  samples: number;
  lr: number;
}

/** One step: forward, loss, backward, update. Returns the batch's loss and number of correct predictions. */
export function trainStep(model: Module, opt: Optimizer, x: Tensor, y: Int32Array): { loss: number; correct: number } {
  opt.zeroGrad();
  const logits = model.forward(x);
  const loss = crossEntropy(logits, y);
  loss.backward();
  opt.step();
  return { loss: loss.item(), correct: countCorrect(logits, y) };
}

export interface BatchesOptions {
  batchSize: number;
  /** Shuffles the batches (the default generator when absent). */
  rng?: Random;
  /** Epoch number, from 0 (default 0): reported back and named by DivergedError. */
  epoch?: number;
  /** Clock in milliseconds for `seconds` (performance.now by default). */
  now?: () => number;
  /**
   * When a finite loss counts as diverged (default DEFAULT_DIVERGENCE); false: only a NaN or
   * infinite loss stops the run (an experiment that shows divergence on purpose).
   */
  divergence?: DivergenceRule | false;
  /** Moves (and mirrors) each training example as it is drawn, seeded per example and epoch (see Augmenter). */
  augment?: Augmenter;
}

/**
 * The training loop over one epoch: shuffled mini-batches, one `trainStep` each, yielded one at a
 * time so the caller decides what happens between steps. Returns the epoch's summary.
 * Throws DivergedError when the loss stops being finite or stays far above its start (o.divergence).
 * @example for (const b of trainBatches(net, train, opt, { batchSize: 100 })) console.log(b.batch, b.loss);
 */
export function trainBatches(model: Module, data: ImageDataset, opt: Optimizer, o: BatchesOptions): Generator<BatchInfo, EpochInfo, void> {
  const pos = startPosition();
  pos.epoch = o.epoch ?? 0;
  return epochSteps(model, data, opt, o, new DivergenceWatch(o.divergence ?? DEFAULT_DIVERGENCE, pos), pos);
}

/**
 * trainBatches with the watch and the position passed in, so that trainEpochs follows one loss
 * curve across epochs and can start in the middle of one (pos.batch > 0: replay its shuffle).
 */
function* epochSteps(model: Module, data: ImageDataset, opt: Optimizer, o: BatchesOptions, watch: DivergenceWatch,
  pos: LoopPosition): Generator<BatchInfo, EpochInfo, void> {
  const now = o.now ?? (() => performance.now());
  const epoch = pos.epoch;
  let start = now();
  const rng = o.rng ?? defaultRandom;
  let shuffler = rng;
  if (pos.batch > 0) {
    // Resuming mid-epoch: a copy of the generator as it was before this epoch's shuffle gives the
    // same order again; the caller's generator is left where it is (a checkpoint restored it to
    // its state after that shuffle, which may since have drawn dropout masks if it is shared).
    if (!pos.shuffle) throw new Error(`trainEpochs: position at epoch ${epoch + 1}, batch ${pos.batch} has no shuffle state to replay the epoch's order from`);
    shuffler = new Random();
    shuffler.setState(pos.shuffle);
  } else {
    pos.shuffle = rng.getState();
  }
  const loader = new DataLoader(data, { batchSize: o.batchSize, shuffle: true, rng: shuffler });
  if (pos.batch > loader.length) throw new Error(`trainEpochs: position at batch ${pos.batch} of epoch ${epoch + 1}, but an epoch here has ${loader.length} batches`);
  model.train();
  let ms = pos.seconds * 1000;
  let { lossSum, correct, samples, batch } = pos;
  let skip = batch;
  for (const { indices, next } of loader.indexBatchesAhead()) {
    if (skip > 0) {
      skip--;
      continue;
    }
    // One scope per step: the batch, activations and gradients of intermediates are released at its
    // end. The next batch is gathered on a spare thread meanwhile, where the backend has one.
    const r = backend().scope(() => {
      const { x, y } = o.augment ? o.augment.batch(data, indices, epoch) : data.batch(indices, 'user', next);
      return trainStep(model, opt, x, y);
    });
    const diverged = watch.check(r.loss);
    if (diverged) throw new DivergedError(epoch, batch, opt.lr, diverged, lowerLearningRate(opt.lr, optimizerName(opt)));
    lossSum += r.loss * indices.length;
    correct += r.correct;
    samples += indices.length;
    batch++;
    ms += now() - start;
    Object.assign(pos, { batch, lossSum, correct, samples, seconds: ms / 1000 });
    yield { epoch, batch, batches: loader.length, loss: r.loss, size: indices.length, correct: r.correct,
      meanLoss: lossSum / samples, accuracy: correct / samples, samples, seconds: ms / 1000 };
    start = now();
  }
  return { epoch, trainLoss: lossSum / samples, trainAccuracy: correct / samples, seconds: ms / 1000, samples, lr: opt.lr };
}

export interface EpochsOptions extends Omit<BatchesOptions, 'epoch'> {
  epochs: number;
  /** Sets the learning rate at the start of each epoch. */
  schedule?: Schedule;
  /**
   * Kept up to date after every step (and moved to the next epoch's start before each epoch's
   * summary is yielded); one from a checkpoint makes the loop continue from there. See LoopPosition.
   */
  position?: LoopPosition;
}

/** What `trainEpochs` yields: each step, then each epoch's summary when it ends. */
export type TrainEvent = ({ type: 'batch' } & BatchInfo) | ({ type: 'epoch' } & EpochInfo);

/**
 * Several epochs of `trainBatches`, setting the learning rate from the schedule at the start of
 * each: yields every step and, after the last step of an epoch, that epoch's summary.
 */
export function* trainEpochs(model: Module, data: ImageDataset, opt: Optimizer, o: EpochsOptions): Generator<TrainEvent, void, void> {
  const pos = o.position ?? startPosition();
  if (!(Number.isInteger(pos.epoch) && pos.epoch >= 0 && Number.isInteger(pos.batch) && pos.batch >= 0)) {
    throw new Error(`trainEpochs: position: expected whole epoch and batch counts, got epoch ${pos.epoch}, batch ${pos.batch}`);
  }
  const watch = new DivergenceWatch(o.divergence ?? DEFAULT_DIVERGENCE, pos);
  for (let epoch = pos.epoch; epoch < o.epochs; epoch++) {
    if (epoch !== pos.epoch) startEpoch(pos, epoch);
    if (o.schedule) opt.lr = o.schedule.rate(epoch);
    const steps = epochSteps(model, data, opt, o, watch, pos);
    let r = steps.next();
    for (; !r.done; r = steps.next()) yield { type: 'batch', ...r.value };
    // The epoch is done: a checkpoint taken at its summary resumes at the next one.
    startEpoch(pos, epoch + 1);
    yield { type: 'epoch', ...r.value };
  }
}

export interface TrainEpochOptions extends BatchesOptions {
  onBatch?: (info: BatchInfo) => void;
}

/** One pass over the data in shuffled mini-batches. Throws DivergedError when the loss diverges (see trainBatches). */
export function trainEpoch(model: Module, data: ImageDataset, opt: Optimizer, o: TrainEpochOptions): EpochInfo {
  const steps = trainBatches(model, data, opt, o);
  let r = steps.next();
  for (; !r.done; r = steps.next()) o.onBatch?.(r.value);
  return r.value;
}

export interface Evaluation {
  accuracy: number;
  loss: number;
  /** confusion[actual][predicted] = count */
  confusion: number[][];
  /** Accuracy of each class (recall). */
  perClass: number[];
  count: number;
}

/** Accuracy, mean loss and confusion matrix on a dataset, in evaluation mode without gradients. */
export function evaluate(model: Module, data: ImageDataset, batchSize = 1000, classes = 10): Evaluation {
  const wasTraining = model.training;
  model.eval();
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let lossSum = 0;
  let correct = 0;
  noGrad(() => {
    for (const indices of new DataLoader(data, { batchSize, shuffle: false }).indexBatches()) backend().scope(() => {
      const { x, y } = data.batch(indices);
      const logits = model.forward(x);
      lossSum += crossEntropy(logits, y).item() * y.length;
      const pred = logits.argmax(-1);
      for (let i = 0; i < y.length; i++) {
        confusion[y[i]][pred[i]]++;
        if (pred[i] === y[i]) correct++;
      }
    });
  });
  model.train(wasTraining);
  const perClass = confusion.map((row, c) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? 0 : row[c] / total;
  });
  return { accuracy: correct / data.count, loss: lossSum / data.count, confusion, perClass, count: data.count };
}

/** Class probabilities for a batch of inputs: softmax of the logits, without gradients. */
export function predictProbabilities(model: Module, x: Tensor): Tensor {
  const wasTraining = model.training;
  model.eval();
  const p = noGrad(() => model.forward(x).softmax(-1));
  model.train(wasTraining);
  return p;
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  schedule?: Schedule;
  rng?: Random;
  /** See BatchesOptions.divergence. */
  divergence?: DivergenceRule | false;
  /** See BatchesOptions.augment. */
  augment?: Augmenter;
  test?: ImageDataset;
  onBatch?: (info: BatchInfo) => void;
  onEpoch?: (info: EpochInfo & { test?: Evaluation }) => void;
}

/**
 * Train for several epochs, setting the learning rate from the schedule at the start of each
 * and evaluating on `test` after each.
 * @example fit(net, train, new Adam(net.parameters()), { epochs: 3, batchSize: 100, test });
 */
export function fit(model: Module, train: ImageDataset, opt: Optimizer, o: FitOptions): Array<EpochInfo & { test?: Evaluation }> {
  const history: Array<EpochInfo & { test?: Evaluation }> = [];
  for (const event of trainEpochs(model, train, opt, o)) {
    if (event.type === 'batch') {
      o.onBatch?.(event);
      continue;
    }
    const { type: _, ...info } = event;
    const done: EpochInfo & { test?: Evaluation } = info;
    if (o.test) done.test = evaluate(model, o.test);
    history.push(done);
    o.onEpoch?.(done);
  }
  return history;
}
