// Counting right answers: the accuracy bookkeeping of a hand-written training or test loop.
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
  const predicted = pred.argmax(1);
  let n = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) n++;
  return n;
}
