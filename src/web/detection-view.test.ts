// The explainer's detection view in a real browser (Debian's Chromium driven by playwright-core,
// as web.test.ts), with the small committed detector src/testing/fixtures/smoke-rcnn.zg (made by
// `zerograd detect-train --split smoke` of 0.5.3, whose smoke split trained longer than today's:
// 10,000 digits and 600 fine-tuning steps, against 3,000 and 150). Screenshots go to artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { ROOT, launchChromium, startServer } from '../testing/explainer.js';
import { loadMnistSplit } from '../data/mnist.js';
import { generateCanvases } from '../detection/mnist-det.js';
import { decodeRcnn } from '../detection/model.js';
import { traceDetection } from '../detection/rcnn.js';
import { serve } from '../cli/serve.js';

const DETECTOR = join(ROOT, 'src/testing/fixtures/smoke-rcnn.zg');
const CLASSIFIER = join(ROOT, 'src/testing/fixtures/default-cnn.zg');
const SHOTS = join(ROOT, 'artifacts');
mkdirSync(SHOTS, { recursive: true });

let server: ChildProcess;
let url = '';
let browser: BrowserContext;

before(async () => {
  ({ server, url } = await startServer(['--detector', DETECTOR]));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.kill();
});

async function open(width = 1200): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  await page.setViewportSize({ width, height: 1000 });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForSelector('body[data-ready=true]', { timeout: 60000 });
  await page.waitForFunction(() => /R-CNN/.test(document.querySelector('#det-label')!.textContent ?? ''));
  return { page, errors };
}

/** Run the view on test canvas `i` and wait until every step is drawn. */
async function runCanvas(page: Page, i: number): Promise<void> {
  await page.evaluate(() => { document.querySelector('#detection')!.removeAttribute('data-done'); });
  await page.locator('#det-canvases canvas.det-thumb').nth(i).click();
  await page.waitForSelector('#detection[data-done=true]', { timeout: 60000 });
}

/** Distinct colours in a canvas (a blank or one-colour canvas has 1). */
function colours(page: Page, selector: string): Promise<number> {
  return page.evaluate((sel) => {
    const c = document.querySelector(sel) as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < d.length; i += 4) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return seen.size;
  }, selector);
}

test('a test canvas: segmentation, proposals, crops and detections are drawn, and match the library run in Node', async () => {
  const { page, errors } = await open();
  await runCanvas(page, 0);
  const step = (s: string) => `#det-steps [data-step=${s}]`;
  for (const s of ['input', 'segmentation', 'proposals', 'top-proposals', 'crops', 'regression', 'before-nms', 'detections']) {
    assert.equal(await page.locator(step(s)).count(), 1, `step '${s}' missing`);
    assert.ok((await page.locator(`${step(s)} figcaption`).textContent())!.length > 20, `step '${s}' has no caption`);
  }
  // The segmentation shows many segments in many colours; proposals and detections are boxes drawn on the image.
  assert.ok(await colours(page, `${step('segmentation')} canvas`) >= 10);
  const proposals = Number(await page.locator(`${step('proposals')} canvas`).getAttribute('data-boxes'));
  assert.ok(proposals >= 20 && proposals <= 150, `${proposals} proposals`);
  assert.ok(await colours(page, `${step('proposals')} canvas`) > await colours(page, `${step('input')} canvas`));
  const crops = page.locator(`${step('crops')} canvas.det-window`);
  assert.ok(await crops.count() >= 4, `${await crops.count()} crops`);
  assert.ok(await colours(page, `${step('crops')} canvas.det-window`) > 1, 'the first crop is blank');
  assert.equal(await page.locator(`${step('crops')} .det-crop`).first().locator('.det-bar').count(), 11);
  assert.ok(Number(await page.locator(`${step('regression')} canvas`).getAttribute('data-boxes')) >= 2);
  const items = page.locator('#det-list li[data-label]');
  assert.ok(await items.count() >= 1, 'no detection listed');
  const listed = await items.evaluateAll((lis) => lis.map((li) => ({ label: Number(li.dataset.label), score: Number(li.dataset.score) })));
  for (const d of listed) assert.ok(d.label >= 0 && d.label <= 9 && Number.isFinite(d.score), JSON.stringify(d));
  // The same canvas, detector, scorer and threshold through the library in Node: the same detections.
  const canvas = generateCanvases(loadMnistSplit('test'), { count: 1, seed: 5, variant: 'cluttered' })[0];
  const { rcnn, scorer } = decodeRcnn(readFileSync(DETECTOR));
  const expected = traceDetection(rcnn, canvas.image, canvas.width, canvas.height, { scorer, threshold: Number(await page.inputValue('#det-threshold')) });
  assert.deepEqual(listed.map((d) => d.label), expected.detections.map((d) => d.label));
  listed.forEach((d, k) => assert.ok(Math.abs(d.score - expected.detections[k].score) < 1e-4, `${d.score} vs ${expected.detections[k].score}`));
  const { timings, maxFrameGap } = await page.evaluate(() => (window as any).zerograd.detection);
  console.log(`detection view, test canvas 0 (informal): selective search ${timings.proposals.toFixed(0)} ms and CNN + heads ${timings.network.toFixed(0)} ms in the worker; longest frame gap on the page ${maxFrameGap.toFixed(0)} ms`);
  await page.locator('[data-view=detection]').screenshot({ path: join(SHOTS, 'detection-test-canvas.png') });
  assert.deepEqual(errors, []);
  await page.close();
});

