// The exporters' layer tables without the engines: every layer zerograd has is in both tables,
// an unsupported one is named with where it sits, and nothing but checked numbers reaches model.py.
// (PyTorch and ONNX Runtime run the exports in src/cli/export-pytorch.test.ts and export-onnx.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PYTORCH_LAYERS, pytorchModelSource } from './pytorch.js';
import { ONNX_LAYERS, modelToOnnx } from './onnx.js';
import { moduleFromSpec, Linear, Flatten, Sequential } from '../nn/layers.js';
import { Module, type LayerSpec } from '../nn/module.js';
import { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

/** The layer types moduleFromSpec builds, read from its own error message, so a new layer shows up here. */
function zerogradLayers(): string[] {
  try {
    moduleFromSpec({ type: 'NoSuchLayer' });
  } catch (e) {
    return (e as Error).message.replace(/^.*expected one of: /, '').split(', ').filter((t) => t !== 'Sequential');
  }
  throw new Error('moduleFromSpec accepted an unknown layer type');
}

test('every layer type zerograd builds has an entry in the PyTorch table and in the ONNX table', () => {
  const layers = zerogradLayers();
  assert.ok(layers.includes('Conv2d') && layers.length >= 10, `layer types: ${layers.join(', ')}`);
  assert.deepEqual(Object.keys(PYTORCH_LAYERS).sort(), [...layers].sort());
  assert.deepEqual(Object.keys(ONNX_LAYERS).sort(), [...layers].sort());
});

/** A layer zerograd does not have (as a model from a newer zerograd might hold). */
class Capsule extends Module {
  forward(x: Tensor): Tensor { return x; }
  override toSpec(): LayerSpec { return { type: 'Capsule', numFeatures: 4 }; }
}

test('an unsupported layer is refused by both exporters, naming it, where it sits and what is supported', () => {
  const spec: LayerSpec = { type: 'Sequential', layers: [{ type: 'Flatten' }, { type: 'Sequential', layers: [{ type: 'ReLU' }, { type: 'Capsule' }] }] };
  assert.throws(() => pytorchModelSource({ spec, inputShape: [1, 28, 28], classes: 10 }),
    /^Error: the PyTorch export: layer 1\.1 is a Capsule layer, which the PyTorch export does not support; supported layers: Sequential, Linear, Conv2d, .*Residual$/);
  const net = new Sequential(new Flatten(), new Capsule(), new Linear(784, 10, { rng: new Random(1) }));
  assert.throws(() => modelToOnnx(net, [1, 28, 28], 10), /^Error: the ONNX export: layer 1 is a Capsule layer, which the ONNX export does not support; supported layers: Sequential, Linear/);
  assert.throws(() => pytorchModelSource({ spec: { type: 'toString' }, inputShape: [1, 28, 28], classes: 10 }), /the model is a toString layer/);
});

test('model.py holds only checked numbers from the spec: a string where a size belongs is refused, the description is cleaned', () => {
  const evil: LayerSpec = { type: 'Sequential', layers: [{ type: 'Flatten' }, { type: 'Linear', inFeatures: '__import__("os").system("x")', outFeatures: 10 }] };
  assert.throws(() => pytorchModelSource({ spec: evil, inputShape: [1, 28, 28], classes: 10 }),
    /layer 1 \(Linear\): option inFeatures is "__import__\(\\"os\\"\)\.system\(\\"x\\"\)", expected a non-negative integer/);
  assert.throws(() => pytorchModelSource({ spec: { type: 'Dropout', p: '0.5); import os' }, inputShape: [1, 28, 28], classes: 10 }),
    /the model \(Dropout\): option p is .*, expected a probability in \[0, 1\)/);
  const source = pytorchModelSource({ spec: { type: 'Linear', inFeatures: 4, outFeatures: 2, bias: false }, inputShape: [4], classes: 2, description: 'x"""; import os #' });
  assert.match(source, /^"""x; import os , exported from zerograd/); // no quote or backslash left to end the docstring
  assert.match(source, /return nn\.Linear\(4, 2, bias=False\)\n/);
  assert.match(source, /INPUT_SHAPE = \(4,\)/);
  assert.match(source, /CLASS_NAMES = None /);
  const named = pytorchModelSource({ spec: { type: 'Flatten' }, inputShape: [3, 8, 8], classes: 2, classNames: ['cat', 'a "dog"\\\n'] });
  assert.match(named, /^CLASS_NAMES = \["cat", "a \\"dog\\"\\\\\\n"\]  #/m, 'a JSON string literal is a Python one, escapes and all');
  assert.throws(() => pytorchModelSource({ spec: { type: 'Flatten' }, inputShape: [3, 8, 8], classes: 2, classNames: ['cat'] }), /classNames \["cat"\], expected 2 strings/);
});

test('model.py writes each layer with its options and its state_dict index, nested Sequentials indented', () => {
  const net = moduleFromSpec({ type: 'Sequential', layers: [
    { type: 'Conv2d', inChannels: 1, outChannels: 3, kernelSize: 3, stride: 2, padding: 1, bias: false },
    { type: 'Sequential', layers: [{ type: 'MaxPool2d', kernelSize: 3, stride: 1 }, { type: 'Sigmoid' }] },
    { type: 'AvgPool2d', kernelSize: 2 }, { type: 'Flatten' }, { type: 'Dropout', p: 0.25 }, { type: 'Softmax' },
  ] });
  const source = pytorchModelSource({ spec: net.toSpec(), inputShape: [1, 28, 28], classes: 10 });
  assert.ok(source.includes([
    '    return nn.Sequential(',
    '        nn.Conv2d(1, 3, kernel_size=3, stride=2, padding=1, bias=False),  # 0',
    '        nn.Sequential(',
    '            nn.MaxPool2d(kernel_size=3, stride=1),  # 1.0',
    '            nn.Sigmoid(),  # 1.1',
    '        ),  # 1',
    '        nn.AvgPool2d(kernel_size=2, stride=2),  # 2',
    '        nn.Flatten(),  # 3',
    '        nn.Dropout(p=0.25),  # 4',
    '        nn.Softmax(dim=-1),  # 5',
    '    )',
  ].join('\n')), source);
});
