// Convolution through im2col + the packed matrix multiply, and pooling. Threads split the batch.
import { claim, gemmBlock, gemmScratchBytes, KC, MC, MR, NC, NR, packA, SYNC_BYTES, TILE_BYTES, tiles } from './gemm';
import { gemmNTBlock } from './gemm-nt';

/** Share [lo, hi) of n items for thread tid of nt. */
@inline function lo(n: i32, tid: i32, nt: i32): i32 { return <i32>((<i64>n * tid) / nt); }
@inline function hi(n: i32, tid: i32, nt: i32): i32 { return <i32>((<i64>n * (tid + 1)) / nt); }

/** cols[(c,kh,kw), (oh,ow)] = x[c, oh·s+kh−p, ow·s+kw−p] or 0 outside.   x: one image (C,H,W) */
function im2col(x: usize, C: i32, H: i32, W: i32, KH: i32, KW: i32, OH: i32, OW: i32, s: i32, p: i32, cols: usize): void {
  const P = OH * OW;
  let r = 0;
  for (let c = 0; c < C; c++) {
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        const row = cols + <usize>(r * P) * 4;
        r++;
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * s + kh - p;
          const out = row + <usize>(oh * OW) * 4;
          if (ih < 0 || ih >= H) {
            memory.fill(out, 0, <usize>OW * 4);
            continue;
          }
          const src = x + <usize>((c * H + ih) * W) * 4;
          if (s == 1) {
            // Stride 1: the row is one contiguous run of x, with zeros where it hangs over the border.
            const first = max(0, p - kw);          // first ow whose iw = ow + kw − p is ≥ 0
            const last = min(OW, W + p - kw);      // first ow whose iw is ≥ W
            // (Loops, not memory.copy/fill: those are calls out of the module, and a row is short.)
            let ow = 0;
            for (; ow < first; ow++) store<f32>(out + <usize>ow * 4, 0);
            const from = src + <usize>(kw - p) * 4; // from + ow·4 is x[c, ih, ow + kw − p]
            for (; ow + 4 <= last; ow += 4) v128.store(out + <usize>ow * 4, v128.load(from + <usize>ow * 4));
            for (; ow < last; ow++) store<f32>(out + <usize>ow * 4, load<f32>(from + <usize>ow * 4));
            for (ow = max(ow, 0); ow < OW; ow++) store<f32>(out + <usize>ow * 4, 0);
          } else {
            for (let ow = 0; ow < OW; ow++) {
              const iw = ow * s + kw - p;
              store<f32>(out + <usize>ow * 4, iw >= 0 && iw < W ? load<f32>(src + <usize>iw * 4) : 0);
            }
          }
        }
      }
    }
  }
}

/**
 * Rows [k0, k0+kb) × columns [n0, n0+nb) of im2col(x), written straight into the NR-column panels the
 * micro-kernel reads (what packB would make of the cols matrix), so the cols matrix is never stored:
 * panel q holds, for each row k = (c,kh,kw), the values at the NR output positions n0+q … n0+q+NR−1.
 * With stride 1, when the NR positions lie side by side in one output row, a kernel row (c,kh) of a
 * panel reads one run of x: NR contiguous values per kw, two vector copies, where they lie inside the
 * image. Otherwise each value on its own (0 outside the image, and past the last position).
 */
