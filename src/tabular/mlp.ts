// MLPRegressor and MLPClassifier: scikit-learn's estimators (fit, predict, predictProba, score,
// partialFit) on zerograd's engine. The training loop and the options are in mlp-base.ts.
import { crossEntropy, mseLoss } from '../losses/index.js';
import { Sequential } from '../nn/layers.js';
import { tensor, zeros, type Tensor } from '../tensor/tensor.js';
import { concat } from '../ops/shape.js';
import { BaseMLP, type MLPOptions, type ResolvedMLPOptions } from './mlp-base.js';
import type { Matrix, MatrixLike } from './matrix.js';
import { accuracy, r2Score } from './metrics.js';

/** Fitted attributes that are not weights: what a model file stores beside the network. */
export interface MLPState {
  estimator: 'MLPRegressor' | 'MLPClassifier';
  options: ResolvedMLPOptions;
  lossCurve: number[];
  validationScores: number[];
  bestLoss: number | null;
  nIter: number;
  t: number;
  /** MLPRegressor: the target's mean and standard deviation (1 and 0 when not standardized). */
  yMean?: number;
  yStd?: number;
  standardizeTarget?: boolean;
  /** MLPClassifier: the class labels, sorted. */
  classes?: Array<string | number>;
}

function numbers(y: ArrayLike<number>, n: number, who: string): Float64Array {
  if (!y || y.length !== n) throw new Error(`${who}: y has ${y?.length} values, expected ${n} (one per row of X)`);
  const out = Float64Array.from(y);
  out.forEach((v, i) => { if (!Number.isFinite(v)) throw new Error(`${who}: y[${i}] is ${y[i]}, expected a finite number`); });
  return out;
}

export interface MLPRegressorOptions extends MLPOptions {
  /**
   * Train on (y − mean)/std and undo it in predict (default true). scikit-learn's MLPRegressor does
   * not (its docs suggest TransformedTargetRegressor); without it a target in the thousands needs
   * thousands of epochs to reach its scale from weights near 0.
   */
  standardizeTarget?: boolean;
}

/**
 * A multi-layer perceptron for regression: squared error ½·mean((ŷ − y)²) plus the L2 penalty.
 * @example
 * const reg = new MLPRegressor({ hiddenLayerSizes: [32], solver: 'lbfgs', randomState: 0 });
 * reg.fit([[0], [1], [2], [3]], [1, 3, 5, 7]);
 * reg.predict([[4]]);   // close to [9] (8.86: a ReLU network extrapolates along its last linear piece)
 */
export class MLPRegressor extends BaseMLP {
  readonly standardizeTarget: boolean;
  yMean = 0;
  yStd = 1;

  constructor(options: MLPRegressorOptions = {}) {
    const { standardizeTarget, ...rest } = options;
    super('MLPRegressor', rest);
    if (standardizeTarget !== undefined && typeof standardizeTarget !== 'boolean') {
      throw new Error(`MLPRegressor: standardizeTarget must be true or false, got ${JSON.stringify(standardizeTarget)}`);
    }
    this.standardizeTarget = standardizeTarget ?? true;
  }

  protected outputUnits(): number { return 1; }

  /** ½·mean((out − y)²)   out:(B,1) y:(B) */
  protected dataLoss(out: Tensor, y: Float32Array): Tensor {
    return mseLoss(out, tensor(y, [y.length, 1])).mul(0.5);
  }

  protected scoreEncoded(X: Matrix, y: Float32Array): number {
    return r2Score(y, this.forwardRaw(X));
  }

  /** Train from scratch (or from the current weights with warmStart). */
  fit(X: MatrixLike, y: ArrayLike<number>): this {
    return this.train(X, y, false, 'MLPRegressor.fit');
  }

  /** One epoch over (X, y), keeping the optimizer's state between calls: training on data that arrives in parts. */
  partialFit(X: MatrixLike, y: ArrayLike<number>): this {
    return this.train(X, y, true, 'MLPRegressor.partialFit');
  }

  private train(X: MatrixLike, y: ArrayLike<number>, incremental: boolean, who: string): this {
    const m = this.matrix(X);
    const ys = numbers(y, m.rows, who);
    // The target's scale is fixed when the network is made (the first fit, or the first partialFit).
    if (this.standardizeTarget && (!this.net || (!this.options.warmStart && !incremental))) {
      this.yMean = ys.reduce((s, v) => s + v, 0) / ys.length;
      const variance = ys.reduce((s, v) => s + (v - this.yMean) ** 2, 0) / ys.length;
      this.yStd = variance > 0 ? Math.sqrt(variance) : 1;
    }
    return this.fitEncoded(m, Float32Array.from(ys, (v) => (v - this.yMean) / this.yStd), incremental, false);
  }

