// Node-only start-up of the wasm backend: set the V8 flags its kernels want (relaxed SIMD,
// optimizing compilation up front), and run the thread pool on worker_threads.
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { WasmBackend, wasmSupport } from './index.js';
import { registerBackend, setBackend, backend } from '../index.js';
import type { Backend } from '../backend.js';

let flagsSet = false;

/**
 * V8 flags for the kernels, set before any module compiles:
 * - Node 20 (V8 11.3) runs relaxed SIMD only behind a flag (newer engines have it on by default);
 * - --no-liftoff compiles the kernels with the optimizing compiler at once. Otherwise V8 first runs
 *   its baseline code and optimizes hot functions on a background thread, which on a machine whose
 *   every core runs a kernel thread gets little time: a 1024³ product ran at half speed for the
 *   first second of a process. Compiling the kernels up front takes tens of milliseconds.
 */
function setEngineFlags(): void {
  if (flagsSet) return;
  flagsSet = true;
  for (const flag of ['--experimental-wasm-relaxed-simd', '--no-liftoff']) {
    try {
      setFlagsFromString(flag);
    } catch {
      // An engine that does not know the flag: nothing to do.
    }
  }
}

/**
 * Create a wasm backend on worker_threads; await its ready() before use. It runs `threads` threads
 * (default: all cores), but never more than the machine's cores: threads beyond them cannot run at
 * once, and on two cores four threads trained W1 at 0.6× and W2 at 0.8× the speed of two (measured
 * 2026-11-29). `oversubscribe: true` keeps every thread asked for, blocking instead of spinning
 * while they wait (the tests use it for uneven splits).
 */
export function createNodeWasmBackend(threads = availableParallelism(), options: { oversubscribe?: boolean } = {}): WasmBackend {
  setEngineFlags();
  const cores = availableParallelism();
  const oversubscribed = options.oversubscribe === true && threads > cores;
  return new WasmBackend({
    threads: oversubscribed ? threads : Math.min(threads, cores),
    oversubscribed,
    spawn: (init) => {
      const w = new Worker(new URL('./node-worker.js', import.meta.url), { workerData: init });
      w.unref();
      return { terminate: () => void w.terminate() };
    },
  });
}

export interface BackendChoice {
  /** 'reference', 'wasm' or 'auto' (default: the ZEROGRAD_BACKEND variable, else auto). */
  backend?: string;
  /** Threads for the wasm backend (default: the ZEROGRAD_THREADS variable, else all cores). */
  threads?: number;
}

let created: WasmBackend | null = null;
/** The thread count `created` was asked for (it may run fewer: no more than the cores). */
let createdFor = 0;

/**
 * Choose the backend: the fastest available unless told otherwise. Returns the backend now in use.
 * @example useBackend({ backend: 'wasm', threads: 2 })
 */
export async function useBackend(choice: BackendChoice = {}): Promise<Backend> {
  const name = (choice.backend ?? process.env.ZEROGRAD_BACKEND ?? 'auto').toLowerCase();
  const envThreads = process.env.ZEROGRAD_THREADS;
  let threads = choice.threads;
  if (threads === undefined && envThreads !== undefined) {
    threads = Number(envThreads);
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`ZEROGRAD_THREADS must be a positive integer, got '${envThreads}'`);
  }
  if (name === 'reference') return setBackend('reference');
  if (name !== 'wasm' && name !== 'auto') throw new Error(`unknown backend '${name}', expected reference, wasm or auto`);
  setEngineFlags();
  if (!wasmSupport().simd) {
    if (name === 'wasm') throw new Error('the wasm backend needs WebAssembly SIMD, which this Node.js lacks');
    return setBackend('reference');
  }
  const want = threads ?? availableParallelism();
  if (!created || createdFor !== want) {
    created?.close();
    created = createNodeWasmBackend(want);
    createdFor = want;
    await created.ready();
    registerBackend(created);
  }
  setBackend('wasm');
  return backend();
}
