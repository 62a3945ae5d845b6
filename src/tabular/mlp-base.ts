// What MLPRegressor and MLPClassifier share: scikit-learn's multi-layer perceptron, built from
// zerograd's own layers (Sequential of Linear and activations), optimizers (SGD, Adam) and backends,
// plus L-BFGS over the flattened parameters. Options and fitted attributes keep scikit-learn's names
// in camelCase (hidden_layer_sizes → hiddenLayerSizes, loss_curve_ → lossCurve).
//
// The objective, as in scikit-learn, for a batch of B rows:
//   L = data loss (mean over the batch) + α/(2B)·Σ‖W‖²     (weights only; intercepts are not penalized)
// so the penalty's gradient α·W/B is added to each weight's gradient after backward.
import { Linear, ReLU, Sequential, Sigmoid, Tanh } from '../nn/layers.js';
import type { Module } from '../nn/module.js';
import { Adam } from '../optim/adam.js';
import { SGD } from '../optim/sgd.js';
import type { Optimizer } from '../optim/optimizer.js';
import { defaultRandom, Random } from '../tensor/random.js';
import { tensor, type Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/engine.js';
import { scope } from '../backends/index.js';
import { minimizeLbfgs } from './lbfgs.js';
import { toMatrix, type Matrix, type MatrixLike } from './matrix.js';
import '../ops/methods.js';

export type MLPActivation = 'identity' | 'logistic' | 'tanh' | 'relu';
export type MLPSolver = 'lbfgs' | 'sgd' | 'adam';
export type LearningRateSchedule = 'constant' | 'invscaling' | 'adaptive';

/** scikit-learn's MLP parameters, camelCased, with its defaults. */
export interface MLPOptions {
  /** Neurons of each hidden layer (default [100]). */
  hiddenLayerSizes?: number[];
  /** Hidden-layer activation (default 'relu'). */
  activation?: MLPActivation;
  /** 'adam' (default), 'sgd', or 'lbfgs' (full-batch quasi-Newton; good for small data sets). */
  solver?: MLPSolver;
  /** L2 penalty strength α (default 1e-4). */
  alpha?: number;
  /** Rows per mini-batch; 'auto' is min(200, rows) (default 'auto'). Not used by lbfgs. */
  batchSize?: number | 'auto';
  /** sgd only: 'constant', 'invscaling' (lr = init / (t+1)^powerT, t samples seen) or 'adaptive' (÷5 when stuck). */
  learningRate?: LearningRateSchedule;
  learningRateInit?: number;
  powerT?: number;
  /** Epochs (sgd, adam) or iterations (lbfgs), at most (default 200). */
  maxIter?: number;
  shuffle?: boolean;
  /** Seed of the weights, the shuffles and the validation split (default: drawn from the global generator). */
  randomState?: number;
  /** Improvement that counts (default 1e-4); lbfgs stops when the largest gradient entry is below it. */
  tol?: number;
  /** fit() continues from the current weights instead of starting again (default false). */
  warmStart?: boolean;
  momentum?: number;
  nesterovsMomentum?: boolean;
  /** Hold out validationFraction of the rows and stop when their score stops improving (sgd, adam). */
  earlyStopping?: boolean;
  validationFraction?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Epochs without an improvement of tol before stopping (default 10). */
  nIterNoChange?: number;
  /** lbfgs: function evaluations, at most (default 15000). */
  maxFun?: number;
}

export const MLP_DEFAULTS: Required<Omit<MLPOptions, 'randomState'>> & { randomState: number | undefined } = {
  hiddenLayerSizes: [100], activation: 'relu', solver: 'adam', alpha: 1e-4, batchSize: 'auto', learningRate: 'constant',
  learningRateInit: 1e-3, powerT: 0.5, maxIter: 200, shuffle: true, randomState: undefined, tol: 1e-4, warmStart: false,
  momentum: 0.9, nesterovsMomentum: true, earlyStopping: false, validationFraction: 0.1, beta1: 0.9, beta2: 0.999,
  epsilon: 1e-8, nIterNoChange: 10, maxFun: 15000,
};
export type ResolvedMLPOptions = typeof MLP_DEFAULTS;

/** What onEpoch receives after each epoch (or lbfgs iteration). */
export interface MLPEpochInfo {
  iteration: number;
  loss: number;
  validationScore?: number;
  maxIter: number;
}

/** Check options against the expected kinds; an error names the option, the value and what was expected. */
export function resolveOptions(who: string, o: MLPOptions): ResolvedMLPOptions {
  const known = new Set(Object.keys(MLP_DEFAULTS));
  for (const k of Object.keys(o)) if (!known.has(k)) throw new Error(`${who}: unknown option '${k}', expected one of ${[...known].join(', ')}`);
  const r = { ...MLP_DEFAULTS, ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) } as ResolvedMLPOptions;
  const fail = (k: string, expected: string) => { throw new Error(`${who}: ${k} must be ${expected}, got ${JSON.stringify((r as Record<string, unknown>)[k])}`); };
  const oneOf = (k: keyof ResolvedMLPOptions, values: string[]) => { if (!values.includes(r[k] as string)) fail(k, `one of ${values.join(', ')}`); };
  const positive = (k: keyof ResolvedMLPOptions) => { if (!(typeof r[k] === 'number' && (r[k] as number) > 0 && Number.isFinite(r[k]))) fail(k, 'a positive number'); };
  const positiveInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
  if (!Array.isArray(r.hiddenLayerSizes) || !r.hiddenLayerSizes.every(positiveInt)) fail('hiddenLayerSizes', 'an array of positive integers');
  oneOf('activation', ['identity', 'logistic', 'tanh', 'relu']);
  oneOf('solver', ['lbfgs', 'sgd', 'adam']);
  oneOf('learningRate', ['constant', 'invscaling', 'adaptive']);
  if (!(typeof r.alpha === 'number' && r.alpha >= 0)) fail('alpha', 'a number ≥ 0');
  if (r.batchSize !== 'auto' && !positiveInt(r.batchSize)) fail('batchSize', "a positive integer or 'auto'");
  for (const k of ['learningRateInit', 'tol', 'epsilon', 'powerT'] as const) positive(k);
  for (const k of ['maxIter', 'nIterNoChange', 'maxFun'] as const) if (!positiveInt(r[k])) fail(k, 'a positive integer');
  if (!(r.momentum >= 0 && r.momentum <= 1)) fail('momentum', 'in [0, 1]');
  for (const k of ['beta1', 'beta2'] as const) if (!(r[k] >= 0 && r[k] < 1)) fail(k, 'in [0, 1)');
  if (!(r.validationFraction > 0 && r.validationFraction < 1)) fail('validationFraction', 'in (0, 1)');
  if (r.randomState !== undefined && !(Number.isInteger(r.randomState) && r.randomState >= 0)) fail('randomState', 'a non-negative integer');
  return r;
}