  /** Predicted values, one per row. */
  predict(X: MatrixLike): Float64Array {
    return Float64Array.from(this.forwardRaw(this.matrix(X)), (v) => v * this.yStd + this.yMean);
  }

  /** R², the coefficient of determination: 1 − Σ(y − ŷ)² / Σ(y − ȳ)². */
  score(X: MatrixLike, y: ArrayLike<number>): number {
    const m = this.matrix(X);
    return r2Score(numbers(y, m.rows, 'MLPRegressor.score'), this.predict(m));
  }

  state(): MLPState {
    return { ...baseState(this, 'MLPRegressor'), yMean: this.yMean, yStd: this.yStd, standardizeTarget: this.standardizeTarget };
  }
}

type Label = string | number;

/**
 * A multi-layer perceptron for classification. Two classes: one output unit through the logistic
 * function and the binary log-loss; more: one unit per class, softmax and cross-entropy (as scikit-learn).
 * @example
 * const clf = new MLPClassifier({ hiddenLayerSizes: [16], solver: 'lbfgs', randomState: 0 });
 * clf.fit([[0, 0], [1, 1], [0, 1], [1, 0]], ['a', 'a', 'b', 'b']);
 * clf.predict([[1, 1]]);        // ['a']
 * clf.predictProba([[1, 1]]);   // [[≈1, ≈0]], columns in the order of clf.classes
 */
export class MLPClassifier extends BaseMLP {
  /** The class labels, sorted (numbers by value, strings by code unit), as scikit-learn's classes_. */
  classes: Label[] = [];

  constructor(options: MLPOptions = {}) {
    super('MLPClassifier', options);
  }

  protected outputUnits(): number { return this.classes.length === 2 ? 1 : this.classes.length; }

  /**
   * Two classes, from the logit z:(B,1) and y ∈ {0,1}: mean(−y·log σ(z) − (1−y)·log(1−σ(z))).
   * That is the softmax cross-entropy of the two logits [0, z]: softmax([0, z]) = [1 − σ(z), σ(z)],
   * so the fused, stable crossEntropy op computes it (no log of 0, no overflow of e^z).
   * More classes: softmax cross-entropy of the logits (B,K) against class indices.
   */
  protected dataLoss(out: Tensor, y: Float32Array): Tensor {
    if (this.classes.length > 2) return crossEntropy(out, y);
    return crossEntropy(concat([zeros([y.length, 1]), out], 1), y);
  }

  protected scoreEncoded(X: Matrix, y: Float32Array): number {
    return accuracy(y, this.predictIndices(X));
  }

  fit(X: MatrixLike, y: ArrayLike<Label>): this {
    const m = this.matrix(X);
    if (!this.net || !this.options.warmStart) this.classes = uniqueSorted(y, m.rows, 'MLPClassifier.fit');
    return this.fitEncoded(m, this.encode(y, m.rows, 'MLPClassifier.fit'), false, true);
  }

  /**
   * One epoch over (X, y). The first call must list every class that will ever appear (scikit-learn's
   * rule): the output layer's size depends on it.
   */
  partialFit(X: MatrixLike, y: ArrayLike<Label>, classes?: ArrayLike<Label>): this {
    const m = this.matrix(X);
    if (!this.net) {
      if (!classes) throw new Error('MLPClassifier.partialFit: the first call needs classes (every label that will appear), got none');
      this.classes = uniqueSorted(classes, classes.length, 'MLPClassifier.partialFit: classes');
    }
    return this.fitEncoded(m, this.encode(y, m.rows, 'MLPClassifier.partialFit'), true, true);
  }

  /** Class indices into this.classes. */
  private encode(y: ArrayLike<Label>, n: number, who: string): Float32Array {
    if (!y || y.length !== n) throw new Error(`${who}: y has ${y?.length} labels, expected ${n} (one per row of X)`);
    const index = new Map(this.classes.map((c, i) => [c, i]));
    return Float32Array.from({ length: n }, (_, i) => {
      const k = index.get(y[i]);
      if (k === undefined) throw new Error(`${who}: y[${i}] is ${JSON.stringify(y[i])}, not one of the classes ${JSON.stringify(this.classes)}`);
      return k;
    });
  }

