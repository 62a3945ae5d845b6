// Elementwise, row and optimizer kernels with SIMD. Each thread takes a contiguous range;
// ranges are cut at multiples of 4 so vector loads never straddle two threads.

@inline function lo4(n: i32, tid: i32, nt: i32): i32 { return <i32>(((<i64>(n >> 2) * tid) / nt) << 2); }
@inline function hi4(n: i32, tid: i32, nt: i32): i32 { return tid == nt - 1 ? n : <i32>(((<i64>(n >> 2) * (tid + 1)) / nt) << 2); }
@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

export const OP_ADD: i32 = 0;
export const OP_SUB: i32 = 1;
export const OP_MUL: i32 = 2;
export const OP_DIV: i32 = 3;

@inline function vop(op: i32, a: v128, b: v128): v128 {
  if (op == OP_ADD) return f32x4.add(a, b);
  if (op == OP_SUB) return f32x4.sub(a, b);
  if (op == OP_MUL) return f32x4.mul(a, b);
  return f32x4.div(a, b);
}
@inline function sop(op: i32, a: f32, b: f32): f32 {
  if (op == OP_ADD) return a + b;
  if (op == OP_SUB) return a - b;
  if (op == OP_MUL) return a * b;
  return a / b;
}

/** out = a ∘ b, same length n; bScalar: b is one value repeated. */
export function binary(op: i32, a: usize, b: usize, bScalar: bool, out: usize, n: i32, tid: i32, nt: i32): void {
  const i0 = lo4(n, tid, nt), i1 = hi4(n, tid, nt);
  let i = i0;
  if (bScalar) {
    const s = load<f32>(b);
    const vs = f32x4.splat(s);
    for (; i + 4 <= i1; i += 4) v128.store(at(out, i), vop(op, v128.load(at(a, i)), vs));
    for (; i < i1; i++) store<f32>(at(out, i), sop(op, load<f32>(at(a, i)), s));
    return;
  }
  for (; i + 4 <= i1; i += 4) v128.store(at(out, i), vop(op, v128.load(at(a, i)), v128.load(at(b, i))));
  for (; i < i1; i++) store<f32>(at(out, i), sop(op, load<f32>(at(a, i)), load<f32>(at(b, i))));
}

/** y = max(0, x): a fast path of RELU.f (src/ops/elementwise.ts). */
export function relu(x: usize, y: usize, n: i32, tid: i32, nt: i32): void {
  const zero = f32x4.splat(0);
  let i = lo4(n, tid, nt);
  const i1 = hi4(n, tid, nt);
  for (; i + 4 <= i1; i += 4) v128.store(at(y, i), f32x4.max(v128.load(at(x, i)), zero));
  for (; i < i1; i++) store<f32>(at(y, i), max<f32>(load<f32>(at(x, i)), 0));
}

/** dx = dy where x > 0, else 0: a fast path of dy·RELU.df (src/ops/elementwise.ts). */
export function reluBackward(x: usize, dy: usize, dx: usize, n: i32, tid: i32, nt: i32): void {
  const zero = f32x4.splat(0);
  let i = lo4(n, tid, nt);
  const i1 = hi4(n, tid, nt);
  for (; i + 4 <= i1; i += 4) v128.store(at(dx, i), v128.and(v128.load(at(dy, i)), f32x4.gt(v128.load(at(x, i)), zero)));
  for (; i < i1; i++) store<f32>(at(dx, i), load<f32>(at(x, i)) > 0 ? load<f32>(at(dy, i)) : 0);
}

/** y = s·x: a fast path of SCALE.f (src/ops/elementwise.ts). */
export function scale(x: usize, s: f32, y: usize, n: i32, tid: i32, nt: i32): void {
  const vs = f32x4.splat(s);
  let i = lo4(n, tid, nt);
  const i1 = hi4(n, tid, nt);
  for (; i + 4 <= i1; i += 4) v128.store(at(y, i), f32x4.mul(v128.load(at(x, i)), vs));
  for (; i < i1; i++) store<f32>(at(y, i), load<f32>(at(x, i)) * s);
}

