// The IDX reader (plain, gzip, broken files), MNIST loading from a folder, and batching.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync, rmSync, writeFileSync } from 'node:fs';

import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeIdx, parseIdx } from './idx.js';
import { ImageDataset, DataLoader } from './dataset.js';
import { loadMnist, loadMnistSplit, MNIST_FILES } from './mnist.js';
import { Random } from '../tensor/random.js';
import { frameDigit } from './preprocess.js';
import { tempDir } from '../testing/helpers.js';

function tinySet(count: number): { images: Uint8Array; labels: Uint8Array } {
  const images = new Uint8Array(count * 4 * 3).map((_, i) => (i * 7) % 256);
  const labels = new Uint8Array(count).map((_, i) => i % 10);
  return { images, labels };
}

test('parseIdx reads shape and values', () => {
  const { images } = tinySet(2);
  const parsed = parseIdx(encodeIdx([2, 4, 3], images));
  assert.deepEqual(parsed.shape, [2, 4, 3]);
  assert.deepEqual(Array.from(parsed.data), Array.from(images));
});

test('parseIdx rejects broken files with a clear message', () => {
  assert.throws(() => parseIdx(new Uint8Array([1, 2]), 'x.idx'), /x.idx: not an IDX file \(only 2 bytes/);
  assert.throws(() => parseIdx(new TextEncoder().encode('hello world'), 'x.idx'), /not an IDX file \(first bytes 0x68 0x65, expected 0x00 0x00\)/);
  assert.throws(() => parseIdx(new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]), 'f.idx'), /IDX value type 0x0d is not supported/);
  const good = encodeIdx([2, 4, 3], tinySet(2).images);
  assert.throws(() => parseIdx(good.subarray(0, good.length - 5), 't.idx'), /promises 24 values .* but the file holds 19 \(truncated or corrupted\)/);
});

function writeSet(dir: string, gz: boolean, trainCount = 5, trainLabels = 5): void {
  const put = (name: string, bytes: Uint8Array) => writeFileSync(join(dir, gz ? name + '.gz' : name), gz ? gzipSync(bytes) : bytes);
  const a = tinySet(trainCount);
  put(MNIST_FILES.trainImages, encodeIdx([trainCount, 4, 3], a.images));
  put(MNIST_FILES.trainLabels, encodeIdx([trainLabels], tinySet(trainLabels).labels));
  const b = tinySet(3);
  put(MNIST_FILES.testImages, encodeIdx([3, 4, 3], b.images));
  put(MNIST_FILES.testLabels, encodeIdx([3], b.labels));
}

test('loadMnist reads a folder of plain or gzip files', () => {
  for (const gz of [false, true]) {
    const dir = tempDir('data');
    writeSet(dir, gz);
    const { train, test } = loadMnist(dir);
    assert.equal(train.count, 5);
    assert.equal(test.count, 3);
    assert.equal(train.height, 4);
    assert.equal(train.width, 3);
    assert.deepEqual(Array.from(train.labels), [0, 1, 2, 3, 4]);
  }
});

