// The Tensor: an n-dimensional array of float32 (or float64, for gradient checks)
// that remembers how it was computed, so gradients can flow back through it.
import type { Data } from '../backends/backend.js';
import { backend } from '../backends/index.js';
import { runBackward, type GradNode } from '../autograd/engine.js';
import { checkShape, formatShape, sizeOf } from './shape.js';
import { defaultRandom, type Random } from './random.js';
import * as ew from '../ops/elementwise.js';
import * as red from '../ops/reduce.js';
import * as sh from '../ops/shape.js';
import * as mm from '../ops/matmul.js';
import * as sm from '../ops/softmax.js';

export type DType = 'float32' | 'float64';

export class Tensor {
  /** Flat row-major values. */
  readonly data: Data;
  readonly shape: readonly number[];
  /** Whether gradients flow to this tensor (true for parameters and for results computed from them). */
  requiresGrad: boolean;
  /** d(loss)/d(this), filled by backward() for leaf tensors (parameters and inputs). */
  grad: Tensor | null = null;
  /** The op that produced this tensor, or null for leaves and constants. */
  gradFn: GradNode | null = null;

  constructor(data: Data, shape: readonly number[], requiresGrad = false) {
    if (data.length !== sizeOf(shape)) {
      throw new Error(`Tensor: ${data.length} values do not fill shape ${formatShape(shape)} (${sizeOf(shape)} elements)`);
    }
    this.data = data;
    this.shape = shape.slice();
    this.requiresGrad = requiresGrad;
  }

  get dtype(): DType {
    return this.data instanceof Float64Array ? 'float64' : 'float32';
  }
  /**
   * Number of elements, as NumPy's `size` (the same as `numel()`).
   * NOTE: PyTorch's `x.size()` is the shape; here that is `x.shape`. `size` stays the element count,
   * which the whole library uses, so `x.size()` fails loudly ("not a function") rather than meaning
   * something else.
   */
  get size(): number {
    return this.data.length;
  }
  /** Number of axes (PyTorch's `dim()`). */
  get rank(): number {
    return this.shape.length;
  }

  /** Number of elements, as PyTorch's `numel()`. */
  numel(): number {
    return this.data.length;
  }

  /** Number of axes, as PyTorch's `dim()`: 2 for a (N, features) batch, 4 for (N, C, H, W) images. */
  dim(): number {
    return this.shape.length;
  }

  /** The value of a one-element tensor, as a number. */
  item(): number {
    if (this.size !== 1) throw new Error(`item: expected a tensor with one element, got shape ${formatShape(this.shape)}`);
    return this.data[0];
  }

  /** The values as a plain array (flat, row-major). */
  toArray(): number[] {
    return Array.from(this.data);
  }

