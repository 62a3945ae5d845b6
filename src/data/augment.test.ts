// Augmentation: the list's words, each move against its definition, and determinism: the same
// seed gives the same batches, and a run resumed mid-epoch augments as an uninterrupted one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Augmenter, cropPadding, exampleSeed, formatAugment, parseAugment } from './augment.js';
import { ImageDataset, holdOut } from './dataset.js';
import { Random } from '../tensor/random.js';
import { cnn } from '../models/index.js';
import { Adam } from '../optim/index.js';
import { startPosition, trainEpochs, type LoopPosition } from '../train/index.js';

/** n examples of C×H×W distinct bytes (example k: (k·37 + i) mod 251), labels k mod 3. */
function pictures(n: number, C: number, H: number, W: number): ImageDataset {
  const px = C * H * W;
  const images = Uint8Array.from({ length: n * px }, (_, i) => (Math.floor(i / px) * 37 + (i % px)) % 251);
  return new ImageDataset(images, Uint8Array.from({ length: n }, (_, k) => k % 3), n, H, W, C);
}

test('parseAugment reads none, crop[=PAD], shift[=PIXELS] and flip, and names what it cannot read', () => {
  assert.deepEqual(parseAugment('none'), {});
  assert.deepEqual(parseAugment('crop,flip'), { crop: 'auto', flip: true });
  assert.deepEqual(parseAugment(' crop=4 , shift '), { crop: 4, shift: 2 });
  assert.equal(formatAugment(parseAugment('flip,shift=3,crop')), 'crop=auto,shift=3,flip');
  assert.equal(formatAugment({}), 'none');
  assert.throws(() => parseAugment('crop,rotate'), /'crop,rotate': unknown item 'rotate'; expected 'none' or a comma-separated list of crop\[=PAD\], shift\[=PIXELS\], flip/);
  assert.throws(() => parseAugment('crop,crop=2'), /'crop' given twice/);
  assert.throws(() => parseAugment('flip=1'), /flip takes no value/);
  assert.throws(() => parseAugment('crop=0'), /crop expects 1 to 16 pixels, got 0/);
  assert.deepEqual([16, 24, 28, 32, 64].map(cropPadding), [2, 3, 3, 4, 4]);
});

test('crop moves the picture by −pad..pad each way, zeros where the padding shows; every offset occurs', () => {
  const data = pictures(300, 2, 5, 6);
  const aug = new Augmenter({ crop: 2 }, 11);
  const { x, y } = aug.batch(data, Array.from({ length: 300 }, (_, i) => i), 0);
  const out = x.toArray();
  const seen = new Set<string>();
  for (let k = 0; k < 300; k++) {
    assert.equal(y[k], k % 3);
    // Find the (dx, dy) that explains the output: out(c, oy, ox) = in(c, oy + dy, ox + dx), or 0 outside.
    const found = [-2, -1, 0, 1, 2].flatMap((dy) => [-2, -1, 0, 1, 2].map((dx) => [dx, dy])).filter(([dx, dy]) => {
      for (let c = 0; c < 2; c++) for (let oy = 0; oy < 5; oy++) for (let ox = 0; ox < 6; ox++) {
        const sx = ox + dx, sy = oy + dy;
        const want = sx < 0 || sx >= 6 || sy < 0 || sy >= 5 ? 0 : data.images[k * 60 + c * 30 + sy * 6 + sx] / 255;
        if (Math.abs(out[k * 60 + c * 30 + oy * 6 + ox] - want) > 1e-6) return false;
      }
      return true;
    });
    assert.equal(found.length, 1, `example ${k}: one crop offset explains it`);
    seen.add(found[0].join(','));
  }
  assert.equal(seen.size, 25, 'all 5×5 offsets occur');
});

test('flip mirrors left-right about half the time, and only when asked; shift repeats the edge', () => {
  const data = pictures(200, 1, 4, 5);
  const all = Array.from({ length: 200 }, (_, i) => i);
  const plain = data.batch(all).x.toArray();
  const flipped = new Augmenter({ flip: true }, 3).batch(data, all, 0).x.toArray();
  let mirrored = 0;
  for (let k = 0; k < 200; k++) {
    const same = [...Array(20).keys()].every((i) => flipped[k * 20 + i] === plain[k * 20 + i]);
    const mirror = [...Array(20).keys()].every((i) => flipped[k * 20 + i] === plain[k * 20 + Math.floor(i / 5) * 5 + 4 - (i % 5)]);
    assert.ok(same !== mirror, `example ${k} is either itself or its mirror image`);
    if (mirror) mirrored++;
  }
  assert.ok(mirrored > 70 && mirrored < 130, `${mirrored} of 200 mirrored`);
  assert.deepEqual(new Augmenter({ crop: 1 }, 3).batch(data, all, 0).x.toArray().some((v, i) => v !== plain[i]), true);
  // No move asked: the batch is the plain one.
  assert.deepEqual(new Augmenter({}, 3).batch(data, all, 0).x.toArray(), plain);
  // A shift never writes a zero the picture does not hold: the gap gets the nearest edge pixel.
  const shifted = new Augmenter({ shift: 2 }, 5).batch(data, all, 0).x.toArray();
  for (let k = 0; k < 200; k++) {
    const values = new Set(Array.from(data.images.subarray(k * 20, k * 20 + 20), (v) => Math.fround(v / 255))); // float32, as stored
    for (let i = 0; i < 20; i++) assert.ok(values.has(shifted[k * 20 + i]), `example ${k} pixel ${i}`);
  }
});

