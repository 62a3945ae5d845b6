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

/** Box regression of region i (pool features at row i of `pool`) for class c. */
export function regressBox(heads: RcnnHeads, box: Readonly<Box>, pool: Float32Array, i: number, c: number): Box {
  const t = [0, 0, 0, 0];
  for (let j = 0; j < 4; j++) {
    let s = heads.regB[c * 4 + j];
    const w = c * POOL_FEATURES * 4;
    for (let k = 0; k < POOL_FEATURES; k++) s += pool[i * POOL_FEATURES + k] * heads.regW[w + k * 4 + j];
    t[j] = s;
  }
  return decodeBox(box, t);
}

export interface DetectOptions {
  width: number;
  height: number;
  /** Apply the class-specific box regression (needs pool features). */
  regress: boolean;
  /** Non-maximum suppression IoU (0.3); Infinity or false turns it off (the experiment's "before NMS"). */
  nmsIou?: number | false;
  maxDetections?: number;
  /** Regions scoring below this for a class are not considered for it. */
  minScore?: number;
}

/** The detections of one image from its regions' boxes, scores and (for regression) pool features. */
export function detectionsFromScores(heads: RcnnHeads, boxes: ReadonlyArray<Readonly<Box>>, scores: Float32Array, pool: Float32Array | undefined, o: DetectOptions): Detection[] {
  const all: Detection[] = [];
  const minScore = o.minScore ?? -Infinity;
  for (let c = 0; c < DIGITS; c++) {
    const cand: Box[] = [];
    const candScores: number[] = [];
    boxes.forEach((b, i) => {
      const s = scores[i * DIGITS + c];
      if (!(s >= minScore)) return;
      const moved = o.regress ? regressBox(heads, b, pool!, i, c) : b;
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

