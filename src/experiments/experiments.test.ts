// Every experiment runs in its quick form, writes a report with plots and a JSON file, and
// linear-collapse shows what it claims.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXPERIMENTS } from './index.js';
import { page } from './report.js';
import { loadMnist } from '../data/mnist.js';
import { useBackend } from '../backends/wasm/node.js';
import { setBackend } from '../backends/index.js';

const BIN = fileURLToPath(new URL('../../bin/zerograd.js', import.meta.url));
after(() => setBackend('reference'));

test('linear-collapse --quick: the non-linear network wins and the weight product reproduces the linear one', async () => {
  const out = mkdtempSync(join(tmpdir(), 'zg-exp-'));
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, [BIN, 'experiment', 'linear-collapse', '--quick', '--out', out, '--json'], (err, so, se) => (err ? reject(new Error(se)) : resolve(so))));
  const r = JSON.parse(stdout.trim().split('\n').pop()!);
  assert.equal(r.numbers.nonlinearWins, true);
  assert.equal(r.numbers.collapse.reproduces, true);
  assert.ok(r.numbers.collapse.maxRelativeError < 1e-5);
  assert.ok(r.numbers.testAccuracy.deepRelu > r.numbers.testAccuracy.deepLinear);
  const html = readFileSync(join(out, 'linear-collapse.html'), 'utf8');
  assert.match(html, /<svg/);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'linear-collapse.json'), 'utf8')).numbers, r.numbers);
});

test('every experiment runs quick, seeded, and reports plots', async () => {
  await useBackend({ backend: 'wasm', threads: 2 });
  const data = loadMnist();
  for (const e of EXPERIMENTS) {
    if (e.name === 'linear-collapse') continue;
    const r = e.run({ quick: true, data, seed: 1 });
    assert.ok(r.summary.length > 0, e.name);
    const html = page(e.title, e.question, r.sections);
    const plots = (html.match(/<svg/g) ?? []).length + (html.match(/<img /g) ?? []).length;
    assert.ok(plots >= 1, `${e.name}: no plots`);
    assert.ok(JSON.stringify(r.numbers).length > 10, `${e.name}: no numbers`);
  }
});

test('experiments repeat: the same seed gives the same numbers', async () => {
  await useBackend({ backend: 'wasm', threads: 2 });
  const data = loadMnist();
  const e = EXPERIMENTS.find((x) => x.name === 'optimizers')!;
  assert.deepEqual(e.run({ quick: true, data, seed: 3 }).numbers, e.run({ quick: true, data, seed: 3 }).numbers);
});
