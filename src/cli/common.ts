// What the commands share: user errors, output formatting, checking paths, loading data and model files.
import { existsSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as zg from '../node.js';

/** An error in what the user asked for: printed as one line, without a stack trace. */
export class UserError extends Error {}

export const MNIST_INPUT = [1, 28, 28];

export function out(json: boolean, line: string): void {
  if (!json) console.log(line);
}

/** A warning: one line on stderr, so that it shows even with --json and never mixes into stdout. */
export function warn(line: string): void {
  process.stderr.write(`zerograd: warning: ${line}\n`);
}

/**
 * Check, before any work, that `path` can be written: its folder exists and takes a new file (a
 * temporary file is created there and removed), and `path` is not a folder. `flag` names the option.
 */
export function checkWritable(flag: string, path: string): void {
  const dir = dirname(resolve(path));
  if (!existsSync(dir)) throw new UserError(`${flag} ${path}: the folder ${dir} does not exist; expected a path in an existing folder`);
  if (!statSync(dir).isDirectory()) throw new UserError(`${flag} ${path}: ${dir} is not a folder; expected a path in an existing folder`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new UserError(`${flag} ${path}: is a folder; expected a file name`);
  const probe = join(dir, `.zerograd-write-check.${process.pid}.tmp`);
  try {
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (e) {
    throw new UserError(`${flag} ${path}: cannot write in ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); expected a writable folder`);
  }
}

export function pct(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - 60 * m)).padStart(2, '0')}s`;
}

export function loadData(dataDir: string | undefined): zg.MnistData {
  try {
    return zg.loadMnist(dataDir);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
}

/** What `train` learns from and is measured on: MNIST-format files or a folder of pictures. */
export interface TrainingData {
  train: zg.ImageDataset;
  /** The set accuracy is reported on: the test set, or the validation split carved from train (--val-split). */
  test: zg.ImageDataset;
  evaluatedOn: 'test' | 'validation';
  dir: string;
  layout: zg.DataLayout;
  /** (C, S, S): one example's shape. */
  inputShape: number[];
  /** Class names in label order (image folders); MNIST's classes are its digits. */
  classNames?: string[];
  classes: number;
}

/**
 * --data-dir, whichever layout it has (zg.dataLayout), as training and evaluation sets. --val-split
 * carves a seeded, stratified validation split out of the training images and reports on it instead
 * of the test set; a single folder of class folders has no test set, so it is always split (default 0.2).
 */
export function loadTrainingData(dataDir: string | undefined, o: { imageSize?: number; valSplit?: number; seed: number }): TrainingData {
  const layout = dataDir === undefined ? 'mnist' : existsSync(dataDir) && statSync(dataDir).isDirectory() ? zg.dataLayout(dataDir) : 'mnist';
  try {
    if (layout === 'mnist') {
      const d = zg.loadMnist(dataDir);
      const size = d.train.height;
      if (o.imageSize !== undefined && (o.imageSize !== d.train.height || o.imageSize !== d.train.width)) {
        throw new UserError(`--image-size ${o.imageSize}: the MNIST-format images in ${d.dir} are ${d.train.height}×${d.train.width} as stored; ` +
          'expected no --image-size (it resizes the pictures of an image folder)');
      }
      const data = { train: d.train, test: d.test, evaluatedOn: 'test' as const, dir: d.dir, layout, inputShape: [1, size, d.train.width], classes: 10 };
      return o.valSplit === undefined ? data : carveValidation(data, o.valSplit, o.seed);
    }
    const single = layout === 'single';
    const d = zg.loadImageFolder(dataDir!, { size: o.imageSize ?? MNIST_INPUT[1], valSplit: single ? o.valSplit : undefined, seed: o.seed });
    if (d.skipped.length > 0) {
      warn(`${d.dir}: left out ${d.skipped.length} file(s) that are not ${zg.PICTURE_EXTENSIONS.join(', ')} pictures (${d.skipped.slice(0, 3).join(', ')}${d.skipped.length > 3 ? ', …' : ''})`);
    }
    const data: TrainingData = {
      train: d.train, test: d.test, evaluatedOn: 'test', dir: d.dir, layout,
      inputShape: [d.channels, d.size, d.size], classNames: d.classNames, classes: d.classNames.length,
    };
    return single || o.valSplit === undefined ? data : carveValidation(data, o.valSplit, o.seed);
  } catch (e) {
    throw e instanceof UserError ? e : new UserError((e as Error).message);
  }
}

function carveValidation(data: TrainingData, valSplit: number, seed: number): TrainingData {
  const { kept, held } = zg.holdOut(data.train, valSplit, seed);
  return { ...data, train: kept, test: held, evaluatedOn: 'validation' };
}

/**
 * The test split only: all that evaluating a model needs. A model trained on a folder of pictures
 * reads that folder's test split the way it was trained: its size, channels and class names, and
 * for a single folder the same held-out split (meta.data.valSplit and .seed).
 */
export function loadTestSet(dataDir: string | undefined, saved?: zg.SavedModel): zg.ImageDataset {
  try {
    const names = saved && classNamesOf(saved);
    if (dataDir !== undefined && existsSync(dataDir) && statSync(dataDir).isDirectory() && zg.dataLayout(dataDir) !== 'mnist') {
      if (saved && !names) {
        throw new UserError(`--data-dir ${dataDir}: a folder of pictures, but the model names no classes (it was trained on MNIST-format data); expected MNIST-format IDX files`);
      }
      const [channels, size] = saved?.inputShape ?? MNIST_INPUT;
      const split = (saved?.meta.data ?? {}) as { valSplit?: number; seed?: number };
      return zg.loadImageFolder(dataDir, { size, channels, classNames: names, valSplit: split.valSplit, seed: split.seed, only: 'test' }).test;
    }
    if (names) throw new UserError(`--data-dir ${dataDir ?? '(the MNIST that ships with zerograd)'}: MNIST-format files, but the model was trained on pictures of ${names.join(', ')}; expected the folder it was trained on`);
    return zg.loadMnistSplit('test', dataDir);
  } catch (e) {
    throw e instanceof UserError ? e : new UserError((e as Error).message);
  }
}

/** The class names a model file stores (meta.classNames), if it was trained on a folder of pictures. */
export function classNamesOf(saved: zg.SavedModel): string[] | undefined {
  const names = saved.meta.classNames;
  return Array.isArray(names) && names.length === saved.classes && names.every((n) => typeof n === 'string') ? names as string[] : undefined;
}

/**
 * A model file that classifies images (what `eval` and `predict` need): a detector or a tabular
 * model is refused with the command that uses it.
 */
export function loadImageClassifier(path: string): zg.SavedModel {
  const saved = loadModelFile(path);
  if (saved.meta.rcnn) throw new UserError(`${path}: a detector (R-CNN), not an image classifier; use \`zerograd detect\` or \`zerograd detect-eval\``);
  if (saved.meta.kind === 'tabular') throw new UserError(`${path}: a tabular model, not an image classifier; use \`zerograd tabular predict\``);
  return saved;
}

export function loadModelFile(path: string): zg.SavedModel {
  try {
    return zg.loadModel(path);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
}
