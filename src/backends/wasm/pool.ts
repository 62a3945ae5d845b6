// A pool of threads that run the same WebAssembly kernel on one shared memory, each on its
// share of the work. Browser-safe: how a thread is started is given by the caller
// (worker_threads in Node, Web Workers in browsers); both run `workerLoop` below.
//
// Protocol, on an Int32Array control block inside the shared memory:
//   PENDING  workers still running the current job; the last one to finish notifies
//   KERNEL   index of the kernel to run (−1: exit), ARGC its argument count, NT the threads it runs on
//   SOLO     1 for a job posted to worker 1 alone (post): it runs as thread 0 of 1, doing all of it
//   READY    workers that have started
//   one wake slot per worker (a cache line each): the main thread bumps the slot of each worker a
//   job needs, so a job on 2 of 16 threads wakes one worker and the other 14 sleep on.
// Arguments travel as float64 values after the header (every i32/f32 argument fits exactly).
// NOTE: waking a thread blocked in Atomics.wait costs ~35 µs, spinning on Atomics.load ~0.4 µs,
// so both sides spin a little before they block — unless there are more threads than cores, where
// a spinning thread would hold a core that a thread with work needs: then they block at once.

export const PENDING = 1;
export const KERNEL = 2;
export const ARGC = 3;
export const READY = 4;
export const NT = 5;
export const SOLO = 6;
export const ARGS_OFFSET = 64; // bytes from the control block start to the float64 arguments
export const MAX_ARGS = 32;
const SLOTS_OFFSET = ARGS_OFFSET + 8 * MAX_ARGS;
const SLOT_BYTES = 64;
/** Bytes of the control block for a pool of `threads` threads. */
export function controlBytes(threads: number): number {
  return SLOTS_OFFSET + SLOT_BYTES * Math.max(1, threads);
}
/** The Int32Array index of worker tid's wake slot. */
const slot = (tid: number): number => (SLOTS_OFFSET + SLOT_BYTES * tid) / 4;
const SPIN = 200000;

/** What a thread needs to start: the compiled kernels, the shared memory and its place in the pool. */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: number;
  tid: number;
  threads: number;
  kernels: readonly string[];
  /** Spins on the control block before blocking (0 when there are more threads than cores: a spinning thread would take a core from one with work). */
  spin: number;
}

/** The module's exported functions, called by name (their types are in ./kernels.ts). */
type Exported = Record<string, (...args: number[]) => unknown>;

/** The body of a worker thread: wait for a job, run this thread's share, report, repeat. */
export function workerLoop(init: WorkerInit): void {
  const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory, abort: () => { throw new Error('wasm abort'); } } });
  const exports = instance.exports as unknown as Exported;
  exports.setSpin(init.spin); // the kernels' own barriers spin (or not) as this thread does
  const ctl = new Int32Array(init.memory.buffer, init.control, controlBytes(init.threads) / 4);
  const args = new Float64Array(init.memory.buffer, init.control + ARGS_OFFSET, MAX_ARGS);
  const fns = init.kernels.map((k) => exports[k]);
  const mine = slot(init.tid);
  Atomics.add(ctl, READY, 1);
  Atomics.notify(ctl, READY);
  let seen = Atomics.load(ctl, mine);
  for (;;) {
    let g = Atomics.load(ctl, mine);
    for (let s = 0; g === seen && s < init.spin; s++) g = Atomics.load(ctl, mine);
    while (g === seen) {
      Atomics.wait(ctl, mine, seen);
      g = Atomics.load(ctl, mine);
    }
    seen = g;
    const k = Atomics.load(ctl, KERNEL);
    if (k < 0) return;
    const argc = ctl[ARGC];
    const a: number[] = new Array(argc + 2);
    for (let i = 0; i < argc; i++) a[i] = args[i];
    const solo = ctl[SOLO] === 1;
    a[argc] = solo ? 0 : init.tid;
    a[argc + 1] = solo ? 1 : ctl[NT];
    fns[k](...a);
    if (Atomics.sub(ctl, PENDING, 1) === 1) Atomics.notify(ctl, PENDING);
  }
}

/** Starts a thread running workerLoop(init); returns a way to stop it. */
export type SpawnThread = (init: WorkerInit) => { terminate(): void };

export class ThreadPool {
  private readonly ctl: Int32Array;
  private readonly args: Float64Array;
  private readonly kernelIndex: Map<string, number>;
  private readonly handles: Array<{ terminate(): void }> = [];
  private started = false;
  /** A job posted to worker 1 that nobody has waited for yet. */
  private posted = false;

