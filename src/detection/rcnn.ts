// R-CNN (Girshick et al., CVPR 2014), every stage from scratch, on MNIST-Det.
//
//   1. proposals      selective search: ~150 class-agnostic regions per image
//   2. pre-training   the CNN learns digits from whole MNIST images
//   3. fine-tuning    the CNN learns digits + background from warped proposals
//   4. features       every region's "fc" (SVM) and "pool" (box regression) features
//   5. SVMs           one linear SVM per digit on fc features, with hard-negative mining
//   6. box regression one ridge regressor per digit from pool features to (tx, ty, tw, th)
//   7. test time      score every region, move its box, per-class NMS (detect.ts)
// Each stage is a function of its own file; this one runs them in order, times them, and keeps
// what a model file needs.
import { Random } from '../tensor/random.js';
import { manualSeed } from '../tensor/random.js';
import type { ImageDataset } from '../data/dataset.js';
import type { Sequential } from '../nn/layers.js';
import type { Box } from './boxes.js';
import { encodeBox, iou as iouOf } from './boxes.js';
import type { DetCanvas, MnistDetSplits } from './mnist-det.js';
import { collectRegions, maxIouWithClass, type RegionSet } from './regions.js';
import { finetune, pretrain } from './finetune.js';
import { FC_FEATURES, POOL_FEATURES, windowFeatures, type WindowFeatures } from './network.js';
import { DIGITS, detectionsFromScores, regressBox, regressionOffsets, scoreRegions, type Detection, type RcnnHeads, type Scorer } from './detect.js';
import { selectiveSearch } from './selective-search.js';
import { trainSvmHardNegatives } from './svm.js';
import { fitRidge } from './ridge.js';
import { evaluateDetections, type EvaluationResult } from './evaluate.js';

export interface RcnnOptions {
  seed?: number;
  pretrainEpochs?: number;
  finetuneIterations?: number;
  /** SVM regularization constants tried; the one with the best validation mAP@0.5 is kept. */
  svmC?: number[];
  ridgeLambda?: number;
  /** Computes one canvas's proposals (default: selective search). */
  propose?: (c: DetCanvas) => Box[];
  onStage?: (stage: string) => void;
  onProgress?: (stage: string, done: number, total: number) => void;
}

/** What a trained R-CNN is: the fine-tuned CNN and the heads on top of it. */
export interface Rcnn {
  net: Sequential;
  heads: RcnnHeads;
  /** The detection score above which `detect` reports a detection, chosen on the validation canvases. */
  threshold: Record<Scorer, number>;
  svmC: number;
}

export interface RcnnRun {
  rcnn: Rcnn;
  stageSeconds: Record<string, number>;
  proposals: { train: Box[][]; val: Box[][]; test: Box[][] };
}

/**
 * How long each split trains: the full split's settings are the README's; the smoke split (for
 * tests) pre-trains on 3,000 digits and fine-tunes for a twentieth of the steps (mAP@0.5 0.77 with
 * seed 1, as with 5,000 digits and 300 steps; ~17 s instead of ~21 here).
 */
export const RECIPES = {
  full: { pretrainDigits: 50000, finetuneIterations: 3000 },
  smoke: { pretrainDigits: 3000, finetuneIterations: 150 },
} as const;

/** The digits to pre-train on: the first training digits, never the validation canvases' (50,000 on). */
export function pretrainDigits(train: ImageDataset, split: keyof typeof RECIPES): ImageDataset {
  return train.take(Math.min(RECIPES[split].pretrainDigits, Math.max(1, train.count - 10000)));
}

/** The mean L2 norm of the fc features is scaled to this, as in the paper (appendix B). */
const FEATURE_NORM = 20;

export function proposeAll(canvases: readonly DetCanvas[], propose: (c: DetCanvas) => Box[], progress?: (done: number, total: number) => void): Box[][] {
  return canvases.map((c, i) => { const p = propose(c); progress?.(i + 1, canvases.length); return p; });
}

export const defaultPropose = (c: DetCanvas): Box[] => selectiveSearch(c.image, c.width, c.height).boxes;

