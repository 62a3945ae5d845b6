// Turning an arbitrary picture of a digit — a drawing, a scan, a phone photo — into an
// MNIST-style input (browser-safe: `zerograd predict` and the explainer run this same code).
//
// MNIST digits are white on a pure black background, scaled so the digit fits a 20×20 box
// (keeping its aspect ratio, anti-aliased), then placed in a 28×28 frame with the centre of mass
// at the centre. A network trained on MNIST has only ever seen that, so a photo must be turned
// into it: the paper (grey, unevenly lit, ruled, shadowed, noisy) has to become exactly black,
// the ink white, and the digit found, cut out and framed. The steps, in findDigit:
//   1. polarity: dark ink on light paper, or light chalk on a dark board;
//   2. background: estimated at a large scale (a morphological opening) and removed;
//   3. ruled lines: long thin structures crossing the whole image are removed;
//   4. the digit: the strongest, most central ink blob (plus pieces near it), or "no digit found";
//   5. framing: contrast stretched, longer side 20 px, centre of mass at the centre of 28×28.
import { boxBlur, components, medianFilter, opening, quantile, rankFilter, resample, type Component } from './image-ops.js';

/**
 * RGBA pixels (4 bytes each, as from a PNG decoder or a canvas) to luminance 0–255:
 * Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601, the weights of the eye's sensitivity),
 * composited over white paper by alpha, so a transparent drawing reads as ink on paper.
 */
export function rgbaToGray(rgba: ArrayLike<number>, width: number, height: number): Uint8Array {
  if (rgba.length !== 4 * width * height) {
    throw new Error(`rgbaToGray: rgba has ${rgba.length} bytes, expected 4·${width}·${height} = ${4 * width * height}`);
  }
  const gray = new Uint8Array(width * height);
  for (let i = 0; i < gray.length; i++) {
    const lum = 0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2];
    const a = rgba[4 * i + 3] / 255;
    gray[i] = Math.round(a * lum + (1 - a) * 255);
  }
  return gray;
}

/** Where the digit was found, in the coordinates of the original image. */
export interface DigitBox { x: number; y: number; width: number; height: number }

export type DigitResult =
  | { found: true; input: Float32Array; polarity: 'dark-on-light' | 'light-on-dark'; box: DigitBox }
  | { found: false; reason: string };

/** Images larger than this (longer side) are first shrunk to it: plenty to frame a 20-pixel digit. */
const WORK_SIDE = 400;
/** Ink fainter than this (as a fraction of the paper's brightness) is not a digit. */
const MIN_CONTRAST = 0.1;

/**
 * Find the digit in a grayscale image and frame it as MNIST does.
 * gray: width·height luminance values 0–255, row-major. Returns the size·size input (values in
 * [0,1], white digit on black) with how it was read, or `found: false` with the reason when the
 * image holds no digit (blank paper, only lines, only noise).
 * @example const r = findDigit(gray, 640, 480); if (r.found) predict(r.input); else console.log(r.reason);
 */
