// Layers. Each is a Module whose forward calls one op; the math and gradients live in src/ops.
import { Module, type LayerSpec } from './module.js';
import { initWeight, type InitKind } from './init.js';
import { Tensor, zeros } from '../tensor/tensor.js';
import { defaultRandom, type Random } from '../tensor/random.js';
import { formatShape } from '../tensor/shape.js';
import { ArgError, isPlainObject, show, type Size2 } from './args.js';
import { linear } from '../ops/matmul.js';
import { conv2d, maxPool2d, avgPool2d } from '../ops/conv.js';
import { relu, sigmoid, tanh } from '../ops/elementwise.js';
import { softmax } from '../ops/softmax.js';
import { dropout } from '../ops/dropout.js';
import { flatten } from '../ops/shape.js';
import { AdaptiveAvgPool2d, BatchNorm1d, BatchNorm2d, Residual } from './blocks.js';

export interface LinearOptions {
  /** Add a learned bias b (default true). */
  bias?: boolean;
  /** How the weights start (default 'he'). */
  init?: InitKind;
  /** Generator for the initial weights (default: the global, seeded one). */
  rng?: Random;
}

/** Linear's older one-object form: the sizes and the options together. */
export interface LinearConfig extends LinearOptions {
  inFeatures: number;
  outFeatures: number;
}

const LINEAR_OPTIONS = ['bias', 'init', 'rng'] as const;

/**
 * Fully connected (dense) layer: y = x·wᵀ + b, every output connected to every input.
 * @example const fc = new Linear(784, 100); fc.forward(x)           // (N,784) -> (N,100)
 * @example new Linear(784, 100, { bias: false, init: 'xavier' })
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly init: InitKind;
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, options?: LinearOptions);
  constructor(config: LinearConfig);
  constructor(a: number | LinearConfig, b?: number, c?: LinearOptions) {
    super();
    const objectForm = isPlainObject(a);
    const [inF, outF, o]: [unknown, unknown, unknown] = objectForm ? [a.inFeatures, a.outFeatures, a] : [a, b, c];
    const err: ArgError = new ArgError(`Linear(in=${show(inF)}, out=${show(outF)})`,
      objectForm ? 'new Linear({ inFeatures, outFeatures, bias, init, rng })' : 'new Linear(inFeatures, outFeatures[, { bias, init, rng }])');
    if (objectForm && b !== undefined) err.fail(`got ${show(b)} after the options object`);
    const options = err.options(o, objectForm ? ['inFeatures', 'outFeatures', ...LINEAR_OPTIONS] : LINEAR_OPTIONS) as LinearOptions;
    this.inFeatures = err.positiveInt(inF, 'inFeatures');
    this.outFeatures = err.positiveInt(outF, 'outFeatures');
    this.init = options.init ?? 'he';
    const bias = err.boolean(options.bias, 'bias', true);
    this.weight = this.registerParameter('weight', initWeight(zeros([this.outFeatures, this.inFeatures]), this.init, this.inFeatures, this.outFeatures, options.rng ?? defaultRandom));
    this.bias = bias ? this.registerParameter('bias', zeros([this.outFeatures])) : null;
  }

  /** y = x·wᵀ + b; with fused.relu, max(0, y) in the same kernel (Sequential does this for Linear → ReLU). */
  forward(x: Tensor, fused: { relu?: boolean } = {}): Tensor {
    return linear(x, this.weight, this.bias, `Linear(in=${this.inFeatures}, out=${this.outFeatures})`, fused);
  }

  override toSpec(): LayerSpec {
    return { type: 'Linear', inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.bias !== null, init: this.init };
  }

  override describe(): string {
    return 'fully connected: each output is a weighted sum of all inputs plus a bias';
  }
}

export interface Conv2dLayerOptions {
  /** Step between windows (default 1). */
  stride?: Size2;
  /** Zeros added on each side of the image (default 0). */
  padding?: Size2;
  bias?: boolean;
  init?: InitKind;
  rng?: Random;
}

/** Conv2d's older one-object form. */
export interface Conv2dConfig extends Conv2dLayerOptions {
  inChannels: number;
  outChannels: number;
  kernelSize: Size2;
}