/** y += alpha·x */
export function axpy(alpha: f32, x: usize, y: usize, n: i32, tid: i32, nt: i32): void {
  const va = f32x4.splat(alpha);
  let i = lo4(n, tid, nt);
  const i1 = hi4(n, tid, nt);
  for (; i + 4 <= i1; i += 4) v128.store(at(y, i), f32x4.add(v128.load(at(y, i)), f32x4.mul(va, v128.load(at(x, i)))));
  for (; i < i1; i++) store<f32>(at(y, i), load<f32>(at(y, i)) + alpha * load<f32>(at(x, i)));
}

/** y[r,:] += b for this thread's rows. */
export function addRowVector(y: usize, b: usize, rows: i32, cols: i32, tid: i32, nt: i32): void {
  const r0 = <i32>((<i64>rows * tid) / nt), r1 = <i32>((<i64>rows * (tid + 1)) / nt);
  for (let r = r0; r < r1; r++) {
    const row = y + <usize>(r * cols) * 4;
    let j = 0;
    for (; j + 4 <= cols; j += 4) v128.store(at(row, j), f32x4.add(v128.load(at(row, j)), v128.load(at(b, j))));
    for (; j < cols; j++) store<f32>(at(row, j), load<f32>(at(row, j)) + load<f32>(at(b, j)));
  }
}

/** out[j] (+)= Σ_r dy[r, j] for this thread's columns. */
export function sumRows(dy: usize, rows: i32, cols: i32, out: usize, accumulate: bool, tid: i32, nt: i32): void {
  const j0 = lo4(cols, tid, nt), j1 = hi4(cols, tid, nt);
  let j = j0;
  for (; j + 4 <= j1; j += 4) {
    let acc = accumulate ? v128.load(at(out, j)) : f32x4.splat(0);
    for (let r = 0; r < rows; r++) acc = f32x4.add(acc, v128.load(at(dy, r * cols + j)));
    v128.store(at(out, j), acc);
  }
  for (; j < j1; j++) {
    let s: f32 = accumulate ? load<f32>(at(out, j)) : 0;
    for (let r = 0; r < rows; r++) s += load<f32>(at(dy, r * cols + j));
    store<f32>(at(out, j), s);
  }
}

// ---- optimizer steps: every parameter of a model updated in one call ----
// A table in memory lists the tensors, TENSOR_ENTRY i32 each: p, g, then the state (v for SGD, 0
// without momentum; m and v for Adam), then the length n. The threads share out all the tensors'
// elements in groups of four (a tensor's last group may be shorter), so one call updates a model
// however its weights are divided into tensors, and each element takes the same path (SIMD lanes,
// or the scalar loop for a tensor's last n mod 4) whichever thread updates it.

const TENSOR_ENTRY: i32 = 5;

/** i32 values per tensor in the table. */
export function tensorEntryInts(): i32 {
  return TENSOR_ENTRY;
}

/** Thread tid's share of the groups of four in the table's tensors: calls update(entry, from, to) for each piece. */
@inline function eachShare(table: usize, count: i32, tid: i32, nt: i32, update: (entry: usize, from: i32, to: i32) => void): void {
  let groups = 0;
  for (let i = 0; i < count; i++) groups += (load<i32>(table + <usize>(i * TENSOR_ENTRY + 4) * 4) + 3) >> 2;
  const g0 = <i32>((<i64>groups * tid) / nt), g1 = <i32>((<i64>groups * (tid + 1)) / nt);
  let first = 0; // the first group of tensor i
  for (let i = 0; i < count && first < g1; i++) {
    const entry = table + <usize>(i * TENSOR_ENTRY) * 4;
    const n = load<i32>(entry, 16);
    const from = max(g0 - first, 0), to = min(g1 - first, (n + 3) >> 2);
    if (from < to) update(entry, from << 2, min(to << 2, n));
    first += (n + 3) >> 2;
  }
}

// NOTE: an AssemblyScript function value captures no locals, so the hyperparameters reach the
// update functions below through globals (each thread's instance has its own).
let sgdLr: f32 = 0, sgdMomentum: f32 = 0, sgdWd: f32 = 0;

/**
 * SGD, a fast path of sgdUpdate (src/optim/sgd.ts) on every tensor of the table: g' = g + wd·p;
 * with momentum v = μ·v + g', p −= lr·v; without (v = 0): p −= lr·g'.
 * Four lanes at a time: f32x4 mul/add/sub round each lane exactly as the scalar f32 operations do
 * (no fused multiply-add here).
 */
