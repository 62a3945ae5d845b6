// Weight initializers: the "arbitrary" start values, and the scaled ones that keep
// activations from shrinking or exploding as they pass through many layers.
import type { Tensor } from '../tensor/tensor.js';
import { defaultRandom, type Random } from '../tensor/random.js';

export type InitKind = 'he' | 'xavier' | 'normal' | 'uniform' | 'zeros';

/** Fill with U(low, high). */
export function uniform_(t: Tensor, low: number, high: number, rng: Random = defaultRandom): Tensor {
  for (let i = 0; i < t.size; i++) t.data[i] = low + (high - low) * rng.uniform();
  return t;
}

/** Fill with N(0, std²). */
export function normal_(t: Tensor, std: number, rng: Random = defaultRandom): Tensor {
  for (let i = 0; i < t.size; i++) t.data[i] = std * rng.normal();
  return t;
}

/**
 * Xavier/Glorot (2010): std = √(2 / (fanIn + fanOut)). Keeps the variance of activations and
 * gradients roughly constant through layers with symmetric activations (tanh, sigmoid).
 */
export function xavierNormal_(t: Tensor, fanIn: number, fanOut: number, rng: Random = defaultRandom): Tensor {
  return normal_(t, Math.sqrt(2 / (fanIn + fanOut)), rng);
}

/**
 * He/Kaiming (2015): std = √(2 / fanIn). ReLU zeroes half its inputs, halving the variance;
 * the factor 2 restores it, so deep ReLU networks start with well-scaled activations.
 */
export function heNormal_(t: Tensor, fanIn: number, rng: Random = defaultRandom): Tensor {
  return normal_(t, Math.sqrt(2 / fanIn), rng);
}

/**
 * Initialize a weight tensor by name. fanIn = inputs per neuron (IN, or C·KH·KW for a kernel).
 * 'normal' is the textbook's small arbitrary start N(0, 0.01²); 'uniform' is U(−1/√fanIn, 1/√fanIn).
 */
export function initWeight(t: Tensor, kind: InitKind, fanIn: number, fanOut: number, rng: Random = defaultRandom): Tensor {
  switch (kind) {
    case 'he': return heNormal_(t, fanIn, rng);
    case 'xavier': return xavierNormal_(t, fanIn, fanOut, rng);
    case 'normal': return normal_(t, 0.01, rng);
    case 'uniform': {
      const a = 1 / Math.sqrt(fanIn);
      return uniform_(t, -a, a, rng);
    }
    case 'zeros': t.data.fill(0); return t;
    default: throw new Error(`init: unknown initializer '${kind as string}', expected he, xavier, normal, uniform or zeros`);
  }
}
