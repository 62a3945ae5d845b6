// Drawing helpers for the explainer: value maps as pixel canvases, small line charts, the pads' pen.

/** A canvas showing `values` (h×w) in grayscale, scaled from [lo, hi]; or blue/red for a symmetric range. */
/** One pen segment of a drawing pad: a round white line from `from` to `to`, `width` pixels wide. */
export function penStroke(ctx: CanvasRenderingContext2D, from: [number, number], to: [number, number], width: number): void {
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = width;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.beginPath();
  ctx.moveTo(...from);
  ctx.lineTo(...to);
  ctx.stroke();
}

export function mapCanvas(values: ArrayLike<number>, w: number, h: number, o: { lo?: number; hi?: number; diverging?: boolean; size?: number; cls?: string } = {}): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  const size = o.size ?? 56;
  c.style.width = `${Math.round((size * w) / Math.max(w, h))}px`;
  c.style.height = `${Math.round((size * h) / Math.max(w, h))}px`;
  c.className = o.cls ?? 'map';
  paintMap(c, values, w, h, o);
  return c;
}

export function paintMap(c: HTMLCanvasElement, values: ArrayLike<number>, w: number, h: number, o: { lo?: number; hi?: number; diverging?: boolean } = {}): void {
  let lo = o.lo ?? Infinity, hi = o.hi ?? -Infinity;
  if (o.lo === undefined || o.hi === undefined) {
    for (let i = 0; i < w * h; i++) { if (values[i] < lo) lo = values[i]; if (values[i] > hi) hi = values[i]; }
  }
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(w, h);
  if (o.diverging) {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    for (let i = 0; i < w * h; i++) {
      const v = values[i] / m; // −1..1: blue for negative, red for positive
      const a = Math.min(1, Math.abs(v));
      img.data.set(v >= 0 ? [255, Math.round(255 * (1 - a)), Math.round(255 * (1 - a)), 255] : [Math.round(255 * (1 - a)), Math.round(255 * (1 - a)), 255, 255], 4 * i);
    }
  } else {
    const range = hi - lo || 1;
    for (let i = 0; i < w * h; i++) {
      const v = Math.round((255 * (values[i] - lo)) / range);
      img.data.set([v, v, v, 255], 4 * i);
    }
  }
  ctx.putImageData(img, 0, 0);
}

export interface ChartSeries {
  name: string;
  color: string;
  points: Array<[number, number]>;
}

/** Draw line series onto a canvas, axes from the data. */
export function lineChart(c: HTMLCanvasElement, title: string, series: ChartSeries[], o: { yMin?: number; yMax?: number; xMax?: number } = {}): void {
  const ctx = c.getContext('2d')!;
  const W = c.width, H = c.height, L = 44, R = 8, T = 20, B = 22;
  ctx.clearRect(0, 0, W, H);
  ctx.font = '12px system-ui, sans-serif';
  ctx.fillStyle = '#222';
  ctx.fillText(title, L, 14);
  const pts = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  ctx.strokeStyle = '#aaa';
  ctx.strokeRect(L, T, W - L - R, H - T - B);
  if (pts.length === 0) return;
  const x1 = o.xMax ?? Math.max(...pts.map((p) => p[0]), 1e-9);
  let y0 = o.yMin ?? Math.min(...pts.map((p) => p[1]));
  let y1 = o.yMax ?? Math.max(...pts.map((p) => p[1]));
  if (y1 === y0) { y1 += 0.5; y0 -= 0.5; }
  const px = (x: number) => L + (x / x1) * (W - L - R);
  const py = (y: number) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  ctx.fillStyle = '#555';
  ctx.fillText(y1.toPrecision(3), 2, T + 8);
  ctx.fillText(y0.toPrecision(3), 2, H - B);
  ctx.fillText(x1.toPrecision(3), W - R - 30, H - 6);
  series.forEach((s, i) => {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    s.points.forEach(([x, y], k) => (k ? ctx.lineTo(px(x), py(y)) : ctx.moveTo(px(x), py(y))));
    ctx.stroke();
    if (s.points.length === 1) { ctx.fillStyle = s.color; ctx.fillRect(px(s.points[0][0]) - 2, py(s.points[0][1]) - 2, 4, 4); }
    ctx.fillStyle = s.color;
    ctx.fillText(s.name, L + 8 + i * 110, T + 14);
  });
}
