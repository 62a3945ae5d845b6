// zerograd train --checkpoint / --resume: what a run's configuration is (so that a checkpoint is only
// ever continued by the run it came from), when checkpoints are written, and the test-only hooks
// that kill the process at chosen moments (src/cli/resume.test.ts).
import { existsSync, readdirSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import * as zg from '../node.js';
import { crc32 } from '../io/model-file.js';
import { MNIST_INPUT, UserError, warn } from './common.js';

/** The options that define a run: a checkpoint continues only with the same values. */
const RUN_KEYS = ['model', 'hidden', 'kernels', 'kernelSize', 'pool', 'activation', 'dropout', 'batchNorm', 'optimizer', 'lr', 'schedule',
  'epochs', 'batchSize', 'seed', 'limit', 'imageSize', 'valSplit', 'augment'] as const;
type RunKey = (typeof RUN_KEYS)[number];

/** What of train's options (TrainOptions, src/cli/train.ts, which imports this file) checkpoints deal with. */
export type ResumableOptions = { [K in RunKey]?: unknown } & {
  out?: string;
  dataDir?: string;
  checkpoint?: string;
  checkpointEvery?: number;
  resume?: string;
};

const FLAG: Record<RunKey, string> = {
  model: '--model', hidden: '--hidden', kernels: '--kernels', kernelSize: '--kernel-size', pool: '--pool', activation: '--activation',
  dropout: '--dropout', batchNorm: '--batch-norm', optimizer: '--optimizer', lr: '--lr', schedule: '--schedule', epochs: '--epochs', batchSize: '--batch-size',
  seed: '--seed', limit: '--limit', imageSize: '--image-size', valSplit: '--val-split', augment: '--augment',
};

/** What the CLI saves beside the training state: the run's configuration and its own counters. */
export interface RunRecord {
  flags: { [K in RunKey]?: unknown };
  /** The training images: how many, and a CRC-32 of their pixels and labels (another --data-dir or --limit is refused). */
  data: { count: number; crc: number };
  /** Where the data came from (absolute; undefined: the MNIST that ships with zerograd), used when --resume has no --data-dir. */
  dataDir?: string;
  out: string;
  checkpointEvery: number | null;
  backend: { name: string; threads: number };
  /** Optimizer steps done, seconds spent training, the loss figures behind the near-chance warning. */
  step: number;
  trainSeconds: number;
  firstLoss: number | null;
  peakLoss: number;
  lastTrainLoss: number | null;
}

const show = (v: unknown) => (v === undefined ? '(not given)' : Array.isArray(v) ? v.join(',') : String(v));

/** The training images' identity: their count and one checksum over pixels and labels. */
export function dataIdentity(set: zg.ImageDataset): RunRecord['data'] {
  const bytes = new Uint8Array(set.images.length + set.labels.length);
  bytes.set(set.images, 0);
  bytes.set(set.labels, set.images.length);
  return { count: set.count, crc: crc32(bytes) };
}

/** The run-defining flags of `o`, with the defaults that the configuration filled in (hidden sizes, lr) as values. */
export function runFlags(o: ResumableOptions, config: zg.ResolvedConfig): RunRecord['flags'] {
  const flags = Object.fromEntries(RUN_KEYS.map((k) => [k, o[k]])) as RunRecord['flags'];
  return { ...flags, hidden: config.hidden, lr: config.lr };
}

/**
 * `--resume FILE`: read the checkpoint and take the run's options from it. A flag given on this
 * command line that defines the run differently (another --lr, --epochs, --seed…) is refused: a
 * checkpoint continues the run it was saved from, nothing else. --out, --checkpoint,
 * --checkpoint-every, --data-dir (if it holds the same images), --backend and --threads may change.
 */
export function readResume<O extends ResumableOptions>(o: O, given: (key: string) => boolean): { o: O; checkpoint: zg.DecodedCheckpoint; record: RunRecord } {
  const path = o.resume!;
  let checkpoint: zg.DecodedCheckpoint;
  let record: RunRecord;
  try {
    checkpoint = zg.loadCheckpoint(path);
    record = zg.checkpointConfig(checkpoint) as unknown as RunRecord;
  } catch (e) {
    throw new UserError(`--resume ${path}: ${(e as Error).message.replace(`${path}: `, '')}`);
  }
  if (typeof record.flags !== 'object' || typeof record.data !== 'object' || !Number.isInteger(record.step)) {
    throw new UserError(`--resume ${path}: the checkpoint lacks the run's flags, data or step count (not written by zerograd train)`);
  }
  for (const k of RUN_KEYS) {
    if (given(k) && JSON.stringify(o[k]) !== JSON.stringify(record.flags[k])) {
      throw new UserError(`--resume ${path}: the checkpoint is of a run with ${FLAG[k]} ${show(record.flags[k])}, but this command says ` +
        `${FLAG[k]} ${show(o[k])}; a checkpoint continues the run it was saved from (drop ${FLAG[k]}, or start a new run without --resume)`);
    }
  }
  const merged: O = {
    ...o, ...record.flags,
    out: given('out') ? o.out : record.out,
    dataDir: given('dataDir') ? o.dataDir : record.dataDir,
    checkpoint: o.checkpoint ?? path,
    checkpointEvery: given('checkpointEvery') ? o.checkpointEvery : record.checkpointEvery ?? undefined,
  };
  return { o: merged, checkpoint, record };
}

/** The data of a resumed run must be the data it was saved with. */
export function checkResumeData(path: string, record: RunRecord, trainSet: zg.ImageDataset): void {
  const now = dataIdentity(trainSet);
  if (now.count !== record.data.count || now.crc !== record.data.crc) {
    throw new UserError(`--resume ${path}: the checkpoint's run trained on ${record.data.count} images (CRC-32 ${record.data.crc}), ` +
      `but this command's training set is ${now.count} images (CRC-32 ${now.crc}); use the same --data-dir and --limit`);
  }
  const b = zg.backend();
  if (record.backend.name !== b.name || record.backend.threads !== b.threads) {
    warn(`--resume ${path}: the run was on ${record.backend.name} with ${record.backend.threads} thread(s), this one is on ${b.name} with ` +
      `${b.threads}; it continues, but its weights will not equal an uninterrupted run's bit for bit`);
  }
}

/**
 * Test-only hooks, read from the environment: ZEROGRAD_TEST_KILL_AT_STEP=N kills the process
 * (SIGKILL, no cleanup) right after optimizer step N; ZEROGRAD_TEST_KILL_IN_CHECKPOINT=K kills it
 * halfway through writing its K-th checkpoint (counted from 1 in this process).
 */
function killHooks() {
  const num = (name: string) => {
    const v = process.env[name];
    if (v === undefined || v === '') return undefined;
    if (!/^\d+$/.test(v) || Number(v) < 1) throw new UserError(`${name}: expected a positive integer, got '${v}'`);
    return Number(v);
  };
  return { atStep: num('ZEROGRAD_TEST_KILL_AT_STEP'), inCheckpoint: num('ZEROGRAD_TEST_KILL_IN_CHECKPOINT') };
}

const die = (): void => void process.kill(process.pid, 'SIGKILL');

/**
 * Writes the checkpoints of one run: every `every` optimizer steps, or at each epoch's end when
 * `every` is undefined; always atomically, so a kill at any moment leaves the previous checkpoint whole.
 */
export class Checkpointer {
  private readonly hooks = killHooks();
  private written = 0;

  constructor(readonly path: string | undefined, readonly every: number | undefined, private readonly run: zg.TrainingRun,
    private readonly record: () => RunRecord, private readonly meta: () => Record<string, unknown>,
    private readonly input: { inputShape: number[]; classes: number } = { inputShape: MNIST_INPUT, classes: 10 }) {
    if (path) removeStaleTemporaries(path);
  }

  /** After optimizer step `step` (counted over the whole run from 1). */
  afterStep(step: number): void {
    if (this.hooks.atStep === step) die();
    if (this.every !== undefined && step % this.every === 0) this.save();
  }

  /** After an epoch's summary (and its test evaluation). */
  afterEpoch(): void {
    if (this.every === undefined) this.save();
  }

  save(): void {
    if (!this.path) return;
    this.written++;
    const kill = this.hooks.inCheckpoint === this.written;
    const parts = zg.checkpointParts(this.run, { ...this.input, meta: this.meta() }, { ...this.record() });
    zg.saveCheckpoint(this.path, parts, kill ? { midWrite: die } : {});
  }
}

/**
 * A process killed while writing leaves its temporary file (.NAME.PID.TIME.tmp) behind; remove
 * those of processes that no longer run, so that a run killed and resumed many times leaves no litter.
 */
function removeStaleTemporaries(path: string): void {
  const dir = dirname(resolve(path));
  if (!existsSync(dir)) return;
  const name = basename(path).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^\\.${name}\\.(\\d+)\\.\\d+\\.tmp$`);
  for (const f of readdirSync(dir)) {
    const m = re.exec(f);
    if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    try {
      unlinkSync(join(dir, f));
    } catch {
      // Another process removed it first: nothing to do.
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
