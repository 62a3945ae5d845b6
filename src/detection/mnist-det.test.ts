import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImageDataset } from '../data/dataset.js';
import { loadMnist } from '../data/mnist.js';
import { iou } from './boxes.js';
import { generateCanvases, inkBox, mnistDet, MAX_DIGIT_SIDE, SPLIT_SIZES } from './mnist-det.js';

const { train, test: testSet } = loadMnist();

test('MNIST-Det: the same seed gives the same bytes, another seed other canvases', () => {
  const a = generateCanvases(train, { count: 5, seed: 7 });
  const b = generateCanvases(train, { count: 5, seed: 7 });
  const c = generateCanvases(train, { count: 5, seed: 8 });
  a.forEach((x, i) => {
    assert.deepEqual(Buffer.from(x.image.buffer), Buffer.from(b[i].image.buffer));
    assert.deepEqual(x.boxes, b[i].boxes);
    assert.deepEqual(x.labels, b[i].labels);
  });
  assert.notDeepEqual(a.map((x) => x.boxes), c.map((x) => x.boxes));
});

test('MNIST-Det canvases: 2–5 digits of 20–44 px, inside, overlapping by IoU ≤ 0.1, tight boxes', () => {
  const canvases = generateCanvases(train, { count: 40, seed: 3, variant: 'clean' });
  for (const c of canvases) {
    assert.equal(c.width, 128);
    assert.ok(c.boxes.length >= 2 && c.boxes.length <= 5, `${c.boxes.length} digits`);
    assert.equal(c.labels.length, c.boxes.length);
    c.boxes.forEach((b, i) => {
      assert.ok(b[0] >= 0 && b[1] >= 0 && b[2] <= 128 && b[3] <= 128, `box [${b}] inside`);
      const side = Math.max(b[2] - b[0], b[3] - b[1]);
      assert.ok(side >= 14 && side <= MAX_DIGIT_SIDE, `longer side ${side}`);
      for (let j = 0; j < i; j++) assert.ok(iou(b, c.boxes[j]) <= 0.1, `boxes ${i} and ${j} overlap by ${iou(b, c.boxes[j])}`);
    });
    // Clean canvases hold only the digits: the ink's tight box is the union of the digits' boxes.
    const ink = inkBox(c.image, 128, 128)!;
    const union = c.boxes.reduce((u, b) => [Math.min(u[0], b[0]), Math.min(u[1], b[1]), Math.max(u[2], b[2]), Math.max(u[3], b[3])]);
    assert.deepEqual(ink, union);
  }
});

test('MNIST-Det: cluttered canvases add fragments and noise outside the digit boxes', () => {
  const [clean] = generateCanvases(train, { count: 1, seed: 5, variant: 'clean' });
  const [cluttered] = generateCanvases(train, { count: 1, seed: 5, variant: 'cluttered' });
  assert.deepEqual(cluttered.boxes, clean.boxes, 'the same digits in the same places');
  let inkOutside = 0, noisy = 0;
  for (let y = 0; y < 128; y++) for (let x = 0; x < 128; x++) {
    const v = cluttered.image[y * 128 + x];
    if (v > 0 && v < 0.06) noisy++;
    if (v > 0.5 && !cluttered.boxes.some((b) => x >= b[0] && x < b[2] && y >= b[1] && y < b[3])) inkOutside++;
  }
  assert.ok(inkOutside > 20, `fragments: ${inkOutside} ink pixels outside the digit boxes`);
  assert.ok(noisy > 1000, `noise: ${noisy} faint pixels`);
});

test('MNIST-Det draws each split from its own digits', () => {
  // A source whose images outside [100, 200) are blank: canvases drawn from [100, 200) have digits,
  // canvases drawn from elsewhere have none. So the range is what the generator uses.
  const px = 784;
  const images = new Uint8Array(300 * px);
  images.set(train.images.subarray(100 * px, 200 * px), 100 * px);
  const src = new ImageDataset(images, train.labels.subarray(0, 300), 300, 28, 28);
  assert.ok(generateCanvases(src, { count: 5, seed: 1, from: 100, to: 200, variant: 'clean' }).every((c) => c.boxes.length >= 2));
  assert.ok(generateCanvases(src, { count: 5, seed: 1, from: 200, to: 300, variant: 'clean' }).every((c) => c.boxes.length === 0));
  assert.throws(() => generateCanvases(src, { count: 1, seed: 1, from: 200, to: 400 }), /digit range \[200, 400\)/);
  const s = mnistDet(train, testSet, { split: 'smoke', seed: 1 });
  assert.deepEqual([s.train.length, s.val.length, s.test.length], [SPLIT_SIZES.smoke.train, SPLIT_SIZES.smoke.val, SPLIT_SIZES.smoke.test]);
});
