// Detecting digits in any picture: a page photo, a scan, a drawing (browser-safe: `zerograd
// detect` and the explainer share it).
//
// The detector learned digits 20–44 px tall, bright ink on a black background (MNIST-Det). A
// picture is brought to that: polarity found (dark ink on light paper is inverted), the paper's
// uneven brightness removed (a morphological opening wider than any stroke is the background),
// contrast stretched, and the whole picture rescaled so that its ink blobs are about 32 px tall
// (the middle of the trained range) — or by a scale the user gives. Detections are mapped back
// to the picture's own pixels.
import { boxBlur, components, opening, quantile, resample } from '../data/image-ops.js';
import { isDarkInk } from '../data/preprocess.js';
import { MAX_DIGIT_SIDE, MIN_DIGIT_SIDE } from './mnist-det.js';
import type { Box } from './boxes.js';

/** Ink blobs are scaled to this height: the middle of the range the detector was trained on. */
export const TARGET_INK_HEIGHT = Math.round((MIN_DIGIT_SIDE + MAX_DIGIT_SIDE) / 2);
/** The detector's canvas is at most this many pixels (selective search is linear in pixels). */
export const MAX_WORK_PIXELS = 1024 * 1024;
/** The smallest picture side: below this there is no room for a 20-pixel digit and its context. */
export const MIN_IMAGE_SIDE = 16;

export interface PreparedImage {
  /** width × height, ink bright in [0, 1], background 0. */
  image: Float32Array;
  width: number;
  height: number;
  /** Detector pixels per picture pixel. */
  scale: number;
  polarity: 'dark-on-light' | 'light-on-dark';
}

/** Ink map of a [0,1] image: polarity, background removed, contrast stretched so strokes are ~1. */
function inkMap(g: Float32Array, w: number, h: number, dark: boolean, strokeScale: number): Float32Array {
  const s = dark ? g.map((v) => 1 - v) : g;
  const sb = boxBlur(s, w, h, 1);
  // Wider than a stroke (a few percent of a digit's height), narrower than the lighting's changes.
  const r = Math.max(2, Math.round(strokeScale));
  const bg = opening(sb, w, h, r, r);
  const ink = sb.map((v, i) => Math.max(0, v - bg[i]));
  // Stretch: the brighter pixels of the ink (above a tenth of the peak) reach 1 at their median.
  let peak = 0;
  for (const v of ink) if (v > peak) peak = v;
  const strong = ink.filter((v) => v > 0.25 * peak);
  const ref = strong.length > 0 ? Math.max(quantile(strong, 0.5), 1e-6) : 1;
  const floor = Math.max(0.04, 0.15 * ref);
  return ink.map((v) => (v < floor ? 0 : Math.min(1, v / ref)));
}

/**
 * Bring a grayscale picture (0–255, row-major) to the detector's terms. `scale` (detector pixels
 * per picture pixel) is measured from the ink blobs when not given.
 */
export function prepareImage(gray: ArrayLike<number>, width: number, height: number, o: { scale?: number } = {}): PreparedImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || gray.length !== width * height) {
    throw new Error(`prepareImage: ${gray.length} pixels do not make a ${width}×${height} image`);
  }
  if (Math.min(width, height) < MIN_IMAGE_SIDE) {
    throw new Error(`image is ${width}×${height} pixels; expected at least ${MIN_IMAGE_SIDE}×${MIN_IMAGE_SIDE} to hold a digit`);
  }
  const g = Float32Array.from(gray, (v) => v / 255);
  const dark = isDarkInk(g, width, height);
  let scale = o.scale;
  if (scale === undefined) {
    // Measure on a copy at most 400 px a side: blob heights need no more.
    const f = Math.min(1, 400 / Math.max(width, height));
    const w = Math.max(1, Math.round(width * f)), h = Math.max(1, Math.round(height * f));
    const small = f < 1 ? resample(g, width, height, 0, 0, width, height, w, h) : g;
    const ink = inkMap(small, w, h, dark, Math.max(w, h) / 40);
    const mask = Uint8Array.from(ink, (v) => (v > 0.3 ? 1 : 0));
    const heights = components(mask, ink, w, h)
      .filter((c) => c.pixels.length >= 6 && c.y1 - c.y0 + 1 >= 4) // specks are not digits
      .map((c) => (c.y1 - c.y0 + 1) / f);
    scale = heights.length > 0 ? TARGET_INK_HEIGHT / quantile(heights, 0.5) : 1;
  }
  if (!(scale > 0 && Number.isFinite(scale))) throw new Error(`scale: expected a positive number, got ${scale}`);
  // Never more than MAX_WORK_PIXELS: a huge scale on a large picture would only waste time.
  scale = Math.min(scale, Math.sqrt(MAX_WORK_PIXELS / (width * height)));
  const w = Math.max(MIN_IMAGE_SIDE, Math.round(width * scale)), h = Math.max(MIN_IMAGE_SIDE, Math.round(height * scale));
  const resized = resample(g, width, height, 0, 0, width, height, w, h);
  return { image: inkMap(resized, w, h, dark, TARGET_INK_HEIGHT / 6), width: w, height: h, scale: w / width, polarity: dark ? 'dark-on-light' : 'light-on-dark' };
}

/** A box in the prepared image's pixels, back in the picture's (rounded outward, clipped). */
export function toPictureBox(b: Readonly<Box>, p: PreparedImage, width: number, height: number): Box {
  const sx = p.width / width, sy = p.height / height;
  return [
    Math.max(0, Math.floor(b[0] / sx)), Math.max(0, Math.floor(b[1] / sy)),
    Math.min(width, Math.ceil(b[2] / sx)), Math.min(height, Math.ceil(b[3] / sy)),
  ];
}