function im2colPanels(x: usize, C: i32, H: i32, W: i32, KH: i32, KW: i32, OH: i32, OW: i32, s: i32, p: i32,
                      k0: i32, kb: i32, n0: i32, nb: i32, dst: usize, masks: usize, maskBytes: i32): void {
  const KK = KH * KW, kEnd = k0 + kb;
  const c0 = k0 / KK, kh0 = (k0 % KK) / KW, kw0 = k0 % KW;
  // A map padded to its own size (stride 1, OW = W: "same" padding, as in VGG and ResNet blocks):
  // output position t = oh·OW + ow reads x[c, oh+kh−p, ow+kw−p], at flat offset t + (kh−p)·W + kw−p
  // of channel c, so a panel's NR values for one (c,kh,kw) are NR consecutive floats of x, even
  // across output rows, except where the window hangs over the border: two vector loads, and the
  // lanes over the border set to +0 by a mask made once per panel for each (kh,kw).
  const plane = <usize>(H * W) * 4, end = x + <usize>C * plane;
  // (With one channel the masks cost as much as the copies they save.)
  const flat = s == 1 && OW == W && W >= 4 && C > 1 && KK * 32 <= maskBytes;
  let oh = n0 / OW, ow = n0 % OW; // the panel's first output position
  for (let q = 0; q < nb; q += NR) {
    const cols = min(NR, nb - q);
    let out = dst + <usize>(q * kb) * 4;
    let c = c0, kh = kh0, kw = kw0;
    if (flat && cols == NR) {
      borderMasks(H, W, KH, KW, p, oh, ow, masks);
      const t = oh * OW + ow;
      for (let k = k0; k < kEnd; k++) {
        const src = x + <usize>c * plane + <usize>(t + (kh - p) * W + kw - p) * 4;
        const m = masks + <usize>((kh * KW + kw) * 32);
        if (src >= x && src + 32 <= end) {
          v128.store(out, v128.and(v128.load(src), v128.load(m)));
          v128.store(out, v128.and(v128.load(src, 16), v128.load(m, 16)), 16);
        } else {
          panelColumn(x, H, W, OW, 1, p, c, kh, kw, oh, ow, NR, out); // (the first and last rows of the image)
        }
        out += NR * 4;
        if (++kw == KW) { kw = 0; if (++kh == KH) { kh = 0; c++; } }
      }
    } else if (s == 1 && cols == NR && ow + NR <= OW) {
      for (let k = k0; k < kEnd; ) {
        const n = min(KW - kw, kEnd - k); // this kernel row's kw from kw to kw + n
        const ih = oh + kh - p;
        if (ih < 0 || ih >= H) {
          memory.fill(out, 0, <usize>(n * NR) * 4);
          out += <usize>(n * NR) * 4;
        } else {
          // kw in [lo, hi) reads x[c, ih, ow+kw−p … +NR) inside the row; the others go value by value.
          const lo = min(kw + n, max(kw, p - ow)), hi = max(lo, min(kw + n, W + p - ow - NR + 1));
          for (let j = kw; j < lo; j++) { panelColumn(x, H, W, OW, 1, p, c, kh, j, oh, ow, NR, out); out += NR * 4; }
          const row = x + <usize>((c * H + ih) * W + ow - p) * 4;
          for (let j = lo; j < hi; j++) {
            const src = row + <usize>j * 4;
            v128.store(out, v128.load(src));
            v128.store(out, v128.load(src, 16), 16);
            out += NR * 4;
          }
          for (let j = hi; j < kw + n; j++) { panelColumn(x, H, W, OW, 1, p, c, kh, j, oh, ow, NR, out); out += NR * 4; }
        }
        k += n;
        kw = 0;
        if (++kh == KH) { kh = 0; c++; }
      }
    } else {
      for (let k = k0; k < kEnd; k++) {
        panelColumn(x, H, W, OW, s, p, c, kh, kw, oh, ow, cols, out);
        out += NR * 4;
        if (++kw == KW) { kw = 0; if (++kh == KH) { kh = 0; c++; } }
      }
    }
    ow += NR;
    while (ow >= OW) { ow -= OW; oh++; }
  }
}

/**
 * For a panel of NR output positions from (oh, ow) on, at masks + (kh·KW + kw)·32: NR lanes, all ones
 * where the window's tap (kh, kw) lies inside the H×W map, else 0 (stride 1, OW = W ≥ 4, so a panel
 * spans at most three output rows). Lane by lane in vectors of four positions.
 */
function borderMasks(H: i32, W: i32, KH: i32, KW: i32, p: i32, oh: i32, ow: i32, masks: usize): void {
  for (let half = 0; half < 2; half++) {
    // The four positions' (oh, ow): ow + j, wrapped into the next row (twice at most).
    let cw = i32x4.add(i32x4.splat(ow + half * 4), i32x4(0, 1, 2, 3)), ch = i32x4.splat(oh);
    for (let wrap = 0; wrap < 2; wrap++) {
      const over = i32x4.ge_s(cw, i32x4.splat(W)); // all ones where ow ≥ W
      cw = i32x4.sub(cw, v128.and(over, i32x4.splat(W)));
      ch = i32x4.sub(ch, over); // (all ones is −1)
    }
    for (let kh = 0; kh < KH; kh++) {
      const ih = i32x4.add(ch, i32x4.splat(kh - p));
      const inRow = v128.and(i32x4.ge_s(ih, i32x4.splat(0)), i32x4.lt_s(ih, i32x4.splat(H)));
      for (let kw = 0; kw < KW; kw++) {
        const iw = i32x4.add(cw, i32x4.splat(kw - p));
        const inside = v128.and(inRow, v128.and(i32x4.ge_s(iw, i32x4.splat(0)), i32x4.lt_s(iw, i32x4.splat(W))));
        v128.store(masks + <usize>((kh * KW + kw) * 32 + half * 16), inside);
      }
    }
  }
}

