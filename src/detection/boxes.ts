// Boxes: the geometry every stage of R-CNN shares.
//
// A box is [x1, y1, x2, y2) in pixels, half-open like an array slice: it covers the columns
// x1 … x2−1 and the rows y1 … y2−1, so its width is x2 − x1 and two boxes that touch
// ([0,0,10,10) and [10,0,20,10)) do not overlap. The same convention holds in code, in model
// files and in JSON output.

/** [x1, y1, x2, y2): left, top (inclusive), right, bottom (exclusive), in pixels. */
export type Box = [number, number, number, number];

/** Width × height; 0 for an empty or inverted box. */
export function boxArea(b: Readonly<Box>): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

/** Area of the overlap of a and b (0 when they are disjoint or only touch). */
export function intersection(a: Readonly<Box>, b: Readonly<Box>): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  return w > 0 && h > 0 ? w * h : 0;
}

/**
 * Intersection over union, the overlap measure of detection: |a ∩ b| / |a ∪ b|, from 0
 * (disjoint) to 1 (identical). Two empty boxes have IoU 0.
 */
export function iou(a: Readonly<Box>, b: Readonly<Box>): number {
  const inter = intersection(a, b);
  const union = boxArea(a) + boxArea(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** The box cut to the canvas [0, width) × [0, height). */
export function clipBox(b: Readonly<Box>, width: number, height: number): Box {
  const cx = (v: number, hi: number): number => Math.min(hi, Math.max(0, v));
  return [cx(b[0], width), cx(b[1], height), cx(b[2], width), cx(b[3], height)];
}

/** The box grown by `pad` pixels on every side (negative shrinks), then clipped to the canvas. */
export function dilateBox(b: Readonly<Box>, pad: number, width: number, height: number): Box {
  return clipBox([b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad], width, height);
}

/**
 * Bounding-box regression targets (R-CNN, appendix C): how to move and stretch proposal P onto
 * ground truth G, in units of P's own size so that one regressor fits boxes of every scale.
 *   tx = (Gx − Px) / Pw     ty = (Gy − Py) / Ph     (centres: x = (x1 + x2) / 2)
 *   tw = log(Gw / Pw)       th = log(Gh / Ph)
 */
export function encodeBox(p: Readonly<Box>, g: Readonly<Box>): [number, number, number, number] {
  const pw = p[2] - p[0], ph = p[3] - p[1];
  const gw = g[2] - g[0], gh = g[3] - g[1];
  if (!(pw > 0 && ph > 0 && gw > 0 && gh > 0)) {
    throw new Error(`encodeBox: boxes must have positive width and height, got proposal [${p.join(', ')}] and ground truth [${g.join(', ')}]`);
  }
  return [
    ((g[0] + g[2]) / 2 - (p[0] + p[2]) / 2) / pw,
    ((g[1] + g[3]) / 2 - (p[1] + p[3]) / 2) / ph,
    Math.log(gw / pw),
    Math.log(gh / ph),
  ];
}

/** The inverse of encodeBox: apply offsets t = [tx, ty, tw, th] to proposal p. */
export function decodeBox(p: Readonly<Box>, t: ArrayLike<number>): Box {
  const pw = p[2] - p[0], ph = p[3] - p[1];
  const cx = (p[0] + p[2]) / 2 + t[0] * pw;
  const cy = (p[1] + p[3]) / 2 + t[1] * ph;
  const w = pw * Math.exp(t[2]), h = ph * Math.exp(t[3]);
  return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
}

/**
 * Greedy non-maximum suppression: visit boxes from the highest score down, keep a box unless it
 * overlaps an already kept one by more than `iouThreshold`. Returns the kept indices, best first,
 * at most `maxKeep`. Ties in score keep the earlier index first (a stable order), so the result
 * does not depend on the sort's whims.
 */
export function nms(boxes: ReadonlyArray<Readonly<Box>>, scores: ArrayLike<number>, iouThreshold: number, maxKeep = Infinity): number[] {
  if (boxes.length !== scores.length) {
    throw new Error(`nms: ${boxes.length} boxes but ${scores.length} scores; expected one score per box`);
  }
  const order = [...boxes.keys()].sort((a, b) => scores[b] - scores[a] || a - b);
  const kept: number[] = [];
  for (const i of order) {
    if (kept.length >= maxKeep) break;
    if (kept.every((k) => iou(boxes[i], boxes[k]) <= iouThreshold)) kept.push(i);
  }
  return kept;
}
