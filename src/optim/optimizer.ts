// The optimizer base: what every gradient-descent rule shares (parameters, learning rate, state).
import type { Data } from '../backends/backend.js';
import { backend } from '../backends/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { clearGrad } from '../autograd/engine.js';

/**
 * Everything an optimizer carries from one step to the next, to save in a training checkpoint:
 * `type` ('SGD', 'Adam'), numbers (the learning rate, Adam's step count, the hyperparameters) and
 * buffers named `<kind>.<parameter index>` ('m.3': Adam's first moment of the fourth parameter).
 * Loading it into an optimizer built the same way makes the next step exactly the one that would
 * have come next.
 */
export interface OptimizerState {
  type: string;
  scalars: Record<string, number>;
  buffers: Record<string, Data>;
}

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

  /** A copy of the state (OptimizerState): what a checkpoint saves. */
  abstract stateDict(): OptimizerState;
  /** Continue from a state stateDict returned, on an optimizer over the same parameters with the same hyperparameters. */
  abstract loadStateDict(state: OptimizerState): void;

  /** Copies of one kind of per-parameter buffer, named `${kind}.${index}` (parameters without one are left out). */
  protected exportBuffers(kind: string, buffers: Map<Tensor, Data>, into: Record<string, Data>): void {
    this.params.forEach((p, i) => {
      const d = buffers.get(p);
      if (d) into[`${kind}.${i}`] = d.slice();
    });
  }

  /**
   * The buffers of `kinds` in a saved state, by parameter: checks the type, the hyperparameters
   * (`same`: their values here) and every buffer's name and size, so that a state from another
   * optimizer or another model is refused whole, before anything changes.
   */
  protected checkState(state: OptimizerState, type: string, same: Record<string, number>, kinds: string[]): Map<Tensor, Record<string, Data>> {
    const who = `${type}.loadStateDict`;
    if (state?.type !== type) throw new Error(`${who}: expected the state of a ${type} optimizer, got one of ${JSON.stringify(state?.type)}`);
    for (const [k, v] of Object.entries(same)) {
      if (state.scalars?.[k] !== v) throw new Error(`${who}: ${k} is ${v} here but ${state.scalars?.[k]} in the saved state; build the optimizer as it was`);
    }
    const out = new Map<Tensor, Record<string, Data>>();
    for (const [name, data] of Object.entries(state.buffers ?? {})) {
      const m = /^(\w+)\.(\d+)$/.exec(name);
      const i = m ? Number(m[2]) : -1;
      if (!m || !kinds.includes(m[1]) || i >= this.params.length) {
        throw new Error(`${who}: unexpected buffer '${name}'; expected ${kinds.map((k) => `${k}.<index>`).join(' or ')} with an index below ${this.params.length} (the number of parameters)`);
      }
      const p = this.params[i];
      if (data.length !== p.size) throw new Error(`${who}: buffer '${name}' has ${data.length} values, expected ${p.size} (the size of parameter ${i}, ${p.shape.join('×')})`);
      const entry = out.get(p) ?? {};
      entry[m[1]] = data;
      out.set(p, entry);
    }
    for (const [p, entry] of out) {
      const missing = kinds.filter((k) => !entry[k]);
      if (missing.length > 0) throw new Error(`${who}: parameter ${this.params.indexOf(p)} lacks buffer ${missing.map((k) => `'${k}.${this.params.indexOf(p)}'`).join(', ')}`);
    }
    return out;
  }

  /** A buffer holding a copy of `src`: `existing` refilled, or a new one kept for the optimizer's life. */
  protected restored(existing: Data | undefined, src: Data, p: Tensor): Data {
    const d = existing ?? this.state(p.size, p.dtype);
    d.set(src);
    return d;
  }

  /** A zeroed state buffer that lives as long as the optimizer (kept out of the step's scope). */
  protected state(n: number, dtype: 'float32' | 'float64'): Data {
    const d = backend().alloc(n, dtype);
    backend().keep(d);
    return d;
  }
}
