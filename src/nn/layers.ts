// Layers. Each is a Module whose forward calls one op; the math and gradients live in src/ops.
import { Module, type LayerSpec } from './module.js';
import { initWeight, type InitKind } from './init.js';
import { Tensor, zeros } from '../tensor/tensor.js';
import { defaultRandom, type Random } from '../tensor/random.js';
import { formatShape } from '../tensor/shape.js';
import { linear } from '../ops/matmul.js';
import { conv2d, maxPool2d, avgPool2d } from '../ops/conv.js';
import { relu, sigmoid, tanh } from '../ops/elementwise.js';
import { softmax } from '../ops/softmax.js';
import { dropout } from '../ops/dropout.js';
import { flatten } from '../ops/shape.js';

function positiveInt(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`${what}: expected a positive integer, got ${String(value)}`);
  }
  return value;
}

export interface LinearOptions {
  inFeatures: number;
  outFeatures: number;
  bias?: boolean;
  init?: InitKind;
  rng?: Random;
}

/**
 * Fully connected (dense) layer: y = x·wᵀ + b, every output connected to every input.
 * @example const fc = new Linear({ inFeatures: 784, outFeatures: 100 }); fc.forward(x) // (N,784) -> (N,100)
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly init: InitKind;
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(o: LinearOptions) {
    super();
    this.inFeatures = positiveInt(o.inFeatures, 'Linear inFeatures');
    this.outFeatures = positiveInt(o.outFeatures, 'Linear outFeatures');
    this.init = o.init ?? 'he';
    this.weight = this.registerParameter('weight', initWeight(zeros([this.outFeatures, this.inFeatures]), this.init, this.inFeatures, this.outFeatures, o.rng ?? defaultRandom));
    this.bias = o.bias === false ? null : this.registerParameter('bias', zeros([this.outFeatures]));
  }

  /** y = x·wᵀ + b; with fused.relu, max(0, y) in the same kernel (Sequential does this for Linear → ReLU). */
  forward(x: Tensor, fused: { relu?: boolean } = {}): Tensor {
    return linear(x, this.weight, this.bias, `Linear(in=${this.inFeatures}, out=${this.outFeatures})`, fused);
  }

  toSpec(): LayerSpec {
    return { type: 'Linear', inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.bias !== null, init: this.init };
  }

  override describe(): string {
    return 'fully connected: each output is a weighted sum of all inputs plus a bias';
  }
}

export interface Conv2dLayerOptions {
  inChannels: number;
  outChannels: number;
  kernelSize: number;
  stride?: number;
  padding?: number;
  bias?: boolean;
  init?: InitKind;
  rng?: Random;
}

/**
 * Convolution layer: `outChannels` learned kernels of size inChannels×k×k slide over the
 * image; each produces one feature map.
 * @example new Conv2d({ inChannels: 1, outChannels: 30, kernelSize: 5 }) // (N,1,28,28) -> (N,30,24,24)
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

  constructor(o: Conv2dLayerOptions) {
    super();
    this.inChannels = positiveInt(o.inChannels, 'Conv2d inChannels');
    this.outChannels = positiveInt(o.outChannels, 'Conv2d outChannels');
    this.kernelSize = positiveInt(o.kernelSize, 'Conv2d kernelSize');
    this.stride = positiveInt(o.stride ?? 1, 'Conv2d stride');
    this.padding = o.padding ?? 0;
    if (!Number.isInteger(this.padding) || this.padding < 0) throw new Error(`Conv2d padding: expected a non-negative integer, got ${this.padding}`);
    this.init = o.init ?? 'he';
    const k = this.kernelSize;
    const fanIn = this.inChannels * k * k;
    const fanOut = this.outChannels * k * k;
    this.weight = this.registerParameter('weight', initWeight(zeros([this.outChannels, this.inChannels, k, k]), this.init, fanIn, fanOut, o.rng ?? defaultRandom));
    this.bias = o.bias === false ? null : this.registerParameter('bias', zeros([this.outChannels]));
  }

  /** The feature maps; with fused.relu, max(0, ·) in the same kernel (Sequential does this for Conv2d → ReLU). */
  forward(x: Tensor, fused: { relu?: boolean } = {}): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, relu: fused.relu },
      `Conv2d(in=${this.inChannels}, out=${this.outChannels})`);
  }

  toSpec(): LayerSpec {
    return { type: 'Conv2d', inChannels: this.inChannels, outChannels: this.outChannels, kernelSize: this.kernelSize,
      stride: this.stride, padding: this.padding, bias: this.bias !== null, init: this.init };
  }

  override describe(): string {
    return `convolution: ${this.outChannels} learned ${this.kernelSize}×${this.kernelSize} kernels slide over the input, one feature map each`;
  }
}

export interface PoolOptions {
  kernelSize?: number;
  stride?: number;
}