/**
 * The shared estimator. Subclasses say how many output units there are, what the data loss of a
 * batch is and how a validation set is scored (R² or accuracy).
 */
export abstract class BaseMLP {
  readonly options: ResolvedMLPOptions;
  /** The network: Linear layers with the activation between them; the output layer has none (logits / values). */
  net: Sequential | null = null;
  /** Training loss after each epoch (or lbfgs iteration), penalty included. */
  lossCurve: number[] = [];
  /** With earlyStopping: the validation score after each epoch. */
  validationScores: number[] = [];
  /** The lowest training loss seen (null with earlyStopping, as in scikit-learn). */
  bestLoss: number | null = null;
  bestValidationScore: number | null = null;
  /** Epochs (or lbfgs iterations) run, over all calls to fit and partialFit. */
  nIter = 0;
  /** Training rows seen (scikit-learn's t_), which drives the invscaling rate. */
  t = 0;
  /** Whether the last fit stopped before maxIter (its loss or validation score stopped improving). */
  converged = false;
  /** Called after each epoch: progress bars. */
  onEpoch?: (info: MLPEpochInfo) => void;
  protected rng: Random;
  private optimizer: Optimizer | null = null;
  private noImprovement = 0;

  constructor(protected readonly who: string, options: MLPOptions) {
    this.options = resolveOptions(who, options);
    this.rng = new Random(this.options.randomState ?? defaultRandom.nextUint32());
  }