  /** Probabilities (N rows, one column per class in the order of `classes`). */
  predictProba(X: MatrixLike): number[][] {
    const m = this.matrix(X);
    const raw = this.forwardRaw(m);
    const K = this.classes.length;
    if (K === 2) return Array.from(raw, (z) => { const p = 1 / (1 + Math.exp(-z)); return [1 - p, p]; });
    return Array.from({ length: m.rows }, (_, r) => {
      const row = raw.subarray(r * K, (r + 1) * K);
      const top = Math.max(...row);   // NOTE: subtract the max before exp so no logit overflows
      const e = Array.from(row, (v) => Math.exp(v - top));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    });
  }

  private predictIndices(X: Matrix): Int32Array {
    const raw = this.forwardRaw(X);
    const K = this.classes.length;
    if (K === 2) return Int32Array.from(raw, (z) => (z > 0 ? 1 : 0));
    return Int32Array.from({ length: X.rows }, (_, r) => {
      let best = 0;
      for (let k = 1; k < K; k++) if (raw[r * K + k] > raw[r * K + best]) best = k;
      return best;
    });
  }

  /** The most probable class of each row. */
  predict(X: MatrixLike): Label[] {
    return Array.from(this.predictIndices(this.matrix(X)), (k) => this.classes[k]);
  }

  /** Accuracy: the fraction of rows whose predicted class is y's. */
  score(X: MatrixLike, y: ArrayLike<Label>): number {
    const m = this.matrix(X);
    const p = this.predict(m);
    if (!y || y.length !== m.rows) throw new Error(`MLPClassifier.score: y has ${y?.length} labels, expected ${m.rows}`);
    return p.filter((c, i) => c === y[i]).length / m.rows;
  }

  state(): MLPState {
    return { ...baseState(this, 'MLPClassifier'), classes: [...this.classes] };
  }
}

function uniqueSorted(y: ArrayLike<Label>, n: number, who: string): Label[] {
  if (!y || y.length !== n) throw new Error(`${who}: y has ${y?.length} labels, expected ${n} (one per row of X)`);
  const values = [...new Set(Array.from(y))];
  for (const v of values) {
    if (!(typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))) throw new Error(`${who}: label ${String(v)} is not a string or a finite number`);
  }
  if (values.length < 2) throw new Error(`${who}: y has ${values.length} class (${JSON.stringify(values)}), expected at least 2`);
  const allNumbers = values.every((v) => typeof v === 'number');
  return allNumbers ? (values as number[]).sort((a, b) => a - b) : values.map(String).sort();
}

function baseState(m: BaseMLP, estimator: MLPState['estimator']): MLPState {
  return { estimator, options: m.options, lossCurve: [...m.lossCurve], validationScores: [...m.validationScores],
    bestLoss: m.bestLoss, nIter: m.nIter, t: m.t };
}

/** Rebuild a fitted estimator from its network and state (the inverse of state()). */
export function restoreEstimator(net: Sequential, s: MLPState): MLPRegressor | MLPClassifier {
  const { randomState, ...options } = s.options;
  let est: MLPRegressor | MLPClassifier;
  if (s.estimator === 'MLPRegressor') {
    const reg = new MLPRegressor({ ...options, randomState: randomState ?? undefined, standardizeTarget: s.standardizeTarget ?? true });
    reg.yMean = s.yMean ?? 0;
    reg.yStd = s.yStd ?? 1;
    est = reg;
  } else if (s.estimator === 'MLPClassifier') {
    const clf = new MLPClassifier({ ...options, randomState: randomState ?? undefined });
    if (!Array.isArray(s.classes)) throw new Error('MLPClassifier state: expected a classes array');
    clf.classes = [...s.classes];
    est = clf;
  } else {
    throw new Error(`estimator state: unknown estimator ${JSON.stringify((s as { estimator: unknown }).estimator)}, expected MLPRegressor or MLPClassifier`);
  }
  est.net = net;
  Object.assign(est, { lossCurve: s.lossCurve ?? [], validationScores: s.validationScores ?? [], bestLoss: s.bestLoss ?? null, nIter: s.nIter ?? 0, t: s.t ?? 0 });
  return est;
}
