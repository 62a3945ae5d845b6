// The layers of deeper networks: batch normalization, global average pooling and the residual
// block. Each is a Module whose forward calls ops (src/ops/batchnorm.ts, src/ops/elementwise.ts);
// moduleFromSpec (src/nn/layers.ts) rebuilds them from their specs.
import { Module, type LayerSpec } from './module.js';
import { ArgError, isPlainObject, show } from './args.js';
import { Tensor, ones, zeros } from '../tensor/tensor.js';
import { formatShape } from '../tensor/shape.js';
import { batchNorm, globalAvgPool2d } from '../ops/batchnorm.js';
import { add } from '../ops/elementwise.js';

export interface BatchNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Weight of each new batch in the running mean and variance (default 0.1). */
  momentum?: number;
  /** Learn a scale γ (`weight`, starts at 1) and a shift β (`bias`, starts at 0) per channel (default true). */
  affine?: boolean;
}

/** What BatchNorm1d and BatchNorm2d share; they differ only in the input they accept. */
abstract class BatchNorm extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number;
  readonly affine: boolean;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  /** Running averages of the batches' means and (unbiased) variances: what evaluation normalizes with. */
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  /** Training steps taken (batches seen in training mode), as PyTorch's num_batches_tracked. */
  readonly numBatchesTracked: Tensor;

  constructor(readonly type: 'BatchNorm1d' | 'BatchNorm2d', a: number | ({ numFeatures: number } & BatchNormOptions), b: BatchNormOptions | undefined) {
    super();
    const objectForm = isPlainObject(a);
    const n: unknown = objectForm ? a.numFeatures : a;
    const err = new ArgError(`${type}(numFeatures=${show(n)})`,
      objectForm ? `new ${type}({ numFeatures, eps, momentum, affine })` : `new ${type}(numFeatures[, { eps, momentum, affine }])`);
    if (objectForm && b !== undefined) err.fail(`got ${show(b)} after the options object`);
    const o = err.options(objectForm ? a : b, objectForm ? ['numFeatures', 'eps', 'momentum', 'affine'] : ['eps', 'momentum', 'affine']) as BatchNormOptions;
    this.numFeatures = err.positiveInt(n, 'numFeatures');
    const eps = o.eps ?? 1e-5;
    if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps)) err.fail(`eps must be a positive number, got ${show(o.eps)}`);
    const momentum = o.momentum ?? 0.1;
    if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1)) err.fail(`momentum must be a number in [0, 1], got ${show(o.momentum)}`);
    [this.eps, this.momentum, this.affine] = [eps, momentum, err.boolean(o.affine, 'affine', true)];
    const C = this.numFeatures;
    // Names as PyTorch's state_dict(): weight, bias, running_mean, running_var, num_batches_tracked.
    this.weight = this.affine ? this.registerParameter('weight', ones([C])) : null;
    this.bias = this.affine ? this.registerParameter('bias', zeros([C])) : null;
    this.runningMean = this.registerBuffer('running_mean', zeros([C]));
    this.runningVar = this.registerBuffer('running_var', ones([C]));
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', zeros([]), true);
  }

  protected checkInput(x: Tensor, rank: number, shape: string): void {
    if (x.rank !== rank || x.shape[1] !== this.numFeatures) {
      throw new Error(`${this.type}(numFeatures=${this.numFeatures}): expected input ${shape}, got ${formatShape(x.shape)}`);
    }
  }

  /** In training mode: normalize with the batch's statistics and update the running ones; in evaluation, use the running ones. */
  protected normalize(x: Tensor): Tensor {
    if (this.training) this.numBatchesTracked.data[0] += 1;
    return batchNorm(x, this.weight, this.bias, this.runningMean, this.runningVar,
      { training: this.training, momentum: this.momentum, eps: this.eps }, `${this.type}(numFeatures=${this.numFeatures})`);
  }

  /**
   * { type, numFeatures, eps, momentum, affine }; the tensors, in a model file or safetensors, are
   * PyTorch's: weight and bias (C) when affine, running_mean and running_var (C), num_batches_tracked
   * (a scalar, I64 in safetensors) — nn.BatchNorm1d/2d(numFeatures, eps, momentum, affine) loads them.
   */
  override toSpec(): LayerSpec {
    return { type: this.type, numFeatures: this.numFeatures, eps: this.eps, momentum: this.momentum, affine: this.affine };
  }
}

/**
 * Batch normalization of feature maps (N,C,H,W): each channel is normalized over the batch and
 * all positions, then scaled and shifted by learned γ and β. In training mode it uses the batch's
 * mean and variance (and keeps running averages of them); in eval() mode, the running averages.
 * @example new Sequential(new Conv2d(16, 32, 3, { padding: 1, bias: false }), new BatchNorm2d(32), new ReLU())
 */
export class BatchNorm2d extends BatchNorm {
  constructor(numFeatures: number, options?: BatchNormOptions);
  constructor(config: { numFeatures: number } & BatchNormOptions);
  constructor(a: number | ({ numFeatures: number } & BatchNormOptions), b?: BatchNormOptions) {
    super('BatchNorm2d', a, b);
  }
  forward(x: Tensor): Tensor {
    this.checkInput(x, 4, `(N,${this.numFeatures},H,W)`);
    return this.normalize(x);
  }
  override describe(): string {
    return `batch norm: each of the ${this.numFeatures} channels normalized to mean 0, variance 1 over the batch, then scaled and shifted`;
  }
}

