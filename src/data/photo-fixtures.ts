// Photo-like pictures of MNIST digits, generated from a seed (nothing binary is committed): the
// same digit on grey paper, under a lighting gradient, on noisy or ruled paper, half in a shadow,
// in chalk on a dark board, tiny or off-centre in a larger picture — and blank pictures with no
// digit at all. They test that framing a photo gives the network what MNIST gave it in training.
//
// A picture is made the way a camera sees paper: luminance = light · reflectance + sensor noise.
// The reflectance is the paper's (with its printed lines), darkened by ink where the digit is;
// the digit is the MNIST image enlarged with bilinear interpolation (smooth, like a pen stroke).
import { Random } from '../tensor/random.js';
import type { ImageDataset } from './dataset.js';

export const DIGIT_KINDS = ['grey-paper', 'gradient', 'noisy', 'lined', 'shadow', 'chalkboard', 'tiny', 'off-centre'] as const;
export const BLANK_KINDS = ['blank-plain', 'blank-gradient', 'blank-noisy', 'blank-lined', 'blank-shadow', 'blank-board'] as const;
export type FixtureKind = (typeof DIGIT_KINDS)[number] | (typeof BLANK_KINDS)[number];

export interface PhotoFixture {
  kind: FixtureKind;
  width: number;
  height: number;
  /** Luminance 0–255, row-major. */
  gray: Uint8Array;
  /** The digit shown, or null for a blank picture. */
  label: number | null;
  /** Index of the MNIST test image drawn (-1 for a blank one). */
  index: number;
}

/** perKind digit pictures of each kind (from distinct, randomly chosen test images) and blanksPerKind of each blank kind. */
export function photoFixtures(test: ImageDataset, seed: number, perKind = 30, blanksPerKind = 5): PhotoFixture[] {
  const rng = new Random(seed);
  const order = rng.shuffle(Array.from({ length: test.count }, (_, i) => i));
  const out: PhotoFixture[] = [];
  let next = 0;
  for (const kind of DIGIT_KINDS) {
    for (let k = 0; k < perKind; k++) {
      const index = order[next++];
      out.push({ ...render(kind, rng, test.images.subarray(index * 784, (index + 1) * 784)), kind, label: test.labels[index], index });
    }
  }
  for (const kind of BLANK_KINDS) for (let k = 0; k < blanksPerKind; k++) out.push({ ...render(kind, rng, null), kind, label: null, index: -1 });
  return out;
}

const between = (rng: Random, a: number, b: number): number => a + (b - a) * rng.uniform();
const smoothstep = (t: number): number => (t <= 0 ? 0 : t >= 1 ? 1 : t * t * (3 - 2 * t));

