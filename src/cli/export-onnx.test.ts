// `zerograd export --onnx`, checked in the real engines: ONNX Runtime (onnxruntime-node) runs each
// export on MNIST test images and reproduces zerograd's outputs, and ONNX's own checker (Debian's
// python3-onnx, full_check: types and shapes inferred through the whole graph) accepts the files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadModel } from '../io/node.js';
import { useBackend } from '../backends/wasm/node.js';
import { tempDir } from '../testing/helpers.js';
import { runCli } from '../testing/cli.js';
import { findPython, requirePython, runPython } from '../testing/python.js';
import { assertSameOutputs, exportableModels, outputs, testImages } from '../testing/exports.js';

const dir = tempDir('export-onnx');
const IMAGES = 2000;
// zerograd's side on the fast backend, one thread (the machine is shared); see export-pytorch.test.ts.
await useBackend({ backend: 'wasm', threads: 1 });

const files = exportableModels(dir);
const onnxFiles: Record<string, string> = {};
const exported = Promise.all(Object.entries(files).map(async ([name, file]) => {
  onnxFiles[name] = join(dir, `${name}.onnx`);
  const r = await runCli(['export', '--model', file, '--onnx', onnxFiles[name], '--json']);
  assert.equal(r.code, 0, r.stderr);
  return [name, JSON.parse(r.stdout)] as const;
}));

test('ONNX Runtime runs the exports of MLP, DNN, CNN and every layer as zerograd does, with a dynamic batch', async () => {
  const results = Object.fromEntries(await exported);
  assert.deepEqual(results.cnn, { tensors: 6, onnx: onnxFiles.cnn, onnxBytes: results.cnn.onnxBytes, input: 'pixels', output: 'logits' });
  assert.equal(results.every.output, 'probabilities', 'a network that ends in Softmax outputs probabilities');
  const { x, raw } = testImages(IMAGES);
  for (const [name, file] of Object.entries(files)) {
    const session = await ort.InferenceSession.create(onnxFiles[name], { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const output = results[name].output as string;
    assert.deepEqual([session.inputNames, session.outputNames], [['pixels'], [output]]);
    const ours = outputs(loadModel(file).model, x);
    const run = await session.run({ pixels: new ort.Tensor('float32', raw, [IMAGES, 1, 28, 28]) });
    assert.deepEqual(run[output].dims, [IMAGES, 10]);
    assertSameOutputs(run[output].data as Float32Array, ours, 10, `${name}: ONNX Runtime vs zerograd`);
    // The batch dimension is dynamic: three images run as well as two thousand.
    const three = await session.run({ pixels: new ort.Tensor('float32', raw.slice(0, 3 * 784), [3, 1, 28, 28]) });
    assertSameOutputs(three[output].data as Float32Array, ours.subarray(0, 30), 10, `${name}: a batch of 3`);
    await session.release();
  }
});

// argv[1:]: ONNX files. Checks each fully and prints its opset, inputs, outputs and initializers.
const CHECK = String.raw`
import json, sys
import onnx
out = {}
for path in sys.argv[1:]:
    onnx.checker.check_model(path, full_check=True)
    m = onnx.load(path)
    dims = lambda v: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
    out[path] = {
        "opset": [[o.domain, o.version] for o in m.opset_import],
        "inputs": [[v.name, dims(v)] for v in m.graph.input],
        "outputs": [[v.name, dims(v)] for v in m.graph.output],
        "initializers": [i.name for i in m.graph.initializer],
        "ops": [n.op_type for n in m.graph.node],
    }
print(json.dumps(out))
`;

const py = findPython(['onnx']);
test('onnx.checker (full_check) accepts every export: opset 13, pixels (N,1,28,28) in, (N,10) out, weights named as in PyTorch', { skip: py.skip }, async () => {
  requirePython(py);
  await exported;
  const checked = JSON.parse(runPython(py, CHECK, Object.values(onnxFiles)));
  for (const [name, path] of Object.entries(onnxFiles)) {
    const c = checked[path];
    assert.deepEqual(c.opset, [['', 13]], name);
    assert.deepEqual(c.inputs, [['pixels', ['N', 1, 28, 28]]], name);
    assert.deepEqual(c.outputs, [[name === 'every' ? 'probabilities' : 'logits', ['N', 10]]], name);
    // Parameters and batch norm's running statistics (its step count is not needed to infer).
    assert.deepEqual(c.initializers, loadModel(files[name]).model.namedState().map(([n]) => n).filter((n) => !n.endsWith('num_batches_tracked')), name);
  }
  assert.deepEqual(checked[onnxFiles.mlp].ops, ['Flatten', 'Gemm', 'Relu', 'Gemm']);
  // Dropout is the identity at inference and leaves no node.
  assert.deepEqual(checked[onnxFiles.every].ops, ['Conv', 'Tanh', 'AveragePool', 'Conv', 'Relu', 'MaxPool', 'Flatten', 'Gemm', 'Softmax']);
  assert.deepEqual(checked[onnxFiles.blocks].ops, ['Conv', 'BatchNormalization', 'Relu', 'MaxPool',
    'Conv', 'BatchNormalization', 'Relu', 'Conv', 'BatchNormalization', 'Add', 'Relu', // identity shortcut: x itself
    'Conv', 'BatchNormalization', 'Relu', 'Conv', 'BatchNormalization', 'Conv', 'BatchNormalization', 'Add', 'Relu', // projection shortcut
    'GlobalAveragePool', 'Flatten', 'Gemm', 'BatchNormalization', 'Relu', 'Gemm']);
  assert.deepEqual(checked[onnxFiles.dnn].ops, ['Flatten', 'Gemm', 'Sigmoid', 'Gemm', 'Sigmoid', 'Gemm']);
});
