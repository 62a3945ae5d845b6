// Experiments that show why each part of a network is there. Each is seeded, so its numbers
// repeat; `quick` runs a small version (under a minute) that the tests run, checking each claim.
import { depth, kernels, linearCollapse, pooling } from './architecture.js';
import { init, learningRate, optimizers } from './training.js';
import { detection } from './detection.js';
import { depthAndBlocks } from './blocks.js';
import type { Experiment } from './common.js';

export type { Experiment, ExperimentContext, ExperimentResult } from './common.js';
export type { Series } from './report.js';

export const EXPERIMENTS: Experiment[] = [linearCollapse, pooling, kernels, learningRate, optimizers, init, depth, depthAndBlocks, detection];

export function findExperiment(name: string): Experiment {
  const e = EXPERIMENTS.find((x) => x.name === name);
  if (!e) throw new Error(`unknown experiment '${name}', expected one of: ${EXPERIMENTS.map((x) => x.name).join(', ')}`);
  return e;
}
