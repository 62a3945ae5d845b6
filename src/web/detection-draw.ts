// Pictures for the explainer's detection view: the detector's image scaled up with boxes on it,
// the segmentation in colours, and a warped window with its class scores as bars.
// Boxes are half-open pixel boxes [x1, y1, x2, y2) in the detector's image, as everywhere.
import type { Box } from '../detection/boxes.js';
import { LABEL_COLOURS } from '../detection/annotate.js';

/** Display pixels per image pixel: about 256 px a side, whole numbers so pixels stay square. */
export function displayScale(w: number, h: number): number {
  return Math.max(1, Math.min(4, Math.round(256 / Math.max(w, h))));
}

export const labelColour = (label: number): string => `rgb(${LABEL_COLOURS[label % LABEL_COLOURS.length].join(',')})`;

/** A box to draw, and what hovering over it says. */
export interface DrawnBox {
  box: Readonly<Box>;
  colour: string;
  /** Text drawn at the box's top left (label and score), if any. */
  tag?: string;
  dashed?: boolean;
  width?: number;
  /** Shown as the tooltip when the pointer is inside this box (the smallest such box wins). */
  info: string;
}

/** An RGBA canvas of w×h gray values in [0, 1] (or already RGBA bytes), scaled by `s` without smoothing. */
function paintBase(ctx: CanvasRenderingContext2D, pixels: Float32Array | Uint8ClampedArray, w: number, h: number, s: number): void {
  const small = document.createElement('canvas');
  small.width = w;
  small.height = h;
  const sctx = small.getContext('2d')!;
  const img = sctx.createImageData(w, h);
  if (pixels instanceof Uint8ClampedArray) img.data.set(pixels);
  else {
    for (let i = 0; i < w * h; i++) {
      const v = Math.round(255 * Math.min(1, Math.max(0, pixels[i])));
      img.data[4 * i] = v; img.data[4 * i + 1] = v; img.data[4 * i + 2] = v; img.data[4 * i + 3] = 255;
    }
  }
  sctx.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, w * s, h * s);
}

/**
 * The image (gray floats, or RGBA bytes such as a coloured segmentation) with boxes on top. The
 * canvas's title follows the pointer: the smallest box under it, or the pixel's coordinates.
 */
export function boxPicture(pixels: Float32Array | Uint8ClampedArray, w: number, h: number, boxes: readonly DrawnBox[], label: string): HTMLCanvasElement {
  const s = displayScale(w, h);
  const c = document.createElement('canvas');
  c.width = w * s;
  c.height = h * s;
  c.className = 'det-picture';
  c.setAttribute('aria-label', label);
  c.dataset.boxes = String(boxes.length);
  const ctx = c.getContext('2d')!;
  paintBase(ctx, pixels, w, h, s);
  ctx.font = 'bold 11px system-ui, sans-serif';
  ctx.textBaseline = 'top';
  for (const b of boxes) {
    const [x1, y1, x2, y2] = b.box;
    ctx.strokeStyle = b.colour;
    ctx.lineWidth = b.width ?? 2;
    ctx.setLineDash(b.dashed ? [4, 3] : []);
    // Half-open boxes: pixel x1 is inside, x2 is not; the outline runs along the inside edge.
    const lw = ctx.lineWidth / 2;
    ctx.strokeRect(x1 * s + lw, y1 * s + lw, Math.max(1, (x2 - x1) * s - 2 * lw), Math.max(1, (y2 - y1) * s - 2 * lw));
    if (b.tag) {
      const tw = ctx.measureText(b.tag).width + 4;
      const ty = y1 * s >= 14 ? y1 * s - 14 : y1 * s;
      ctx.fillStyle = b.colour;
      ctx.fillRect(x1 * s, ty, tw, 14);
      ctx.fillStyle = '#000';
      ctx.fillText(b.tag, x1 * s + 2, ty + 1);
    }
  }
  ctx.setLineDash([]);
  c.title = label;
  c.addEventListener('mousemove', (e) => {
    const r = c.getBoundingClientRect();
    const x = ((e.clientX - r.left) / r.width) * w, y = ((e.clientY - r.top) / r.height) * h;
    let best: DrawnBox | null = null, bestArea = Infinity;
    for (const b of boxes) {
      const area = (b.box[2] - b.box[0]) * (b.box[3] - b.box[1]);
      if (x >= b.box[0] && x < b.box[2] && y >= b.box[1] && y < b.box[3] && area < bestArea) { best = b; bestArea = area; }
    }
    c.title = best ? best.info : `${label} · pixel (${Math.floor(x)}, ${Math.floor(y)})`;
  });
  return c;
}

/**
 * A segmentation's labels as colours: each segment a hue of its own (golden-angle steps, so
 * neighbouring labels differ), the largest segment (the paper around the digits) dark gray.
 */
export function segmentationColours(labels: Int32Array, count: number): Uint8ClampedArray {
  const sizes = new Int32Array(count);
  for (const l of labels) sizes[l]++;
  let paper = 0;
  for (let l = 1; l < count; l++) if (sizes[l] > sizes[paper]) paper = l;
  const palette = new Uint8ClampedArray(count * 3);
  for (let l = 0; l < count; l++) {
    const [r, g, b] = l === paper ? [40, 40, 40] : hsl(((l * 137.508) % 360) / 360, 0.7, 0.55);
    palette.set([r, g, b], 3 * l);
  }
  const out = new Uint8ClampedArray(labels.length * 4);
  labels.forEach((l, i) => { out.set(palette.subarray(3 * l, 3 * l + 3), 4 * i); out[4 * i + 3] = 255; });
  return out;
}

function hsl(h: number, s: number, l: number): [number, number, number] {
  const f = (n: number): number => {
    const k = (n + h * 12) % 12;
    return Math.round(255 * (l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

/**
 * One warped window (28×28 bytes) with the fine-tuned network's 11 softmax probabilities as bars
 * (10 digits and background) and the detection score of its best digit.
 */
export function cropCard(window: Uint8Array, probs: ArrayLike<number>, caption: string, scoreLine: string, best: number): HTMLElement {
  const card = document.createElement('div');
  card.className = 'det-crop';
  const c = document.createElement('canvas');
  c.width = 28;
  c.height = 28;
  c.className = 'det-window';
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) img.data.set([window[i], window[i], window[i], 255], 4 * i);
  ctx.putImageData(img, 0, 0);
  c.title = `${caption}: the region warped to 28×28, what the CNN sees`;
  const cap = document.createElement('div');
  cap.className = 'det-crop-caption';
  cap.textContent = caption;
  const bars = document.createElement('div');
  bars.className = 'det-bars';
  for (let k = 0; k < probs.length; k++) {
    const row = document.createElement('div');
    row.className = k === best ? 'det-bar best' : 'det-bar';
    const name = k < 10 ? String(k) : 'bg';
    row.title = `${k < 10 ? `digit ${k}` : 'background'}: softmax probability ${(100 * probs[k]).toFixed(2)}%`;
    const cls = document.createElement('span');
    cls.className = 'cls';
    cls.textContent = name;
    const fill = document.createElement('span');
    fill.className = 'fill';
    fill.style.width = `${(100 * probs[k]).toFixed(1)}px`; // 100 px = probability 1
    if (k < 10) fill.style.background = labelColour(k);
    row.append(cls, fill);
    bars.append(row);
  }
  const score = document.createElement('div');
  score.className = 'det-crop-score';
  score.textContent = scoreLine;
  card.append(c, cap, bars, score);
  return card;
}
