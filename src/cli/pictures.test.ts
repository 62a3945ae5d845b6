// Your own pictures, end to end from the command line: a folder of coloured shapes (generated here)
// trains to high accuracy, `eval` and `predict` name the classes, and bad folders get one clear line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, twoAtATime } from '../testing/helpers.js';
import { lastJson, runCli as run } from '../testing/cli.js';
import { drawShape, savePicture, SHAPE_CLASSES, writeShapeFolder } from '../testing/shapes.js';
import { Random } from '../tensor/random.js';
import { loadModel, saveModel } from '../io/node.js';
import { mlp } from '../models/index.js';

const dir = tempDir('pictures');
const shapes = join(dir, 'shapes');
writeShapeFolder(join(shapes, 'train'), 80, 1);
writeShapeFolder(join(shapes, 'test'), 15, 2);
const small = ['--image-size', '16', '--kernels', '8', '--hidden', '32', '--batch-size', '10', '--lr', '0.006', '--seed', '1'];

test('a folder of colour pictures trains to ≥ 90% on its test split; eval and predict name the classes', async () => {
  const model = join(dir, 'shapes.zg');
  const r = await run(['train', '--data-dir', shapes, ...small, '--epochs', '8', '--augment', 'crop', '--out', model, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const res = lastJson(r.stdout);
  assert.ok(res.testAccuracy >= 0.9, `test accuracy ${res.testAccuracy}`);
  const saved = loadModel(model);
  assert.deepEqual(saved.inputShape, [3, 16, 16]);
  assert.equal(saved.classes, 3);
  assert.deepEqual(saved.meta.classNames, ['circle', 'square', 'triangle']);
  assert.equal(saved.meta.preprocess, 'resize');
  assert.equal(saved.meta.augment, 'crop=auto');

  const e = await run(['eval', '--model', model, '--data-dir', shapes, '--json']);
  assert.equal(e.code, 0, e.stderr);
  const ev = lastJson(e.stdout);
  assert.equal(ev.accuracy, res.testAccuracy, 'eval reads the test pictures as training did');
  assert.deepEqual(ev.classNames, ['circle', 'square', 'triangle']);
  const text = await run(['eval', '--model', model, '--data-dir', shapes]);
  assert.match(text.stdout, /^ {2}triangle +\d+\.\d\d% of 15$/m);

  // New pictures, drawn from another seed, in sizes and formats of their own.
  const rng = new Random(99);
  const files = SHAPE_CLASSES.map((shape, i) => {
    const [w, h] = [[64, 40], [25, 33], [48, 48]][i];
    const path = join(dir, `new-${shape}.${i === 1 ? 'jpg' : 'png'}`);
    savePicture(path, drawShape(shape, w, h, rng), w, h);
    return path;
  });
  const p = await run(['predict', '--model', model, '--json', ...files]);
  assert.equal(p.code, 0, p.stderr);
  assert.deepEqual(lastJson(p.stdout).map((q: { name: string }) => q.name), [...SHAPE_CLASSES]);
  const pt = await run(['predict', '--model', model, '--top', '2', files[0]]);
  assert.equal(pt.code, 0, pt.stderr);
  assert.match(pt.stdout, new RegExp(`^${files[0].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: circle\n {2}circle +\\d+\\.\\d%\n {2}(square|triangle) +\\d+\\.\\d%\n$`));
});

test('a single folder is split by --val-split; eval finds the same held-out pictures from the model file', async () => {
  const single = join(dir, 'single');
  writeShapeFolder(single, 20, 3);
  const model = join(dir, 'single.zg');
  const r = await run(['train', '--data-dir', single, ...small, '--epochs', '1', '--val-split', '0.25', '--out', model, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const res = lastJson(r.stdout);
  assert.deepEqual(loadModel(model).meta.data, { layout: 'single', valSplit: 0.25, seed: 1 });
  const ev = lastJson((await run(['eval', '--model', model, '--data-dir', single, '--json'])).stdout);
  assert.equal(ev.count, 15, '5 of each class held out');
  assert.equal(ev.accuracy, res.testAccuracy);
});

test('bad folders and flags: one line naming the path or flag and what was expected, exit code 1', async () => {
  const one = join(dir, 'one');
  writeShapeFolder(one, 2, 1, ['circle']);
  const empty = join(dir, 'empty');
  writeShapeFolder(empty, 2, 1, ['circle', 'square']);
  mkdirSync(join(empty, 'triangle'));
  const cases: Array<[string[], RegExp]> = [
    [['--data-dir', one], new RegExp(`${one}: only one class folder \\('circle'\\); expected two or more`)],
    [['--data-dir', empty], new RegExp(`${join(empty, 'triangle')}: no pictures in class folder 'triangle'`)],
    [['--data-dir', shapes, '--augment', 'crop,spin'], /--augment 'crop,spin': unknown item 'spin'; expected 'none' or a comma-separated list/],
    [['--data-dir', shapes, '--val-split', '1'], /--val-split expects a number in \(0, 1\), got '1'/],
    [['--image-size', '32'], /--image-size 32: the MNIST-format images in .* are 28×28 as stored; expected no --image-size/],
  ];
  // A model of the pictures evaluated on MNIST, and an MNIST model on the pictures.
  const mnistModel = join(dir, 'mnist.zg');
  saveModel(mnistModel, mlp({ hidden: [4], rng: new Random(1) }), [1, 28, 28], 10, { arch: 'mlp' });
  const pictureModel = join(dir, 'pictures.zg');
  saveModel(pictureModel, mlp({ channels: 3, height: 16, width: 16, classes: 3, hidden: [4], rng: new Random(1) }), [3, 16, 16], 3,
    { arch: 'mlp', classNames: ['circle', 'square', 'triangle'], preprocess: 'resize' });
  for (const [args, message] of [
    [['--model', pictureModel], /--data-dir \(the MNIST that ships with zerograd\): MNIST-format files, but the model was trained on pictures of circle, square, triangle/],
    [['--model', mnistModel, '--data-dir', shapes], /a folder of pictures, but the model names no classes \(it was trained on MNIST-format data\); expected MNIST-format IDX files/],
  ] as Array<[string[], RegExp]>) {
    const r = await run(['eval', ...args]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, message);
  }
  const results = await twoAtATime(cases, ([args]) => run(['train', ...args, '--epochs', '1', '--out', join(dir, 'bad.zg')]));
  for (const [i, [args, message]] of cases.entries()) {
    const r = results[i];
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
