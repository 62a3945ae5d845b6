// The thread pool's wait strategy: spin briefly then block, but never spin with more threads than cores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WasmBackend } from './index.js';
import type { WorkerInit } from './pool.js';

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
