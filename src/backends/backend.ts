// The kernel boundary. Ops (src/ops) own the math and the gradients; a backend owns
// the loops. Every op computes through the named kernels below, so a faster backend
// plugs in by implementing them, without touching any gradient code.
//
// Kernels work on flat row-major arrays and plain sizes, never on Tensors. They write
// into outputs the op allocated (through `alloc`), so a backend can decide where memory lives.

export type Data = Float32Array | Float64Array;

/** Who frees an array allocated outside any scope: the step rule ('step') or the garbage collector ('user'). */
export type Lifetime = 'step' | 'user';

/**
 * A function of one number and its derivative, defined once in src/ops/elementwise.ts (the math);
 * a backend only loops it over arrays. `p` is a constant of the function: the exponent of pow, the
 * factor of scale. A backend may run a named function with a kernel of its own (the wasm backend has
 * `relu` and `scale`); the parity tests check each such kernel against `f` and `df`.
 */
export interface ScalarFunction {
  readonly name: string;
  /** y = f(x) */
  f(x: number, p: number): number;
  /** dy/dx, given x and y = f(x) (some derivatives are cheaper from y: d eˣ = eˣ). */
  df(x: number, y: number, p: number): number;
}

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum';

export type ReduceOp = 'sum' | 'max';

/**
 * What a matrix multiply does besides the product, fused so it costs no pass over memory of its
 * own. To C as it stores it — the last step of a dense layer: y = max(0, C + bias). And to A as it
 * reads it — the first steps of a dense layer's backward: A ⊙ [reluMaskA > 0] (the gradient through
 * the layer's ReLU), and the sums of op(A)'s rows (the gradient of its bias).
 */
export interface Epilogue {
  /** One value per column of C, added to every row (a dense layer's bias). */
  bias?: Data | null;
  /** Store max(0, ·): the ReLU that follows the layer. */
  relu?: boolean;
  /** A's shape: read A as 0 wherever this is not > 0 (as mapBackward of RELU computes dy·relu′(y)). */
  reluMaskA?: Data | null;
  /**
   * Also write Σ_k op(A)[i, k] (after the mask) here, one value per row i of op(A), added in order
   * of k from 0 as sumRows adds rows: for dW = dyᵀ·x, the bias gradient Σ_n dy[n, :].
   */
  rowSumsA?: Data | null;
}

/** Sizes of one conv2d call. Letters from the glossary: N batch, C in-channels, OC out-channels. */
export interface Conv2dGeometry {
  N: number; C: number; H: number; W: number;
  OC: number; KH: number; KW: number;
  OH: number; OW: number;
  stride: number; padding: number;
}

/** Sizes of one pooling call: a KH×KW window moved by `stride`, channels pooled separately. */
export interface Pool2dGeometry {
  N: number; C: number; H: number; W: number;
  KH: number; KW: number; OH: number; OW: number;
  stride: number;
}

/** One parameter's arrays for an SGD step: values, gradient, velocity (null without momentum). */
export interface SgdTensor {
  p: Data;
  g: Data;
  v: Data | null;
}

/** One parameter's arrays for an Adam step: values, gradient, first and second moments. */
export interface AdamTensor {
  p: Data;
  g: Data;
  m: Data;
  v: Data;
}

/** Adam's settings for one update; the rule itself is `adamUpdate` in src/optim/adam.ts. */
export interface AdamHyper {
  lr: number; beta1: number; beta2: number; eps: number; weightDecay: number;
  /** 1-based step count, for the bias correction. */
  step: number;
}

export interface Backend {
  readonly name: string;
  /** How many threads the backend computes with (1 for the reference backend). */
  readonly threads: number;

  /**
   * A zero-filled array of n elements. Inside scope(fn) it lives until fn returns. Outside any scope,
   * `lifetime` says who frees it: 'step' (an op's result, the default) lives until two step
   * boundaries have passed; 'user' (a tensor the user made: tensor(), zeros(), parameters) until the
   * garbage collector finds it unused. (Backends whose memory the GC manages ignore all this.)
   */
  alloc(n: number, dtype: 'float32' | 'float64', lifetime?: Lifetime): Data;
  /**
   * An array of n elements whose contents are undefined: for outputs a kernel overwrites
   * entirely, where zeroing first would be wasted work. Lifetimes as for alloc.
   */
  empty(n: number, dtype: 'float32' | 'float64', lifetime?: Lifetime): Data;
  /** An array of n indices (max-pooling's argmax), with an op result's lifetime. */
  allocInt32(n: number): Int32Array;
  /**
   * Run fn; memory the backend allocated inside it and that was not kept is released at the end.
   * The library's training loops run each step in one.
   */
  scope<T>(fn: () => T): T;
  /**
   * A step boundary: the end of backward(), or a DataLoader moving on to its next batch. Outside
   * any scope, op results made before the previous boundary are released.
   */
  stepBoundary(): void;
  /** Exempt an allocation from automatic release (scope or step): parameters' gradients, optimizer state. */
  keep(d: Data | Int32Array): void;
  /** Release an allocation now; it must not be used again. */
  dispose(d: Data | Int32Array): void;
  /** Whether d's memory has been released (reading it would read another tensor's numbers). */
  isReleased(d: Data | Int32Array): boolean;

