// Messages between the explainer page and its training worker.
import type { TrainingConfig } from '../train/config.js';

/**
 * What to train (the configuration the command line builds from its flags; the page's form fills
 * in the fields below, the rest take the shared defaults) and on what.
 */
export interface TrainConfig extends TrainingConfig {
  hidden: number[];
  kernels: number;
  kernelSize: number;
  lr: number;
  epochs: number;
  batchSize: number;
  /** Train on the first N training images. */
  limit: number;
  seed: number;
}

export type ToWorker =
  | { type: 'start'; config: TrainConfig }
  | { type: 'pause' }
  | { type: 'resume' }
  /** A snapshot of the weights as they are now (for a download or "show this model"), answered with the same id. */
  | { type: 'export'; id: number };

export interface Progress {
  type: 'progress';
  epoch: number;
  batch: number;
  batches: number;
  /** Fraction of all epochs done. */
  done: number;
  /** The epoch's mean training loss and accuracy so far. */
  loss: number;
  trainAccuracy: number;
  /** Every step since the last report: its loss and accuracy, and its position in epochs (1.5: half-way through the second). */
  steps: Array<{ at: number; loss: number; accuracy: number }>;
  samplesPerSecond: number;
  /** First convolution's kernels (OC·KH·KW values), for the live view. */
  kernels: Float32Array | null;
  kernelShape: number[] | null;
  /** Predicted class of each of the fixed test digits. */
  predictions: number[];
}

export type FromWorker =
  | { type: 'status'; message: string }
  | Progress
  | { type: 'epoch'; epoch: number; trainLoss: number; testAccuracy: number; seconds: number }
  | { type: 'model'; bytes: Uint8Array; final: boolean; id: number | null }
  /** The run goes on, but something is wrong (an epoch ended near chance: nearChanceAdvice's words). */
  | { type: 'warning'; message: string }
  /** diverged: the run stopped because the loss diverged (the message is divergenceAdvice's). */
  | { type: 'error'; message: string; diverged: boolean };

/** Test images (by index) whose predictions the training view follows. */
export const WATCHED_DIGITS = [0, 1, 2, 3, 4, 7, 8, 11, 18, 61];