export function sgdSteps(table: usize, count: i32, lr: f32, momentum: f32, wd: f32, tid: i32, nt: i32): void {
  sgdLr = lr; sgdMomentum = momentum; sgdWd = wd;
  eachShare(table, count, tid, nt, (entry: usize, i0: i32, i1: i32): void => {
    sgdRange(load<u32>(entry), load<u32>(entry, 4), load<u32>(entry, 8), i0, i1, sgdLr, sgdMomentum, sgdWd);
  });
}

/** The SGD update of elements [i0, i1) of one tensor. */
function sgdRange(p: usize, g: usize, v: usize, i0: i32, i1: i32, lr: f32, momentum: f32, wd: f32): void {
  const vlr = f32x4.splat(lr), vwd = f32x4.splat(wd), vmu = f32x4.splat(momentum);
  let i = i0;
  if (v) {
    for (; i + 4 <= i1; i += 4) {
      const pi = v128.load(at(p, i));
      const grad = f32x4.add(v128.load(at(g, i)), f32x4.mul(vwd, pi));
      const vi = f32x4.add(f32x4.mul(vmu, v128.load(at(v, i))), grad);
      v128.store(at(v, i), vi);
      v128.store(at(p, i), f32x4.sub(pi, f32x4.mul(vlr, vi)));
    }
  } else if (wd != 0) {
    for (; i + 4 <= i1; i += 4) {
      const pi = v128.load(at(p, i));
      const grad = f32x4.add(v128.load(at(g, i)), f32x4.mul(vwd, pi));
      v128.store(at(p, i), f32x4.sub(pi, f32x4.mul(vlr, grad)));
    }
  } else {
    // Plain SGD, p −= lr·g (adding 0·p to g changes no finite p's update; PyTorch skips it too),
    // a cache line per turn: with one vector per turn the loop's address arithmetic and control
    // outnumbered the update's own instructions, and W1's update took ~1.4× as long.
    for (; i + 16 <= i1; i += 16) {
      const pp = at(p, i), gp = at(g, i);
      v128.store(pp, f32x4.sub(v128.load(pp), f32x4.mul(vlr, v128.load(gp))));
      v128.store(pp, f32x4.sub(v128.load(pp, 16), f32x4.mul(vlr, v128.load(gp, 16))), 16);
      v128.store(pp, f32x4.sub(v128.load(pp, 32), f32x4.mul(vlr, v128.load(gp, 32))), 32);
      v128.store(pp, f32x4.sub(v128.load(pp, 48), f32x4.mul(vlr, v128.load(gp, 48))), 48);
    }
    for (; i + 4 <= i1; i += 4) {
      v128.store(at(p, i), f32x4.sub(v128.load(at(p, i)), f32x4.mul(vlr, v128.load(at(g, i)))));
    }
  }
  for (; i < i1; i++) {
    const grad = load<f32>(at(g, i)) + wd * load<f32>(at(p, i));
    if (v) {
      const vi = momentum * load<f32>(at(v, i)) + grad;
      store<f32>(at(v, i), vi);
      store<f32>(at(p, i), load<f32>(at(p, i)) - lr * vi);
    } else {
      store<f32>(at(p, i), load<f32>(at(p, i)) - lr * grad);
    }
  }
}

let adamLr: f32 = 0, adamB1: f32 = 0, adamB2: f32 = 0, adamEps: f32 = 0, adamWd: f32 = 0, adamC1: f32 = 0, adamC2: f32 = 0;

/** Adam, a fast path of adamUpdate (src/optim/adam.ts) on every tensor of the table; c1, c2 are the bias corrections 1 − βᵗ. */
export function adamSteps(table: usize, count: i32, lr: f32, b1: f32, b2: f32, eps: f32, wd: f32, c1: f32, c2: f32, tid: i32, nt: i32): void {
  adamLr = lr; adamB1 = b1; adamB2 = b2; adamEps = eps; adamWd = wd; adamC1 = c1; adamC2 = c2;
  eachShare(table, count, tid, nt, (entry: usize, i0: i32, i1: i32): void => {
    adamRange(load<u32>(entry), load<u32>(entry, 4), load<u32>(entry, 8), load<u32>(entry, 12), i0, i1,
              adamLr, adamB1, adamB2, adamEps, adamWd, adamC1, adamC2);
  });
}

