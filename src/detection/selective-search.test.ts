import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMnist } from '../data/mnist.js';
import { mnistDet } from './mnist-det.js';
import type { Box } from './boxes.js';
import type { Segmentation } from './segmentation.js';
import {
  FEATURE_BINS, INTENSITY_BINS, groupRegions, initialRegions, pixelFeatures, proposalStats, selectiveSearch,
} from './selective-search.js';

/** A segmentation and an image drawn from a character map: one letter per region. */
function drawn(rows: string[], intensity: Record<string, number>): { image: Float32Array; seg: Segmentation; width: number; height: number } {
  const height = rows.length, width = rows[0].length;
  const letters = [...new Set(rows.join(''))].sort();
  const labels = new Int32Array(width * height), image = new Float32Array(width * height);
  rows.forEach((row, y) => [...row].forEach((ch, x) => {
    labels[y * width + x] = letters.indexOf(ch);
    image[y * width + x] = intensity[ch];
  }));
  return { image, seg: { labels, count: letters.length }, width, height };
}

// A: a Γ-shaped stroke; B: a block inside A's box that does not touch A; C: the paper around them.
const GAMMA = [
  'CCCCCCCCCCCC',
  'CAAAAAAAACCC',
  'CACCCCCCCCCC',
  'CACCCCCCCCCC',
  'CACCCCCCCCCC',
  'CACCCBBCCCCC',
  'CACCCBBCCCCC',
  'CACCCCCCCCCC',
  'CACCCCCCCCCC',
  'CCCCCCCCCCCC',
];

test('groupRegions: adjacency comes from the label image, not from overlapping boxes', () => {
  // A and B have the same intensity (similarity 1) and B's box lies inside A's, but they do not
  // touch: only A–C and B–C are neighbours, so the first merge must involve C.
  const { image, seg, width, height } = drawn(GAMMA, { A: 1, B: 1, C: 0 });
  const start = initialRegions(seg, pixelFeatures(image, width, height));
  assert.deepEqual([...start.pairs], [0, 2, 1, 2]);
  const h = groupRegions(start, ['intensity']);
  assert.deepEqual(h.boxes.slice(0, 2), [[1, 1, 9, 9], [5, 5, 7, 7]]);
  assert.equal(h.merges.length, 4);
  assert.ok(h.merges[0] === 2 || h.merges[1] === 2, `first merge ${h.merges[0]}+${h.merges[1]} skips C`);
  assert.deepEqual(h.boxes[4], [0, 0, 12, 10]);
  // Control: let B touch A (one more A pixel bridging them) and A+B is the first merge.
  const bridged = drawn(GAMMA.map((r, y) => (y === 5 ? 'CAAAABBCCCCC' : r)), { A: 1, B: 1, C: 0 });
  const hb = groupRegions(initialRegions(bridged.seg, pixelFeatures(bridged.image, width, height)), ['intensity']);
  assert.deepEqual([...hb.merges.slice(0, 2)].sort(), [0, 1]);
});

test('groupRegions: always merges the most similar adjacent pair (size similarity: smallest pair first)', () => {
  // One row: A 3 px, B 1, C 5, D 2, E 1. Pair sizes A+B 4, B+C 6, C+D 7, D+E 3: D+E (region 5)
  // first, then A+B (6), then C+DE (8 < AB+C 9), then the rest (8).
  const { image, seg, width, height } = drawn(['AAABCCCCCDDE'], { A: 0, B: 0.2, C: 0.4, D: 0.6, E: 0.8 });
  const h = groupRegions(initialRegions(seg, pixelFeatures(image, width, height)), ['size']);
  const sorted = (m: number): number[] => [h.merges[2 * m], h.merges[2 * m + 1]].sort();
  assert.deepEqual([0, 1, 2, 3].map(sorted), [[3, 4], [0, 1], [2, 5], [6, 7]]);
  assert.deepEqual(h.boxes[7], [4, 0, 12, 1]);
});

test('initialRegions: regions touching only at a corner are adjacent (8-connected, both diagonals)', () => {
  for (const rows of [['AC', 'CB'], ['CB', 'AC'], ['CA', 'BC']]) {
    const { image, seg, width, height } = drawn(rows, { A: 1, B: 0.5, C: 0 });
    const pairs = initialRegions(seg, pixelFeatures(image, width, height)).pairs;
    const set = new Set([0, 2, 4].map((e) => `${pairs[e]},${pairs[e + 1]}`));
    assert.deepEqual(set, new Set(['0,1', '0,2', '1,2']), rows.join('/'));
  }
});

