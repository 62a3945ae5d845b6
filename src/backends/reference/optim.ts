// Reference optimizer updates.
import type { AdamHyper, Data } from '../backend.js';

/** v = momentum·v + (g + wd·p);  p −= lr·v.  Without a velocity buffer: p −= lr·(g + wd·p). */
export function sgdStep(p: Data, g: Data, v: Data | null, lr: number, momentum: number, weightDecay: number): void {
  for (let i = 0; i < p.length; i++) {
    const grad = g[i] + weightDecay * p[i];
    if (v) {
      v[i] = momentum * v[i] + grad;
      p[i] -= lr * v[i];
    } else {
      p[i] -= lr * grad;
    }
  }
}

/**
 * m = β1·m + (1−β1)·g          (running mean of the gradient)
 * v = β2·v + (1−β2)·g²         (running mean of its square)
 * p −= lr · m̂ / (√v̂ + ε),  m̂ = m/(1−β1^t), v̂ = v/(1−β2^t)   (bias correction for the zero start)
 * Weight decay, when set, is decoupled (AdamW): p −= lr·wd·p.
 */
export function adamStep(p: Data, g: Data, m: Data, v: Data, h: AdamHyper): void {
  const { lr, beta1, beta2, eps, weightDecay, step } = h;
  const c1 = 1 - Math.pow(beta1, step);
  const c2 = 1 - Math.pow(beta2, step);
  for (let i = 0; i < p.length; i++) {
    m[i] = beta1 * m[i] + (1 - beta1) * g[i];
    v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
    const mHat = m[i] / c1;
    const vHat = v[i] / c2;
    p[i] -= lr * (mHat / (Math.sqrt(vHat) + eps) + weightDecay * p[i]);
  }
}