  // ---- elementwise ----
  /** y[i] = fn.f(x[i], p) */
  map(fn: ScalarFunction, x: Data, y: Data, p: number): void;
  /** dx[i] = dy[i] · fn.df(x[i], y[i], p): the chain rule, one element at a time. */
  mapBackward(fn: ScalarFunction, x: Data, y: Data, dy: Data, dx: Data, p: number): void;
  /** out = a ∘ b, broadcasting a and b to outShape. */
  binary(op: BinaryOp, a: Data, aShape: readonly number[], b: Data, bShape: readonly number[], out: Data, outShape: readonly number[]): void;
  /** y += alpha · x (same length). */
  axpy(alpha: number, x: Data, y: Data): void;

  // ---- reductions ----
  /**
   * out = reduce of x over the axes where keep[i] is false; out has x's rank with those axes set to 1.
   * For 'max', argmax (if given) receives the flat index in x of each maximum (the first on ties).
   */
  reduce(op: ReduceOp, x: Data, shape: readonly number[], axes: readonly number[], out: Data, argmax?: Int32Array): void;

  // ---- data movement ----
  /** y = x with axes permuted: y.shape[i] = x.shape[perm[i]]. */
  permute(x: Data, shape: readonly number[], perm: readonly number[], y: Data): void;
  /**
   * Copy a box of size `box` from src (at srcStart) into dst (at dstStart). Slice, pad and
   * concat are all this one kernel.
   */
  copyBox(src: Data, srcShape: readonly number[], srcStart: readonly number[],
          dst: Data, dstShape: readonly number[], dstStart: readonly number[], box: readonly number[]): void;

  /**
   * out[r·rowLen + i] = bytes[rows[r]·rowLen + i] / divisor: whole rows of bytes gathered and scaled
   * to floats (a data set's batch: images kept as bytes, pixels / 255). Every row index is in range.
   * `bytes` must not change once batches are taken from it: a backend may keep a copy (the wasm
   * backend copies arrays of 1 MiB or more into its memory on first use).
   */
  gatherBytes(bytes: Uint8Array, rows: ArrayLike<number>, rowLen: number, divisor: number, out: Data): void;
  /**
   * Optional: begin gathering the next batch (as gatherBytes, into an array of its own) on another
   * thread while this one goes on, as a data loader's workers prepare the next batch; gathered()
   * hands it over. A later call replaces a batch nobody took.
   */
  gatherBytesAhead?(bytes: Uint8Array, rows: ArrayLike<number>, rowLen: number, divisor: number): void;
  /**
   * Optional: the array gatherBytesAhead began for exactly these rows of these bytes, once it is
   * complete, with the given lifetime; null when there is none (then gather as usual).
   */
  gathered?(bytes: Uint8Array, rows: ArrayLike<number>, rowLen: number, divisor: number, lifetime: Lifetime): Data | null;

