// A pool of threads that run the same WebAssembly kernel on one shared memory, each on its
// share of the work. Browser-safe: how a thread is started is given by the caller
// (worker_threads in Node, Web Workers in browsers); both run `workerLoop` below.
//
// Protocol, on an Int32Array control block inside the shared memory:
//   SEQ      the job's number times two, odd while the main thread writes a job (a seqlock: a
//            worker that read the job while it changed reads it again)
//   KERNEL   index of the kernel to run (−1: exit), ARGC its argument count, NT the threads it runs on
//   SOLO     1 for a job posted to worker 1 alone (post): it runs as thread 0 of 1, doing all of it
//   READY    workers that have started
//   one line per worker (a cache line each), holding
//     WAKE   bumped by the main thread for each job this worker has a part in (so a job on 2 of 16
//            threads wakes one worker and the other 14 sleep on)
//     PART   the state of this worker's part of job j: open, running (the worker took it), closed
//            (the main thread took it back and ran it itself), tagged with j
//     DONE   the last job whose part this worker finished
// Arguments travel as float64 values after the header (every i32/f32 argument fits exactly).
//
// A part is taken with one compare-and-swap, by its worker or else by the main thread: once the main
// thread has run its own part, it runs each part no worker has started yet, and waits only for the
// parts a worker is running. So a worker that wakes late (its core busy with something else, or
// fewer cores than threads) costs the job nothing: it finds its part taken and waits for the next
// job. Kernels that split their work by thread index give the same result whichever thread runs a
// part; the kernels that share work dynamically (claim) find it all done. The one kernel with
// barriers inside (the packed gemm) needs every part running at once, and gets it: the main thread
// cannot pass the barrier without the others, so by then every part is running.
// NOTE: waking a thread blocked in Atomics.wait costs ~35 µs, spinning on Atomics.load ~0.4 µs,
// so both sides spin a little before they block — unless there are more threads than cores, where
// a spinning thread would hold a core that a thread with work needs: then they block at once.

export const SEQ = 1;
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
/** Int32Array indices of worker tid's wake counter, part state and last finished job. */
const wakeAt = (tid: number): number => (SLOTS_OFFSET + SLOT_BYTES * tid) / 4;
const partAt = (tid: number): number => wakeAt(tid) + 1;
const doneAt = (tid: number): number => wakeAt(tid) + 2;
/** A part's state, tagged with its job (the job number's low 29 bits). */
const OPEN = 1, RUNNING = 2, CLOSED = 3;
const part = (job: number, state: number): number => ((job << 2) | state) | 0;
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

