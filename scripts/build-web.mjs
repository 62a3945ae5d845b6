// Bundle the explainer page (src/web) into dist/explainer with esbuild: the page, its training worker,
// the stylesheet, and the glossary rendered to HTML. Everything is served locally; no CDN.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist/explainer');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: join(root, 'src/web/app.ts'), 'train-worker': join(root, 'src/web/train-worker.ts'), 'wasm-thread': join(root, 'src/web/wasm-thread.ts'),
    'detection-worker': join(root, 'src/web/detection-worker.ts') },
  bundle: true, format: 'esm', target: 'es2022', platform: 'browser', outdir: out, sourcemap: true, minify: false, logLevel: 'warning',
});
for (const f of ['index.html', 'style.css']) copyFileSync(join(root, 'src/web', f), join(out, f));

// The glossary as a page, anchors from the headings ("Pooling (max, average)" -> #pooling-max-average).
const md = readFileSync(join(root, 'docs/glossary.md'), 'utf8');
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const inline = (s) => esc(s).replace(/`([^`]+)`/g, '<code>$1</code>').replace(/\*([^*]+)\*/g, '<em>$1</em>');
const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
const html = md.split(/\n\n+/).map((block) => {
  if (block.startsWith('# ')) return `<h1>${inline(block.slice(2))}</h1>`;
  if (block.startsWith('## ')) {
    const [head, ...rest] = block.split('\n');
    const title = head.slice(3);
    return `<h2 id="${slug(title)}">${inline(title)}</h2>${rest.length ? `<p>${inline(rest.join(' '))}</p>` : ''}`;
  }
  return `<p>${inline(block.replace(/\n/g, ' '))}</p>`;
}).join('\n');
writeFileSync(join(out, 'glossary.html'), `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>zerograd glossary</title><link rel="stylesheet" href="style.css"></head><body>${html}<p><a href="/">back to the explainer</a></p></body></html>`);
console.log('explainer page -> dist/explainer');