const CONV_OPTIONS = ['stride', 'padding', 'bias', 'init', 'rng'] as const;

/**
 * Convolution layer: `outChannels` learned kernels of size inChannels×k×k slide over the
 * image; each produces one feature map. Kernels are square: kernelSize is k or [k, k].
 * @example new Conv2d(1, 30, 5)                     // (N,1,28,28) -> (N,30,24,24)
 * @example new Conv2d(1, 30, 5, { padding: 2 })    // (N,1,28,28) -> (N,30,28,28)
 * @example new Conv2d(1, 32, 3, 1)                  // PyTorch's positional stride (and padding) work too
 */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;
  readonly init: InitKind;
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Size2, options?: Conv2dLayerOptions);
  constructor(inChannels: number, outChannels: number, kernelSize: Size2, stride: Size2, padding?: Size2, options?: Conv2dLayerOptions);
  constructor(config: Conv2dConfig);
  constructor(a: number | Conv2dConfig, b?: number, k?: Size2, d?: Size2 | Conv2dLayerOptions, e?: Size2 | Conv2dLayerOptions, f?: Conv2dLayerOptions) {
    super();
    const objectForm = isPlainObject(a);
    const inC: unknown = objectForm ? a.inChannels : a;
    const outC: unknown = objectForm ? a.outChannels : b;
    const err: ArgError = new ArgError(`Conv2d(in=${show(inC)}, out=${show(outC)})`, objectForm
      ? 'new Conv2d({ inChannels, outChannels, kernelSize, stride, padding, bias, init, rng })'
      : 'new Conv2d(inChannels, outChannels, kernelSize[, { stride, padding, bias, init, rng }])');
    let kernel: unknown, stride: unknown, padding: unknown, o: Conv2dLayerOptions;
    if (objectForm) {
      if (b !== undefined) err.fail(`got ${show(b)} after the options object`);
      o = err.options(a, ['inChannels', 'outChannels', 'kernelSize', ...CONV_OPTIONS]) as Conv2dLayerOptions;
      [kernel, stride, padding] = [a.kernelSize, a.stride, a.padding];
    } else if (isPlainObject(d) || d === undefined) {
      // new Conv2d(in, out, k, { stride, padding, … })
      if (e !== undefined) err.fail(`got ${show(e)} after the options object`);
      o = err.options(d, CONV_OPTIONS) as Conv2dLayerOptions;
      [kernel, stride, padding] = [k, o.stride, o.padding];
    } else {
      // PyTorch's positional form: new Conv2d(in, out, k, stride, padding, { … })
      const padOrOptions = isPlainObject(e) ? undefined : e;
      o = err.options(isPlainObject(e) ? e : f, ['bias', 'init', 'rng']) as Conv2dLayerOptions;
      [kernel, stride, padding] = [k, d, padOrOptions];
    }
    this.inChannels = err.positiveInt(inC, 'inChannels');
    this.outChannels = err.positiveInt(outC, 'outChannels');
    this.kernelSize = err.square(kernel, 'kernelSize', 1);
    this.stride = err.square(stride ?? 1, 'stride', 1);
    this.padding = err.square(padding ?? 0, 'padding', 0);
    this.init = o.init ?? 'he';
    const bias = err.boolean(o.bias, 'bias', true);
    const kk = this.kernelSize;
    const fanIn = this.inChannels * kk * kk;
    const fanOut = this.outChannels * kk * kk;
    this.weight = this.registerParameter('weight', initWeight(zeros([this.outChannels, this.inChannels, kk, kk]), this.init, fanIn, fanOut, o.rng ?? defaultRandom));
    this.bias = bias ? this.registerParameter('bias', zeros([this.outChannels])) : null;
  }

  /** The feature maps; with fused.relu, max(0, ·) in the same kernel (Sequential does this for Conv2d → ReLU). */
  forward(x: Tensor, fused: { relu?: boolean } = {}): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, relu: fused.relu },
      `Conv2d(in=${this.inChannels}, out=${this.outChannels})`);
  }

  override toSpec(): LayerSpec {
    return { type: 'Conv2d', inChannels: this.inChannels, outChannels: this.outChannels, kernelSize: this.kernelSize,
      stride: this.stride, padding: this.padding, bias: this.bias !== null, init: this.init };
  }

  override describe(): string {
    return `convolution: ${this.outChannels} learned ${this.kernelSize}×${this.kernelSize} kernels slide over the input, one feature map each`;
  }
}

