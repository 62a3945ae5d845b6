// `zerograd train` never wastes a run: paths and options are checked before the first step, a run
// that diverges stops with advice that works, Ctrl-C keeps what was trained, and thread counts or
// limits that cannot be honoured are said out loud.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMnist, MNIST_FILES } from '../data/mnist.js';
import { encodeIdx } from '../data/idx.js';
import { loadModel } from '../io/node.js';
import { threadCount } from './main.js';
import { tempDir, twoAtATime } from '../testing/helpers.js';
import { runCli as run } from '../testing/cli.js';

const BIN = fileURLToPath(new URL('../../bin/zerograd.js', import.meta.url));
const dir = tempDir('guard');
/** A small, quick network for every run here. */
const TINY = ['--model', 'mlp', '--hidden', '16', '--epochs', '1'];


/** A folder this process cannot write in: a read-only one, or (as root, who writes anywhere) /proc. */
function unwritableDir(): string {
  const ro = join(dir, 'read-only');
  mkdirSync(ro, { recursive: true });
  chmodSync(ro, 0o555);
  try {
    writeFileSync(join(ro, 'probe'), '');
  } catch {
    return ro;
  }
  return '/proc';
}

/** The first `train` and `test` MNIST images as a data folder of IDX files (test files only when train is 0). */
function smallMnist(name: string, train: number, test: number): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const m = loadMnist();
  const write = (file: string, labels: string, set: typeof m.train, n: number) => {
    writeFileSync(join(d, file), encodeIdx([n, 28, 28], set.images.subarray(0, n * 784)));
    writeFileSync(join(d, labels), encodeIdx([n], Uint8Array.from(set.labels.subarray(0, n))));
  };
  if (train > 0) write(MNIST_FILES.trainImages, MNIST_FILES.trainLabels, m.train, train);
  write(MNIST_FILES.testImages, MNIST_FILES.testLabels, m.test, test);
  return d;
}

