// Counting right answers: the accuracy bookkeeping of a hand-written training or test loop.
import { backend } from '../backends/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { formatShape } from '../tensor/shape.js';

/**
 * How many rows of `pred` (N, classes) have their largest score at the row's label — PyTorch's
 * `(pred.argmax(1) == y).type(torch.float).sum().item()`. Scores may be logits or probabilities:
 * softmax keeps the order, so the arg-max is the same.
 * @example correct += countCorrect(model.forward(x), y);
 */
export function countCorrect(pred: Tensor, labels: ArrayLike<number>): number {
  if (pred.rank !== 2 || pred.shape[0] !== labels.length) {
    throw new Error(`countCorrect: expected predictions (N,classes) with N = ${labels.length} labels, got ${formatShape(pred.shape)}`);
  }
  const [N, classes] = pred.shape;
  const b = backend();
  const fast = labels instanceof Int32Array ? b.countCorrect?.(pred.data, labels, N, classes) : undefined;
  if (typeof fast === 'number') return fast;
  // The backend's row maxima, with where each was (i·classes + its class), in its own memory: no
  // array of predicted classes is made (a fresh 64-value Int32Array costs V8 ~1.5 µs).
  const best = b.empty(N, pred.dtype), at = b.allocInt32(N);
  b.reduce('max', pred.data, pred.shape, [1], best, at);
  let n = 0;
  for (let i = 0; i < N; i++) if (at[i] - i * classes === labels[i]) n++;
  b.dispose(best);
  b.dispose(at);
  return n;
}
