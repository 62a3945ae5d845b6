// zerograd export / import end to end: a model file to safetensors and back, and weights written
// without zerograd's metadata (as PyTorch writes them) imported into an architecture from flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, saveModel } from '../io/node.js';
import { decodeSafetensors, encodeSafetensors } from '../io/safetensors.js';
import { mlp, vgg } from '../models/index.js';
import { Random } from '../tensor/random.js';
import { tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/engine.js';
import { tempDir } from '../testing/helpers.js';
import { runCli as run } from '../testing/cli.js';

const dir = tempDir('export');


const parameters = (path: string) => loadModel(path).model.namedParameters().map(([n, t]) => [n, [...t.shape], Float32Array.from(t.data)]);

test('export then import gives the same weights bit for bit, the same outputs and the same test accuracy', async () => {
  const original = join(dir, 'mlp.zg');
  saveModel(original, mlp({ hidden: [8], rng: new Random(5) }), [1, 28, 28], 10, { arch: 'mlp', testAccuracy: 0.25 });
  const st = join(dir, 'mlp.safetensors');
  const e = await run(['export', '--model', original, '--safetensors', st, '--json']);
  assert.equal(e.code, 0, e.stderr);
  assert.deepEqual(JSON.parse(e.stdout), { safetensors: st, tensors: 4, bytes: readFileSync(st).length });
  assert.deepEqual(decodeSafetensors(readFileSync(st), st).tensors.map((t) => t.name), ['1.weight', '1.bias', '3.weight', '3.bias']);

  const back = join(dir, 'back.zg');
  const i = await run(['import', '--safetensors', st, '--out', back]);
  assert.equal(i.code, 0, i.stderr);
  assert.match(i.stdout, /wrote .*back\.zg: 6,370 parameters/);
  assert.deepEqual(parameters(back), parameters(original));
  assert.equal(loadModel(back).meta.arch, 'mlp');
  const x = tensor(Array.from({ length: 2 * 784 }, (_, k) => (k % 13) / 13), [2, 1, 28, 28]);
  const out = (p: string) => noGrad(() => loadModel(p).model.forward(x)).toArray();
  assert.deepEqual(out(back), out(original));

  const [a, b] = await Promise.all([run(['eval', '--model', original, '--json']), run(['eval', '--model', back, '--json'])]);
  assert.equal(a.code, 0, a.stderr);
  assert.deepEqual(JSON.parse(b.stdout), JSON.parse(a.stdout));
});

test('weights with no zerograd metadata: imported for --arch, refused naming the tensor when the shapes differ', async () => {
  const net = mlp({ hidden: [8], rng: new Random(6) });
  const st = join(dir, 'torch.safetensors');
  writeFileSync(st, encodeSafetensors(net.namedParameters().map(([name, t]) => ({ name, shape: [...t.shape], data: Float32Array.from(t.data) })), { format: 'pt' }));

  const none = await run(['import', '--safetensors', st, '--out', join(dir, 'x.zg')]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /torch\.safetensors: the file holds weights only .*--arch mlp\|dnn\|cnn/);

  const wrong = await run(['import', '--safetensors', st, '--arch', 'mlp', '--hidden', '16', '--out', join(dir, 'wrong.zg')]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /torch\.safetensors: tensor '1\.weight' has shape \(8,784\), but --arch mlp --hidden 16 expects \(16,784\)/);

  const cnnArch = await run(['import', '--safetensors', st, '--arch', 'cnn', '--out', join(dir, 'cnn.zg')]);
  assert.equal(cnnArch.code, 1);
  assert.match(cnnArch.stderr, /tensor '1\.weight' \(8,784\) has no place in --arch cnn/);

  const good = join(dir, 'good.zg');
  const r = await run(['import', '--safetensors', st, '--arch', 'mlp', '--hidden', '8', '--out', good]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(loadModel(good).model.namedParameters().map(([, t]) => Float32Array.from(t.data)), net.namedParameters().map(([, t]) => Float32Array.from(t.data)));
});

test('weights of a vgg with batch norm (as PyTorch names them): --arch vgg refuses with a hint, --arch vgg --batch-norm takes them', async () => {
  const net = vgg({ batchNorm: true, rng: new Random(8) });
  const st = join(dir, 'vgg-bn.safetensors');
  writeFileSync(st, encodeSafetensors(Object.entries(net.stateDict()).map(([name, t]) => ({ name, shape: [...t.shape], data: Float32Array.from(t.data) })), { format: 'pt' }));
  const plain = await run(['import', '--safetensors', st, '--arch', 'vgg', '--out', join(dir, 'plain.zg')]);
  assert.equal(plain.code, 1);
  assert.match(plain.stderr, /has no place in --arch vgg, .*\(the file has batch-norm running statistics: add --batch-norm\)/);
  const good = join(dir, 'vgg-bn.zg');
  const r = await run(['import', '--safetensors', st, '--arch', 'vgg', '--batch-norm', '--out', good]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(Object.values(loadModel(good).model.stateDict()).map((t) => Float32Array.from(t.data)),
    Object.values(net.stateDict()).map((t) => Float32Array.from(t.data)));
});

test('export refuses, in one line naming what was wrong: no output flag, a file that is not a model, a detector, --pytorch on a file', async () => {
  const none = await run(['export', '--model', 'any.zg']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /^zerograd: error: export: say what to write: --safetensors OUT\.safetensors, --pytorch DIR .* or --onnx OUT\.onnx/);

  const text = join(dir, 'notes.zg');
  writeFileSync(text, 'not a model\n');
  const notModel = await run(['export', '--model', text, '--pytorch', join(dir, 'pt-none')]);
  assert.equal(notModel.code, 1);
  assert.match(notModel.stderr, /notes\.zg: not a zerograd model file/);
  assert.equal(existsSync(join(dir, 'pt-none')), false, 'nothing is written for a failed export');

  const detector = await run(['export', '--model', new URL('../../src/testing/fixtures/smoke-rcnn.zg', import.meta.url).pathname, '--onnx', join(dir, 'rcnn.onnx')]);
  assert.equal(detector.code, 1);
  assert.match(detector.stderr, /smoke-rcnn\.zg: a detector \(R-CNN\), not an image classifier/);

  const model = join(dir, 'small.zg');
  saveModel(model, mlp({ hidden: [4], rng: new Random(7) }), [1, 28, 28], 10, { arch: 'mlp' });
  const file = join(dir, 'a-file');
  writeFileSync(file, '');
  const onFile = await run(['export', '--model', model, '--pytorch', file]);
  assert.equal(onFile.code, 1);
  assert.match(onFile.stderr, /--pytorch .*a-file: is a file; expected a folder \(made if missing\) to write model\.py and model\.safetensors in/);
  const deep = await run(['export', '--model', model, '--pytorch', join(dir, 'no', 'such')]);
  assert.equal(deep.code, 1);
  assert.match(deep.stderr, /--pytorch .*such: the folder .*no does not exist/);
});

test('export --pytorch makes the folder and writes model.py beside the safetensors weights, the same as --safetensors writes', async () => {
  const model = join(dir, 'pt.zg');
  saveModel(model, mlp({ hidden: [4], rng: new Random(8) }), [1, 28, 28], 10, { arch: 'mlp', testAccuracy: 0.5 });
  const out = join(dir, 'pt-out');
  const st = join(dir, 'pt.safetensors');
  const r = await run(['export', '--model', model, '--pytorch', out, '--safetensors', st]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /wrote .*model\.py and model\.safetensors: in PyTorch, `from model import load; net = load\(\)`/);
  assert.deepEqual(readFileSync(join(out, 'model.safetensors')), readFileSync(st));
  const source = readFileSync(join(out, 'model.py'), 'utf8');
  assert.match(source, /^"""mlp, test accuracy 50\.00%, exported from zerograd for PyTorch\./);
  assert.match(source, /nn\.Flatten\(\),  # 0\n\s+nn\.Linear\(784, 4\),  # 1\n\s+nn\.ReLU\(\),  # 2\n\s+nn\.Linear\(4, 10\),  # 3\n/);
});