export interface PoolOptions {
  /** Step between windows (default: the kernel size, so windows do not overlap). */
  stride?: Size2;
}

/** The pools' older one-object form. */
export interface PoolConfig extends PoolOptions {
  /** Window size (default 2). */
  kernelSize?: Size2;
}

/** What max and average pooling share: a kernelSize×kernelSize window moved by `stride`. */
abstract class Pool2d extends Module {
  readonly kernelSize: number;
  readonly stride: number;
  constructor(readonly type: 'MaxPool2d' | 'AvgPool2d', a: Size2 | PoolConfig | undefined, b: Size2 | PoolOptions | undefined) {
    super();
    const objectForm = isPlainObject(a);
    const err: ArgError = new ArgError(`${type}(kernelSize=${show(objectForm ? a.kernelSize : a)})`,
      objectForm ? `new ${type}({ kernelSize, stride })` : `new ${type}(kernelSize[, stride or { stride }])`);
    let kernel: unknown, stride: unknown;
    if (objectForm) {
      if (b !== undefined) err.fail(`got ${show(b)} after the options object`);
      ({ kernelSize: kernel, stride } = err.options(a, ['kernelSize', 'stride']));
    } else {
      kernel = a;
      stride = isPlainObject(b) ? err.options(b, ['stride']).stride : b;
    }
    this.kernelSize = err.square(kernel ?? 2, 'kernelSize', 1);
    this.stride = err.square(stride ?? this.kernelSize, 'stride', 1);
  }
  override toSpec(): LayerSpec {
    return { type: this.type, kernelSize: this.kernelSize, stride: this.stride };
  }
}

/**
 * Max pooling: keep the largest value of each window (default 2×2, stride 2: halves height and width).
 * @example new MaxPool2d(2)   new MaxPool2d(3, { stride: 2 })   new MaxPool2d(2, 2)
 */
export class MaxPool2d extends Pool2d {
  constructor(kernelSize?: Size2, options?: PoolOptions);
  constructor(kernelSize: Size2, stride: Size2);
  constructor(config: PoolConfig);
  constructor(a?: Size2 | PoolConfig, b?: Size2 | PoolOptions) {
    super('MaxPool2d', a, b);
  }
  forward(x: Tensor): Tensor {
    return maxPool2d(x, { kernelSize: this.kernelSize, stride: this.stride }, 'MaxPool2d');
  }
  override describe(): string {
    return `max pooling: keeps the strongest value in each ${this.kernelSize}×${this.kernelSize} window (downsampling)`;
  }
}

/**
 * Average pooling: the mean of each window.
 * @example new AvgPool2d(2)
 */
export class AvgPool2d extends Pool2d {
  constructor(kernelSize?: Size2, options?: PoolOptions);
  constructor(kernelSize: Size2, stride: Size2);
  constructor(config: PoolConfig);
  constructor(a?: Size2 | PoolConfig, b?: Size2 | PoolOptions) {
    super('AvgPool2d', a, b);
  }
  forward(x: Tensor): Tensor {
    return avgPool2d(x, { kernelSize: this.kernelSize, stride: this.stride }, 'AvgPool2d');
  }
  override describe(): string {
    return `average pooling: the mean of each ${this.kernelSize}×${this.kernelSize} window (downsampling)`;
  }
}

/** Flatten: (N, C, H, W) -> (N, C·H·W), so feature maps can feed a fully connected layer. */
export class Flatten extends Module {
  forward(x: Tensor): Tensor {
    if (x.rank < 2) throw new Error(`Flatten: expected input with a batch axis (N,…), got ${formatShape(x.shape)}`);
    return flatten(x, 1);
  }
  override toSpec(): LayerSpec {
    return { type: 'Flatten' };
  }
  override describe(): string {
    return 'flatten: lays the feature maps out as one long vector per image';
  }
}