/** Train every stage of R-CNN on `splits` (train canvases; validation for C and the thresholds). */
export function trainRcnn(splits: MnistDetSplits, digits: ImageDataset, o: RcnnOptions = {}): RcnnRun {
  const seed = o.seed ?? 1;
  manualSeed(seed); // dropout draws from the global generator
  const rng = new Random(seed);
  const stageSeconds: Record<string, number> = {};
  const stage = <T>(name: string, fn: () => T): T => {
    o.onStage?.(name);
    const t0 = performance.now();
    const r = fn();
    stageSeconds[name] = (performance.now() - t0) / 1000;
    return r;
  };
  const propose = o.propose ?? defaultPropose;
  const proposals = stage('proposals', () => {
    const all = [...splits.train, ...splits.val, ...splits.test];
    const p = proposeAll(all, propose, (d, t) => o.onProgress?.('proposals', d, t));
    const a = splits.train.length, b = a + splits.val.length;
    return { train: p.slice(0, a), val: p.slice(a, b), test: p.slice(b) };
  });
  const trainRegions = stage('warp', () => collectRegions(splits.train, proposals.train, true));
  const pre = stage('pretrain', () => pretrain(digits, { epochs: o.pretrainEpochs ?? 1, rng, onBatch: (d, t) => o.onProgress?.('pretrain', d, t) }));
  const net = stage('finetune', () => finetune(pre, trainRegions, { iterations: o.finetuneIterations ?? RECIPES.full.finetuneIterations, rng, onBatch: (d, t) => o.onProgress?.('finetune', d, t) }));
  const feats = stage('features', () => windowFeatures(net, trainRegions.windows, { fc: true }));
  const featureScale = FEATURE_NORM / meanNorm(feats.fc!, trainRegions.count, FC_FEATURES);
  const valRegions = collectRegions(splits.val, proposals.val, false);
  const valFeats = windowFeatures(net, valRegions.windows, { fc: true, probs: true, pool: true });
  const regression = stage('regression', () => trainRegression(net, splits.train, trainRegions, o.ridgeLambda ?? 100));
  const svm = stage('svm', () => {
    let best: { C: number; w: Float32Array; b: Float32Array; map: number } | null = null;
    for (const C of o.svmC ?? [0.001, 0.01, 0.1]) {
      const { w, b } = trainSvms(splits.train, trainRegions, feats.fc!, featureScale, C, seed);
      const heads: RcnnHeads = { featureScale, svmW: w, svmB: b, ...regression };
      const map = evaluateRegions(heads, splits.val, valRegions, valFeats, 'svm', true, 0.5).mAP ?? 0;
      if (!best || map > best.map) best = { C, w, b, map };
    }
    return best!;
  });
  const heads: RcnnHeads = { featureScale, svmW: svm.w, svmB: svm.b, ...regression };
  const threshold = {
    svm: chooseThreshold(detectRegions(heads, splits.val, valRegions, valFeats, 'svm', true), splits.val),
    softmax: chooseThreshold(detectRegions(heads, splits.val, valRegions, valFeats, 'softmax', true), splits.val),
  };
  return { rcnn: { net, heads, threshold, svmC: svm.C }, stageSeconds, proposals };
}

function meanNorm(x: Float32Array, n: number, d: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += x[i * d + k] ** 2;
    total += Math.sqrt(s);
  }
  return Math.max(total / n, 1e-12);
}

/** Rows `rows` of an n×d matrix, scaled. */
function gatherRows(x: Float32Array, d: number, rows: readonly number[], scale = 1): Float32Array {
  const out = new Float32Array(rows.length * d);
  rows.forEach((r, i) => { for (let k = 0; k < d; k++) out[i * d + k] = scale * x[r * d + k]; });
  return out;
}

/**
 * One SVM per digit. Positives: the ground-truth boxes of that digit. Negatives: proposals whose
 * IoU with every box of that digit is below 0.3 (the paper's threshold, chosen there by a grid
 * search: 0.5 lost 5 mAP points, 0 lost 4). Proposals in between are ignored.
 */
function trainSvms(canvases: readonly DetCanvas[], regions: RegionSet, fc: Float32Array, scale: number, C: number, seed: number): { w: Float32Array; b: Float32Array } {
  const w = new Float32Array(DIGITS * FC_FEATURES);
  const b = new Float32Array(DIGITS);
  for (let c = 0; c < DIGITS; c++) {
    const pos: number[] = [], neg: number[] = [];
    for (let i = 0; i < regions.count; i++) {
      if (regions.isGroundTruth[i]) { if (regions.bestLabel[i] === c && regions.maxIou[i] === 1) pos.push(i); continue; }
      if (maxIouWithClass(regions, canvases, i, c) < 0.3) neg.push(i);
    }
    // bias 10 on features of mean norm 20, as the paper's SVMs.
    const { model } = trainSvmHardNegatives(gatherRows(fc, FC_FEATURES, pos, scale), gatherRows(fc, FC_FEATURES, neg, scale), FC_FEATURES, { C, seed: seed + c, bias: 10 });
    w.set(model.w, c * FC_FEATURES);
    b[c] = model.b;
  }
  return { w, b };
}

