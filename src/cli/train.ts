// zerograd train: build the network the flags describe, drive the training loop with a progress
// display, evaluate after each epoch, and save the model file.
import { resolve as resolvePath } from 'node:path';
import cliProgress from 'cli-progress';
import * as zg from '../node.js';
import { UserError, checkWritable, formatSeconds, loadTrainingData, out, pct, warn } from './common.js';
import { Checkpointer, checkResumeData, dataIdentity, readResume, runFlags, type RunRecord } from './checkpoint.js';

/** The flags that describe a network (train and summary). */
export interface ModelOptions {
  model: zg.Arch;
  activation: zg.Activation;
  hidden?: number[];
  kernels: number;
  kernelSize: number;
  pool: 'max' | 'avg';
  dropout: number;
  batchNorm?: boolean;
}

/** The flag that sets each field of a training configuration. */
const FLAG: Record<keyof zg.TrainingConfig, string> = {
  arch: '--model', hidden: '--hidden', kernels: '--kernels', kernelSize: '--kernel-size', pool: '--pool', activation: '--activation',
  dropout: '--dropout', batchNorm: '--batch-norm', optimizer: '--optimizer', lr: '--lr', schedule: '--schedule', epochs: '--epochs',
};

/**
 * The model (and, for train, optimizer and schedule) that the flags describe, for inputs of the
 * data's shape (default: 28×28 grayscale digits, 10 classes); a bad combination is a user error.
 */
export function buildFromFlags(o: ModelOptions & Partial<Pick<TrainOptions, 'optimizer' | 'lr' | 'schedule' | 'epochs'>>, input: zg.InputInfo = {}): zg.Training {
  try {
    return zg.buildTraining({
      arch: o.model, hidden: o.hidden, kernels: o.kernels, kernelSize: o.kernelSize, pool: o.pool, activation: o.activation,
      dropout: o.dropout, batchNorm: o.batchNorm, optimizer: o.optimizer, lr: o.lr, schedule: o.schedule, epochs: o.epochs,
    }, input);
  } catch (e) {
    if (e instanceof zg.ConfigError) throw new UserError(`${FLAG[e.field]}: ${e.detail}`);
    throw e;
  }
}

export interface TrainOptions extends ModelOptions {
  epochs: number;
  batchSize: number;
  lr?: number;
  optimizer: 'sgd' | 'momentum' | 'adam';
  schedule: 'none' | 'step' | 'cosine';
  seed: number;
  limit?: number;
  dataDir?: string;
  /** Pictures of an image folder are resized to S×S (default 28, the built-in models' input). */
  imageSize?: number;
  /** Hold out this fraction of the training images (seeded, per class) and report on it; a single picture folder's test split. */
  valSplit?: number;
  /** Augmentation of the training examples, as parseAugment reads it ('crop,flip'). */
  augment?: string;
  out?: string;
  json: boolean;
  progress: boolean;
  /** Save a checkpoint here (every checkpointEvery optimizer steps, else at each epoch's end). */
  checkpoint?: string;
  checkpointEvery?: number;
  /** Continue the run this checkpoint was saved from. */
  resume?: string;
}

/** The progress bar on a terminal, else a plain line at each quarter of an epoch; nothing with --json. */
function progressDisplay(o: TrainOptions) {
  const tty = o.progress && process.stdout.isTTY && !o.json;
  const bar = tty ? new cliProgress.SingleBar({
    format: 'epoch {epoch} [{bar}] {percentage}% | {speed} img/s | loss {loss} | acc {acc} | ETA {eta_formatted}',
    hideCursor: true, clearOnComplete: true,
  }, cliProgress.Presets.shades_classic) : null;
  let nextPlain = 0.25;
  return {
    batch(b: zg.BatchInfo): void {
      if (b.batch === 1) {
        nextPlain = 0.25;
        bar?.start(b.batches, 0, { epoch: b.epoch + 1, speed: 0, loss: '-', acc: '-' });
      }
      const speed = Math.round(b.samples / b.seconds);
      bar?.update(b.batch, { speed, loss: b.meanLoss.toFixed(4), acc: pct(b.accuracy) });
      if (!bar && !o.json && b.batch / b.batches >= nextPlain && b.batch < b.batches) {
        console.log(`  epoch ${b.epoch + 1}: ${Math.round((100 * b.batch) / b.batches)}%, ${speed} img/s, loss ${b.meanLoss.toFixed(4)}, accuracy ${pct(b.accuracy)}`);
        nextPlain += 0.25;
      }
    },
    stop: (): void => bar?.stop(),
  };
}