/** ReLU activation: max(0, x). */
export class ReLU extends Module {
  forward(x: Tensor): Tensor { return relu(x); }
  override toSpec(): LayerSpec { return { type: 'ReLU' }; }
  override describe(): string { return 'ReLU activation: keeps positive values, sets negatives to 0 (the non-linearity)'; }
}

/** Sigmoid activation: 1/(1+e⁻ˣ). */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor { return sigmoid(x); }
  override toSpec(): LayerSpec { return { type: 'Sigmoid' }; }
  override describe(): string { return 'sigmoid activation: squashes each value into (0, 1)'; }
}

/** Tanh activation. */
export class Tanh extends Module {
  forward(x: Tensor): Tensor { return tanh(x); }
  override toSpec(): LayerSpec { return { type: 'Tanh' }; }
  override describe(): string { return 'tanh activation: squashes each value into (−1, 1)'; }
}

/** Softmax over the last axis: scores -> probabilities. (For training, use crossEntropy on the logits instead.) */
export class Softmax extends Module {
  forward(x: Tensor): Tensor { return softmax(x, -1); }
  override toSpec(): LayerSpec { return { type: 'Softmax' }; }
  override describe(): string { return 'softmax: turns scores into probabilities that sum to 1'; }
}

/**
 * Dropout with probability p (default 0.5), active only in training mode.
 * @example new Dropout(0.5)
 */
export class Dropout extends Module {
  readonly p: number;
  constructor(p?: number);
  constructor(config: { p?: number });
  constructor(a?: number | { p?: number }) {
    super();
    const objectForm = isPlainObject(a);
    const p: unknown = objectForm ? a.p : a;
    const err: ArgError = new ArgError(`Dropout(p=${show(p)})`, objectForm ? 'new Dropout({ p })' : 'new Dropout(p) with 0 ≤ p < 1');
    if (objectForm) err.options(a, ['p']);
    const value = p ?? 0.5;
    if (typeof value !== 'number' || !(value >= 0 && value < 1)) err.fail(`p must be a probability in [0, 1), got ${show(p)}`);
    this.p = value;
  }
  forward(x: Tensor): Tensor { return dropout(x, this.p, this.training); }
  override toSpec(): LayerSpec { return { type: 'Dropout', p: this.p }; }
  override describe(): string { return `dropout: during training, zeroes each value with probability ${this.p}`; }
}

/**
 * Layers applied one after another: a feedforward network. Takes the layers as arguments, as
 * PyTorch's nn.Sequential does, or as one array.
 * @example const net = new Sequential(new Linear(784, 100), new ReLU(), new Linear(100, 10));
 * @example new Sequential([new Linear(784, 100), new ReLU()])   // the array form, for built-up lists
 */
export class Sequential extends Module {
  readonly layers: Module[];
  constructor(...layers: Module[]);
  constructor(layers: readonly Module[]);
  constructor(...args: Array<Module | readonly Module[]>) {
    super();
    const arrayForm = args.length === 1 && Array.isArray(args[0]);
    const layers: unknown[] = arrayForm ? [...(args[0] as readonly Module[])] : args;
    const err: ArgError = new ArgError(`Sequential(${layers.length} layers)`, 'new Sequential(layer1, layer2, …) or new Sequential([layer1, layer2, …])');
    layers.forEach((l, i) => {
      if (!(l instanceof Module)) {
        const hint = typeof l === 'function' && l.prototype instanceof Module ? ` (missing new … ()?)` : '';
        err.fail(`layer ${i} is ${show(l)}${hint}, not a Module`);
      }
    });
    this.layers = layers as Module[];
    this.layers.forEach((l, i) => this.registerModule(String(i), l));
  }
  /**
   * Each layer in order. A Linear or Conv2d followed by a ReLU runs as one fused op — the ReLU is
   * applied as the layer's kernel stores its output — with the same result as running them apart.
   * A Conv2d, ReLU, MaxPool2d in a row runs as Conv2d, MaxPool2d, ReLU: the largest of a window's
   * ReLUs is the ReLU of its largest value, max(relu(z)) = relu(max(z)), so the outputs are the same
   * and so are the gradients (where a window's largest value is > 0 both orders pick the same input
   * for it; where it is ≤ 0 the whole window's gradient is 0 either way). The ReLU and its gradient
   * then touch the pooled map, a quarter of the values for 2×2 windows. (NOTE: the one exception is a
   * window whose values are all NaN — weights already NaN: it can come out 0 where the layers run one
   * by one give −∞.)
   */
  forward(x: Tensor): Tensor {
    let y = x;
    for (let i = 0; i < this.layers.length; i++) {
      const l = this.layers[i];
      const next = this.layers[i + 1], after = this.layers[i + 2];
      if (l instanceof Conv2d && next instanceof ReLU && after instanceof MaxPool2d) {
        y = next.forward(after.forward(l.forward(y)));
        i += 2; // the ReLU and the pooling are done
      } else if ((l instanceof Linear || l instanceof Conv2d) && next instanceof ReLU) {
        y = l.forward(y, { relu: true });
        i++; // the ReLU is done
      } else {
        y = l.forward(y);
      }
    }
    return y;
  }
  override toSpec(): LayerSpec {
    return { type: 'Sequential', layers: this.layers.map((l) => l.toSpec()) };
  }
  override describe(): string {
    return `sequential: ${this.layers.length} layers applied in order`;
  }
}

