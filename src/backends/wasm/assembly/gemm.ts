// Packed, register-tiled matrix multiply with 128-bit SIMD, in the style of BLIS/GotoBLAS.
//
//   C (M×N) = op(A) (M×K) · op(B) (K×N)  [+ C]  [+ bias]  [then max(0, ·)]
//
// The loops, outermost first:
//   K in blocks of KC      so a packed block of B stays in L2 cache,
//   N in blocks of NC      (columns of C),
//   M in blocks of MC      so a packed block of A stays in L1/L2,
//   then 6×8 tiles of C, each computed by the micro-kernel entirely in registers.
// Packing copies A into panels of MR=6 rows and B into panels of NR=8 columns, laid out in
// exactly the order the micro-kernel reads them, so its loads are contiguous.
//
// NOTE: V8 on x64 gives WebAssembly 15 SIMD registers. The 6×8 tile needs 12 accumulators,
// 2 vectors of B and 1 broadcast of A at a time = 15, so nothing spills to the stack. 12
// independent accumulators also cover the FMA latency (4 cycles × 2 FMAs per cycle needs 8) with
// room to spare, and the loop's fixed cost (pointer steps, V8's interrupt check) is shared by 12
// FMAs instead of 8: on one core 1024³ went from 44–49 (4×8 tile) to 52–54 GFLOP/s.
// The epilogue — bias (one value per column of C for a dense layer, per row for a convolution)
// and ReLU — is applied as the last K block's tile is stored, so it costs no pass of its own.
// All pointers are byte offsets into the linear memory; a bias pointer of 0 means none.

export const MR: i32 = 6;
export const NR: i32 = 8;
export const KC: i32 = 256;
export const MC: i32 = 120; // a multiple of MR
export const NC: i32 = 2048;
/** Bytes for one MR×NR tile of C (edge tiles go through it). */
const C_TILE_BYTES: i32 = 256;
/** A thread's tile scratch: a tile of C, then the kept rows of an A panel (tile()). */
export const TILE_BYTES: i32 = C_TILE_BYTES + MR * KC * 4;

/** Bytes of the lists of kept rows that go with a block of packed B: per panel, a count and up to KC row numbers. */
const LIST_BYTES: i32 = (NC / NR) * (KC + 1) * 4;

/** Bytes of scratch one call needs for its packed panels. */
export function gemmScratchBytes(): i32 {
  return (MC * KC + KC * NC) * 4 + LIST_BYTES + TILE_BYTES;
}