/**
 * The NR values of row (c,kh,kw) of im2col(x) from output position (oh, ow) on: 0 outside x and past
 * `cols`. With stride 1 the positions in one output row read one run of x, so the panel goes run by
 * run (a panel crosses into the next output row whenever OW is not a multiple of NR: every panel of
 * a 7×7 map); otherwise value by value.
 */
function panelColumn(x: usize, H: i32, W: i32, OW: i32, s: i32, p: i32, c: i32, kh: i32, kw: i32, oh: i32, ow: i32,
                     cols: i32, out: usize): void {
  if (s == 1) {
    let j = 0;
    while (j < cols) {
      const n = min(cols - j, OW - ow); // this output row's positions in the panel
      const ih = oh + kh - p, iw = ow + kw - p; // x[c, ih, iw + t] for t < n
      const lo = min(n, max(0, -iw)), hi = max(lo, min(n, W - iw)); // inside x: t in [lo, hi)
      const o = out + <usize>j * 4;
      if (ih < 0 || ih >= H) {
        for (let t = 0; t < n; t++) store<f32>(o + <usize>t * 4, 0);
      } else {
        const row = x + <usize>((c * H + ih) * W + iw) * 4;
        for (let t = 0; t < lo; t++) store<f32>(o + <usize>t * 4, 0);
        for (let t = lo; t < hi; t++) store<f32>(o + <usize>t * 4, load<f32>(row + <usize>t * 4));
        for (let t = hi; t < n; t++) store<f32>(o + <usize>t * 4, 0);
      }
      j += n;
      ow += n;
      if (ow == OW) { ow = 0; oh++; }
    }
    for (; j < NR; j++) store<f32>(out + <usize>j * 4, 0);
    return;
  }
  for (let j = 0; j < NR; j++) {
    const ih = oh * s + kh - p, iw = ow * s + kw - p;
    const inside = j < cols && ih >= 0 && ih < H && iw >= 0 && iw < W;
    store<f32>(out + <usize>j * 4, inside ? load<f32>(x + <usize>((c * H + ih) * W + iw) * 4) : 0);
    if (++ow == OW) { ow = 0; oh++; }
  }
}

/** dx[c, ih, iw] += dcols[(c,kh,kw), (oh,ow)]: the adjoint of im2col. */
function col2im(dcols: usize, C: i32, H: i32, W: i32, KH: i32, KW: i32, OH: i32, OW: i32, s: i32, p: i32, dx: usize): void {
  let r = 0;
  for (let c = 0; c < C; c++) {
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        const row = dcols + <usize>(r * OH * OW) * 4;
        r++;
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * s + kh - p;
          if (ih < 0 || ih >= H) continue;
          const dst = dx + <usize>((c * H + ih) * W) * 4;
          const src = row + <usize>(oh * OW) * 4;
          if (s == 1) {
            // Stride 1: the row adds onto one contiguous run of dx (as in im2col), four at a time.
            const first = max(0, p - kw);
            const last = min(OW, W + p - kw);
            const d = dst + <usize>(kw - p) * 4; // d + ow·4 is dx[c, ih, ow + kw − p]
            let ow = first;
            for (; ow + 4 <= last; ow += 4) {
              const at = <usize>ow * 4;
              v128.store(d + at, f32x4.add(v128.load(d + at), v128.load(src + at)));
            }
            for (; ow < last; ow++) store<f32>(d + <usize>ow * 4, load<f32>(d + <usize>ow * 4) + load<f32>(src + <usize>ow * 4));
            continue;
          }
          for (let ow = 0; ow < OW; ow++) {
            const iw = ow * s + kw - p;
            if (iw >= 0 && iw < W) {
              const d = dst + <usize>iw * 4;
              store<f32>(d, load<f32>(d) + load<f32>(src + <usize>ow * 4));
            }
          }
        }
      }
    }
  }
}

