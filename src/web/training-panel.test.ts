// The explainer's training panel in a real browser (Chromium, as web.test.ts): a run that tells
// the truth. Invalid fields are refused beside the Train button; a diverging run stops there with
// the command line's advice; every run starts from a clean panel; downloads during training are
// fresh snapshots. One page runs the runs one after the other, as a learner would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { ROOT, launchChromium, startServer } from '../testing/explainer.js';
import * as zg from '../index.js';

let server: ChildProcess;
let browser: BrowserContext;
let page: Page;
const errors: string[] = [];

before(async () => {
  let url: string;
  ({ server, url } = await startServer(['--model', join(ROOT, 'src/testing/fixtures/default-cnn.zg')]));
  browser = await launchChromium();
  page = await browser.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(url);
  await page.waitForSelector('body[data-ready=true]', { timeout: 60000 });
});

after(async () => {
  await browser?.close();
  server?.kill();
});

async function form(fields: Record<string, string>): Promise<void> {
  for (const [id, v] of Object.entries(fields)) {
    if (id === 't-optimizer' || id === 't-arch') await page.selectOption(`#${id}`, v);
    else await page.fill(`#${id}`, v);
  }
}

/** The error box is beside the Train button: on its row, just below it at most. */
async function besideTrain(): Promise<void> {
  const e = (await page.locator('#train-error').boundingBox())!, t = (await page.locator('#train').boundingBox())!;
  assert.ok(e && e.y >= t.y && e.y - (t.y + t.height) < 40, `the error is at y=${e?.y}, the Train button at y=${t.y}`);
}

const SMALL = { 't-kernels': '4', 't-hidden': '32', 't-limit': '1000', 't-batch': '50', 't-epochs': '1', 't-optimizer': 'adam', 't-lr': '0.001' };

test('an invalid field is refused with a message beside the Train button, and nothing starts', async () => {
  await form({ ...SMALL, 't-hidden': 'abc' });
  await page.click('#train');
  assert.match(await page.textContent('#train-error') ?? '', /hidden sizes: expected positive whole numbers separated by commas .*got 'abc'/);
  await besideTrain();
  assert.equal(await page.getAttribute('#t-hidden', 'aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => (window as any).zerograd.state.training), 'idle');
  await form({ 't-hidden': '32', 't-epochs': '2.5' });
  await page.click('#train');
  assert.match(await page.textContent('#train-error') ?? '', /epochs: expected a whole number from 1 to 100, got '2.5'/);
  // What only the shared configuration check knows: a dnn needs two sizes.
  await form({ 't-epochs': '1', 't-arch': 'dnn', 't-hidden': '64' });
  await page.click('#train');
  assert.match(await page.textContent('#train-error') ?? '', /hidden sizes: expected two or more sizes/);
  await form({ 't-arch': 'cnn' });
});

test('a run finishes with a clean status; the next run, at learning rate 50, starts empty and stops with the CLI\'s advice beside Train', async () => {
  await form(SMALL);
  await page.click('#train');
  assert.equal(await page.isHidden('#train-error'), true, 'the last run\'s error is still shown');
  await page.waitForFunction(() => (window as any).zerograd.state.training === 'done', undefined, { timeout: 120000 });
  assert.equal(await page.locator('#epochs li').count(), 1);
  assert.match(await page.textContent('#train-status') ?? '', /^done: 1 epoch\(s\), test accuracy \d+\.\d\d%$/);
  // The curves: one point per batch (1000 images / 50), the test accuracy once per epoch.
  assert.equal(await page.evaluate(() => (window as any).zerograd.state.loss.length), 20);
  await page.locator('[data-view=training]').screenshot({ path: join(ROOT, 'artifacts', 'explainer-training.png') });

  await form({ 't-optimizer': 'adam', 't-lr': '50', 't-limit': '2000' });
  await page.click('#train');
  assert.equal(await page.locator('#epochs li').count(), 0, 'the epoch list of the last run is still there');
  assert.equal(await page.evaluate(() => (window as any).zerograd.state.loss.length), 0);
  await page.waitForFunction(() => !document.querySelector('#train-error')!.hasAttribute('hidden'), undefined, { timeout: 120000 });
  const text = await page.textContent('#train-error') ?? '';
  // The same words as `zerograd train --optimizer adam --lr 50` prints, with the form's names.
  assert.match(text, /^Stopped: training diverged: the median loss of the last 20 batches, .* at epoch 1, batch 20 \(optimizer adam, learning rate 50\); try learning rate 0\.001 \(the default for adam\)$/);
  const expected = zg.divergenceAdvice(new zg.DivergedError(0, 19, 50, 'X'), 'adam', 50, { optimizer: 'optimizer', lr: 'learning rate', sep: ', ' });
  assert.ok(text.endsWith(expected.slice(expected.indexOf(' at epoch'))), text);
  await besideTrain();
  assert.equal(await page.evaluate(() => (window as any).zerograd.state.training), 'idle');
  assert.equal(await page.textContent('#train-status'), 'stopped');
  await page.locator('[data-view=training]').screenshot({ path: join(ROOT, 'artifacts', 'explainer-training-diverged.png') });
});

test('plain SGD at learning rate 50 kills the network without tripping the divergence rule: the epoch ends with the CLI\'s near-chance warning', async () => {
  await form({ 't-optimizer': 'sgd', 't-lr': '50', 't-limit': '1000' });
  await page.click('#train');
  assert.equal(await page.isHidden('#train-error'), true, 'the diverged run\'s error is still shown');
  await page.waitForFunction(() => (window as any).zerograd.state.training === 'done', undefined, { timeout: 120000 });
  assert.match(await page.textContent('#train-error') ?? '', /^Warning: test accuracy \d+\.\d\d% after epoch 1 is near chance \(10\.00% for 10 classes\): the loss jumped from 2\.\d\d to [\d.e+]+, so the learning rate is too high; try learning rate 0\.1$/);
  await besideTrain();
});

test('two downloads taken apart during training differ, and "show this model" shows the weights of now', async () => {
  await form({ ...SMALL, 't-limit': '20000' });
  await page.click('#train');
  assert.equal(await page.isHidden('#train-error'), true, 'the last run\'s warning is still shown');
  const batches = () => page.evaluate(() => (window as any).zerograd.state.loss.length as number);
  await page.waitForFunction(() => (window as any).zerograd.state.loss.length >= 5, undefined, { timeout: 120000 });
  const take = async () => {
    const [d] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    return readFileSync((await d.path())!);
  };
  const first = await take();
  const at = await batches();
  await page.waitForFunction((n) => (window as any).zerograd.state.loss.length >= n + 5, at, { timeout: 120000 });
  const second = await take();
  assert.equal(await page.evaluate(() => (window as any).zerograd.state.training), 'running');
  assert.ok(first.length > 1000 && second.length === first.length);
  assert.notDeepEqual(first, second, 'the second download holds the same weights as the first');
  // Each is a model file of the weights at its moment.
  zg.decodeModel(new Uint8Array(first), 'first download');
  await page.click('#use-trained');
  await page.waitForFunction(() => /snapshot during training/.test(document.querySelector('#model-label')!.textContent ?? ''));
  assert.equal(await page.locator('[data-view=kernels] canvas.kernel').count(), 4);
  await page.click('#pause');
  assert.deepEqual(errors, []);
});
