// The HTML report of `zerograd tabular train --report`: one self-contained page (inline SVG, no
// scripts, no network) with the loss curve, the predictions against the truth, and which columns the
// model leans on (permutation importance).
import { barChart, lineChart, page, table } from '../experiments/report.js';
import type { ClassificationReport, ColumnImportance, TabularModel, TabularPrediction, Table, Task } from '../tabular/index.js';
import { featureNames } from '../tabular/index.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Predicted against actual values as an SVG scatter plot, with the line y = x (a perfect prediction). */
export function scatterPlot(title: string, actual: number[], predicted: number[], axis: string): string {
  const W = 480, H = 480, L = 70, R = 20, T = 30, B = 50;
  const all = [...actual, ...predicted].filter(Number.isFinite);
  if (all.length === 0) return `<figure><figcaption>${esc(title)}: no finite values</figcaption></figure>`;
  let lo = Math.min(...all), hi = Math.max(...all);
  if (hi === lo) { hi += 1; lo -= 1; }
  const pad = 0.05 * (hi - lo);
  lo -= pad; hi += pad;
  const px = (v: number) => L + ((v - lo) / (hi - lo)) * (W - L - R);
  const py = (v: number) => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
  const label = (v: number) => Number(v.toPrecision(3)).toString();
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">`;
  svg += `<text x="${W / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`;
  svg += `<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#999"/>`;
  svg += `<line x1="${px(lo)}" y1="${py(lo)}" x2="${px(hi)}" y2="${py(hi)}" stroke="#bbb" stroke-dasharray="4 4"/>`;
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((hi - lo) * i) / 4;
    svg += `<text x="${px(v)}" y="${H - B + 16}" text-anchor="middle" font-size="11">${label(v)}</text>`;
    svg += `<text x="${L - 6}" y="${py(v) + 4}" text-anchor="end" font-size="11">${label(v)}</text>`;
  }
  svg += `<text x="${(L + W - R) / 2}" y="${H - 10}" text-anchor="middle" font-size="12">actual ${esc(axis)}</text>`;
  svg += `<text x="16" y="${(T + H - B) / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 16 ${(T + H - B) / 2})">predicted ${esc(axis)}</text>`;
  actual.forEach((a, i) => {
    if (Number.isFinite(a) && Number.isFinite(predicted[i])) svg += `<circle cx="${px(a).toFixed(1)}" cy="${py(predicted[i]).toFixed(1)}" r="3" fill="#1f77b4" fill-opacity="0.6" class="point"/>`;
  });
  return `<figure>${svg}</figure>`;
}

/** The confusion matrix as a table, each cell shaded by its share of the actual class's rows. */
export function confusionTable(classes: string[], confusion: number[][]): string {
  const head = `<tr><th>actual \\ predicted</th>${classes.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
  const rows = confusion.map((row, i) => {
    const total = row.reduce((s, v) => s + v, 0) || 1;
    return `<tr><th>${esc(classes[i])}</th>${row.map((v, j) =>
      `<td style="background:rgba(${i === j ? '31,119,180' : '214,39,40'},${(0.8 * v / total).toFixed(2)})">${v}</td>`).join('')}</tr>`;
  });
  return `<table class="confusion">${head}${rows.join('')}</table>`;
}

export interface ReportInput {
  csv: string;
  model: TabularModel;
  task: Task;
  test: Table;
  predicted: TabularPrediction;
  actual: number[] | string[];
  metrics: Record<string, unknown>;
  importance: ColumnImportance[];
  fitSeconds: number;
  seed: number;
}

export function tabularReport(r: ReportInput): string {
  const est = r.model.estimator;
  const o = est.options;
  const intro = `zerograd tabular train --csv ${esc(r.csv)} --target ${esc(r.model.target)} · ${r.task} · ` +
    `hidden ${o.hiddenLayerSizes.join(',')}, ${o.activation}, solver ${o.solver}, α ${o.alpha}, seed ${r.seed} · ` +
    `${est.nIter} iterations in ${r.fitSeconds.toFixed(2)} s · ${r.test.rows.length} test rows · ${new Date().toISOString().slice(0, 10)}`;
  const sections: Array<{ heading: string; html: string }> = [];
  const m = r.metrics;
  if (r.task === 'regression') {
    sections.push({ heading: 'Test metrics', html: table(['RMSE', 'MAE', 'R²'], [[(m.rmse as number).toFixed(2), (m.mae as number).toFixed(2), (m.r2 as number).toFixed(4)]]) });
  } else {
    const rep = m as unknown as ClassificationReport;
    sections.push({ heading: 'Test metrics', html: `<p>accuracy ${(100 * rep.accuracy).toFixed(2)}%</p>` +
      table(['class', 'precision', 'recall', 'F1', 'support'], rep.classes.map((c) => [c.label, c.precision.toFixed(3), c.recall.toFixed(3), c.f1.toFixed(3), c.support])) });
  }
  const curves = [{ name: 'training loss', points: est.lossCurve.map((v, i) => [i + 1, v] as [number, number]) }];
  let curveHtml = lineChart('Loss curve', curves, { xLabel: o.solver === 'lbfgs' ? 'iteration' : 'epoch', yLabel: 'loss', logY: true });
  if (est.validationScores.length > 0) {
    curveHtml += lineChart('Validation score (early stopping)', [{ name: r.task === 'regression' ? 'R²' : 'accuracy',
      points: est.validationScores.map((v, i) => [i + 1, v] as [number, number]) }], { xLabel: 'epoch', yLabel: 'score' });
  }
  sections.push({ heading: 'How it learned', html: `${curveHtml}<p class="note">The loss includes the L2 penalty${r.task === 'regression' ? ' and is measured on the standardized target' : ''}.</p>` });
  if (r.task === 'regression') {
    sections.push({ heading: 'Predicted against actual (test rows)', html: scatterPlot(`${r.model.target}`, r.actual as number[], r.predicted.predictions as number[], r.model.target) +
      '<p class="note">Points on the dashed line are predicted exactly; above it, too high.</p>' });
  } else {
    const rep = m as unknown as ClassificationReport;
    sections.push({ heading: 'Confusion matrix (test rows)', html: confusionTable(r.predicted.classes!, rep.confusion) });
  }
  sections.push({ heading: 'Permutation feature importance', html: barChart(`Drop in test ${r.task === 'regression' ? 'R²' : 'accuracy'} when a column is shuffled`,
    r.importance.map((c) => ({ label: c.column, value: c.importance }))) +
    table(['column', 'importance', '± std (5 shuffles)'], r.importance.map((c) => [c.column, c.importance.toFixed(4), c.std.toFixed(4)])) +
    '<p class="note">Shuffling a column breaks its link to the target; the larger the drop, the more the model relies on it.</p>' });
  const p = r.model.preprocessing;
  sections.push({ heading: 'Preprocessing', html: table(['column', 'treatment'], [
    ...p.numeric.map((c) => [c.name, `numeric: missing → median ${c.median}, standardized (mean ${c.mean.toPrecision(5)}, std ${c.scale.toPrecision(5)})`]),
    ...p.categorical.map((c) => [c.name, `categorical: ${c.categories.length} one-hot columns (${c.categories.slice(0, 8).join(', ')}${c.categories.length > 8 ? ', …' : ''})`]),
    ...p.ignored.map((c) => [c.name, `not a feature: ${c.reason}`]),
  ]) + `<p class="note">${featureNames(p).length} input features.</p>` });
  return page(`zerograd tabular: ${r.model.target}`, intro, sections);
}
