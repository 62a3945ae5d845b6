// Shared test helpers.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gradcheck, type GradcheckOptions } from '../autograd/gradcheck.js';
import { Random } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import '../ops/methods.js'; // the functions the tests check call x.mul(...), x.relu(), ...

/** A float64 tensor of N(0,1) values (or uniform in [lo,hi)) that requires grad. */
export function rand64(shape: number[], seed: number, range?: [number, number]): Tensor {
  const rng = new Random(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = range ? range[0] + (range[1] - range[0]) * rng.uniform() : rng.normal();
  return new Tensor(data, shape, true);
}

/** Keep values at least `gap` away from 0 (for ReLU/abs kinks). */
export function awayFromZero(t: Tensor, gap = 0.1): Tensor {
  for (let i = 0; i < t.size; i++) if (Math.abs(t.data[i]) < gap) t.data[i] = t.data[i] < 0 ? -gap - 0.05 : gap + 0.05;
  return t;
}

export function assertGrad(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], options: GradcheckOptions = {}): void {
  const r = gradcheck(f, inputs, options);
  assert.ok(r.ok, `gradient check failed: max error ${r.maxError}, worst ${JSON.stringify(r.worst)}`);
}

/**
 * Elementwise |actual − expected| ≤ tol·(1 + |expected|). NaN matches only NaN (and an infinity only
 * the same infinity): a NaN where a number was expected fails, which a plain `err > tol` would let pass.
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5, what = 'values'): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    if (!Number.isFinite(expected[i]) || !Number.isFinite(actual[i])) {
      if (Object.is(actual[i], expected[i]) || (Number.isNaN(actual[i]) && Number.isNaN(expected[i]))) continue;
      assert.fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
    }
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= tol * (1 + Math.abs(expected[i])))) {
      assert.fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]} (error ${err})`);
    }
  }
}

/**
 * A fresh folder under the system's temp directory, removed when the process exits (each test file
 * runs in its own process), so the suite leaves nothing behind.
 */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `zg-${prefix}-`));
  if (tempDirs.length === 0) process.once('exit', () => { for (const d of tempDirs) rmSync(d, { recursive: true, force: true }); });
  tempDirs.push(dir);
  return dir;
}
/** The folders tempDir made in this process (one exit listener removes them all: Node warns past ten listeners). */
const tempDirs: string[] = [];

/**
 * fn over every item, two at a time (this project's machines have two cores; the test runner runs
 * one file at a time): for tests that start a process per item. Results in the items' order.
 */
export async function twoAtATime<T, R>(items: readonly T[], fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i], i);
  };
  await Promise.all([worker(), worker()]);
  return results;
}