/** The body of a worker thread: wait for a job, take this thread's part unless it is taken, run it, repeat. */
export function workerLoop(init: WorkerInit): void {
  const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory, abort: () => { throw new Error('wasm abort'); } } });
  const exports = instance.exports as unknown as Exported;
  exports.setSpin(init.spin); // the kernels' own barriers spin (or not) as this thread does
  const ctl = new Int32Array(init.memory.buffer, init.control, controlBytes(init.threads) / 4);
  const args = new Float64Array(init.memory.buffer, init.control + ARGS_OFFSET, MAX_ARGS);
  const fns = init.kernels.map((k) => exports[k]);
  const wake = wakeAt(init.tid), mine = partAt(init.tid), done = doneAt(init.tid);
  Atomics.add(ctl, READY, 1);
  Atomics.notify(ctl, READY);
  let seen = Atomics.load(ctl, wake);
  for (;;) {
    let g = Atomics.load(ctl, wake);
    for (let s = 0; g === seen && s < init.spin; s++) g = Atomics.load(ctl, wake);
    while (g === seen) {
      Atomics.wait(ctl, wake, seen);
      g = Atomics.load(ctl, wake);
    }
    seen = g;
    // Read the job; again if the main thread wrote another meanwhile.
    let seq: number, k: number, argc: number, nt: number, solo: boolean, a: number[];
    do {
      while ((seq = Atomics.load(ctl, SEQ)) & 1); // being written: a few stores
      k = ctl[KERNEL];
      argc = ctl[ARGC];
      nt = ctl[NT];
      solo = ctl[SOLO] === 1;
      a = new Array(argc + 2);
      for (let i = 0; i < argc; i++) a[i] = args[i];
    } while (Atomics.load(ctl, SEQ) !== seq);
    if (k < 0) return;
    const job = seq >>> 1;
    if (Atomics.compareExchange(ctl, mine, part(job, OPEN), part(job, RUNNING)) !== part(job, OPEN)) continue; // taken back
    a[argc] = solo ? 0 : init.tid;
    a[argc + 1] = solo ? 1 : nt;
    fns[k](...a);
    Atomics.store(ctl, done, job);
    Atomics.notify(ctl, done);
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
  /** The job number of the last job written. */
  private job = 0;
  /** A job posted to worker 1 that nobody has waited for yet: its number, kernel and arguments. */
  private posted: { job: number; kernel: string; args: number[] } | null = null;

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
   * Run kernel(...args, tid, nt) for tid = 0..nt−1 (the caller runs part 0; default: all threads)
   * and return when every part has run. Workers beyond nt are not woken.
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
    const job = this.publish(kernel, args, nt, 0);
    for (let tid = 1; tid < nt; tid++) this.offer(tid, job);
    fn(...args, 0, nt);
    for (let tid = 1; tid < nt; tid++) {
      if (this.takeBack(tid, job)) fn(...args, tid, nt);
      else this.waitFor(tid, job);
    }
  }

  /**
   * Run kernel(...args, 0, 1) on worker 1 alone and return at once, while it runs (the next batch
   * gathered during a training step). The next run(), post() or settle() waits for it first (or
   * runs it, if the worker has not started it); a kernel the caller runs on its own thread
   * meanwhile must not touch what the job writes.
   */
  post(kernel: string, args: number[]): void {
    if (this.threads < 2 || !this.started) throw new Error('wasm backend: post needs a started worker thread');
    this.settle();
    const job = this.publish(kernel, args, 1, 1);
    this.offer(1, job);
    this.posted = { job, kernel, args: args.slice() }; // kept until settle(): the caller may reuse its array
  }

  /** Finish the job post() started, if any: wait for worker 1, or run it here if the worker has not begun. */
  settle(): void {
    const p = this.posted;
    if (!p) return;
    this.posted = null;
    if (this.takeBack(1, p.job)) this.exports[p.kernel](...p.args, 0, 1);
    else this.waitFor(1, p.job);
  }

  /** Write a job into the control block (seqlocked: workers that read it meanwhile read it again). Returns its number. */
  private publish(kernel: string, args: number[], nt: number, solo: number): number {
    const ctl = this.ctl;
    const job = this.job = (this.job + 1) & 0x1fffffff;
    Atomics.store(ctl, SEQ, 2 * job - 1);
    for (let i = 0; i < args.length; i++) this.args[i] = args[i];
    ctl[ARGC] = args.length;
    ctl[KERNEL] = kernel === '' ? -1 : this.kernelIndex.get(kernel)!;
    ctl[NT] = nt;
    ctl[SOLO] = solo;
    Atomics.store(ctl, SEQ, 2 * job);
    return job;
  }

  /** Open worker tid's part of the job, bump its wake counter and wake it if it sleeps. */
  private offer(tid: number, job: number): void {
    Atomics.store(this.ctl, partAt(tid), part(job, OPEN));
    Atomics.add(this.ctl, wakeAt(tid), 1);
    Atomics.notify(this.ctl, wakeAt(tid));
  }

  /** Close worker tid's part if it has not started it: then this thread runs it. */
  private takeBack(tid: number, job: number): boolean {
    return Atomics.compareExchange(this.ctl, partAt(tid), part(job, OPEN), part(job, CLOSED)) === part(job, OPEN);
  }

  /** Wait until worker tid has finished its part of the job. */
  private waitFor(tid: number, job: number): void {
    const ctl = this.ctl, at = doneAt(tid);
    let d = Atomics.load(ctl, at);
    for (let s = 0; d !== job && s < this.spin; s++) d = Atomics.load(ctl, at);
    while (d !== job) {
      Atomics.wait(ctl, at, d);
      d = Atomics.load(ctl, at);
    }
  }

  /** Stop the workers. */
  close(): void {
    if (this.threads > 1) {
      if (this.started) this.settle();
      this.publish('', [], this.threads, 0);
      for (let tid = 1; tid < this.threads; tid++) {
        Atomics.add(this.ctl, wakeAt(tid), 1);
        Atomics.notify(this.ctl, wakeAt(tid));
      }
    }
    for (const h of this.handles) h.terminate();
  }
}