  private readonly spin: number;

  constructor(readonly threads: number, private readonly exports: Exported, memory: WebAssembly.Memory,
              control: number, module: WebAssembly.Module, kernels: readonly string[], spawn: SpawnThread, oversubscribed = false) {
    this.spin = oversubscribed ? 0 : SPIN;
    exports.setSpin(this.spin);
    this.ctl = new Int32Array(memory.buffer, control, controlBytes(threads) / 4);
    this.args = new Float64Array(memory.buffer, control + ARGS_OFFSET, MAX_ARGS);
    this.kernelIndex = new Map(kernels.map((k, i) => [k, i]));
    for (let tid = 1; tid < threads; tid++) {
      this.handles.push(spawn({ module, memory, control, tid, threads, kernels, spin: this.spin }));
    }
  }

  /**
   * Resolve once every worker has started. Workers start only while the creating thread's event
   * loop runs, so this must be awaited before the first job (a blocking wait would wait forever).
   */
  async ready(timeoutMs = 30000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let r: number;
    while ((r = Atomics.load(this.ctl, READY)) < this.threads - 1) {
      if (Date.now() > deadline) throw new Error(`wasm backend: only ${r} of ${this.threads - 1} worker threads started`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    this.started = true;
  }

  /**
   * Run kernel(...args, tid, nt) on threads 0..nt−1 (the caller is thread 0; default: all of them)
   * and wait for them. Workers beyond nt are not woken.
   */
  run(kernel: string, args: number[], nt = this.threads): void {
    const fn = this.exports[kernel];
    if (!(Number.isInteger(nt) && nt >= 1 && nt <= this.threads)) {
      throw new Error(`wasm backend: a kernel asked for nt = ${nt} threads, expected 1 to ${this.threads}`);
    }
    if (nt === 1) {
      fn(...args, 0, 1);
      return;
    }
    if (!this.started) throw new Error('wasm backend: await ready() before running kernels on threads');
    this.settle();
    this.publish(kernel, args, nt, 0);
    Atomics.store(this.ctl, PENDING, nt - 1);
    for (let tid = 1; tid < nt; tid++) this.wake(tid);
    fn(...args, 0, nt);
    this.join();
  }

  /**
   * Run kernel(...args, 0, 1) on worker 1 alone and return at once, while it runs (the next batch
   * gathered during a training step). The next run(), post() or settle() waits for it first; a
   * kernel the caller runs on its own thread meanwhile must not touch what the job writes.
   */
  post(kernel: string, args: number[]): void {
    if (this.threads < 2 || !this.started) throw new Error('wasm backend: post needs a started worker thread');
    this.settle();
    this.publish(kernel, args, 1, 1);
    Atomics.store(this.ctl, PENDING, 1);
    this.wake(1);
    this.posted = true;
  }

  /** Wait for the job post() started, if any. */
  settle(): void {
    if (!this.posted) return;
    this.join();
    this.posted = false;
  }

  /** Write a job into the control block (before the workers are woken). */
  private publish(kernel: string, args: number[], nt: number, solo: number): void {
    const ctl = this.ctl;
    for (let i = 0; i < args.length; i++) this.args[i] = args[i];
    ctl[ARGC] = args.length;
    ctl[KERNEL] = this.kernelIndex.get(kernel)!;
    ctl[NT] = nt;
    ctl[SOLO] = solo;
  }

  /** Wait until no worker is still running the current job. */
  private join(): void {
    const ctl = this.ctl;
    let p = Atomics.load(ctl, PENDING);
    for (let s = 0; p !== 0 && s < this.spin; s++) p = Atomics.load(ctl, PENDING);
    while (p !== 0) {
      Atomics.wait(ctl, PENDING, p);
      p = Atomics.load(ctl, PENDING);
    }
  }

  /** Bump worker tid's slot (publishing the job written before it) and wake it if it sleeps. */
  private wake(tid: number): void {
    Atomics.add(this.ctl, slot(tid), 1);
    Atomics.notify(this.ctl, slot(tid));
  }

  /** Stop the workers. */
  close(): void {
    if (this.threads > 1) {
      if (this.started) this.settle();
      Atomics.store(this.ctl, KERNEL, -1);
      for (let tid = 1; tid < this.threads; tid++) this.wake(tid);
    }
    for (const h of this.handles) h.terminate();
  }
}
