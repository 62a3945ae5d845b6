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

/** Buffers that hold counts (PyTorch's int64 `num_batches_tracked`): stored as float32 here, int64 in safetensors. */
const int64Buffers = new WeakSet<Tensor>();

/** Whether a buffer holds an integer count (saved as I64 in safetensors, as PyTorch's state_dict() has it). */
export function isInt64Buffer(t: Tensor): boolean {
  return int64Buffers.has(t);
}

/**
 * Base class of every layer and network. A module owns parameters (tensors that training
 * changes) and child modules, and maps an input tensor to an output tensor in `forward`.
 *
 * As in PyTorch, a field is registered by assigning it: a field holding a Module (or an array of
 * Modules) is a child, and a field holding a leaf tensor with `requiresGrad` is a parameter —
 * `parameters()`, `train()`/`eval()`, `zeroGrad()` and `stateDict()` find them, named after the field.
 * Buffers (PyTorch's `register_buffer`) are state that is saved but not trained — batch norm's
 * running mean and variance: `registerBuffer` adds one, `namedBuffers()` lists them, and
 * `stateDict()` holds parameters and buffers, named and ordered as PyTorch's `state_dict()`.
 * @example
 * class NeuralNetwork extends Module {
 *   flatten = new Flatten();
 *   stack = new Sequential(new Linear(784, 512), new ReLU(), new Linear(512, 10));
 *   forward(x: Tensor): Tensor { return this.stack.forward(this.flatten.forward(x)); }
 * }
 * new NeuralNetwork().namedParameters().map(([n]) => n)   // ['stack.0.weight', 'stack.0.bias', 'stack.2.weight', 'stack.2.bias']
 */
export abstract class Module {
  /** Training mode (dropout active, batch norm on batch statistics) or evaluation mode. */
  training = true;
  private readonly ownParameters = new Map<string, Tensor>();
  private readonly ownBuffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  abstract forward(x: Tensor): Tensor;

  /**
   * This layer as data (type and options), for model files. zerograd's layers and Sequential
   * have one; a network class written by hand has none (a file could not rebuild its forward).
   */
  toSpec(): LayerSpec {
    throw new Error(`${this.constructor.name}.toSpec: a Module written by hand has no layer spec, so it cannot be saved as a model file; ` +
      'save its stateDict() instead, or build the network from Sequential and zerograd\'s layers');
  }

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

  /**
   * Register a non-trainable tensor under a name (PyTorch's register_buffer): saved in stateDict()
   * and model files, never given to an optimizer. `int64`: it holds a count (num_batches_tracked),
   * which PyTorch stores as int64.
   */
  protected registerBuffer(name: string, t: Tensor, int64 = false): Tensor {
    t.requiresGrad = false;
    this.ownBuffers.set(name, t);
    if (int64) int64Buffers.add(t);
    return t;
  }

  protected registerModule<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  /**
   * Child modules with their names: those registered by name, then every field holding a Module
   * or an array of Modules ("layers.0"), in the order the fields were assigned.
   */
  namedChildren(): Array<[string, Module]> {
    const out = [...this.children.entries()];
    const seen = new Set<Module>([this, ...this.children.values()]);
    const add = (name: string, v: unknown) => {
      if (v instanceof Module && !seen.has(v)) {
        seen.add(v);
        out.push([name, v]);
      }
    };
    for (const [name, v] of Object.entries(this)) {
      if (Array.isArray(v)) v.forEach((m, i) => add(`${name}.${i}`, m));
      else add(name, v);
    }
    return out;
  }

  /**
   * This module's own parameters (not its children's): those registered by name, then every field
   * holding a leaf tensor that requires a gradient. A tensor computed from parameters (gradFn set),
   * such as a cached activation, is not a parameter.
   */
  private namedOwnParameters(): Array<[string, Tensor]> {
    const out = [...this.ownParameters.entries()];
    const seen = new Set<Tensor>(this.ownParameters.values());
    for (const [name, v] of Object.entries(this)) {
      if (v instanceof Tensor && v.requiresGrad && v.gradFn === null && !seen.has(v)) {
        seen.add(v);
        out.push([name, v]);
      }
    }
    return out;
  }

  /** Every parameter of this module and its children, with dotted names: "0.weight", "2.bias". */
  namedParameters(prefix = ''): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    for (const [n, p] of this.namedOwnParameters()) out.push([prefix + n, p]);
    for (const [n, c] of this.namedChildren()) out.push(...c.namedParameters(`${prefix}${n}.`));
    return out;
  }

  /** Every buffer of this module and its children, with dotted names: "1.running_mean". */
  namedBuffers(prefix = ''): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    for (const [n, b] of this.ownBuffers) out.push([prefix + n, b]);
    for (const [n, c] of this.namedChildren()) out.push(...c.namedBuffers(`${prefix}${n}.`));
    return out;
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  /**
   * Parameters and buffers in PyTorch's state_dict() order: each module's own parameters, then its
   * own buffers, then its children's, depth first ("0.weight", "0.bias", "1.weight", "1.bias",
   * "1.running_mean", "1.running_var", "1.num_batches_tracked", "3.weight", …).
   */
  namedState(prefix = ''): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    for (const [n, p] of this.namedOwnParameters()) out.push([prefix + n, p]);
    for (const [n, b] of this.ownBuffers) out.push([prefix + n, b]);
    for (const [n, c] of this.namedChildren()) out.push(...c.namedState(`${prefix}${n}.`));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Total number of trainable values. */
  parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** Name → tensor for every parameter and buffer (the tensors themselves, not copies), as PyTorch's state_dict(). */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.namedState());
  }

  /**
   * Copy values into the parameters and buffers. Checks every name and shape before changing
   * anything, so a mismatch leaves the module as it was.
   */
  loadStateDict(state: Record<string, { shape: readonly number[]; data: ArrayLike<number> }>): void {
    const own = this.namedState();
    const names = new Set(own.map(([n]) => n));
    const buffers = new Set(this.buffers());
    for (const key of Object.keys(state)) {
      if (!names.has(key)) throw new Error(`loadStateDict: unexpected parameter '${key}'; this model has: ${[...names].join(', ')}`);
    }
    for (const [name, p] of own) {
      const s = state[name];
      if (!s) throw new Error(`loadStateDict: missing ${buffers.has(p) ? 'buffer' : 'parameter'} '${name}'`);
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
    for (const [, c] of this.namedChildren()) c.train(mode);
    return this;
  }

  /** Evaluation mode: dropout off, batch norm on its running statistics. */
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
