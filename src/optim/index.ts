// Optimizers: how gradient descent turns gradients into weight updates.
import type { Data } from '../backends/backend.js';
import { backend } from '../backends/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { clearGrad } from '../autograd/engine.js';

/** Base class: holds the parameters and the learning rate. */
export abstract class Optimizer {
  readonly params: Tensor[];
  /** The step size of gradient descent; schedules change it between epochs. */
  lr: number;

  constructor(params: Tensor[], lr: number) {
    if (!(lr > 0) || !Number.isFinite(lr)) throw new Error(`optimizer: learning rate must be a positive number, got ${lr}`);
    if (params.length === 0) throw new Error('optimizer: got no parameters to optimize');
    this.params = params;
    this.lr = lr;
  }

  /** Clear the gradients before the next backward (they accumulate otherwise). */
  zeroGrad(): void {
    for (const p of this.params) clearGrad(p);
  }

  /** Apply one update from the current gradients. Parameters without a gradient are left alone. */
  abstract step(): void;

  /** A zeroed state buffer that lives as long as the optimizer (kept out of the step's scope). */
  protected state(n: number, dtype: 'float32' | 'float64'): Data {
    const d = backend().alloc(n, dtype);
    backend().keep(d);
    return d;
  }
}

export interface SGDOptions {
  lr: number;
  /** 0 = plain gradient descent; 0.9 is the usual momentum. */
  momentum?: number;
  weightDecay?: number;
}

/**
 * Stochastic gradient descent: w ← w − lr·∂L/∂w, on the gradient of one mini-batch.
 * With momentum, the step follows a running sum of gradients: v ← μ·v + g, w ← w − lr·v,
 * which damps zig-zags across a narrow valley and speeds travel along it.
 * @example const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly weightDecay: number;
  private readonly velocity = new Map<Tensor, Data>();

  constructor(params: Tensor[], o: SGDOptions) {
    super(params, o.lr);
    this.momentum = o.momentum ?? 0;
    this.weightDecay = o.weightDecay ?? 0;
  }

  step(): void {
    for (const p of this.params) {
      if (!p.grad) continue;
      let v: Data | null = null;
      if (this.momentum > 0) {
        v = this.velocity.get(p) ?? this.state(p.size, p.dtype);
        this.velocity.set(p, v);
      }
      backend().sgdStep(p.data, p.grad.data, v, this.lr, this.momentum, this.weightDecay);
    }
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

  step(): void {
    this.t++;
    for (const p of this.params) {
      if (!p.grad) continue;
      let s = this.moments.get(p);
      if (!s) {
        s = { m: this.state(p.size, p.dtype), v: this.state(p.size, p.dtype) };
        this.moments.set(p, s);
      }
      backend().adamStep(p.data, p.grad.data, s.m, s.v,
        { lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay, step: this.t });
    }
  }
}

/** A learning-rate schedule: the rate for a given epoch (0-based), from the base rate. */
export interface Schedule {
  rate(epoch: number): number;
}

/** Multiply the rate by `gamma` every `stepSize` epochs. */
export class StepLR implements Schedule {
  constructor(readonly base: number, readonly stepSize: number, readonly gamma = 0.1) {}
  rate(epoch: number): number {
    return this.base * Math.pow(this.gamma, Math.floor(epoch / this.stepSize));
  }
}

/** Cosine annealing from the base rate down to `min` over `total` epochs (or steps). */
export class CosineLR implements Schedule {
  constructor(readonly base: number, readonly total: number, readonly min = 0) {}
  rate(t: number): number {
    const f = Math.min(t, this.total) / this.total;
    return this.min + 0.5 * (this.base - this.min) * (1 + Math.cos(Math.PI * f));
  }
}
