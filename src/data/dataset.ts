// Image classification data kept as bytes, converted to float tensors one batch at a time.
import { Tensor } from '../tensor/tensor.js';
import { backend } from '../backends/index.js';
import '../ops/methods.js'; // the batches it hands out have the op methods: x.reshape(...)
import type { Lifetime } from '../backends/backend.js';
import { Random, defaultRandom } from '../tensor/random.js';
import { parseIdx } from './idx.js';

/** Bytes of each shared block that batches' label arrays are views into (see labelArray). */
const LABEL_BLOCK_BYTES = 65536;
let labelBlock = new ArrayBuffer(0);
let labelBlockUsed = 0;

/**
 * A new Int32Array of n labels, as a view into a block shared with other batches' labels: V8 gives
 * every typed array over 64 bytes its own memory outside the JavaScript heap (a 64-label array took
 * 1.5–5 µs, the largest piece of JavaScript in a W1 training step), while a view costs ~0.05 µs. A
 * block is collected once no labels point into it. Like a tensor's data (a view into its backend's
 * memory), its `.buffer` is shared: copy it (`y.slice()`) before sending it to a worker (postMessage
 * would carry the whole block, or with a transfer list detach it).
 */
export function labelArray(n: number): Int32Array {
  const bytes = n * 4;
  if (labelBlockUsed + bytes > labelBlock.byteLength) {
    labelBlock = new ArrayBuffer(Math.max(LABEL_BLOCK_BYTES, bytes));
    labelBlockUsed = 0;
  }
  const y = new Int32Array(labelBlock, labelBlockUsed, n);
  labelBlockUsed += bytes;
  return y;
}

/**
 * Images (count × channels × height × width bytes, 0–255; channels 1 for grayscale, 3 for RGB
 * planes) with one label each. Bytes, not floats: a quarter of the memory, so a few thousand
 * colour pictures fit; each batch is converted to floats when it is taken.
 */
export class ImageDataset {
  constructor(
    readonly images: Uint8Array,
    readonly labels: Uint8Array,
    readonly count: number,
    readonly height: number,
    readonly width: number,
    readonly channels = 1,
  ) {
    if (!Number.isInteger(channels) || channels < 1) throw new Error(`ImageDataset: channels must be a positive integer, got ${channels}`);
    if (images.length !== count * channels * height * width) {
      const shape = channels === 1 ? `${height}×${width}` : `${channels}×${height}×${width}`;
      throw new Error(`ImageDataset: ${images.length} pixel bytes do not make ${count} images of ${shape}`);
    }
    if (labels.length !== count) {
      throw new Error(`ImageDataset: ${labels.length} labels for ${count} images; expected one label per image`);
    }
  }

  /** Build from the bytes of an IDX image file and an IDX label file. */
  static fromIdx(imageBytes: Uint8Array, labelBytes: Uint8Array, names: [string, string] = ['images', 'labels']): ImageDataset {
    const img = parseIdx(imageBytes, names[0]);
    const lab = parseIdx(labelBytes, names[1]);
    if (img.shape.length !== 3) throw new Error(`${names[0]}: expected images with 3 dimensions (count, rows, cols), got ${img.shape.length}`);
    if (lab.shape.length !== 1) throw new Error(`${names[1]}: expected labels with 1 dimension (count), got ${lab.shape.length}`);
    if (img.shape[0] !== lab.shape[0]) {
      throw new Error(`${names[1]}: ${lab.shape[0]} labels for ${img.shape[0]} images in ${names[0]}; the counts must match`);
    }
    return new ImageDataset(img.data, lab.data, img.shape[0], img.shape[1], img.shape[2]);
  }

  /** The first n examples (shares memory). */
  take(n: number): ImageDataset {
    const k = Math.min(n, this.count);
    const px = this.pixels;
    return new ImageDataset(this.images.subarray(0, k * px), this.labels.subarray(0, k), k, this.height, this.width, this.channels);
  }

  /** The examples at `indices`, in that order (a copy). */
  subset(indices: ArrayLike<number>): ImageDataset {
    const px = this.pixels;
    const images = new Uint8Array(indices.length * px);
    const labels = new Uint8Array(indices.length);
    for (let i = 0; i < indices.length; i++) {
      const j = indices[i];
      if (!Number.isInteger(j) || j < 0 || j >= this.count) throw new Error(`subset: index ${j} is outside the dataset's ${this.count} examples`);
      images.set(this.images.subarray(j * px, (j + 1) * px), i * px);
      labels[i] = this.labels[j];
    }
    return new ImageDataset(images, labels, indices.length, this.height, this.width, this.channels);
  }

  /** Bytes of one example: channels × height × width. */
  get pixels(): number {
    return this.channels * this.height * this.width;
  }

  /** Number of classes: the largest label + 1. */
  get classes(): number {
    let m = 0;
    for (const l of this.labels) if (l > m) m = l;
    return m + 1;
  }

  /**
   * Examples `indices` as a float tensor (B,C,H,W) with pixels scaled to [0,1], and their labels.
   * The tensor is yours to keep (lifetime 'user'); a DataLoader's batches instead follow the step rule.
   * `next`, the indices of the batch that will be asked for after this one, lets a backend with
   * threads gather it on a spare thread while this step runs (the wasm backend does; what a
   * PyTorch DataLoader's workers do).
   */
  batch(indices: ArrayLike<number>, lifetime: Lifetime = 'user', next?: ArrayLike<number>): { x: Tensor; y: Int32Array } {
    const B = indices.length;
    const px = this.pixels;
    const y = labelArray(B);
    this.checkIndices(indices, 'indices');
    for (let b = 0; b < B; b++) y[b] = this.labels[indices[b]];
    const k = backend();
    let x = k.gathered?.(this.images, indices, px, 255, lifetime) ?? null;
    if (!x) {
      x = k.empty(B * px, 'float32', lifetime); // every pixel is written by gatherBytes
      k.gatherBytes(this.images, indices, px, 255, x); // x[b, i] = images[indices[b], i] / 255
    }
    if (next && next.length > 0 && k.gatherBytesAhead) {
      this.checkIndices(next, 'next');
      k.gatherBytesAhead(this.images, next, px, 255);
    }
    return { x: new Tensor(x, [B, this.channels, this.height, this.width]), y };
  }