/**
 * Scratch bytes per thread for the convolution kernels. Their scratch is SYNC_BYTES (zeroed, for
 * the counter from which the threads take images one at a time, so a faster thread takes more)
 * followed by nt of these: thread tid's region starts scratchPerThread·tid bytes after the counters.
 * (scratchPerThread, in bytes, is not the convolution's stride, which the kernels call s.)
 */
export function convScratchBytes(C: i32, KH: i32, KW: i32, OH: i32, OW: i32, OC: i32): i32 {
  const K = C * KH * KW;
  return ((max(K * OH * OW, packedWeights(OC, K)) * 4 + 15) & ~15) + gemmScratchBytes();
}

/** Largest packed filter bank conv2d packs once per call (in floats: 256 KB). */
const PACKED_WEIGHTS_MAX: i32 = 65536;

/**
 * Floats of w (OC×K) packed into MR-row panels for the whole call (0: too large, packed block by
 * block for each image instead). Block (mc, k0) of the packing lies at mc·K + k0·(its rows rounded
 * up to MR): every row block before it holds MC rows (a multiple of MR) of all K columns.
 */
function packedWeights(OC: i32, K: i32): i32 {
  const n = ((OC + MR - 1) / MR) * MR * K;
  return n <= PACKED_WEIGHTS_MAX ? n : 0;
}

/**
 * y[n] = w·im2col(x[n]) + b (then ReLU if relu) for the images this thread takes; bias and ReLU are
 * the matrix multiply's epilogue. A fast path of the definition `convCell` (src/backends/reference/conv.ts)
 * followed by RELU.f (src/ops/elementwise.ts); the parity tests check it against the reference.  x:(N,C,H,W) w:(OC,C·KH·KW) b:(OC) or 0 y:(N,OC,OH·OW)
 */
export function conv2d(x: usize, w: usize, b: usize, relu: bool, N: i32, C: i32, H: i32, W: i32, OC: i32, KH: i32, KW: i32,
                       OH: i32, OW: i32, s: i32, p: i32, y: usize, scratch: usize, scratchPerThread: i32, tid: i32, nt: i32): void {
  const K = C * KH * KW;
  const P = OH * OW;
  // gemmBlock(w, im2col(x[n])) with its packB replaced by im2colPanels: the same blocks, the same sums.
  // The filters are the same for every image: packed once into the start of this thread's scratch
  // when they fit (for a small map, packing them again for each image took longer than its products).
  const packed = scratch + SYNC_BYTES + <usize>tid * scratchPerThread;
  const packedFloats = packedWeights(OC, K), once = packedFloats > 0;
  const tmp = packed + <usize>((max(K * P, packedFloats) * 4 + 15) & ~15);
  const pa = tmp + TILE_BYTES;
  const pb = pa + <usize>(MC * KC) * 4;
  let n = claim(scratch);
  if (once && n < N) {
    for (let mc = 0; mc < OC; mc += MC) {
      const mb = min(MC, OC - mc), rows = ((mb + MR - 1) / MR) * MR;
      for (let k0 = 0; k0 < K; k0 += KC) packA(false, w, OC, K, mc, mb, k0, min(KC, K - k0), packed + <usize>(mc * K + k0 * rows) * 4);
    }
  }
  for (; n < N; n = claim(scratch)) {
    const xn = x + <usize>(n * C * H * W) * 4, yn = y + <usize>(n * OC * P) * 4;
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kb = min(KC, K - k0);
      for (let nc = 0; nc < P; nc += NC) {
        const nb = min(NC, P - nc);
        im2colPanels(xn, C, H, W, KH, KW, OH, OW, s, p, k0, kb, nc, nb, pb, tmp, TILE_BYTES); // (tmp is free until tiles)
        for (let mc = 0; mc < OC; mc += MC) {
          const mb = min(MC, OC - mc), rows = ((mb + MR - 1) / MR) * MR;
          let panels = pa;
          if (once) panels = packed + <usize>(mc * K + k0 * rows) * 4;
          else packA(false, w, OC, K, mc, mb, k0, kb, pa);
          tiles(kb, panels, mb, pb, nb, yn, P, mc, nc, k0 == 0, k0 + kb == K, tmp, b, true, relu, 0);
        }
      }
    }
  }
}

