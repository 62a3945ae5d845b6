// zerograd tabular train | predict: a CSV file in, a trained and saved model out, and predictions
// for another CSV file from that model. The model file carries the fitted preprocessing, so predict
// takes the raw file as it is (unseen categories, missing cells).
import cliProgress from 'cli-progress';
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import * as zg from '../node.js';
import { classificationReport, mae, permutationImportance, r2Score, rmse, subset, targetValues, TabularModel, trainTestSplit,
  inferTask, fitPreprocessing, featureNames, type Table, type Task, type MLPSolver, type MLPEpochInfo, type ColumnType } from '../tabular/index.js';
import { UserError, checkWritable, formatSeconds, out } from './common.js';
import { fraction, intList, nonNegativeInt, positiveInt } from './options.js';
import { csvCell, readCsvFile } from './tabular-csv.js';
import { tabularReport } from './tabular-report.js';

export interface TabularTrainOptions {
  csv: string;
  target: string;
  task?: Task;
  drop?: string[];
  categorical?: string[];
  numeric?: string[];
  logTarget: boolean;
  testSize: number;
  seed: number;
  hidden?: number[];
  solver: MLPSolver;
  alpha: number;
  maxIter: number;
  earlyStopping: boolean;
  out?: string;
  report?: string;
  json: boolean;
  progress: boolean;
}

const columnList = (name: string) => (value: string): string[] => {
  const cols = value.split(',').map((s) => s.trim());
  if (cols.some((c) => c === '')) throw new InvalidArgumentError(`${name} expects comma-separated column names like id,name, got '${value}'`);
  return cols;
};

function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`--alpha expects a number ≥ 0, got '${value}'`);
  return n;
}

/** A user error from the library's own message (they already name the file, row and column). */
function userErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError((e as Error).message);
  }
}