@inline export function fma(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/**
 * Pack rows [m0, m0+mb) × cols [k0, k0+kb) of op(A) into MR-row panels: panel p holds, for each k, MR values.
 * mask (0: none; A's shape): each value of A is taken as 0 where mask's is not > 0 — the gradient
 * through a ReLU whose output mask is, exactly as reluBackward makes it.
 * sums (0: none): Σ_k op(A)[m, k] of the packed values, one per row m, added in order of k from 0
 * (k0 = 0) or from the sums of the blocks before (k0 > 0), as sumRows adds rows: a bias gradient.
 */
export function packA(transA: bool, a: usize, M: i32, K: i32, m0: i32, mb: i32, k0: i32, kb: i32, dst: usize,
                      mask: usize = 0, sums: usize = 0): void {
  const zero = f32x4.splat(0);
  for (let p = 0; p < mb; p += MR) {
    const rows = min(MR, mb - p);
    const panel = dst + <usize>(p * kb) * 4;
    if (transA && rows == MR) {
      // A stored transposed (K×M: the dyᵀ of a weight gradient dyᵀ·x): a panel's 6 values for one k
      // lie side by side, one 4-value and one 2-value copy (the scalar loop below took ~40% of a
      // 10×128×64 product).
      const at = sums + <usize>(m0 + p) * 4;
      let s4 = sums && k0 > 0 ? v128.load(at) : zero, s2 = sums && k0 > 0 ? v128.load64_zero(at + 16) : zero;
      for (let k = 0; k < kb; k++) {
        const offset = (<usize>(k0 + k) * M + m0 + p) * 4;
        let v4 = v128.load(a + offset), v2 = v128.load64_zero(a + offset + 16);
        if (mask) {
          v4 = v128.and(v4, f32x4.gt(v128.load(mask + offset), zero));
          v2 = v128.and(v2, f32x4.gt(v128.load64_zero(mask + offset + 16), zero));
        }
        const out = panel + <usize>(k * MR) * 4;
        v128.store(out, v4);
        v128.store64_lane(out + 16, v2, 0);
        if (sums) {
          s4 = f32x4.add(s4, v4);
          s2 = f32x4.add(s2, v2);
        }
      }
      if (sums) {
        v128.store(at, s4);
        v128.store64_lane(at + 16, s2, 0);
      }
      continue;
    }
    for (let k = 0; k < kb; k++) {
      const out = panel + <usize>(k * MR) * 4;
      for (let r = 0; r < MR; r++) {
        let v: f32 = 0;
        if (r < rows) {
          const m = m0 + p + r;
          const kk = k0 + k;
          const offset = (transA ? <usize>kk * M + m : <usize>m * K + kk) * 4;
          v = load<f32>(a + offset);
          if (mask && !(load<f32>(mask + offset) > 0)) v = 0;
          if (sums) store<f32>(sums + <usize>m * 4, (kk == 0 ? <f32>0 : load<f32>(sums + <usize>m * 4)) + v);
        }
        store<f32>(out + <usize>r * 4, v);
      }
    }
  }
}

/**
 * Pack rows [k0, k0+kb) × cols [n0, n0+nb) of op(B) into NR-column panels: panel q holds, for each k, NR values.
 * Each panel's list (at lists + (q/NR)·(KC+1)·4) holds how many rows it kept, then for each kept row
 * the byte offset k·MR·4 of that row in an A panel. A panel keeps all its rows unless a quarter or
 * more of them are all +0 and all of A is finite (a, aCount): then it leaves those rows out and
 * keeps the others, in order. A left-out row would add a·(+0) = ±0 to each accumulator for a finite
 * a, which changes nothing (0·∞ and 0·NaN are NaN: hence the check of A). MNIST images are ~80%
 * zeros: in a weight gradient dyᵀ·x, ~60% of a panel's rows go. A kept row of a shortened panel costs
 * its gather from the A panel (~1/5 of its work in the micro-kernel), so a few zero rows are not
 * worth it. Panels packed value by value (op(B) transposed, the last narrow panel) keep every row.
 */
function packB(transB: bool, b: usize, N: i32, K: i32, k0: i32, kb: i32, n0: i32, nb: i32, dst: usize, lists: usize,
               a: usize, aCount: i32): void {
  for (let q = 0; q < nb; q += NR) {
    const cols = min(NR, nb - q);
    const panel = dst + <usize>(q * kb) * 4;
    const list = lists + <usize>((q / NR) * (KC + 1)) * 4;
    let kept = kb;
    if (!transB && cols == NR) {
      // The common case: 8 contiguous floats per row of B, two vector copies.
      let zeros = 0;
      for (let k = 0; k < kb; k++) {
        const src = b + (<usize>(k0 + k) * N + n0 + q) * 4;
        const out = panel + <usize>(k * NR) * 4;
        const x0 = v128.load(src), x1 = v128.load(src, 16);
        v128.store(out, x0);
        v128.store(out, x1, 16);
        zeros += v128.any_true(v128.or(x0, x1)) ? 0 : 1;
      }
      if (zeros * 4 >= kb && finiteA(a, aCount)) kept = leaveOutZeroRows(panel, kb, list);
    } else {
      for (let k = 0; k < kb; k++) {
        const out = panel + <usize>(k * NR) * 4;
        const kk = k0 + k;
        for (let c = 0; c < NR; c++) {
          let v: f32 = 0;
          if (c < cols) {
            const n = n0 + q + c;
            v = transB ? load<f32>(b + (<usize>n * K + kk) * 4) : load<f32>(b + (<usize>kk * N + n) * 4);
          }
          store<f32>(out + <usize>c * 4, v);
        }
      }
    }
    store<u32>(list, kept);
  }
}

/**
 * Moves the rows of a packed B panel (kb rows of NR) that are not all +0 to its front, in order, and
 * lists where each one's row of an A panel starts; returns how many it kept. Branch-free: every row
 * is copied to the next free place, which moves on only past rows with a non-zero.
 */
function leaveOutZeroRows(panel: usize, kb: i32, list: usize): i32 {
  let kept = 0;
  for (let k = 0; k < kb; k++) {
    const row = panel + <usize>(k * NR) * 4;
    const x0 = v128.load(row), x1 = v128.load(row, 16);
    const out = panel + <usize>(kept * NR) * 4;
    v128.store(out, x0);
    v128.store(out, x1, 16);
    store<u32>(list + 4 + <usize>kept * 4, k * MR * 4);
    kept += v128.any_true(v128.or(x0, x1)) ? 1 : 0;
  }
  return kept;
}

/** Whether A is finite, for this call: -1 until packB first asks (each thread has its own copy). */
let aIsFinite: i32 = -1;

@inline function finiteA(a: usize, count: i32): bool {
  if (aIsFinite < 0) aIsFinite = finite(a, count) ? 1 : 0;
  return aIsFinite != 0;
}

/** The list of kept rows of the panel of packed B at column q (a multiple of NR), or 0 when it kept them all (or has none). */
@inline function keptRows(lists: usize, q: i32, kb: i32): usize {
  const list = lists + <usize>((q / NR) * (KC + 1)) * 4;
  return load<i32>(list) < kb ? list : 0;
}

/**
 * One tile through the micro-kernel; when its B panel kept only the rows in `list`, the A panel's
 * rows for those k are gathered first (after the tile of C in tmp), so the kernel runs its one loop on both.
 * (Reading A at listed rows inside the kernel made V8 load all six broadcasts at once and spill.)
 */
@inline function tile(kb: i32, pa: usize, pb: usize, list: usize, c: usize, ldc: i32, overwrite: bool, rows: i32, cols: i32,
                      tmp: usize, biasCol: usize, biasRow: usize, relu: bool): void {
  if (list) {
    const kept = load<i32>(list);
    const dst = tmp + C_TILE_BYTES;
    let out = dst;
    for (let at = list + 4, end = at + <usize>kept * 4; at < end; at += 4) {
      const src = pa + <usize>load<u32>(at);
      v128.store(out, v128.load(src));
      store<u64>(out + 16, load<u64>(src + 16));
      out += MR * 4;
    }
    pa = dst;
    kb = kept;
  }
  kernel6x8(kb, pa, pb, c, ldc, overwrite, rows, cols, tmp, biasCol, biasRow, relu);
}

/** Whether all n floats from p on are finite (no exponent of all ones: neither ∞ nor NaN). */
export function finite(p: usize, n: i32): bool {
  const magnitude = i32x4.splat(0x7fffffff);
  let most = i32x4.splat(0); // the largest |bits| seen, per lane
  let i = 0;
  for (; i + 4 <= n; i += 4) most = i32x4.max_u(most, v128.and(v128.load(p + <usize>i * 4), magnitude));
  for (; i < n; i++) most = i32x4.max_u(most, i32x4.splat(load<i32>(p + <usize>i * 4) & 0x7fffffff));
  return !v128.any_true(i32x4.ge_u(most, i32x4.splat(0x7f800000)));
}

/**
 * The micro-kernel: a 6×8 tile of C += (6×kb panel of A)·(kb×8 panel of B), in 12 vector registers.
 * Each step k multiplies one column of the A panel (6 values, each broadcast to a vector) by one
 * row of the B panel (8 values, two vectors): 12 fused multiply-adds.
 * overwrite: store instead of add (the first K block when beta = 0). rows/cols < 6/8 at the edges.
 * Epilogue (pass 0/false except on the last K block): biasCol → this tile's first column's bias,
 * biasRow → its first row's bias; relu: store max(0, ·).
 */
function kernel6x8(kb: i32, pa: usize, pb: usize, c: usize, ldc: i32, overwrite: bool, rows: i32, cols: i32, tmp: usize,
                   biasCol: usize, biasRow: usize, relu: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  let c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  const end = pb + <usize>kb * (NR * 4);
  while (pb < end) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    // Each broadcast is used right away, so one register serves all six.
    let a = v128.load32_splat(pa);
    c00 = fma(a, b0, c00); c01 = fma(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = fma(a, b0, c10); c11 = fma(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = fma(a, b0, c20); c21 = fma(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = fma(a, b0, c30); c31 = fma(a, b1, c31);
    a = v128.load32_splat(pa, 16);
    c40 = fma(a, b0, c40); c41 = fma(a, b1, c41);
    a = v128.load32_splat(pa, 20);
    c50 = fma(a, b0, c50); c51 = fma(a, b1, c51);
    pa += MR * 4;
    pb += NR * 4;
  }
  const stride = <usize>ldc * 4;
  if (rows == MR && cols == NR) {
    const zero = f32x4.splat(0);
    const b0 = biasCol ? v128.load(biasCol) : zero, b1 = biasCol ? v128.load(biasCol, 16) : zero;
    let r = c;
    storeRow(r, c00, c01, overwrite, b0, b1, biasRow, 0, relu); r += stride;
    storeRow(r, c10, c11, overwrite, b0, b1, biasRow, 1, relu); r += stride;
    storeRow(r, c20, c21, overwrite, b0, b1, biasRow, 2, relu); r += stride;
    storeRow(r, c30, c31, overwrite, b0, b1, biasRow, 3, relu); r += stride;
    storeRow(r, c40, c41, overwrite, b0, b1, biasRow, 4, relu); r += stride;
    storeRow(r, c50, c51, overwrite, b0, b1, biasRow, 5, relu);
    return;
  }
  // Edge tile: spill to an MR×NR buffer, then copy the valid part.
  v128.store(tmp, c00); v128.store(tmp, c01, 16);
  v128.store(tmp, c10, 32); v128.store(tmp, c11, 48);
  v128.store(tmp, c20, 64); v128.store(tmp, c21, 80);
  v128.store(tmp, c30, 96); v128.store(tmp, c31, 112);
  v128.store(tmp, c40, 128); v128.store(tmp, c41, 144);
  v128.store(tmp, c50, 160); v128.store(tmp, c51, 176);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const dst = c + <usize>i * stride + <usize>j * 4;
      let v = load<f32>(tmp + <usize>(i * NR + j) * 4);
      if (!overwrite) v += load<f32>(dst);
      store<f32>(dst, epilogue(v, biasCol, j, biasRow, i, relu));
    }
  }
}

/** One row of a full tile: (C +) the two accumulators, + bias, ReLU. */
@inline function storeRow(r: usize, x0: v128, x1: v128, overwrite: bool, b0: v128, b1: v128, biasRow: usize, i: i32, relu: bool): void {
  if (!overwrite) {
    x0 = f32x4.add(v128.load(r), x0);
    x1 = f32x4.add(v128.load(r, 16), x1);
  }
  if (biasRow) {
    const rb = v128.load32_splat(biasRow + <usize>i * 4);
    x0 = f32x4.add(x0, rb);
    x1 = f32x4.add(x1, rb);
  }
  x0 = f32x4.add(x0, b0);
  x1 = f32x4.add(x1, b1);
  if (relu) {
    const zero = f32x4.splat(0);
    x0 = f32x4.max(x0, zero);
    x1 = f32x4.max(x1, zero);
  }
  v128.store(r, x0);
  v128.store(r, x1, 16);
}

/**
 * The epilogue for one value of C at (row i, column j) of a block whose biases start at biasRow/biasCol:
 * + bias, then RELU.f (src/ops/elementwise.ts) fused into the store; parity-tested against gemm then relu.
 */
@inline export function epilogue(v: f32, biasCol: usize, j: i32, biasRow: usize, i: i32, relu: bool): f32 {
  if (biasCol) v += load<f32>(biasCol + <usize>j * 4);
  if (biasRow) v += load<f32>(biasRow + <usize>i * 4);
  return relu ? max<f32>(v, 0) : v;
}

/** The bias pointers for the tile at (row m, column n) of C: biasCol, biasRow (0 when none). */
@inline function biasColAt(bias: usize, perRow: bool, n: i32): usize { return bias && !perRow ? bias + <usize>n * 4 : 0; }
@inline function biasRowAt(bias: usize, perRow: bool, m: i32): usize { return bias && perRow ? bias + <usize>m * 4 : 0; }

/** C = (C or 0) + epilogue, for K = 0 where there is no product. */
function epilogueOnly(beta: i32, c: usize, N: i32, m0: i32, m1: i32, n0: i32, n1: i32, bias: usize, perRow: bool, relu: bool): void {
  for (let i = m0; i < m1; i++) {
    for (let j = n0; j < n1; j++) {
      const at = c + (<usize>i * N + j) * 4;
      store<f32>(at, epilogue(beta ? load<f32>(at) : 0, biasColAt(bias, perRow, 0), j, biasRowAt(bias, perRow, 0), i, relu));
    }
  }
}

/**
 * C[m0:m1, n0:n1] = op(A)·op(B) (+ C if beta = 1) (+ bias) (then ReLU), single-threaded over that block.
 * bias: M values (perRow) or N values, or 0. scratch: gemmScratchBytes() bytes, 16-byte aligned.
 */
export function gemmBlock(transA: bool, transB: bool, M: i32, N: i32, K: i32, a: usize, b: usize, beta: i32, c: usize,
                          m0: i32, m1: i32, n0: i32, n1: i32, scratch: usize, bias: usize, perRow: bool, relu: bool,
                          maskA: usize = 0, sumsA: usize = 0): void {
  if (m1 <= m0 || n1 <= n0) return;
  const tmp = scratch;
  const pa = scratch + TILE_BYTES;
  const pb = pa + <usize>(MC * KC) * 4;
  const lists = pb + <usize>(KC * NC) * 4;
  aIsFinite = -1;
  if (K == 0) {
    epilogueOnly(beta, c, N, m0, m1, n0, n1, bias, perRow, relu);
    if (sumsA) memory.fill(sumsA + <usize>m0 * 4, 0, <usize>(m1 - m0) * 4);
    return;
  }
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kb = min(KC, K - k0);
    const overwrite = k0 == 0 && beta == 0;
    const last = k0 + kb == K;
    for (let nc = n0; nc < n1; nc += NC) {
      const nb = min(NC, n1 - nc);
      packB(transB, b, N, K, k0, kb, nc, nb, pb, lists, a, M * K);
      for (let mc = m0; mc < m1; mc += MC) {
        const mb = min(MC, m1 - mc);
        packA(transA, a, M, K, mc, mb, k0, kb, pa, maskA, nc == n0 ? sumsA : 0);
        tiles(kb, pa, mb, pb, nb, c, N, mc, nc, overwrite, last, tmp, bias, perRow, relu, lists);
      }
    }
  }
}

