// Drawing helpers for the explainer: value maps as pixel canvases, colour legends, the hover box,
// the pads' pen.

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

/** A canvas showing `values` (h×w) in grayscale, scaled from [lo, hi]; or blue/red for a symmetric range. */
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

/**
 * Three planes (R, G, B; h×w each, one after the other) as one colour picture: each channel scaled
 * from [lo, hi] to 0…255. For a colour input lo = 0, hi = 1 shows the picture as it is; for a first
 * layer's kernels lo = −m, hi = m (m the largest |weight| of all of them) maps a zero weight to mid
 * gray, so a kernel that looks red adds up red and subtracts green and blue: the colour it detects.
 */
export function paintRgb(c: HTMLCanvasElement, planes: ArrayLike<number>, w: number, h: number, lo: number, hi: number): void {
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(w, h);
  const range = hi - lo || 1, n = w * h;
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < 3; ch++) img.data[4 * i + ch] = Math.round(Math.min(255, Math.max(0, (255 * (planes[ch * n + i] - lo)) / range)));
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/** A canvas showing three planes in colour (see paintRgb), `size` px on its longer side. */
export function rgbCanvas(planes: ArrayLike<number>, w: number, h: number, lo: number, hi: number, cls: string, size = 56): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  c.style.width = `${Math.round((size * w) / Math.max(w, h))}px`;
  c.style.height = `${Math.round((size * h) / Math.max(w, h))}px`;
  c.className = cls;
  paintRgb(c, planes, w, h, lo, hi);
  return c;
}

/** A number as the page shows it: 3 decimals, a true minus sign. */
export const fmt = (v: number, digits = 3): string => v.toFixed(digits).replace('-', '−');

/** The largest |value|: the half-width of a diverging colour scale (never 0, so a blank map paints white). */
export function absMax(values: ArrayLike<number>): number {
  let m = 1e-6;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
  return m;
}

/**
 * A colour legend: the ramp with the values at its ends and what zero looks like. Diverging scales
 * (every map, kernel and vector inside the network) run blue −m … white 0 … red +m, the same
 * for the whole stage so its maps can be compared; the input runs black 0 … white 1, as MNIST.
 */
export function legend(kind: 'diverging' | 'gray', lo: number, hi: number): HTMLElement {
  const box = document.createElement('div');
  box.className = `legend ${kind}`;
  setLegend(box, lo, hi);
  return box;
}

export function setLegend(box: HTMLElement, lo: number, hi: number): void {
  const diverging = box.classList.contains('diverging');
  box.dataset.lo = String(lo);
  box.dataset.hi = String(hi);
  const short = (v: number) => (Math.abs(v) >= 100 ? v.toExponential(1) : v.toPrecision(2)).replace('-', '−');
  box.innerHTML = `<span>${short(lo)}</span><i></i><span>${short(hi)}</span><small>${diverging ? '0 = white' : '0 = black'}</small>`;
  box.title = diverging ? `blue negative, white zero, red positive; the scale runs from ${short(lo)} to ${short(hi)}` : `black 0 to white 1`;
}

/** What a canvas says under the pointer: the cell's position and value. */
const hovers = new WeakMap<HTMLCanvasElement, (col: number, row: number) => string>();

/** Make a canvas (w×h cells) say what is under the pointer in the page's hover box. */
export function hoverable(c: HTMLCanvasElement, w: number, h: number, text: (col: number, row: number) => string): void {
  c.dataset.cols = String(w);
  c.dataset.rows = String(h);
  hovers.set(c, text);
}

/** The cell of a w×h canvas under a pointer event. */
export function cellAt(c: HTMLCanvasElement, ev: MouseEvent, w: number, h: number): [number, number] {
  const r = c.getBoundingClientRect();
  return [Math.min(w - 1, Math.max(0, Math.floor(((ev.clientX - r.left) / r.width) * w))), Math.min(h - 1, Math.max(0, Math.floor(((ev.clientY - r.top) / r.height) * h)))];
}

/** One listener for the page: the hover box follows the pointer over any hoverable canvas. */
export function setupHover(tip: HTMLElement): void {
  document.addEventListener('pointermove', (ev) => {
    const c = ev.target as HTMLCanvasElement;
    const text = c instanceof HTMLCanvasElement ? hovers.get(c) : undefined;
    if (!text) { tip.hidden = true; return; }
    const [col, row] = cellAt(c, ev, Number(c.dataset.cols), Number(c.dataset.rows));
    tip.textContent = text(col, row);
    tip.hidden = false;
    // Beside the pointer, kept on screen.
    tip.style.left = `${Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 4)}px`;
    tip.style.top = `${Math.min(ev.clientY + 14, window.innerHeight - tip.offsetHeight - 4)}px`;
  });
}

/**
 * A user's image file decoded to RGBA on white paper (transparent pixels count as white, as
 * rgbaToGray reads them for the command line); a file the browser cannot decode is named.
 */
export async function decodeImageFile(file: File): Promise<{ bitmap: ImageBitmap; rgba: Uint8ClampedArray; width: number; height: number }> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error(`${file.name}: not an image this browser can decode (expected PNG or JPEG)`);
  }
  const c = document.createElement('canvas');
  [c.width, c.height] = [bitmap.width, bitmap.height];
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, c.width, c.height);
  ctx.drawImage(bitmap, 0, 0);
  return { bitmap, rgba: ctx.getImageData(0, 0, c.width, c.height).data, width: c.width, height: c.height };
}