/** The progress bar over iterations on a terminal; plain lines at each quarter otherwise; nothing with --json. */
function progress(o: { json: boolean; progress: boolean }, maxIter: number) {
  const tty = o.progress && process.stdout.isTTY && !o.json;
  const bar = tty ? new cliProgress.SingleBar({ format: 'iteration {value}/{total} [{bar}] loss {loss}', hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic) : null;
  bar?.start(maxIter, 0, { loss: '-' });
  let next = 0.25;
  return {
    epoch(e: MLPEpochInfo): void {
      bar?.update(e.iteration, { loss: e.loss.toFixed(5) });
      if (!bar && !o.json && e.iteration / e.maxIter >= next) {
        console.log(`  iteration ${e.iteration}/${e.maxIter}: loss ${e.loss.toFixed(5)}${e.validationScore !== undefined ? `, validation score ${e.validationScore.toFixed(4)}` : ''}`);
        while (e.iteration / e.maxIter >= next) next += 0.25;
      }
    },
    stop: (): void => bar?.stop(),
  };
}

export function tabularTrain(o: TabularTrainOptions): void {
  const outPath = o.out ?? `${basename(o.csv, extname(o.csv))}.zg`;
  checkWritable('--out', outPath);
  if (o.report) checkWritable('--report', o.report);
  const table = readCsvFile(o.csv);
  const types: Record<string, ColumnType> = {};
  for (const c of o.numeric ?? []) types[c] = 'numeric';
  for (const c of o.categorical ?? []) {
    if (types[c]) throw new UserError(`--categorical ${c}: also given to --numeric; expected each column in one of them`);
    types[c] = 'categorical';
  }
  const { all, train, test, task, skipped, testRows } = userErrors(() => {
    const task = o.task ?? inferTask(table, o.target);
    if (o.logTarget && task !== 'regression') throw new UserError(`--log-target: a log transform is for a regression target, but '${o.target}' is a classification target${o.task ? '' : ' (give --task regression if it is a quantity)'}`);
    const { rows } = targetValues(table, o.target, task, o.logTarget);
    const all = subset(table, rows);
    const split = trainTestSplit(all.rows.length, o.testSize, o.seed);
    // Checked now, before training: the columns, their types and the drop list.
    fitPreprocessing(all, { target: o.target, drop: o.drop, types });
    // Row numbers (from 1, after the header) of the test rows in the file, so another tool can use the same split.
    const testRows = split.test.map((i) => rows[i] + 1);
    return { all, train: subset(all, split.train), test: subset(all, split.test), task, skipped: table.rows.length - rows.length, testRows };
  });
  out(o.json, `${o.csv}: ${table.rows.length} rows, ${table.columns.length} columns; target '${o.target}' (${task}${o.logTarget ? ', log-transformed' : ''})` +
    (skipped ? `; ${skipped} row${skipped > 1 ? 's' : ''} without a target skipped` : ''));
  out(o.json, `split (seed ${o.seed}): ${train.rows.length} training rows, ${test.rows.length} test rows`);
  const mlp = { hiddenLayerSizes: o.hidden, solver: o.solver, alpha: o.alpha, maxIter: o.maxIter, earlyStopping: o.earlyStopping, randomState: o.seed };
  const bar = progress(o, o.maxIter);
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  let model: TabularModel;
  try {
    model = userErrors(() => TabularModel.fit(train, { target: o.target, task, drop: o.drop, types, logTarget: o.logTarget, mlp, onEpoch: (e) => bar.epoch(e) }));
  } finally {
    bar.stop();
  }
  const fitSeconds = (performance.now() - start) / 1000;
  // CPU time of every thread of the process: on a shared machine it varies less than the wall clock.
  const cpu = process.cpuUsage(cpuStart);
  const fitCpuSeconds = (cpu.user + cpu.system) / 1e6;
  const est = model.estimator;
  const p = model.preprocessing;
  out(o.json, `features: ${p.numeric.length} numeric, ${p.categorical.length} categorical (${featureNames(p).length - p.numeric.length} one-hot)` +
    (p.ignored.length > 1 ? `; not used: ${p.ignored.filter((c) => c.reason !== 'target').map((c) => `${c.name} (${c.reason})`).join(', ')}` : ''));
  out(o.json, `trained in ${formatSeconds(fitSeconds)}: ${est.nIter} iterations of ${o.solver}, final loss ${est.lossCurve.at(-1)?.toFixed(5)}` +
    (est.converged ? '' : ' (stopped at --max-iter before converging)'));
  const predicted = model.predict(test);
  const actual = targetValues(test, o.target, task, false).y;
  let metrics: Record<string, unknown>;
  if (task === 'regression') {
    const y = actual as number[], yHat = predicted.predictions as number[];
    metrics = { rmse: rmse(y, yHat), mae: mae(y, yHat), r2: r2Score(y, yHat) };
    out(o.json, `test: RMSE ${fmt(metrics.rmse as number)}  MAE ${fmt(metrics.mae as number)}  R² ${(metrics.r2 as number).toFixed(4)}`);
  } else {
    const rep = classificationReport(actual as string[], predicted.predictions as string[], predicted.classes!);
    metrics = { accuracy: rep.accuracy, classes: rep.classes, confusion: rep.confusion };
    if (!o.json) printClassification(rep, predicted.classes!);
  }
  zg.writeFileAtomic(outPath, model.encode());
  out(o.json, `saved ${outPath}`);
  if (o.report) {
    const importance = permutationImportance(model, test, { seed: o.seed });
    zg.writeFileAtomic(o.report, tabularReport({ csv: o.csv, model, task, test, predicted, actual, metrics, importance, fitSeconds, seed: o.seed }));
    out(o.json, `report: ${o.report}`);
  }
  if (o.json) {
    console.log(JSON.stringify({
      task, target: o.target, rows: table.rows.length, skipped, train: train.rows.length, test: all.rows.length - train.rows.length,
      testRows,
      numeric: p.numeric.map((c) => c.name), categorical: p.categorical.map((c) => c.name), features: featureNames(p).length,
      solver: o.solver, iterations: est.nIter, converged: est.converged, loss: est.lossCurve.at(-1), fitSeconds, fitCpuSeconds, metrics,
      model: outPath, report: o.report ?? null, backend: zg.backend().name,
    }));
  }
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4));

function printClassification(rep: ReturnType<typeof classificationReport>, classes: string[]): void {
  console.log(`test: accuracy ${(100 * rep.accuracy).toFixed(2)}%`);
  const w = Math.max(8, ...classes.map((c) => c.length)) + 2;
  console.log('class'.padEnd(w) + 'precision   recall       F1  support');
  for (const c of rep.classes) {
    console.log(c.label.padEnd(w) + [c.precision, c.recall, c.f1].map((v) => v.toFixed(3).padStart(9)).join('') + String(c.support).padStart(9));
  }
  console.log('confusion matrix (rows: actual, columns: predicted)');
  console.log(''.padEnd(w) + classes.map((c) => c.padStart(w)).join(''));
  rep.confusion.forEach((row, i) => console.log(classes[i].padEnd(w) + row.map((v) => String(v).padStart(w)).join('')));
}

export interface TabularPredictOptions { model: string; csv: string; out?: string; id?: string }

