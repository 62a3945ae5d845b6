// Stochastic gradient descent, with momentum and weight decay.
import type { Data, SgdTensor } from '../backends/backend.js';
import { backend } from '../backends/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, type OptimizerState } from './optimizer.js';

/**
 * The SGD update of every weight, in place (the definition; Backend.sgdSteps is a fast path of it):
 *   g′ = g + wd·p                      (L2 weight decay, added to the gradient)
 *   with momentum:  v ← μ·v + g′,  p ← p − lr·v
 *   without (v null):              p ← p − lr·g′
 * This is PyTorch's form (dampening 0). Nesterov momentum is nesterovUpdate below.
 */
export function sgdUpdate(p: Data, g: Data, v: Data | null, lr: number, momentum: number, weightDecay: number): void {
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
 * Nesterov's momentum (PyTorch's form), in place: the step looks ahead along the velocity.
 *   g′ = g + wd·p,   v ← μ·v + g′,   p ← p − lr·(g′ + μ·v)
 * With a constant lr this is scikit-learn's `nesterovs_momentum` (there v′ = μ·v′ − lr·g′ and
 * p ← p + μ·v′ − lr·g′, which is the same with v′ = −lr·v).
 */
export function nesterovUpdate(p: Data, g: Data, v: Data, lr: number, momentum: number, weightDecay: number): void {
  for (let i = 0; i < p.length; i++) {
    const grad = g[i] + weightDecay * p[i];
    v[i] = momentum * v[i] + grad;
    p[i] -= lr * (grad + momentum * v[i]);
  }
}

export interface SGDOptions {
  lr: number;
  /** 0 = plain gradient descent; 0.9 is the usual momentum. */
  momentum?: number;
  weightDecay?: number;
  /** Nesterov's look-ahead momentum (needs momentum > 0; default false). */
  nesterov?: boolean;
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
  readonly nesterov: boolean;
  private readonly velocity = new Map<Tensor, Data>();

  constructor(params: Tensor[], o: SGDOptions) {
    super(params, o.lr);
    this.momentum = o.momentum ?? 0;
    this.weightDecay = o.weightDecay ?? 0;
    this.nesterov = o.nesterov ?? false;
    if (this.nesterov && !(this.momentum > 0)) throw new Error(`SGD: nesterov needs momentum > 0, got momentum ${this.momentum}`);
  }

  /** The momentum buffer (velocity) of each parameter, and the hyperparameters. */
  stateDict(): OptimizerState {
    const buffers: Record<string, Data> = {};
    this.exportBuffers('velocity', this.velocity, buffers);
    return { type: 'SGD', scalars: { lr: this.lr, ...this.hyper() }, buffers };
  }

  loadStateDict(state: OptimizerState): void {
    const saved = this.checkState(state, 'SGD', this.hyper(), ['velocity']);
    const lr = state.scalars.lr;
    if (!(lr > 0) || !Number.isFinite(lr)) throw new Error(`SGD.loadStateDict: expected lr to be a positive number, got ${lr}`);
    for (const [p, b] of saved) this.velocity.set(p, this.restored(this.velocity.get(p), b.velocity, p));
    this.lr = lr;
  }

  private hyper(): Record<string, number> {
    return { momentum: this.momentum, weightDecay: this.weightDecay, nesterov: this.nesterov ? 1 : 0 };
  }

  step(): void {
    const list: SgdTensor[] = [];
    for (const p of this.params) {
      if (!p.grad) continue;
      let v: Data | null = null;
      if (this.momentum > 0) {
        v = this.velocity.get(p) ?? this.state(p.size, p.dtype);
        this.velocity.set(p, v);
      }
      if (this.nesterov) nesterovUpdate(p.data, p.grad.data, v!, this.lr, this.momentum, this.weightDecay);
      else list.push({ p: p.data, g: p.grad.data, v });
    }
    // Every parameter in one call where the backend can (one kernel for the whole model), else one by one.
    if (list.length === 0 || backend().sgdSteps?.(list, this.lr, this.momentum, this.weightDecay)) return;
    for (const { p, g, v } of list) sgdUpdate(p, g, v, this.lr, this.momentum, this.weightDecay);
  }
}