/** dx[n] = col2im(wᵀ·dy[n]) for the images this thread takes. */
export function conv2dBackwardInput(dy: usize, w: usize, N: i32, C: i32, H: i32, W: i32, OC: i32, KH: i32, KW: i32,
                                    OH: i32, OW: i32, s: i32, p: i32, dx: usize, scratch: usize, scratchPerThread: i32, tid: i32, nt: i32): void {
  const K = C * KH * KW;
  const P = OH * OW;
  const dcols = scratch + SYNC_BYTES + <usize>tid * scratchPerThread;
  const gs = dcols + <usize>((K * P * 4 + 15) & ~15);
  for (let n = claim(scratch); n < N; n = claim(scratch)) {
    gemmBlock(true, false, K, P, OC, w, dy + <usize>(n * OC * P) * 4, 0, dcols, 0, K, 0, P, gs, 0, false, false);
    const dxn = dx + <usize>(n * C * H * W) * 4;
    memory.fill(dxn, 0, <usize>(C * H * W) * 4);
    col2im(dcols, C, H, W, KH, KW, OH, OW, s, p, dxn);
  }
}

/**
 * Partial filter gradients over fixed groups of images: the batch is cut into `parts` groups of
 * consecutive images, the threads take groups from a counter, and for group j
 *   dwParts[j] = Σ_{n in group j} dy[n]·im2col(x[n])ᵀ,   dbParts[j] = Σ_{n in group j} Σ_p dy[n].
 * The caller sums the parts in order (sumParts). Because the groups do not depend on which thread
 * took them, or how many threads there are, the gradient is the same on every run.
 */
export function conv2dBackwardFilter(x: usize, dy: usize, N: i32, C: i32, H: i32, W: i32, OC: i32, KH: i32, KW: i32,
                                     OH: i32, OW: i32, s: i32, p: i32, dwParts: usize, dbParts: usize, parts: i32,
                                     scratch: usize, scratchPerThread: i32, tid: i32, nt: i32): void {
  const K = C * KH * KW;
  const P = OH * OW;
  const cols = scratch + SYNC_BYTES + <usize>tid * scratchPerThread;
  const list = cols + <usize>((K * P * 4 + 15) & ~15); // gemmNTBlock's list of chunks
  for (let j = claim(scratch); j < parts; j = claim(scratch)) {
    const dw = dwParts + <usize>(j * OC * K) * 4;
    const db = dbParts + <usize>(j * OC) * 4;
    memory.fill(dw, 0, <usize>(OC * K) * 4);
    memory.fill(db, 0, <usize>OC * 4);
    for (let n = lo(N, j, parts); n < hi(N, j, parts); n++) {
      im2col(x + <usize>(n * C * H * W) * 4, C, H, W, KH, KW, OH, OW, s, p, cols);
      const dyn = dy + <usize>(n * OC * P) * 4;
      gemmNTBlock(OC, K, P, dyn, cols, 1, dw, 0, OC, 0, K, 0, false, list, 0); // dw += dy[n] · colsᵀ: both contiguous along P
      for (let oc = 0; oc < OC; oc++) {
        const row = dyn + <usize>(oc * P) * 4;
        let acc = f32x4.splat(0);
        let i = 0;
        for (; i + 4 <= P; i += 4) acc = f32x4.add(acc, v128.load(row + <usize>i * 4));
        let sum = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
        for (; i < P; i++) sum += load<f32>(row + <usize>i * 4);
        store<f32>(db + <usize>oc * 4, load<f32>(db + <usize>oc * 4) + sum);
      }
    }
  }
}

/** out[i] = Σ_t parts[t·n + i], for this thread's range of i. */
export function sumParts(parts: usize, count: i32, n: i32, out: usize, tid: i32, nt: i32): void {
  for (let i = lo(n, tid, nt); i < hi(n, tid, nt); i++) {
    let s: f32 = 0;
    for (let t = 0; t < count; t++) s += load<f32>(parts + <usize>(t * n + i) * 4);
    store<f32>(out + <usize>i * 4, s);
  }
}

/**
 * Max pooling over this thread's (n,c) planes; argmax holds flat indices into x (Int32).
 * NOTE: the comparisons are branch-free (select): on real data the winner of a window is
 * unpredictable, and a mispredicted branch per element cost more than the rest of the kernel.
 * Ties keep the first element in window order (strict >), as the reference does.
 */
