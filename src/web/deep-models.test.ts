// The explainer with the deeper networks of issue 16, in Chromium: a small untrained ResNet (built
// with the API, saved as a model file, served) shows every stage's maps block by block, a residual
// block as one stage with its channels and stride, on one 1280-wide screen; a ResNet for colour
// pictures (3 input channels, three named classes) draws its first kernels in colour, labels the
// probability bars with the class names and takes an uploaded picture resized as `predict` does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import type { BrowserContext, Page } from 'playwright-core';
import * as zg from '../index.js';
import { saveModel } from '../node.js';
import { tempDir } from '../testing/helpers.js';
import { launchChromium, startServer } from '../testing/explainer.js';

const dir = tempDir('deep-models');
const servers: ChildProcess[] = [];
let browser: BrowserContext;

before(async () => { browser = await launchChromium(); });
after(async () => {
  await browser?.close();
  for (const s of servers) s.kill();
});

/** Serve a model file and open the page at 1280×720; the page's errors are collected in `errors`. */
async function open(file: string): Promise<{ page: Page; errors: string[] }> {
  const { server, url } = await startServer(['--model', file]);
  servers.push(server);
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto(url);
  await page.waitForSelector('body[data-ready=true]', { timeout: 60000 });
  return { page, errors };
}

/** Each stage's title and canvas count, in pipeline order (the input first). */
const stagesOf = (page: Page) => page.$$eval('#pipeline .stage', (divs) => divs.map((d) => ({
  title: d.querySelector('h3')!.textContent!, canvases: d.querySelectorAll('canvas[data-layer], canvas.input-map').length })));

test('a ResNet model file: every stage renders its maps, a residual block is one labelled stage, the page fits 1280×720', async () => {
  zg.manualSeed(3);
  const model = zg.resnet({ kernels: 8, blocks: [1, 1, 1] });
  const file = join(dir, 'resnet.zg');
  saveModel(file, model, [1, 28, 28], 10, { arch: 'resnet' });
  const { page, errors } = await open(file);
  const shapes = zg.summarize(model, [1, 28, 28]).map((r) => r.outputShape);
  const stages = await stagesOf(page);
  assert.equal(stages.length, 1 + shapes.length, `stages: ${stages.map((s) => s.title).join(' | ')}`);
  assert.equal(stages[0].canvases, 1, 'the input');
  shapes.forEach((s, i) => {
    // A map stage has one canvas per channel; a vector one strip; the logits a table.
    const expected = s.length === 3 ? s[0] : i === shapes.length - 1 ? 0 : 1;
    assert.equal(stages[i + 1].canvases, expected, `stage ${stages[i + 1].title}: shape (${s.join(',')})`);
  });
  const residual = stages.filter((s) => /residual block/.test(s.title)).map((s) => s.title.replace(/^\d+ · /, ''));
  assert.deepEqual(residual, ['residual block 1 (8→8)', 'residual block 2 (8→16, stride 2)', 'residual block 3 (16→32, stride 2)']);
  assert.ok(stages.some((s) => /batch norm/.test(s.title)), 'the stem\'s batch norm is a stage');
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 1280, `the page is ${width} px wide in a 1280 px window`);
  // A cell of a residual block: its value, and why there is no window arithmetic.
  await page.locator('#pipeline .stage[data-type=Residual] canvas[data-layer]').first().click();
  assert.match(await page.textContent('#detail') ?? '', /residual block: output = body\(input\).*only its value is shown/s);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a colour-picture ResNet: coloured first kernels, class-name bars, an uploaded picture resized in colour', async () => {
  zg.manualSeed(4);
  const names = ['circle', 'square', 'triangle'];
  const model = zg.resnet({ channels: 3, classes: 3, kernels: 8, blocks: [1, 1] });
  const file = join(dir, 'colour.zg');
  saveModel(file, model, [3, 28, 28], 3, { arch: 'resnet', classNames: names, preprocess: 'resize' });
  const { page, errors } = await open(file);
  // Some pixel of some first-layer kernel with three different channel values: drawn in colour.
  const coloured = await page.$$eval('#kernels canvas.kernel', (cs) => cs.some((c) => {
    const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height).data;
    for (let i = 0; i < d.length; i += 4) if (d[i] !== d[i + 1] && d[i + 1] !== d[i + 2] && d[i] !== d[i + 2]) return true;
    return false;
  }));
  assert.ok(coloured, 'no first-layer kernel pixel has R ≠ G ≠ B');
  assert.deepEqual(await page.$$eval('#bars .bar .cls', (s) => s.map((e) => e.textContent)), names);
  assert.deepEqual(await page.$$eval('#pipeline table.logits .cls', (s) => s.map((e) => e.textContent)), names);
  // A red disc on blue, 40×30: resized to 28×28 in colour, and the network answers with a class name.
  const png = new PNG({ width: 40, height: 30 });
  for (let y = 0; y < 30; y++) for (let x = 0; x < 40; x++) {
    const inside = (x - 20) ** 2 + (y - 15) ** 2 < 100;
    png.data.set(inside ? [230, 20, 20, 255] : [20, 40, 200, 255], 4 * (y * 40 + x));
  }
  const picture = join(dir, 'disc.png');
  writeFileSync(picture, PNG.sync.write(png));
  await page.setInputFiles('#image-file', picture);
  await page.waitForFunction(() => (window as any).zerograd.state.probabilities.length === 3);
  assert.ok(names.includes((await page.textContent('#prediction'))!), 'the prediction is a class name');
  const centre = await page.$eval('#framed', (c) => Array.from((c as HTMLCanvasElement).getContext('2d')!.getImageData(14, 14, 1, 1).data));
  assert.ok(centre[0] > 200 && centre[2] < 60, `the input's centre is red, got rgba(${centre.join(',')})`);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 1280, `the page is ${width} px wide in a 1280 px window`);
  assert.deepEqual(errors, []);
  await page.close();
});
