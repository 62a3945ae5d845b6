// From region scores to detections: R-CNN's test time (section 2.2).
//
// Every region gets a score per class (an SVM's margin, or the fine-tuned softmax probability);
// class-specific box regression moves each box; boxes are clipped to the image; per class,
// greedy non-maximum suppression keeps a box unless a better-scoring one of the same class
// overlaps it by IoU > 0.3; at most 100 detections per image survive, best first.
import { clipBox, decodeBox, nms, type Box } from './boxes.js';
import { FC_FEATURES, POOL_FEATURES, type WindowFeatures } from './network.js';

export const DIGITS = 10;

export interface Detection {
  label: number;
  score: number;
  /** [x1, y1, x2, y2) in the image's pixels. */
  box: Box;
}

/** What R-CNN learns on top of the CNN: per-class SVMs and box regressors. */
export interface RcnnHeads {
  /** fc features are multiplied by this before the SVMs (the paper scales them to mean norm 20). */
  featureScale: number;
  /** DIGITS × FC_FEATURES weights and DIGITS biases. */
  svmW: Float32Array;
  svmB: Float32Array;
  /** DIGITS × POOL_FEATURES × 4 weights and DIGITS × 4 biases: pool features → (tx, ty, tw, th). */
  regW: Float32Array;
  regB: Float32Array;
}

export type Scorer = 'svm' | 'softmax';

/**
 * Scores (n × DIGITS) of n regions: SVM margins w_c·(s·fc) + b_c, or the softmax probabilities of
 * the digit classes (the background column is dropped).
 */
export function scoreRegions(heads: RcnnHeads, f: WindowFeatures, n: number, scorer: Scorer): Float32Array {
  const out = new Float32Array(n * DIGITS);
  if (scorer === 'softmax') {
    const probs = f.probs!;
    const classes = probs.length / n;
    for (let i = 0; i < n; i++) for (let c = 0; c < DIGITS; c++) out[i * DIGITS + c] = probs[i * classes + c];
    return out;
  }
  const fc = f.fc!;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < DIGITS; c++) {
      let s = 0;
      for (let k = 0; k < FC_FEATURES; k++) s += heads.svmW[c * FC_FEATURES + k] * fc[i * FC_FEATURES + k];
      out[i * DIGITS + c] = heads.featureScale * s + heads.svmB[c];
    }
  }
  return out;
}

/**
 * Box-regression offsets of n regions for every digit: (n × DIGITS × 4) values (tx, ty, tw, th),
 * t = pool · W_c + b_c. One pass over the features for all classes; most pool features are 0
 * (they come through a ReLU and a max-pool), and those are skipped.
 */
export function regressionOffsets(heads: RcnnHeads, pool: Float32Array, n: number): Float32Array {
  const K = DIGITS * 4;
  // regW is stored class by class (c, k, j); regroup it as one (POOL_FEATURES × K) matrix.
  const W = new Float32Array(POOL_FEATURES * K);
  for (let c = 0; c < DIGITS; c++) for (let k = 0; k < POOL_FEATURES; k++) for (let j = 0; j < 4; j++) W[k * K + c * 4 + j] = heads.regW[c * POOL_FEATURES * 4 + k * 4 + j];
  const out = new Float32Array(n * K);
  const acc = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    acc.set(heads.regB);
    for (let k = 0; k < POOL_FEATURES; k++) {
      const v = pool[i * POOL_FEATURES + k];
      if (v === 0) continue;
      for (let m = 0; m < K; m++) acc[m] += v * W[k * K + m];
    }
    out.set(acc, i * K);
  }
  return out;
}

/** Region i's box moved by its offsets for digit c (offsets from regressionOffsets). */
export function regressBox(box: Readonly<Box>, offsets: Float32Array, i: number, c: number): Box {
  return decodeBox(box, offsets.subarray((i * DIGITS + c) * 4, (i * DIGITS + c) * 4 + 4));
}

export interface DetectOptions {
  width: number;
  height: number;
  /** Apply the class-specific box regression (needs `offsets`). */
  regress: boolean;
  /** Non-maximum suppression IoU (0.3); Infinity or false turns it off (the experiment's "before NMS"). */
  nmsIou?: number | false;
  maxDetections?: number;
  /** Regions scoring below this for a class are not considered for it. */
  minScore?: number;
}

/** The detections of one image from its regions' boxes, scores and (for regression) regression offsets. */
export function detectionsFromScores(boxes: ReadonlyArray<Readonly<Box>>, scores: Float32Array, offsets: Float32Array | undefined, o: DetectOptions): Detection[] {
  const all: Detection[] = [];
  const minScore = o.minScore ?? -Infinity;
  for (let c = 0; c < DIGITS; c++) {
    const cand: Box[] = [];
    const candScores: number[] = [];
    boxes.forEach((b, i) => {
      const s = scores[i * DIGITS + c];
      if (!(s >= minScore)) return;
      const moved = o.regress ? regressBox(b, offsets!, i, c) : b;
      const clipped = clipBox(moved, o.width, o.height);
      if (clipped[2] <= clipped[0] || clipped[3] <= clipped[1]) return;
      cand.push(clipped);
      candScores.push(s);
    });
    const keep = o.nmsIou === false ? cand.map((_, i) => i) : nms(cand, candScores, o.nmsIou ?? 0.3);
    for (const k of keep) all.push({ label: c, score: candScores[k], box: cand[k] });
  }
  all.sort((a, b) => b.score - a.score);
  return all.slice(0, o.maxDetections ?? 100);
}

