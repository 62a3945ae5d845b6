// R-CNN's CNN training: supervised pre-training, then domain-specific fine-tuning (section 2.3).
//
// Pre-training: the network learns digits from whole MNIST images (the stand-in for ImageNet).
// Fine-tuning: the same network, its 10-way head replaced by an 11-way one (10 digits +
// background), trains on warped proposals: a region whose IoU with a ground-truth box is ≥ 0.5
// takes that box's digit, every other region is background. Each mini-batch samples 32
// foreground and 96 background windows, because foreground is rare among proposals.
import { Adam } from '../optim/adam.js';
import { backend } from '../backends/index.js';
import { ImageDataset } from '../data/dataset.js';
import type { Random } from '../tensor/random.js';
import { trainBatches, trainStep } from '../train/index.js';
import type { Sequential } from '../nn/layers.js';
import { BACKGROUND, rcnnNetwork, replaceHead } from './network.js';
import type { RegionSet } from './regions.js';

export interface PretrainOptions {
  epochs: number;
  batchSize?: number;
  lr?: number;
  rng: Random;
  onBatch?: (done: number, total: number) => void;
}

/** Pre-train a 10-way digit classifier on whole MNIST digits. */
export function pretrain(digits: ImageDataset, o: PretrainOptions): Sequential {
  const net = rcnnNetwork(10, o.rng);
  const opt = new Adam(net.parameters(), { lr: o.lr ?? 1e-3 });
  const batchSize = o.batchSize ?? 64;
  const perEpoch = Math.ceil(digits.count / batchSize);
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    for (const b of trainBatches(net, digits, opt, { batchSize, rng: o.rng, epoch })) o.onBatch?.(epoch * perEpoch + b.batch, o.epochs * perEpoch);
  }
  return net;
}

export interface FinetuneOptions {
  iterations: number;
  foreground?: number;
  background?: number;
  /** A region with IoU ≥ this with a ground-truth box is that box's digit (0.5). */
  foregroundIou?: number;
  lr?: number;
  rng: Random;
  onBatch?: (done: number, total: number) => void;
}

/** The fine-tuning class of every region: its digit, or BACKGROUND. */
export function finetuneLabels(regions: RegionSet, foregroundIou = 0.5): Uint8Array {
  const labels = new Uint8Array(regions.count);
  for (let i = 0; i < regions.count; i++) labels[i] = regions.maxIou[i] >= foregroundIou ? regions.bestLabel[i] : BACKGROUND;
  return labels;
}

/** Fine-tune `pretrained` (unchanged) as an 11-way classifier of warped regions; returns the new network. */
export function finetune(pretrained: Sequential, regions: RegionSet, o: FinetuneOptions): Sequential {
  const net = replaceHead(pretrained, BACKGROUND + 1, o.rng);
  const labels = finetuneLabels(regions, o.foregroundIou);
  const data = new ImageDataset(regions.windows, labels, regions.count, 28, 28);
  const fg: number[] = [], bg: number[] = [];
  labels.forEach((l, i) => (l === BACKGROUND ? bg : fg).push(i));
  if (fg.length === 0 || bg.length === 0) {
    throw new Error(`finetune: need both foreground and background regions, got ${fg.length} foreground and ${bg.length} background`);
  }
  const nf = o.foreground ?? 32, nb = o.background ?? 96;
  const opt = new Adam(net.parameters(), { lr: o.lr ?? 5e-4 });
  net.train();
  for (let it = 0; it < o.iterations; it++) {
    // Sampled uniformly with replacement from each pool, as the paper's window sampler does.
    const batch = new Int32Array(nf + nb);
    for (let i = 0; i < nf; i++) batch[i] = fg[o.rng.int(fg.length)];
    for (let i = 0; i < nb; i++) batch[nf + i] = bg[o.rng.int(bg.length)];
    backend().scope(() => {
      const { x, y } = data.batch(batch);
      trainStep(net, opt, x, y);
    });
    o.onBatch?.(it + 1, o.iterations);
  }
  net.eval();
  return net;
}