  protected abstract outputUnits(): number;
  /** The mean data loss of a batch: network outputs (B, outputs) against encoded targets (B). */
  protected abstract dataLoss(out: Tensor, y: Float32Array): Tensor;
  /** R² or accuracy on encoded targets (for early stopping). */
  protected abstract scoreEncoded(X: Matrix, y: Float32Array): number;

  /** Weights as scikit-learn shows them: coefs[i] is (inputs of layer i, outputs of layer i). */
  get coefs(): number[][][] {
    return this.linears().map((l) => Array.from({ length: l.inFeatures }, (_, i) =>
      Array.from({ length: l.outFeatures }, (_, o) => l.weight.data[o * l.inFeatures + i])));
  }

  get intercepts(): number[][] {
    return this.linears().map((l) => Array.from(l.bias!.data));
  }

  protected linears(): Linear[] {
    if (!this.net) throw new Error(`${this.who}: not fitted yet; call fit(X, y) first`);
    return this.net.layers.filter((l): l is Linear => l instanceof Linear);
  }

  /**
   * Glorot-uniform weights and intercepts, as scikit-learn: U(−b, b) with b = √(6/(fanIn+fanOut)),
   * or √(2/(fanIn+fanOut)) for the logistic activation (its slope at 0 is ¼, not 1).
   */
  protected initialize(features: number): void {
    const sizes = [features, ...this.options.hiddenLayerSizes, this.outputUnits()];
    const layers: Module[] = [];
    const factor = this.options.activation === 'logistic' ? 2 : 6;
    for (let i = 0; i + 1 < sizes.length; i++) {
      const fc = new Linear(sizes[i], sizes[i + 1], { init: 'zeros' });
      const bound = Math.sqrt(factor / (sizes[i] + sizes[i + 1]));
      for (const p of [fc.weight, fc.bias!]) for (let k = 0; k < p.size; k++) p.data[k] = bound * (2 * this.rng.uniform() - 1);
      layers.push(fc);
      if (i + 2 < sizes.length) {
        const act = { identity: null, logistic: new Sigmoid(), tanh: new Tanh(), relu: new ReLU() }[this.options.activation];
        if (act) layers.push(act);
      }
    }
    this.net = new Sequential(layers);
    this.lossCurve = [];
    this.validationScores = [];
    this.bestLoss = Infinity;
    this.bestValidationScore = -Infinity;
    this.nIter = 0;
    this.t = 0;
    this.noImprovement = 0;
    this.optimizer = null;
  }

  /** The network's raw outputs (N, outputs), row-major, without gradients. */
  protected forwardRaw(X: Matrix): Float32Array {
    const net = this.net;
    if (!net) throw new Error(`${this.who}: not fitted yet; call fit(X, y) first`);
    const features = this.linears()[0].inFeatures;
    if (X.cols !== features) throw new Error(`${this.who}: X has ${X.cols} features per row, expected ${features} (as in fit)`);
    return scope(() => noGrad(() => Float32Array.from(net.forward(tensor(X.data, [X.rows, X.cols])).data)));
  }

  /** The penalty α/(2B)·Σ‖W‖² of a batch of B rows; adds its gradient α·W/B to the weights' gradients. */
  private penalize(batch: number): number {
    const { alpha } = this.options;
    if (alpha === 0) return 0;
    let squares = 0;
    for (const l of this.linears()) {
      const w = l.weight.data, g = l.weight.grad?.data;
      for (let i = 0; i < w.length; i++) {
        squares += w[i] * w[i];
        if (g) g[i] += (alpha / batch) * w[i];
      }
    }
    return (alpha / (2 * batch)) * squares;
  }

  private makeOptimizer(): Optimizer {
    const o = this.options, params = this.net!.parameters();
    if (o.solver === 'sgd') return new SGD(params, { lr: o.learningRateInit, momentum: o.momentum, nesterov: o.nesterovsMomentum && o.momentum > 0 });
    return new Adam(params, { lr: o.learningRateInit, beta1: o.beta1, beta2: o.beta2, eps: o.epsilon });
  }

