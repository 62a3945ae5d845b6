// The docs stay true: every glossary reference exists, every tutorial snippet runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';

import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { EXPERIMENTS } from '../experiments/index.js';
import { EXPLAINER_VIEWS } from '../web/views.js';
import { tempDir, twoAtATime } from '../testing/helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (p: string) => readFileSync(join(root, p), 'utf8');

test('glossary: every term names code that exists and things to run that exist', () => {
  const md = read('docs/glossary.md');
  const sections = md.split('\n## ').slice(1);
  const required = ['Neural network', 'Feedforward', 'Multi-layer perceptron', '"Vanilla" 3-layer', 'Deep neural network', 'Convolutional neural network',
    'Convolution', 'Kernel', 'Feature map', 'Activation function', 'Non-linearity', 'ReLU', 'Sigmoid', 'Pooling', 'Downsampling', 'Flatten',
    'Fully connected', 'Softmax', 'Probability distribution', 'Learning rate', 'Gradient descent', 'Backpropagation', 'Representation learning', 'Region-based CNN',
    'Region proposal', 'Intersection over union', 'Selective search', 'Warping', 'Hard-negative mining', 'Bounding-box regression',
    'Non-maximum suppression', 'Precision and recall', 'Average precision', 'Batch normalization', 'Residual connection',
    'Global average pooling', 'Stride', 'Padding', 'Data augmentation'];
  for (const term of required) assert.ok(sections.some((s) => s.startsWith(term)), `glossary lacks '${term}'`);
  for (const s of sections) {
    const title = s.split('\n')[0];
    const code = [...s.matchAll(/`(src\/[\w/.-]+\.ts)#(\w+)`/g)];
    assert.ok(code.length > 0, `${title}: no Code: reference`);
    for (const [, file, symbol] of code) {
      assert.ok(existsSync(join(root, file)), `${title}: ${file} does not exist`);
      const src = read(file);
      assert.match(src, new RegExp(`(function|class|const|let)\\s+${symbol}\\b|^\\s+${symbol}\\(`, 'm'), `${title}: ${file} has no ${symbol}`);
    }
    const see = s.split('\n').find((l) => l.startsWith('See:')) ?? '';
    assert.ok(see.length > 0, `${title}: no See: line`);
    for (const [, name] of see.matchAll(/experiments? `([\w-]+)`(?: and `([\w-]+)`)?/g)) {
      assert.ok(EXPERIMENTS.some((e) => e.name === name), `${title}: no experiment '${name}'`);
    }
    for (const [, name] of see.matchAll(/and `([\w-]+)`/g)) assert.ok(EXPERIMENTS.some((e) => e.name === name), `${title}: no experiment '${name}'`);
    for (const [, view] of see.matchAll(/explainer view `([\w-]+)`/g)) {
      assert.ok((EXPLAINER_VIEWS as readonly string[]).includes(view), `${title}: no explainer view '${view}'`);
    }
  }
});

/** Run a snippet with TMPDIR in a folder of its own, so what it saves there is removed with it. */
function run(file: string): Promise<{ code: number; out: string }> {
  const env = { ...process.env, TMPDIR: tempDir('snippet') };
  return new Promise((resolve) => execFile(process.execPath, [file], { timeout: 120000, env }, (err, stdout, stderr) =>
    resolve({ code: err ? 1 : 0, out: stdout + stderr })));
}

test('tutorial and README: every TypeScript snippet compiles and runs', async () => {
  const snippetsOf = (file: string) => [...read(file).matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  const tutorial = snippetsOf('docs/tutorial.md');
  assert.ok(tutorial.length >= 7, `only ${tutorial.length} tutorial snippets`);
  const readme = snippetsOf('README.md');
  assert.ok(readme.length >= 1, 'the README has no runnable snippet');
  const snippets = [...tutorial, ...readme];
  const dir = tempDir('tutorial');
  const core = pathToFileURL(join(root, 'dist/index.js')).href;
  const node = pathToFileURL(join(root, 'dist/node.js')).href;
  const files = snippets.map((src, i) => {
    const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText
      .replace(/from 'zerograd\/node'/g, `from '${node}'`).replace(/from 'zerograd'/g, `from '${core}'`);
    const file = join(dir, `step${i + 1}.mjs`);
    writeFileSync(file, js);
    return file;
  });
  // Each snippet is a process of its own and saves only into its own TMPDIR.
  const results = await twoAtATime(files, run);
  results.forEach((r, i) => assert.equal(r.code, 0, `snippet ${i + 1} (of tutorial, then README) failed:\n${r.out}`));
});
