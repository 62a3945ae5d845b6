// Loss functions: how wrong the network is, as one number to minimize.
import { softmaxCrossEntropy } from '../ops/softmax.js';
import { mul, sub } from '../ops/elementwise.js';
import { mean } from '../ops/reduce.js';
import type { Tensor } from '../tensor/tensor.js';
import { formatShape, shapeEquals } from '../tensor/shape.js';

/**
 * Cross-entropy for classification, from raw scores (logits) and integer class labels.
 * Applies softmax internally (fused, numerically stable), so the model's last layer
 * outputs logits, not probabilities.
 * @example const loss = crossEntropy(model.forward(x), [3, 1, 4]);
 */
export function crossEntropy(logits: Tensor, labels: ArrayLike<number>): Tensor {
  return softmaxCrossEntropy(logits, labels);
}

/**
 * Mean squared error, for regression:  loss = mean((prediction − target)²).
 * d loss / d prediction = 2·(prediction − target) / count
 */
export function mseLoss(prediction: Tensor, target: Tensor): Tensor {
  if (!shapeEquals(prediction.shape, target.shape)) {
    throw new Error(`mseLoss: prediction ${formatShape(prediction.shape)} and target ${formatShape(target.shape)} must have the same shape`);
  }
  const diff = sub(prediction, target);
  return mean(mul(diff, diff));
}

/** Loss as an object, PyTorch style: `new CrossEntropyLoss().forward(logits, labels)`. */
export class CrossEntropyLoss {
  forward(logits: Tensor, labels: ArrayLike<number>): Tensor {
    return crossEntropy(logits, labels);
  }
}

export class MSELoss {
  forward(prediction: Tensor, target: Tensor): Tensor {
    return mseLoss(prediction, target);
  }
}
