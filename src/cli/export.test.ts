// zerograd export / import end to end: a model file to safetensors and back, and weights written
// without zerograd's metadata (as PyTorch writes them) imported into an architecture from flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, saveModel } from '../io/node.js';
import { decodeSafetensors, encodeSafetensors } from '../io/safetensors.js';
import { mlp } from '../models/index.js';
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