/** One picture: scene parameters drawn from rng, then luminance = light · reflectance + noise. */
function render(kind: FixtureKind, rng: Random, digit: Uint8Array | null): { width: number; height: number; gray: Uint8Array } {
  const blank = digit === null;
  const base = kind.replace('blank-', '');
  const W = Math.round(between(rng, 64, 200));
  const H = Math.round(W * between(rng, 0.75, 1.25));
  const side = Math.min(W, H);
  // The digit: MNIST's 20-pixel box enlarged to `size` pixels, centred at (cx, cy).
  let size = between(rng, 0.45, 0.8) * side;
  let cx = W / 2 + between(rng, -0.08, 0.08) * W, cy = H / 2 + between(rng, -0.08, 0.08) * H;
  if (kind === 'tiny') size = between(rng, 11, 18);
  if (kind === 'tiny' || kind === 'off-centre') {
    if (kind === 'off-centre') size = between(rng, 0.2, 0.4) * side;
    const m = (0.75 * size * 28) / 20; // keep the 28-pixel frame (scaled) inside the picture
    cx = between(rng, m, W - m);
    cy = between(rng, m, H - m);
  }
  const scale = size / 20;
  // Paper (reflectance) and ink.
  const board = base === 'chalkboard' || base === 'board';
  let paper = between(rng, 0.75, 0.95);
  if (base === 'grey-paper' || base === 'plain') paper = between(rng, 0.4, 0.75);
  if (board) paper = between(rng, 0.08, 0.3);
  const inkTone = board ? between(rng, 0.7, 0.95) : between(rng, 0.03, 0.25);
  const contrast = between(rng, 0.55, 1); // how fully the pen covers the paper
  let noise = between(rng, 0.005, 0.02);
  if (base === 'noisy' || board) noise = between(rng, 0.04, 0.09);
  // Lighting: a linear ramp (gradient), a soft-edged shadow, or nearly even light.
  const angle = between(rng, 0, 2 * Math.PI);
  const [ux, uy] = [Math.cos(angle), Math.sin(angle)];
  const ramp = base === 'gradient' ? between(rng, 0.4, 0.65) : between(rng, 0, 0.1); // light lost across the picture
  const shadow = base === 'shadow' ? between(rng, 0.35, 0.6) : 0;
  const edge = between(rng, -0.25, 0.25) * side; // where the shadow's edge crosses, relative to the centre
  const soft = between(rng, 0.03, 0.15) * side;
  // Ruled lines: every `spacing` pixels, slightly tilted; sometimes a vertical margin line.
  const lined = base === 'lined';
  const spacing = lined ? between(rng, 0.5, 0.9) * (blank ? 0.6 * side : size) : 0;
  const phase = between(rng, 0, spacing);
  const tilt = between(rng, -0.008, 0.008);
  const lineWidth = between(rng, 1, 2.2);
  const lineDark = between(rng, 0.2, 0.45);
  const margin = lined && rng.uniform() < 0.4 ? between(rng, 0.08, 0.25) * W : -100;
  // Blotchy paper or board texture: a coarse random grid, interpolated.
  const blotch = coarseNoise(rng, W, H, board ? 0.12 : base === 'noisy' ? 0.08 : 0.03);
  const gray = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    let refl = paper * (1 + blotch[y * W + x]);
    if (lined) {
      const d = (y - tilt * x - phase) / spacing;
      const off = Math.abs(d - Math.round(d)) * spacing; // distance to the nearest ruled line
      refl *= 1 - lineDark * smoothstep(1 - (off - lineWidth / 2 + 0.5));
      refl *= 1 - lineDark * smoothstep(1 - (Math.abs(x - margin) - lineWidth / 2 + 0.5));
    }
    if (!blank) {
      const a = contrast * sampleDigit(digit, (x - cx) / scale + 14, (y - cy) / scale + 14) / 255;
      refl = refl * (1 - a) + inkTone * a;
    }
    const t = ((x - W / 2) * ux + (y - H / 2) * uy) / side; // position along the light's direction
    let light = 1 - ramp * (t + 0.5);
    if (shadow > 0) light *= 1 - shadow * smoothstep((t * side - edge) / soft + 0.5);
    gray[y * W + x] = Math.round(255 * Math.min(1, Math.max(0, light * refl + noise * rng.normal())));
  }
  return { width: W, height: H, gray };
}

/** The 28×28 MNIST image at a real-valued position, bilinearly interpolated (0 outside). */
function sampleDigit(d: Uint8Array, u: number, v: number): number {
  const x = u - 0.5, y = v - 0.5;
  const x0 = Math.floor(x), y0 = Math.floor(y);
  if (x0 < -1 || y0 < -1 || x0 > 27 || y0 > 27) return 0;
  const at = (i: number, j: number): number => (i < 0 || j < 0 || i > 27 || j > 27 ? 0 : d[j * 28 + i]);
  const ax = x - x0, ay = y - y0;
  return (1 - ay) * ((1 - ax) * at(x0, y0) + ax * at(x0 + 1, y0)) + ay * ((1 - ax) * at(x0, y0 + 1) + ax * at(x0 + 1, y0 + 1));
}

/** Smooth random variation of amplitude amp: uniform values on a 5×5 grid, interpolated bilinearly. */
function coarseNoise(rng: Random, W: number, H: number, amp: number): Float32Array {
  const n = 5;
  const grid = Array.from({ length: n * n }, () => between(rng, -amp, amp));
  const out = new Float32Array(W * H);
  for (let y = 0; y < H; y++) {
    const gy = (y / H) * (n - 1), iy = Math.min(n - 2, Math.floor(gy)), ay = gy - iy;
    for (let x = 0; x < W; x++) {
      const gx = (x / W) * (n - 1), ix = Math.min(n - 2, Math.floor(gx)), ax = gx - ix;
      out[y * W + x] = (1 - ay) * ((1 - ax) * grid[iy * n + ix] + ax * grid[iy * n + ix + 1]) + ay * ((1 - ax) * grid[(iy + 1) * n + ix] + ax * grid[(iy + 1) * n + ix + 1]);
    }
  }
  return out;
}
