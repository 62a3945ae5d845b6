// Line charts for the training panel, hand-written on a canvas (about a hundred lines; see the
// README for why not a library): titled axes, ticks at round numbers spaced so their labels
// never overlap, and the legend in the chart's top margin, where no data is drawn.

export interface ChartSeries {
  name: string;
  color: string;
  points: Array<[number, number]>;
  /** Draw each point as a dot (few points: a test accuracy per epoch). */
  dots?: boolean;
  /** A faint thin line under the others (the raw values a smoothed series is drawn from). */
  faint?: boolean;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  xMin?: number;
  xMax?: number;
  yMin?: number;
  yMax?: number;
}

/**
 * Exponential moving average with bias correction (as TensorBoard smooths a loss curve):
 * s_t = a·s_{t−1} + (1−a)·v_t from s_0 = 0, shown as s_t / (1 − a^t) so the first points are not
 * pulled towards 0. a = 0.9 averages over about 1/(1−a) = 10 steps. NaN and ±∞ are skipped.
 */
export function smooth(points: Array<[number, number]>, a = 0.9): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let s = 0, t = 0;
  for (const [x, v] of points) {
    if (!Number.isFinite(v)) continue;
    s = a * s + (1 - a) * v;
    t++;
    out.push([x, s / (1 - a ** t)]);
  }
  return out;
}

/**
 * Round tick values covering [lo, hi], at most `count` of them: the step is 1, 2 or 5 × 10^k,
 * the smallest of those giving no more than `count` intervals.
 */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** A tick label: fixed decimals, or an SI suffix for large values (a diverged loss reaches 10⁷) so it fits the margin. */
function tickLabel(v: number, digits: number): string {
  const a = Math.abs(v);
  for (const [f, suffix] of [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e4, 'k']] as const) {
    if (a >= f) return `${Number((v / (suffix === 'k' ? 1e3 : f)).toPrecision(3))}${suffix}`;
  }
  return v.toFixed(digits);
}

/** Draw the series; the canvas is resized to its displayed width (sharp on any screen, any width). */
export function lineChart(c: HTMLCanvasElement, series: ChartSeries[], o: ChartOptions): void {
  const dpr = window.devicePixelRatio || 1;
  const cssW = c.clientWidth || c.width, cssH = c.clientHeight || c.height;
  if (c.width !== Math.round(cssW * dpr)) { c.width = Math.round(cssW * dpr); c.height = Math.round(cssH * dpr); }
  const ctx = c.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);
  ctx.font = '12px system-ui, sans-serif';
  ctx.fillStyle = '#222';
  ctx.font = 'bold 12px system-ui, sans-serif';
  ctx.fillText(o.title, 4, 14);
  ctx.font = '12px system-ui, sans-serif';
  // The legend: swatches under the title, wrapping to more lines on a narrow chart; the plot
  // starts below its last line, so no curve is ever drawn over it.
  let lx = 4, ly = 30;
  for (const s of series) {
    const w = ctx.measureText(s.name).width + 26;
    if (lx > 4 && lx + w > cssW) { lx = 4; ly += 16; }
    ctx.fillStyle = s.color;
    ctx.globalAlpha = s.faint ? 0.3 : 1;
    ctx.fillRect(lx, ly - 8, 14, s.faint ? 2 : 4);
    ctx.globalAlpha = 1;
    ctx.fillStyle = '#333';
    ctx.fillText(s.name, lx + 18, ly - 3);
    lx += w + 8;
  }
  // Margins: title and legend on top, tick labels and the axis titles left and below.
  const L = 58, R = 10, T = ly + 10, B = 38;
  const W = cssW - L - R, H = cssH - T - B;
  const pts = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const x0 = o.xMin ?? 0, x1 = o.xMax ?? Math.max(1e-9, ...pts.map((p) => p[0]));
  let y0 = o.yMin ?? Math.min(...pts.map((p) => p[1]), 0), y1 = o.yMax ?? Math.max(...pts.map((p) => p[1]), 1e-9);
  if (!(y1 > y0)) { y0 = 0; y1 = 1; }
  const px = (x: number) => L + ((x - x0) / (x1 - x0)) * W;
  const py = (y: number) => T + (1 - (y - y0) / (y1 - y0)) * H;
  // Grid and ticks: at most one x label per 60 px and one y label per 28 px, so none overlap.
  ctx.strokeStyle = '#eee';
  ctx.fillStyle = '#555';
  ctx.textAlign = 'center';
  const xt = niceTicks(x0, x1, Math.floor(W / 60));
  const dx = Math.max(0, -Math.floor(Math.log10((xt[1] ?? 1) - (xt[0] ?? 0)) + 1e-9));
  for (const v of xt) {
    ctx.beginPath(); ctx.moveTo(px(v), T); ctx.lineTo(px(v), T + H); ctx.stroke();
    ctx.fillText(tickLabel(v, dx), px(v), T + H + 14);
  }
  ctx.textAlign = 'right';
  const yt = niceTicks(y0, y1, Math.floor(H / 28));
  const dy = Math.max(0, -Math.floor(Math.log10((yt[1] ?? 1) - (yt[0] ?? 0)) + 1e-9));
  for (const v of yt) {
    ctx.beginPath(); ctx.moveTo(L, py(v)); ctx.lineTo(L + W, py(v)); ctx.stroke();
    ctx.fillText(tickLabel(v, dy), L - 4, py(v) + 4);
  }
  ctx.strokeStyle = '#999';
  ctx.strokeRect(L, T, W, H);
  ctx.textAlign = 'center';
  ctx.fillStyle = '#222';
  ctx.fillText(o.xLabel, L + W / 2, cssH - 4);
  ctx.save();
  ctx.translate(12, T + H / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(o.yLabel, 0, 0);
  ctx.restore();
  ctx.textAlign = 'left';
  // The data, clipped to the plot area (a spike above yMax is cut, never drawn over the legend;
  // a dot on the edge keeps its whole disc).
  ctx.save();
  ctx.beginPath(); ctx.rect(L - 4, T - 4, W + 8, H + 8); ctx.clip();
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.globalAlpha = s.faint ? 0.25 : 1;
    ctx.lineWidth = s.faint ? 1 : 2;
    ctx.beginPath();
    s.points.forEach(([x, y], k) => (k ? ctx.lineTo(px(x), py(y)) : ctx.moveTo(px(x), py(y))));
    ctx.stroke();
    if (s.dots) for (const [x, y] of s.points) { ctx.beginPath(); ctx.arc(px(x), py(y), 3.5, 0, 2 * Math.PI); ctx.fill(); }
  }
  ctx.restore();
  ctx.globalAlpha = 1;
}
