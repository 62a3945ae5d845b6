// The explainer end to end in a real browser (Debian's Chromium driven by playwright-core), and
// the server's handling of bad requests. Screenshots of each view go to artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';

import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { EXPLAINER_VIEWS } from './views.js';
import { tempDir } from '../testing/helpers.js';
import { BIN, ROOT, launchChromium, startServer } from '../testing/explainer.js';

const ARTIFACTS = join(ROOT, 'artifacts');
const dir = tempDir('web');
const KERNELS = 6;
const MAX_UPLOAD = 1024 * 1024;

let server: ChildProcess;
let url = '';
let browser: BrowserContext;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => execFile(process.execPath, [BIN, ...args], { maxBuffer: 1 << 24 }, (err, stdout, stderr) =>
    resolve({ code: err ? 1 : 0, stdout, stderr })));
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const t = await cli(['train', '--model', 'cnn', '--kernels', String(KERNELS), '--hidden', '32', '--limit', '3000', '--epochs', '1', '--out', join(dir, 'small.zg')]);
  assert.equal(t.code, 0, t.stderr);
  ({ server, url } = await startServer(['--model', join(dir, 'small.zg'), '--max-upload', '1MB']));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.kill();
});

async function open(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForSelector('body[data-ready=true]', { timeout: 60000 });
  return { page, errors };
}

/** Draw a "7": a stroke across the top and one down to the bottom left. */
async function drawSeven(page: Page): Promise<void> {
  const box = (await page.locator('#pad').boundingBox())!;
  await page.mouse.move(box.x + 70, box.y + 60);
  await page.mouse.down();
  await page.mouse.move(box.x + 210, box.y + 60, { steps: 10 });
  await page.mouse.move(box.x + 120, box.y + 240, { steps: 12 });
  await page.mouse.up();
  await page.waitForFunction(() => (window as any).zerograd.state.probabilities.length === 10);
}

async function shoot(page: Page, view: string): Promise<void> {
  await page.locator(`[data-view=${view}]`).screenshot({ path: join(ARTIFACTS, `explainer-${view}.png`) });
}

test('drawing a digit: probabilities sum to 100% and match the CLI prediction for the same image', async () => {
  const { page, errors } = await open();
  await drawSeven(page);
  await page.waitForTimeout(100);
  const probs: number[] = await page.evaluate(() => (window as any).zerograd.state.probabilities);
  assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  const shown = (await page.locator('#bars .pct').allTextContents()).map((s) => parseFloat(s));
  assert.equal(shown.length, 10);
  assert.ok(Math.abs(shown.reduce((a, b) => a + b, 0) - 100) <= 0.6, `bars sum to ${shown.reduce((a, b) => a + b, 0)}%`);
  for (const view of EXPLAINER_VIEWS) assert.equal(await page.locator(`[data-view=${view}]`).count(), 1, `view '${view}' missing from the page`);
  const pagePrediction = Number(await page.textContent('#prediction'));
  assert.equal(await page.locator('#bars .bar.top').getAttribute('data-class'), String(pagePrediction));
  // The same pixels through the CLI.
  const png = await page.evaluate(() => (document.querySelector('#pad') as HTMLCanvasElement).toDataURL('image/png'));
  const file = join(dir, 'drawn.png');
  writeFileSync(file, Buffer.from(png.split(',')[1], 'base64'));
  const r = await cli(['predict', '--model', join(dir, 'small.zg'), '--json', file]);
  assert.equal(r.code, 0, r.stderr);
  const cliResult = JSON.parse(r.stdout.trim().split('\n').pop()!)[0];
  assert.equal(cliResult.prediction, pagePrediction);
  assert.ok(Math.abs(cliResult.top[0].probability - probs[pagePrediction]) < 1e-4);
  for (const v of ['network', 'input', 'probabilities']) await shoot(page, v);
  assert.deepEqual(errors, []);
  await page.close();
});

test('feature maps, kernels and the arithmetic of a cell', async () => {
  const { page, errors } = await open();
  await drawSeven(page);
  // conv, ReLU and pooling each show one map per kernel; the conv layer shows its kernels.
  assert.equal(await page.locator('[data-view=feature-maps] canvas.map').count(), 3 * KERNELS);
  assert.equal(await page.locator('[data-view=feature-maps] [data-type=Conv2d] canvas.map').count(), KERNELS);
  assert.equal(await page.locator('[data-view=kernels] canvas.kernel').count(), KERNELS);
  assert.equal(await page.locator('[data-view=feature-maps] canvas.strip').count(), 3); // flatten, dense, ReLU
  const rows = await page.locator('#architecture tr[data-layer]').count();
  assert.equal(rows, 7);
  // Click the middle of a convolution map: the page shows patch × kernel + bias = the map's value.
  await page.locator('[data-type=Conv2d] canvas.map').nth(2).click();
  const eq = page.locator('#detail .equation');
  const sum = Number(await eq.getAttribute('data-sum'));
  const value = Number(await eq.getAttribute('data-value'));
  assert.ok(Math.abs(sum - value) < 1e-4, `${sum} vs ${value}`);
  await page.locator('[data-type=MaxPool2d] canvas.map').nth(1).click();
  const pooled = page.locator('#detail .equation');
  assert.ok(Math.abs(Number(await pooled.getAttribute('data-sum')) - Number(await pooled.getAttribute('data-value'))) < 1e-6);
  for (const v of ['feature-maps', 'kernels', 'detail']) await shoot(page, v);
  assert.deepEqual(errors, []);
  await page.close();
});