export function findDigit(gray: ArrayLike<number>, width: number, height: number, size = 28, box = 20): DigitResult {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || gray.length !== width * height) {
    throw new Error(`frameDigit: ${gray.length} pixels do not make a ${width}×${height} image`);
  }
  if (!Number.isInteger(box) || box < 1 || !Number.isInteger(size) || size < box) {
    throw new Error(`frameDigit: box ${box} must be a positive integer no larger than size ${size}`);
  }
  // 0. Work on at most WORK_SIDE pixels a side, values in [0,1].
  const f = Math.min(1, WORK_SIDE / Math.max(width, height));
  const w = Math.max(1, Math.round(width * f)), h = Math.max(1, Math.round(height * f));
  const full = new Float32Array(width * height);
  for (let i = 0; i < full.length; i++) full[i] = gray[i] / 255;
  const g = f < 1 ? resample(full, width, height, 0, 0, width, height, w, h) : full;
  const side = Math.max(w, h);

  // 1. Polarity. Ink is the minority of pixels that differs sharply from its surroundings, so
  // compare each pixel with a coarse local median (ink cannot move a median, lighting does) and
  // weigh the two tails beyond the noise: dark ink makes a heavy lower tail, chalk an upper one.
  const dark = isDarkInk(g, w, h);
  const s = dark ? g.map((v) => 1 - v) : g; // ink is bright in s

  // 2. Background. A 3×3 blur tames sensor noise; an opening with a square wider than any pen
  // stroke (a quarter of the image wide) erases the ink and keeps the paper: its lighting gradient,
  // its shadow (both larger than the square), its grey. What is left after subtracting is ink.
  // For dark ink, dividing by the paper's brightness makes the contrast independent of the light
  // (ink in a shadow is as dark, relative to its paper, as ink in the sun: reflectance, not light).
  const r = Math.max(1, Math.round(side / 8));
  const sb = boxBlur(s, w, h, 1);
  const bg = opening(sb, w, h, r, r);
  const norm = (v: number, b: number): number => (dark ? (v - b) / Math.max(0.15, 1 - b) : v - b);
  const ink = sb.map((v, i) => Math.max(0, norm(v, bg[i])));
  const raw = s.map((v, i) => Math.max(0, norm(v, bg[i])));

  // 3. The noise floor: background pixels stay below median + 4σ, and at least 0.04. σ comes
  // from differences of blurred pixels 3 apart (independent after the 3×3 blur, so var = 2σ²),
  // on the ink's scale: the ink map itself is clipped at 0 and would hide half the noise. Then
  // ruled and grid lines go, and the floor is measured again without them.
  const diffs = new Float32Array(Math.max(0, w - 3) * h);
  for (let y = 0, n = 0; y < h; y++) for (let x = 0; x + 3 < w; x++) diffs[n++] = norm(sb[y * w + x + 3], bg[y * w + x + 3]) - norm(sb[y * w + x], bg[y * w + x + 3]);
  const sigma = robustStats(diffs).sigma / Math.SQRT2;
  const floor = (): { med: number; sigma: number; lo: number } => {
    const med = quantile(ink, 0.5);
    return { med, sigma, lo: Math.max(0.04, med + 4 * sigma) };
  };
  removeLines(ink, raw, w, h, floor().lo);
  const { med, lo } = floor();
  let peak = 0;
  for (const v of ink) if (v > peak) peak = v;
  // A digit must stand out: well above the noise (the largest of ~10⁵ noise samples is ~4.5σ).
  if (peak - med < Math.max(MIN_CONTRAST, 6 * sigma)) {
    return { found: false, reason: `no digit found (no ink stands out from the ${dark ? 'paper' : 'background'})` };
  }

  // 4. Hysteresis: blobs of pixels above the noise floor that reach 40% of the way from it to
  // the strongest ink (a faint speck of noise never gets that far; a stroke does).
  const hi = lo + 0.4 * (peak - lo);
  const mask = Uint8Array.from(ink, (v) => (v > lo ? 1 : 0));
  const minSide = Math.max(8, Math.round(0.04 * side));
  const blobs = components(mask, ink, w, h).filter((c) => c.peak >= hi && !isLineLike(c, w, h));
  const digit = pickDigit(blobs, w, h, minSide);
  if (digit.length === 0) return { found: false, reason: 'no digit found (only specks, lines or noise)' };

  // 5. Cut the digit out (nothing else survives), stretch its contrast so that the brighter half
  // of its pixels is full white (MNIST's pen strokes are mostly saturated), and frame it.
  const cut = new Float32Array(w * h);
  const values: number[] = [];
  for (const c of digit) for (const p of c.pixels) { cut[p] = raw[p]; values.push(raw[p]); }
  const ref = Math.max(quantile(values, 0.5), 1e-6);
  for (let i = 0; i < cut.length; i++) cut[i] = Math.min(1, cut[i] / ref);
  const bb = boundingBox(digit);
  const input = frame(cut, w, h, bb, size, box);
  return {
    found: true, input, polarity: dark ? 'dark-on-light' : 'light-on-dark',
    box: { x: Math.floor(bb.x0 / f), y: Math.floor(bb.y0 / f), width: Math.ceil((bb.x1 - bb.x0 + 1) / f), height: Math.ceil((bb.y1 - bb.y0 + 1) / f) },
  };
}