/** Build a module from its spec (the inverse of toSpec). Unknown types and bad options throw. */
export function moduleFromSpec(spec: LayerSpec, rng: Random = defaultRandom): Module {
  const num = (k: string): number => spec[k] as number;
  const opt = (k: string): number | undefined => (spec[k] === undefined ? undefined : (spec[k] as number));
  switch (spec.type) {
    case 'Sequential': {
      if (!Array.isArray(spec.layers)) throw new Error('Sequential spec: expected a "layers" array');
      return new Sequential((spec.layers as LayerSpec[]).map((l) => moduleFromSpec(l, rng)));
    }
    case 'Linear':
      return new Linear({ inFeatures: num('inFeatures'), outFeatures: num('outFeatures'), bias: spec.bias !== false, init: spec.init as InitKind | undefined, rng });
    case 'Conv2d':
      return new Conv2d({ inChannels: num('inChannels'), outChannels: num('outChannels'), kernelSize: num('kernelSize'),
        stride: opt('stride'), padding: opt('padding'), bias: spec.bias !== false, init: spec.init as InitKind | undefined, rng });
    case 'MaxPool2d': return new MaxPool2d({ kernelSize: opt('kernelSize'), stride: opt('stride') });
    case 'AvgPool2d': return new AvgPool2d({ kernelSize: opt('kernelSize'), stride: opt('stride') });
    case 'Flatten': return new Flatten();
    case 'ReLU': return new ReLU();
    case 'Sigmoid': return new Sigmoid();
    case 'Tanh': return new Tanh();
    case 'Softmax': return new Softmax();
    case 'Dropout': return new Dropout({ p: opt('p') });
    case 'BatchNorm1d': case 'BatchNorm2d': {
      const o = { numFeatures: num('numFeatures'), eps: opt('eps'), momentum: opt('momentum'), affine: spec.affine !== false };
      return spec.type === 'BatchNorm1d' ? new BatchNorm1d(o) : new BatchNorm2d(o);
    }
    case 'AdaptiveAvgPool2d': return new AdaptiveAvgPool2d(opt('outputSize') ?? 1);
    case 'Residual': {
      if (!spec.body || typeof spec.body !== 'object') throw new Error('Residual spec: expected a "body" layer spec');
      return new Residual(moduleFromSpec(spec.body as LayerSpec, rng), spec.shortcut ? moduleFromSpec(spec.shortcut as LayerSpec, rng) : null);
    }
    default:
      throw new Error(`unknown layer type '${String(spec.type)}', expected one of: Sequential, Linear, Conv2d, MaxPool2d, AvgPool2d, Flatten, ReLU, Sigmoid, Tanh, Softmax, Dropout, BatchNorm1d, BatchNorm2d, AdaptiveAvgPool2d, Residual`);
  }
}
