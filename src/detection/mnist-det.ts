// MNIST-Det: a detection data set made from MNIST digits, so R-CNN trains on two cores in minutes.
//
// Each canvas is 128×128 grayscale (ink 1, paper 0) holding 2–5 digits. A digit's ink is scaled so
// its longer side is 20–44 px, placed fully inside the canvas where its box overlaps no other
// digit's box by IoU > 0.1, and combined with the canvas by max (touching strokes merge as ink
// does). The ground-truth box is the tight box of the digit's pixels > 0.1; its label is the digit.
// The "cluttered" variant adds six 8×8 fragments cut from other digits and ±0.05 uniform noise,
// so that "background" is not simply "blank" and the detector must learn what a whole digit is.
//
// Training canvases use training digits 0–49,999, validation canvases 50,000–59,999, test
// canvases the MNIST test digits, so no test (or validation) digit is ever seen in training.
// Everything comes from one seeded generator: the same seed gives the same bytes.
import { Random } from '../tensor/random.js';
import type { ImageDataset } from '../data/dataset.js';
import { resample } from '../data/image-ops.js';
import { iou, type Box } from './boxes.js';

export const CANVAS_SIZE = 128;
export const MIN_DIGIT_SIDE = 20;
export const MAX_DIGIT_SIDE = 44;
const FRAGMENTS = 6;
const FRAGMENT_SIDE = 8;
const NOISE = 0.05;
const MAX_OVERLAP = 0.1;
/** A pixel brighter than this is ink: it defines the ground-truth box. */
export const INK_THRESHOLD = 0.1;

export type Variant = 'cluttered' | 'clean';
export type SplitName = 'full' | 'smoke';

/** One canvas and what is on it. */
export interface DetCanvas {
  /** width × height pixels, row-major, in [0, 1] (ink is bright, as in MNIST). */
  image: Float32Array;
  width: number;
  height: number;
  /** Ground-truth boxes, [x1, y1, x2, y2) half-open. */
  boxes: Box[];
  /** The digit in each box, 0–9. */
  labels: number[];
}

export interface MnistDetSplits {
  train: DetCanvas[];
  val: DetCanvas[];
  test: DetCanvas[];
}

/** Canvases per split: full is what the README's numbers use; smoke runs in the test suite. */
export const SPLIT_SIZES: Record<SplitName, { train: number; val: number; test: number }> = {
  full: { train: 500, val: 50, test: 200 },
  smoke: { train: 60, val: 20, test: 20 },
};

export interface GenerateOptions {
  count: number;
  seed: number;
  variant?: Variant;
  /** Digits are drawn from source images [from, to). */
  from?: number;
  to?: number;
  size?: number;
}

/** The tight box of pixels > threshold in a w×h image; null when nothing is that bright. */
export function inkBox(img: Float32Array, w: number, h: number, threshold = INK_THRESHOLD): Box | null {
  let x1 = w, y1 = h, x2 = 0, y2 = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (img[y * w + x] > threshold) {
        if (x < x1) x1 = x;
        if (y < y1) y1 = y;
        if (x + 1 > x2) x2 = x + 1;
        if (y + 1 > y2) y2 = y + 1;
      }
    }
  }
  return x2 > x1 ? [x1, y1, x2, y2] : null;
}

/** MNIST image `i` as floats in [0, 1]. */
function digitPixels(source: ImageDataset, i: number): Float32Array {
  const px = source.height * source.width;
  const out = new Float32Array(px);
  for (let k = 0; k < px; k++) out[k] = source.images[i * px + k] / 255;
  return out;
}

/** Digit i's ink, scaled so its longer side is `side` px (aspect kept). */
function scaledDigit(source: ImageDataset, i: number, side: number): { img: Float32Array; w: number; h: number } | null {
  const W = source.width, H = source.height;
  const src = digitPixels(source, i);
  const box = inkBox(src, W, H);
  if (!box) return null;
  const bw = box[2] - box[0], bh = box[3] - box[1];
  const scale = side / Math.max(bw, bh);
  const w = Math.max(1, Math.round(bw * scale)), h = Math.max(1, Math.round(bh * scale));
  return { img: resample(src, W, H, box[0], box[1], bw, bh, w, h), w, h };
}

/** Paste `img` (w×h) at (x, y) by max. */
function pasteMax(canvas: Float32Array, size: number, img: Float32Array, w: number, h: number, x: number, y: number): void {
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const k = (y + r) * size + x + c;
      if (img[r * w + c] > canvas[k]) canvas[k] = img[r * w + c];
    }
  }
}

