// Softmax, log-softmax and the fused softmax + cross-entropy loss.
import type { Data } from '../backends/backend.js';
import { backend } from '../backends/index.js';
import { accumulate, result } from '../autograd/engine.js';
import type { Tensor } from '../tensor/tensor.js';
import { formatShape, normalizeAxis } from '../tensor/shape.js';
import { transpose } from './shape.js';

function alongLastAxis(x: Tensor, axis: number, op: string, f: (x: Tensor) => Tensor): Tensor {
  const a = normalizeAxis(axis, x.rank, op);
  if (a === x.rank - 1) return f(x);
  // Move the axis to the end, apply, move it back.
  const perm = x.shape.map((_, i) => i);
  perm[a] = x.rank - 1;
  perm[x.rank - 1] = a;
  return transpose(f(transpose(x, perm)), perm);
}

/**
 * The backward of softmax and log-softmax along rows of length cols, given their output y:
 *   softmax:      dx_j = y_j·(dy_j − Σ_k dy_k·y_k)       (the Jacobian is diag(y) − y·yᵀ)
 *   log-softmax:  dx_j = dy_j − e^(y_j)·Σ_k dy_k          (e^y is the softmax)
 * Sums run in float64. A backend may run it as one kernel (Backend.softmaxBackward).
 */
export function softmaxBackward(y: Data, dy: Data, rows: number, cols: number, dx: Data, log: boolean): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let s = 0;
    if (log) {
      for (let j = 0; j < cols; j++) s += dy[o + j];
      for (let j = 0; j < cols; j++) dx[o + j] = dy[o + j] - Math.exp(y[o + j]) * s;
    } else {
      for (let j = 0; j < cols; j++) s += dy[o + j] * y[o + j];
      for (let j = 0; j < cols; j++) dx[o + j] = y[o + j] * (dy[o + j] - s);
    }
  }
}

function softmaxLast(x: Tensor, log: boolean): Tensor {
  const cols = x.shape[x.rank - 1];
  const rows = x.size / cols;
  const y = backend().empty(x.size, x.dtype);
  backend().softmax(x.data, rows, cols, y, log);
  return result(y, x.shape, log ? 'logSoftmax' : 'softmax', [x], (dy) => {
    const dx = backend().empty(x.size, x.dtype);
    const b = backend();
    if (!b.softmaxBackward?.(y, dy, rows, cols, dx, log)) softmaxBackward(y, dy, rows, cols, dx, log);
    accumulate(x, dx, true);
  });
}

/**
 * Softmax turns scores (logits) into a probability distribution: positive, summing to 1.
 *   y_j = e^(x_j) / Σ_k e^(x_k)        (backward: softmaxBackward above)
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  return alongLastAxis(x, axis, 'softmax', (t) => softmaxLast(t, false));
}

/** log(softmax(x)), computed stably:  y_j = x_j − log Σ_k e^(x_k).   (backward: softmaxBackward above) */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return alongLastAxis(x, axis, 'logSoftmax', (t) => softmaxLast(t, true));
}

/**
 * Check integer class labels against logits (N, classes) and return a copy of them in the backend's
 * memory: what the op's backward reads even if the caller reuses its array before backward() runs.
 */
export function checkLabels(logits: Tensor, labels: ArrayLike<number>, op: string): Int32Array {
  if (logits.rank !== 2) throw new Error(`${op}: expected logits (N,classes), got ${formatShape(logits.shape)}`);
  const [N, classes] = logits.shape;
  if (labels.length !== N) throw new Error(`${op}: ${labels.length} labels for ${N} rows of logits; expected one label per row`);
  const out = backend().allocInt32(N);
  for (let i = 0; i < N; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new Error(`${op}: label ${label} at row ${i} is not a class index in [0, ${classes - 1}]`);
    }
    out[i] = label;
  }
  return out;
}

/**
 * Cross-entropy of softmax(logits) against integer labels, averaged over the batch:
 *   loss = (1/N) Σ_n −log softmax(logits_n)[label_n]
 * Fused with the softmax because the combined gradient is simple and exact:
 *   dlogits = (softmax(logits) − onehot(labels)) / N
 * logits:(N,classes) labels:(N) -> scalar
 */
export function softmaxCrossEntropy(logits: Tensor, labels: ArrayLike<number>): Tensor {
  const lab = checkLabels(logits, labels, 'crossEntropy');
  const [N, classes] = logits.shape;
  const probs = backend().empty(logits.size, logits.dtype);
  const loss = backend().softmaxCrossEntropy(logits.data, lab, N, classes, probs);
  const out = backend().empty(1, logits.dtype);
  out[0] = loss;
  return result(out, [], 'softmaxCrossEntropy', [logits], (dy) => {
    const dx = backend().empty(logits.size, logits.dtype);
    const s = dy[0] / N;
    if (!backend().crossEntropyBackward?.(probs, lab, N, classes, s, dx)) crossEntropyBackward(probs, lab, N, classes, s, dx);
    accumulate(logits, dx, true);
  });
}

/**
 * The backward of softmaxCrossEntropy, given its softmax probs and s = dloss / N:
 *   dx = s·(probs − onehot(labels))      (each product taken in float64, as JavaScript does)
 * A backend may run it as one kernel (Backend.crossEntropyBackward).
 */
export function crossEntropyBackward(probs: Data, labels: Int32Array, rows: number, cols: number, s: number, dx: Data): void {
  for (let i = 0; i < rows * cols; i++) dx[i] = probs[i] * s;
  for (let n = 0; n < rows; n++) dx[n * cols + labels[n]] -= s;
}
