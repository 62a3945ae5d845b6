// VOC-style average precision on tiny cases computed by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Box } from './boxes.js';
import { averagePrecision, evaluateDetections, formatApTable, type Detection, type ImageGroundTruth } from './evaluate.js';

const close = (a: number | null, b: number, what: string): void => {
  assert.ok(a !== null && Math.abs(a - b) < 1e-12, `${what}: ${a}, expected ${b}`);
};
const det = (box: Box, score: number, label = 0): Detection => ({ box, label, score });
const A: Box = [0, 0, 10, 10], B: Box = [50, 50, 60, 60], C: Box = [20, 20, 30, 30];

test('ap: a perfect detector scores 1', () => {
  const gt: ImageGroundTruth[] = [{ boxes: [A, B], labels: [0, 1] }, { boxes: [C], labels: [0] }];
  const dets = [[det(A, 0.9), det(B, 0.8, 1)], [det(C, 0.7)]];
  const r = evaluateDetections(dets, gt, { classes: 2 });
  close(r.mAP, 1, 'mAP');
  close(r.mAP11, 1, 'mAP11');
  assert.equal(r.classes[0].groundTruth, 2);
  assert.equal(r.classes[0].truePositives, 2);
});

test('ap: a false positive ranked first halves the precision', () => {
  // Ranking: FP (0.9), TP (0.8). precision = [0, 1/2], recall = [0, 1].
  // All-point: envelope [1/2, 1/2]; recall rises 0 → 1 at rank 2: AP = 1·1/2.
  const r = evaluateDetections([[det(B, 0.9), det(A, 0.8)]], [{ boxes: [A], labels: [0] }], { classes: 1 });
  close(r.classes[0].ap, 0.5, 'AP');
  close(r.classes[0].ap11, 0.5, 'AP11');
  assert.deepEqual([...r.classes[0].precision], [0, 0.5]);
});

test('ap: 11-point and all-point differ on TP, FP, TP with two ground-truth boxes', () => {
  // Ranking: TP (0.9), FP (0.8), TP (0.7); 2 ground-truth boxes.
  //   precision = [1, 1/2, 2/3]   recall = [1/2, 1/2, 1]
  // All-point: envelope [1, 2/3, 2/3]; recall rises by 1/2 at rank 1 (p̂ = 1) and by 1/2 at
  //   rank 3 (p̂ = 2/3): AP = 1/2 + 1/3 = 5/6 ≈ 0.8333.
  // 11-point: t = 0 … 0.5 (6 points) reach rank 1, max precision 1; t = 0.6 … 1 (5 points)
  //   only rank 3, precision 2/3: AP11 = (6 + 5·2/3) / 11 = 28/33 ≈ 0.8485.
  const gt = [{ boxes: [A, C], labels: [0, 0] }];
  const r = evaluateDetections([[det(A, 0.9), det(B, 0.8), det(C, 0.7)]], gt, { classes: 1 });
  close(r.classes[0].ap, 5 / 6, 'AP');
  close(r.classes[0].ap11, 28 / 33, 'AP11');
  close(averagePrecision([0.5, 0.5, 1], [1, 0.5, 2 / 3], '11-point'), 28 / 33, 'averagePrecision 11-point');
  close(averagePrecision([], [], 'all-point'), 0, 'empty curve');
  // FP, TP, TP: precision [0, 1/2, 2/3], recall [0, 1/2, 1]. The envelope lifts rank 2's 1/2 to
  // the 2/3 reached later: AP = 1/2·2/3 + 1/2·2/3 = 2/3 (the raw curve would give 7/12).
  close(averagePrecision([0, 0.5, 1], [0, 0.5, 2 / 3]), 2 / 3, 'all-point envelope');
});

test('ap: a duplicate detection of a matched box is a false positive', () => {
  // Two boxes; A detected twice (0.9, 0.8), C once (0.7): TP, FP, TP — the same curve as above.
  // Were the duplicate a TP, recall would reach 1 at rank 2 and double-count A.
  const gt = [{ boxes: [A, C], labels: [0, 0] }];
  const r = evaluateDetections([[det(A, 0.9), det([0, 0, 10, 9], 0.8), det(C, 0.7)]], gt, { classes: 1 });
  assert.equal(r.classes[0].truePositives, 2);
  close(r.classes[0].ap, 5 / 6, 'AP');
});

