// Dropout: a regularizer that randomly silences units during training.
import { defaultRandom, type Random } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { backend } from '../backends/index.js';
import { mul } from './elementwise.js';

/**
 * During training, zero each element with probability p and scale the survivors by 1/(1−p),
 * so the expected value is unchanged ("inverted dropout"); at evaluation, return x as is.
 *   y = x ⊙ mask / (1−p),  mask ~ Bernoulli(1−p)      dx = dy ⊙ mask / (1−p)
 */
export function dropout(x: Tensor, p: number, training: boolean, rng: Random = defaultRandom): Tensor {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: probability p=${p} is outside [0, 1)`);
  if (!training || p === 0) return x;
  // One draw from the seeded generator starts the mask's own fast generator (in the backend).
  const mask = backend().empty(x.size, x.dtype);
  backend().dropoutMask(mask, p, rng.nextUint32());
  return mul(x, new Tensor(mask, x.shape));
}
