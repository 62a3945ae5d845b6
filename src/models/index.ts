// Ready-made networks for 28×28 grayscale digits: every builder takes input (N,1,28,28)
// and returns logits (N,10) (apply softmax for probabilities). The classic convolutional
// architectures (LeNet-5, VGG, ResNet) come in small versions that train on two CPU cores.
import { AvgPool2d, Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential, Sigmoid, Tanh } from '../nn/layers.js';
import { AdaptiveAvgPool2d, BatchNorm2d, Residual } from '../nn/blocks.js';
import type { Module } from '../nn/module.js';
import { outputSize } from '../ops/conv.js';
import { defaultRandom, type Random } from '../tensor/random.js';

export type Activation = 'relu' | 'sigmoid' | 'tanh';
export type Arch = 'mlp' | 'dnn' | 'cnn' | 'lenet5' | 'vgg' | 'resnet';

export interface InputInfo {
  channels?: number;
  height?: number;
  width?: number;
  classes?: number;
  rng?: Random;
}

function activation(kind: Activation): Module {
  switch (kind) {
    case 'relu': return new ReLU();
    case 'sigmoid': return new Sigmoid();
    case 'tanh': return new Tanh();
    default: throw new Error(`unknown activation '${kind as string}', expected relu, sigmoid or tanh`);
  }
}

// He initialization suits ReLU; Xavier suits the symmetric squashing functions.
const initFor = (a: Activation) => (a === 'relu' ? 'he' : 'xavier') as 'he' | 'xavier';

export interface MlpOptions extends InputInfo {
  /** Hidden layer sizes: one for an MLP, two or more for a deep network. */
  hidden?: number[];
  activation?: Activation;
  dropout?: number;
}

/**
 * Multi-layer perceptron (feedforward network): flatten → [dense → activation]× → dense.
 * With one hidden layer this is the classic "3-layer" network (input, hidden, output).
 * @example const net = mlp({ hidden: [128] });  // 784 → 128 → 10
 */
export function mlp(o: MlpOptions = {}): Sequential {
  const hidden = o.hidden ?? [128];
  const act = o.activation ?? 'relu';
  const rng = o.rng ?? defaultRandom;
  const inputs = (o.channels ?? 1) * (o.height ?? 28) * (o.width ?? 28);
  const layers: Module[] = [new Flatten()];
  let prev = inputs;
  for (const h of hidden) {
    layers.push(new Linear({ inFeatures: prev, outFeatures: h, init: initFor(act), rng }), activation(act));
    if (o.dropout) layers.push(new Dropout({ p: o.dropout }));
    prev = h;
  }
  layers.push(new Linear({ inFeatures: prev, outFeatures: o.classes ?? 10, init: 'xavier', rng }));
  return new Sequential(layers);
}

/** Deep neural network: an MLP with two or more hidden layers (default 256, 128). */
export function dnn(o: MlpOptions = {}): Sequential {
  const hidden = o.hidden ?? [256, 128];
  if (hidden.length < 2) throw new Error(`dnn: expected two or more hidden layers, got ${hidden.length} (use mlp for one)`);
  return mlp({ ...o, hidden });
}

export interface CnnOptions extends InputInfo {
  /** Number of kernels (feature maps) of the convolution. */
  kernels?: number;
  kernelSize?: number;
  pool?: 'max' | 'avg' | 'none';
  /** Size of the hidden dense layer. */
  hidden?: number;
  activation?: Activation;
  /** Zero padding of the convolution (default 0). */
  padding?: number;
  dropout?: number;
}

/**
 * Convolutional neural network:
 *   conv (learned kernels) → activation → pool → flatten → dense → activation → dense
 * @example const net = cnn({ kernels: 30, kernelSize: 5 });  // (N,1,28,28) -> (N,10)
 */
export function cnn(o: CnnOptions = {}): Sequential {
  const C = o.channels ?? 1;
  const H = o.height ?? 28;
  const W = o.width ?? 28;
  const kernels = o.kernels ?? 30;
  const k = o.kernelSize ?? 5;
  const padding = o.padding ?? 0;
  const pool = o.pool ?? 'max';
  const act = o.activation ?? 'relu';
  const rng = o.rng ?? defaultRandom;
  let oh = outputSize(H, k, 1, padding);
  let ow = outputSize(W, k, 1, padding);
  if (oh < 1 || ow < 1) throw new Error(`cnn: a ${k}×${k} kernel does not fit a ${H}×${W} input`);
  const layers: Module[] = [new Conv2d({ inChannels: C, outChannels: kernels, kernelSize: k, padding, init: initFor(act), rng }), activation(act)];
  if (pool !== 'none') {
    layers.push(pool === 'max' ? new MaxPool2d({ kernelSize: 2 }) : new AvgPool2d({ kernelSize: 2 }));
    oh = Math.floor(oh / 2);
    ow = Math.floor(ow / 2);
  }
  layers.push(new Flatten());
  if (o.dropout) layers.push(new Dropout({ p: o.dropout }));
  layers.push(
    new Linear({ inFeatures: kernels * oh * ow, outFeatures: o.hidden ?? 100, init: initFor(act), rng }),
    activation(act),
    new Linear({ inFeatures: o.hidden ?? 100, outFeatures: o.classes ?? 10, init: 'xavier', rng }),
  );
  return new Sequential(layers);
}