test('two digits drawn on the pad are found', async () => {
  const { page, errors } = await open();
  await page.locator('#det-pad').scrollIntoViewIfNeeded();
  const box = (await page.locator('#det-pad').boundingBox())!;
  const line = async (points: Array<[number, number]>) => {
    await page.mouse.move(box.x + points[0][0], box.y + points[0][1]);
    await page.mouse.down();
    for (const [x, y] of points.slice(1)) await page.mouse.move(box.x + x, box.y + y, { steps: 8 });
    await page.mouse.up();
  };
  await line([[60, 60], [60, 170]]); // a "1"
  await line([[120, 70], [210, 70], [150, 190]]); // a "7"
  await page.click('#det-run');
  await page.waitForSelector('#detection[data-done=true], #det-message.error', { timeout: 60000 });
  assert.doesNotMatch(await page.getAttribute('#det-message', 'class') ?? '', /error/, await page.textContent('#det-message') ?? '');
  const found = await page.locator('#det-list li[data-label]').count();
  assert.ok(found >= 1, 'no digit found in the drawing');
  assert.match(await page.textContent('#det-steps [data-step=input] figcaption') ?? '', /the drawing/);
  await page.locator('[data-view=detection]').screenshot({ path: join(SHOTS, 'detection-drawn.png') });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a classifier file chosen as the detector gets a clear message, and the view keeps working', async () => {
  const { page, errors } = await open();
  await page.setInputFiles('#det-file', { name: 'classifier.zg', mimeType: 'application/octet-stream', buffer: readFileSync(CLASSIFIER) });
  await page.waitForSelector('#det-message.error');
  assert.match(await page.textContent('#det-message') ?? '', /classifier.zg: a classifier model, not a detector/);
  await page.setInputFiles('#det-file', { name: 'detector.zg', mimeType: 'application/octet-stream', buffer: readFileSync(DETECTOR) });
  await page.waitForFunction(() => /detector.zg/.test(document.querySelector('#det-label')!.textContent ?? ''));
  await runCanvas(page, 1);
  assert.ok(await page.locator('#det-steps figure').count() === 8);
  assert.deepEqual(errors, []);
  await page.close();
});

test('at 390 px wide nothing in the detection view runs past the screen', async () => {
  const { page, errors } = await open(390);
  await runCanvas(page, 0);
  const over = await page.evaluate(() => {
    const view = document.querySelector('[data-view=detection]')!;
    return [view, ...view.querySelectorAll('*')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
      .map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}.${e.className}: right ${e.getBoundingClientRect().right}`);
  });
  assert.deepEqual(over, []);
  await page.locator('[data-view=detection]').screenshot({ path: join(SHOTS, 'detection-390px.png') });
  assert.deepEqual(errors, []);
  await page.close();
});

test('serve: /api/detector is 404 without --detector, and a classifier given as --detector is refused by name', async () => {
  const s = await serve({ port: 0 });
  try {
    const r = await fetch(`${s.url}api/detector`);
    assert.equal(r.status, 404);
    assert.match(((await r.json()) as { error: string }).error, /no detector loaded/);
  } finally {
    await s.close();
  }
  assert.throws(() => serve({ port: 0, detector: CLASSIFIER }), /default-cnn.zg: a classifier model, not a detector/);
  const served = await fetch(`${url}api/detector`);
  assert.equal(served.status, 200);
  assert.equal((await served.arrayBuffer()).byteLength, readFileSync(DETECTOR).length);
});
