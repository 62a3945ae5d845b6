// A tabular model: the fitted preprocessing, the estimator and what the target is, trained and used on
// tables of text cells (a CSV file's contents), and saved as one zerograd model file.
import { decodeModel, encodeModel } from '../io/model-file.js';
import { Linear, Sequential } from '../nn/layers.js';
import { Random } from '../tensor/random.js';
import type { MLPOptions, MLPEpochInfo } from './mlp-base.js';
import { MLPClassifier, MLPRegressor, restoreEstimator, type MLPState } from './mlp.js';
import { accuracy, r2Score } from './metrics.js';
import {
  cellName, checkPreprocessing, columnIndex, fitPreprocessing, isMissing, parseNumber, transform,
  type ColumnType, type Preprocessing, type Table,
} from './preprocess.js';

export type Task = 'regression' | 'classification';

/** What `meta` of a tabular model file holds. */
export interface TabularMeta {
  kind: 'tabular';
  task: Task;
  target: string;
  /** Regression trained on log(y); predictions are exp() of the network's. */
  logTarget: boolean;
  preprocessing: Preprocessing;
  estimator: MLPState;
}

export interface TabularOptions {
  target: string;
  /** Default: regression for a numeric target with more than 10 distinct values, else classification. */
  task?: Task;
  drop?: string[];
  types?: Record<string, ColumnType>;
  logTarget?: boolean;
  mlp?: MLPOptions;
  onEpoch?: (info: MLPEpochInfo) => void;
}

/** Regression for a numeric target with more than 10 distinct values, classification otherwise. */
export function inferTask(table: Table, target: string): Task {
  const j = columnIndex(table, target, 'target column');
  const values = new Set<number>();
  for (const row of table.rows) {
    if (isMissing(row[j])) continue;
    const v = parseNumber(row[j]);
    if (v === null) return 'classification';
    values.add(v);
  }
  return values.size > 10 ? 'regression' : 'classification';
}

/**
 * The target of each row that has one: numbers for regression (log-transformed on request), labels
 * for classification. Rows whose target is missing are left out (`rows` lists the kept ones).
 */
export function targetValues(table: Table, target: string, task: Task, logTarget = false): { rows: number[]; y: number[] | string[] } {
  const j = columnIndex(table, target, 'target column');
  const rows: number[] = [];
  const y: Array<number | string> = [];
  table.rows.forEach((row, r) => {
    const cell = row[j];
    if (isMissing(cell)) return;
    rows.push(r);
    if (task === 'classification') return void y.push(cell.trim());
    const v = parseNumber(cell);
    if (v === null) throw new Error(`${cellName(table, r, target)}: '${cell}' is not a number; a regression target must be numeric (or use task classification)`);
    if (logTarget && !(v > 0)) throw new Error(`${cellName(table, r, target)}: ${v} has no logarithm; the log transform of the target needs values > 0`);
    y.push(logTarget ? Math.log(v) : v);
  });
  if (rows.length === 0) throw new Error(`${table.source ?? 'table'}: every cell of the target column '${target}' is missing`);
  return { rows, y: y as number[] | string[] };
}

/** The rows `rows` of a table (with their line numbers). */
export function subset(table: Table, rows: readonly number[]): Table {
  return { ...table, rows: rows.map((r) => table.rows[r]), lines: table.lines ? rows.map((r) => table.lines![r]) : undefined };
}

/** A seeded shuffle split of n rows: ⌈testSize·n⌉ test rows (at least 1, leaving at least 1 to train). */
export function trainTestSplit(n: number, testSize: number, seed: number): { train: number[]; test: number[] } {
  if (!(testSize > 0 && testSize < 1)) throw new Error(`trainTestSplit: testSize must be in (0, 1), got ${testSize}`);
  if (n < 2) throw new Error(`trainTestSplit: ${n} row, expected at least 2 (one to train on, one to test)`);
  const order = new Random(seed).shuffle(Array.from({ length: n }, (_, i) => i));
  const k = Math.min(n - 1, Math.max(1, Math.ceil(testSize * n)));
  return { test: order.slice(0, k).sort((a, b) => a - b), train: order.slice(k).sort((a, b) => a - b) };
}

export interface TabularPrediction {
  /** One per row: a number (regression) or a class label. */
  predictions: Array<number | string>;
  /** Classification: one row of class probabilities per row, columns in the order of `classes`. */
  probabilities?: number[][];
  classes?: string[];
}

export class TabularModel {
  constructor(readonly preprocessing: Preprocessing, readonly estimator: MLPRegressor | MLPClassifier,
    readonly task: Task, readonly target: string, readonly logTarget: boolean) {}