test('train checks --out before the first step: a missing folder, a folder, an unwritable folder', async () => {
  const cases: Array<[string, RegExp]> = [
    [join(dir, 'nowhere', 'm.zg'), /--out .*nowhere.m\.zg: the folder .*nowhere does not exist; expected a path in an existing folder/],
    [dir, /--out .*: is a folder; expected a file name/],
    [join(unwritableDir(), 'm.zg'), /--out .*m\.zg: cannot write in .* \(E[A-Z]+\); expected a writable folder/],
  ];
  const results = await twoAtATime(cases, ([out]) => run(['train', ...TINY, '--limit', '100', '--out', out]));
  for (const [i, [out, pattern]] of cases.entries()) {
    const r = results[i];
    assert.equal(r.code, 1, `${out}: exit code ${r.code}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(r.stdout, '', `${out}: it trained before failing:\n${r.stdout}`);
  }
});

test('a diverging run stops with advice, and the advised command trains', async () => {
  // Adam at lr 100: the loss leaps to 10⁶ and stays in the hundreds, finite (no NaN) and useless;
  // plain SGD at 1e30: NaN at once. Each message names a rate; the same command with it must learn.
  const cases: Array<[string[], RegExp]> = [
    [['--optimizer', 'adam', '--lr', '100'], /training diverged: the median loss of the last 20 batches, [\d.e+]+, is more than 10× the first batch's [\d.]+ at epoch 1, batch 20 \(--optimizer adam --lr 100\); try --lr 0\.001 \(the default for adam\)/],
    [['--optimizer', 'sgd', '--lr', '1e30'], /training diverged: the loss became NaN or infinite at epoch 1, batch \d+ \(--optimizer sgd --lr 1e\+30\); try --lr 0\.1 \(the default for sgd\)/],
  ];
  await twoAtATime(cases, async ([flags, pattern]) => {
    const out = join(dir, `diverged-${flags[1]}.zg`);
    const args = ['train', ...TINY, '--limit', '2000', '--batch-size', '20', '--schedule', 'none', '--out', out, ...flags];
    const r = await run(args);
    assert.equal(r.code, 1, `${flags.join(' ')}: exit code ${r.code}`);
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.equal(existsSync(out), false, 'a diverged model is not saved');
    const advised = /try --lr (\S+)/.exec(r.stderr)![1];
    const again = await run([...args.slice(0, -1), advised, '--json']);
    assert.equal(again.code, 0, again.stderr);
    const res = JSON.parse(again.stdout.trim().split('\n').pop()!);
    assert.ok(res.testAccuracy > 0.7, `--lr ${advised}: test accuracy ${res.testAccuracy}`);
    assert.doesNotMatch(again.stderr, /warning/);
  });
});

test('an epoch that ends near chance accuracy warns, and says which way the learning rate should go', async () => {
  // Too small a rate: the loss stays where it started. Too large (SGD at 10): it leaps to hundreds
  // and comes back down to about chance, which the divergence rule lets pass; the warning catches it.
  const cases: Array<[string, RegExp]> = [
    ['1e-6', /the loss went only from [\d.]+ to [\d.]+; train on more images \(--limit\), for more epochs, or with a higher --lr\n$/],
    ['10', /the loss jumped from [\d.]+ to [\d.e+]+, so the learning rate is too high; try --lr 0\.1\n$/],
  ];
  const results = await twoAtATime(cases, ([lr]) =>
    run(['train', ...TINY, '--optimizer', 'sgd', '--lr', lr, '--limit', '2000', '--batch-size', '20', '--out', join(dir, `chance-${lr}.zg`)]));
  for (const [i, [, advice]] of cases.entries()) {
    const r = results[i];
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^zerograd: warning: test accuracy \d+\.\d+% after epoch 1 is near chance \(10\.00% for 10 classes\): /);
    assert.match(r.stderr, advice);
  }
});

test('Ctrl-C while training saves the model trained so far and exits with 130', async () => {
  const out = join(dir, 'interrupted.zg');
  const child = spawn(process.execPath, [BIN, 'train', '--model', 'mlp', '--hidden', '32', '--limit', '10000', '--epochs', '50', '--batch-size', '50', '--out', out]);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (d) => {
    stdout += d;
    // The first progress line: training is under way.
    if (/epoch 1: 25%/.test(stdout) && !child.killed) child.kill('SIGINT');
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.equal(code, 130, `exit code ${code}\n${stdout}\n${stderr}`);
  assert.match(stderr, /interrupted: stopping after this batch to save the model/);
  assert.match(stdout, new RegExp(`interrupted at epoch 1, batch \\d+/200: saved the model trained so far to ${out.replace(/[.\\]/g, '\\$&')}\\n$`));
  const saved = loadModel(out);
  assert.equal(saved.meta.interrupted, true);
  assert.ok((saved.meta.epochs as number) > 0.2 && (saved.meta.epochs as number) < 1, `epochs ${saved.meta.epochs}`);
  assert.deepEqual(saved.inputShape, [1, 28, 28]);
});

test('--threads and ZEROGRAD_THREADS above the number of cores are capped, with a warning', async () => {
  const cores = availableParallelism();
  const many = String(cores * 32);
  for (const [args, env, source] of [[['--threads', many], {}, `--threads ${many}`], [[], { ZEROGRAD_THREADS: many }, `ZEROGRAD_THREADS=${many}`]] as const) {
    const r = await run(['summary', '--arch', 'mlp', '--backend', 'wasm', ...args], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, `zerograd: warning: ${source} is more than the ${cores} core${cores > 1 ? 's' : ''} of this machine; using ${cores} (threads beyond one per core only wait on each other)\n`);
    assert.match(r.stdout, new RegExp(`^backend: wasm \\(${cores} threads?\\)`));
  }
  assert.equal(threadCount(undefined, undefined, 4), undefined, 'no choice: the backend takes all cores');
  assert.equal(threadCount(3, '9', 4), 3, 'the flag wins over the variable');
  assert.equal(threadCount(undefined, '2', 4), 2);
  assert.throws(() => threadCount(undefined, 'two', 4), /ZEROGRAD_THREADS: expected a positive integer, got 'two'/);
});

test('--limit above the number of training images warns and trains on them all', async () => {
  const data = smallMnist('small', 300, 100);
  const r = await run(['train', ...TINY, '--data-dir', data, '--limit', '100000', '--out', join(dir, 'small.zg')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /zerograd: warning: --limit 100000 is more than the 300 training images in .*small; training on all 300\n/);
  assert.match(r.stdout, /, 300 training images,/);
});

test('eval --data-dir needs only the test files', async () => {
  const model = join(dir, 'for-eval.zg');
  assert.equal((await run(['train', ...TINY, '--limit', '200', '--out', model])).code, 0);
  const r = await run(['eval', '--model', model, '--data-dir', smallMnist('test-only', 0, 150), '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).count, 150);
});