test('ap: ties in score are broken by image index, then by position in the image', () => {
  // Equal scores: an FP in image 0 and a TP in image 1. Image order puts the FP first:
  // precision [0, 1/2] → AP 1/2. Swapping the images swaps the order → AP 1.
  const gt: ImageGroundTruth[] = [{ boxes: [], labels: [] }, { boxes: [A], labels: [0] }];
  const r = evaluateDetections([[det(A, 0.5)], [det(A, 0.5)]], gt, { classes: 1 });
  close(r.classes[0].ap, 0.5, 'AP, FP first');
  const swapped = evaluateDetections([[det(A, 0.5)], [det(A, 0.5)]], [gt[1], gt[0]], { classes: 1 });
  close(swapped.classes[0].ap, 1, 'AP, TP first');
  // Within one image the earlier detection goes first.
  const one = evaluateDetections([[det(B, 0.5), det(A, 0.5)]], [{ boxes: [A], labels: [0] }], { classes: 1 });
  close(one.classes[0].ap, 0.5, 'AP, same image');
});

test('ap: a detection takes the unmatched box with the highest IoU, not the first', () => {
  // Boxes P = [0,0,10,10) and Q = [1,0,11,10) overlap (IoU 90/110 ≈ 0.82). Threshold 0.7.
  // Detection 1 = Q exactly: IoU 0.82 with P, 1 with Q → takes Q.
  // Detection 2 = [−1,0,9,10): IoU 0.82 with P, 80/120 ≈ 0.67 with Q → only P qualifies.
  // Taking the first qualifying box instead would give P to detection 1 and leave detection 2 a FP.
  const P: Box = [0, 0, 10, 10], Q: Box = [1, 0, 11, 10];
  const r = evaluateDetections([[det(Q, 0.9), det([-1, 0, 9, 10], 0.8)]], [{ boxes: [P, Q], labels: [0, 0] }], { classes: 1, iouThreshold: 0.7 });
  close(r.classes[0].ap, 1, 'AP');
});

test('ap: a class without ground truth has AP null and stays out of mAP', () => {
  // Class 0: perfect (AP 1). Class 1: FP then TP (AP 1/2). Class 2: no ground truth, one detection.
  const gt = [{ boxes: [A, B], labels: [0, 1] }];
  const dets = [[det(A, 0.9), det(C, 0.9, 1), det(B, 0.8, 1), det(C, 0.3, 2)]];
  const r = evaluateDetections(dets, gt, { classes: 3 });
  assert.equal(r.classes[2].ap, null);
  assert.equal(r.classes[2].ap11, null);
  assert.equal(r.classes[2].detections, 1);
  close(r.mAP, 0.75, 'mAP over classes 0 and 1');
  const none = evaluateDetections([[]], [{ boxes: [], labels: [] }], { classes: 2 });
  assert.equal(none.mAP, null);
  // A class with ground truth but no detection has AP 0 and counts.
  const missed = evaluateDetections([[det(A, 0.9)]], [{ boxes: [A, B], labels: [0, 1] }], { classes: 2 });
  close(missed.classes[1].ap, 0, 'AP of a missed class');
  close(missed.mAP, 0.5, 'mAP with a missed class');
  // IoU below the threshold is a miss: [0,0,10,10) vs [5,0,15,10) is 50/150 = 1/3.
  close(evaluateDetections([[det([5, 0, 15, 10], 1)]], [{ boxes: [A], labels: [0] }], { classes: 1 }).mAP, 0, 'IoU 1/3');
});

test('ap: the table shows every class, — for no ground truth, and mAP', () => {
  const r = evaluateDetections([[det(A, 0.9)]], [{ boxes: [A], labels: [0] }], { classes: 2 });
  const lines = formatApTable(r, ['zero', 'one']).split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0], /^class\s+AP\s+AP11\s+GT\s+det$/);
  assert.match(lines[1], /^zero\s+1\.000\s+1\.000\s+1\s+1$/);
  assert.match(lines[2], /^one\s+—\s+—\s+0\s+0$/);
  assert.match(lines[3], /^mAP@0\.5\s+1\.000\s+1\.000$/);
});

test('ap: bad input names the argument', () => {
  const gt = [{ boxes: [A], labels: [0] }];
  assert.throws(() => evaluateDetections([], gt), /detections for 0 images but ground truth for 1/);
  assert.throws(() => evaluateDetections([[det(A, 1, 10)]], gt), /detection 0 of image 0 has label 10; expected an integer in \[0, 10\)/);
  assert.throws(() => evaluateDetections([[]], [{ boxes: [A], labels: [] }]), /image 0 has 1 boxes but 0 labels/);
  assert.throws(() => evaluateDetections([[det(A, NaN)]], gt), /score NaN/);
  assert.throws(() => averagePrecision([1], [1, 1]), /1 recall values but 2 precision values/);
});