/**
 * gray: width·height luminance values 0–255 (row-major). Returns the size·size MNIST-style input
 * (values in [0,1], white digit on black), or null when the image holds no digit ("no digit
 * found": blank paper, lines or noise alone). findDigit says why, and where the digit was.
 * @example const x = frameDigit(gray, w, h); if (x === null) console.log('no digit found');
 */
export function frameDigit(gray: ArrayLike<number>, width: number, height: number, size = 28, box = 20): Float32Array | null {
  const r = findDigit(gray, width, height, size, box);
  return r.found ? r.input : null;
}

/**
 * Dark ink on light paper (true) or light ink on a dark background (false); see step 1. The
 * local background is a median filter over a window a tenth of the picture wide (a median keeps
 * a shadow's straight edge where it is, and ignores a stroke that covers less than half of the
 * window), computed on a 48-pixel thumbnail — cheap, and fine enough for a background.
 */
export function isDarkInk(g: Float32Array, w: number, h: number): boolean {
  const t = Math.min(1, 48 / Math.max(w, h));
  const tw = Math.max(1, Math.round(w * t)), th = Math.max(1, Math.round(h * t));
  const thumb = resample(g, w, h, 0, 0, w, h, tw, th);
  const bg = resample(medianFilter(thumb, tw, th, Math.max(2, Math.round(Math.max(tw, th) / 10))), tw, th, 0, 0, tw, th, w, h);
  const res = g.map((v, i) => v - bg[i]);
  const { med, sigma } = robustStats(res);
  // The tails beyond 3σ: noise is symmetric and light there, ink makes one side heavy.
  const cut = 3 * sigma + 0.02;
  let below = 0, above = 0;
  for (const v of res) {
    if (v - med < -cut) below += -(v - med) - cut;
    else if (v - med > cut) above += v - med - cut;
  }
  return below >= above;
}

/** Median and robust standard deviation (1.4826·MAD: σ for Gaussian noise, blind to the few ink pixels). */
function robustStats(values: Float32Array): { med: number; sigma: number } {
  const med = quantile(values, 0.5);
  return { med, sigma: 1.4826 * quantile(values.map((v) => Math.abs(v - med)), 0.5) };
}

/**
 * Ruled (and grid) lines cross the whole page; digit strokes do not. A horizontal opening of
 * length w/3 keeps only horizontal structures at least that long; rows where they reach from
 * near the left edge to near the right edge are lines, and the opening's value — the line's own
 * darkness — is subtracted there, leaving any digit stroke that crosses the line. Then columns.
 */
function removeLines(ink: Float32Array, raw: Float32Array, w: number, h: number, floor: number): void {
  for (const horizontal of [true, false]) {
    const len = horizontal ? w : h, across = horizontal ? h : w;
    if (len < 16) continue;
    const rl = Math.round(len / 6);
    const lines = horizontal ? opening(ink, w, h, rl, 0) : opening(ink, w, h, 0, rl);
    const at = (a: number, i: number): number => (horizontal ? a * w + i : i * w + a);
    const isLine = new Uint8Array(across);
    for (let a = 0; a < across; a++) {
      let first = -1, last = -1, count = 0;
      for (let i = 0; i < len; i++) if (lines[at(a, i)] > floor) { if (first < 0) first = i; last = i; count++; }
      isLine[a] = first >= 0 && first <= 0.05 * len && last >= 0.95 * len - 1 && count >= 0.7 * len ? 1 : 0;
    }
    // Include the rows just beside a line: its blurred, anti-aliased edges.
    const near = rankFilter(Float32Array.from(isLine), horizontal ? 1 : across, horizontal ? across : 1, horizontal ? 0 : 2, horizontal ? 2 : 0, 'max');
    for (let a = 0; a < across; a++) {
      if (!near[a]) continue;
      for (let i = 0; i < len; i++) {
        const p = at(a, i);
        ink[p] = Math.max(0, ink[p] - lines[p]);
        raw[p] = Math.max(0, raw[p] - lines[p]);
      }
    }
  }
}

