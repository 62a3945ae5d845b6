// Softmax, log-softmax and the fused softmax + cross-entropy loss.
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

function softmaxLast(x: Tensor, log: boolean): Tensor {
  const cols = x.shape[x.rank - 1];
  const rows = x.size / cols;
  const y = backend().empty(x.size, x.dtype);
  backend().softmax(x.data, rows, cols, y, log);
  return result(y, x.shape, log ? 'logSoftmax' : 'softmax', [x], (dy) => {
    const dx = backend().empty(x.size, x.dtype);
    backend().softmaxBackward(y, dy, rows, cols, dx, log);
    accumulate(x, dx, true);
  });
}

/**
 * Softmax turns scores (logits) into a probability distribution: positive, summing to 1.
 *   y_j = e^(x_j) / Σ_k e^(x_k)        dx = y ⊙ (dy − Σ dy⊙y)
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  return alongLastAxis(x, axis, 'softmax', (t) => softmaxLast(t, false));
}

/** log(softmax(x)), computed stably:  y_j = x_j − log Σ_k e^(x_k).   dx = dy − softmax(x)·Σ dy */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return alongLastAxis(x, axis, 'logSoftmax', (t) => softmaxLast(t, true));
}

/** Check integer class labels against logits (N, classes) and return them as Int32Array. */
export function checkLabels(logits: Tensor, labels: ArrayLike<number>, op: string): Int32Array {
  if (logits.rank !== 2) throw new Error(`${op}: expected logits (N,classes), got ${formatShape(logits.shape)}`);
  const [N, classes] = logits.shape;
  if (labels.length !== N) throw new Error(`${op}: ${labels.length} labels for ${N} rows of logits; expected one label per row`);
  const out = labels instanceof Int32Array ? labels : Int32Array.from(labels);
  for (let i = 0; i < N; i++) {
    if (!Number.isInteger(labels[i]) || labels[i] < 0 || labels[i] >= classes) {
      throw new Error(`${op}: label ${labels[i]} at row ${i} is not a class index in [0, ${classes - 1}]`);
    }
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
  const out = backend().alloc(1, logits.dtype);
  out[0] = loss;
  return result(out, [], 'softmaxCrossEntropy', [logits], (dy) => {
    const dx = backend().empty(logits.size, logits.dtype);
    const s = dy[0] / N;
    for (let i = 0; i < dx.length; i++) dx[i] = probs[i] * s;
    for (let n = 0; n < N; n++) dx[n * classes + lab[n]] -= s;
    accumulate(logits, dx, true);
  });
}
