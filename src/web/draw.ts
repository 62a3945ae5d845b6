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
