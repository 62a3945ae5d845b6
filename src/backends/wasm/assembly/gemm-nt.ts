// A·Bᵀ as blocked dot products: the matrix multiply of dense layers, where both operands' rows are
// contiguous and packing would cost more than it saves.
import { claim, epilogue, finite, fma, SYNC_BYTES } from './gemm';

/**
 * C[m0:m1, n0:n1] (+)= A·Bᵀ with A (M×K) and B (N×K) both row-major: every C element is a dot product
 * of two contiguous rows, so nothing needs packing. Blocks of 3×3 dot products share their loads
 * (9 accumulators + 6 loaded vectors fit the 15 registers). Fast for the shapes of dense layers
 * and of the convolution filter gradient, where packing a transposed operand would cost more than
 * the arithmetic. Epilogue: + bias[n] (N values, or 0 for none), then ReLU if relu.
 * Rows and columns left over from the 3×3 blocks go three dot products at a time (3×1, 1×3): one
 * dot product alone is a single chain of dependent multiply-adds, four times slower per element.
 * Every C element is the same chain of multiply-adds in every block shape, so the result does not
 * depend on which block computed it (nor on how the rows were split between threads).
 *
 * Zeros in A are skipped: before a block of rows of A meets the rows of B, the 4-value chunks where
 * all its rows are +0 are left out of its list of chunks (MNIST images are ~80% zeros, a ReLU's
 * output about half; for three images side by side ~55% of the chunks go). A skipped product is
 * +0·b = ±0 for a finite b, and adding ±0 to an accumulator that starts at +0 never changes it, so
 * the sums are the same bit for bit. NOTE: 0·∞ and 0·NaN are NaN, so nothing is skipped unless
 * every value in this call's rows of B is finite (one pass over them, when a chunk first could be).
 * list: K bytes of scratch for the chunk offsets. finiteB: 0, or where the finiteness of B's rows
 * n0..n1 is kept between calls (−1: not checked yet).
 */
