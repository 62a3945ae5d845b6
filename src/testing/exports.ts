// What the export tests share: MNIST test images as a tensor and as raw float32 bytes (for Python
// and ONNX Runtime), small networks of every exportable layer trained a few steps, and the
// comparison of two engines' outputs (max abs difference, identical argmax).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad } from '../autograd/engine.js';
import { loadMnistSplit, loadMnist } from '../data/mnist.js';
import { saveModel } from '../io/node.js';
import { crossEntropy } from '../losses/index.js';
import { AvgPool2d, Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential, Softmax, Tanh } from '../nn/layers.js';
import type { Module } from '../nn/module.js';
import { basicBlock, cnn, dnn, mlp } from '../models/index.js';
import { AdaptiveAvgPool2d, BatchNorm1d, BatchNorm2d } from '../nn/blocks.js';
import { Adam } from '../optim/index.js';
import { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { DataLoader } from '../data/dataset.js';

export const FIXTURE_CNN = new URL('../../src/testing/fixtures/default-cnn.zg', import.meta.url).pathname;

/** The first `n` MNIST test images (N,1,28,28) in [0,1], and the same values as little-endian float32 bytes. */
export function testImages(n: number): { x: Tensor; raw: Float32Array } {
  const { x } = loadMnistSplit('test').batch(Array.from({ length: n }, (_, i) => i));
  return { x, raw: Float32Array.from(x.data) };
}

/** A few Adam steps on 640 training images: weights past their random start, in seconds. */
function trainFew(net: Module, seed: number): Module {
  const opt = new Adam(net.parameters(), { lr: 0.003 });
  for (const { x, y } of new DataLoader(loadMnist().train.take(640), { batchSize: 64, shuffle: true, rng: new Random(seed) })) {
    crossEntropy(net.forward(x), y).backward();
    opt.step();
    opt.zeroGrad();
  }
  return net.eval();
}

/**
 * Every layer type and option the exporters map, in one small network: Conv2d with stride,
 * padding and no bias, Tanh, AvgPool2d with a stride of its own, a nested Sequential with Conv2d,
 * ReLU and MaxPool2d, Flatten, Dropout, Linear without bias, Softmax (the dnn below has Sigmoid).
 *   (N,1,28,28) -conv s2 p1-> (N,4,14,14) -avg 3/1-> (N,4,12,12) -conv p1-> (N,6,12,12) -max 2-> (N,6,6,6) -> (N,216) -> (N,10)
 */
export function everyLayer(rng: Random): Sequential {
  return new Sequential(
    new Conv2d(1, 4, 3, { stride: 2, padding: 1, bias: false, rng }),
    new Tanh(),
    new AvgPool2d(3, { stride: 1 }),
    new Sequential(new Conv2d(4, 6, 3, { padding: 1, rng }), new ReLU(), new MaxPool2d(2)),
    new Flatten(),
    new Dropout(0.3),
    new Linear(216, 10, { bias: false, rng }),
    new Softmax(),
  );
}

/**
 * The deeper networks' layers: batch norm (2d and 1d, running statistics past their start after
 * trainFew), residual blocks with an identity and a projection (1×1 stride-2 conv + batch norm)
 * shortcut, global average pooling.
 *   (N,1,28,28) -conv-> (N,4,28,28) -max 2-> (N,4,14,14) -block-> (N,4,14,14) -block s2-> (N,8,7,7) -gap-> (N,8) -> (N,16) -> (N,10)
 */
export function blocksNet(rng: Random): Sequential {
  return new Sequential(
    new Conv2d(1, 4, 3, { padding: 1, bias: false, rng }), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2),
    basicBlock(4, 4, 1, rng), new ReLU(), basicBlock(4, 8, 2, rng), new ReLU(),
    new AdaptiveAvgPool2d(1), new Flatten(), new Linear(8, 16, { rng }), new BatchNorm1d(16), new ReLU(), new Linear(16, 10, { rng }),
  );
}

/** MLP, DNN (sigmoid, dropout), the default CNN (the committed fixture), every layer and the blocks: model files in `dir`. */
export function exportableModels(dir: string): Record<string, string> {
  const files: Record<string, string> = { cnn: FIXTURE_CNN };
  const nets: Record<string, Module> = {
    mlp: mlp({ hidden: [32], rng: new Random(1) }),
    dnn: dnn({ hidden: [48, 24], activation: 'sigmoid', dropout: 0.2, rng: new Random(2) }),
    every: everyLayer(new Random(3)),
    blocks: blocksNet(new Random(5)),
  };
  for (const [name, net] of Object.entries(nets)) {
    files[name] = join(dir, `${name}.zg`);
    saveModel(files[name], trainFew(net, 4), [1, 28, 28], 10, { arch: name });
  }
  return files;
}

/** A model's outputs on `x`, in evaluation mode (dropout off), as a flat array. */
export function outputs(model: Module, x: Tensor): Float32Array {
  model.eval();
  return Float32Array.from(noGrad(() => model.forward(x)).data);
}

/** Write float32 values as raw little-endian bytes (what Python's torch.frombuffer and ONNX Runtime read). */
export function writeFloat32(path: string, values: Float32Array): void {
  const bytes = new Uint8Array(4 * values.length);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  writeFileSync(path, bytes);
}

/** Raw little-endian float32 bytes back to values. */
export function readFloat32(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float32Array.from({ length: bytes.byteLength / 4 }, (_, i) => view.getFloat32(4 * i, true));
}

/**
 * Two engines agree: the same number of outputs, max |a − b| ≤ tol over all of them, and the same
 * argmax (the predicted class) in every row of `classes` values. Returns the max difference.
 */
export function assertSameOutputs(actual: Float32Array, expected: Float32Array, classes: number, what: string, tol = 1e-4): number {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} outputs, expected ${expected.length}`);
  let max = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= max)) max = d; // a NaN difference becomes the max and fails below
  }
  assert.ok(max <= tol, `${what}: max abs difference ${max} > ${tol}`);
  const argmax = (v: Float32Array, row: number) => {
    let best = 0;
    for (let c = 1; c < classes; c++) if (v[row * classes + c] > v[row * classes + best]) best = c;
    return best;
  };
  for (let row = 0; row < expected.length / classes; row++) {
    assert.equal(argmax(actual, row), argmax(expected, row), `${what}: image ${row} is class ${argmax(actual, row)}, expected ${argmax(expected, row)}`);
  }
  return max;
}
