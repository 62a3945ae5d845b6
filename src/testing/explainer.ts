// What the browser tests share: start `zerograd serve` on a free port, and Debian's Chromium
// headless with the flags that keep it off the network and out of the sandbox it cannot use here.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { tempDir } from './helpers.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'bin/zerograd.js');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** `zerograd serve ARGS --port 0`, resolved with the address it prints. */
export async function startServer(args: string[]): Promise<{ server: ChildProcess; url: string }> {
  const server = spawn(process.execPath, [BIN, 'serve', ...args, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.match(/(http:\/\/127\.0\.0\.1:\d+\/)/);
      if (m) resolve(m[1]);
    });
    server.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
  return { server, url };
}

/** Headless Chromium with a fresh user-data folder (removed at exit). */
export function launchChromium(): Promise<BrowserContext> {
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: install Debian's chromium package (.ci/run does)`);
  return chromium.launchPersistentContext(tempDir('chromium'), {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1200, height: 1000 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