/**
 * One ridge regressor per digit, from a proposal's pool features to the offsets (tx, ty, tw, th)
 * that move it onto its ground-truth box. Trained on proposals with IoU > 0.6 with a box of that
 * digit (the paper: nearby boxes only, since a far proposal says little about where the object is).
 */
function trainRegression(net: Sequential, canvases: readonly DetCanvas[], regions: RegionSet, lambda: number): { regW: Float32Array; regB: Float32Array } {
  const regW = new Float32Array(DIGITS * POOL_FEATURES * 4);
  const regB = new Float32Array(DIGITS * 4);
  const near: number[] = [];
  for (let i = 0; i < regions.count; i++) if (!regions.isGroundTruth[i] && regions.maxIou[i] > 0.6) near.push(i);
  const pool = windowFeatures(net, regions.windows, { pool: true }, near).pool!;
  for (let c = 0; c < DIGITS; c++) {
    const rows: number[] = [];
    const targets: number[] = [];
    near.forEach((i, r) => {
      if (regions.bestLabel[i] !== c) return;
      rows.push(r);
      targets.push(...encodeBox(regions.boxes[i], canvases[regions.canvas[i]].boxes[regions.bestGt[i]]));
    });
    if (rows.length === 0) continue; // no example: this digit's boxes stay where they are
    const { W, b } = fitRidge(gatherRows(pool, POOL_FEATURES, rows), rows.length, POOL_FEATURES, Float32Array.from(targets), 4, lambda);
    regW.set(W, c * POOL_FEATURES * 4);
    regB.set(b, c * 4);
  }
  return { regW, regB };
}

const offsetCache = new WeakMap<WindowFeatures, { regW: Float32Array; offsets: Float32Array }>();

/** The regression offsets of every region of a feature set, computed once per set of regressors. */
function offsetsOf(heads: RcnnHeads, f: WindowFeatures, n: number): Float32Array {
  const hit = offsetCache.get(f);
  if (hit && hit.regW === heads.regW) return hit.offsets;
  const offsets = regressionOffsets(heads, f.pool!, n);
  offsetCache.set(f, { regW: heads.regW, offsets });
  return offsets;
}

/** Detections of every canvas of a region set. */
export function detectRegions(heads: RcnnHeads, canvases: readonly DetCanvas[], regions: RegionSet, f: WindowFeatures, scorer: Scorer, regress: boolean, nmsIou: number | false = 0.3): Detection[][] {
  const scores = scoreRegions(heads, f, regions.count, scorer);
  const offsets = regress ? offsetsOf(heads, f, regions.count) : undefined;
  const K = DIGITS * 4;
  return canvases.map((c, ci) => {
    const a = regions.start[ci], z = regions.start[ci + 1];
    return detectionsFromScores(regions.boxes.slice(a, z), scores.subarray(a * DIGITS, z * DIGITS), offsets?.subarray(a * K, z * K), { width: c.width, height: c.height, regress, nmsIou });
  });
}

export function evaluateRegions(heads: RcnnHeads, canvases: readonly DetCanvas[], regions: RegionSet, f: WindowFeatures, scorer: Scorer, regress: boolean, iouThreshold: number): EvaluationResult {
  return evaluateDetections(detectRegions(heads, canvases, regions, f, scorer, regress), canvases.map((c) => ({ boxes: c.boxes, labels: c.labels })), { iouThreshold, classes: DIGITS });
}

/**
 * The score threshold with the best F1 on `canvases` (a detection counts as correct when it
 * covers an unclaimed ground-truth box of its digit with IoU ≥ 0.5, claimed best-score first).
 */
export function chooseThreshold(dets: Detection[][], canvases: readonly DetCanvas[]): number {
  const flagged: Array<{ score: number; tp: boolean }> = [];
  let positives = 0;
  dets.forEach((ds, ci) => {
    const c = canvases[ci];
    positives += c.boxes.length;
    const claimed = new Set<number>();
    for (const d of [...ds].sort((a, b) => b.score - a.score)) {
      let best = -1, bestIou = 0.5;
      c.boxes.forEach((g, gi) => {
        if (c.labels[gi] !== d.label || claimed.has(gi)) return;
        const o = iouOf(d.box, g);
        if (o >= bestIou) { best = gi; bestIou = o; }
      });
      if (best >= 0) claimed.add(best);
      flagged.push({ score: d.score, tp: best >= 0 });
    }
  });
  flagged.sort((a, b) => b.score - a.score);
  let tp = 0, bestF1 = -1, threshold = 0;
  flagged.forEach((f, i) => {
    if (f.tp) tp++;
    const fp = i + 1 - tp;
    const f1 = (2 * tp) / (2 * tp + fp + (positives - tp));
    // Set the threshold between this detection and the next, so this one is kept.
    const next = flagged[i + 1]?.score ?? f.score - 1;
    if (f1 > bestF1 && next < f.score) { bestF1 = f1; threshold = (f.score + next) / 2; }
  });
  return threshold;
}

