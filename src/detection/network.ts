// The CNN inside R-CNN, and the features R-CNN reads from it.
//
// A small two-block CNN stands in for the paper's AlexNet:
//   conv 5×5 (16) → ReLU → max-pool 2 → conv 3×3 (32) → ReLU → max-pool 2   (N,1,28,28) → (N,32,5,5)
//   → flatten ("pool" features, 800: what box regression reads, like the paper's pool5)
//   → dense 128 → ReLU ("fc" features, 128: what the SVMs read, like the paper's fc7)
//   → dropout → dense (10 digits when pre-training; 11 = 10 digits + background when fine-tuning)
import { Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../nn/layers.js';
import type { Module } from '../nn/module.js';
import { noGrad } from '../autograd/engine.js';
import { backend } from '../backends/index.js';
import type { Random } from '../tensor/random.js';
import { ImageDataset } from '../data/dataset.js';

/** Index of the layer whose output is the "pool" features (the Flatten). */
export const POOL_LAYER = 6;
/** Index of the layer whose output is the "fc" features (the ReLU after the first dense layer). */
export const FC_LAYER = 8;
export const POOL_FEATURES = 32 * 5 * 5;
export const FC_FEATURES = 128;
/** Background is the class after the digits: columns 0–9 of the fine-tuned softmax stay the digits. */
export const BACKGROUND = 10;

/** The R-CNN backbone with a `classes`-way head. */
export function rcnnNetwork(classes: number, rng?: Random): Sequential {
  return new Sequential(
    new Conv2d(1, 16, 5, { rng }), new ReLU(), new MaxPool2d(2),
    new Conv2d(16, 32, 3, { rng }), new ReLU(), new MaxPool2d(2),
    new Flatten(),
    new Linear(POOL_FEATURES, FC_FEATURES, { rng }), new ReLU(),
    new Dropout(0.5),
    new Linear(FC_FEATURES, classes, { init: 'xavier', rng }),
  );
}

/**
 * R-CNN's step from pre-training to fine-tuning: the same network, its last layer replaced by a
 * freshly initialized `classes`-way one (the paper: 1000 ImageNet classes → 21 = 20 VOC + background).
 */
export function replaceHead(net: Sequential, classes: number, rng?: Random): Sequential {
  const last = net.layers[net.layers.length - 1];
  if (!(last instanceof Linear)) throw new Error(`replaceHead: expected the network to end in a Linear layer, got ${last.constructor.name}`);
  return new Sequential([...net.layers.slice(0, -1), new Linear(last.inFeatures, classes, { init: 'xavier', rng })]);
}

export interface WindowFeatures {
  /** n × POOL_FEATURES, when asked for. */
  pool?: Float32Array;
  /** n × FC_FEATURES. */
  fc?: Float32Array;
  /** n × classes softmax probabilities. */
  probs?: Float32Array;
}

/**
 * Run windows (n × 28 × 28 bytes) through the network in evaluation mode, in batches, and copy
 * out the requested features. `indices` picks which windows (all by default).
 */
export function windowFeatures(net: Sequential, windows: Uint8Array, want: { pool?: boolean; fc?: boolean; probs?: boolean }, indices?: ArrayLike<number>, batchSize = 256): WindowFeatures {
  const total = windows.length / 784;
  const ds = new ImageDataset(windows, new Uint8Array(total), total, 28, 28);
  const idx = indices ?? Int32Array.from({ length: total }, (_, i) => i);
  const n = idx.length;
  const classes = (net.layers[net.layers.length - 1] as Linear).outFeatures;
  const out: WindowFeatures = {
    pool: want.pool ? new Float32Array(n * POOL_FEATURES) : undefined,
    fc: want.fc ? new Float32Array(n * FC_FEATURES) : undefined,
    probs: want.probs ? new Float32Array(n * classes) : undefined,
  };
  const stages: Module[] = [
    new Sequential(net.layers.slice(0, POOL_LAYER + 1)),
    new Sequential(net.layers.slice(POOL_LAYER + 1, FC_LAYER + 1)),
    new Sequential(net.layers.slice(FC_LAYER + 1)),
  ];
  const wasTraining = net.training;
  net.eval();
  for (let start = 0; start < n; start += batchSize) {
    const batch = Array.from({ length: Math.min(batchSize, n - start) }, (_, i) => idx[start + i]);
    backend().scope(() => noGrad(() => {
      const { x } = ds.batch(batch, 'step');
      const pool = stages[0].forward(x);
      if (out.pool) out.pool.set(pool.data, start * POOL_FEATURES);
      const fc = stages[1].forward(pool);
      if (out.fc) out.fc.set(fc.data, start * FC_FEATURES);
      if (out.probs) out.probs.set(stages[2].forward(fc).softmax(-1).data, start * classes);
    }));
  }
  net.train(wasTraining);
  return out;
}
