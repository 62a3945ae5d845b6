// Measures the explainer's in-page training: the default CNN for one epoch of MNIST in headless
// Chromium, its test accuracy, images per second, and how responsive the page stayed (the longest
// gap between animation frames). Run: node dist/bench/explainer.js  (needs /usr/bin/chromium)
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const BIN = fileURLToPath(new URL('../../bin/zerograd.js', import.meta.url));
const server = spawn(process.execPath, [BIN, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((resolve) => {
  let out = '';
  server.stdout!.on('data', (d: Buffer) => { out += d; const m = out.match(/(http:\/\/127\.0\.0\.1:\d+\/)/); if (m) resolve(m[1]); });
});
process.on('exit', () => server.kill());
const ctx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'zg-chromium-')), {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const page = await ctx.newPage();
await page.goto(url);
await page.waitForSelector('body[data-ready=true]');
const epochs = Number(process.argv[2] ?? 1);
await page.fill('#t-epochs', String(epochs));
const start = Date.now();
await page.click('#train');
await page.waitForFunction((n) => document.querySelectorAll('#epochs li').length >= n, epochs, { timeout: 30 * 60 * 1000, polling: 1000 });
const seconds = (Date.now() - start) / 1000;
const result = await page.evaluate(() => {
  const s = (window as any).zerograd.state;
  return { epochs: [...document.querySelectorAll('#epochs li')].map((li) => li.textContent), maxFrameGapMs: s.maxFrameGap,
    speed: document.querySelector('#train-speed')!.textContent, status: document.querySelector('#train-status')!.textContent };
});
console.log(JSON.stringify({ ...result, wallSeconds: seconds, crossOriginIsolated: await page.evaluate(() => crossOriginIsolated) }, null, 2));
await ctx.close();
server.kill();