export interface RcnnEvaluation {
  /** The scorer the numbers without a suffix are for. */
  scorer: Scorer;
  mAP50: number;
  mAP70: number;
  mAP50NoRegression: number;
  mAP70NoRegression: number;
  mAP50Svm: number;
  mAP50Softmax: number;
  /** Per-class AP at IoU 0.5 (with regression, the chosen scorer). */
  table: EvaluationResult;
}

/** R-CNN measured on `canvases` the way detection papers do, every variant from one feature pass. */
export function evaluateRcnn(r: Rcnn, canvases: readonly DetCanvas[], proposals: Box[][], scorer: Scorer): RcnnEvaluation {
  const regions = collectRegions(canvases, proposals, false);
  const f = windowFeatures(r.net, regions.windows, { fc: true, probs: true, pool: true });
  const ev = (s: Scorer, regress: boolean, iou: number) => evaluateRegions(r.heads, canvases, regions, f, s, regress, iou);
  const table = ev(scorer, true, 0.5);
  const other: Scorer = scorer === 'svm' ? 'softmax' : 'svm';
  const otherMap = ev(other, true, 0.5).mAP;
  return {
    scorer, table,
    mAP50: table.mAP ?? 0, mAP70: ev(scorer, true, 0.7).mAP ?? 0,
    mAP50NoRegression: ev(scorer, false, 0.5).mAP ?? 0, mAP70NoRegression: ev(scorer, false, 0.7).mAP ?? 0,
    mAP50Svm: (scorer === 'svm' ? table.mAP : otherMap) ?? 0, mAP50Softmax: (scorer === 'softmax' ? table.mAP : otherMap) ?? 0,
  };
}

/** Detections in a prepared picture (see image.ts), above `threshold`, in the picture's terms. */
export function detectPrepared(r: Rcnn, image: Float32Array, width: number, height: number, o: { scorer: Scorer; threshold: number }): Detection[] {
  return traceDetection(r, image, width, height, o).detections;
}

/** Every intermediate of R-CNN on one image, for the explainer's detection view. */
export interface DetectionTrace {
  width: number;
  height: number;
  proposals: Box[];
  /** proposals × DIGITS scores of the chosen scorer. */
  scores: Float32Array;
  /** proposals × (DIGITS + 1) fine-tuned softmax probabilities (the last column is background). */
  probs: Float32Array;
  /** proposals × 28 × 28 warped windows (bytes). */
  windows: Uint8Array;
  /** Per proposal: its best digit, and its box after that digit's regression. */
  bestLabel: Int32Array;
  regressed: Box[];
  /** Before NMS (every proposal above the threshold, with its best digit) and after. */
  beforeNms: Detection[];
  detections: Detection[];
}

/** R-CNN on one prepared image with everything kept along the way. */
export function traceDetection(r: Rcnn, image: Float32Array, width: number, height: number, o: { scorer: Scorer; threshold: number; proposals?: Box[] }): DetectionTrace {
  const canvas: DetCanvas = { image, width, height, boxes: [], labels: [] };
  const proposals = o.proposals ?? selectiveSearch(image, width, height).boxes;
  const regions = collectRegions([canvas], [proposals], false);
  const f = windowFeatures(r.net, regions.windows, { fc: true, probs: true, pool: true });
  const scores = scoreRegions(r.heads, f, regions.count, o.scorer);
  const offsets = regressionOffsets(r.heads, f.pool!, regions.count);
  const bestLabel = new Int32Array(regions.count);
  const regressed: Box[] = [];
  const beforeNms: Detection[] = [];
  for (let i = 0; i < regions.count; i++) {
    let best = 0;
    for (let c = 1; c < DIGITS; c++) if (scores[i * DIGITS + c] > scores[i * DIGITS + best]) best = c;
    bestLabel[i] = best;
    regressed.push(regressBox(proposals[i], offsets, i, best));
    if (scores[i * DIGITS + best] >= o.threshold) beforeNms.push({ label: best, score: scores[i * DIGITS + best], box: regressed[i] });
  }
  const detections = detectionsFromScores(proposals, scores, offsets, { width, height, regress: true, minScore: o.threshold });
  return { width, height, proposals, scores, probs: f.probs!, windows: regions.windows, bestLabel, regressed, beforeNms, detections };
}
