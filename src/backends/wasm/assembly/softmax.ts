// Softmax, its backward, softmax cross-entropy and reductions: the row-wise kernels at the end of
// a network. Their sizes here are small (a batch × 10 classes), so they run on one thread.
// Like the reference (src/backends/reference/softmax.ts), exponentials and sums are taken in f64.

@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

/** Largest value of row x[0..cols) (−∞ for none; NaN never wins a '>' comparison, as in the reference). */
@inline function rowMax(x: usize, cols: i32): f64 {
  let m = -Infinity;
  for (let j = 0; j < cols; j++) {
    const v = <f64>load<f32>(at(x, j));
    if (v > m) m = v;
  }
  return m;
}

/** y = softmax(x) (or log-softmax) of each row.   x, y: (rows, cols) */
export function softmax(x: usize, rows: i32, cols: i32, y: usize, log: bool): void {
  for (let r = 0; r < rows; r++) {
    const xr = at(x, r * cols), yr = at(y, r * cols);
    // NOTE: subtracting the row's maximum keeps e^x finite; the result is the same.
    const m = rowMax(xr, cols);
    let s: f64 = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(<f64>load<f32>(at(xr, j)) - m);
    if (log) {
      const lse = m + Math.log(s);
      for (let j = 0; j < cols; j++) store<f32>(at(yr, j), <f32>(<f64>load<f32>(at(xr, j)) - lse));
    } else {
      for (let j = 0; j < cols; j++) store<f32>(at(yr, j), <f32>(Math.exp(<f64>load<f32>(at(xr, j)) - m) / s));
    }
  }
}

/** A fast path of softmaxBackward (src/ops/softmax.ts). softmax: dx = y ⊙ (dy − Σ_j dy_j·y_j);  log-softmax: dx = dy − e^y · Σ_j dy_j */
export function softmaxBackward(y: usize, dy: usize, rows: i32, cols: i32, dx: usize, log: bool): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let s: f64 = 0;
    if (log) {
      for (let j = 0; j < cols; j++) s += <f64>load<f32>(at(dy, o + j));
      for (let j = 0; j < cols; j++) {
        store<f32>(at(dx, o + j), <f32>(<f64>load<f32>(at(dy, o + j)) - Math.exp(<f64>load<f32>(at(y, o + j))) * s));
      }
    } else {
      for (let j = 0; j < cols; j++) s += <f64>load<f32>(at(dy, o + j)) * <f64>load<f32>(at(y, o + j));
      for (let j = 0; j < cols; j++) {
        store<f32>(at(dx, o + j), <f32>(<f64>load<f32>(at(y, o + j)) * (<f64>load<f32>(at(dy, o + j)) - s)));
      }
    }
  }
}

/**
 * probs = softmax(logits); returns loss = (1/rows) Σ_r −log probs[r, labels[r]].
 * labels: i32 class indices, checked by the caller.
 */
export function softmaxCrossEntropy(logits: usize, labels: usize, rows: i32, cols: i32, probs: usize): f64 {
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const xr = at(logits, r * cols), pr = at(probs, r * cols);
    const m = rowMax(xr, cols);
    let s: f64 = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(<f64>load<f32>(at(xr, j)) - m);
      store<f32>(at(pr, j), <f32>e);
      s += e;
    }
    for (let j = 0; j < cols; j++) store<f32>(at(pr, j), <f32>(<f64>load<f32>(at(pr, j)) / s));
    // NOTE: −log p = lse − x_label, computed without forming p, so a tiny p never becomes log(0).
    total += m + Math.log(s) - <f64>load<f32>(at(xr, load<i32>(at(labels, r))));
  }
  return total / rows;
}

/**
 * A fast path of crossEntropyBackward (src/ops/softmax.ts): dx = s·(probs − onehot(labels)), each
 * product taken in f64 and rounded to f32 once, as the JavaScript definition does.
 */
export function crossEntropyBackward(probs: usize, labels: usize, rows: i32, cols: i32, s: f64, dx: usize): void {
  const n = rows * cols;
  const vs = f64x2.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = v128.load(at(probs, i));
    const lo = f64x2.mul(f64x2.promote_low_f32x4(p), vs);
    const hi = f64x2.mul(f64x2.promote_low_f32x4(i32x4.shuffle(p, p, 2, 3, 0, 1)), vs);
    v128.store(at(dx, i), i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
  }
  for (; i < n; i++) store<f32>(at(dx, i), <f32>(<f64>load<f32>(at(probs, i)) * s));
  for (let r = 0; r < rows; r++) {
    // (An index outside dx is skipped, as a JavaScript typed array skips it: the op checked the labels.)
    const i = r * cols + load<i32>(at(labels, r));
    if (<u32>i >= <u32>n) continue;
    store<f32>(at(dx, i), <f32>(<f64>load<f32>(at(dx, i)) - s));
  }
}

/** Where row[0..cols) has its maximum, cols ≥ 1: the first value, then any larger one or any NaN (reduce's choice). */
@inline function rowArgmax(row: usize, cols: i32): i32 {
  let best = load<f32>(row), where = 0;
  for (let j = 1; j < cols; j++) {
    const v = load<f32>(at(row, j));
    if (v > best || v != v) {
      best = v;
      where = j;
    }
  }
  return where;
}

/** A fast path of countCorrect (src/nn/metrics.ts): rows of x (rows, cols ≥ 1) whose arg-max is their label. */
export function countCorrect(x: usize, labels: usize, rows: i32, cols: i32): i32 {
  let n = 0;
  for (let r = 0; r < rows; r++) if (rowArgmax(at(x, r * cols), cols) == load<i32>(at(labels, r))) n++;
  return n;
}

/**
 * out[o, i] = Σ_r x[o, r, i] (sum) or max_r x[o, r, i] (max, with argmax the flat index into x):
 * a reduction over one contiguous block of axes, x seen as (outer, R, inner).
 * NOTE: on ties max keeps the first maximum, so the gradient goes to one element; a NaN wins.
 */
export function reduce(isMax: bool, x: usize, outer: i32, R: i32, inner: i32, out: usize, argmax: usize): void {
  if (isMax && inner == 1 && R > 0) {
    // The maximum of each row (argmax of logits, per class): the same choices as the loop below
    // (the first value, then any larger one or any NaN), without its per-value index arithmetic.
    for (let o = 0; o < outer; o++) {
      const row = at(x, o * R);
      const where = rowArgmax(row, R);
      store<f32>(at(out, o), load<f32>(at(row, where)));
      if (argmax) store<i32>(at(argmax, o), o * R + where);
    }
    return;
  }
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * R * inner + i;
      if (!isMax) {
        let s: f32 = 0;
        for (let r = 0; r < R; r++) s += load<f32>(at(x, base + r * inner));
        store<f32>(at(out, o * inner + i), s);
        continue;
      }
      let best: f32 = -Infinity;
      let where = -1;
      for (let r = 0; r < R; r++) {
        const v = load<f32>(at(x, base + r * inner));
        if (v > best || (argmax && where == -1) || v != v) {
          best = v;
          where = base + r * inner;
        }
      }
      store<f32>(at(out, o * inner + i), best);
      if (argmax) store<i32>(at(argmax, o * inner + i), where);
    }
  }
}
