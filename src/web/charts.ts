// Line charts for the training panel, drawn on a canvas.

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
