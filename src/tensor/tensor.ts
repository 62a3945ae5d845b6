// The Tensor: an n-dimensional array of float32 (or float64, for gradient checks)
// that remembers how it was computed, so gradients can flow back through it.
//
// This file holds the data structure only: storage, shape, the gradient slots, and the
// factories. The methods a user calls on a tensor are attached by the layers that own
// them, so that src/tensor imports nothing above it (src/layering.test.ts enforces this):
//   - `backward()` by src/autograd/engine.ts,
//   - the ops (`add`, `matmul`, `relu`, `softmax`, `sum`, `reshape`, ...) by src/ops/methods.ts.
// Both use TypeScript module augmentation (their types merge into this class) and define the
// methods on Tensor.prototype. Importing 'zerograd' (src/index.ts) loads both.
import type { Data } from '../backends/backend.js';
import { backend } from '../backends/index.js';
import { checkShape, formatShape, sizeOf } from './shape.js';
import { defaultRandom, type Random } from './random.js';

export type DType = 'float32' | 'float64';

/**
 * One recorded op in the autograd graph, kept on the tensor it produced (`gradFn`).
 * Defined here, beside the field that holds it; src/autograd/engine.ts creates and walks them.
 */
export interface GradNode {
  /** Name of the op, for error messages and graph printing. */
  op: string;
  parents: Tensor[];
  /** Adds the parents' gradient contributions, given dy for this node's output. */
  backward: (dy: Data) => void;
}

/** What reading a reclaimed tensor says: why, and how to keep what you need. */
export const RECLAIMED_MESSAGE = 'its memory was reclaimed. Outside scope(), zerograd frees the results of a training step once ' +
  'the next step\'s backward() has run or the DataLoader has moved on to the next batch. Read what you need before then ' +
  '(loss.item(), t.toArray()), or keep a copy: t.clone().';

export class Tensor {
  private readonly values: Data;
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
    this.values = data;
    this.shape = shape.slice();
    this.requiresGrad = requiresGrad;
  }

  /**
   * Flat row-major values. On the wasm backend they live inside WebAssembly memory, and an op's
   * result made outside scope() is freed once the next training step's backward() has run (see
   * "Memory" in the README); reading it after that throws instead of returning other numbers.
   */
  get data(): Data {
    if (backend().isReleased(this.values)) throw new Error(`Tensor${formatShape(this.shape)}: ${RECLAIMED_MESSAGE}`);
    return this.values;
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

  /**
   * A copy with its own storage, yours to keep: it lives until the garbage collector finds it unused.
   * Inside scope() it is freed when the scope returns, like everything the scope made: copy the
   * values out there (toArray()), or clone outside it.
   */
  clone(): Tensor {
    const copy = backend().empty(this.size, this.dtype, 'user');
    copy.set(this.data);
    return new Tensor(copy, this.shape, false);
  }

  /** Mark this tensor as needing a gradient (in place); returns it for chaining. */
  requireGrad(flag = true): this {
    this.requiresGrad = flag;
    return this;
  }

  toString(): string {
    const head = Array.from(this.data.subarray(0, 8), (v) => v.toFixed(4)).join(', ');
    return `Tensor${formatShape(this.shape)} [${head}${this.size > 8 ? ', …' : ''}]`;
  }

  // backward() and the op methods are declared and attached in src/autograd/engine.ts and
  // src/ops/methods.ts (see the top of this file).
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
  const data = backend().alloc(flat.length, dtype, 'user');
  for (let i = 0; i < flat.length; i++) data[i] = flat[i];
  return new Tensor(data, finalShape, options.requiresGrad ?? false);
}

/** A tensor of zeros. */
export function zeros(shape: number[], options: TensorOptions = {}): Tensor {
  checkShape(shape, 'zeros');
  return new Tensor(backend().alloc(sizeOf(shape), options.dtype ?? 'float32', 'user'), shape, options.requiresGrad ?? false);
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