/**
 * All tiles of C[mc:mc+mb, nc:nc+nb] from packed panels: pa (mb rows of op(A), MR-row panels) times pb
 * (nb columns of op(B), NR-column panels), kb deep. last: this is the last K block (apply the epilogue).
 * lists: packB's lists of kept rows, or 0 when every panel holds every row.
 */
export function tiles(kb: i32, pa: usize, mb: i32, pb: usize, nb: i32, c: usize, ldc: i32, mc: i32, nc: i32, overwrite: bool,
                      last: bool, tmp: usize, bias: usize, perRow: bool, relu: bool, lists: usize): void {
  for (let q = 0; q < nb; q += NR) {
    const cols = min(NR, nb - q);
    const panelB = pb + <usize>(q * kb) * 4;
    const list = lists ? keptRows(lists, q, kb) : 0; // (conv2d's panels have no lists)
    for (let p = 0; p < mb; p += MR) {
      const rows = min(MR, mb - p);
      tile(kb, pa + <usize>(p * kb) * 4, panelB, list, c + (<usize>(mc + p) * ldc + nc + q) * 4, ldc, overwrite, rows, cols, tmp,
           last ? biasColAt(bias, perRow, nc + q) : 0, last ? biasRowAt(bias, perRow, mc + p) : 0, last && relu);
    }
  }
}