export function gemmNTBlock(M: i32, N: i32, K: i32, a: usize, b: usize, beta: i32, c: usize, m0: i32, m1: i32,
                            n0: i32, n1: i32, bias: usize, relu: bool, list: usize, finiteB: usize): void {
  const K4 = K & ~3;
  const rowA = <usize>K * 4;
  // Whether zeros may be skipped: -1 until some chunk could be, then 0 or 1 (B's rows n0..n1 all
  // finite); kept at finiteB (when not 0) for the next call on the same rows of B.
  let skip = finiteB ? load<i32>(finiteB) : -1;
  const all = list + <usize>K4;
  let m = m0;
  for (; m + 3 <= m1; m += 3) {
    const a0 = a + <usize>m * rowA, a1 = a0 + rowA, a2 = a1 + rowA;
    let end = chunks(a0, a1, a2, K4, skip != 0, list);
    if (skip < 0 && end < all) {
      skip = finite(b + <usize>n0 * rowA, (n1 - n0) * K) ? 1 : 0;
      if (finiteB) store<i32>(finiteB, skip);
      if (!skip) end = chunks(a0, a1, a2, K4, false, list);
    }
    // Skipping fewer than a fifth of the chunks does not pay for reading the list (~15% slower a chunk):
    // then the loops take every chunk (the zero ones add nothing, as above).
    const dense = <i32>(end - list) * 5 >= K4 * 4;
    let n = n0;
    for (; n + 3 <= n1; n += 3) {
      const b0 = b + <usize>n * rowA, b1 = b0 + rowA, b2 = b1 + rowA;
      let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s02 = f32x4.splat(0);
      let s10 = f32x4.splat(0), s11 = f32x4.splat(0), s12 = f32x4.splat(0);
      let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s22 = f32x4.splat(0);
      // The same loop over every chunk, or over the listed ones.
      if (dense) {
        for (let k: usize = 0; k < <usize>K4 * 4; k += 16) {
          const x0 = v128.load(a0 + k), x1 = v128.load(a1 + k), x2 = v128.load(a2 + k);
          const y0 = v128.load(b0 + k), y1 = v128.load(b1 + k), y2 = v128.load(b2 + k);
          s00 = fma(x0, y0, s00); s01 = fma(x0, y1, s01); s02 = fma(x0, y2, s02);
          s10 = fma(x1, y0, s10); s11 = fma(x1, y1, s11); s12 = fma(x1, y2, s12);
          s20 = fma(x2, y0, s20); s21 = fma(x2, y1, s21); s22 = fma(x2, y2, s22);
        }
      } else {
        for (let i = list; i < end; i += 4) {
          const k = <usize>load<u32>(i);
          const x0 = v128.load(a0 + k), x1 = v128.load(a1 + k), x2 = v128.load(a2 + k);
          const y0 = v128.load(b0 + k), y1 = v128.load(b1 + k), y2 = v128.load(b2 + k);
          s00 = fma(x0, y0, s00); s01 = fma(x0, y1, s01); s02 = fma(x0, y2, s02);
          s10 = fma(x1, y0, s10); s11 = fma(x1, y1, s11); s12 = fma(x1, y2, s12);
          s20 = fma(x2, y0, s20); s21 = fma(x2, y1, s21); s22 = fma(x2, y2, s22);
        }
      }
      finishRow(s00, s01, s02, a0, b0, b1, b2, K4, K, c, m, n, N, beta, bias, relu);
      finishRow(s10, s11, s12, a1, b0, b1, b2, K4, K, c, m + 1, n, N, beta, bias, relu);
      finishRow(s20, s21, s22, a2, b0, b1, b2, K4, K, c, m + 2, n, N, beta, bias, relu);
    }
    for (; n < n1; n++) {
      const b0 = b + <usize>n * rowA;
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0);
      if (dense) {
        for (let k: usize = 0; k < <usize>K4 * 4; k += 16) {
          const y0 = v128.load(b0 + k);
          s0 = fma(v128.load(a0 + k), y0, s0); s1 = fma(v128.load(a1 + k), y0, s1); s2 = fma(v128.load(a2 + k), y0, s2);
        }
      } else {
        for (let i = list; i < end; i += 4) {
          const k = <usize>load<u32>(i);
          const y0 = v128.load(b0 + k);
          s0 = fma(v128.load(a0 + k), y0, s0); s1 = fma(v128.load(a1 + k), y0, s1); s2 = fma(v128.load(a2 + k), y0, s2);
        }
      }
      finishDot(s0, a0, b0, K4, K, c, m, n, N, beta, bias, relu);
      finishDot(s1, a1, b0, K4, K, c, m + 1, n, N, beta, bias, relu);
      finishDot(s2, a2, b0, K4, K, c, m + 2, n, N, beta, bias, relu);
    }
  }
  for (; m < m1; m++) {
    const a0 = a + <usize>m * rowA;
    let end = chunks(a0, a0, a0, K4, skip != 0, list);
    if (skip < 0 && end < all) {
      skip = finite(b + <usize>n0 * rowA, (n1 - n0) * K) ? 1 : 0;
      if (finiteB) store<i32>(finiteB, skip);
      if (!skip) end = chunks(a0, a0, a0, K4, false, list);
    }
    let n = n0;
    for (; n + 3 <= n1; n += 3) {
      const b0 = b + <usize>n * rowA, b1 = b0 + rowA, b2 = b1 + rowA;
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0);
      for (let i = list; i < end; i += 4) {
        const k = <usize>load<u32>(i);
        const x0 = v128.load(a0 + k);
        s0 = fma(x0, v128.load(b0 + k), s0); s1 = fma(x0, v128.load(b1 + k), s1); s2 = fma(x0, v128.load(b2 + k), s2);
      }
      finishDot(s0, a0, b0, K4, K, c, m, n, N, beta, bias, relu);
      finishDot(s1, a0, b1, K4, K, c, m, n + 1, N, beta, bias, relu);
      finishDot(s2, a0, b2, K4, K, c, m, n + 2, N, beta, bias, relu);
    }
    for (; n < n1; n++) {
      const b0 = b + <usize>n * rowA;
      let s = f32x4.splat(0);
      for (let i = list; i < end; i += 4) {
        const k = <usize>load<u32>(i);
        s = fma(v128.load(a0 + k), v128.load(b0 + k), s);
      }
      finishDot(s, a0, b0, K4, K, c, m, n, N, beta, bias, relu);
    }
  }
}

/**
 * Writes to `list` the byte offsets of the 4-value chunks (of the first K4 values) that the rows a0, a1,
 * a2 need: all of them, or if `skip`, those where some row has a value other than +0; returns the
 * end of the list. Branch-free: every offset is written, and the end moves past the kept ones.
 */
@inline function chunks(a0: usize, a1: usize, a2: usize, K4: i32, skip: bool, list: usize): usize {
  let end = list;
  for (let k: usize = 0; k < <usize>K4 * 4; k += 16) {
    store<u32>(end, <u32>k);
    end += !skip || v128.any_true(v128.or(v128.or(v128.load(a0 + k), v128.load(a1 + k)), v128.load(a2 + k))) ? 4 : 0;
  }
  return end;
}

/** Sum the 4 lanes, add the K % 4 tail, and store (or add) into C[m, n] with the epilogue. */
@inline function finishDot(s: v128, x: usize, y: usize, K4: i32, K: i32, c: usize, m: i32, n: i32, N: i32, beta: i32,
                           bias: usize, relu: bool): void {
  let v = f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
  for (let k = K4; k < K; k++) v += load<f32>(x + <usize>k * 4) * load<f32>(y + <usize>k * 4);
  const at = c + (<usize>m * N + n) * 4;
  if (beta) v += load<f32>(at);
  store<f32>(at, epilogue(v, bias, n, 0, 0, relu));
}

/**
 * finishDot for three dots of one row of C (columns n, n + 1, n + 2) at once, lane j for column n + j:
 * a 4×4 transpose of the accumulators makes lane j's sum ((s_j[0] + s_j[1]) + s_j[2]) + s_j[3], then
 * the tail, C and the epilogue are added lane by lane — the same operations in the same order as
 * three finishDot calls, so the same bits. (Where dots are short, as in the filter gradient of a
 * 7×7 or 4×4 map, finishing them one by one took a third to a half of the kernel's time.)
 */
