// zerograd train: build the network the flags describe, drive the training loop with a progress
// display, evaluate after each epoch, and save the model file.
import cliProgress from 'cli-progress';
import * as zg from '../node.js';
import { MNIST_INPUT, UserError, formatSeconds, loadData, out, pct } from './common.js';

/** The flags that describe a network (train and summary). */
export interface ModelOptions {
  model: zg.Arch;
  activation: zg.Activation;
  hidden?: number[];
  kernels: number;
  kernelSize: number;
  pool: 'max' | 'avg';
  dropout: number;
}

/** The flag that sets each field of a training configuration. */
const FLAG: Record<keyof zg.TrainingConfig, string> = {
  arch: '--model', hidden: '--hidden', kernels: '--kernels', kernelSize: '--kernel-size', pool: '--pool', activation: '--activation',
  dropout: '--dropout', optimizer: '--optimizer', lr: '--lr', schedule: '--schedule', epochs: '--epochs',
};

/** The model (and, for train, optimizer and schedule) that the flags describe; a bad combination is a user error. */
export function buildFromFlags(o: ModelOptions & Partial<Pick<TrainOptions, 'optimizer' | 'lr' | 'schedule' | 'epochs'>>): zg.Training {
  try {
    return zg.buildTraining({
      arch: o.model, hidden: o.hidden, kernels: o.kernels, kernelSize: o.kernelSize, pool: o.pool, activation: o.activation,
      dropout: o.dropout, optimizer: o.optimizer, lr: o.lr, schedule: o.schedule, epochs: o.epochs,
    });
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
  out?: string;
  json: boolean;
  progress: boolean;
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

export function train(o: TrainOptions): void {
  zg.manualSeed(o.seed);
  const dataRng = new zg.Random(o.seed + 1);
  const { model, optimizer, schedule, config } = buildFromFlags(o);
  const data = loadData(o.dataDir);
  const trainSet = o.limit ? data.train.take(o.limit) : data.train;
  const outPath = o.out ?? `${o.model}.zg`;
  const parameters = model.parameterCount();
  out(o.json, `zerograd train: ${o.model}, ${parameters.toLocaleString('en-US')} parameters, ${trainSet.count} training images, ` +
    `${o.epochs} epoch(s), batch ${o.batchSize}, ${o.optimizer} lr ${config.lr}${schedule ? ` (${o.schedule} schedule)` : ''}, ` +
    `seed ${o.seed}, backend ${zg.backend().name} (${zg.backend().threads} thread${zg.backend().threads > 1 ? 's' : ''})`);

  const progress = progressDisplay(o);
  let trainSeconds = 0;
  let last: { trainLoss: number; test: zg.Evaluation } | undefined;
  try {
    for (const e of zg.trainEpochs(model, trainSet, optimizer, { epochs: o.epochs, batchSize: o.batchSize, rng: dataRng, schedule })) {
      if (e.type === 'batch') {
        progress.batch(e);
        continue;
      }
      progress.stop();
      trainSeconds += e.seconds;
      last = { trainLoss: e.trainLoss, test: zg.evaluate(model, data.test) };
      out(o.json, `epoch ${e.epoch + 1}/${o.epochs}: train loss ${e.trainLoss.toFixed(4)}, train accuracy ${pct(e.trainAccuracy)}, ` +
        `test accuracy ${pct(last.test.accuracy)}, ${Math.round(e.samples / e.seconds)} img/s, ${formatSeconds(e.seconds)}`);
    }
  } catch (e) {
    progress.stop();
    if (e instanceof zg.DivergedError) throw new UserError(e.message);
    throw e;
  }
  const test = last!.test;
  zg.saveModel(outPath, model, MNIST_INPUT, 10, {
    arch: o.model, epochs: o.epochs, seed: o.seed, testAccuracy: test.accuracy, optimizer: o.optimizer, lr: config.lr, batchSize: o.batchSize, config,
  });
  const samplesPerSecond = (trainSet.count * o.epochs) / trainSeconds;
  out(o.json, `test accuracy ${pct(test.accuracy)} after ${o.epochs} epoch(s); trained in ${formatSeconds(trainSeconds)} ` +
    `(${Math.round(samplesPerSecond)} img/s); saved ${outPath}`);
  if (o.json) {
    console.log(JSON.stringify({
      model: o.model, testAccuracy: test.accuracy, trainLoss: last!.trainLoss, epochs: o.epochs, seconds: trainSeconds,
      samplesPerSecond, parameters, backend: zg.backend().name, threads: zg.backend().threads, out: outPath,
    }));
  }
}