  private checkIndices(indices: ArrayLike<number>, name: string): void {
    for (let b = 0; b < indices.length; b++) {
      const j = indices[b];
      if (!Number.isInteger(j) || j < 0 || j >= this.count) {
        throw new Error(`batch: ${name}[${b}] is ${j}, expected an integer from 0 to ${this.count - 1} (the dataset's examples)`);
      }
    }
  }
}

/**
 * Split off a seeded, stratified fraction of `data`: each class gives round(n·fraction) of its n
 * examples to `held` (keeping at least one for `kept`), chosen by a generator seeded with `seed`.
 * Both parts keep the examples' original order. A validation set carved out this way lets
 * hyperparameters be chosen without ever looking at the test set.
 * @example const { kept, held } = holdOut(train, 0.1, 1);   // 90% to train on, 10% to validate
 */
export function holdOut(data: ImageDataset, fraction: number, seed: number): { kept: ImageDataset; held: ImageDataset } {
  if (!(fraction > 0 && fraction < 1)) throw new Error(`holdOut: fraction must be in (0, 1), got ${fraction}`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < data.count; i++) {
    const l = data.labels[i];
    if (!byClass.has(l)) byClass.set(l, []);
    byClass.get(l)!.push(i);
  }
  const rng = new Random(seed);
  const held: number[] = [];
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = byClass.get(label)!;
    const order = rng.shuffle(members.slice());
    held.push(...order.slice(0, Math.min(members.length - 1, Math.round(members.length * fraction))));
  }
  const isHeld = new Uint8Array(data.count);
  for (const i of held) isHeld[i] = 1;
  const kept: number[] = [];
  for (let i = 0; i < data.count; i++) if (!isHeld[i]) kept.push(i);
  held.sort((a, b) => a - b);
  return { kept: data.subset(kept), held: data.subset(held) };
}

export interface DataLoaderOptions {
  batchSize?: number;
  shuffle?: boolean;
  /** Generator for the shuffles; the same seed gives the same batches. */
  rng?: Random;
}

/**
 * Mini-batches over a dataset, reshuffled at the start of every pass (unlike PyTorch, shuffling is
 * on by default: `{ shuffle: false }` for a test set in a fixed order). Iterating gives `{ x, y }`:
 * images (B,C,H,W) and their integer labels.
 * @example for (const { x, y } of new DataLoader(train, 64)) { … }       // PyTorch's DataLoader(data, batch_size=64)
 * @example new DataLoader(test, { batchSize: 1000, shuffle: false })
 */
export class DataLoader {
  readonly batchSize: number;
  readonly shuffle: boolean;
  private readonly rng: Random;

  constructor(dataset: ImageDataset, batchSize?: number, options?: Omit<DataLoaderOptions, 'batchSize'>);
  constructor(dataset: ImageDataset, options?: DataLoaderOptions);
  constructor(readonly dataset: ImageDataset, a: number | DataLoaderOptions = {}, b: DataLoaderOptions = {}) {
    if (!(dataset instanceof ImageDataset)) throw new Error(`DataLoader: expected an ImageDataset as the first argument, got ${dataset === null ? 'null' : typeof dataset}`);
    const o: DataLoaderOptions = typeof a === 'number' ? { ...b, batchSize: a } : a;
    this.batchSize = o.batchSize ?? 64;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new Error(`DataLoader: batchSize must be a positive integer, got ${this.batchSize}`);
    this.shuffle = o.shuffle ?? true;
    this.rng = o.rng ?? defaultRandom;
  }

  /** Number of batches in one pass (the last one may be smaller). */
  get length(): number {
    return Math.ceil(this.dataset.count / this.batchSize);
  }

  /** The example indices of each batch of one pass (shuffled if enabled). */
  *indexBatches(): Generator<Int32Array> {
    const order = new Int32Array(this.dataset.count);
    for (let i = 0; i < order.length; i++) order[i] = i;
    if (this.shuffle) this.rng.shuffle(order);
    for (let s = 0; s < order.length; s += this.batchSize) {
      yield order.subarray(s, Math.min(s + this.batchSize, order.length));
    }
  }

  /**
   * The batches of one pass, as PyTorch's loop reads them: `for (const { x, y } of loader)`.
   * Moving on to the next batch ends a training step: outside scope(), the tensors of the step
   * before the one just finished are freed (Backend.stepBoundary), so a loop written by hand
   * needs no memory management of its own.
   */
  *[Symbol.iterator](): Generator<{ x: Tensor; y: Int32Array }> {
    for (const { indices, next } of this.indexBatchesAhead()) {
      backend().stepBoundary();
      yield this.dataset.batch(indices, 'step', next);
    }
  }

  /** indexBatches, each with the batch after it (undefined for the last): for a loop that gathers ahead. */
  *indexBatchesAhead(): Generator<{ indices: Int32Array; next: Int32Array | undefined }> {
    let previous: Int32Array | undefined;
    for (const indices of this.indexBatches()) {
      if (previous) yield { indices: previous, next: indices };
      previous = indices;
    }
    if (previous) yield { indices: previous, next: undefined };
  }
}