/** What is left of a line: at least 60% of the image across and at most a twentieth of it thick. */
function isLineLike(c: Component, w: number, h: number): boolean {
  const cw = c.x1 - c.x0 + 1, ch = c.y1 - c.y0 + 1;
  return (cw >= 0.6 * w && ch <= Math.max(3, 0.05 * h)) || (ch >= 0.6 * h && cw <= Math.max(3, 0.05 * w));
}

/**
 * The digit: the blob with the most ink, favouring the centre (a photo is aimed at the digit),
 * then every other sizeable blob touching its neighbourhood (a "5" whose bar came loose, a
 * stroke broken by a ruled line). Empty when the best blob is too small to be a digit.
 */
function pickDigit(blobs: Component[], w: number, h: number, minSide: number): Component[] {
  const half = Math.hypot(w, h) / 2;
  const score = (c: Component): number => c.mass * (1 - 0.5 * Math.hypot(c.cx - w / 2, c.cy - h / 2) / half);
  let best: Component | null = null;
  for (const c of blobs) if (!best || score(c) > score(best)) best = c;
  if (!best || Math.max(best.x1 - best.x0, best.y1 - best.y0) + 1 < minSide || best.pixels.length < 20) return [];
  const chosen = [best];
  const bb = { x0: best.x0, y0: best.y0, x1: best.x1, y1: best.y1 };
  for (let grew = true; grew;) {
    grew = false;
    const m = 0.2 * Math.max(bb.x1 - bb.x0, bb.y1 - bb.y0) + 2;
    for (const c of blobs) {
      if (chosen.includes(c) || c.mass < 0.05 * best.mass) continue;
      if (c.x1 < bb.x0 - m || c.x0 > bb.x1 + m || c.y1 < bb.y0 - m || c.y0 > bb.y1 + m) continue;
      chosen.push(c);
      bb.x0 = Math.min(bb.x0, c.x0); bb.y0 = Math.min(bb.y0, c.y0); bb.x1 = Math.max(bb.x1, c.x1); bb.y1 = Math.max(bb.y1, c.y1);
      grew = true;
    }
  }
  return chosen;
}

function boundingBox(cs: Component[]): { x0: number; y0: number; x1: number; y1: number } {
  return {
    x0: Math.min(...cs.map((c) => c.x0)), y0: Math.min(...cs.map((c) => c.y0)),
    x1: Math.max(...cs.map((c) => c.x1)), y1: Math.max(...cs.map((c) => c.y1)),
  };
}

/** Scale the box so its longer side is `box` pixels, then place its centre of mass at the frame's centre. */
function frame(ink: Float32Array, w: number, h: number, bb: { x0: number; y0: number; x1: number; y1: number }, size: number, box: number): Float32Array {
  const bw = bb.x1 - bb.x0 + 1, bh = bb.y1 - bb.y0 + 1;
  const scale = box / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * scale)), th = Math.max(1, Math.round(bh * scale));
  const small = resample(ink, w, h, bb.x0, bb.y0, bw, bh, tw, th);
  let mass = 0, cx = 0, cy = 0;
  for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) {
    const v = small[y * tw + x];
    mass += v; cx += v * x; cy += v * y;
  }
  // Pixel x covers [x, x+1), so its centre is x + 0.5; the frame's centre is size/2.
  const ox = clamp(Math.round(size / 2 - (mass > 0 ? cx / mass : tw / 2) - 0.5), 0, size - tw);
  const oy = clamp(Math.round(size / 2 - (mass > 0 ? cy / mass : th / 2) - 0.5), 0, size - th);
  const out = new Float32Array(size * size);
  for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) out[(oy + y) * size + ox + x] = Math.min(1, small[y * tw + x]);
  return out;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, v));
}