  /**
   * Fit the preprocessing and the estimator on a table. Rows without a target are skipped.
   * @example const m = TabularModel.fit(table, { target: 'body_mass_g', mlp: { randomState: 1 } });
   */
  static fit(table: Table, o: TabularOptions): TabularModel {
    const task = o.task ?? inferTask(table, o.target);
    if (task !== 'regression' && task !== 'classification') throw new Error(`task: expected 'regression' or 'classification', got ${JSON.stringify(task)}`);
    if (o.logTarget && task !== 'regression') throw new Error('logTarget: a log transform of the target is for regression, but the task is classification');
    const { rows, y } = targetValues(table, o.target, task, o.logTarget);
    const train = subset(table, rows);
    const preprocessing = fitPreprocessing(train, { target: o.target, drop: o.drop, types: o.types });
    const X = transform(preprocessing, train);
    const estimator = task === 'regression' ? new MLPRegressor(o.mlp) : new MLPClassifier(o.mlp);
    estimator.onEpoch = o.onEpoch;
    if (estimator instanceof MLPRegressor) estimator.fit(X, y as number[]);
    else estimator.fit(X, y as string[]);
    estimator.onEpoch = undefined;
    return new TabularModel(preprocessing, estimator, task, o.target, !!o.logTarget);
  }

  /** Predict every row of a table (its target column, if present, is ignored). */
  predict(table: Table): TabularPrediction {
    const X = transform(this.preprocessing, table);
    if (this.estimator instanceof MLPRegressor) {
      const p = this.estimator.predict(X);
      return { predictions: Array.from(p, (v) => (this.logTarget ? Math.exp(v) : v)) };
    }
    return { predictions: this.estimator.predict(X), probabilities: this.estimator.predictProba(X), classes: this.estimator.classes.map(String) };
  }

  /** R² (regression, in the target's own units) or accuracy on the rows that have a target. */
  score(table: Table): number {
    const { rows, y } = targetValues(table, this.target, this.task, false);
    const p = this.predict(subset(table, rows)).predictions;
    return this.task === 'regression' ? r2Score(y as number[], p as number[]) : accuracy(y as string[], p as string[]);
  }

  /** The model file: the network, plus the preprocessing and target in its meta. */
  encode(): Uint8Array {
    const meta: TabularMeta = { kind: 'tabular', task: this.task, target: this.target, logTarget: this.logTarget,
      preprocessing: this.preprocessing, estimator: this.estimator.state() };
    const net = this.estimator.net!;
    const classes = this.estimator instanceof MLPClassifier ? this.estimator.classes.length : 0;
    return encodeModel(net, [(net.layers[0] as Linear).inFeatures], classes, meta as unknown as Record<string, unknown>);
  }

  /** Read a model file written by encode(); a file of another kind of model is refused by name. */
  static decode(bytes: Uint8Array, name = 'model file'): TabularModel {
    const saved = decodeModel(bytes, name);
    const meta = saved.meta as Partial<TabularMeta>;
    if (meta.kind !== 'tabular') {
      throw new Error(`${name}: not a tabular model (its meta.kind is ${JSON.stringify(meta.kind ?? null)}); train one with \`zerograd tabular train\``);
    }
    if (!(saved.model instanceof Sequential)) throw new Error(`${name}: a tabular model's network must be a Sequential`);
    if ((meta.task !== 'regression' && meta.task !== 'classification') || typeof meta.target !== 'string' || !meta.estimator) {
      throw new Error(`${name}: the tabular meta lacks task, target or estimator`);
    }
    const preprocessing = checkPreprocessing(meta.preprocessing, name);
    const estimator = restoreEstimator(saved.model, meta.estimator);
    return new TabularModel(preprocessing, estimator, meta.task, meta.target, !!meta.logTarget);
  }
}

export interface ColumnImportance {
  column: string;
  /** How much the score (R² or accuracy) drops when the column's cells are shuffled, averaged over repeats. */
  importance: number;
  /** Standard deviation of the drop over the repeats. */
  std: number;
}

/**
 * Permutation feature importance (Breiman 2001): shuffle one input column's cells across the rows,
 * which breaks its link to the target and keeps its distribution, and measure the drop in score.
 * Works on the raw columns, so a categorical column counts once, not once per one-hot feature.
 */
export function permutationImportance(model: TabularModel, table: Table, o: { repeats?: number; seed?: number } = {}): ColumnImportance[] {
  const repeats = o.repeats ?? 5;
  const rng = new Random(o.seed ?? 0);
  const { rows } = targetValues(table, model.target, model.task, false);
  const base = subset(table, rows);
  const baseline = model.score(base);
  const inputs = [...model.preprocessing.numeric, ...model.preprocessing.categorical].map((c) => c.name);
  return inputs.map((name) => {
    const j = columnIndex(base, name);
    const drops: number[] = [];
    for (let k = 0; k < repeats; k++) {
      const cells = rng.shuffle(base.rows.map((r) => r[j]));
      const shuffled = { ...base, rows: base.rows.map((r, i) => r.map((c, jj) => (jj === j ? cells[i] : c))) };
      drops.push(baseline - model.score(shuffled));
    }
    const mean = drops.reduce((s, v) => s + v, 0) / repeats;
    const std = Math.sqrt(drops.reduce((s, v) => s + (v - mean) ** 2, 0) / repeats);
    return { column: name, importance: mean, std };
  }).sort((a, b) => b.importance - a.importance);
}