test('training in the page: the loss falls and the model can be used', async () => {
  const { page, errors } = await open();
  await page.fill('#t-kernels', '4');
  await page.fill('#t-hidden', '32');
  await page.fill('#t-limit', '2000');
  await page.fill('#t-batch', '50');
  await page.fill('#t-epochs', '1');
  await page.click('#train');
  await page.waitForSelector('#epochs li', { timeout: 120000 });
  const loss: Array<[number, number]> = await page.evaluate(() => (window as any).zerograd.state.loss);
  assert.ok(loss.length >= 2, `only ${loss.length} loss points`);
  assert.ok(loss[loss.length - 1][1] < loss[0][1], `loss went from ${loss[0][1]} to ${loss[loss.length - 1][1]}`);
  const acc = Number(await page.locator('#epochs li').first().getAttribute('data-test-accuracy'));
  assert.ok(acc > 0.5, `test accuracy ${acc}`);
  assert.equal(await page.locator('#train-kernels canvas.kernel').count(), 4);
  await page.waitForFunction(() => (window as any).zerograd.state.trainedModel !== null);
  await page.click('#use-trained');
  assert.match(await page.textContent('#model-label') ?? '', /trained in this page/);
  assert.equal(await page.locator('[data-view=kernels] canvas.kernel').count(), 4);
  await shoot(page, 'training');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a bad upload shows an error and the page keeps working', async () => {
  const { page, errors } = await open();
  await page.setInputFiles('#model-file', { name: 'broken.zg', mimeType: 'application/octet-stream', buffer: Buffer.from('this is not a model') });
  await page.waitForSelector('#message.error');
  assert.match(await page.textContent('#message') ?? '', /broken.zg: .*not a zerograd model file/);
  // Over the server's --max-upload: the page shows the server's 413 message, not "Failed to fetch".
  await page.setInputFiles('#model-file', { name: 'huge.zg', mimeType: 'application/octet-stream', buffer: Buffer.alloc(MAX_UPLOAD + 1) });
  await page.waitForFunction(() => /huge.zg/.test(document.querySelector('#message')!.textContent ?? ''));
  assert.match(await page.textContent('#message') ?? '', /huge.zg: upload too large: 1048577 bytes, expected at most 1048576 bytes/);
  await page.setInputFiles('#image-file', { name: 'noise.png', mimeType: 'image/png', buffer: Buffer.from('not a png at all') });
  await page.waitForFunction(() => /noise.png/.test(document.querySelector('#message')!.textContent ?? ''));
  assert.match(await page.textContent('#message') ?? '', /noise.png: not an image this browser can decode/);
  // Still working: a test digit goes through the network.
  await page.locator('#samples canvas').first().click();
  const probs: number[] = await page.evaluate(() => (window as any).zerograd.state.probabilities);
  assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  await page.screenshot({ path: join(ARTIFACTS, 'explainer-bad-upload.png') });
  assert.deepEqual(errors, []);
  await page.close();
});

test('server: no path traversal, clear errors for bad uploads, still serving afterwards', async () => {
  const get = (p: string) => fetch(url + p.replace(/^\//, ''));
  for (const p of ['/../package.json', '/%2e%2e/%2e%2e/package.json', '/data/..%2f..%2fpackage.json', '/..%5c..%5cpackage.json']) {
    const r = await get(p);
    assert.ok(r.status === 403 || r.status === 404, `${p}: ${r.status}`);
    assert.doesNotMatch(await r.text(), /"name": "zerograd"/);
  }
  // The page's own upload: its Origin and the token the server wrote into it.
  const token = /name="zerograd-token" content="([^"]+)"/.exec(await (await get('/')).text())?.[1] ?? '';
  const headers = { Origin: url.slice(0, -1), 'X-Zerograd-Token': token };
  const bad = await fetch(url + 'api/model', { method: 'POST', body: 'garbage', headers });
  assert.equal(bad.status, 400);
  assert.equal((await fetch(url + 'api/model', { method: 'POST', body: 'garbage' })).status, 403);
  assert.match(((await bad.json()) as { error: string }).error, /not a zerograd model file/);
  assert.equal((await fetch(url + 'api/model', { method: 'DELETE' })).status, 405);
  assert.equal((await get('/data/nope')).status, 404);
  const data = await get('/data/t10k-labels-idx1-ubyte');
  assert.equal(data.headers.get('content-type'), 'application/octet-stream');
  assert.equal((await data.arrayBuffer()).byteLength, 8 + 10000);
  const page = await get('/');
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('cross-origin-opener-policy'), 'same-origin');
  const model = await get('/api/model');
  assert.equal(model.status, 200);
});

test('serve: a damaged --model file is refused at start with its name', async () => {
  const badFile = join(dir, 'bad.zg');
  writeFileSync(badFile, 'nope');
  const r = await cli(['serve', '--model', badFile, '--port', '0']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad.zg: not a zerograd model file/);
});
