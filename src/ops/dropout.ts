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
  const mask = backend().alloc(x.size, x.dtype);
  const keep = 1 / (1 - p);
  for (let i = 0; i < mask.length; i++) mask[i] = rng.uniform() >= p ? keep : 0;
  return mul(x, new Tensor(mask, x.shape));
}