export interface LeNet5Options extends InputInfo {
  /** tanh as published (default), or relu. */
  activation?: Activation;
  /** Subsampling after each convolution: average pooling as published (default), or max. */
  pool?: 'max' | 'avg';
  /** Sizes of the two hidden dense layers (default 120, 84). */
  hidden?: [number, number];
  dropout?: number;
}

/**
 * LeNet-5 (LeCun et al., 1998), adapted to 28×28 input: the first convolution pads by 2, so its
 * 28×28 maps are those the paper's 32×32 input gave.
 *   conv 6@5×5 pad 2 → act → pool 2 → conv 16@5×5 → act → pool 2 → flatten (16·5·5 = 400)
 *   → dense 120 → act → dense 84 → act → dense 10
 * (The paper's C3 connects each map to a subset of S2's maps and its output is RBF units; here,
 * as in every modern port, C3 sees all 6 maps and the output is a dense layer of logits.)
 * @example const net = lenet5();                 // 61,706 parameters, (N,1,28,28) -> (N,10)
 * @example lenet5({ activation: 'relu', pool: 'max' })
 */
export function lenet5(o: LeNet5Options = {}): Sequential {
  const act = o.activation ?? 'tanh';
  const rng = o.rng ?? defaultRandom;
  const [h1, h2] = o.hidden ?? [120, 84];
  const H = o.height ?? 28;
  const W = o.width ?? 28;
  // 5×5 pad 2 keeps the size, pool halves it, 5×5 unpadded takes 4 off, pool halves it again.
  const oh = Math.floor((Math.floor(H / 2) - 4) / 2);
  const ow = Math.floor((Math.floor(W / 2) - 4) / 2);
  if (oh < 1 || ow < 1) throw new Error(`lenet5: a ${H}×${W} input is too small, expected at least 12×12`);
  const pool = () => (o.pool === 'max' ? new MaxPool2d(2) : new AvgPool2d(2));
  const init = initFor(act);
  const layers: Module[] = [
    new Conv2d(o.channels ?? 1, 6, 5, { padding: 2, init, rng }), activation(act), pool(),
    new Conv2d(6, 16, 5, { init, rng }), activation(act), pool(),
    new Flatten(),
  ];
  if (o.dropout) layers.push(new Dropout(o.dropout));
  layers.push(new Linear(16 * oh * ow, h1, { init, rng }), activation(act), new Linear(h1, h2, { init, rng }), activation(act),
    new Linear(h2, o.classes ?? 10, { init: 'xavier', rng }));
  return new Sequential(layers);
}

export interface VggOptions extends InputInfo {
  /** Kernels (channels) of the first block's convolutions; each next block doubles them (default 16). */
  kernels?: number;
  /** Number of blocks, each halving the image (default 2: 28 → 14 → 7). */
  blocks?: number;
  /** Batch norm after each convolution (default false: VGG as published had none). */
  batchNorm?: boolean;
  /** Size of the hidden dense layer (default 128). */
  hidden?: number;
  dropout?: number;
}

/**
 * A small VGG-style network (Simonyan & Zisserman, 2015): blocks of two 3×3 convolutions (padding
 * 1, so the size is kept) then a 2×2 max pool; the channels double from block to block. Two 3×3
 * convolutions see a 5×5 window with fewer weights (2·9·C² against 25·C²) and one more non-linearity.
 *   [conv 3×3 → relu → conv 3×3 → relu → maxpool 2] × blocks → flatten → dense → relu → dense 10
 * @example const net = vgg();                  // 16, 32 channels: (N,1,28,28) -> (N,10)
 */
