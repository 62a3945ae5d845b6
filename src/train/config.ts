// From a training configuration — the command line's flags, the explainer's form, an experiment —
// to a model, its optimizer and its learning-rate schedule. Written once so that every tool means
// the same thing by "a cnn with Adam", with the same defaults and the same errors.
import { cnn, dnn, lenet5, mlp, resnet, vgg, type Activation, type Arch, type InputInfo } from '../models/index.js';
import type { Sequential } from '../nn/layers.js';
import { Adam, CosineLR, SGD, StepLR, type Optimizer, type Schedule } from '../optim/index.js';

export type OptimizerName = 'sgd' | 'momentum' | 'adam';
export type ScheduleName = 'none' | 'step' | 'cosine';
export type Pool = 'max' | 'avg' | 'none';

/** A network to build. Every field but `arch` has a default (DEFAULT_CONFIG, DEFAULT_HIDDEN). */
export interface ModelConfig {
  arch: Arch;
  /**
   * Hidden layer sizes: one for mlp, two or more for dnn, one (the dense layer) for cnn and vgg, two
   * for lenet5, none for resnet (it ends in global average pooling and one dense layer).
   */
  hidden?: number[];
  /**
   * cnn: number of convolution kernels (feature maps), their size, and the pooling after them;
   * lenet5 takes the pooling (and the activation). vgg and resnet have fixed 3×3 kernels, widths
   * and max pooling / stride 2 (the API builders vgg() and resnet() change them).
   */
  kernels?: number;
  kernelSize?: number;
  pool?: Pool;
  activation?: Activation;
  /** Dropout probability before the dense layers, in [0, 1). */
  dropout?: number;
  /** vgg: batch normalization after each convolution (default false; resnet always has it). */
  batchNorm?: boolean;
}

/** A network and how to train it. */
export interface TrainingConfig extends ModelConfig {
  optimizer?: OptimizerName;
  /** Learning rate (default: DEFAULT_LR of the optimizer); the schedule starts from it. */
  lr?: number;
  schedule?: ScheduleName;
  /** Epochs the schedule spans. */
  epochs?: number;
}

/** Every field filled in: what was actually built. */
export type ResolvedConfig = Required<TrainingConfig>;

/** Hidden sizes when none are given: the sizes the README's accuracy table was measured with. */
export const DEFAULT_HIDDEN: Readonly<Record<Arch, readonly number[]>> = {
  mlp: [512], dnn: [512, 256], cnn: [128], lenet5: [120, 84], vgg: [128], resnet: [],
};

/**
 * Learning rate of each optimizer when none is given. Plain SGD needs the largest steps; momentum
 * adds up about 1/(1−0.9) = 10 past gradients, so a tenth of that; Adam divides by the gradient's
 * running size, so its step is about lr whatever the scale of the loss, and 0.001 is its usual value.
 */
export const DEFAULT_LR: Readonly<Record<OptimizerName, number>> = { sgd: 0.1, momentum: 0.01, adam: 0.001 };

/** The name of an optimizer in a configuration, from the object; undefined for an optimizer of another kind. */
export function optimizerName(opt: Optimizer): OptimizerName | undefined {
  if (opt instanceof Adam) return 'adam';
  if (opt instanceof SGD) return opt.momentum > 0 ? 'momentum' : 'sgd';
  return undefined;
}

/**
 * The learning rate to try after `lr` diverged: the optimizer's default (DEFAULT_LR) when `lr` is
 * above it, else lr/10. Why not always lr/10: a tenth of a rate that exploded often explodes too.
 * Adam moves every weight by about lr per step whatever the gradient's size, so at lr 100 → 10 each
 * weight still jumps by ~10 per step when its useful size is ~0.05, and the run diverges again.
 * The defaults are the rates the README's accuracy table was measured with, so they are known to
 * converge for every architecture here; below them, a tenth is the usual next try.
 */
export function lowerLearningRate(lr: number, optimizer: OptimizerName | undefined): number {
  const base = optimizer === undefined ? Infinity : DEFAULT_LR[optimizer];
  return lr > base ? base : Number((lr / 10).toPrecision(3));
}

