// Detection evaluation the PASCAL VOC way: average precision (AP) per class and its mean (mAP).
//
// Per class, every detection of that class over all images is ranked by score, best first. Going
// down the list, a detection is a true positive if it overlaps a not-yet-matched ground-truth box
// of its class in its image by IoU ≥ threshold (it takes the one with the highest IoU), otherwise
// a false positive, including a second detection of an already matched box (a duplicate: NMS's
// job was to remove it). After the r best detections:
//   precision(r) = TP(r) / r        recall(r) = TP(r) / (number of ground-truth boxes)
// AP summarises the precision–recall curve in one number; see averagePrecision.
import { iou, type Box } from './boxes.js';

export type ApMode = 'all-point' | '11-point';

/**
 * Area under the precision–recall curve, VOC style. recall and precision are the curve point by
 * point down the ranking (recall non-decreasing).
 * - 'all-point' (VOC2010 onward): replace precision by its envelope p̂(r) = max precision at any
 *   recall ≥ r (monotone non-increasing, which removes the zig-zag) and sum the exact area
 *   Σ (rᵢ − rᵢ₋₁)·p̂(rᵢ) over the points where recall rises (r₀ = 0).
 * - '11-point' (VOC2007): the mean over t = 0, 0.1, …, 1 of the largest precision at any recall
 *   ≥ t (0 if recall never reaches t).
 * An empty curve has AP 0.
 */
export function averagePrecision(recall: ArrayLike<number>, precision: ArrayLike<number>, mode: ApMode = 'all-point'): number {
  if (recall.length !== precision.length) {
    throw new Error(`averagePrecision: ${recall.length} recall values but ${precision.length} precision values; expected one of each per rank`);
  }
  const n = recall.length;
  if (mode === '11-point') {
    let sum = 0;
    for (let i = 0; i <= 10; i++) {
      const t = i / 10; // NOTE: i / 10, not a running t += 0.1, so t = 0.3 compares equal to 3/10.
      let best = 0;
      for (let r = 0; r < n; r++) if (recall[r] >= t && precision[r] > best) best = precision[r];
      sum += best;
    }
    return sum / 11;
  }
  if (mode !== 'all-point') throw new Error(`averagePrecision: mode must be 'all-point' or '11-point', got '${mode}'`);
  // Envelope from the right: env[r] = max(precision[r], env[r + 1]).
  const env = Float64Array.from(precision);
  for (let r = n - 2; r >= 0; r--) env[r] = Math.max(env[r], env[r + 1]);
  let ap = 0, prev = 0;
  for (let r = 0; r < n; r++) {
    if (recall[r] !== prev) {
      ap += (recall[r] - prev) * env[r];
      prev = recall[r];
    }
  }
  return ap;
}

export interface Detection {
  box: Box;
  label: number;
  score: number;
}

export interface ImageGroundTruth {
  boxes: Box[];
  labels: number[];
}

export interface ClassResult {
  label: number;
  /** All-point AP; null when the class has no ground-truth box (AP is undefined). */
  ap: number | null;
  /** 11-point AP (VOC2007); null likewise. */
  ap11: number | null;
  /** Ground-truth boxes of this class over all images. */
  groundTruth: number;
  /** Detections of this class over all images. */
  detections: number;
  truePositives: number;
  /** The curve, one point per ranked detection (for plots). */
  recall: Float64Array;
  precision: Float64Array;
}

export interface EvaluationResult {
  iouThreshold: number;
  classes: ClassResult[];
  /** Mean all-point AP over the classes that have ground truth; null if none has. */
  mAP: number | null;
  /** Mean 11-point AP over the same classes. */
  mAP11: number | null;
}

export interface EvaluateOptions {
  /** Minimum IoU for a match; default 0.5. */
  iouThreshold?: number;
  /** Labels are 0 … classes − 1; default 10. */
  classes?: number;
}

/**
 * VOC evaluation of detections (per image) against ground truth (per image, same order).
 * Per class: detections sorted by score, best first; ties in score are broken by image index,
 * then by position in that image's list (both ascending), so the result never depends on the
 * sort's whims. Each is matched to the unmatched ground-truth box of its class in its image with
 * the highest IoU ≥ iouThreshold (equal IoUs: the earlier box), else it is a false positive.
 * A class without ground truth gets ap = ap11 = null and is left out of mAP: its AP is undefined
 * (recall has no denominator), and counting it as 0 or 1 would move mAP by a guess. Example:
 *   const { mAP, classes } = evaluateDetections(dets, gts, { iouThreshold: 0.5, classes: 10 });
 */