test('groupRegions: a merged histogram is the size-weighted mean, equal to the histogram of its pixels', () => {
  const rows = [
    'AAAAAAAABB',
    'AAAAAAAABB',
    'AAAACCCCBB',
    'DDDDCCCCBB',
    'DDDDCCCCEE',
  ];
  const { image, seg, width, height } = drawn(rows, { A: 0.05, B: 0.3, C: 0.62, D: 0.9, E: 0.45 });
  const features = pixelFeatures(image, width, height);
  const h = groupRegions(initialRegions(seg, features), ['intensity', 'texture', 'size', 'fill']);
  assert.equal(h.boxes.length, 2 * seg.count - 1);
  // The segments each region is made of, followed through the merges.
  const members: number[][] = [...Array(seg.count).keys()].map((r) => [r]);
  for (let m = 0; m < h.merges.length / 2; m++) members.push([...members[h.merges[2 * m]], ...members[h.merges[2 * m + 1]]]);
  for (let t = seg.count; t < h.boxes.length; t++) {
    const [i, j] = [h.merges[2 * (t - seg.count)], h.merges[2 * (t - seg.count) + 1]];
    assert.equal(h.sizes[t], h.sizes[i] + h.sizes[j]);
    // Direct count over the region's pixels.
    const direct = new Float64Array(FEATURE_BINS);
    let pixels = 0;
    for (let p = 0; p < width * height; p++) {
      if (!members[t].includes(seg.labels[p])) continue;
      pixels++;
      direct[features.intensityBin[p]]++;
      for (let o = 0; o < 8; o++) direct[INTENSITY_BINS + o * 10 + features.textureBin[p * 8 + o]]++;
    }
    assert.equal(pixels, h.sizes[t]);
    for (let b = 0; b < FEATURE_BINS; b++) {
      const weighted = (h.sizes[i] * h.histograms[i * FEATURE_BINS + b] + h.sizes[j] * h.histograms[j * FEATURE_BINS + b]) / h.sizes[t];
      const own = direct[b] / (b < INTENSITY_BINS ? pixels : 8 * pixels);
      assert.ok(Math.abs(h.histograms[t * FEATURE_BINS + b] - weighted) < 1e-6, `region ${t} bin ${b}`);
      assert.ok(Math.abs(h.histograms[t * FEATURE_BINS + b] - own) < 1e-6, `region ${t} bin ${b}: ${h.histograms[t * FEATURE_BINS + b]} vs ${own}`);
    }
  }
});

/** A noisy canvas with a few bright rectangles, for the checks that do not need MNIST. */
function toyCanvas(): Float32Array {
  const img = new Float32Array(64 * 64);
  for (let i = 0; i < img.length; i++) img[i] = ((i * 7919) % 13) / 200;
  for (const [x1, y1, x2, y2] of [[5, 5, 20, 30], [30, 10, 34, 40], [40, 44, 60, 60]]) {
    for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) img[y * 64 + x] = 0.9;
  }
  return img;
}

test('selectiveSearch: the same seed gives the same boxes; another seed reorders the same set', () => {
  const img = toyCanvas();
  const a = selectiveSearch(img, 64, 64, { seed: 3, maxProposals: Infinity });
  const b = selectiveSearch(img, 64, 64, { seed: 3, maxProposals: Infinity });
  const c = selectiveSearch(img, 64, 64, { seed: 4, maxProposals: Infinity });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.boxes, c.boxes);
  const key = (bs: Box[]): string[] => bs.map((x) => x.join(',')).sort();
  assert.deepEqual(key(a.boxes), key(c.boxes));
  // No duplicates, nothing smaller than the minimum side, the truncation obeyed.
  assert.equal(new Set(key(a.boxes)).size, a.boxes.length);
  for (const [x1, y1, x2, y2] of a.boxes) assert.ok(x2 - x1 >= 10 || y2 - y1 >= 10);
  assert.deepEqual(selectiveSearch(img, 64, 64, { seed: 3, maxProposals: 5 }).boxes, a.boxes.slice(0, 5));
  // The segmentation shown to the user is the first strategy's.
  assert.equal(a.segmentation.labels.length, 64 * 64);
  assert.equal(a.segmentation.count, a.segmentsPerStrategy[0]);
  assert.throws(() => selectiveSearch(img, 64, 64, { strategies: [] }), /strategies is empty/);
  assert.throws(() => selectiveSearch(img, 64, 64, { strategies: [{ k: 50, similarities: [] }] }), /needs k ≥ 0 and at least one similarity/);
  assert.throws(() => selectiveSearch(img, 64, 64, { maxProposals: -1 }), /maxProposals must be ≥ 0, got -1/);
});

test('proposalStats on a hand-computed case', () => {
  const s = proposalStats(
    [[[0, 0, 10, 5]], [[0, 0, 10, 10], [0, 0, 10, 8]]],
    [[[0, 0, 10, 10]], [[0, 0, 10, 10], [20, 20, 30, 30]]],
  );
  // Best overlaps: 0.5, 1, 0.
  assert.deepEqual(s, { proposalsPerImage: 1.5, recall50: 2 / 3, recall70: 1 / 3, meanBestOverlap: 0.5 });
  assert.throws(() => proposalStats([[]], []), /1 images of proposals but 0 of ground truth/);
});

test('selectiveSearch finds the digits of generated MNIST-Det canvases', () => {
  const { train, test: testSet } = loadMnist();
  const canvases = mnistDet(train, testSet, { split: 'smoke', seed: 1 }).test.slice(0, 10);
  const proposals = canvases.map((c) => selectiveSearch(c.image, c.width, c.height, { seed: 1 }).boxes);
  const stats = proposalStats(proposals, canvases.map((c) => c.boxes));
  assert.ok(stats.proposalsPerImage <= 150, `${stats.proposalsPerImage} proposals per image`);
  assert.ok(stats.recall50 >= 0.9, `recall@0.5 ${stats.recall50}`);
  assert.ok(stats.meanBestOverlap >= 0.8, `mean best overlap ${stats.meanBestOverlap}`);
});