test('augmentation is a function of (seed, epoch, example): same seed → same batches, whatever the batch order', () => {
  const data = pictures(40, 3, 6, 6);
  const spec = parseAugment('crop,shift,flip');
  const a = new Augmenter(spec, 7).batch(data, [5, 9, 30], 2).x.toArray();
  assert.deepEqual(new Augmenter(spec, 7).batch(data, [5, 9, 30], 2).x.toArray(), a, 'same seed, same batch');
  // Example 9 alone, or after other examples, comes out the same.
  const alone = new Augmenter(spec, 7).batch(data, [9], 2).x.toArray();
  assert.deepEqual(alone, a.slice(108, 216));
  assert.notDeepEqual(new Augmenter(spec, 8).batch(data, [5, 9, 30], 2).x.toArray(), a, 'another seed');
  assert.notDeepEqual(new Augmenter(spec, 7).batch(data, [5, 9, 30], 3).x.toArray(), a, 'another epoch');
  assert.notEqual(exampleSeed(7, 2, 9), exampleSeed(7, 9, 2), 'epoch and index are not interchangeable');
  assert.throws(() => new Augmenter(spec, 7).batch(data, [40], 0), /Augmenter.batch: index 40 is outside the dataset's 40 examples/);
});

/** The weights after training 2 epochs of 6 batches with augmentation, stopping after `stopAt` steps and resuming from the position. */
function trainedWeights(stopAt?: number): number[] {
  const data = pictures(30, 3, 8, 8);
  const build = () => cnn({ channels: 3, height: 8, width: 8, classes: 3, kernels: 2, kernelSize: 3, hidden: 4, rng: new Random(4) });
  const model = build();
  const opt = new Adam(model.parameters(), { lr: 0.01 });
  const rng = new Random(2);
  const augment = new Augmenter(parseAugment('crop,flip'), 9);
  const pos: LoopPosition = startPosition();
  let steps = 0;
  for (const e of trainEpochs(model, data, opt, { epochs: 2, batchSize: 5, rng, position: pos, augment })) {
    if (e.type === 'batch' && ++steps === stopAt) break;
  }
  if (stopAt !== undefined) {
    // Resume in a fresh loop from the saved position and generator states (what a checkpoint holds).
    const saved = { pos: structuredClone(pos), rng: rng.getState() };
    const again = new Random();
    again.setState(saved.rng);
    for (const _ of trainEpochs(model, data, opt, { epochs: 2, batchSize: 5, rng: again, position: saved.pos, augment: new Augmenter(parseAugment('crop,flip'), 9) }));
  }
  return model.parameters().flatMap((p) => p.toArray());
}

test('a run stopped mid-epoch and resumed from its position augments as an uninterrupted run: same weights', () => {
  const whole = trainedWeights();
  assert.deepEqual(trainedWeights(4), whole);
  assert.deepEqual(trainedWeights(8), whole);
});

test('holdOut: a seeded, stratified split; every class in both parts, disjoint, the same for the same seed', () => {
  const data = pictures(30, 1, 2, 2); // 10 of each label 0, 1, 2
  const { kept, held } = holdOut(data, 0.2, 5);
  assert.equal(held.count, 6);
  assert.equal(kept.count, 24);
  for (const label of [0, 1, 2]) assert.equal(held.labels.filter((l) => l === label).length, 2, `label ${label}`);
  const firstByte = (d: ImageDataset) => [...Array(d.count).keys()].map((k) => d.images[k * 4]);
  const heldIds = new Set(firstByte(held));
  assert.ok(firstByte(kept).every((v) => !heldIds.has(v)), 'disjoint');
  assert.deepEqual(firstByte(holdOut(data, 0.2, 5).held), firstByte(held));
  assert.notDeepEqual(firstByte(holdOut(data, 0.2, 6).held), firstByte(held));
  assert.throws(() => holdOut(data, 1, 5), /holdOut: fraction must be in \(0, 1\), got 1/);
});