/**
 * Ctrl-C while training: the first press asks the loop to stop after the current batch (the model
 * trained so far is then saved); a second press quits at once without saving.
 */
function interruptHandler() {
  const state = { requested: false, dispose: (): void => {} };
  const onSigint = (): void => {
    if (state.requested) {
      process.stderr.write('\nzerograd: interrupted again: quitting without saving\n');
      process.exit(130);
    }
    state.requested = true;
    process.stderr.write('\nzerograd: interrupted: stopping after this batch to save the model (Ctrl-C again to quit without saving)\n');
  };
  process.on('SIGINT', onSigint);
  state.dispose = () => void process.off('SIGINT', onSigint);
  return state;
}


/**
 * Train as the flags say. `given(key)`: whether an option was given on the command line (not its
 * default); with --resume, such flags must agree with the checkpoint's run.
 */
export async function train(flags: TrainOptions, given: (key: string) => boolean = () => false): Promise<void> {
  // Everything that can be checked is checked before the first step, so that no run is lost to a
  // bad path at the end: the output file, the checkpoint, the configuration, the data.
  if (flags.checkpointEvery !== undefined && !flags.checkpoint && !flags.resume) {
    throw new UserError(`--checkpoint-every ${flags.checkpointEvery}: needs --checkpoint FILE (where to save)`);
  }
  const resume = flags.resume ? readResume(flags, given) : undefined;
  const o = resume?.o ?? flags;
  const outPath = o.out ?? `${o.model}.zg`;
  checkWritable('--out', outPath);
  if (o.checkpoint) checkWritable('--checkpoint', o.checkpoint);
  zg.manualSeed(o.seed);
  const dataRng = new zg.Random(o.seed + 1);
  const augment = augmenter(o);
  const data = loadTrainingData(o.dataDir, { imageSize: o.imageSize, valSplit: o.valSplit, seed: o.seed });
  const [C, H, W] = data.inputShape;
  const { model, optimizer, schedule, config } = buildFromFlags(o, { channels: C, height: H, width: W, classes: data.classes });
  const on = data.evaluatedOn; // 'test', or 'validation' with --val-split
  if (o.limit !== undefined && o.limit > data.train.count) {
    warn(`--limit ${o.limit} is more than the ${data.train.count} training images in ${data.dir}; training on all ${data.train.count}`);
  }
  const trainSet = o.limit ? data.train.take(o.limit) : data.train;
  // The run as a checkpoint sees it: the generators are the seeded default one (weights, dropout)
  // and the data one (shuffles); the position is kept up to date by the loop.
  const run: zg.TrainingRun = { model, optimizer, generators: { default: zg.defaultRandom, data: dataRng }, position: zg.startPosition() };
  let counters: Pick<RunRecord, 'step' | 'trainSeconds' | 'firstLoss' | 'peakLoss' | 'lastTrainLoss'> =
    { step: 0, trainSeconds: 0, firstLoss: null, peakLoss: 0, lastTrainLoss: null };
  if (resume) {
    checkResumeData(o.resume!, resume.record, trainSet);
    try {
      zg.restoreCheckpoint(resume.checkpoint, run);
    } catch (e) {
      throw new UserError(`--resume ${o.resume}: ${(e as Error).message}`);
    }
    const r = resume.record;
    counters = { step: r.step, trainSeconds: r.trainSeconds, firstLoss: r.firstLoss, peakLoss: r.peakLoss, lastTrainLoss: r.lastTrainLoss };
  }
  const identity = o.checkpoint ? dataIdentity(trainSet) : { count: trainSet.count, crc: 0 };
  // What a model file needs to prepare pictures as in training and to name its classes; how it was augmented.
  const dataMeta: Record<string, unknown> = data.classNames ? {
    classNames: data.classNames, preprocess: 'resize',
    data: { layout: data.layout, valSplit: data.layout === 'single' ? o.valSplit ?? zg.DEFAULT_VAL_SPLIT : o.valSplit, seed: o.seed },
  } : {};
  if (augment) Object.assign(dataMeta, { augment: zg.formatAugment(augment.spec) });
  const checkpoints = new Checkpointer(o.checkpoint, o.checkpointEvery, run, () => ({
    flags: runFlags(o, config), data: identity, dataDir: o.dataDir === undefined ? undefined : resolvePath(o.dataDir), out: resolvePath(outPath), checkpointEvery: o.checkpointEvery ?? null,
    backend: { name: zg.backend().name, threads: zg.backend().threads },
    step, trainSeconds, firstLoss: Number.isNaN(firstLoss) ? null : firstLoss, peakLoss, lastTrainLoss: last?.trainLoss ?? counters.lastTrainLoss,
  }), () => ({ ...dataMeta, arch: o.model, seed: o.seed, epochs: Number((run.position.epoch + run.position.batch / Math.max(1, Math.ceil(trainSet.count / o.batchSize))).toFixed(3)), checkpoint: true }),
  { inputShape: data.inputShape, classes: data.classes });
  const parameters = model.parameterCount();
  const shape = data.classNames ? `${C === 3 ? 'colour' : 'grayscale'} ${H}×${W} pictures of ${data.classes} classes (${data.classNames.join(', ')}), ` : '';
  out(o.json, `zerograd train: ${o.model}, ${parameters.toLocaleString('en-US')} parameters, ${shape}${trainSet.count} training images, ` +
    `${o.epochs} epoch(s), batch ${o.batchSize}, ${o.optimizer} lr ${config.lr}${schedule ? ` (${o.schedule} schedule)` : ''}, ` +
    `seed ${o.seed}${augment ? `, augment ${zg.formatAugment(augment.spec)}` : ''}, backend ${zg.backend().name} (${zg.backend().threads} thread${zg.backend().threads > 1 ? 's' : ''})`);

  if (resume) {
    const p = run.position;
    out(o.json, `resuming from ${o.resume}: epoch ${Math.min(p.epoch + 1, o.epochs)}, batch ${p.batch}, step ${counters.step}`);
  }
  const progress = progressDisplay(o);
  const interrupt = interruptHandler();
  let trainSeconds = counters.trainSeconds;
  let step = counters.step;
  // The loss of the first step (the initial weights) and the highest since, for the near-chance warning.
  let firstLoss = counters.firstLoss ?? NaN;
  let peakLoss = counters.peakLoss;
  let at = { epoch: 0, batch: 0, batches: 0 };
  let last: { trainLoss: number; test: zg.Evaluation } | undefined;
  // The loop runs synchronously; every ~100 ms it lets the event loop turn once, so that a Ctrl-C
  // (whose handler runs only then) is heard within a batch or so.
  let turned = performance.now();
  try {
    for (const e of zg.trainEpochs(model, trainSet, optimizer, { epochs: o.epochs, batchSize: o.batchSize, rng: dataRng, schedule, position: run.position, augment })) {
      if (e.type === 'batch') {
        if (Number.isNaN(firstLoss)) firstLoss = e.loss;
        peakLoss = Math.max(peakLoss, e.loss);
        at = { epoch: e.epoch, batch: e.batch, batches: e.batches };
        step++;
        checkpoints.afterStep(step);
        progress.batch(e);
        if (performance.now() - turned > 100) {
          await new Promise(setImmediate);
          turned = performance.now();
        }
        if (interrupt.requested) break;
        continue;
      }
      progress.stop();
      trainSeconds += e.seconds;
      last = { trainLoss: e.trainLoss, test: zg.evaluate(model, data.test, 1000, data.classes) };
      out(o.json, `epoch ${e.epoch + 1}/${o.epochs}: train loss ${e.trainLoss.toFixed(4)}, train accuracy ${pct(e.trainAccuracy)}, ` +
        `${on} accuracy ${pct(last.test.accuracy)}, ${Math.round(e.samples / e.seconds)} img/s, ${formatSeconds(e.seconds)}`);
      if (last.test.accuracy < zg.nearChanceAccuracy(data.classes)) warnNearChance(config, e.epoch, last.test.accuracy, firstLoss, peakLoss, e.trainLoss, data.classes, on);
      checkpoints.afterEpoch();
    }
  } catch (e) {
    progress.stop();
    if (e instanceof zg.DivergedError) throw divergedError(e, config);
    throw e;
  } finally {
    interrupt.dispose();
  }
  progress.stop();
  const meta = { arch: o.model, epochs: o.epochs, seed: o.seed, [`${on}Accuracy`]: last?.test.accuracy, optimizer: o.optimizer, lr: config.lr, batchSize: o.batchSize, config, ...dataMeta };
  if (interrupt.requested) {
    // The flag is read between steps, so the weights are those of a whole step: save them as they
    // are, and the checkpoint too, to continue from here with --resume.
    checkpoints.save();
    const done = at.epoch + at.batch / at.batches;
    zg.saveModel(outPath, model, data.inputShape, data.classes, { ...meta, epochs: Number(done.toFixed(3)), interrupted: true });
    const line = `interrupted at epoch ${at.epoch + 1}, batch ${at.batch}/${at.batches}: saved the model trained so far to ${outPath}`;
    if (o.json) console.log(JSON.stringify({ interrupted: true, epoch: at.epoch + 1, batch: at.batch, epochs: done, out: outPath }));
    else console.log(line);
    process.exitCode = 130; // 128 + SIGINT, as a shell reports a process stopped by Ctrl-C
    return;
  }
  // A run resumed from a checkpoint taken after its last epoch has no epoch left: evaluate here.
  last ??= { trainLoss: counters.lastTrainLoss ?? NaN, test: zg.evaluate(model, data.test, 1000, data.classes) };
  const test = last.test;
  zg.saveModel(outPath, model, data.inputShape, data.classes, meta);
  const samplesPerSecond = (trainSet.count * o.epochs) / trainSeconds;
  out(o.json, `${on} accuracy ${pct(test.accuracy)} after ${o.epochs} epoch(s); trained in ${formatSeconds(trainSeconds)} ` +
    `(${Math.round(samplesPerSecond)} img/s); saved ${outPath}`);
  if (o.json) {
    console.log(JSON.stringify({
      model: o.model, [`${on}Accuracy`]: test.accuracy, trainLoss: last.trainLoss, epochs: o.epochs, seconds: trainSeconds,
      samplesPerSecond, parameters, backend: zg.backend().name, threads: zg.backend().threads, out: outPath,
    }));
  }
}

