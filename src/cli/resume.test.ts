// `zerograd train --checkpoint` / `--resume`: a run killed with SIGKILL at any moment — after a step,
// halfway through writing a checkpoint, at seeded random steps, again after resuming — and resumed
// from its last checkpoint ends with exactly the weights of a run never interrupted (same seed,
// same backend and thread count), and every checkpoint left behind is whole and loadable.
// The kills come from the test-only hooks ZEROGRAD_TEST_KILL_AT_STEP and ZEROGRAD_TEST_KILL_IN_CHECKPOINT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMnist, MNIST_FILES } from '../data/mnist.js';
import { encodeIdx } from '../data/idx.js';
import { loadCheckpoint, loadModel } from '../io/node.js';
import { Random } from '../tensor/random.js';
import { tempDir } from '../testing/helpers.js';

const BIN = fileURLToPath(new URL('../../bin/zerograd.js', import.meta.url));
const dir = tempDir('resume');
/** 2,000 training images in batches of 100: 20 steps an epoch, 40 in the run. */
const STEPS = 40;

/**
 * 2,000 training images of MNIST from `first` on, and the first 200 test images, as a data folder
 * (a small test set keeps each epoch's evaluation quick).
 */
function mnistFolder(name: string, first: number): string {
  const d = join(dir, name);
  mkdirSync(d);
  const m = loadMnist();
  const write = (images: string, labels: string, set: typeof m.train, from: number, n: number) => {
    writeFileSync(join(d, images), encodeIdx([n, 28, 28], set.images.subarray(from * 784, (from + n) * 784)));
    writeFileSync(join(d, labels), encodeIdx([n], Uint8Array.from(set.labels.subarray(from, from + n))));
  };
  write(MNIST_FILES.trainImages, MNIST_FILES.trainLabels, m.train, first, 2000);
  write(MNIST_FILES.testImages, MNIST_FILES.testLabels, m.test, 0, 200);
  return d;
}
const dataDir = mnistFolder('data', 0);

/**
 * A small MLP with dropout (so the dropout generator matters), on the wasm backend with one thread:
 * the same kernels and the same split of work in every process, so equal inputs give equal bits.
 */
const RUN = ['train', '--model', 'mlp', '--hidden', '32', '--dropout', '0.3', '--epochs', '2', '--batch-size', '100',
  '--seed', '7', '--data-dir', dataDir, '--backend', 'wasm', '--threads', '1', '--no-progress'];

interface Result { code: number | null; signal: string | null; stdout: string; stderr: string }

function zerograd(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { maxBuffer: 1 << 24, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number; signal?: string }) | null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr });
    });
  });
}

async function killed(args: string[], env: Record<string, string>): Promise<void> {
  const r = await zerograd(args, env);
  assert.equal(r.signal, 'SIGKILL', `expected the hook ${JSON.stringify(env)} to kill the run; it ended with ${r.code}: ${r.stderr}`);
}

async function finished(args: string[], env: Record<string, string> = {}): Promise<Result> {
  const r = await zerograd(args, env);
  assert.equal(r.code, 0, `zerograd ${args.join(' ')} failed (${r.signal ?? r.code}): ${r.stderr}`);
  return r;
}

/** The checkpoint decodes whole (magic, version, checksum, lengths, model) and is at optimizer step `step`. */
function assertCheckpointAt(path: string, step: number): void {
  const c = loadCheckpoint(path);
  assert.equal((c.state.config as { step: number }).step, step, `${path}: the checkpoint's step`);
}

/** Equal weights, bit for bit: every parameter's float32 bits, compared as integers. */
function assertSameWeights(actualFile: string, expectedFile: string): void {
  const a = loadModel(actualFile).model.namedParameters();
  const e = loadModel(expectedFile).model.namedParameters();
  assert.deepEqual(a.map(([n]) => n), e.map(([n]) => n));
  for (let i = 0; i < a.length; i++) {
    const x = new Uint32Array(Float32Array.from(a[i][1].data).buffer);
    const y = new Uint32Array(Float32Array.from(e[i][1].data).buffer);
    const at = x.findIndex((v, j) => v !== y[j]);
    assert.equal(at, -1, `${a[i][0]}[${at}]: ${a[i][1].data[at]} after kill and resume, ${e[i][1].data[at]} uninterrupted`);
  }
}

const uninterrupted: Record<string, string> = {};
/** The model an uninterrupted run with these extra flags ends with (trained once per flag set). */
async function reference(extra: string[]): Promise<string> {
  const key = extra.join(' ');
  if (!uninterrupted[key]) {
    const out = join(dir, `full-${Object.keys(uninterrupted).length}.zg`);
    await finished([...RUN, ...extra, '--out', out]);
    uninterrupted[key] = out;
  }
  return uninterrupted[key];
}

test('Adam, checkpoint every 7 steps: killed after step 25, resumed from step 21, ends bit for bit as uninterrupted', async () => {
  const full = await reference([]);
  const ckpt = join(dir, 'a.ckpt');
  const out = join(dir, 'a.zg');
  await killed([...RUN, '--out', out, '--checkpoint', ckpt, '--checkpoint-every', '7'], { ZEROGRAD_TEST_KILL_AT_STEP: '25' });
  assertCheckpointAt(ckpt, 21); // mid-epoch 2: the shuffle of epoch 2 must be replayed
  const r = await finished(['train', '--resume', ckpt]);
  assert.match(r.stdout, /resuming from .*a\.ckpt: epoch 2, batch 1, step 21/);
  assertSameWeights(out, full);
});