  /**
   * The values as nested arrays in the tensor's shape, as PyTorch's `tolist()`; a tensor with no
   * axes gives a number.
   * @example tensor([1, 2, 3, 4, 5, 6], [2, 3]).tolist()   // [[1, 2, 3], [4, 5, 6]]
   */
  tolist(): Nested {
    const build = (axis: number, offset: number): Nested => {
      if (axis === this.shape.length) return this.data[offset];
      // Elements one step apart along `axis` lie `stride` apart in the flat row-major data.
      const stride = sizeOf(this.shape.slice(axis + 1));
      return Array.from({ length: this.shape[axis] }, (_, i) => build(axis + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /** The same values, cut from the graph: no gradient flows through the result. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, false);
  }

  /** A copy with its own storage. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape, false);
  }

  /** Mark this tensor as needing a gradient (in place); returns it for chaining. */
  requireGrad(flag = true): this {
    this.requiresGrad = flag;
    return this;
  }

  /**
   * Backpropagate from this tensor: fills `.grad` of every leaf it depends on.
   * @example const loss = model.forward(x).crossEntropy(labels); loss.backward();
   */
  backward(grad?: Tensor): void {
    runBackward(this, grad);
  }

  toString(): string {
    const head = Array.from(this.data.subarray(0, 8), (v) => v.toFixed(4)).join(', ');
    return `Tensor${formatShape(this.shape)} [${head}${this.size > 8 ? ', …' : ''}]`;
  }

  // ---- ops as methods (see src/ops for the math and gradients) ----
  add(o: Tensor | number): Tensor { return ew.add(this, o); }
  sub(o: Tensor | number): Tensor { return ew.sub(this, o); }
  mul(o: Tensor | number): Tensor { return ew.mul(this, o); }
  div(o: Tensor | number): Tensor { return ew.div(this, o); }
  neg(): Tensor { return ew.neg(this); }
  exp(): Tensor { return ew.exp(this); }
  log(): Tensor { return ew.log(this); }
  sqrt(): Tensor { return ew.sqrt(this); }
  pow(p: number): Tensor { return ew.pow(this, p); }
  abs(): Tensor { return ew.abs(this); }
  relu(): Tensor { return ew.relu(this); }
  sigmoid(): Tensor { return ew.sigmoid(this); }
  tanh(): Tensor { return ew.tanh(this); }
  sum(axes?: number | number[], keepDims = false): Tensor { return red.sum(this, axes, keepDims); }
  mean(axes?: number | number[], keepDims = false): Tensor { return red.mean(this, axes, keepDims); }
  max(axes?: number | number[], keepDims = false): Tensor { return red.max(this, axes, keepDims); }
  argmax(axis = -1): Int32Array { return red.argmax(this, axis); }
  reshape(shape: number[]): Tensor { return sh.reshape(this, shape); }
  flatten(startAxis = 1): Tensor { return sh.flatten(this, startAxis); }
  transpose(perm?: number[]): Tensor { return sh.transpose(this, perm); }
  slice(starts: number[], ends: number[]): Tensor { return sh.slice(this, starts, ends); }
  pad(pads: Array<[number, number]>): Tensor { return sh.pad(this, pads); }
  matmul(o: Tensor): Tensor { return mm.matmul(this, o); }
  softmax(axis = -1): Tensor { return sm.softmax(this, axis); }
  logSoftmax(axis = -1): Tensor { return sm.logSoftmax(this, axis); }
}

// ---- factories ----

/** A number or nested arrays of numbers: what `tensor()` takes and `tolist()` gives. */
export type Nested = number | Nested[];

function flattenNested(values: Nested, shape: number[], out: number[], depth: number): void {
  if (typeof values === 'number') {
    if (depth !== shape.length && shape.length > 0) throw new Error('tensor: ragged nested array, expected every row to have the same length');
    out.push(values);
    return;
  }
  if (depth === shape.length) shape.push(values.length);
  else if (shape[depth] !== values.length) throw new Error('tensor: ragged nested array, expected every row to have the same length');
  for (const v of values) flattenNested(v, shape, out, depth + 1);
}

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

/**
 * Make a tensor from numbers: a nested array (shape inferred) or flat values with a shape.
 * @example tensor([[1, 2], [3, 4]])            // shape (2,2)
 * @example tensor([1, 2, 3, 4, 5, 6], [2, 3])  // shape (2,3)
 */
export function tensor(values: Nested | ArrayLike<number>, shape?: number[], options: TensorOptions = {}): Tensor {
  const dtype = options.dtype ?? 'float32';
  let flat: ArrayLike<number>;
  let inferred: number[];
  if (typeof values === 'number') {
    flat = [values];
    inferred = [];
  } else if (Array.isArray(values)) {
    const out: number[] = [];
    inferred = [];
    flattenNested(values as Nested, inferred, out, 0);
    flat = out;
  } else {
    flat = values as ArrayLike<number>;
    inferred = [flat.length];
  }
  const finalShape = shape ?? inferred;
  checkShape(finalShape, 'tensor');
  const data = backend().alloc(flat.length, dtype);
  for (let i = 0; i < flat.length; i++) data[i] = flat[i];
  return new Tensor(data, finalShape, options.requiresGrad ?? false);
}

/** A tensor of zeros. */
export function zeros(shape: number[], options: TensorOptions = {}): Tensor {
  checkShape(shape, 'zeros');
  return new Tensor(backend().alloc(sizeOf(shape), options.dtype ?? 'float32'), shape, options.requiresGrad ?? false);
}

/** A tensor filled with one value. */
export function full(shape: number[], value: number, options: TensorOptions = {}): Tensor {
  const t = zeros(shape, options);
  t.data.fill(value);
  return t;
}

export function ones(shape: number[], options: TensorOptions = {}): Tensor {
  return full(shape, 1, options);
}

/** Standard normal samples N(0, 1) from the given (default: global, seeded) generator. */
export function randn(shape: number[], options: TensorOptions & { rng?: Random } = {}): Tensor {
  const t = zeros(shape, options);
  const rng = options.rng ?? defaultRandom;
  for (let i = 0; i < t.size; i++) t.data[i] = rng.normal();
  return t;
}

/** Uniform samples in [low, high). */
export function rand(shape: number[], options: TensorOptions & { rng?: Random; low?: number; high?: number } = {}): Tensor {
  const t = zeros(shape, options);
  const rng = options.rng ?? defaultRandom;
  const low = options.low ?? 0;
  const high = options.high ?? 1;
  for (let i = 0; i < t.size; i++) t.data[i] = low + (high - low) * rng.uniform();
  return t;
}