/** What max and average pooling share: a kernelSize×kernelSize window moved by `stride`. */
abstract class Pool2d extends Module {
  readonly kernelSize: number;
  readonly stride: number;
  constructor(readonly type: 'MaxPool2d' | 'AvgPool2d', o: PoolOptions) {
    super();
    this.kernelSize = positiveInt(o.kernelSize ?? 2, `${type} kernelSize`);
    this.stride = positiveInt(o.stride ?? this.kernelSize, `${type} stride`);
  }
  toSpec(): LayerSpec {
    return { type: this.type, kernelSize: this.kernelSize, stride: this.stride };
  }
}

/** Max pooling: keep the largest value of each window (default 2×2, stride 2: halves height and width). */
export class MaxPool2d extends Pool2d {
  constructor(o: PoolOptions = {}) {
    super('MaxPool2d', o);
  }
  forward(x: Tensor): Tensor {
    return maxPool2d(x, { kernelSize: this.kernelSize, stride: this.stride }, 'MaxPool2d');
  }
  override describe(): string {
    return `max pooling: keeps the strongest value in each ${this.kernelSize}×${this.kernelSize} window (downsampling)`;
  }
}

/** Average pooling: the mean of each window. */
export class AvgPool2d extends Pool2d {
  constructor(o: PoolOptions = {}) {
    super('AvgPool2d', o);
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
  toSpec(): LayerSpec {
    return { type: 'Flatten' };
  }
  override describe(): string {
    return 'flatten: lays the feature maps out as one long vector per image';
  }
}

/** ReLU activation: max(0, x). */
export class ReLU extends Module {
  forward(x: Tensor): Tensor { return relu(x); }
  toSpec(): LayerSpec { return { type: 'ReLU' }; }
  override describe(): string { return 'ReLU activation: keeps positive values, sets negatives to 0 (the non-linearity)'; }
}

/** Sigmoid activation: 1/(1+e⁻ˣ). */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor { return sigmoid(x); }
  toSpec(): LayerSpec { return { type: 'Sigmoid' }; }
  override describe(): string { return 'sigmoid activation: squashes each value into (0, 1)'; }
}

/** Tanh activation. */
export class Tanh extends Module {
  forward(x: Tensor): Tensor { return tanh(x); }
  toSpec(): LayerSpec { return { type: 'Tanh' }; }
  override describe(): string { return 'tanh activation: squashes each value into (−1, 1)'; }
}

/** Softmax over the last axis: scores -> probabilities. (For training, use crossEntropy on the logits instead.) */
export class Softmax extends Module {
  forward(x: Tensor): Tensor { return softmax(x, -1); }
  toSpec(): LayerSpec { return { type: 'Softmax' }; }
  override describe(): string { return 'softmax: turns scores into probabilities that sum to 1'; }
}

/** Dropout with probability p, active only in training mode. */
export class Dropout extends Module {
  readonly p: number;
  constructor(o: { p?: number } = {}) {
    super();
    this.p = o.p ?? 0.5;
    if (!(this.p >= 0 && this.p < 1)) throw new Error(`Dropout: probability p=${this.p} is outside [0, 1)`);
  }
  forward(x: Tensor): Tensor { return dropout(x, this.p, this.training); }
  toSpec(): LayerSpec { return { type: 'Dropout', p: this.p }; }
  override describe(): string { return `dropout: during training, zeroes each value with probability ${this.p}`; }
}

/**
 * Layers applied one after another: a feedforward network.
 * @example const net = new Sequential([new Linear({ inFeatures: 784, outFeatures: 100 }), new ReLU(), new Linear({ inFeatures: 100, outFeatures: 10 })]);
 */
export class Sequential extends Module {
  readonly layers: Module[];
  constructor(layers: Module[]) {
    super();
    this.layers = layers;
    layers.forEach((l, i) => this.registerModule(String(i), l));
  }
  /**
   * Each layer in order. A Linear or Conv2d followed by a ReLU runs as one fused op — the ReLU is
   * applied as the layer's kernel stores its output — with the same result as running them apart.
   */
  forward(x: Tensor): Tensor {
    let y = x;
    for (let i = 0; i < this.layers.length; i++) {
      const l = this.layers[i];
      if ((l instanceof Linear || l instanceof Conv2d) && this.layers[i + 1] instanceof ReLU) {
        y = l.forward(y, { relu: true });
        i++; // the ReLU is done
      } else {
        y = l.forward(y);
      }
    }
    return y;
  }
  toSpec(): LayerSpec {
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
    default:
      throw new Error(`unknown layer type '${String(spec.type)}', expected one of: Sequential, Linear, Conv2d, MaxPool2d, AvgPool2d, Flatten, ReLU, Sigmoid, Tanh, Softmax, Dropout`);
  }
}
