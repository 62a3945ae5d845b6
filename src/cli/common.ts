// What the commands share: user errors, output formatting, loading data and model files.
import * as zg from '../node.js';

/** An error in what the user asked for: printed as one line, without a stack trace. */
export class UserError extends Error {}

export const MNIST_INPUT = [1, 28, 28];

export function out(json: boolean, line: string): void {
  if (!json) console.log(line);
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

export function loadModelFile(path: string): zg.SavedModel {
  try {
    return zg.loadModel(path);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
}