@inline function finishRow(s0: v128, s1: v128, s2: v128, x: usize, y0: usize, y1: usize, y2: usize, K4: i32, K: i32,
                           c: usize, m: i32, n: i32, N: i32, beta: i32, bias: usize, relu: bool): void {
  const z = f32x4.splat(0);
  const lo = v128.shuffle<f32>(s0, s1, 0, 4, 1, 5), lo2 = v128.shuffle<f32>(s2, z, 0, 4, 1, 5); // lanes 0 and 1 of each
  const hi = v128.shuffle<f32>(s0, s1, 2, 6, 3, 7), hi2 = v128.shuffle<f32>(s2, z, 2, 6, 3, 7); // lanes 2 and 3
  let v = f32x4.add(v128.shuffle<f32>(lo, lo2, 0, 1, 4, 5), v128.shuffle<f32>(lo, lo2, 2, 3, 6, 7));
  v = f32x4.add(v, v128.shuffle<f32>(hi, hi2, 0, 1, 4, 5));
  v = f32x4.add(v, v128.shuffle<f32>(hi, hi2, 2, 3, 6, 7));
  for (let k = K4; k < K; k++) {
    const o = <usize>k * 4;
    const y = f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(load<f32>(y0 + o)), 1, load<f32>(y1 + o)), 2, load<f32>(y2 + o));
    v = f32x4.add(v, f32x4.mul(f32x4.splat(load<f32>(x + o)), y));
  }
  const at = c + (<usize>m * N + n) * 4;
  if (beta) v = f32x4.add(v, three(at));
  if (bias) v = f32x4.add(v, three(bias + <usize>n * 4));
  if (relu) v = f32x4.max(v, z);
  store<f32>(at, f32x4.extract_lane(v, 0));
  store<f32>(at, f32x4.extract_lane(v, 1), 4);
  store<f32>(at, f32x4.extract_lane(v, 2), 8);
}

/** The three floats at p in lanes 0–2 (lane 3: 0), reading nothing past them. */
@inline function three(p: usize): v128 {
  return f32x4.replace_lane(v128.load64_zero(p), 2, load<f32>(p, 8));
}

/** The most ranges gemmNT's threads start from: one counter each in the zeroed SYNC_BYTES. */
const RANGES: i32 = SYNC_BYTES / 4;

/**
 * Thread `tid` of `nt`: its share of C = A·Bᵀ (+C) (+ bias) (then ReLU). C is cut into one range
 * per thread — of its columns when C is wider than tall, else of its rows — and each range into
 * blocks of three rows, taken one at a time from the range's counter. A thread takes from its own
 * range first, then from the others': when one thread is late (shared machines stop a thread now
 * and then), the rest finish its range instead of waiting for it. By columns (a dense layer's output
 * neurons, N = OUT) a thread mostly reads its own rows of B = W, about the rows it updates in the
 * optimizer's step (which splits W the same way); by rows every thread would read all of W. Every
 * block's sums are the same whichever thread computes it.
 * scratch: SYNC_BYTES of zeroed counters, then gemmNTScratchBytes(K) per thread.
 */
export function gemmNT(M: i32, N: i32, K: i32, a: usize, b: usize, beta: i32, c: usize, bias: usize, relu: bool, scratch: usize,
                       tid: i32, nt: i32): void {
  const own = (scratch + SYNC_BYTES + <usize>(tid * gemmNTScratchBytes(K)) + 63) & ~63; // cache lines of its own
  const list = own + 64; // after the finiteness of B's rows, per range
  const ranges = min(nt, RANGES);
  for (let r = 0; r < ranges; r++) store<i32>(own + <usize>r * 4, -1);
  const byColumns = N > M;
  const blocks = byColumns ? (N + 2) / 3 : (M + 2) / 3;
  for (let i = 0; i < ranges; i++) {
    const r = (tid + i) % ranges;
    const lo = min(byColumns ? N : M, ((blocks * r) / ranges) * 3), hi = min(byColumns ? N : M, ((blocks * (r + 1)) / ranges) * 3);
    const m0 = byColumns ? 0 : lo, m1 = byColumns ? M : hi; // the range's rows, taken three at a time
    const n0 = byColumns ? lo : 0, n1 = byColumns ? hi : N;
    if (m1 <= m0 || n1 <= n0) continue;
    const counter = scratch + <usize>r * 4;
    for (let j = claim(counter); m0 + 3 * j < m1; j = claim(counter)) {
      gemmNTBlock(M, N, K, a, b, beta, c, m0 + 3 * j, min(m1, m0 + 3 * j + 3), n0, n1, bias, relu, list, own + <usize>r * 4);
    }
  }
}

/** Bytes of scratch gemmNT needs per thread after the counters (from the first 64-byte boundary in its share: the finiteness of each range's B, its list of chunks). */
export function gemmNTScratchBytes(K: i32): i32 {
  return 64 + 64 + ((K + 63) & ~63);
}