// ---- On threads ----
// Cutting C into one fixed strip per thread makes every product as slow as the slowest core, and
// on shared machines one core is often slower for a while. So the threads share the work:
//   1. each packs its share of the panels of A and B into scratch that all of them read;
//   2. the tiles of C are dealt out in small units (up to MC rows × up to 16 panels of columns).
//      The rows are cut into one range per thread, each with its own counter: a thread takes the
//      units of its own range first, then helps with the others' (so a thread that runs faster
//      takes more units). Owning rows keeps each thread on the same rows of C from one product to
//      the next: a weight gradient's rows are then in the cache of the thread that updates them
//      (the optimizer splits the same way), and that thread reads those weights in the forward pass;
//   3. a barrier after each K block (the packed panels are overwritten by the next one).
// Measured on the 1024³ product with the earlier fixed strips, the main thread waited ~10% of
// each product for the other.

/** Rows of A the threaded gemm packs at once (a multiple of MC). */
export const MB: i32 = 2040;
/** Aim for at least this many units of work per thread, so the last ones even out. */
const UNITS_PER_THREAD: i32 = 8;
/** Bytes at the start of a threaded kernel's scratch for its counters (zeroed by the caller). */
export const SYNC_BYTES: i32 = 64;
/** Ranges of rows the threaded gemm deals out (one per thread, up to this many: a counter each after the barrier's). */
const ROW_RANGES: i32 = SYNC_BYTES / 4 - 1;

