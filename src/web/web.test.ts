// The explainer end to end in a real browser (Debian's Chromium driven by playwright-core), with
// the committed default CNN (src/testing/fixtures/default-cnn.zg: 32 kernels, 99.2%), and the
// server's handling of bad requests. One browser for the file; screenshots go to artifacts/.
// The training panel has its own file (training-panel.test.ts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import type { BrowserContext, Page } from 'playwright-core';
import { EXPLAINER_VIEWS } from './views.js';
import { tempDir } from '../testing/helpers.js';
import { BIN, ROOT, launchChromium, startServer } from '../testing/explainer.js';
import { loadMnistSplit } from '../data/mnist.js';
import { photoFixtures } from '../data/photo-fixtures.js';

const ARTIFACTS = join(ROOT, 'artifacts');
const MODEL = join(ROOT, 'src/testing/fixtures/default-cnn.zg');
const KERNELS = 32;
const dir = tempDir('web');
const MAX_UPLOAD = 1024 * 1024;

let server: ChildProcess;
let url = '';
let browser: BrowserContext;
let page: Page;
const errors: string[] = [];

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => execFile(process.execPath, [BIN, ...args], { maxBuffer: 1 << 24 }, (err, stdout, stderr) =>
    resolve({ code: err ? 1 : 0, stdout, stderr })));
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  ({ server, url } = await startServer(['--model', MODEL, '--max-upload', '1MB']));
  browser = await launchChromium();
  page = await browser.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
});

after(async () => {
  await browser?.close();
  server?.kill();
});

/** (Re)load the page at a screen size. */
async function open(width: number, height: number): Promise<void> {
  await page.setViewportSize({ width, height });
  await page.goto(url);
  await page.waitForSelector('body[data-ready=true]', { timeout: 60000 });
}

/**
 * Draw a "7" on the pad (mouse): a stroke across the top and one down to the bottom left. Few
 * steps: the pen joins them with straight lines, and each frame reframes the whole pad.
 */
async function drawSeven(): Promise<void> {
  const b = (await page.locator('#pad').boundingBox())!;
  await page.mouse.move(b.x + 0.25 * b.width, b.y + 0.2 * b.height);
  await page.mouse.down();
  await page.mouse.move(b.x + 0.75 * b.width, b.y + 0.2 * b.height, { steps: 3 });
  await page.mouse.move(b.x + 0.43 * b.width, b.y + 0.86 * b.height, { steps: 4 });
  await page.mouse.up();
  await page.waitForFunction(() => (window as any).zerograd.state.probabilities.length === 10);
}

/** Where an element is, or null when it is not shown at all. */
const box = async (sel: string) => page.locator(sel).first().boundingBox();
const inside = (b: { x: number; y: number; width: number; height: number } | null, w: number, h: number) =>
  b !== null && b.x >= 0 && b.y >= 0 && b.x + b.width <= w + 0.5 && b.y + b.height <= h + 0.5;
const pageWidth = () => page.evaluate(() => document.documentElement.scrollWidth);

