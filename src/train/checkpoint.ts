// What a training checkpoint holds, and putting it back: the weights, the optimizer's state (Adam's
// moments and step count, SGD's momentum buffers, the learning rate), the random generators' states
// (shuffles, dropout masks) and the loop's position (epoch, batch, the epoch's shuffle). With all of
// them restored, the next step is bit for bit the one an uninterrupted run would have taken.
// The bytes are src/io/checkpoint.ts's; this file says what goes in them.
import type { Module } from '../nn/module.js';
import type { Optimizer, OptimizerState } from '../optim/index.js';
import { Random, type RandomState } from '../tensor/random.js';
import { encodeModel } from '../io/model-file.js';
import type { CheckpointParts, DecodedCheckpoint } from '../io/checkpoint.js';
import type { LoopPosition } from './index.js';

/** The live objects of a training run that a checkpoint saves and restores. */
export interface TrainingRun {
  model: Module;
  optimizer: Optimizer;
  /** Every generator the run draws from, by a name of the caller's choosing ('default', 'data'). */
  generators: Record<string, Random>;
  /** Kept up to date by trainEpochs (its `position` option). */
  position: LoopPosition;
}

/** What describes the model file inside a checkpoint (see encodeModel). */
export interface ModelDescription {
  inputShape: number[];
  classes: number;
  meta?: Record<string, unknown>;
}

/** Optimizer buffers are saved as tensors named `optimizer.<buffer>` ('optimizer.m.3'). */
const PREFIX = 'optimizer.';

/**
 * The parts of a checkpoint of `run` now (between two steps), with `config`: whatever describes
 * the run (flags, data), saved for whoever resumes it to check against theirs.
 * @example saveCheckpoint('run.ckpt', checkpointParts(run, { inputShape: [1, 28, 28], classes: 10 }, { seed: 1 }));
 */
export function checkpointParts(run: TrainingRun, model: ModelDescription, config: Record<string, unknown>): CheckpointParts {
  const opt = run.optimizer.stateDict();
  const tensors: CheckpointParts['tensors'] = {};
  for (const [name, data] of Object.entries(opt.buffers)) tensors[PREFIX + name] = data;
  const generators: Record<string, RandomState> = {};
  for (const [name, rng] of Object.entries(run.generators)) generators[name] = rng.getState();
  return {
    model: encodeModel(run.model, model.inputShape, model.classes, model.meta ?? {}),
    tensors,
    // A deep copy through JSON: the position changes with the next step.
    state: JSON.parse(JSON.stringify({ config, position: run.position, generators, optimizer: { type: opt.type, scalars: opt.scalars } })),
  };
}

/** The configuration a checkpoint was saved with (checkpointParts' `config`), to compare before restoring. */
export function checkpointConfig(d: DecodedCheckpoint): Record<string, unknown> {
  const config = d.state.config;
  if (typeof config !== 'object' || config === null) throw new Error('checkpoint: the state lacks the run\'s configuration');
  return config as Record<string, unknown>;
}

/**
 * Put a decoded checkpoint back into a run built the same way (same architecture, optimizer and
 * hyperparameters, same generator names). Everything is checked before anything changes; a
 * mismatch throws an error that says what differs. Sets run.position (the same object) to the saved position.
 */
export function restoreCheckpoint(d: DecodedCheckpoint, run: TrainingRun): void {
  const state = d.state as { position?: LoopPosition; generators?: Record<string, RandomState>; optimizer?: Omit<OptimizerState, 'buffers'> };
  const spec = JSON.stringify(run.model.toSpec());
  const saved = JSON.stringify(d.saved.model.toSpec());
  if (spec !== saved) throw new Error(`checkpoint: its model is ${saved}, expected ${spec} (a checkpoint of another network)`);
  const p = state.position;
  if (typeof p !== 'object' || p === null || !Number.isInteger(p.epoch) || !Number.isInteger(p.batch) || !Array.isArray(p.recentLosses)) {
    throw new Error(`checkpoint: expected a loop position {epoch, batch, shuffle, …}, got ${JSON.stringify(p)}`);
  }
  const names = Object.keys(run.generators).sort();
  const savedNames = Object.keys(state.generators ?? {}).sort();
  if (names.join() !== savedNames.join()) throw new Error(`checkpoint: holds generators [${savedNames}], expected [${names}]`);
  const buffers: OptimizerState['buffers'] = {};
  for (const [name, data] of Object.entries(d.tensors)) {
    if (!name.startsWith(PREFIX)) throw new Error(`checkpoint: unexpected tensor '${name}'; expected optimizer buffers named ${PREFIX}<buffer>`);
    buffers[name.slice(PREFIX.length)] = data;
  }
  const optimizerState: OptimizerState = { type: state.optimizer?.type ?? '', scalars: state.optimizer?.scalars ?? {}, buffers };

  for (const name of names) new Random().setState(state.generators![name]); // checks each state, changes nothing

  // Checked as far as can be without changing anything: now the optimizer (which checks its own
  // state whole before changing anything), the generators, then the weights (names and shapes
  // are those of the same spec).
  run.optimizer.loadStateDict(optimizerState);
  for (const name of names) run.generators[name].setState(state.generators![name]);
  run.model.loadStateDict(d.saved.model.stateDict()); // parameters and buffers (batch norm's running statistics)
  // The same object, so that a trainEpochs already given run.position sees the restored one.
  Object.assign(run.position, { ...p, recentLosses: [...p.recentLosses] });
}