/** One canvas: 2–5 digits, then (cluttered) fragments and noise. */
function makeCanvas(source: ImageDataset, rng: Random, variant: Variant, from: number, to: number, size: number): DetCanvas {
  const image = new Float32Array(size * size);
  const boxes: Box[] = [];
  const labels: number[] = [];
  const want = 2 + rng.int(4);
  // A digit that finds no free place in 50 tries is replaced by another (smaller ones fit more
  // easily); the canvas is large enough that 2 digits always fit.
  for (let attempt = 0; boxes.length < want && attempt < 20 * want; attempt++) {
    const index = from + rng.int(to - from);
    const side = MIN_DIGIT_SIDE + rng.int(MAX_DIGIT_SIDE - MIN_DIGIT_SIDE + 1);
    const digit = scaledDigit(source, index, side);
    if (!digit) continue;
    const local = inkBox(digit.img, digit.w, digit.h);
    if (!local) continue;
    for (let tries = 0; tries < 50; tries++) {
      const x = rng.int(size - digit.w + 1), y = rng.int(size - digit.h + 1);
      const box: Box = [x + local[0], y + local[1], x + local[2], y + local[3]];
      if (boxes.some((b) => iou(b, box) > MAX_OVERLAP)) continue;
      pasteMax(image, size, digit.img, digit.w, digit.h, x, y);
      boxes.push(box);
      labels.push(source.labels[index]);
      break;
    }
  }
  if (variant === 'cluttered') {
    // Fragments: 8×8 windows around an ink pixel of another digit, put where they touch no
    // digit's box, so every ground-truth box still holds exactly its digit.
    for (let f = 0; f < FRAGMENTS; f++) {
      const src = digitPixels(source, from + rng.int(to - from));
      const W = source.width, H = source.height;
      let cx = 0, cy = 0;
      for (let t = 0; t < 100; t++) {
        cx = rng.int(W); cy = rng.int(H);
        if (src[cy * W + cx] > 0.5) break;
      }
      const x0 = Math.min(W - FRAGMENT_SIDE, Math.max(0, cx - FRAGMENT_SIDE / 2));
      const y0 = Math.min(H - FRAGMENT_SIDE, Math.max(0, cy - FRAGMENT_SIDE / 2));
      const frag = new Float32Array(FRAGMENT_SIDE * FRAGMENT_SIDE);
      for (let r = 0; r < FRAGMENT_SIDE; r++) for (let c = 0; c < FRAGMENT_SIDE; c++) frag[r * FRAGMENT_SIDE + c] = src[(y0 + r) * W + x0 + c];
      for (let tries = 0; tries < 50; tries++) {
        const x = rng.int(size - FRAGMENT_SIDE + 1), y = rng.int(size - FRAGMENT_SIDE + 1);
        const fb: Box = [x, y, x + FRAGMENT_SIDE, y + FRAGMENT_SIDE];
        if (boxes.some((b) => b[0] < fb[2] && fb[0] < b[2] && b[1] < fb[3] && fb[1] < b[3])) continue;
        pasteMax(image, size, frag, FRAGMENT_SIDE, FRAGMENT_SIDE, x, y);
        break;
      }
    }
    for (let k = 0; k < image.length; k++) image[k] = Math.min(1, Math.max(0, image[k] + (2 * rng.uniform() - 1) * NOISE));
  }
  return { image, width: size, height: size, boxes, labels };
}

/** `count` canvases from digits [from, to) of `source`. */
export function generateCanvases(source: ImageDataset, o: GenerateOptions): DetCanvas[] {
  const from = o.from ?? 0, to = o.to ?? source.count;
  if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from < to && to <= source.count)) {
    throw new Error(`generateCanvases: digit range [${from}, ${to}) is not inside the source's ${source.count} images`);
  }
  const rng = new Random(o.seed);
  const out: DetCanvas[] = [];
  for (let i = 0; i < o.count; i++) out.push(makeCanvas(source, rng, o.variant ?? 'cluttered', from, to, o.size ?? CANVAS_SIZE));
  return out;
}

/**
 * The train, validation and test canvases of MNIST-Det. `train` and `test` are MNIST's own
 * splits; validation digits come from the last 10,000 training images, which training canvases
 * never use. Each split has its own seed stream, so the smoke split's test canvases are not a
 * prefix of the full split's by accident of sizes.
 */
export function mnistDet(train: ImageDataset, test: ImageDataset, o: { split?: SplitName; variant?: Variant; seed?: number } = {}): MnistDetSplits {
  const sizes = SPLIT_SIZES[o.split ?? 'full'];
  const seed = o.seed ?? 1, variant = o.variant ?? 'cluttered';
  const valFrom = Math.max(1, train.count - 10000);
  return {
    train: generateCanvases(train, { count: sizes.train, seed: seed * 3 + 0, variant, from: 0, to: valFrom }),
    val: generateCanvases(train, { count: sizes.val, seed: seed * 3 + 1, variant, from: valFrom, to: train.count }),
    test: generateCanvases(test, { count: sizes.test, seed: seed * 3 + 2, variant }),
  };
}
