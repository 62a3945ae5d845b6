// Reference reductions and data movement.
import type { Data, ReduceOp } from '../backend.js';
import { sizeOf, stridesOf } from '../strides.js';

/**
 * out = sum or max of x over `axes`.  x:(shape) -> out:(shape with those axes = 1)
 * Walks x once; each element's output offset drops the reduced axes.
 */
export function reduce(op: ReduceOp, x: Data, shape: readonly number[], axes: readonly number[],
                       out: Data, argmax?: Int32Array): void {
  const rank = shape.length;
  const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outStrides = stridesOf(outShape).map((s, i) => (axes.includes(i) ? 0 : s));
  if (op === 'sum') out.fill(0);
  else out.fill(-Infinity);
  if (argmax) argmax.fill(-1);
  const index = new Array<number>(rank).fill(0);
  let o = 0;
  const n = sizeOf(shape);
  for (let i = 0; i < n; i++) {
    const v = x[i];
    if (op === 'sum') out[o] += v;
    // NOTE: strict '>' keeps the first maximum on ties, so the gradient goes to one element.
    else if (v > out[o] || (argmax && argmax[o] === -1) || Number.isNaN(v)) {
      out[o] = v;
      if (argmax) argmax[o] = i;
    }
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      o += outStrides[d];
      if (index[d] < shape[d]) break;
      o -= outStrides[d] * shape[d];
      index[d] = 0;
    }
  }
}

/** y = x with axes permuted: y.shape[i] = x.shape[perm[i]]. */
export function permute(x: Data, shape: readonly number[], perm: readonly number[], y: Data): void {
  const rank = shape.length;
  const xs = stridesOf(shape);
  const outShape = perm.map((p) => shape[p]);
  const readStride = perm.map((p) => xs[p]);
  const index = new Array<number>(rank).fill(0);
  let src = 0;
  const n = sizeOf(shape);
  for (let i = 0; i < n; i++) {
    y[i] = x[src];
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      src += readStride[d];
      if (index[d] < outShape[d]) break;
      src -= readStride[d] * outShape[d];
      index[d] = 0;
    }
  }
}

/** Copy an n-d box: dst[dstStart + i] = src[srcStart + i] for every index i inside `box`. */
export function copyBox(src: Data, srcShape: readonly number[], srcStart: readonly number[],
                        dst: Data, dstShape: readonly number[], dstStart: readonly number[],
                        box: readonly number[]): void {
  const rank = box.length;
  const n = sizeOf(box);
  if (n === 0) return;
  const ss = stridesOf(srcShape);
  const ds = stridesOf(dstShape);
  let s = 0;
  let t = 0;
  for (let d = 0; d < rank; d++) {
    s += srcStart[d] * ss[d];
    t += dstStart[d] * ds[d];
  }
  // Copy whole rows of the last axis at a time.
  const row = rank === 0 ? 1 : box[rank - 1];
  const index = new Array<number>(rank).fill(0);
  for (let done = 0; done < n; done += row) {
    for (let j = 0; j < row; j++) dst[t + j] = src[s + j];
    for (let d = rank - 2; d >= 0; d--) {
      index[d]++;
      s += ss[d];
      t += ds[d];
      if (index[d] < box[d]) break;
      s -= ss[d] * box[d];
      t -= ds[d] * box[d];
      index[d] = 0;
    }
  }
}

/** out[r·rowLen + i] = bytes[rows[r]·rowLen + i] / divisor (see Backend.gatherBytes). */
export function gatherBytes(bytes: Uint8Array, rows: ArrayLike<number>, rowLen: number, divisor: number, out: Data): void {
  for (let r = 0; r < rows.length; r++) {
    const src = rows[r] * rowLen;
    for (let i = 0; i < rowLen; i++) out[r * rowLen + i] = bytes[src + i] / divisor;
  }
}

/** Per channel of a:(N,C,S): Σ a, and Σ (a − shiftA)·(b − shiftB) when b is given (Backend.channelSums). */
export function channelSums(a: Data, b: Data | null, shiftA: Data | null, shiftB: Data | null, N: number, C: number, S: number,
                            sumA: Data, sumAB: Data | null): void {
  for (let c = 0; c < C; c++) {
    const sa = shiftA ? shiftA[c] : 0;
    const sb = shiftB ? shiftB[c] : 0;
    let s1 = 0;
    let s2 = 0;
    for (let n = 0; n < N; n++) {
      for (let i = 0, o = (n * C + c) * S; i < S; i++) {
        s1 += a[o + i];
        if (b) s2 += (a[o + i] - sa) * (b[o + i] - sb);
      }
    }
    sumA[c] = s1;
    if (b && sumAB) sumAB[c] = s2;
  }
}

/** out = p[c]·x + q[c]·z + r[c] per channel of x:(N,C,S) (Backend.channelAffine). */
export function channelAffine(x: Data, p: Data, z: Data | null, q: Data | null, r: Data, N: number, C: number, S: number, out: Data): void {
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const pc = p[c], qc = z && q ? q[c] : 0, rc = r[c];
      for (let i = 0, o = (n * C + c) * S; i < S; i++) out[o + i] = pc * x[o + i] + (z ? qc * z[o + i] : 0) + rc;
    }
  }
}
