// A pool of threads that run the same WebAssembly kernel on one shared memory, each on its
// share of the work. Browser-safe: how a thread is started is given by the caller
// (worker_threads in Node, Web Workers in browsers); both run `workerLoop` below.
//
// Protocol, on an Int32Array control block inside the shared memory:
//   GEN      bumped by the main thread for each job; workers wait for it to change
//   PENDING  workers still running the current job; the last one to finish notifies
//   KERNEL   index of the kernel to run (−1: exit), ARGC its argument count
//   READY    workers that have started
// Arguments travel as float64 values after the header (every i32/f32 argument fits exactly).
// NOTE: waking a thread blocked in Atomics.wait costs ~35 µs, spinning on Atomics.load ~0.4 µs,
// so both sides spin a little before they block.

export const GEN = 0;
export const PENDING = 1;
export const KERNEL = 2;
export const ARGC = 3;
export const READY = 4;
export const ARGS_OFFSET = 64; // bytes from the control block start to the float64 arguments
export const MAX_ARGS = 32;
export const CONTROL_BYTES = ARGS_OFFSET + 8 * MAX_ARGS;
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
  const ctl = new Int32Array(init.memory.buffer, init.control, ARGS_OFFSET / 4);
  const args = new Float64Array(init.memory.buffer, init.control + ARGS_OFFSET, MAX_ARGS);
  const fns = init.kernels.map((k) => exports[k]);
  Atomics.add(ctl, READY, 1);
  Atomics.notify(ctl, READY);
  let seen = Atomics.load(ctl, GEN);
  for (;;) {
    let g = Atomics.load(ctl, GEN);
    for (let s = 0; g === seen && s < init.spin; s++) g = Atomics.load(ctl, GEN);
    while (g === seen) {
      Atomics.wait(ctl, GEN, seen);
      g = Atomics.load(ctl, GEN);
    }
    seen = g;
    const k = Atomics.load(ctl, KERNEL);
    if (k < 0) return;
    const argc = ctl[ARGC];
    const a: number[] = new Array(argc + 2);
    for (let i = 0; i < argc; i++) a[i] = args[i];
    a[argc] = init.tid;
    a[argc + 1] = init.threads;
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

  private readonly spin: number;

  constructor(readonly threads: number, private readonly exports: Exported, memory: WebAssembly.Memory,
              control: number, module: WebAssembly.Module, kernels: readonly string[], spawn: SpawnThread, oversubscribed = false) {
    this.spin = oversubscribed ? 0 : SPIN;
    this.ctl = new Int32Array(memory.buffer, control, ARGS_OFFSET / 4);
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

  /** Run kernel(...args, tid, threads) on every thread (the caller is thread 0) and wait for all. */
  run(kernel: string, args: number[]): void {
    const fn = this.exports[kernel];
    if (this.threads === 1) {
      fn(...args, 0, 1);
      return;
    }
    if (!this.started) throw new Error('wasm backend: await ready() before running kernels on threads');
    const ctl = this.ctl;
    for (let i = 0; i < args.length; i++) this.args[i] = args[i];
    ctl[ARGC] = args.length;
    ctl[KERNEL] = this.kernelIndex.get(kernel)!;
    Atomics.store(ctl, PENDING, this.threads - 1);
    Atomics.add(ctl, GEN, 1);
    Atomics.notify(ctl, GEN);
    fn(...args, 0, this.threads);
    let p = Atomics.load(ctl, PENDING);
    for (let s = 0; p !== 0 && s < this.spin; s++) p = Atomics.load(ctl, PENDING);
    while (p !== 0) {
      Atomics.wait(ctl, PENDING, p);
      p = Atomics.load(ctl, PENDING);
    }
  }

  /** Stop the workers. */
  close(): void {
    if (this.threads > 1) {
      Atomics.store(this.ctl, KERNEL, -1);
      Atomics.add(this.ctl, GEN, 1);
      Atomics.notify(this.ctl, GEN);
    }
    for (const h of this.handles) h.terminate();
  }
}
