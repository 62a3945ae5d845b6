import { test } from 'node:test';
import assert from 'node:assert/strict';
import { felzenszwalb, gaussianBlur, pixelGraph, segmentGraph } from './segmentation.js';

/** A width×height image of `background`, with rectangles [x1, y1, x2, y2) painted `value`. */
function paint(width: number, height: number, background: number, rects: [number, number, number, number, number][]): Float32Array {
  const img = new Float32Array(width * height).fill(background);
  for (const [x1, y1, x2, y2, v] of rects) for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) img[y * width + x] = v;
  return img;
}

test('pixelGraph: every 8-neighbour pair once, sorted by weight on the 0–255 scale', () => {
  const w = 7, h = 5;
  const img = new Float32Array(w * h);
  for (let i = 0; i < img.length; i++) img[i] = ((i * 37) % 11) / 10;
  const g = pixelGraph(img, w, h, 0);
  // right (w−1)h + down w(h−1) + two diagonals 2(w−1)(h−1)
  assert.equal(g.w.length, (w - 1) * h + w * (h - 1) + 2 * (w - 1) * (h - 1));
  const pairs = new Set<string>();
  for (let e = 0; e < g.w.length; e++) {
    if (e > 0) assert.ok(g.w[e - 1] <= g.w[e], `edge ${e} out of order`);
    const [p, q] = [g.a[e], g.b[e]];
    assert.ok(Math.abs((p % w) - (q % w)) <= 1 && Math.abs(Math.floor(p / w) - Math.floor(q / w)) <= 1 && p !== q);
    assert.ok(Math.abs(g.w[e] - 255 * Math.abs(img[p] - img[q])) < 1e-3);
    pairs.add(`${Math.min(p, q)},${Math.max(p, q)}`);
  }
  assert.equal(pairs.size, g.w.length);
});

test('gaussianBlur keeps a constant image and spreads a point symmetrically', () => {
  const flat = gaussianBlur(new Float32Array(25).fill(0.3), 5, 5, 0.8);
  for (const v of flat) assert.ok(Math.abs(v - 0.3) < 1e-6);
  const dot = gaussianBlur(paint(9, 9, 0, [[4, 4, 5, 5, 1]]), 9, 9, 0.8);
  assert.ok(Math.abs(dot[4 * 9 + 3] - dot[4 * 9 + 5]) < 1e-7 && Math.abs(dot[3 * 9 + 4] - dot[4 * 9 + 3]) < 1e-7);
  assert.ok(dot[40] > dot[41] && dot[41] > dot[42] && dot[42] > 0);
});

test('felzenszwalb: two separated blobs on a background are three distinct components', () => {
  const W = 40, H = 30;
  const img = paint(W, H, 0.1, [[5, 5, 15, 15, 0.9], [25, 15, 35, 25, 0.9]]);
  const { labels, count } = felzenszwalb(img, W, H, { k: 100, minSize: 20 });
  const at = (x: number, y: number): number => labels[y * W + x];
  assert.equal(labels.length, W * H);
  assert.ok(count >= 3 && Math.max(...labels) === count - 1 && Math.min(...labels) === 0);
  const a = at(10, 10), b = at(30, 20), bg = at(0, 0);
  assert.ok(a !== b && a !== bg && b !== bg, `labels A ${a}, B ${b}, background ${bg}`);
  // Each blob's core is one component. (The blur turns a noise-free step into a ramp 3 px wide
  // whose rings of equal value can become thin components of their own, so the core is the blob
  // less 3 px.) The background far from the blobs is one component too.
  for (let y = 8; y < 12; y++) for (let x = 8; x < 12; x++) assert.equal(at(x, y), a);
  for (let y = 18; y < 22; y++) for (let x = 28; x < 32; x++) assert.equal(at(x, y), b);
  assert.equal(at(W - 1, 0), bg);
  assert.equal(at(0, H - 1), bg);
  // No component other than the background reaches into both blobs.
  const labelsIn = (x1: number, y1: number, x2: number, y2: number): Set<number> => {
    const s = new Set<number>();
    for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) if (at(x, y) !== bg) s.add(at(x, y));
    return s;
  };
  const inB = labelsIn(25, 15, 35, 25);
  for (const l of labelsIn(5, 5, 15, 15)) assert.ok(!inB.has(l), `component ${l} is in both blobs`);
});

