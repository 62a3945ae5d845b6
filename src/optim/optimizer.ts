// The optimizer base: what every gradient-descent rule shares (parameters, learning rate, state).
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