export function vgg(o: VggOptions = {}): Sequential {
  const rng = o.rng ?? defaultRandom;
  const width = o.kernels ?? 16;
  const blocks = o.blocks ?? 2;
  let [c, h, w] = [o.channels ?? 1, o.height ?? 28, o.width ?? 28];
  const layers: Module[] = [];
  for (let b = 0; b < blocks; b++) {
    const out = width * 2 ** b;
    for (let k = 0; k < 2; k++) {
      layers.push(new Conv2d(k === 0 ? c : out, out, 3, { padding: 1, bias: !o.batchNorm, rng }));
      if (o.batchNorm) layers.push(new BatchNorm2d(out));
      layers.push(new ReLU());
    }
    layers.push(new MaxPool2d(2));
    [c, h, w] = [out, Math.floor(h / 2), Math.floor(w / 2)];
    if (h < 1 || w < 1) throw new Error(`vgg: ${blocks} blocks halve a ${o.height ?? 28}×${o.width ?? 28} input to nothing; expected at most ${b} blocks`);
  }
  layers.push(new Flatten());
  if (o.dropout) layers.push(new Dropout(o.dropout));
  const hidden = o.hidden ?? 128;
  layers.push(new Linear(c * h * w, hidden, { rng }), new ReLU(), new Linear(hidden, o.classes ?? 10, { init: 'xavier', rng }));
  return new Sequential(layers);
}

export interface ResNetOptions extends InputInfo {
  /** Channels of the stem and the first stage; each next stage doubles them (default 16). */
  kernels?: number;
  /** Residual blocks per stage; every stage after the first starts with a stride-2 block (default [1, 1, 1]). */
  blocks?: number[];
  /** Max-pool 2×2 after the stem, so the blocks start at 14×14 (default true: a quarter of the work). */
  stemPool?: boolean;
  dropout?: number;
}

/**
 * ResNet's basic block (He et al., 2016) without its final ReLU (put one after it):
 *   bn(conv3×3(relu(bn(conv3×3(x))))) + shortcut(x)
 * With stride 2 (or more channels) the shortcut is a 1×1 convolution with that stride, then batch
 * norm, so the sum has matching shapes; otherwise it is the identity. The convolutions have no
 * bias: the batch norm after each one subtracts the mean, which would cancel it.
 */
export function basicBlock(inChannels: number, outChannels: number, stride = 1, rng: Random = defaultRandom): Residual {
  const conv = (i: number, o: number, k: number, s: number) => new Conv2d(i, o, k, { stride: s, padding: k >> 1, bias: false, rng });
  const body = new Sequential(conv(inChannels, outChannels, 3, stride), new BatchNorm2d(outChannels), new ReLU(),
    conv(outChannels, outChannels, 3, 1), new BatchNorm2d(outChannels));
  const shortcut = stride === 1 && inChannels === outChannels ? null : new Sequential(conv(inChannels, outChannels, 1, stride), new BatchNorm2d(outChannels));
  return new Residual(body, shortcut);
}

/**
 * A small ResNet for 28×28 images: the stages of the CIFAR ResNets of He et al. after a stem that,
 * like the ImageNet ResNets' (7×7 stride-2 conv, then max pool), shrinks the image first:
 *   stem: conv 3×3 (16) → bn → relu → max pool 2                        28×28 → 14×14
 *   stage 1: basic blocks at 16 channels                                14×14
 *   stage 2: basic blocks at 32, the first with stride 2                 7×7
 *   stage 3: basic blocks at 64, the first with stride 2                 4×4
 *   global average pooling → flatten → dense 10
 * Without the stem's pool (stemPool: false) every stage works on 4× the positions: 4× the multiply-adds.
 * @example const net = resnet();                       // (N,1,28,28) -> (N,10)
 * @example resnet({ kernels: 32, blocks: [2, 2, 2] })  // wider and deeper
 */
export function resnet(o: ResNetOptions = {}): Sequential {
  const rng = o.rng ?? defaultRandom;
  const width = o.kernels ?? 16;
  const blocks = o.blocks ?? [1, 1, 1];
  if (blocks.length === 0 || !blocks.every((b) => Number.isInteger(b) && b >= 1)) {
    throw new Error(`resnet: blocks must be one or more positive integers (blocks per stage), got [${blocks.join(', ')}]`);
  }
  const layers: Module[] = [new Conv2d(o.channels ?? 1, width, 3, { padding: 1, bias: false, rng }), new BatchNorm2d(width), new ReLU()];
  if (o.stemPool ?? true) layers.push(new MaxPool2d(2));
  let c = width;
  blocks.forEach((n, stage) => {
    const out = width * 2 ** stage;
    for (let b = 0; b < n; b++) {
      layers.push(basicBlock(c, out, stage > 0 && b === 0 ? 2 : 1, rng), new ReLU());
      c = out;
    }
  });
  layers.push(new AdaptiveAvgPool2d(1), new Flatten());
  if (o.dropout) layers.push(new Dropout(o.dropout));
  layers.push(new Linear(c, o.classes ?? 10, { init: 'xavier', rng }));
  return new Sequential(layers);
}