/** The Adam update of elements [i0, i1) of one tensor. */
function adamRange(p: usize, g: usize, m: usize, v: usize, i0: i32, i1: i32, lr: f32, b1: f32, b2: f32, eps: f32, wd: f32,
                   c1: f32, c2: f32): void {
  let i = i0;
  const vb1 = f32x4.splat(b1), vb1c = f32x4.splat(1 - b1);
  const vb2 = f32x4.splat(b2), vb2c = f32x4.splat(1 - b2);
  const vc1 = f32x4.splat(1 / c1), vc2 = f32x4.splat(1 / c2);
  const veps = f32x4.splat(eps), vlr = f32x4.splat(lr), vwd = f32x4.splat(wd);
  for (; i + 4 <= i1; i += 4) {
    const gi = v128.load(at(g, i));
    const pi = v128.load(at(p, i));
    const mi = f32x4.add(f32x4.mul(vb1, v128.load(at(m, i))), f32x4.mul(vb1c, gi));
    const vi = f32x4.add(f32x4.mul(vb2, v128.load(at(v, i))), f32x4.mul(vb2c, f32x4.mul(gi, gi)));
    v128.store(at(m, i), mi);
    v128.store(at(v, i), vi);
    const step = f32x4.add(f32x4.div(f32x4.mul(mi, vc1), f32x4.add(f32x4.sqrt(f32x4.mul(vi, vc2)), veps)), f32x4.mul(vwd, pi));
    v128.store(at(p, i), f32x4.sub(pi, f32x4.mul(vlr, step)));
  }
  for (; i < i1; i++) {
    const gi = load<f32>(at(g, i));
    const pi = load<f32>(at(p, i));
    const mi = b1 * load<f32>(at(m, i)) + (1 - b1) * gi;
    const vi = b2 * load<f32>(at(v, i)) + (1 - b2) * gi * gi;
    store<f32>(at(m, i), mi);
    store<f32>(at(v, i), vi);
    store<f32>(at(p, i), pi - lr * (mi / c1 / (Mathf.sqrt(vi / c2) + eps) + wd * pi));
  }
}

/** memset(p, 0, bytes): zeroing a fresh tensor is faster here than TypedArray.fill on shared memory. */
export function zero(p: usize, bytes: i32): void {
  memory.fill(p, 0, <usize>bytes);
}

/** Dropout mask from xorshift32, the same sequence as the reference kernel (see there). Single-threaded: the sequence is serial. */
export function dropoutMask(out: usize, n: i32, threshold: u32, keep: f32, seed: u32): void {
  let s: u32 = seed == 0 ? 1 : seed;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    store<f32>(out + (<usize>i << 2), s >= threshold ? keep : 0);
  }
}

// The last divisor bytesToFloat saw, and 1/divisor split in two: hi (its leading 12 bits) and lo
// (the rest, rounded to f32). Each thread's instance has its own copy.
let splitDivisor: f32 = NaN, recipHi: f32 = 0, recipLo: f32 = 0, splitExact = false;

/**
 * Make recipHi + recipLo the reciprocal of d, and check x·hi + x·lo = x / d for every byte x.
 * Why it nearly always holds: x·hi is exact (8 bits × 12 bits fit in f32's 24), x·lo is tiny and
 * rounded, so the sum rounds once from within ~2⁻³⁵ of x/d, and x/255's binary expansion repeats
 * x's 8 bits, so it stays ~2⁻³³ away from every halfway point. The check makes it certain: a
 * divisor that fails it (or 0, or NaN) is divided by.
 */
function splitReciprocal(d: f32): void {
  if (d == splitDivisor) return;
  const r: f64 = 1.0 / <f64>d;
  recipHi = reinterpret<f32>(reinterpret<u32>(<f32>r) & 0xfffff000);
  recipLo = <f32>(r - <f64>recipHi);
  splitExact = true;
  for (let x = 0; x < 256; x++) {
    if (<f32>x * recipHi + <f32>x * recipLo != <f32>x / d) splitExact = false;
  }
  splitDivisor = d;
}