test('loadMnist: missing files, count mismatches and bad gzip are reported', () => {
  const empty = tempDir('data');
  assert.throws(() => loadMnist(empty), /missing data file: .*train-images-idx3-ubyte \(also looked for train-images-idx3-ubyte.gz, train-images.idx3-ubyte, train-images.idx3-ubyte.gz\)/);
  assert.throws(() => loadMnist(join(empty, 'nope')), /data directory not found/);
  const bad = tempDir('data');
  writeSet(bad, false, 5, 4);
  assert.throws(() => loadMnist(bad), /4 labels for 5 images .* the counts must match/);
  const badGz = tempDir('data');
  writeSet(badGz, true);
  writeFileSync(join(badGz, MNIST_FILES.testImages + '.gz'), 'not gzip');
  assert.throws(() => loadMnist(badGz), /t10k-images-idx3-ubyte.gz: not a valid gzip file/);
  writeFileSync(join(badGz, MNIST_FILES.testImages), ''); // a plain file wins when both exist
  assert.throws(() => loadMnist(badGz), /not an IDX file \(only 0 bytes/);
});

test('loadMnistSplit reads the test files alone; dotted names (train-images.idx3-ubyte) are accepted', () => {
  const dir = tempDir('data');
  writeSet(dir, false);
  for (const f of [MNIST_FILES.trainImages, MNIST_FILES.trainLabels]) rmSync(join(dir, f));
  assert.equal(loadMnistSplit('test', dir).count, 3);
  assert.throws(() => loadMnist(dir), /missing data file: .*train-images-idx3-ubyte/);
  const dotted = tempDir('data');
  writeSet(dotted, true);
  for (const f of Object.values(MNIST_FILES)) {
    renameSync(join(dotted, `${f}.gz`), join(dotted, `${f.replace(/-(idx\d-ubyte)$/, '.$1')}.gz`));
  }
  assert.equal(loadMnist(dotted).train.count, 5);
  assert.throws(() => loadMnistSplit('test', join(dotted, 't10k-images.idx3-ubyte.gz')), /not a directory/);
});

test('the embedded MNIST has 60,000 training and 10,000 test images', () => {
  const { train, test } = loadMnist();
  assert.equal(train.count, 60000);
  assert.equal(test.count, 10000);
  assert.equal(train.height, 28);
  assert.equal(train.classes, 10);
});

test('DataLoader: seeded shuffles, every example once per pass, pixels scaled to [0,1]', () => {
  const { images, labels } = tinySet(10);
  const ds = new ImageDataset(images, labels, 10, 4, 3);
  const seen = (seed: number) => [...new DataLoader(ds, { batchSize: 4, rng: new Random(seed) })].flatMap((b) => Array.from(b.y));
  assert.deepEqual(seen(1), seen(1));
  assert.notDeepEqual(seen(1), seen(2));
  assert.deepEqual([...seen(1)].sort(), Array.from(labels).sort());
  const batches = [...new DataLoader(ds, { batchSize: 4, shuffle: false })];
  assert.deepEqual(batches.map((b) => b.x.shape), [[4, 1, 4, 3], [4, 1, 4, 3], [2, 1, 4, 3]]);
  assert.equal(batches[0].x.data[1], Math.fround(7 / 255));
  assert.throws(() => new DataLoader(ds, { batchSize: 0 }), /batchSize must be a positive integer, got 0/);
  // PyTorch's DataLoader(data, batch_size): the batch size as the second argument.
  assert.deepEqual([...new DataLoader(ds, 4, { shuffle: false })].map((b) => b.x.shape[0]), [4, 4, 2]);
  assert.deepEqual([...new DataLoader(ds, 3, { rng: new Random(1) })].flatMap((b) => Array.from(b.y)),
    [...new DataLoader(ds, { batchSize: 3, rng: new Random(1) })].flatMap((b) => Array.from(b.y)));
  assert.throws(() => new DataLoader(ds, 0), /batchSize must be a positive integer, got 0/);
});

test('ImageDataset.subset: the chosen examples in the chosen order', () => {
  const { images, labels } = tinySet(10);
  const ds = new ImageDataset(images, labels, 10, 4, 3);
  const sub = ds.subset([7, 2, 7]);
  assert.equal(sub.count, 3);
  assert.deepEqual(Array.from(sub.labels), [7, 2, 7]);
  assert.deepEqual(Array.from(sub.images.subarray(12, 24)), Array.from(images.subarray(24, 36)));
  assert.throws(() => ds.subset([10]), /subset: index 10 is outside the dataset's 10 examples/);
});

test('ImageDataset.batch: rows by index, pixels / 255, labels; a bad index names itself', () => {
  const { images, labels } = tinySet(10);
  const ds = new ImageDataset(images, labels, 10, 4, 3);
  const { x, y } = ds.batch([9, 0, 9]);
  assert.deepEqual(x.shape, [3, 1, 4, 3]);
  assert.deepEqual(Array.from(y), [9, 0, 9]);
  assert.deepEqual(Array.from(x.data.subarray(12, 24)), Array.from(images.subarray(0, 12), (v) => Math.fround(v / 255)));
  assert.throws(() => ds.batch([0, 10]), /batch: indices\[1\] is 10, expected an integer from 0 to 9/);
  assert.throws(() => ds.batch([-1]), /batch: indices\[0\] is -1, expected an integer from 0 to 9/);
  assert.throws(() => ds.batch([0.5]), /batch: indices\[0\] is 0.5/);
  // Labels are views into shared 64 KB blocks: 500 batches of 100 (three blocks) keep their own values.
  const rows = (i: number) => Array.from({ length: 100 }, (_, j) => (i + j) % 10);
  const kept = Array.from({ length: 500 }, (_, i) => ds.batch(rows(i)).y);
  kept.forEach((yi, i) => assert.deepEqual(Array.from(yi), rows(i), `batch ${i}`));
});

test('frameDigit: a dark digit on white paper becomes a centered white digit in a 20-pixel box', () => {
  const W = 100, H = 60;
  const gray = new Uint8Array(W * H).fill(255);
  for (let y = 10; y < 50; y++) for (let x = 70; x < 80; x++) gray[y * W + x] = 0; // a vertical bar, off-center
  const out = frameDigit(gray, W, H);
  assert.ok(out, 'the bar is found');
  assert.equal(out.length, 784);
  let mass = 0, cx = 0, cy = 0, rows = new Set<number>();
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) {
    const v = out[y * 28 + x];
    if (v > 0.5) rows.add(y);
    mass += v; cx += v * x; cy += v * y;
  }
  assert.equal(rows.size, 20, 'the long side spans 20 pixels');
  assert.ok(Math.abs(cx / mass - 13.5) <= 1 && Math.abs(cy / mass - 13.5) <= 1, `center of mass (${cx / mass}, ${cy / mass})`);
  assert.equal(frameDigit(new Uint8Array(16).fill(255), 4, 4), null, 'a blank image: no digit found');
});