export const DEFAULT_CONFIG = {
  kernels: 32, kernelSize: 5, pool: 'max', activation: 'relu', dropout: 0, optimizer: 'adam', schedule: 'cosine', epochs: 3,
  batchNorm: false,
} as const satisfies Omit<ResolvedConfig, 'arch' | 'hidden' | 'lr'>;

const ARCHS: readonly Arch[] = ['mlp', 'dnn', 'cnn', 'lenet5', 'vgg', 'resnet'];
const POOLS: readonly Pool[] = ['max', 'avg', 'none'];
const ACTIVATIONS: readonly Activation[] = ['relu', 'sigmoid', 'tanh'];
const OPTIMIZERS: readonly OptimizerName[] = ['sgd', 'momentum', 'adam'];
const SCHEDULES: readonly ScheduleName[] = ['none', 'step', 'cosine'];

const shown = (v: unknown) => (typeof v === 'string' ? `'${v}'` : Array.isArray(v) ? `[${v.join(',')}]` : String(v));

/** A field of a training configuration that is out of range; `field` is the configuration's name for it. */
export class ConfigError extends Error {
  constructor(readonly field: keyof TrainingConfig, readonly detail: string) {
    super(`training configuration: ${field}: ${detail}`);
  }
}

function fail(field: keyof TrainingConfig, expected: string, got: unknown): never {
  throw new ConfigError(field, `expected ${expected}, got ${shown(got)}`);
}

function oneOf<T>(field: keyof TrainingConfig, v: T, allowed: readonly T[]): T {
  if (!allowed.includes(v)) fail(field, `one of ${allowed.join(', ')}`, v);
  return v;
}

function positiveInt(field: keyof TrainingConfig, v: number): number {
  if (!Number.isInteger(v) || v < 1) fail(field, 'a positive integer', v);
  return v;
}

/** Fill in the defaults and check every field; throws an error naming the field, what it got and what it expects. */
export function resolveConfig(c: TrainingConfig): ResolvedConfig {
  const arch = oneOf('arch', c.arch, ARCHS);
  const hidden = c.hidden ?? [...DEFAULT_HIDDEN[arch]];
  if (!Array.isArray(hidden) || (hidden.length === 0 && arch !== 'resnet') || !hidden.every((h) => Number.isInteger(h) && h > 0)) {
    fail('hidden', 'one or more positive integer sizes', hidden);
  }
  if (arch === 'resnet' && hidden.length !== 0) fail('hidden', 'no sizes (the resnet has no hidden dense layer: global average pooling, then the output layer)', hidden);
  if (arch === 'lenet5' && hidden.length !== 2) fail('hidden', 'two sizes (LeNet-5 has two hidden dense layers, 120 and 84 as published)', hidden);
  if (arch === 'vgg' && hidden.length !== 1) fail('hidden', 'one size (the vgg has one hidden dense layer)', hidden);
  if (arch === 'mlp' && hidden.length !== 1) fail('hidden', 'one size (an mlp has one hidden layer; a dnn has several)', hidden);
  if (arch === 'dnn' && hidden.length < 2) fail('hidden', 'two or more sizes (a dnn has several hidden layers; an mlp has one)', hidden);
  if (arch === 'cnn' && hidden.length !== 1) fail('hidden', 'one size (the cnn has one hidden dense layer)', hidden);
  const dropout = c.dropout ?? DEFAULT_CONFIG.dropout;
  if (!(dropout >= 0 && dropout < 1)) fail('dropout', 'a probability in [0, 1)', dropout);
  const batchNorm = c.batchNorm ?? DEFAULT_CONFIG.batchNorm;
  if (typeof batchNorm !== 'boolean') fail('batchNorm', 'true or false', batchNorm);
  if (batchNorm && arch !== 'vgg' && arch !== 'resnet') fail('batchNorm', `false for ${arch} (batch norm is a vgg option; resnet always has it)`, batchNorm);
  const optimizer = oneOf('optimizer', c.optimizer ?? DEFAULT_CONFIG.optimizer, OPTIMIZERS);
  const lr = c.lr ?? DEFAULT_LR[optimizer];
  if (!(lr > 0) || !Number.isFinite(lr)) fail('lr', 'a positive number', lr);
  return {
    arch, hidden, dropout, optimizer, lr, batchNorm,
    kernels: positiveInt('kernels', c.kernels ?? DEFAULT_CONFIG.kernels),
    kernelSize: positiveInt('kernelSize', c.kernelSize ?? DEFAULT_CONFIG.kernelSize),
    pool: oneOf('pool', c.pool ?? DEFAULT_CONFIG.pool, POOLS),
    activation: oneOf('activation', c.activation ?? DEFAULT_CONFIG.activation, ACTIVATIONS),
    schedule: oneOf('schedule', c.schedule ?? DEFAULT_CONFIG.schedule, SCHEDULES),
    epochs: positiveInt('epochs', c.epochs ?? DEFAULT_CONFIG.epochs),
  };
}