/** Rows in range r of `ranges` over rowPanels panels of MR rows (the last panel may be short: mb rows in all). */
@inline function rangeRows(rowPanels: i32, r: i32, ranges: i32, mb: i32): i32 {
  return min(mb, ((rowPanels * (r + 1)) / ranges) * MR) - ((rowPanels * r) / ranges) * MR;
}

/** Bytes of scratch for gemm on nt threads; its first SYNC_BYTES must be zero when the call starts. */
export function gemmSharedScratchBytes(nt: i32): i32 {
  return SYNC_BYTES + nt * TILE_BYTES + (MB * KC + KC * NC) * 4 + LIST_BYTES;
}

/** Take the next unit of work: the counter's value before this thread bumped it. */
@inline export function claim(counter: usize): i32 {
  if (ASC_FEATURE_THREADS) return atomic.add<i32>(counter, 1);
  const v = load<i32>(counter);
  store<i32>(counter, v + 1);
  return v;
}

/** Spins at a barrier before sleeping: set per thread by the pool (0 when there are more threads than cores). */
let barrierSpins: i32 = 100000;

/** How long this thread spins at a barrier before it sleeps (the pool calls it on every thread). */
export function setSpin(spins: i32): void {
  barrierSpins = min(spins, 100000);
}

/**
 * Wait until `arrivals` threads in all have reached a barrier, counting this one. The others run
 * this kernel too and arrive within a unit's time, so spin; if they do not (more threads than
 * cores: then no spinning at all), sleep until the last one to arrive wakes the sleepers (the
 * timeout only guards against a lost wake-up).
 */
