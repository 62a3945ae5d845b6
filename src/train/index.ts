// The training loop: forward, loss, backward, update — over mini-batches, epoch after epoch.
import type { Module } from '../nn/module.js';
import type { Optimizer, Schedule } from '../optim/index.js';
import { crossEntropy } from '../losses/index.js';
import { noGrad } from '../autograd/engine.js';
import { DataLoader, type ImageDataset } from '../data/dataset.js';
import type { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { backend } from '../backends/index.js';
import '../ops/methods.js'; // argmax() and softmax() on tensors

/** Thrown when the loss becomes NaN or infinite. */
export class DivergedError extends Error {
  constructor(readonly epoch: number, readonly batch: number, readonly lr: number) {
    super(`training diverged: the loss became NaN or infinite at epoch ${epoch}, batch ${batch} (learning rate ${lr}); try a lower learning rate, e.g. --lr ${Number((lr / 10).toPrecision(3))}`);
  }
}

export interface BatchInfo {
  epoch: number;
  batch: number;
  batches: number;
  loss: number;
  /** Running mean loss and accuracy over this epoch so far. */
  meanLoss: number;
  accuracy: number;
  samples: number;
}

export interface EpochInfo {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
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
  const pred = logits.argmax(-1);
  let correct = 0;
  for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) correct++;
  return { loss: loss.item(), correct };
}

export interface TrainEpochOptions {
  batchSize: number;
  rng?: Random;
  epoch?: number;
  onBatch?: (info: BatchInfo) => void;
  /** Clock for `seconds` (performance.now by default). */
  now?: () => number;
}

/** One pass over the data in shuffled mini-batches. Throws DivergedError if the loss stops being finite. */
export function trainEpoch(model: Module, data: ImageDataset, opt: Optimizer, o: TrainEpochOptions): EpochInfo {
  const now = o.now ?? (() => performance.now());
  const epoch = o.epoch ?? 0;
  const loader = new DataLoader(data, { batchSize: o.batchSize, shuffle: true, rng: o.rng });
  model.train();
  const start = now();
  let lossSum = 0;
  let correct = 0;
  let samples = 0;
  let batch = 0;
  for (const indices of loader.indexBatches()) {
    // One scope per step: the batch, activations and gradients of intermediates are released at its end.
    const { r, y } = backend().scope(() => {
      const { x, y } = data.batch(indices);
      return { r: trainStep(model, opt, x, y), y };
    });
    if (!Number.isFinite(r.loss)) throw new DivergedError(epoch, batch, opt.lr);
    lossSum += r.loss * y.length;
    correct += r.correct;
    samples += y.length;
    batch++;
    o.onBatch?.({ epoch, batch, batches: loader.length, loss: r.loss, meanLoss: lossSum / samples, accuracy: correct / samples, samples });
  }
  return { epoch, trainLoss: lossSum / samples, trainAccuracy: correct / samples, seconds: (now() - start) / 1000, samples, lr: opt.lr };
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
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    if (o.schedule) opt.lr = o.schedule.rate(epoch);
    const info: EpochInfo & { test?: Evaluation } = trainEpoch(model, train, opt, { batchSize: o.batchSize, rng: o.rng, epoch, onBatch: o.onBatch });
    if (o.test) info.test = evaluate(model, o.test);
    history.push(info);
    o.onEpoch?.(info);
  }
  return history;
}