/**
 * Batch normalization of features (N,F): each feature normalized over the batch, then scaled
 * and shifted by learned γ and β.
 * @example new Sequential(new Linear(784, 100, { bias: false }), new BatchNorm1d(100), new ReLU())
 */
export class BatchNorm1d extends BatchNorm {
  constructor(numFeatures: number, options?: BatchNormOptions);
  constructor(config: { numFeatures: number } & BatchNormOptions);
  constructor(a: number | ({ numFeatures: number } & BatchNormOptions), b?: BatchNormOptions) {
    super('BatchNorm1d', a, b);
  }
  forward(x: Tensor): Tensor {
    this.checkInput(x, 2, `(N,${this.numFeatures})`);
    return this.normalize(x);
  }
  override describe(): string {
    return `batch norm: each of the ${this.numFeatures} features normalized to mean 0, variance 1 over the batch, then scaled and shifted`;
  }
}

/**
 * Global average pooling, as PyTorch's nn.AdaptiveAvgPool2d(1): (N,C,H,W) -> (N,C,1,1), each
 * feature map replaced by its mean. Follow it with Flatten() for a dense layer. Only output size 1
 * is supported (the one networks use).
 * @example new Sequential(…, new AdaptiveAvgPool2d(1), new Flatten(), new Linear(64, 10))
 */
export class AdaptiveAvgPool2d extends Module {
  readonly outputSize = 1;
  constructor(outputSize: number | readonly [number, number] = 1) {
    super();
    const ok = outputSize === 1 || (Array.isArray(outputSize) && outputSize.length === 2 && outputSize[0] === 1 && outputSize[1] === 1);
    if (!ok) {
      throw new Error(`AdaptiveAvgPool2d(outputSize=${show(outputSize)}): only output size 1 (global average pooling) is supported; expected new AdaptiveAvgPool2d(1)`);
    }
  }
  forward(x: Tensor): Tensor {
    return globalAvgPool2d(x, 'AdaptiveAvgPool2d(1)');
  }
  /** { type: 'AdaptiveAvgPool2d', outputSize: 1 }: PyTorch's nn.AdaptiveAvgPool2d(1); no tensors. */
  override toSpec(): LayerSpec {
    return { type: 'AdaptiveAvgPool2d', outputSize: 1 };
  }
  override describe(): string {
    return 'global average pooling: each feature map becomes its mean, whatever its size';
  }
}

/**
 * A residual block (He et al., 2016): y = body(x) + shortcut(x). The shortcut is the identity by
 * default, so the body learns only a correction to its input, and the gradient reaches earlier
 * layers through the sum unchanged (the add's backward passes dy to both branches; autograd adds
 * the two contributions to x). When the body changes the shape (stride 2, more channels), the
 * shortcut must match it: a 1×1 convolution with the same stride, usually followed by batch norm.
 * The ReLU of a ResNet block comes after the sum: put a ReLU after the Residual.
 * @example
 * const block = new Residual(new Sequential(
 *   new Conv2d(16, 16, 3, { padding: 1, bias: false }), new BatchNorm2d(16), new ReLU(),
 *   new Conv2d(16, 16, 3, { padding: 1, bias: false }), new BatchNorm2d(16)));
 * @example new Residual(body, new Sequential(new Conv2d(16, 32, 1, { stride: 2, bias: false }), new BatchNorm2d(32)))   // downsampling
 */
export class Residual extends Module {
  readonly body: Module;
  /** null: the identity. */
  readonly shortcut: Module | null;
  constructor(body: Module, shortcut: Module | null = null) {
    super();
    const err = new ArgError('Residual', 'new Residual(body[, shortcut]) with Modules (the shortcut defaults to the identity)');
    if (!(body instanceof Module)) err.fail(`body is ${show(body)}, not a Module`);
    if (shortcut !== null && !(shortcut instanceof Module)) err.fail(`shortcut is ${show(shortcut)}, not a Module (or null for the identity)`);
    this.body = this.registerModule('body', body);
    this.shortcut = shortcut ? this.registerModule('shortcut', shortcut) : null;
  }
  /** y = body(x) + shortcut(x)   (shortcut(x) = x for the identity) */
  forward(x: Tensor): Tensor {
    const y = this.body.forward(x);
    const s = this.shortcut ? this.shortcut.forward(x) : x;
    if (y.shape.length !== s.shape.length || y.shape.some((d, i) => d !== s.shape[i])) {
      throw new Error(`Residual: the body gives ${formatShape(y.shape)} but the shortcut gives ${formatShape(s.shape)} for input ${formatShape(x.shape)}; ` +
        'expected the same shape (when the body changes it, give a shortcut that matches: a 1×1 Conv2d with its stride and channels)');
    }
    return add(y, s);
  }
  /**
   * { type: 'Residual', body: spec, shortcut: spec | null }. Tensors are named "body.…" and
   * "shortcut.…", as the state_dict() of a PyTorch module with `body` and `shortcut` attributes
   * whose forward returns body(x) + (shortcut(x) or x).
   */
  override toSpec(): LayerSpec {
    return { type: 'Residual', body: this.body.toSpec(), shortcut: this.shortcut ? this.shortcut.toSpec() : null };
  }
  override describe(): string {
    return `residual block: output = body(input) + ${this.shortcut ? 'a 1×1 projection of the input' : 'the input itself'}`;
  }
}
