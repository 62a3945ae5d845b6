// Reading a folder of pictures: both layouts, class order, the channel rule, the sizes, and a clear
// message for each kind of bad folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../testing/helpers.js';
import { drawShape, savePicture, writeShapeFolder } from '../testing/shapes.js';
import { Random } from '../tensor/random.js';
import { dataLayout, loadImageFolder } from './image-folder.js';
import { pictureToInput } from './pictures.js';
import { readImage } from './image-file.js';

const root = tempDir('image-folder');
let n = 0;
/** A fresh folder under the test's temporary folder. */
const fresh = (): string => {
  const d = join(root, `case${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
};

/** A gray picture (w×h) as a PNG file. */
function grayPng(path: string, w: number, h: number, value: number): void {
  savePicture(path, Uint8Array.from({ length: w * h * 4 }, (_, i) => (i % 4 === 3 ? 255 : value)), w, h);
}

test('train/ and test/ folders: classes sorted as PyTorch sorts them, colour pictures as 3×S×S bytes, prepared as predict prepares them', () => {
  const d = fresh();
  writeShapeFolder(join(d, 'train'), 4, 1);
  writeShapeFolder(join(d, 'test'), 2, 2);
  writeFileSync(join(d, 'train', 'circle', 'notes.txt'), 'not a picture');
  mkdirSync(join(d, 'train', '.ipynb_checkpoints'));
  assert.equal(dataLayout(d), 'train-test');
  const data = loadImageFolder(d, { size: 12 });
  assert.deepEqual(data.classNames, ['circle', 'square', 'triangle']);
  assert.equal(data.channels, 3);
  assert.equal(data.layout, 'train-test');
  assert.deepEqual([data.train.count, data.test.count], [12, 6]);
  assert.deepEqual([data.train.channels, data.train.height, data.train.width], [3, 12, 12]);
  assert.deepEqual([...data.train.labels], [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
  assert.deepEqual(data.skipped, [join('train', 'circle', 'notes.txt')]);
  // The first training picture (circle0.png) is stored exactly as pictureToInput makes it.
  const img = readImage(join(d, 'train', 'circle', 'circle0.png'));
  assert.deepEqual(data.train.images.subarray(0, 3 * 144), pictureToInput(img.rgba, img.width, img.height, 3, 12));
  // Evaluating needs only the test pictures.
  const only = loadImageFolder(d, { size: 12, only: 'test', channels: 1 });
  assert.deepEqual([only.train.count, only.test.count, only.test.channels], [0, 6, 1]);
});

test('a single folder of classes is split per class by --val-split, seeded; gray pictures give 1 channel, one colour picture gives 3', () => {
  const d = fresh();
  for (const [cls, value] of [['dark', 40], ['light', 210]] as const) {
    mkdirSync(join(d, cls));
    for (let k = 0; k < 10; k++) grayPng(join(d, cls, `${k}.png`), 10 + k, 30 - k, value);
  }
  assert.equal(dataLayout(d), 'single');
  const a = loadImageFolder(d, { size: 8, valSplit: 0.3, seed: 4 });
  assert.equal(a.channels, 1);
  assert.deepEqual([a.train.count, a.test.count], [14, 6]);
  assert.deepEqual([...a.test.labels].sort(), [0, 0, 0, 1, 1, 1]);
  assert.ok(a.test.images.every((v, i) => v === (a.test.labels[Math.floor(i / 64)] === 0 ? 40 : 210)), 'a flat picture stays flat when resized');
  const b = loadImageFolder(d, { size: 8, valSplit: 0.3, seed: 4 });
  assert.deepEqual(b.test.images, a.test.images, 'same seed, same split');
  assert.equal(loadImageFolder(d, { size: 8 }).test.count, 4, 'default: 20% held out');
  // One colour picture among the gray ones makes every picture 3 channels.
  savePicture(join(d, 'light', 'red.png'), drawShape('circle', 16, 16, new Random(1)), 16, 16);
  assert.equal(loadImageFolder(d, { size: 8 }).channels, 3);
});

test('bad folders: each message names the path and what was expected', () => {
  const none = fresh();
  assert.throws(() => loadImageFolder(none, { size: 8 }), (e: Error) => e.message.startsWith(`${none}: no class folders and no pictures; expected MNIST-format IDX files`));
  assert.throws(() => loadImageFolder(join(none, 'missing'), { size: 8 }), new RegExp(`${join(none, 'missing')}: not a folder; expected`));

  const loose = fresh();
  grayPng(join(loose, 'a.png'), 4, 4, 0);
  assert.throws(() => loadImageFolder(loose, { size: 8 }), new RegExp(`${loose}: holds 1 picture\\(s\\) but no class folders; expected one folder per class`));

  const empty = fresh();
  writeShapeFolder(empty, 2, 1, ['circle', 'square']);
  mkdirSync(join(empty, 'triangle'));
  writeFileSync(join(empty, 'triangle', 'readme.md'), 'x');
  assert.throws(() => loadImageFolder(empty, { size: 8 }), new RegExp(`${join(empty, 'triangle')}: no pictures in class folder 'triangle'; expected .png, .jpg, .jpeg files, at least one per class`));

  const one = fresh();
  writeShapeFolder(one, 3, 1, ['circle']);
  assert.throws(() => loadImageFolder(one, { size: 8 }), new RegExp(`${one}: only one class folder \\('circle'\\); expected two or more`));

  const corrupt = fresh();
  writeShapeFolder(corrupt, 2, 1, ['circle', 'square']);
  writeFileSync(join(corrupt, 'square', 'broken.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]));
  writeFileSync(join(corrupt, 'circle', 'text.jpg'), 'hello');
  assert.throws(() => loadImageFolder(corrupt, { size: 8 }), new RegExp(`${join(corrupt, 'circle', 'text.jpg')}: not a PNG or JPEG image`));
  writeFileSync(join(corrupt, 'circle', 'text.jpg'), readFileSync(join(corrupt, 'circle', 'circle0.png')));
  assert.throws(() => loadImageFolder(corrupt, { size: 8 }), new RegExp(`${join(corrupt, 'square', 'broken.png')}: truncated or corrupt PNG`));

  const mismatch = fresh();
  writeShapeFolder(join(mismatch, 'train'), 2, 1, ['circle', 'square']);
  writeShapeFolder(join(mismatch, 'test'), 2, 1, ['circle', 'triangle']);
  assert.throws(() => loadImageFolder(mismatch, { size: 8 }),
    new RegExp(`${join(mismatch, 'test')}: its classes \\(circle, triangle\\) differ from ${join(mismatch, 'train')}'s \\(circle, square\\): missing square; extra triangle; expected the same class folders`));

  const noTest = fresh();
  writeShapeFolder(join(noTest, 'train'), 2, 1, ['circle', 'square']);
  assert.throws(() => loadImageFolder(noTest, { size: 8 }), new RegExp(`${join(noTest, 'test')}: not found; expected DIR/test/CLASS/\\* beside`));

  const tiny = fresh();
  writeShapeFolder(tiny, 1, 1, ['circle', 'square']);
  assert.throws(() => loadImageFolder(tiny, { size: 8 }), new RegExp(`${tiny}: too few pictures to hold out 0.2 of each class as a test split`));

  const model = fresh();
  writeShapeFolder(model, 2, 1, ['circle', 'square']);
  assert.throws(() => loadImageFolder(model, { size: 8, classNames: ['ant', 'bee'] }),
    /its classes \(circle, square\) differ from the model's \(ant, bee\): missing ant, bee; extra circle, square/);
});
