import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIGITS, detectionsFromScores, regressBox, regressionOffsets, scoreRegions, type RcnnHeads } from './detect.js';
import { FC_FEATURES, POOL_FEATURES } from './network.js';
import { decodeBox, type Box } from './boxes.js';
import { Random } from '../tensor/random.js';

function randomHeads(seed: number): RcnnHeads {
  const r = new Random(seed);
  const fill = (n: number, s: number) => Float32Array.from({ length: n }, () => s * (r.uniform() - 0.5));
  return { featureScale: 2, svmW: fill(DIGITS * FC_FEATURES, 1), svmB: fill(DIGITS, 1), regW: fill(DIGITS * POOL_FEATURES * 4, 0.01), regB: fill(DIGITS * 4, 0.1) };
}

test('regression offsets are pool · W_c + b_c for every class, zeros skipped or not', () => {
  const heads = randomHeads(1);
  const r = new Random(2);
  const n = 3;
  // Some features exactly 0, as after ReLU and max-pool.
  const pool = Float32Array.from({ length: n * POOL_FEATURES }, () => (r.uniform() < 0.5 ? 0 : r.uniform()));
  const offsets = regressionOffsets(heads, pool, n);
  for (let i = 0; i < n; i++) for (let c = 0; c < DIGITS; c++) for (let j = 0; j < 4; j++) {
    let t = heads.regB[c * 4 + j];
    for (let k = 0; k < POOL_FEATURES; k++) t += pool[i * POOL_FEATURES + k] * heads.regW[c * POOL_FEATURES * 4 + k * 4 + j];
    assert.ok(Math.abs(offsets[(i * DIGITS + c) * 4 + j] - t) < 1e-5, `region ${i} class ${c} offset ${j}`);
  }
  const box: Box = [10, 10, 30, 40];
  assert.deepEqual(regressBox(box, offsets, 1, 4), decodeBox(box, offsets.subarray((DIGITS + 4) * 4, (DIGITS + 4) * 4 + 4)));
});

test('SVM scores are w_c · (s·fc) + b_c; softmax scores drop the background column', () => {
  const heads = randomHeads(3);
  const fc = Float32Array.from({ length: 2 * FC_FEATURES }, (_, i) => (i % 7) / 7);
  const s = scoreRegions(heads, { fc }, 2, 'svm');
  let dot = 0;
  for (let k = 0; k < FC_FEATURES; k++) dot += heads.svmW[3 * FC_FEATURES + k] * fc[FC_FEATURES + k];
  assert.ok(Math.abs(s[DIGITS + 3] - (2 * dot + heads.svmB[3])) < 1e-4);
  const probs = Float32Array.from({ length: 2 * 11 }, (_, i) => i / 100);
  const p = scoreRegions(heads, { probs }, 2, 'softmax');
  assert.equal(p[DIGITS + 9], probs[11 + 9]);
  assert.equal(p.length, 2 * DIGITS);
});

test('detections: per-class NMS, clipping, threshold, best first, at most maxDetections', () => {
  const boxes: Box[] = [[0, 0, 20, 20], [1, 1, 21, 21], [50, 50, 70, 70], [-10, -10, 10, 10]];
  const scores = new Float32Array(4 * DIGITS).fill(-5);
  scores[0 * DIGITS + 3] = 2;   // two overlapping boxes of digit 3: only the better survives
  scores[1 * DIGITS + 3] = 1;
  scores[1 * DIGITS + 7] = 1.5; // the same region as a 7: another class, not suppressed by the 3
  scores[2 * DIGITS + 5] = 0.5;
  scores[3 * DIGITS + 1] = 3;   // partly off the canvas: clipped
  const dets = detectionsFromScores(boxes, scores, undefined, { width: 64, height: 64, regress: false, minScore: 0 });
  assert.deepEqual(dets.map((d) => [d.label, d.score]), [[1, 3], [3, 2], [7, 1.5], [5, 0.5]]);
  assert.deepEqual(dets[0].box, [0, 0, 10, 10], 'clipped at the top left');
  assert.deepEqual(dets[3].box, [50, 50, 64, 64], 'clipped at the bottom right');
  const strict = detectionsFromScores(boxes, scores, undefined, { width: 64, height: 64, regress: false, minScore: 1 });
  assert.deepEqual(strict.map((d) => d.label), [1, 3, 7], 'below minScore: left out');
  const loose = detectionsFromScores(boxes, scores, undefined, { width: 64, height: 64, regress: false, nmsIou: false, minScore: 0 });
  assert.equal(loose.filter((d) => d.label === 3).length, 2, 'without NMS both 3s stay');
  assert.equal(detectionsFromScores(boxes, scores, undefined, { width: 64, height: 64, regress: false, maxDetections: 2 }).length, 2);
});