  /**
   * Train on encoded targets. incremental: one epoch with the kept optimizer (partialFit).
   * Mirrors scikit-learn's _fit_stochastic and _fit_lbfgs.
   */
  protected fitEncoded(X: Matrix, y: Float32Array, incremental: boolean, stratify: boolean): this {
    const o = this.options;
    if (X.rows < 1) throw new Error(`${this.who}: X has no rows; expected at least 1`);
    if (y.length !== X.rows) throw new Error(`${this.who}: X has ${X.rows} rows but y has ${y.length}; expected one target per row`);
    const fresh = !this.net || (!o.warmStart && !incremental);
    if (fresh) this.initialize(X.cols);
    else if (this.linears()[0].inFeatures !== X.cols) throw new Error(`${this.who}: X has ${X.cols} features per row, expected ${this.linears()[0].inFeatures} (as when first fitted)`);
    if (o.solver === 'lbfgs') {
      if (incremental) throw new Error(`${this.who}: partialFit is not available with solver 'lbfgs' (it needs the whole data set); use 'sgd' or 'adam'`);
      return this.fitLbfgs(X, y);
    }
    if (!this.optimizer || !incremental) this.optimizer = this.makeOptimizer();
    const opt = this.optimizer;
    let train = X, trainY = y, val: { X: Matrix; y: Float32Array } | null = null;
    const earlyStopping = o.earlyStopping && !incremental;
    if (earlyStopping) {
      const split = validationSplit(y, o.validationFraction, stratify, this.rng);
      train = takeRows(X, split.train);
      trainY = Float32Array.from(split.train, (i) => y[i]);
      val = { X: takeRows(X, split.val), y: Float32Array.from(split.val, (i) => y[i]) };
      this.bestLoss = null;
    }
    const n = train.rows, F = train.cols;
    const B = Math.min(o.batchSize === 'auto' ? 200 : o.batchSize, n);
    const order = Int32Array.from({ length: n }, (_, i) => i);
    const bx = new Float32Array(B * F), by = new Float32Array(B);
    let bestWeights: Float32Array[] | null = null;
    this.converged = false;
    for (let epoch = 0; epoch < o.maxIter; epoch++) {
      if (o.shuffle) this.rng.shuffle(order);
      let accumulated = 0;
      for (let start = 0; start < n; start += B) {
        const b = Math.min(B, n - start);
        for (let r = 0; r < b; r++) {
          const row = order[start + r];
          for (let j = 0, src = row * F, dst = r * F; j < F; j++) bx[dst + j] = train.data[src + j];
          by[r] = trainY[row];
        }
        const loss = scope(() => {
          opt.zeroGrad();
          const out = this.net!.forward(tensor(bx.subarray(0, b * F), [b, F]));
          const data = this.dataLoss(out, by.subarray(0, b));
          data.backward();
          const penalty = this.penalize(b);
          opt.step();
          return data.item() + penalty;
        });
        if (!Number.isFinite(loss)) throw new Error(`${this.who}: the training loss became ${loss} at epoch ${this.nIter + 1}; try a smaller learningRateInit (now ${opt.lr})`);
        accumulated += loss * b;
      }
      this.t += n;
      this.nIter++;
      const loss = accumulated / n;
      this.lossCurve.push(loss);
      if (o.solver === 'sgd' && o.learningRate === 'invscaling') opt.lr = o.learningRateInit / Math.pow(this.t + 1, o.powerT);
      // scikit-learn's _update_no_improvement_count: an epoch counts as no improvement unless it beats the best by tol.
      let validationScore: number | undefined;
      if (val) {
        validationScore = this.scoreEncoded(val.X, val.y);
        this.validationScores.push(validationScore);
        this.noImprovement = validationScore < this.bestValidationScore! + o.tol ? this.noImprovement + 1 : 0;
        if (validationScore > this.bestValidationScore!) {
          this.bestValidationScore = validationScore;
          bestWeights = this.net!.parameters().map((p) => Float32Array.from(p.data));
        }
      } else {
        const best = this.bestLoss ?? Infinity;
        this.noImprovement = loss > best - o.tol ? this.noImprovement + 1 : 0;
        if (loss < best) this.bestLoss = loss;
      }
      this.onEpoch?.({ iteration: this.nIter, loss, validationScore, maxIter: o.maxIter });
      if (incremental) break;
      if (this.noImprovement > o.nIterNoChange) {
        // Stuck: the adaptive schedule divides the rate by 5 and carries on (down to 1e-6); the others stop.
        if (o.solver === 'sgd' && o.learningRate === 'adaptive' && opt.lr / 5 > 1e-6) {
          opt.lr /= 5;
          this.noImprovement = 0;
        } else {
          this.converged = true;
          break;
        }
      }
    }
    // Early stopping keeps the weights of the best validation score, not the last epoch's.
    if (bestWeights) this.net!.parameters().forEach((p, i) => p.data.set(bestWeights![i]));
    return this;
  }