test('felzenszwalb: a 1-px stroke survives minSize 0.2·k; a speck is absorbed; minSize = k dissolves the stroke', () => {
  const W = 32, H = 32;
  // A vertical stroke 1 px wide and 24 px tall (a thin "1"), and a 2×2 speck of noise.
  const img = paint(W, H, 0, [[16, 4, 17, 28, 1], [5, 24, 7, 26, 0.6]]);
  const k = 100;
  const seg = felzenszwalb(img, W, H, { k, minSize: Math.round(0.2 * k) });
  const at = (x: number, y: number): number => seg.labels[y * W + x];
  const stroke = at(16, 10), bg = at(0, 0);
  assert.notEqual(stroke, bg);
  for (let y = 4; y < 28; y++) assert.equal(at(16, y), stroke, `stroke pixel (16, ${y})`);
  assert.equal(at(5, 24), at(3, 24), 'the speck (4 px < minSize) joins its surroundings');
  // Without the small-component step the speck stays a segment of its own.
  const raw = segmentGraph(pixelGraph(img, W, H), k, 0);
  assert.notEqual(raw.labels[24 * W + 5], raw.labels[24 * W + 2]);
  // A minimum as large as k itself swallows the stroke into the paper.
  const big = felzenszwalb(img, W, H, { k, minSize: k });
  assert.equal(big.labels[10 * W + 16], big.labels[0]);
});

test('felzenszwalb: an edge joins two components only if it is weak against the inside of both', () => {
  // One pixel 0.2 (51 on the 0–255 scale) in a flat field, no blur. The field's threshold is
  // Int 0 + k/|C| ≈ 0.5, the pixel's 0 + k/1 = 100: the edge (51) is weak for the pixel alone but
  // strong for the field, so they stay apart. Checking only one side would merge them.
  const W = 15, H = 15;
  const img = paint(W, H, 0, [[7, 7, 8, 8, 0.2]]);
  const seg = felzenszwalb(img, W, H, { k: 100, sigma: 0, minSize: 0 });
  assert.equal(seg.count, 2);
  assert.notEqual(seg.labels[7 * W + 7], seg.labels[0]);
  // A fainter pixel (0.001 → 0.26 < 0.5) is within the field's own variation and joins it.
  const faint = felzenszwalb(paint(W, H, 0, [[7, 7, 8, 8, 0.001]]), W, H, { k: 100, sigma: 0, minSize: 0 });
  assert.equal(faint.count, 1);
});

test('felzenszwalb: the same image gives the same labels; bad arguments are named', () => {
  const img = new Float32Array(20 * 20);
  for (let i = 0; i < img.length; i++) img[i] = ((i * 7919) % 101) / 100;
  const a = felzenszwalb(img, 20, 20, { k: 50, minSize: 10 });
  const b = felzenszwalb(img, 20, 20, { k: 50, minSize: 10 });
  assert.deepEqual(a, b);
  assert.throws(() => felzenszwalb(img, 20, 19, { k: 50, minSize: 10 }), /image has 400 pixels, expected width × height = 20×19 = 380/);
  assert.throws(() => felzenszwalb(img, 0, 400, { k: 50, minSize: 10 }), /width and height must be positive integers, got 0×400/);
  assert.throws(() => felzenszwalb(img, 20, 20, { k: -1, minSize: 10 }), /k must be ≥ 0, got -1/);
  assert.throws(() => felzenszwalb(img, 20, 20, { k: 50, minSize: 2.5 }), /minSize must be an integer ≥ 0, got 2.5/);
});