for (const [w, h] of [[1440, 900], [1280, 720]]) {
  test(`${w}×${h}: the pad, every stage of the default CNN and the probabilities are in the first screen, and drawing moves them together`, async () => {
    await open(w, h);
    assert.ok(await pageWidth() <= w, `the page is ${await pageWidth()} px wide in a ${w} px window`);
    await drawSeven();
    assert.equal(await page.textContent('#prediction'), '7');
    const stages = await page.locator('#pipeline .stage').count();
    assert.equal(stages, 9, 'input, conv, ReLU, pool, flatten, dropout, dense, ReLU, logits');
    for (const sel of ['#pad', '#bars', '#softmax-formula']) assert.ok(inside(await box(sel), w, h), `${sel} is outside the first ${w}×${h} screen: ${JSON.stringify(await box(sel))}`);
    for (let i = 0; i < stages; i++) {
      const b = await page.locator('#pipeline .stage').nth(i).boundingBox();
      assert.ok(inside(b, w, h), `stage ${i} is outside the first ${w}×${h} screen: ${JSON.stringify(b)}`);
    }
    // Every map numbered, kernel i beside map i (same row, just left of it).
    const cells = page.locator('[data-type=Conv2d] .cell');
    assert.equal(await cells.count(), KERNELS);
    const k5 = (await cells.nth(5).locator('canvas.kernel-mini').boundingBox())!, m5 = (await cells.nth(5).locator('canvas.map').boundingBox())!;
    assert.equal(await cells.nth(5).locator('.idx').textContent(), '5');
    assert.ok(Math.abs(k5.y + k5.height / 2 - (m5.y + m5.height / 2)) < 2 && k5.x < m5.x && m5.x - (k5.x + k5.width) < 12, 'kernel 5 is not beside map 5');
    // Every stage has a colour legend with its range, and what zero looks like.
    assert.equal(await page.locator('#pipeline .stage .legend').count(), stages);
    const conv = page.locator('[data-type=Conv2d] .legend');
    assert.equal(Number(await conv.getAttribute('data-lo')), -Number(await conv.getAttribute('data-hi')));
    assert.match(await conv.textContent() ?? '', /0 = white/);
    // The logits, and the softmax formula with the actual numbers: p = e^z7 / Σ e^z.
    const z = (await page.locator('table.logits .num').allTextContents()).map((s) => Number(s.replace('−', '-')));
    assert.equal(z.length, 10);
    const probs: number[] = await page.evaluate(() => (window as any).zerograd.state.probabilities);
    const expZ = z.map(Math.exp);
    assert.ok(Math.abs(expZ[7] / expZ.reduce((a, b) => a + b, 0) - probs[7]) < 0.02, 'the logits shown do not give the probability shown');
    assert.ok(Math.abs(Number(await page.locator('#softmax-formula').getAttribute('data-p')) - probs[7]) < 1e-6);
    await page.screenshot({ path: join(ARTIFACTS, `explainer-${w}x${h}.png`) });
  });
}

test('390×844 (a phone): the pad and the probabilities together in the first screen, nothing wider than the screen, touch draws', async () => {
  await open(390, 844);
  assert.ok(inside(await box('#pad'), 390, 844) && inside(await box('#bars'), 390, 844), `pad ${JSON.stringify(await box('#pad'))}, bars ${JSON.stringify(await box('#bars'))}`);
  // A finger's stroke (touch events through the DevTools protocol) draws and does not scroll the page.
  const cdp = await browser.newCDPSession(page);
  await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 1 });
  const b = (await box('#pad'))!;
  const at = (u: number, v: number) => [{ x: b.x + u * b.width, y: b.y + v * b.height }];
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: at(0.5, 0.15) });
  for (let k = 1; k <= 4; k++) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: at(0.5, 0.15 + 0.18 * k) });
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await page.waitForFunction(() => (window as any).zerograd.state.probabilities.length === 10);
  assert.equal(await page.evaluate(() => window.scrollY), 0, 'the stroke scrolled the page');
  assert.equal(await page.textContent('#prediction'), '1');
  await cdp.detach();
  assert.ok(await pageWidth() <= 390, `the page is ${await pageWidth()} px wide on a 390 px screen`);
  await page.screenshot({ path: join(ARTIFACTS, 'explainer-390x844.png'), fullPage: true });
});

