// Measures the explainer's in-page training: the default CNN of the page's form for one epoch of
// MNIST in headless Chromium — images per second (the worker's own count, training steps only)
// and how responsive the page stayed (the longest gap between animation frames).
//
//   node dist/bench/explainer.js                      this page, once
//   node dist/bench/explainer.js --old main --runs 5  the page at git ref `main` (built into a temp
//                                                     folder) and this one, interleaved, 5 runs each
//   options: --epochs N (1), --limit N (60000 training images), --runs N (5 with --old, else 1)
//
// With --old the runs alternate (old, new, new, old, old, new, …) so that a machine getting busier
// or quieter during the measurement weighs on both pages alike; the medians are compared: the
// issue's bar is new ≥ 0.9 × old in images per second and no frame gap above 50 ms.
// Needs /usr/bin/chromium (or CHROMIUM_PATH). Run it on a quiet machine: the numbers are the point.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type BrowserContext } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const { values: o } = parseArgs({
  options: { old: { type: 'string' }, runs: { type: 'string' }, epochs: { type: 'string', default: '1' }, limit: { type: 'string', default: '60000' } },
});
const count = (name: string, v: string | undefined, fallback: number): number => {
  const n = v === undefined ? fallback : Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`bench:explainer: --${name}: expected a positive whole number, got '${v}'`);
  return n;
};
const runs = count('runs', o.runs, o.old ? 5 : 1);
const epochs = count('epochs', o.epochs, 1);
const limit = count('limit', o.limit, 60000);

interface Run { page: 'old' | 'new'; imagesPerSecond: number; maxFrameGapMs: number; wallSeconds: number; testAccuracy: string }

/** The tree at `ref`, built (wasm, tsc, page) in a temp folder that shares this checkout's node_modules. */
function buildOld(ref: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'zg-explainer-old-'));
  console.error(`building the page at ${ref} in ${dir} …`);
  execFileSync('sh', ['-c', `git -C "${ROOT}" archive "${ref}" | tar -x -C "${dir}"`], { stdio: 'inherit' });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  execFileSync(process.execPath, [join(dir, 'scripts/build.mjs')], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  return dir;
}

function serve(root: string): Promise<{ server: ChildProcess; url: string }> {
  const server = spawn(process.execPath, [join(root, 'bin/zerograd.js'), 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (d: Buffer) => { out += d; const m = out.match(/(http:\/\/127\.0\.0\.1:\d+\/)/); if (m) resolve({ server, url: m[1] }); });
    server.on('exit', (code) => reject(new Error(`server in ${root} exited with ${code}: ${out}`)));
  });
}

/** One training run of the page at `url` in a fresh tab. */
async function measure(ctx: BrowserContext, url: string, which: Run['page']): Promise<Run> {
  const page = await ctx.newPage();
  await page.goto(url);
  await page.waitForSelector('body[data-ready=true]', { timeout: 120000 });
  await page.fill('#t-epochs', String(epochs));
  await page.fill('#t-limit', String(limit));
  const start = Date.now();
  await page.click('#train');
  await page.waitForFunction((n) => document.querySelectorAll('#epochs li').length >= n, epochs, { timeout: 60 * 60 * 1000, polling: 500 });
  const wallSeconds = (Date.now() - start) / 1000;
  const r = await page.evaluate(() => ({
    speed: Number(document.querySelector('#train-speed')!.textContent), gap: (window as any).zerograd.state.maxFrameGap as number,
    acc: document.querySelector('#epochs li:last-child')?.getAttribute('data-test-accuracy') ?? '',
  }));
  await page.close();
  return { page: which, imagesPerSecond: r.speed, maxFrameGapMs: Math.round(r.gap), wallSeconds, testAccuracy: r.acc };
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

const servers: ChildProcess[] = [];
let oldDir: string | null = null;
process.on('exit', () => { for (const s of servers) s.kill(); if (oldDir) rmSync(oldDir, { recursive: true, force: true }); });
const pages: Array<{ which: Run['page']; url: string }> = [];
if (o.old) {
  oldDir = buildOld(o.old);
  const old = await serve(oldDir);
  servers.push(old.server);
  pages.push({ which: 'old', url: old.url });
}
const current = await serve(ROOT);
servers.push(current.server);
pages.push({ which: 'new', url: current.url });

const ctx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'zg-chromium-')), {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const results: Run[] = [];
for (let i = 0; i < runs; i++) {
  // ABBA order: each page goes first in half of the rounds.
  const order = i % 2 ? [...pages].reverse() : pages;
  for (const p of order) {
    const r = await measure(ctx, p.url, p.which);
    console.error(JSON.stringify(r));
    results.push(r);
  }
}
await ctx.close();
const summary = (which: Run['page']) => {
  const rs = results.filter((r) => r.page === which);
  return rs.length ? { runs: rs.length, medianImagesPerSecond: median(rs.map((r) => r.imagesPerSecond)), maxFrameGapMs: Math.max(...rs.map((r) => r.maxFrameGapMs)) } : null;
};
const neu = summary('new')!, old = summary('old');
const ratio = old ? neu.medianImagesPerSecond / old.medianImagesPerSecond : null;
console.log(JSON.stringify({
  epochs, limit, old: old && { ref: o.old, ...old }, new: neu, ratio,
  pass: { speed: ratio === null ? null : ratio >= 0.9, frameGap: neu.maxFrameGapMs <= 50 }, runs: results,
}, null, 2));
for (const s of servers) s.kill();
