// R-CNN from the command line: the smoke split end to end (about a minute on two cores), then the
// saved detector on a page of digits drawn as a user would photograph them, and bad input.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { loadMnist } from '../data/mnist.js';
import { iou, type Box } from '../detection/boxes.js';
import { tempDir, twoAtATime } from '../testing/helpers.js';
import { lastJson, runCli as run } from '../testing/cli.js';

const dir = tempDir('detect');
const model = join(dir, 'rcnn.zg');


let trained: any;
before(async () => {
  const r = await run(['detect-train', '--split', 'smoke', '--seed', '1', '--out', model, '--json']);
  assert.equal(r.code, 0, r.stderr);
  trained = lastJson(r.stdout);
});

test('detect-train --split smoke: mAP@0.5 ≥ 0.30, and every number the JSON promises', () => {
  assert.ok(trained.mAP50 >= 0.3, `mAP@0.5 ${trained.mAP50}`);
  for (const k of ['mAP50', 'mAP70', 'mAP50NoRegression', 'mAP70NoRegression', 'mAP50Svm', 'mAP50Softmax', 'proposalRecall50', 'proposalsPerImage', 'seconds']) {
    assert.equal(typeof trained[k], 'number', k);
    assert.ok(Number.isFinite(trained[k]), `${k} = ${trained[k]}`);
  }
  assert.equal(trained.mAP50, trained.mAP50Svm, 'the default scorer is the SVMs');
  for (const s of ['dataset', 'proposals', 'pretrain', 'finetune', 'svm', 'regression', 'evaluate']) {
    assert.equal(typeof trained.stageSeconds[s], 'number', `stageSeconds.${s}`);
  }
  assert.ok(existsSync(model));
});

test('detect-eval reads the model back and gives the same mAP on the same canvases', async () => {
  const [r, text] = await twoAtATime([['--json'], []], (extra) => run(['detect-eval', '--model', model, ...extra]));
  assert.equal(r.code, 0, r.stderr);
  const e = lastJson(r.stdout);
  assert.ok(Math.abs(e.mAP50 - trained.mAP50) < 1e-9, `${e.mAP50} vs ${trained.mAP50}`);
  assert.equal(e.perClass.length, 10);
  assert.match(text.stdout, /mAP@0\.5/);
});

/**
 * A page as a phone would see it: dark digits on light, slightly uneven paper, 3× the canvas
 * scale (digits 60–100 px tall), saved as PNG. Returns the digits' boxes in the page's pixels.
 */
function drawPage(path: string, chalk = false): Array<{ label: number; box: Box }> {
  const { test: t } = loadMnist();
  const S = 3, W = 420, H = 300;
  const page = new Float32Array(W * H).fill(0);
  const placed: Array<{ label: number; box: Box }> = [];
  // MNIST's first five test digits, 7 2 1 0 4.
  const spots = [[20, 30, 0], [160, 40, 1], [290, 20, 2], [60, 170, 3], [230, 160, 4]];
  for (const [x0, y0, idx] of spots) {
    let box: Box = [W, H, 0, 0];
    for (let y = 0; y < 28 * S; y++) for (let x = 0; x < 28 * S; x++) {
      const v = t.images[idx * 784 + Math.floor(y / S) * 28 + Math.floor(x / S)] / 255;
      if (v <= 0) continue;
      page[(y0 + y) * W + x0 + x] = Math.max(page[(y0 + y) * W + x0 + x], v);
      if (v > 0.1) box = [Math.min(box[0], x0 + x), Math.min(box[1], y0 + y), Math.max(box[2], x0 + x + 1), Math.max(box[3], y0 + y + 1)];
    }
    placed.push({ label: t.labels[idx], box });
  }
  const png = new PNG({ width: W, height: H });
  for (let i = 0; i < W * H; i++) {
    const paper = 235 - (15 * (i % W)) / W; // light falling off to the right
    // Dark ink on paper, or (chalk) light strokes on a dark board.
    const v = chalk ? Math.round(40 + 180 * page[i]) : Math.round(paper * (1 - 0.85 * page[i]));
    png.data.set([v, v, v, 255], 4 * i);
  }
  writeFileSync(path, PNG.sync.write(png));
  return placed;
}

test('detect finds the digits on a drawn page and writes the annotated copy', async () => {
  const path = join(dir, 'page.png');
  const truth = drawPage(path);
  const out = join(dir, 'annotated');
  const r = await run(['detect', '--model', model, path, '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const [res] = lastJson(r.stdout);
  assert.equal(res.image, path);
  // Every digit found where it is, and named right (the smoke detector is small: one may be misnamed).
  const located = truth.filter((g) => res.detections.some((d: any) => iou(d.box, g.box) >= 0.5));
  const named = truth.filter((g) => res.detections.some((d: any) => d.label === g.label && iou(d.box, g.box) >= 0.5));
  assert.equal(located.length, truth.length, `located ${located.length} of ${truth.length}: ${JSON.stringify(res.detections)}`);
  assert.ok(named.length >= truth.length - 1, `named ${named.length} of ${truth.length}: ${JSON.stringify(res.detections)}`);
  for (const d of res.detections) {
    assert.ok(d.box[0] >= 0 && d.box[1] >= 0 && d.box[2] <= 420 && d.box[3] <= 300 && d.box[2] > d.box[0], `box ${d.box} inside the page`);
  }
  const annotated = PNG.sync.read(readFileSync(join(out, 'page.detections.png')));
  assert.deepEqual([annotated.width, annotated.height], [420, 300]);
});

test('detect reads light digits on a dark board too', async () => {
  const path = join(dir, 'board.png');
  const truth = drawPage(path, true);
  const r = await run(['detect', '--model', model, path, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const [res] = lastJson(r.stdout);
  const located = truth.filter((g) => res.detections.some((d: any) => iou(d.box, g.box) >= 0.5));
  assert.ok(located.length >= truth.length - 1, `located ${located.length} of ${truth.length}: ${JSON.stringify(res.detections)}`);
});

test('detect: bad input gets one line each', async () => {
  const tiny = join(dir, 'tiny.png');
  const png = new PNG({ width: 8, height: 8 });
  png.data.fill(255);
  writeFileSync(tiny, PNG.sync.write(png));
  const r = await run(['detect', '--model', model, tiny]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /8×8.*at least 16×16/);
  assert.equal(r.stderr.trim().split('\n').length, 1);

  const classifier = fileURLToPath(new URL('../../src/testing/fixtures/default-cnn.zg', import.meta.url));
  const c = await run(['detect', '--model', classifier, tiny]);
  assert.equal(c.code, 1);
  assert.match(c.stderr, /a classifier model, not a detector/);

  const corrupt = join(dir, 'corrupt.zg');
  const bytes = readFileSync(model);
  bytes[bytes.length >> 1] ^= 0xff;
  writeFileSync(corrupt, bytes);
  const k = await run(['detect', '--model', corrupt, tiny]);
  assert.equal(k.code, 1);
  assert.match(k.stderr, /checksum mismatch/);

  // …and the other way round: a detector given to the classifier's commands.
  for (const cmd of [['eval', '--model', model], ['predict', '--model', model, tiny]]) {
    const e = await run(cmd);
    assert.equal(e.code, 1, cmd.join(' '));
    assert.match(e.stderr, /a detector \(R-CNN\), not an image classifier; use `zerograd detect`/);
  }

  const flag = await run(['detect-train', '--split', 'tiny']);
  assert.notEqual(flag.code, 0);
  assert.match(flag.stderr, /--split.*tiny.*full, smoke|Allowed choices are full, smoke/);
});
