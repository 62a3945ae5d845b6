// The command line end to end, on a subset of MNIST.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';

import { join } from 'node:path';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { loadMnist } from '../data/mnist.js';
import { tempDir, twoAtATime } from '../testing/helpers.js';
import { BIN, lastJson, runCli as run } from '../testing/cli.js';
import { spawn } from 'node:child_process';

const dir = tempDir('cli');



/** A test digit drawn dark on white at 3× size, as a PNG or JPEG file. */
function digitFile(index: number, kind: 'png' | 'jpg'): { path: string; label: number } {
  const { test: t } = loadMnist();
  const S = 3, W = 28 * S;
  const rgba = Buffer.alloc(W * W * 4);
  for (let y = 0; y < W; y++) for (let x = 0; x < W; x++) {
    const v = 255 - t.images[index * 784 + Math.floor(y / S) * 28 + Math.floor(x / S)];
    rgba.set([v, v, v, 255], (y * W + x) * 4);
  }
  const path = join(dir, `digit${index}.${kind}`);
  if (kind === 'png') {
    const png = new PNG({ width: W, height: W });
    rgba.copy(png.data);
    writeFileSync(path, PNG.sync.write(png));
  } else {
    writeFileSync(path, jpeg.encode({ data: rgba, width: W, height: W }, 95).data);
  }
  return { path, label: t.labels[index] };
}

test('train a CNN on 3,000 images: at least 90% test accuracy; then eval, predict and summary', async () => {
  const model = join(dir, 'cnn.zg');
  const r = await run(['train', '--model', 'cnn', '--kernels', '8', '--hidden', '64', '--limit', '3000', '--epochs', '2',
    '--batch-size', '50', '--seed', '1', '--out', model, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const res = lastJson(r.stdout);
  assert.ok(res.testAccuracy >= 0.9, `test accuracy ${res.testAccuracy}`);
  assert.equal(res.epochs, 2);
  for (const k of ['trainLoss', 'seconds', 'samplesPerSecond', 'parameters']) assert.equal(typeof res[k], 'number', k);

  // The saved model read back by eval, predict and summary (independent runs, two at a time).
  const files = [digitFile(0, 'png'), digitFile(1, 'jpg'), digitFile(2, 'png')];
  const [e, text, p, pt, s] = await twoAtATime([
    ['eval', '--model', model, '--json'],
    ['eval', '--model', model],
    ['predict', '--model', model, '--top', '3', '--json', ...files.map((f) => f.path)],
    ['predict', '--model', model, files[0].path],
    ['summary', '--model', model, '--json'],
  ], (args) => run(args));
  assert.equal(e.code, 0, e.stderr);
  const ev = lastJson(e.stdout);
  assert.equal(ev.accuracy, res.testAccuracy, 'eval of the saved model matches the accuracy at the end of training');
  assert.equal(ev.confusion.flat().reduce((a: number, b: number) => a + b, 0), 10000);
  assert.equal(ev.perClass.length, 10);
  assert.match(text.stdout, /confusion matrix/);

  assert.equal(p.code, 0, p.stderr);
  const preds = lastJson(p.stdout);
  assert.deepEqual(preds.map((q: any) => q.prediction), files.map((f) => f.label));
  for (const q of preds) {
    assert.equal(q.top.length, 3);
    assert.ok(q.top[0].probability >= q.top[1].probability);
  }
  assert.match(pt.stdout, new RegExp(`: ${files[0].label}\\n\\s+${files[0].label}\\s+\\d+\\.\\d%`));

  const sum = lastJson(s.stdout);
  assert.equal(sum.parameters, res.parameters);
  assert.deepEqual(sum.layers.map((l: any) => l.type), ['Conv2d', 'ReLU', 'MaxPool2d', 'Flatten', 'Linear', 'ReLU', 'Linear']);
});

test('summary of a built-in architecture', async () => {
  const r = await run(['summary', '--arch', 'cnn', '--kernels', '30', '--hidden', '100']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Conv2d\s+\(30,24,24\)\s+780/);
  assert.match(r.stdout, /total parameters: 433,890/);
});

test('user errors: one clear line naming what was wrong and what was expected, no stack trace, exit code 1', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['train', '--bogus'], /unknown option '--bogus'/],
    [['train', '--epochs', 'two'], /--epochs expects a positive integer, got 'two'/],
    [['train', '--lr', '-1'], /--lr expects a positive number, got '-1'/],
    [['eval'], /required option '--model <file>' not specified/],
    [['predict', '--model', join(dir, 'missing.zg')], /missing required argument 'images'/],
    [['train', '--model', 'rnn'], /argument 'rnn' is invalid. Allowed choices are mlp, dnn, cnn/],
    [['train', '--hidden', '100,x'], /--hidden expects comma-separated positive integers/],
    [['train', '--data-dir', join(dir, 'nowhere')], /data directory not found/],
    [['eval', '--model', join(dir, 'missing.zg')], /model file not found/],
    [['eval', '--model', join(dir, 'missing.zg'), '--data-dir', dir], /model file not found/],
    [['experiment', 'nothing'], /unknown experiment 'nothing', expected one of: /],
    [['train', '--out', join(dir, 'no', 'such', 'folder', 'm.zg')], /the folder .*folder does not exist; expected a path in an existing folder/],
    [['summary'], /give --model FILE \(a saved model\) or --arch mlp\|dnn\|cnn/],
    [['train', '--model', 'cnn', '--hidden', '100,50'], /--hidden: expected one size \(the cnn has one hidden dense layer\), got \[100,50\]/],
    [['summary', '--arch', 'dnn', '--hidden', '64'], /--hidden: expected two or more sizes/],
  ];
  const notModel = join(dir, 'not-a-model.zg');
  writeFileSync(notModel, 'hello');
  cases.push([['eval', '--model', notModel], /not a zerograd model file/]);
  const badImage = join(dir, 'bad.png');
  writeFileSync(badImage, 'not an image');
  cases.push([['predict', '--model', notModel, badImage], /not a zerograd model file/]);
  const results = await twoAtATime(cases, ([args]) => run(args));
  for (const [i, [args, pattern]] of cases.entries()) {
    const r = results[i];
    assert.equal(r.code, 1, `${args.join(' ')}: exit code ${r.code}`);
    assert.match(r.stderr, pattern, args.join(' '));
    assert.match(r.stderr, /^zerograd: error: [^\n]+\n$/, `${args.join(' ')}: one line`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, `${args.join(' ')} printed a stack trace`);
  }
});

test('predict: an unreadable image is reported by name', async () => {
  const model = join(dir, 'tiny.zg');
  const t = await run(['train', '--model', 'mlp', '--hidden', '8', '--limit', '200', '--epochs', '1', '--out', model]);
  assert.equal(t.code, 0, t.stderr);
  const badImage = join(dir, 'broken.png');
  writeFileSync(badImage, Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
  const r = await run(['predict', '--model', model, badImage]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /broken\.png: truncated or corrupt PNG$/m);
  const txt = join(dir, 'notes.txt');
  writeFileSync(txt, 'hello');
  const r2 = await run(['predict', '--model', model, txt]);
  assert.match(r2.stderr, /notes.txt: not a PNG or JPEG image/);
});

test('a reader that closes the pipe early (zerograd summary | head -1) ends the command quietly, exit code 0', async () => {
  const child = spawn(process.execPath, [BIN, 'summary', '--arch', 'resnet', '--backend', 'reference'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy(); // closed before the first line is written: every write meets EPIPE
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(stderr, '', 'no stack trace');
  assert.equal(code, 0);
});
