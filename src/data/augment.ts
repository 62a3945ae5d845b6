// Data augmentation: each time an example is drawn for training it is moved a little (and, if
// asked, mirrored), so the network sees many versions of each picture and learns what does not
// change under those moves instead of memorizing pixel positions.
import { Tensor } from '../tensor/tensor.js';
import { backend } from '../backends/index.js';
import type { Lifetime } from '../backends/backend.js';
import { Random } from '../tensor/random.js';
import { labelArray, type ImageDataset } from './dataset.js';

/** What to do to each training example (the parsed `--augment crop,flip`). */
export interface AugmentSpec {
  /** Random crop with zero padding: pad this many pixels on every side, crop back a random S×S window ('auto': see cropPadding). */
  crop?: number | 'auto';
  /** Random shift by up to this many pixels each way, the edge pixels repeated into the gap. */
  shift?: number;
  /** Mirror left-right with probability 1/2. Wrong for digits and text (a mirrored 2 is no 2); right for most photos. */
  flip?: boolean;
}

const ITEMS = 'crop[=PAD], shift[=PIXELS], flip';

/**
 * Parse an augmentation list: 'none', or comma-separated items crop[=PAD], shift[=PIXELS], flip.
 * @example parseAugment('crop,flip')   // { crop: 'auto', flip: true }
 * @example parseAugment('crop=4')      // { crop: 4 }
 */
export function parseAugment(text: string): AugmentSpec {
  const spec: AugmentSpec = {};
  if (text.trim() === 'none') return spec;
  const bad = (why: string): never => {
    throw new Error(`'${text}': ${why}; expected 'none' or a comma-separated list of ${ITEMS} (e.g. crop,flip)`);
  };
  for (const item of text.split(',').map((s) => s.trim())) {
    const m = /^(crop|shift|flip)(?:=(\d+))?$/.exec(item);
    if (!m) bad(`unknown item '${item}'`);
    const [, name, value] = m!;
    if (name in spec) bad(`'${name}' given twice`);
    if (name === 'flip') {
      if (value !== undefined) bad(`flip takes no value, got '${item}'`);
      spec.flip = true;
      continue;
    }
    const n = value === undefined ? undefined : Number(value);
    if (n !== undefined && (n < 1 || n > 16)) bad(`${name} expects 1 to 16 pixels, got ${n}`);
    if (name === 'crop') spec.crop = n ?? 'auto';
    else spec.shift = n ?? 2;
  }
  return spec;
}

/** The spec in the words of parseAugment ('none' when empty), for messages and model files. */
export function formatAugment(spec: AugmentSpec): string {
  const items = [spec.crop !== undefined ? `crop=${spec.crop}` : '', spec.shift !== undefined ? `shift=${spec.shift}` : '', spec.flip ? 'flip' : ''];
  return items.filter(Boolean).join(',') || 'none';
}

/**
 * The padding of `crop` when none is given: 2 to 4 pixels, an eighth of the side (2 for 16 px,
 * 3 for 24–28 px, 4 from 32 px: the pad 4 of the usual 32×32 CIFAR recipe). A digit framed in
 * MNIST's 20×20 box inside 28×28 has 4 px of margin, so a 3 px move never pushes it off the image.
 */
export function cropPadding(size: number): number {
  return Math.max(2, Math.min(4, Math.floor(size / 8)));
}

/**
 * A seed for one example in one epoch, from the run's seed: a hash of the three numbers
 * (splitmix-style mixing). Augmentation draws from a generator seeded here rather than from one
 * shared generator, so an example's version in an epoch depends on nothing but (seed, epoch,
 * index): not on batch order, not on how many draws came before. That makes a resumed run augment
 * exactly as an uninterrupted one without saving any augmentation state.
 */
export function exampleSeed(seed: number, epoch: number, index: number): number {
  let h = seed >>> 0;
  for (const v of [epoch, index]) {
    h = Math.imul(h ^ (v >>> 0), 0x9e3779b1);
    h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
    h ^= h >>> 13;
  }
  return h >>> 0;
}

/**
 * Seeded augmentation of training batches: `batch` takes the same examples as ImageDataset.batch
 * and gives them moved (and mirrored) as the spec says, the same way every time for the same seed.
 * @example const aug = new Augmenter(parseAugment('crop,flip'), 7);
 *          const { x, y } = aug.batch(train, [0, 5, 9], epoch);   // x: (3,C,H,W) in [0,1]
 */
export class Augmenter {
  constructor(readonly spec: AugmentSpec, readonly seed: number) {}

  /** Examples `indices` of `data`, augmented for epoch `epoch`, as a float tensor (B,C,H,W) in [0,1] and their labels. */
  batch(data: ImageDataset, indices: ArrayLike<number>, epoch: number, lifetime: Lifetime = 'user'): { x: Tensor; y: Int32Array } {
    const { channels: C, height: H, width: W } = data;
    const px = data.pixels;
    const B = indices.length;
    const x = backend().empty(B * px, 'float32', lifetime); // every pixel is written below
    const y = labelArray(B);
    const pad = this.spec.crop === 'auto' ? cropPadding(Math.min(H, W)) : this.spec.crop ?? 0;
    const shift = this.spec.shift ?? 0;
    for (let b = 0; b < B; b++) {
      const j = indices[b];
      if (!Number.isInteger(j) || j < 0 || j >= data.count) throw new Error(`Augmenter.batch: index ${j} is outside the dataset's ${data.count} examples`);
      y[b] = data.labels[j];
      // Draw every number for the example in a fixed order, used or not, so that each move's
      // randomness is the same whichever others are on.
      const rng = new Random(exampleSeed(this.seed, epoch, j));
      const cropX = pad > 0 ? rng.int(2 * pad + 1) - pad : 0; // the window's offset from centre, −pad..pad
      const cropY = pad > 0 ? rng.int(2 * pad + 1) - pad : 0;
      const shiftX = shift > 0 ? rng.int(2 * shift + 1) - shift : 0;
      const shiftY = shift > 0 ? rng.int(2 * shift + 1) - shift : 0;
      const flip = this.spec.flip ? rng.uniform() < 0.5 : false;
      const src = j * px;
      const dst = b * px;
      for (let c = 0; c < C; c++) {
        const plane = src + c * H * W;
        for (let oy = 0; oy < H; oy++) {
          for (let ox = 0; ox < W; ox++) {
            // Read backwards through the moves: output → (mirror) → crop window → shift → source pixel.
            const fx = flip ? W - 1 - ox : ox;
            const cx = fx + cropX, cy = oy + cropY;
            // The crop window reads the zero padding outside the image.
            if (cx < 0 || cx >= W || cy < 0 || cy >= H) {
              x[dst + (c * H + oy) * W + ox] = 0;
              continue;
            }
            // The shift repeats the nearest edge pixel into the gap it opens (no black border).
            const sx = Math.min(W - 1, Math.max(0, cx - shiftX));
            const sy = Math.min(H - 1, Math.max(0, cy - shiftY));
            x[dst + (c * H + oy) * W + ox] = data.images[plane + sy * W + sx] / 255;
          }
        }
      }
    }
    return { x: new Tensor(x, [B, C, H, W]), y };
  }
}
