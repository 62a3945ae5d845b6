// Metrics for tabular models: how far off a regressor is, how often a classifier is right, and for
// which classes. Each takes the true values first, as scikit-learn's metrics do.

function sameLength(who: string, a: ArrayLike<unknown>, b: ArrayLike<unknown>): void {
  if (a.length !== b.length) throw new Error(`${who}: yTrue has ${a.length} values and yPred ${b.length}, expected the same number`);
  if (a.length === 0) throw new Error(`${who}: got no values, expected at least 1`);
}

/** Root mean squared error: √(mean((y − ŷ)²)), in the target's units. */
export function rmse(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  sameLength('rmse', yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) s += (yTrue[i] - yPred[i]) ** 2;
  return Math.sqrt(s / yTrue.length);
}

/** Mean absolute error: mean(|y − ŷ|). */
export function mae(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  sameLength('mae', yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) s += Math.abs(yTrue[i] - yPred[i]);
  return s / yTrue.length;
}

/**
 * R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)²: 1 is perfect, 0 is no better than predicting the mean.
 * NOTE: a constant y has Σ(y − ȳ)² = 0; as scikit-learn, R² is then 1 for a perfect fit, else 0.
 */
export function r2Score(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  sameLength('r2Score', yTrue, yPred);
  let mean = 0;
  for (let i = 0; i < yTrue.length; i++) mean += yTrue[i];
  mean /= yTrue.length;
  let res = 0, tot = 0;
  for (let i = 0; i < yTrue.length; i++) {
    res += (yTrue[i] - yPred[i]) ** 2;
    tot += (yTrue[i] - mean) ** 2;
  }
  if (tot === 0) return res === 0 ? 1 : 0;
  return 1 - res / tot;
}

/** The fraction of predictions equal to the truth. */
export function accuracy<T>(yTrue: ArrayLike<T>, yPred: ArrayLike<T>): number {
  sameLength('accuracy', yTrue, yPred);
  let right = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) right++;
  return right / yTrue.length;
}

export interface ClassReport {
  label: string;
  /** Of the rows predicted as this class, the fraction that are: TP / (TP + FP) (0 when none were predicted). */
  precision: number;
  /** Of the rows of this class, the fraction found: TP / (TP + FN). */
  recall: number;
  /** The harmonic mean 2·P·R / (P + R). */
  f1: number;
  /** Rows of this class in yTrue. */
  support: number;
}

export interface ClassificationReport {
  accuracy: number;
  classes: ClassReport[];
  /** confusion[i][j]: rows of class i predicted as class j (rows actual, columns predicted). */
  confusion: number[][];
}

/** Accuracy, per-class precision, recall and F1, and the confusion matrix over `labels`. */
export function classificationReport(yTrue: ArrayLike<string>, yPred: ArrayLike<string>, labels: string[]): ClassificationReport {
  sameLength('classificationReport', yTrue, yPred);
  const index = new Map(labels.map((l, i) => [l, i]));
  const confusion = labels.map(() => labels.map(() => 0));
  for (let i = 0; i < yTrue.length; i++) {
    const a = index.get(yTrue[i]), p = index.get(yPred[i]);
    if (a === undefined || p === undefined) throw new Error(`classificationReport: label ${JSON.stringify(a === undefined ? yTrue[i] : yPred[i])} is not one of ${JSON.stringify(labels)}`);
    confusion[a][p]++;
  }
  const classes = labels.map((label, k) => {
    const tp = confusion[k][k];
    const predicted = confusion.reduce((s, row) => s + row[k], 0);
    const support = confusion[k].reduce((s, v) => s + v, 0);
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support };
  });
  return { accuracy: accuracy(yTrue, yPred), classes, confusion };
}
