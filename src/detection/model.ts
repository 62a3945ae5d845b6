// An R-CNN in a zerograd model file: the fine-tuned CNN is the file's network (11 classes:
// 10 digits + background), and everything R-CNN learned on top of it — the SVMs, the box
// regressors, the feature scale, the detection thresholds — travels in the header's `meta`
// under `rcnn`, with how the model was made. One versioned, checksummed file, as for classifiers.
import { decodeModel, encodeModel } from '../io/model-file.js';
import type { Sequential } from '../nn/layers.js';
import { BACKGROUND, FC_FEATURES, POOL_FEATURES } from './network.js';
import { DIGITS, type RcnnHeads, type Scorer } from './detect.js';
import type { Rcnn } from './rcnn.js';

export const RCNN_KIND = 'rcnn';

export interface RcnnMeta {
  kind: typeof RCNN_KIND;
  /** The scorer `detect` uses by default. */
  scorer: Scorer;
  threshold: Record<Scorer, number>;
  svmC: number;
  featureScale: number;
  svmW: number[];
  svmB: number[];
  regW: number[];
  regB: number[];
  /** Free-form facts: dataset, seed, mAP, stage times. */
  made: Record<string, unknown>;
}

/** The model file's bytes for a trained R-CNN. */
export function encodeRcnn(r: Rcnn, scorer: Scorer, made: Record<string, unknown>): Uint8Array {
  const h = r.heads;
  const meta: RcnnMeta = {
    kind: RCNN_KIND, scorer, threshold: r.threshold, svmC: r.svmC, featureScale: h.featureScale,
    svmW: [...h.svmW], svmB: [...h.svmB], regW: [...h.regW], regB: [...h.regB], made,
  };
  return encodeModel(r.net, [1, 28, 28], BACKGROUND + 1, { rcnn: meta });
}

/**
 * A trained R-CNN from model-file bytes. A classifier's file (no `rcnn` in its header) and a
 * header whose arrays have the wrong sizes are refused with a message; nothing half-built returns.
 */
export function decodeRcnn(bytes: Uint8Array, name = 'model file'): { rcnn: Rcnn; scorer: Scorer; made: Record<string, unknown> } {
  const saved = decodeModel(bytes, name);
  const meta = saved.meta.rcnn as RcnnMeta | undefined;
  if (!meta || meta.kind !== RCNN_KIND) {
    throw new Error(`${name}: a classifier model, not a detector; detection needs a model made by \`zerograd detect-train\``);
  }
  const sizes: Array<[keyof RcnnMeta, number]> = [['svmW', DIGITS * FC_FEATURES], ['svmB', DIGITS], ['regW', DIGITS * POOL_FEATURES * 4], ['regB', DIGITS * 4]];
  for (const [key, n] of sizes) {
    const v = meta[key];
    if (!Array.isArray(v) || v.length !== n || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new Error(`${name}: the detector's ${key} should hold ${n} finite numbers, got ${Array.isArray(v) ? `${v.length} values` : typeof v} (corrupted file?)`);
    }
  }
  if (saved.classes !== BACKGROUND + 1) throw new Error(`${name}: a detector's network has ${BACKGROUND + 1} classes (10 digits + background), this one has ${saved.classes}`);
  if (typeof meta.featureScale !== 'number' || !(meta.featureScale > 0)) throw new Error(`${name}: the detector's featureScale should be a positive number, got ${meta.featureScale}`);
  const scorer: Scorer = meta.scorer === 'softmax' ? 'softmax' : 'svm';
  const heads: RcnnHeads = {
    featureScale: meta.featureScale,
    svmW: Float32Array.from(meta.svmW), svmB: Float32Array.from(meta.svmB),
    regW: Float32Array.from(meta.regW), regB: Float32Array.from(meta.regB),
  };
  const threshold = { svm: Number(meta.threshold?.svm ?? 0), softmax: Number(meta.threshold?.softmax ?? 0.5) };
  return { rcnn: { net: saved.model as Sequential, heads, threshold, svmC: meta.svmC }, scorer, made: meta.made ?? {} };
}