  // ---- matrix multiply ----
  /**
   * C = op(A)·op(B) + beta·C, with op(A):(M,K), op(B):(K,N), C:(M,N).
   * transA means A is stored as (K,M); transB means B is stored as (N,K). beta is 0 or 1.
   * The epilogue, if given, masks A and sums op(A)'s rows as A is read, then adds bias[j] to every
   * row and applies ReLU as C is stored.
   */
  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, a: Data, b: Data, beta: 0 | 1, c: Data,
       epilogue?: Epilogue): void;
  /** y[r, :] += b for every row r.   y:(rows, cols) b:(cols) */
  addRowVector(y: Data, b: Data, rows: number, cols: number): void;
  /** out[:] (+)= Σ_r dy[r, :]   dy:(rows, cols) -> out:(cols) */
  sumRows(dy: Data, rows: number, cols: number, out: Data, accumulate: boolean): void;

  // ---- per channel (batch normalization), x:(N,C,S): the channel's values are N runs of S ----
  /**
   * sumA[c] = Σ a[n,c,s], and when b is given sumAB[c] = Σ (a[n,c,s] − shiftA[c])·(b[n,c,s] − shiftB[c])
   * (a null shift is 0), summing over n and s. Accumulated in double precision.
   */
  channelSums(a: Data, b: Data | null, shiftA: Data | null, shiftB: Data | null, N: number, C: number, S: number,
              sumA: Data, sumAB: Data | null): void;
  /** out[n,c,s] = p[c]·x[n,c,s] + q[c]·z[n,c,s] + r[c]; without z, out = p[c]·x + r[c]. */
  channelAffine(x: Data, p: Data, z: Data | null, q: Data | null, r: Data, N: number, C: number, S: number, out: Data): void;

  // ---- convolution and pooling (NCHW) ----
  /** y = x ⋆ w + b, then max(0, y) if relu   x:(N,C,H,W) w:(OC,C,KH,KW) b:(OC) -> y:(N,OC,OH,OW) */
  conv2d(x: Data, w: Data, b: Data | null, g: Conv2dGeometry, y: Data, relu?: boolean): void;
  /** dx = dy ⋆ᵀ w  (the "full" correlation with the flipped kernel)   -> dx:(N,C,H,W) */
  conv2dBackwardInput(dy: Data, w: Data, g: Conv2dGeometry, dx: Data): void;
  /** dw = Σ_n dy[n] ⋆ x[n],  db = Σ_{n,oh,ow} dy   -> dw:(OC,C,KH,KW) db:(OC) */
  conv2dBackwardFilter(x: Data, dy: Data, g: Conv2dGeometry, dw: Data, db: Data | null): void;
  /** y = max over each window; argmax receives the flat index in x of each window's maximum. */
  maxPool2d(x: Data, g: Pool2dGeometry, y: Data, argmax: Int32Array): void;
  /** dx = 0, then dx[argmax[i]] += dy[i] */
  maxPool2dBackward(dy: Data, argmax: Int32Array, g: Pool2dGeometry, dx: Data): void;
  /** y = mean over each window. */
  avgPool2d(x: Data, g: Pool2dGeometry, y: Data): void;
  /** dx[window] += dy / (KH·KW) */
  avgPool2dBackward(dy: Data, g: Pool2dGeometry, dx: Data): void;

  // ---- softmax and loss (rows of length cols) ----
  /** y = softmax(x) or log-softmax(x), row by row. */
  softmax(x: Data, rows: number, cols: number, y: Data, log: boolean): void;
  /** probs = softmax(logits); returns mean over rows of −log probs[r, labels[r]]. */
  softmaxCrossEntropy(logits: Data, labels: Int32Array, rows: number, cols: number, probs: Data): number;

  // ---- randomness ----
  /**
   * Inverted-dropout mask: out[i] = 1/(1−p) with probability 1−p, else 0. The numbers come from
   * xorshift32 started at `seed`, the same sequence on every backend, so masks are reproducible.
   */
  dropoutMask(out: Data, p: number, seed: number): void;

  // ---- fast paths (optional) ----
  // A backend may fuse a derivative or an update rule into one kernel. Each computes the definition
  // named in its comment, in one pass, and returns false for arrays it does not handle (float64),
  // and then — or where a backend has no such kernel — the definition itself runs.
  // The parity tests check every fast path against its definition.

  /** = `softmaxBackward` in src/ops/softmax.ts. */
  softmaxBackward?(y: Data, dy: Data, rows: number, cols: number, dx: Data, log: boolean): boolean;
  /** = `countCorrect` in src/nn/metrics.ts (the arg-max of each row against its label); null where declined. */
  countCorrect?(pred: Data, labels: Int32Array, rows: number, cols: number): number | null;
  /** = `crossEntropyBackward` in src/ops/softmax.ts. */
  crossEntropyBackward?(probs: Data, labels: Int32Array, rows: number, cols: number, s: number, dx: Data): boolean;
  /** = `sgdUpdate` in src/optim/sgd.ts on every tensor of the list, all in one call (v null: no momentum). */
  sgdSteps?(list: readonly SgdTensor[], lr: number, momentum: number, weightDecay: number): boolean;
  /** = `adamUpdate` in src/optim/adam.ts on every tensor of the list, all in one call. */
  adamSteps?(list: readonly AdamTensor[], h: AdamHyper): boolean;
}