/** The command line's words for a DivergedError: the flag to change and the value to try (divergenceAdvice, shared with the explainer). */
function divergedError(e: zg.DivergedError, config: zg.ResolvedConfig): UserError {
  return new UserError(zg.divergenceAdvice(e, config.optimizer, config.lr));
}

/** After an epoch that ends near chance: say so, and which way the learning rate probably needs to go (nearChanceAdvice, shared with the explainer). */
function warnNearChance(config: zg.ResolvedConfig, epoch: number, accuracy: number, firstLoss: number, peakLoss: number, trainLoss: number,
  classes: number, on: string): void {
  warn(zg.nearChanceAdvice({ epoch, accuracy, firstLoss, peakLoss, trainLoss, lr: config.lr, optimizer: config.optimizer, classes },
    { lr: '--lr', limit: '--limit', on }));
}

/** --augment as an Augmenter seeded from --seed (none for 'none'); a bad list is a user error. */
function augmenter(o: TrainOptions): zg.Augmenter | undefined {
  if (o.augment === undefined) return undefined;
  let spec: zg.AugmentSpec;
  try {
    spec = zg.parseAugment(o.augment);
  } catch (e) {
    throw new UserError(`--augment ${(e as Error).message}`);
  }
  // Its own seed, apart from the weights' (seed) and the shuffles' (seed + 1).
  return zg.formatAugment(spec) === 'none' ? undefined : new zg.Augmenter(spec, o.seed + 2);
}