/**
 * The network a configuration describes, its weights drawn from the default generator (seed it
 * with manualSeed first for repeatable weights). `input`: the data's shape and class count
 * (default: 28×28 grayscale digits, 10 classes).
 * @example const net = buildModel({ arch: 'cnn', kernels: 30, hidden: [100] });
 * @example const net = buildModel({ arch: 'cnn' }, { channels: 3, height: 32, width: 32, classes: 3 });
 */
export function buildModel(config: ModelConfig, input: InputInfo = {}): Sequential {
  const c = resolveConfig(config);
  const shape = { activation: c.activation, dropout: c.dropout, ...input };
  switch (c.arch) {
    case 'mlp': return mlp({ ...shape, hidden: c.hidden });
    case 'dnn': return dnn({ ...shape, hidden: c.hidden });
    case 'cnn': return cnn({ ...shape, kernels: c.kernels, kernelSize: c.kernelSize, pool: c.pool, hidden: c.hidden[0] });
    case 'lenet5': return lenet5({ ...shape, pool: c.pool === 'max' ? 'max' : 'avg', hidden: [c.hidden[0], c.hidden[1]] });
    case 'vgg': return vgg({ ...input, dropout: c.dropout, hidden: c.hidden[0], batchNorm: c.batchNorm });
    case 'resnet': return resnet({ ...input, dropout: c.dropout });
  }
}

/** The schedule of a configuration, starting from `c.lr` over `c.epochs`; undefined for 'none'. */
function buildSchedule(c: ResolvedConfig): Schedule | undefined {
  switch (c.schedule) {
    case 'none': return undefined;
    // Cosine from lr down to lr/100 over the run; step: divide by 10 after each third of it.
    case 'cosine': return new CosineLR(c.lr, c.epochs, c.lr / 100);
    case 'step': return new StepLR(c.lr, Math.max(1, Math.ceil(c.epochs / 3)), 0.1);
  }
}

export interface Training {
  model: Sequential;
  optimizer: Optimizer;
  schedule: Schedule | undefined;
  /** The configuration with every default filled in. */
  config: ResolvedConfig;
}

/**
 * A model, its optimizer over the model's parameters, and the learning-rate schedule. `input` as buildModel's.
 * @example
 * const { model, optimizer, schedule } = buildTraining({ arch: 'mlp', optimizer: 'sgd', epochs: 3 });
 * fit(model, train, optimizer, { epochs: 3, batchSize: 100, schedule });
 */
export function buildTraining(config: TrainingConfig, input: InputInfo = {}): Training {
  const c = resolveConfig(config);
  const model = buildModel(c, input);
  const params = model.parameters();
  const optimizer = c.optimizer === 'adam' ? new Adam(params, { lr: c.lr })
    : new SGD(params, { lr: c.lr, momentum: c.optimizer === 'momentum' ? 0.9 : 0 });
  return { model, optimizer, schedule: buildSchedule(c), config: c };
}
