// The image operations behind digit finding, against brute-force definitions, and rgbaToGray.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../tensor/random.js';
import { boxBlur, components, opening, quantile, rankFilter, resample } from './image-ops.js';
import { rgbaToGray } from './preprocess.js';

function randomImage(w: number, h: number, seed: number): Float32Array {
  const rng = new Random(seed);
  return Float32Array.from({ length: w * h }, () => Math.round(rng.uniform() * 20) / 20); // ties on purpose
}

test('rankFilter and boxBlur match brute-force windows clipped at the border (awkward sizes)', () => {
  for (const [w, h, rx, ry] of [[1, 1, 1, 1], [7, 3, 2, 1], [13, 11, 3, 5], [5, 17, 0, 4], [9, 9, 10, 10]]) {
    const src = randomImage(w, h, w * 100 + h);
    const min = rankFilter(src, w, h, rx, ry, 'min'), max = rankFilter(src, w, h, rx, ry, 'max');
    const blur = boxBlur(src, w, h, rx);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      let lo = Infinity, hi = -Infinity, sum = 0, n = 0;
      for (let yy = Math.max(0, y - ry); yy <= Math.min(h - 1, y + ry); yy++) {
        for (let xx = Math.max(0, x - rx); xx <= Math.min(w - 1, x + rx); xx++) { lo = Math.min(lo, src[yy * w + xx]); hi = Math.max(hi, src[yy * w + xx]); }
      }
      for (let yy = Math.max(0, y - rx); yy <= Math.min(h - 1, y + rx); yy++) {
        for (let xx = Math.max(0, x - rx); xx <= Math.min(w - 1, x + rx); xx++) { sum += src[yy * w + xx]; n++; }
      }
      assert.equal(min[y * w + x], lo, `min ${w}×${h} r=(${rx},${ry}) at (${x},${y})`);
      assert.equal(max[y * w + x], hi, `max ${w}×${h} r=(${rx},${ry}) at (${x},${y})`);
      assert.ok(Math.abs(blur[y * w + x] - sum / n) < 1e-6, `blur ${w}×${h} r=${rx} at (${x},${y})`);
    }
  }
});

test('quantile matches sorting', () => {
  for (const n of [1, 2, 7, 100, 1001]) {
    const v = randomImage(n, 1, n);
    const sorted = Array.from(v).sort((a, b) => a - b);
    for (const q of [0, 0.1, 0.5, 0.9, 1]) assert.equal(quantile(v, q), sorted[Math.round(q * (n - 1))], `n=${n} q=${q}`);
  }
});

test('opening removes a thin bright stroke and keeps a lighting ramp, also at the border', () => {
  const w = 40, h = 30;
  const ramp = Float32Array.from({ length: w * h }, (_, i) => 0.2 + 0.6 * ((i % w) / (w - 1)) * ((Math.floor(i / w)) / (h - 1)));
  const withStroke = ramp.map((v, i) => (i % w === 20 ? v + 0.5 : v)); // a 1-pixel vertical stroke
  const bg = opening(withStroke, w, h, 4, 4);
  for (let i = 0; i < w * h; i++) assert.ok(Math.abs(bg[i] - ramp[i]) < 0.07, `pixel ${i}: background ${bg[i]} vs ramp ${ramp[i]}`);
  // The corner where the ramp is brightest is kept (a clipped window would shave it like a stroke).
  assert.ok(Math.abs(bg[w * h - 1] - ramp[w * h - 1]) < 1e-6);
});

test('components: 8-connected, with bounding box and weighted mass', () => {
  const w = 6, h = 4;
  const mask = Uint8Array.from([
    1, 0, 0, 0, 1, 1,
    0, 1, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0,
    0, 0, 1, 1, 0, 0,
  ]);
  const cs = components(mask, Float32Array.from(mask, (m) => m * 2), w, h);
  assert.deepEqual(cs.map((c) => [c.x0, c.y0, c.x1, c.y1, c.pixels.length, c.mass]), [[0, 0, 1, 1, 2, 4], [4, 0, 5, 0, 2, 4], [2, 3, 3, 3, 2, 4]]);
});

test('resample: shrinking averages areas, enlarging interpolates smoothly', () => {
  const src = Float32Array.from([0, 1, 1, 0, 0, 1, 1, 0]); // 4×2
  assert.deepEqual(Array.from(resample(src, 4, 2, 0, 0, 4, 2, 2, 1)), [0.5, 0.5]);
  const up = resample(Float32Array.from([0, 1]), 2, 1, 0, 0, 2, 1, 4, 1);
  assert.deepEqual(Array.from(up), [0, 0.25, 0.75, 1]);
});

test('rgbaToGray: BT.601 luminance, transparent pixels are white paper', () => {
  const rgba = Uint8Array.from([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 0, 0, 0, 0, 0, 0, 0, 128]);
  assert.deepEqual(Array.from(rgbaToGray(rgba, 5, 1)), [76, 150, 29, 255, 127]);
  assert.throws(() => rgbaToGray(rgba, 2, 2), /rgbaToGray: rgba has 20 bytes, expected 4·2·2 = 16/);
});
