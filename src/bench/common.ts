// What every benchmark measurement shares: the MNIST data, the workload definitions
// (docs/workloads.md) and the result format.
import { loadMnist, type MnistData } from '../data/mnist.js';

export type WorkloadId = 'W1' | 'W2' | 'W3' | 'W4';

export interface Measurement {
  lib: string;
  workload: string;
  /** Samples per second (W1–W3) or GFLOP/s (W4); null when the library cannot run it. */
  value: number | null;
  unit: 'samples/s' | 'GFLOP/s';
  /** Threads the library was allowed (1 for the single-threaded peers). */
  threads?: number;
  /** Samples actually timed (less than the full workload when the time box ran out). */
  samples?: number;
  /** Peak resident memory of the measuring process, bytes. */
  peakRss: number;
  note?: string;
}

let data: MnistData | null = null;
export function mnist(): MnistData {
  return (data ??= loadMnist());
}

/** The matrix shapes of W4: the 1024³ product and the ones W1 and W2 run (M×K times K×N). */
export const GEMM_SHAPES: Array<{ name: string; M: number; K: number; N: number }> = [
  { name: '1024×1024×1024', M: 1024, K: 1024, N: 1024 },
  { name: 'W1 dense 64×784·784×128', M: 64, K: 784, N: 128 },
  { name: 'W2 dense 100×4320·4320×100', M: 100, K: 4320, N: 100 },
  { name: 'W2 conv 30×25·25×576', M: 30, K: 25, N: 576 },
];

/** A seeded shuffle of 0..n−1 (the same order for every library). */
export function order(n: number, seed = 1): Int32Array {
  const o = new Int32Array(n);
  for (let i = 0; i < n; i++) o[i] = i;
  let s = seed >>> 0;
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    const t = o[i]; o[i] = o[j]; o[j] = t;
  }
  return o;
}

/**
 * Seconds of untimed steps before a W1–W3 epoch is timed, for every library (bench/torch_bench.py
 * too): the first seconds of a process run slower than the rest — JIT compilers at work, caches cold,
 * and zerograd's two-thread W1 ramps from ~24,000 to ~70,000 samples/s over its first ~1.5 s
 * (`npm run bench:w1-ramp`).
 */
export const STEP_WARMUP_SECONDS = 2;

/**
 * Run `step(batchIndex)` over `batches` batches of `size` samples, stopping early when `seconds` run
 * out, after STEP_WARMUP_SECONDS (at least one step) of untimed steps on the same batches; returns
 * samples per second and the samples timed.
 */
export function timeBatches(batches: number, size: (b: number) => number, seconds: number, step: (b: number) => void): { rate: number; samples: number } {
  const warm = performance.now();
  let w = 0;
  do step(w++ % batches); while (performance.now() - warm < STEP_WARMUP_SECONDS * 1000);
  const start = performance.now();
  let samples = 0;
  for (let b = 0; b < batches; b++) {
    step(b);
    samples += size(b);
    if ((performance.now() - start) / 1000 > seconds) break;
  }
  return { rate: samples / ((performance.now() - start) / 1000), samples };
}

/** Seconds every library's W4 products run before the clock starts (engines compile hot code in the background). */
export const WARMUP_SECONDS = 1;
/** W4 is timed in windows of this many seconds, and the best window counts. */
export const WINDOW_SECONDS = 0.5;

/**
 * Calls of step() per second for a kernel (W4): after WARMUP_SECONDS untimed, the best of the
 * WINDOW_SECONDS windows within `seconds` — the kernel's speed with as little as possible of what
 * else the machine was doing, as Python's timeit reports the best of its repeats. Every library's
 * W4 is measured this way (bench/torch_bench.py does the same for PyTorch).
 */
export function bestRate(step: () => void, seconds: number): number {
  const warm = performance.now();
  do step(); while (performance.now() - warm < WARMUP_SECONDS * 1000);
  const start = performance.now();
  let best = 0;
  while (performance.now() - start < seconds * 1000) {
    const t0 = performance.now();
    let calls = 0;
    do {
      step();
      calls++;
    } while (performance.now() - t0 < WINDOW_SECONDS * 1000);
    best = Math.max(best, calls / ((performance.now() - t0) / 1000));
  }
  return best;
}

export function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}