  /** L-BFGS on the whole set: the objective is the full-batch loss as a function of every parameter, flattened. */
  private fitLbfgs(X: Matrix, y: Float32Array): this {
    const o = this.options, net = this.net!, params = net.parameters();
    const size = params.reduce((s, p) => s + p.size, 0);
    const x0 = new Float64Array(size);
    const load = (x: Float64Array) => { let k = 0; for (const p of params) for (let i = 0; i < p.size; i++) p.data[i] = x[k++]; };
    let k = 0;
    for (const p of params) for (let i = 0; i < p.size; i++) x0[k++] = p.data[i];
    const xs = tensor(X.data, [X.rows, X.cols]);
    const objective = (x: Float64Array) => {
      load(x);
      return scope(() => {
        net.zeroGrad();
        const data = this.dataLoss(net.forward(xs), y);
        data.backward();
        const f = data.item() + this.penalize(X.rows);
        const grad = new Float64Array(size);
        let j = 0;
        for (const p of params) {
          const g = p.grad?.data;
          for (let i = 0; i < p.size; i++) grad[j++] = g ? g[i] : 0;
        }
        return { f, grad };
      });
    };
    const r = minimizeLbfgs(objective, x0, {
      maxIter: o.maxIter, maxFun: o.maxFun, gtol: o.tol,
      onIteration: (_, f) => {
        this.nIter++;
        this.lossCurve.push(f);
        this.onEpoch?.({ iteration: this.nIter, loss: f, maxIter: o.maxIter });
      },
    });
    load(r.x);
    this.t += X.rows * r.iterations;
    this.bestLoss = Math.min(this.bestLoss ?? Infinity, r.f);
    this.converged = r.reason !== 'maxIter' && r.reason !== 'maxFun';
    return this;
  }

  /** Check X and turn it into a Matrix. */
  protected matrix(X: MatrixLike, arg = 'X'): Matrix {
    return toMatrix(X, `${this.who}: ${arg}`);
  }
}

/** Rows `idx` of X, in that order. */
export function takeRows(X: Matrix, idx: ArrayLike<number>): Matrix {
  const data = new Float32Array(idx.length * X.cols);
  for (let r = 0; r < idx.length; r++) data.set(X.data.subarray(idx[r] * X.cols, (idx[r] + 1) * X.cols), r * X.cols);
  return { rows: idx.length, cols: X.cols, data };
}

/**
 * A seeded split into training and validation rows: the validation part is ⌈fraction·n⌉ rows (at
 * least 1, leaving at least 1 to train on); stratified by class (y holds class indices) when asked.
 */
export function validationSplit(y: ArrayLike<number>, fraction: number, stratify: boolean, rng: Random): { train: number[]; val: number[] } {
  const n = y.length;
  if (n < 2) throw new Error(`validation split: ${n} row, expected at least 2 to hold some out (earlyStopping)`);
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const key = stratify ? y[i] : 0;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(i);
  }
  const want = Math.min(n - 1, Math.max(1, Math.ceil(fraction * n)));
  const val: number[] = [], train: number[] = [];
  for (const rows of groups.values()) {
    rng.shuffle(rows);
    const take = Math.round((want * rows.length) / n);
    val.push(...rows.slice(0, take));
    train.push(...rows.slice(take));
  }
  if (val.length === 0) val.push(train.pop()!);
  if (train.length === 0) train.push(val.pop()!);
  return { train, val };
}