export function maxPool2d(x: usize, planes: i32, H: i32, W: i32, KH: i32, KW: i32, OH: i32, OW: i32, s: i32,
                          y: usize, argmax: usize, tid: i32, nt: i32): void {
  const p1 = hi(planes, tid, nt);
  for (let pl = lo(planes, tid, nt); pl < p1; pl++) {
    const base = pl * H * W;
    let o = pl * OH * OW;
    for (let oh = 0; oh < OH; oh++) {
      let ow = 0;
      if (KH == 2 && KW == 2 && s == 2) {
        // 4 windows at once: even and odd columns of two rows, de-interleaved by shuffles.
        const r0 = base + oh * 2 * W;
        const r1 = r0 + W;
        const step = i32x4(0, 2, 4, 6);
        for (; ow + 4 <= OW; ow += 4) {
          const a0 = v128.load(x + <usize>(r0 + 2 * ow) * 4), a1 = v128.load(x + <usize>(r0 + 2 * ow) * 4, 16);
          const b0 = v128.load(x + <usize>(r1 + 2 * ow) * 4), b1 = v128.load(x + <usize>(r1 + 2 * ow) * 4, 16);
          const e0 = v128.shuffle<f32>(a0, a1, 0, 2, 4, 6), o0 = v128.shuffle<f32>(a0, a1, 1, 3, 5, 7);
          const e1 = v128.shuffle<f32>(b0, b1, 0, 2, 4, 6), o1 = v128.shuffle<f32>(b0, b1, 1, 3, 5, 7);
          const i0 = i32x4.add(i32x4.splat(r0 + 2 * ow), step);
          let best = e0, at = i0;
          let m = f32x4.gt(o0, best); best = v128.bitselect(o0, best, m); at = v128.bitselect(i32x4.add(i0, i32x4.splat(1)), at, m);
          m = f32x4.gt(e1, best); best = v128.bitselect(e1, best, m); at = v128.bitselect(i32x4.add(i0, i32x4.splat(W)), at, m);
          m = f32x4.gt(o1, best); best = v128.bitselect(o1, best, m); at = v128.bitselect(i32x4.add(i0, i32x4.splat(W + 1)), at, m);
          v128.store(y + <usize>o * 4, best);
          v128.store(argmax + <usize>o * 4, at);
          o += 4;
        }
      }
      for (; ow < OW; ow++) {
        let best: f32 = -Infinity;
        let at = base + oh * s * W + ow * s;
        for (let kh = 0; kh < KH; kh++) {
          const rowStart = base + (oh * s + kh) * W + ow * s;
          for (let kw = 0; kw < KW; kw++) {
            const v = load<f32>(x + <usize>(rowStart + kw) * 4);
            const better = v > best;
            best = select<f32>(v, best, better);
            at = select<i32>(rowStart + kw, at, better);
          }
        }
        store<f32>(y + <usize>o * 4, best);
        store<i32>(argmax + <usize>o * 4, at);
        o++;
      }
    }
  }
}

/**
 * dx = 0, then dx[argmax[i]] += dy[i], for this thread's planes (each plane's indices stay in the plane).
 * When 2×2 windows with stride 2 tile the plane exactly (every input in one window), each value of
 * dx is written once instead: 0 + dy where it was its window's maximum, else 0 (no zeroing pass).
 */