/** Predictions as CSV: [id,] [probability_CLASS…,] prediction — one row per input row, in order. */
export function tabularPredict(o: TabularPredictOptions): void {
  if (o.out) checkWritable('--out', o.out);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(o.model);
  } catch (e) {
    throw new UserError(`--model ${o.model}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); expected a model file from \`zerograd tabular train\``);
  }
  const model = userErrors(() => TabularModel.decode(bytes, o.model));
  const table: Table = readCsvFile(o.csv);
  const idCol = o.id === undefined ? -1 : userErrors(() => {
    const j = table.columns.indexOf(o.id!);
    if (j < 0) throw new UserError(`--id ${o.id}: no such column in ${o.csv}; its columns are: ${table.columns.join(', ')}`);
    return j;
  });
  const r = userErrors(() => model.predict(table));
  const head = [...(idCol >= 0 ? [o.id!] : []), ...(r.classes ?? []).map((c) => `probability_${c}`), 'prediction'];
  const lines = [head.map(csvCell).join(',')];
  r.predictions.forEach((pred, i) => {
    const cells: Array<string | number> = [];
    if (idCol >= 0) cells.push(table.rows[i][idCol]);
    if (r.probabilities) cells.push(...r.probabilities[i].map((v) => Number(v.toPrecision(6))));
    cells.push(typeof pred === 'number' ? Number(pred.toPrecision(7)) : pred);
    lines.push(cells.map(csvCell).join(','));
  });
  const text = lines.join('\n') + '\n';
  if (o.out) {
    zg.writeFileAtomic(o.out, text);
    process.stderr.write(`zerograd: ${r.predictions.length} predictions written to ${o.out}\n`);
  } else {
    process.stdout.write(text);
  }
}

/** Register `tabular train` and `tabular predict`; `computes` adds --backend/--threads and selects the backend. */
export function addTabularCommands(program: Command, computes: (c: Command) => Command): void {
  const tab = program.command('tabular').description('MLPs for tables: train on a CSV file (regression or classification), predict another');
  const D = zg.tabular.MLP_DEFAULTS;
  computes(tab.command('train')
    .description('train an MLP regressor or classifier on a CSV file, print test metrics, save the model')
    .requiredOption('--csv <file>', 'the CSV file (a header row, then one row per example)')
    .requiredOption('--target <column>', 'the column to predict')
    .addOption(new Option('--task <task>', 'regression or classification (default: regression for a numeric target with more than 10 values)').choices(['regression', 'classification']))
    .option('--drop <cols>', 'columns to leave out (IDs, free text), comma-separated', columnList('--drop'))
    .option('--categorical <cols>', 'columns to treat as categories even if they look numeric', columnList('--categorical'))
    .option('--numeric <cols>', 'columns to treat as numbers', columnList('--numeric'))
    .option('--log-target', 'regression: train on log(target), predict exp() of it', false)
    .option('--test-size <f>', 'fraction of rows held out for the test metrics', fraction('--test-size'), 0.2)
    .option('--seed <n>', 'random seed (split, weights, shuffles)', nonNegativeInt('--seed'), 1)
    .option('--hidden <sizes>', `hidden layer sizes, comma-separated (default ${D.hiddenLayerSizes.join(',')})`, intList('--hidden'))
    .addOption(new Option('--solver <name>', 'optimizer').choices(['adam', 'sgd', 'lbfgs']).default(D.solver))
    .option('--alpha <x>', 'L2 penalty (0: none)', nonNegativeNumber, D.alpha)
    .option('--max-iter <n>', 'epochs (adam, sgd) or iterations (lbfgs), at most', positiveInt('--max-iter'), D.maxIter)
    .option('--early-stopping', 'hold out 10% of the training rows and stop when their score stops improving', false)
    .option('--out <file>', 'where to save the model (default: <csv name>.zg)')
    .option('--report <file>', 'write an HTML report: loss curve, predictions, feature importance')
    .option('--no-progress', 'plain progress lines even on a terminal')
    .option('--json', 'print the results as one JSON object', false))
    .action((o: TabularTrainOptions) => tabularTrain(o));
  computes(tab.command('predict')
    .description('predict every row of a CSV file with a model from `tabular train`; writes CSV')
    .requiredOption('--model <file>', 'model file')
    .requiredOption('--csv <file>', 'the CSV file to predict (the target column may be absent)')
    .option('--id <column>', 'a column to copy into the output, to identify each row')
    .option('--out <file>', 'where to write the predictions (default: standard output)'))
    .action((o: TabularPredictOptions) => tabularPredict(o));
}
