// Module: the building block of networks, in the shape PyTorch users know.
import { Tensor } from '../tensor/tensor.js';
import { clearGrad } from '../autograd/engine.js';
import '../ops/methods.js'; // a module's output has the op methods: net.forward(x).softmax()
import { formatShape, shapeEquals } from '../tensor/shape.js';

/** A layer as plain data: its type and options. Model files store networks as these. */
export interface LayerSpec {
  type: string;
  [option: string]: unknown;
}

/**
 * Base class of every layer and network. A module owns parameters (tensors that training
 * changes) and child modules, and maps an input tensor to an output tensor in `forward`.
 */
export abstract class Module {
  /** Training mode (dropout active) or evaluation mode. */
  training = true;
  private readonly ownParameters = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  abstract forward(x: Tensor): Tensor;

  /** This layer as data (type and options), for model files. Containers override. */
  abstract toSpec(): LayerSpec;

  /** A one-line explanation of what the layer does, for summaries and the explainer. */
  describe(): string {
    return this.constructor.name;
  }

  /** Register a trainable tensor under a name; it gets requiresGrad = true. */
  protected registerParameter(name: string, t: Tensor): Tensor {
    t.requiresGrad = true;
    this.ownParameters.set(name, t);
    return t;
  }

  protected registerModule<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  /** Child modules in registration order, with their names. */
  namedChildren(): Array<[string, Module]> {
    return [...this.children.entries()];
  }

  /** Every parameter of this module and its children, with dotted names: "0.weight", "2.bias". */
  namedParameters(prefix = ''): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    for (const [n, p] of this.ownParameters) out.push([prefix + n, p]);
    for (const [n, c] of this.children) out.push(...c.namedParameters(`${prefix}${n}.`));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Total number of trainable values. */
  parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** Name → tensor for every parameter (the tensors themselves, not copies). */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.namedParameters());
  }

  /**
   * Copy values into the parameters. Checks every name and shape before changing anything,
   * so a mismatch leaves the module as it was.
   */
  loadStateDict(state: Record<string, { shape: readonly number[]; data: ArrayLike<number> }>): void {
    const own = this.namedParameters();
    const names = new Set(own.map(([n]) => n));
    for (const key of Object.keys(state)) {
      if (!names.has(key)) throw new Error(`loadStateDict: unexpected parameter '${key}'; this model has: ${[...names].join(', ')}`);
    }
    for (const [name, p] of own) {
      const s = state[name];
      if (!s) throw new Error(`loadStateDict: missing parameter '${name}'`);
      if (!shapeEquals(s.shape, p.shape) || s.data.length !== p.size) {
        throw new Error(`loadStateDict: parameter '${name}' has shape ${formatShape(s.shape)} in the state, expected ${formatShape(p.shape)}`);
      }
    }
    for (const [name, p] of own) {
      const src = state[name].data;
      for (let i = 0; i < p.size; i++) p.data[i] = src[i];
    }
  }

  /** Switch to training mode (or evaluation mode with false), for this module and its children. */
  train(mode = true): this {
    this.training = mode;
    for (const c of this.children.values()) c.train(mode);
    return this;
  }

  /** Evaluation mode: dropout off. */
  eval(): this {
    return this.train(false);
  }

  /** Clear every parameter's gradient, before the next backward (gradients accumulate otherwise). */
  zeroGrad(): void {
    for (const p of this.parameters()) clearGrad(p);
  }

  /** Calling a module is calling forward. */
  call(x: Tensor): Tensor {
    return this.forward(x);
  }
}
