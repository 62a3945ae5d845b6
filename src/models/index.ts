// Ready-made networks for 28×28 grayscale digits: every builder takes input (N,1,28,28)
// and returns logits (N,10) (apply softmax for probabilities).
import { AvgPool2d, Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential, Sigmoid, Tanh } from '../nn/layers.js';
import type { Module } from '../nn/module.js';
import { outputSize } from '../ops/conv.js';
import { defaultRandom, type Random } from '../tensor/random.js';

export type Activation = 'relu' | 'sigmoid' | 'tanh';
export type Arch = 'mlp' | 'dnn' | 'cnn';

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
