// Adam: gradient descent with a step size of its own for every weight.
import type { AdamHyper, AdamTensor, Data } from '../backends/backend.js';
import { backend } from '../backends/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, type OptimizerState } from './optimizer.js';

/**
 * Adam's update of every weight, in place (the definition; Backend.adamSteps is a fast path of it):
 *   m ← β1·m + (1−β1)·g            running mean of the gradient (first moment)
 *   v ← β2·v + (1−β2)·g²           running mean of its square (second moment)
 *   m̂ = m/(1−β1ᵗ),  v̂ = v/(1−β2ᵗ)   bias correction: m and v start at 0, so early means are too small
 *   p ← p − lr·( m̂/(√v̂ + ε) + wd·p )   weight decay decoupled from the moments (AdamW)
 * t is the 1-based step count (h.step).
 */
export function adamUpdate(p: Data, g: Data, m: Data, v: Data, h: AdamHyper): void {
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

export interface AdamOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay (AdamW). */
  weightDecay?: number;
}

/**
 * Adam (Kingma & Ba, 2015): per-parameter step sizes from running averages of the gradient
 * and of its square. Robust default: lr 0.001.
 * @example const opt = new Adam(model.parameters(), { lr: 0.001 });
 */
export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private t = 0;
  private readonly moments = new Map<Tensor, { m: Data; v: Data }>();

  constructor(params: Tensor[], o: AdamOptions = {}) {
    super(params, o.lr ?? 0.001);
    this.beta1 = o.beta1 ?? 0.9;
    this.beta2 = o.beta2 ?? 0.999;
    this.eps = o.eps ?? 1e-8;
    this.weightDecay = o.weightDecay ?? 0;
  }

  /** The step count t (for the bias correction), the moments m and v of each parameter, and the hyperparameters. */
  stateDict(): OptimizerState {
    const buffers: Record<string, Data> = {};
    this.exportBuffers('m', new Map([...this.moments].map(([p, s]) => [p, s.m])), buffers);
    this.exportBuffers('v', new Map([...this.moments].map(([p, s]) => [p, s.v])), buffers);
    return { type: 'Adam', scalars: { lr: this.lr, step: this.t, ...this.hyper() }, buffers };
  }

  loadStateDict(state: OptimizerState): void {
    const saved = this.checkState(state, 'Adam', this.hyper(), ['m', 'v']);
    const t = state.scalars.step;
    const lr = state.scalars.lr;
    if (!Number.isInteger(t) || t < 0) throw new Error(`Adam.loadStateDict: expected step to be a non-negative integer, got ${t}`);
    if (!(lr > 0) || !Number.isFinite(lr)) throw new Error(`Adam.loadStateDict: expected lr to be a positive number, got ${lr}`);
    for (const [p, b] of saved) {
      const s = this.moments.get(p);
      this.moments.set(p, { m: this.restored(s?.m, b.m, p), v: this.restored(s?.v, b.v, p) });
    }
    this.t = t;
    this.lr = lr;
  }

  private hyper(): Record<string, number> {
    return { beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay };
  }

  step(): void {
    this.t++;
    const list: AdamTensor[] = [];
    for (const p of this.params) {
      if (!p.grad) continue;
      let s = this.moments.get(p);
      if (!s) {
        s = { m: this.state(p.size, p.dtype), v: this.state(p.size, p.dtype) };
        this.moments.set(p, s);
      }
      list.push({ p: p.data, g: p.grad.data, m: s.m, v: s.v });
    }
    const h = { lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay, step: this.t };
    // Every parameter in one call where the backend can (one kernel for the whole model), else one by one.
    if (list.length === 0 || backend().adamSteps?.(list, h)) return;
    for (const { p, g, m, v } of list) adamUpdate(p, g, m, v, h);
  }
}
