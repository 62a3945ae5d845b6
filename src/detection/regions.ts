// Regions of a set of canvases, labelled the way R-CNN's stages need them.
//
// Every proposal (and, for training canvases, every ground-truth box) becomes one region: its
// box, its canvas, its best-overlapping ground-truth box and that overlap, and its 28×28 warped
// window. Fine-tuning, the SVMs and box regression each pick their examples from these labels
// with their own overlap thresholds (0.5, 0.3 and 0.6 in the paper; see rcnn.ts).
import { iou, type Box } from './boxes.js';
import { warpRegion, WARP_SIZE } from './warp.js';
import type { DetCanvas } from './mnist-det.js';

export interface RegionSet {
  count: number;
  boxes: Box[];
  /** Which canvas each region comes from. */
  canvas: Int32Array;
  /** True for a ground-truth box added as a region (training positives, as in the paper). */
  isGroundTruth: Uint8Array;
  /** The largest IoU with any ground-truth box of its canvas (0 when the canvas has none). */
  maxIou: Float32Array;
  /** Index (within its canvas) of that ground-truth box, or -1. */
  bestGt: Int32Array;
  /** That box's digit, or -1. */
  bestLabel: Int32Array;
  /** count × 28 × 28 bytes. */
  windows: Uint8Array;
  /** Where each canvas's regions start: regions of canvas c are [start[c], start[c + 1]). */
  start: Int32Array;
}

/**
 * The regions of `canvases`: their proposals, plus their ground-truth boxes when
 * `withGroundTruth` (the training canvases).
 */
export function collectRegions(canvases: readonly DetCanvas[], proposals: ReadonlyArray<ReadonlyArray<Box>>, withGroundTruth: boolean): RegionSet {
  const boxes: Box[] = [];
  const canvasOf: number[] = [];
  const gtFlag: number[] = [];
  const start = new Int32Array(canvases.length + 1);
  canvases.forEach((c, ci) => {
    start[ci] = boxes.length;
    if (withGroundTruth) c.boxes.forEach((b) => { boxes.push([...b] as Box); canvasOf.push(ci); gtFlag.push(1); });
    proposals[ci].forEach((b) => { boxes.push([...b] as Box); canvasOf.push(ci); gtFlag.push(0); });
  });
  start[canvases.length] = boxes.length;
  const n = boxes.length;
  const px = WARP_SIZE * WARP_SIZE;
  const set: RegionSet = {
    count: n, boxes, start,
    canvas: Int32Array.from(canvasOf), isGroundTruth: Uint8Array.from(gtFlag),
    maxIou: new Float32Array(n), bestGt: new Int32Array(n).fill(-1), bestLabel: new Int32Array(n).fill(-1),
    windows: new Uint8Array(n * px),
  };
  for (let i = 0; i < n; i++) {
    const c = canvases[set.canvas[i]];
    c.boxes.forEach((g, gi) => {
      const o = iou(boxes[i], g);
      if (o > set.maxIou[i]) { set.maxIou[i] = o; set.bestGt[i] = gi; set.bestLabel[i] = c.labels[gi]; }
    });
    warpRegion(c.image, c.width, c.height, boxes[i], set.windows, i * px);
  }
  return set;
}

/** The largest IoU of region i with a ground-truth box of class `cls` in its canvas. */
export function maxIouWithClass(set: RegionSet, canvases: readonly DetCanvas[], i: number, cls: number): number {
  const c = canvases[set.canvas[i]];
  let best = 0;
  c.boxes.forEach((g, gi) => { if (c.labels[gi] === cls) best = Math.max(best, iou(set.boxes[i], g)); });
  return best;
}