test('clicking a cell marks it, outlines its receptive field, and its products sum to its value; pooling shows the winner', async () => {
  await open(1440, 900);
  await drawSeven();
  const map = page.locator('[data-type=Conv2d] canvas.map').nth(3);
  const mb = (await map.boundingBox())!;
  // The cell at row 9, column 12 of the 24×24 map.
  await map.click({ position: { x: ((12 + 0.5) / 24) * mb.width, y: ((9 + 0.5) / 24) * mb.height } });
  const cellMark = page.locator('[data-type=Conv2d] .cell').nth(3).locator('.mark.cell');
  assert.equal(await cellMark.count(), 1);
  assert.equal(await cellMark.getAttribute('data-rows'), '9-9');
  assert.equal(await cellMark.getAttribute('data-cols'), '12-12');
  // Its receptive field: the 5×5 window of the input at the same place (no padding).
  const field = page.locator('[data-stage=input] .mark.field');
  assert.equal(await field.count(), 1);
  assert.equal(await field.getAttribute('data-rows'), '9-13');
  assert.equal(await field.getAttribute('data-cols'), '12-16');
  const eq = page.locator('#detail .equation');
  const products = (await page.locator('#detail table.products td').evaluateAll((tds) => tds.map((t) => Number((t as HTMLElement).dataset.v))));
  assert.equal(products.length, 25);
  const sum = products.reduce((a, b) => a + b, 0) + Number(await eq.getAttribute('data-bias'));
  assert.ok(Math.abs(sum - Number(await eq.getAttribute('data-value'))) < 1e-4, `products + bias = ${sum}, the map shows ${await eq.getAttribute('data-value')}`);
  // Hovering a map says the value under the pointer.
  await map.hover({ position: { x: 5, y: 5 } });
  assert.match(await page.textContent('#hover') ?? '', /layer 0, map 3 \(\d+, \d+\) = −?\d\.\d{4}/);
  // Max pooling: the window on the ReLU map, and the winner marked.
  await page.locator('[data-type=MaxPool2d] canvas.map').nth(1).click({ position: { x: mb.width / 2, y: mb.height / 2 } });
  const pooled = page.locator('#detail .equation');
  assert.ok(Math.abs(Number(await pooled.getAttribute('data-sum')) - Number(await pooled.getAttribute('data-value'))) < 1e-6);
  assert.equal(await page.locator('[data-type=ReLU] .mark.field').count(), 1);
  assert.equal(await page.locator('[data-type=ReLU] .mark.winner').count(), 1);
  assert.equal(await page.locator('#detail td.winner').count(), 1);
  await page.locator('[data-type=Conv2d] canvas.map').nth(3).click({ position: { x: mb.width / 2, y: mb.height / 2 } });
  for (const v of ['feature-maps', 'probabilities', 'detail', 'kernels', 'input', 'network']) {
    await page.locator(`[data-view=${v}]`).screenshot({ path: join(ARTIFACTS, `explainer-${v}.png`) });
  }
});

test('drawing: the prediction matches the CLI for the same pixels; a blank pad predicts nothing; test digits show their labels', async () => {
  await open(1440, 900);
  assert.match(await page.textContent('#prediction') ?? '', /none/);
  assert.deepEqual(await page.evaluate(() => (window as any).zerograd.state.probabilities), []);
  assert.equal(await page.locator('#bars .bar.top').count(), 0);
  await drawSeven();
  for (const view of EXPLAINER_VIEWS) assert.equal(await page.locator(`[data-view=${view}]`).count(), 1, `view '${view}' missing from the page`);
  const probs: number[] = await page.evaluate(() => (window as any).zerograd.state.probabilities);
  const shown = (await page.locator('#bars .pct').allTextContents()).map((s) => parseFloat(s));
  assert.ok(Math.abs(shown.reduce((a, b) => a + b, 0) - 100) <= 0.6, `bars sum to ${shown.reduce((a, b) => a + b, 0)}%`);
  const pagePrediction = Number(await page.textContent('#prediction'));
  const png = await page.evaluate(() => (document.querySelector('#pad') as HTMLCanvasElement).toDataURL('image/png'));
  const file = join(dir, 'drawn.png');
  writeFileSync(file, Buffer.from(png.split(',')[1], 'base64'));
  const r = await cli(['predict', '--model', MODEL, '--json', file]);
  assert.equal(r.code, 0, r.stderr);
  const cliResult = JSON.parse(r.stdout.trim().split('\n').pop()!)[0];
  assert.equal(cliResult.prediction, pagePrediction);
  assert.ok(Math.abs(cliResult.top[0].probability - probs[pagePrediction]) < 1e-4);
  await page.click('#clear');
  assert.match(await page.textContent('#prediction') ?? '', /none/);
  // Test digits: the true label under each; a clicked one says whether the prediction is right.
  const labels = await page.locator('#samples figcaption').allTextContents();
  assert.equal(labels.length, 16);
  assert.deepEqual(labels.slice(0, 4).map((s) => s.trim()[0]), ['7', '2', '1', '0']);
  const wrong = await page.locator('#samples .sample-cell').evaluateAll((cs) => cs.map((c) => [(c as HTMLElement).dataset.label, (c as HTMLElement).dataset.prediction, c.classList.contains('wrong')]));
  for (const [label, prediction, marked] of wrong) assert.equal(marked, label !== prediction);
  await page.locator('#samples .sample-cell').nth(2).click();
  assert.match(await page.textContent('#truth') ?? '', /true label 1/);
});