test('a kill halfway through writing a checkpoint leaves the previous one whole; kills after resuming too', async () => {
  const full = await reference([]);
  const ckpt = join(dir, 'b.ckpt');
  const out = join(dir, 'b.zg');
  // The third checkpoint (step 15) is cut off halfway: the one of step 10 must still load.
  await killed([...RUN, '--out', out, '--checkpoint', ckpt, '--checkpoint-every', '5'], { ZEROGRAD_TEST_KILL_IN_CHECKPOINT: '3' });
  assertCheckpointAt(ckpt, 10);
  assert.ok(readdirSync(dir).some((f) => f.startsWith('.b.ckpt.') && f.endsWith('.tmp')), 'the half-written temporary file is left');
  // Resumed, it is killed again while writing its second checkpoint (step 20, the end of epoch 1)…
  await killed(['train', '--resume', ckpt], { ZEROGRAD_TEST_KILL_IN_CHECKPOINT: '2' });
  assertCheckpointAt(ckpt, 15);
  // …and once more after a step, then it runs to the end.
  await killed(['train', '--resume', ckpt], { ZEROGRAD_TEST_KILL_AT_STEP: '33' });
  assertCheckpointAt(ckpt, 30);
  await finished(['train', '--resume', ckpt]);
  assertSameWeights(out, full);
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.b.ckpt.')), [], 'temporary files of killed runs are cleaned up');
});

test('killed at seeded random steps, again and again, each time resumed: the same final weights', async () => {
  const full = await reference([]);
  const rng = new Random(2024);
  const ckpt = join(dir, 'c.ckpt');
  const out = join(dir, 'c.zg');
  // Three kill steps, increasing, each after the checkpoint before it (every 3 steps).
  const kills: number[] = [];
  for (let s = 0; kills.length < 3;) {
    s += 4 + rng.int(9);
    kills.push(s);
  }
  assert.ok(kills[2] < STEPS, `kill steps ${kills} within the run`);
  await killed([...RUN, '--out', out, '--checkpoint', ckpt, '--checkpoint-every', '3'], { ZEROGRAD_TEST_KILL_AT_STEP: String(kills[0]) });
  for (const k of kills.slice(1)) await killed(['train', '--resume', ckpt], { ZEROGRAD_TEST_KILL_AT_STEP: String(k) });
  assertCheckpointAt(ckpt, kills[2] - (kills[2] % 3));
  await finished(['train', '--resume', ckpt]);
  assertSameWeights(out, full);
});

test('SGD with momentum, a checkpoint at each epoch\'s end: killed in epoch 2, resumed from the end of epoch 1', async () => {
  const sgd = ['--optimizer', 'momentum', '--schedule', 'step'];
  const full = await reference(sgd);
  const ckpt = join(dir, 'd.ckpt');
  const out = join(dir, 'd.zg');
  await killed([...RUN, ...sgd, '--out', out, '--checkpoint', ckpt], { ZEROGRAD_TEST_KILL_AT_STEP: '31' });
  assertCheckpointAt(ckpt, 20);
  const saved = loadCheckpoint(ckpt);
  assert.ok(Object.keys(saved.tensors).includes('optimizer.velocity.0'), `momentum buffers saved: ${Object.keys(saved.tensors)}`);
  await finished(['train', '--resume', ckpt]);
  assertSameWeights(out, full);
  // The checkpoint of the finished run (its last epoch's end) resumes to the same model at once.
  const again = join(dir, 'd-again.zg');
  await finished(['train', '--resume', ckpt, '--out', again]);
  assertSameWeights(again, full);
});

test('--resume refuses a run defined otherwise, other data, a model file; --checkpoint-every needs --checkpoint', async () => {
  const ckpt = join(dir, 'e.ckpt');
  await killed([...RUN, '--out', join(dir, 'e.zg'), '--checkpoint', ckpt, '--checkpoint-every', '4'], { ZEROGRAD_TEST_KILL_AT_STEP: '5' });
  const lr = await zerograd(['train', '--resume', ckpt, '--lr', '0.01']);
  assert.equal(lr.code, 1);
  assert.match(lr.stderr, /--resume .*e\.ckpt: the checkpoint is of a run with --lr 0\.001, but this command says --lr 0\.01; a checkpoint continues the run it was saved from \(drop --lr, or start a new run without --resume\)/);
  const data = await zerograd(['train', '--resume', ckpt, '--data-dir', mnistFolder('other-data', 2000)]);
  assert.match(data.stderr, /--resume .*: the checkpoint's run trained on 2000 images \(CRC-32 \d+\), but this command's training set is 2000 images \(CRC-32 \d+\); use the same --data-dir and --limit/);
  const other = await zerograd(['train', '--resume', ckpt, '--limit', '2000']);
  assert.match(other.stderr, /--resume .*: the checkpoint is of a run with --limit \(not given\), but this command says --limit 2000/);
  const model = await zerograd(['train', '--resume', uninterrupted[''] ?? await reference([])]);
  assert.match(model.stderr, /--resume .*\.zg: not a zerograd checkpoint \(expected it to start with "ZGCK"; this is a model file, which holds no training state\)/);
  const every = await zerograd([...RUN, '--checkpoint-every', '3']);
  assert.match(every.stderr, /--checkpoint-every 3: needs --checkpoint FILE \(where to save\)/);
  assertCheckpointAt(ckpt, 4); // refused runs change nothing
});