/**
 * out[i] = src[i] / divisor for n bytes: pixels 0–255 to floats (a data set's batch, the fast path
 * of Backend.gatherBytes once its rows are copied in). 16 bytes widen to four f32x4 per step.
 * The quotients are the correctly rounded ones f32 division gives (and JavaScript's float64
 * division stored into a Float32Array: x/255's expansion never lands on the halfway point that
 * double rounding would break), but computed as x·hi + x·lo (splitReciprocal): two multiplies and
 * an add instead of a division convert a batch in ~0.9× the time. (A plain x·(1/255) differs in the
 * last bit for some bytes.)
 * The widened bytes are 0–255, so the signed conversion (one instruction on x64; the unsigned one is
 * a sequence of them) gives the same floats.
 */
export function bytesToFloat(src: usize, n: i32, divisor: f32, out: usize): void {
  splitReciprocal(divisor);
  if (splitExact) widenBytes(src, n, divisor, out, true);
  else widenBytes(src, n, divisor, out, false);
}

@inline function quotient(x: v128, d: v128, hi: v128, lo: v128, split: bool): v128 {
  return split ? f32x4.add(f32x4.mul(x, hi), f32x4.mul(x, lo)) : f32x4.div(x, d);
}

/** bytesToFloat's loop, inlined once for each way of dividing (split: constant at each call). */
@inline function widenBytes(src: usize, n: i32, divisor: f32, out: usize, split: bool): void {
  const d = f32x4.splat(divisor), hi = f32x4.splat(recipHi), lo = f32x4.splat(recipLo);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const bytes = v128.load(src + <usize>i);
    const lo16 = i16x8.extend_low_i8x16_u(bytes), hi16 = i16x8.extend_high_i8x16_u(bytes);
    const o = at(out, i);
    v128.store(o, quotient(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(lo16)), d, hi, lo, split));
    v128.store(o, quotient(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(lo16)), d, hi, lo, split), 16);
    v128.store(o, quotient(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(hi16)), d, hi, lo, split), 32);
    v128.store(o, quotient(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(hi16)), d, hi, lo, split), 48);
  }
  for (; i < n; i++) {
    const x = <f32>load<u8>(src + <usize>i);
    store<f32>(at(out, i), split ? x * recipHi + x * recipLo : x / divisor);
  }
}

/**
 * out[r, :] = src[rows[r], :] / divisor for r < count, rows of rowLen bytes (Backend.gatherBytes on a
 * resident data set). Thread tid of nt gathers its share of the rows: a batch's rows lie scattered
 * over the whole data set, so each row is a wait on memory, and two threads wait on twice as many.
 */
export function gatherRows(src: usize, rows: usize, count: i32, rowLen: i32, divisor: f32, out: usize, tid: i32, nt: i32): void {
  const r0 = <i32>((<i64>count * tid) / nt), r1 = <i32>((<i64>count * (tid + 1)) / nt);
  // First touch one byte of every 64-byte line of every row: independent loads, so the memory
  // system fetches many rows at once, where the conversion loop alone would wait for each row's
  // first line in turn. The first lines of all rows go first: each row's page-table walk and first
  // miss then overlap with every other row's (0.87× the time of touching row by row from the start;
  // line by line across the rows, 1.06×, loses the hardware's prefetch of each row's next lines).
  if (r1 <= r0 || rowLen <= 0) return;
  let touched: u32 = 0;
  for (let r = r0; r < r1; r++) touched += load<u8>(src + <usize>load<i32>(rows + (<usize>r << 2)) * <usize>rowLen);
  for (let r = r0; r < r1; r++) {
    const row = src + <usize>load<i32>(rows + (<usize>r << 2)) * <usize>rowLen;
    for (let i = 64; i < rowLen; i += 64) touched += load<u8>(row + <usize>i);
  }
  const first = out + (<usize>(r0 * rowLen) << 2);
  store<u32>(first, touched); // (kept, so the loads are not optimized away; overwritten below)
  for (let r = r0; r < r1; r++) {
    const row = load<i32>(rows + (<usize>r << 2));
    bytesToFloat(src + <usize>row * <usize>rowLen, rowLen, divisor, out + (<usize>(r * rowLen) << 2));
  }
}
