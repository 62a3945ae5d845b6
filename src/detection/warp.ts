// Warping: R-CNN's way of feeding a region of any shape to a CNN that takes a fixed size.
//
// The CNN sees 28×28 inputs (like MNIST). R-CNN (section 2.1 and appendix A) warps each region
// anisotropically, whatever its aspect ratio, after dilating it so that the warped frame holds
// p pixels of context around the region — p measured in the warped frame (16 of 227 in the paper).
// Here the region lands in the central (28 − 2p)×(28 − 2p) of the frame, p = 4 by default: the
// same 20×20 digit inside a 4-pixel margin that MNIST's own framing has. Outside the image the
// frame is filled with 0, the paper (background) colour.
import type { Box } from './boxes.js';

export const WARP_SIZE = 28;
export const WARP_CONTEXT = 4;

/**
 * Warp `box` of a width×height image (floats in [0, 1]) into `out` at `offset`: size×size bytes,
 * 0–255. Each output pixel averages n×n bilinear samples, n = ⌈source pixels per output pixel⌉,
 * so shrinking a large region does not alias. Bilinear sampling is separable, so the warp is two
 * 1-D passes: out = Ry · image · Rxᵀ, where row u of Rx holds the weights output column u gives
 * to each source column (2n non-zeros).
 */
export function warpRegion(image: Float32Array, width: number, height: number, box: Readonly<Box>, out: Uint8Array, offset = 0, size = WARP_SIZE, context = WARP_CONTEXT): void {
  const inner = size - 2 * context;
  const cols = taps(box[0], Math.max(box[2] - box[0], 1) / inner, size, context, width);
  const rows = taps(box[1], Math.max(box[3] - box[1], 1) / inner, size, context, height);
  // Horizontal pass over the source rows the vertical pass will read: tmp[y][u].
  const y0 = rows.lo, ny = rows.hi - rows.lo;
  const tmp = new Float32Array(Math.max(ny, 0) * size);
  for (let y = 0; y < ny; y++) {
    const row = (y0 + y) * width;
    for (let u = 0; u < size; u++) {
      let s = 0;
      for (let k = cols.start[u]; k < cols.start[u + 1]; k++) s += cols.weight[k] * image[row + cols.index[k]];
      tmp[y * size + u] = s;
    }
  }
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      let s = 0;
      for (let k = rows.start[v]; k < rows.start[v + 1]; k++) s += rows.weight[k] * tmp[(rows.index[k] - y0) * size + u];
      out[offset + v * size + u] = Math.round(255 * Math.min(1, Math.max(0, s)));
    }
  }
}

/**
 * The 1-D sampling weights of one axis: output pixel u takes n samples at
 * from + (u − context + (j + 0.5)/n)·scale − 0.5 (pixel centres at +0.5), each split between its
 * two neighbouring source pixels; samples outside [0, limit) read 0, so their weight is dropped.
 */
function taps(from: number, scale: number, size: number, context: number, limit: number): { start: Int32Array; index: Int32Array; weight: Float32Array; lo: number; hi: number } {
  const n = Math.max(1, Math.ceil(scale));
  const start = new Int32Array(size + 1);
  const index: number[] = [], weight: number[] = [];
  let lo = limit, hi = 0;
  for (let u = 0; u < size; u++) {
    start[u] = index.length;
    for (let j = 0; j < n; j++) {
      const f = from + (u - context + (j + 0.5) / n) * scale - 0.5;
      const i = Math.floor(f), a = f - i;
      for (const [p, w] of [[i, 1 - a], [i + 1, a]] as const) {
        if (p < 0 || p >= limit || w === 0) continue;
        index.push(p);
        weight.push(w / n);
        lo = Math.min(lo, p);
        hi = Math.max(hi, p + 1);
      }
    }
  }
  start[size] = index.length;
  return { start, index: Int32Array.from(index), weight: Float32Array.from(weight), lo: Math.min(lo, hi), hi };
}

/** Every box of one image warped: boxes.length × size × size bytes. */
export function warpRegions(image: Float32Array, width: number, height: number, boxes: ReadonlyArray<Readonly<Box>>, size = WARP_SIZE, context = WARP_CONTEXT): Uint8Array {
  const out = new Uint8Array(boxes.length * size * size);
  boxes.forEach((b, i) => warpRegion(image, width, height, b, out, i * size * size, size, context));
  return out;
}