export function maxPool2dBackward(dy: usize, argmax: usize, planes: i32, H: i32, W: i32, KH: i32, KW: i32, OH: i32, OW: i32,
                                  s: i32, dx: usize, tid: i32, nt: i32): void {
  const inPlane = H * W, outPlane = OH * OW;
  const p0 = lo(planes, tid, nt), p1 = hi(planes, tid, nt);
  if (KH == 2 && KW == 2 && s == 2 && H == 2 * OH && W == 2 * OW) {
    const zero = f32x4.splat(0);
    const step = i32x4(0, 2, 4, 6);
    for (let pl = p0; pl < p1; pl++) {
      let o = pl * outPlane;
      for (let oh = 0; oh < OH; oh++) {
        const r0 = pl * inPlane + oh * 2 * W; // flat index of the window row's first input
        let ow = 0;
        for (; ow + 4 <= OW; ow += 4) {
          // 4 windows: their dy (as 0 + dy: −0 becomes +0, as in the sum) where argmax names the input.
          const d = f32x4.add(v128.load(dy + <usize>o * 4), zero);
          const am = v128.load(argmax + <usize>o * 4);
          const i0 = i32x4.add(i32x4.splat(r0 + 2 * ow), step);
          const e0 = v128.and(d, i32x4.eq(am, i0)), o0 = v128.and(d, i32x4.eq(am, i32x4.add(i0, i32x4.splat(1))));
          const e1 = v128.and(d, i32x4.eq(am, i32x4.add(i0, i32x4.splat(W))));
          const o1 = v128.and(d, i32x4.eq(am, i32x4.add(i0, i32x4.splat(W + 1))));
          const d0 = dx + <usize>(r0 + 2 * ow) * 4, d1 = d0 + <usize>W * 4;
          v128.store(d0, v128.shuffle<f32>(e0, o0, 0, 4, 1, 5)); v128.store(d0, v128.shuffle<f32>(e0, o0, 2, 6, 3, 7), 16);
          v128.store(d1, v128.shuffle<f32>(e1, o1, 0, 4, 1, 5)); v128.store(d1, v128.shuffle<f32>(e1, o1, 2, 6, 3, 7), 16);
          o += 4;
        }
        for (; ow < OW; ow++) {
          const d: f32 = 0 + load<f32>(dy + <usize>o * 4);
          const am = load<i32>(argmax + <usize>o * 4);
          const i0 = r0 + 2 * ow;
          store<f32>(dx + <usize>i0 * 4, am == i0 ? d : 0);
          store<f32>(dx + <usize>(i0 + 1) * 4, am == i0 + 1 ? d : 0);
          store<f32>(dx + <usize>(i0 + W) * 4, am == i0 + W ? d : 0);
          store<f32>(dx + <usize>(i0 + W + 1) * 4, am == i0 + W + 1 ? d : 0);
          o++;
        }
      }
    }
    return;
  }
  memory.fill(dx + <usize>(p0 * inPlane) * 4, 0, <usize>((p1 - p0) * inPlane) * 4);
  for (let i = p0 * outPlane; i < p1 * outPlane; i++) {
    const d = dx + <usize>load<i32>(argmax + <usize>i * 4) * 4;
    store<f32>(d, load<f32>(d) + load<f32>(dy + <usize>i * 4));
  }
}

/** Average pooling forward for this thread's planes. */
export function avgPool2d(x: usize, planes: i32, H: i32, W: i32, KH: i32, KW: i32, OH: i32, OW: i32, s: i32,
                          y: usize, tid: i32, nt: i32): void {
  const inv: f32 = 1 / <f32>(KH * KW);
  for (let pl = lo(planes, tid, nt); pl < hi(planes, tid, nt); pl++) {
    const base = pl * H * W;
    let o = pl * OH * OW;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        let sum: f32 = 0;
        for (let kh = 0; kh < KH; kh++) {
          const rowStart = base + (oh * s + kh) * W + ow * s;
          for (let kw = 0; kw < KW; kw++) sum += load<f32>(x + <usize>(rowStart + kw) * 4);
        }
        store<f32>(y + <usize>o * 4, sum * inv);
        o++;
      }
    }
  }
}

/** Average pooling backward: every input of a window gets dy/(KH·KW). */
export function avgPool2dBackward(dy: usize, planes: i32, H: i32, W: i32, KH: i32, KW: i32, OH: i32, OW: i32, s: i32,
                                  dx: usize, tid: i32, nt: i32): void {
  const inv: f32 = 1 / <f32>(KH * KW);
  const p0 = lo(planes, tid, nt), p1 = hi(planes, tid, nt);
  memory.fill(dx + <usize>(p0 * H * W) * 4, 0, <usize>((p1 - p0) * H * W) * 4);
  for (let pl = p0; pl < p1; pl++) {
    const base = pl * H * W;
    let o = pl * OH * OW;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const d = load<f32>(dy + <usize>o * 4) * inv;
        o++;
        for (let kh = 0; kh < KH; kh++) {
          const rowStart = base + (oh * s + kh) * W + ow * s;
          for (let kw = 0; kw < KW; kw++) {
            const at = dx + <usize>(rowStart + kw) * 4;
            store<f32>(at, load<f32>(at) + d);
          }
        }
      }
    }
  }
}