export function evaluateDetections(
  detections: ReadonlyArray<ReadonlyArray<Detection>>,
  groundTruth: ReadonlyArray<ImageGroundTruth>,
  options: EvaluateOptions = {},
): EvaluationResult {
  const { iouThreshold = 0.5, classes = 10 } = options;
  if (detections.length !== groundTruth.length) {
    throw new Error(`evaluateDetections: detections for ${detections.length} images but ground truth for ${groundTruth.length}; expected one entry per image in both`);
  }
  if (!Number.isInteger(classes) || classes < 1) throw new Error(`evaluateDetections: classes must be a positive integer, got ${classes}`);
  if (!(iouThreshold > 0 && iouThreshold <= 1)) throw new Error(`evaluateDetections: iouThreshold must be in (0, 1], got ${iouThreshold}`);
  const checkLabel = (label: number, where: string): void => {
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new Error(`evaluateDetections: ${where} has label ${label}; expected an integer in [0, ${classes})`);
    }
  };

  // Ground-truth count per class, and detections grouped by class as [image, index] pairs.
  const gtCount = new Array<number>(classes).fill(0);
  groundTruth.forEach((g, img) => {
    if (g.boxes.length !== g.labels.length) {
      throw new Error(`evaluateDetections: ground truth of image ${img} has ${g.boxes.length} boxes but ${g.labels.length} labels`);
    }
    g.labels.forEach((l, j) => { checkLabel(l, `ground-truth box ${j} of image ${img}`); gtCount[l]++; });
  });
  const byClass: Array<Array<{ img: number; idx: number; score: number }>> = Array.from({ length: classes }, () => []);
  detections.forEach((list, img) => list.forEach((det, idx) => {
    checkLabel(det.label, `detection ${idx} of image ${img}`);
    if (Number.isNaN(det.score)) throw new Error(`evaluateDetections: detection ${idx} of image ${img} has score NaN; expected a number`);
    byClass[det.label].push({ img, idx, score: det.score });
  }));

  const results: ClassResult[] = [];
  for (let c = 0; c < classes; c++) {
    const dets = byClass[c].sort((a, b) => b.score - a.score || a.img - b.img || a.idx - b.idx);
    const matched = groundTruth.map((g) => new Uint8Array(g.boxes.length));
    const recall = new Float64Array(dets.length), precision = new Float64Array(dets.length);
    let tp = 0;
    dets.forEach((d, r) => {
      const g = groundTruth[d.img], box = detections[d.img][d.idx].box;
      let best = -1, bestIou = -Infinity;
      for (let j = 0; j < g.boxes.length; j++) {
        if (g.labels[j] !== c || matched[d.img][j]) continue;
        const o = iou(box, g.boxes[j]);
        if (o >= iouThreshold && o > bestIou) { best = j; bestIou = o; }
      }
      if (best >= 0) { matched[d.img][best] = 1; tp++; }
      precision[r] = tp / (r + 1);
      recall[r] = gtCount[c] > 0 ? tp / gtCount[c] : 0;
    });
    const has = gtCount[c] > 0;
    results.push({
      label: c,
      ap: has ? averagePrecision(recall, precision, 'all-point') : null,
      ap11: has ? averagePrecision(recall, precision, '11-point') : null,
      groundTruth: gtCount[c], detections: dets.length, truePositives: tp, recall, precision,
    });
  }
  const scored = results.filter((r) => r.ap !== null);
  const mean = (key: 'ap' | 'ap11'): number | null =>
    scored.length === 0 ? null : scored.reduce((s, r) => s + (r[key] as number), 0) / scored.length;
  return { iouThreshold, classes: results, mAP: mean('ap'), mAP11: mean('ap11') };
}

/**
 * The per-class AP table for the command line, e.g.
 *   class   AP     AP11   GT  det
 *   0       0.950  0.932  40  120
 *   …
 *   mAP@0.5 0.912  0.900
 * A class without ground truth shows "—" and is not in the mean.
 */
export function formatApTable(result: EvaluationResult, classNames?: ReadonlyArray<string>): string {
  const fmt = (v: number | null): string => (v === null ? '—' : v.toFixed(3));
  const name = (c: number): string => classNames?.[c] ?? String(c);
  const rows = [['class', 'AP', 'AP11', 'GT', 'det']];
  for (const r of result.classes) rows.push([name(r.label), fmt(r.ap), fmt(r.ap11), String(r.groundTruth), String(r.detections)]);
  rows.push([`mAP@${result.iouThreshold}`, fmt(result.mAP), fmt(result.mAP11), '', '']);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}