@inline function barrier(counter: usize, arrivals: i32): void {
  if (ASC_FEATURE_THREADS) {
    let seen = atomic.add<i32>(counter, 1) + 1;
    if (seen >= arrivals) {
      atomic.notify(counter, -1);
      return;
    }
    for (let spins = 0; seen < arrivals; spins++) {
      if (spins >= barrierSpins) memory.atomic.wait32(counter, seen, 1000000); // 1 ms at most
      seen = atomic.load<i32>(counter);
    }
  }
}

/**
 * Thread `tid` of `nt`: its part of C = op(A)·op(B) (+C if beta = 1) (+ bias) (then ReLU), as gemmBlock;
 * maskA and sumsA (0: none) as packA's mask and sums: A ⊙ [maskA > 0], and the row sums of op(A).
 * With one thread this is gemmBlock over all of C, and scratch needs gemmScratchBytes(); with more,
 * gemmSharedScratchBytes(nt).
 */
export function gemm(transA: bool, transB: bool, M: i32, N: i32, K: i32, a: usize, b: usize, beta: i32, c: usize,
                     bias: usize, perRow: bool, relu: bool, scratch: usize, maskA: usize, sumsA: usize, tid: i32, nt: i32): void {
  if (nt == 1 || K == 0) {
    if (tid == 0) gemmBlock(transA, transB, M, N, K, a, b, beta, c, 0, M, 0, N, scratch, bias, perRow, relu, maskA, sumsA);
    return;
  }
  const arrived = scratch, counters = scratch + 4; // counters: one per range of rows
  const tmp = scratch + SYNC_BYTES + <usize>(tid * TILE_BYTES);
  const pa = scratch + SYNC_BYTES + <usize>(nt * TILE_BYTES);
  const pb = pa + <usize>(MB * KC) * 4;
  const lists = pb + <usize>(KC * NC) * 4;
  const ranges = min(nt, ROW_RANGES);
  aIsFinite = -1;
  let arrivals = 0;
  for (let m0 = 0; m0 < M; m0 += MB) {
    const mb = min(MB, M - m0);
    const rowPanels = (mb + MR - 1) / MR;
    let rowChunks = 0; // units of rows over all ranges
    for (let r = 0; r < ranges; r++) rowChunks += (rangeRows(rowPanels, r, ranges, mb) + MC - 1) / MC;
    for (let n0 = 0; n0 < N; n0 += NC) {
      const nb = min(NC, N - n0);
      const colPanels = (nb + NR - 1) / NR;
      const chunk = max(1, min(16, (colPanels * rowChunks + UNITS_PER_THREAD * nt - 1) / (UNITS_PER_THREAD * nt)));
      const colChunks = (colPanels + chunk - 1) / chunk;
      for (let k0 = 0; k0 < K; k0 += KC) {
        const kb = min(KC, K - k0);
        // 1. This thread's share of the panels.
        const p0 = (rowPanels * tid) / nt, p1 = (rowPanels * (tid + 1)) / nt;
        if (p1 > p0) packA(transA, a, M, K, m0 + p0 * MR, min(mb, p1 * MR) - p0 * MR, k0, kb, pa + <usize>(p0 * MR * kb) * 4,
                           maskA, n0 == 0 ? sumsA : 0);
        const q0 = (colPanels * tid) / nt, q1 = (colPanels * (tid + 1)) / nt;
        if (q1 > q0) packB(transB, b, N, K, k0, kb, n0 + q0 * NR, min(nb, q1 * NR) - q0 * NR, pb + <usize>(q0 * NR * kb) * 4,
                           lists + <usize>(q0 * (KC + 1)) * 4, a, M * K);
        arrivals += nt;
        barrier(arrived, arrivals);
        // 2. Units of tiles until none are left: this thread's range of rows first, then the others'.
        const overwrite = k0 == 0 && beta == 0;
        const last = k0 + kb == K;
        for (let i = 0; i < ranges; i++) {
          const r = (tid + i) % ranges;
          const rowStart = ((rowPanels * r) / ranges) * MR, rows = rangeRows(rowPanels, r, ranges, mb);
          const units = ((rows + MC - 1) / MC) * colChunks;
          const counter = counters + <usize>r * 4;
          for (let u = claim(counter); u < units; u = claim(counter)) {
            const p = rowStart + (u / colChunks) * MC, j = u % colChunks;
            const pEnd = min(rowStart + rows, p + MC), qEnd = min(nb, (j + 1) * chunk * NR);
            for (let q = j * chunk * NR; q < qEnd; q += NR) {
              const panelB = pb + <usize>(q * kb) * 4;
              const list = keptRows(lists, q, kb);
              for (let pp = p; pp < pEnd; pp += MR) {
                tile(kb, pa + <usize>(pp * kb) * 4, panelB, list, c + (<usize>(m0 + pp) * N + n0 + q) * 4, N, overwrite,
                     min(MR, mb - pp), min(NR, nb - q), tmp,
                     last ? biasColAt(bias, perRow, n0 + q) : 0, last ? biasRowAt(bias, perRow, m0 + pp) : 0, last && relu);
              }
            }
          }
        }
        // 3. Everyone is done with these panels. The counters are reset before the next barrier,
        //    which no thread passes (to claim again) before thread 0 arrives.
        arrivals += nt;
        barrier(arrived, arrivals);
        if (tid == 0) for (let r = 0; r < ranges; r++) store<i32>(counters + <usize>r * 4, 0);
      }
    }
  }
}