test('a photo of a dark digit on shaded, lined paper is shown on the pad and predicted as `zerograd predict` does, correctly', async () => {
  await open(1440, 900);
  // Generated (src/data/photo-fixtures.ts): MNIST test digits on ruled paper and half in a shadow.
  const fixtures = photoFixtures(loadMnistSplit('test'), 13, 2, 0).filter((f) => f.kind === 'lined' || f.kind === 'shadow');
  for (const f of fixtures) {
    const png = new PNG({ width: f.width, height: f.height });
    for (let i = 0; i < f.gray.length; i++) png.data.set([f.gray[i], f.gray[i], f.gray[i], 255], 4 * i);
    const file = join(dir, `photo-${f.kind}-${f.index}.png`);
    writeFileSync(file, PNG.sync.write(png));
    await page.setInputFiles('#image-file', file);
    await page.waitForFunction((name) => (document.querySelector('#message')!.textContent ?? '').includes(name), `photo-${f.kind}-${f.index}.png`);
    assert.match(await page.textContent('#message') ?? '', /dark ink on light paper, framed like an MNIST digit/);
    const r = await cli(['predict', '--model', MODEL, '--json', file]);
    const cliPrediction = JSON.parse(r.stdout.trim().split('\n').pop()!)[0].prediction;
    const shown = Number(await page.textContent('#prediction'));
    assert.equal(shown, cliPrediction, `${f.kind} photo of a ${f.label}: the page says ${shown}, the CLI ${cliPrediction}`);
    assert.equal(shown, f.label, `${f.kind} photo of a ${f.label} predicted as ${shown}`);
    // The pad shows the photo itself (light paper), not a black square.
    const mean = await page.evaluate(() => {
      const c = document.querySelector('#pad') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let s = 0;
      for (let i = 0; i < d.length; i += 4) s += d[i];
      return s / (d.length / 4);
    });
    assert.ok(mean > 100, `the pad's mean brightness is ${mean}: the photo is not shown`);
    await page.locator('[data-view=input]').screenshot({ path: join(ARTIFACTS, `explainer-photo-${f.kind}.png`) });
  }
  assert.equal(fixtures.length, 4);
});

test('an MLP shows its first-layer weights as 28×28 images and calls its inputs pixels', async () => {
  const file = join(dir, 'mlp.zg');
  const t = await cli(['train', '--model', 'mlp', '--hidden', '16', '--limit', '500', '--epochs', '1', '--out', file]);
  assert.equal(t.code, 0, t.stderr);
  await open(1280, 720);
  await page.setInputFiles('#model-file', file);
  await page.waitForFunction(() => /loaded mlp.zg/.test(document.querySelector('#message')!.textContent ?? ''));
  assert.equal(await page.locator('[data-view=kernels] canvas[data-neuron]').count(), 16);
  assert.deepEqual(await page.locator('[data-view=kernels] canvas[data-neuron]').first().evaluate((c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height]), [28, 28]);
  assert.match(await page.textContent('[data-type=Flatten] h3') ?? '', /784 input pixels/);
  assert.equal(await page.locator('#pipeline .stage .legend').count(), await page.locator('#pipeline .stage').count());
  await page.locator('[data-view=kernels]').screenshot({ path: join(ARTIFACTS, 'explainer-mlp-weights.png') });
  assert.ok(await pageWidth() <= 1280);
});

test('a bad upload shows an error and the page keeps working', async () => {
  await open(1280, 720);
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
  await page.locator('#samples canvas').first().click();
  const probs: number[] = await page.evaluate(() => (window as any).zerograd.state.probabilities);
  assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  await page.screenshot({ path: join(ARTIFACTS, 'explainer-bad-upload.png') });
  assert.deepEqual(errors, []);
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
  const index = await get('/');
  assert.equal(index.status, 200);
  assert.equal(index.headers.get('cross-origin-opener-policy'), 'same-origin');
  assert.equal((await get('/api/model')).status, 200);
});

test('serve: a damaged --model file is refused at start with its name', async () => {
  const badFile = join(dir, 'bad.zg');
  writeFileSync(badFile, 'nope');
  const r = await cli(['serve', '--model', badFile, '--port', '0']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad.zg: not a zerograd model file/);
});
