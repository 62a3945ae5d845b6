// Reference softmax, log-softmax and the fused softmax + cross-entropy.
import type { Data } from '../backend.js';

/**
 * y[r, j] = e^(x[r,j] − m) / Σ_k e^(x[r,k] − m),  m = max_k x[r,k]
 * NOTE: subtracting the row maximum (the log-sum-exp trick) keeps e^x from overflowing;
 * it changes nothing mathematically because the factor e^−m cancels.
 */
export function softmax(x: Data, rows: number, cols: number, y: Data, log: boolean): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let m = -Infinity;
    for (let j = 0; j < cols; j++) if (x[o + j] > m) m = x[o + j];
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(x[o + j] - m);
    if (log) {
      const lse = m + Math.log(s); // log Σ e^x
      for (let j = 0; j < cols; j++) y[o + j] = x[o + j] - lse;
    } else {
      for (let j = 0; j < cols; j++) y[o + j] = Math.exp(x[o + j] - m) / s;
    }
  }
}

/**
 * loss = (1/rows) Σ_r −log softmax(logits[r])[labels[r]],  and probs = softmax(logits).
 * The backward (in src/ops/softmax.ts) is the famous simple one: dlogits = (probs − onehot(labels)) / rows.
 */
export function softmaxCrossEntropy(logits: Data, labels: Int32Array, rows: number, cols: number, probs: Data): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let m = -Infinity;
    for (let j = 0; j < cols; j++) if (logits[o + j] > m) m = logits[o + j];
    let s = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(logits[o + j] - m);
      probs[o + j] = e;
      s += e;
    }
    for (let j = 0; j < cols; j++) probs[o + j] /= s;
    // −log p = lse − x_label, computed without forming p, so tiny probabilities do not become log(0).
    total += m + Math.log(s) - logits[o + labels[r]];
  }
  return total / rows;
}
