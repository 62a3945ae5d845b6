// The thread pool's wait strategy: spin briefly then block, but never spin with more threads than cores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { WasmBackend } from './index.js';
import { createNodeWasmBackend } from './node.js';
import { READY, type WorkerInit } from './pool.js';

/** The WorkerInit each worker of a new backend would start with (no thread is started). */
function workerInits(oversubscribed: boolean): WorkerInit[] {
  const inits: WorkerInit[] = [];
  const b = new WasmBackend({ threads: 3, oversubscribed, spawn: (init) => { inits.push(init); return { terminate: () => {} }; } });
  b.close();
  return inits;
}

test('workers spin before they block, unless there are more threads than cores: then they block at once', () => {
  const quiet = workerInits(false), over = workerInits(true);
  assert.deepEqual(quiet.map((i) => i.tid), [1, 2]);
  assert.ok(quiet.every((i) => i.spin > 0), 'spin on a pool with a core per thread');
  assert.deepEqual(over.map((i) => i.spin), [0, 0], 'no spinning when oversubscribed');
});

test('an oversubscribed pool says so, and a one-thread backend never is', () => {
  const spawn = () => ({ terminate: () => {} });
  assert.equal(new WasmBackend({ threads: 3, oversubscribed: true, spawn }).oversubscribed, true);
  assert.equal(new WasmBackend({ threads: 1, oversubscribed: true }).oversubscribed, false);
});

test('a part that no worker has taken is run by the calling thread, with the same numbers', { timeout: 60000 }, async () => {
  // Workers that report for duty and then never run: every part of every job is left to the caller.
  const idle = (init: WorkerInit) => {
    Atomics.add(new Int32Array(init.memory.buffer, init.control, READY + 1), READY, 1);
    return { terminate: () => {} };
  };
  const two = new WasmBackend({ threads: 2, spawn: idle });
  const one = new WasmBackend({ threads: 1 });
  await two.ready();
  const random = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed + i * 12.9898) * 43758.5453 % 1);
  // A dense layer's product (A·Bᵀ, shared out by work stealing) and an SGD update (split by thread index).
  const [M, N, K] = [64, 128, 784];
  const a = random(M * K, 1), w = random(N * K, 2);
  const results = [two, one].map((b) => {
    const y = b.empty(M * N, 'float32') as Float32Array;
    b.gemm(false, true, M, N, K, a, w, 0, y);
    const p = Float32Array.from(w), g = random(N * K, 3);
    b.sgdSteps([{ p, g, v: null }], 0.1, 0, 0);
    return [Array.from(y), Array.from(p)];
  });
  assert.deepEqual(results[0], results[1]);
  // A batch gathered ahead: posted to worker 1 after the next threaded kernel, run by the caller when it is needed.
  const bytes = Uint8Array.from({ length: 1 << 21 }, (_, i) => (i * 7) % 256);
  const rows = [5, 900, 17], rowLen = 784;
  two.gatherBytesAhead!(bytes, rows, rowLen, 255);
  two.sgdSteps([{ p: new Float32Array(1 << 17), g: new Float32Array(1 << 17), v: null }], 0.1, 0, 0);
  const got = two.gathered!(bytes, rows, rowLen, 255, 'step');
  assert.ok(got, 'the batch was gathered ahead');
  const want = rows.flatMap((r) => Array.from(bytes.subarray(r * rowLen, (r + 1) * rowLen), (v) => Math.fround(v / 255)));
  assert.deepEqual(Array.from(got!), want);
  two.close();
});

test('on Node a backend runs no more threads than the machine has cores, unless told to oversubscribe', async () => {
  const cores = availableParallelism();
  const capped = createNodeWasmBackend(cores + 2);
  const over = createNodeWasmBackend(cores + 2, { oversubscribe: true });
  try {
    assert.equal(capped.threads, cores);
    assert.equal(capped.oversubscribed, false);
    assert.equal(over.threads, cores + 2);
    assert.equal(over.oversubscribed, true);
  } finally {
    capped.close();
    over.close();
  }
});
