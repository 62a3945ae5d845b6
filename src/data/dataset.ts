// Image classification data kept as bytes, converted to float tensors one batch at a time.
import { Tensor } from '../tensor/tensor.js';
import { backend } from '../backends/index.js';
import '../ops/methods.js'; // the batches it hands out have the op methods: x.reshape(...)
import type { Lifetime } from '../backends/backend.js';
import { defaultRandom, type Random } from '../tensor/random.js';
import { parseIdx } from './idx.js';

/** Images (count × height × width bytes, 0–255) with one label each. */
export class ImageDataset {
  constructor(
    readonly images: Uint8Array,
    readonly labels: Uint8Array,
    readonly count: number,
    readonly height: number,
    readonly width: number,
  ) {
    if (images.length !== count * height * width) {
      throw new Error(`ImageDataset: ${images.length} pixel bytes do not make ${count} images of ${height}×${width}`);
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
    const px = this.height * this.width;
    return new ImageDataset(this.images.subarray(0, k * px), this.labels.subarray(0, k), k, this.height, this.width);
  }

  /** The examples at `indices`, in that order (a copy). */
  subset(indices: ArrayLike<number>): ImageDataset {
    const px = this.height * this.width;
    const images = new Uint8Array(indices.length * px);
    const labels = new Uint8Array(indices.length);
    for (let i = 0; i < indices.length; i++) {
      const j = indices[i];
      if (!Number.isInteger(j) || j < 0 || j >= this.count) throw new Error(`subset: index ${j} is outside the dataset's ${this.count} examples`);
      images.set(this.images.subarray(j * px, (j + 1) * px), i * px);
      labels[i] = this.labels[j];
    }
    return new ImageDataset(images, labels, indices.length, this.height, this.width);
  }

  /** Number of classes: the largest label + 1. */
  get classes(): number {
    let m = 0;
    for (const l of this.labels) if (l > m) m = l;
    return m + 1;
  }

  /**
   * Examples `indices` as a float tensor (B,1,H,W) with pixels scaled to [0,1], and their labels.
   * The tensor is yours to keep (lifetime 'user'); a DataLoader's batches instead follow the step rule.
   */
  batch(indices: ArrayLike<number>, lifetime: Lifetime = 'user'): { x: Tensor; y: Int32Array } {
    const B = indices.length;
    const px = this.height * this.width;
    const y = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      const j = indices[b];
      if (!Number.isInteger(j) || j < 0 || j >= this.count) {
        throw new Error(`batch: indices[${b}] is ${j}, expected an integer from 0 to ${this.count - 1} (the dataset's examples)`);
      }
      y[b] = this.labels[j];
    }
    const x = backend().empty(B * px, 'float32', lifetime); // every pixel is written by gatherBytes
    backend().gatherBytes(this.images, indices, px, 255, x); // x[b, i] = images[indices[b], i] / 255
    return { x: new Tensor(x, [B, 1, this.height, this.width]), y };
  }
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
 * images (B,1,H,W) and their integer labels.
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
    for (const indices of this.indexBatches()) {
      backend().stepBoundary();
      yield this.dataset.batch(indices, 'step');
    }
  }
}
