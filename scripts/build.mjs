// Build everything into dist/: the wasm kernels, the TypeScript, the explainer bundle.
//   node scripts/build.mjs             always build
//   node scripts/build.mjs --if-stale  only if a source is newer than the last build (npm test uses
//                                      this, so `npm ci && npm test` builds once, in npm ci's prepare)
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist/.built');
const sources = ['src', 'scripts', 'docs', 'package.json', 'package-lock.json', 'tsconfig.json'];

/** The newest modification time under a path (generated kernels excluded: the build writes them). */
function newest(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let t = 0;
  for (const name of readdirSync(path)) {
    if (name === 'generated') continue;
    t = Math.max(t, newest(join(path, name)));
  }
  return t;
}

if (process.argv.includes('--if-stale') && existsSync(stamp)) {
  const built = statSync(stamp).mtimeMs;
  if (sources.every((p) => !existsSync(join(root, p)) || newest(join(root, p)) <= built)) {
    console.log('build: dist/ is up to date');
    process.exit(0);
  }
}
const node = (...args) => execFileSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
rmSync(join(root, 'dist'), { recursive: true, force: true });
node(join(root, 'scripts/build-wasm.mjs'));
node(join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin/tsc'), '-p', join(root, 'tsconfig.json'));
node(join(root, 'scripts/build-web.mjs'));
writeFileSync(stamp, `${new Date().toISOString()}\n`);
