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

/** The test split only: all that evaluating a model needs. */
export function loadTestSet(dataDir: string | undefined): zg.ImageDataset {
  try {
    return zg.loadMnistSplit('test', dataDir);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
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
