// The wasm backend: kernels compiled from AssemblyScript (src/backends/wasm/assembly) to
// WebAssembly with 128-bit SIMD, run on a pool of threads that share one memory.
// Browser-safe; Node-specific start-up (V8 flags, worker_threads) is in ./node.ts.
//
// Three concerns, three files: ./memory.ts owns the heap inside the WebAssembly memory and when
// each tensor's memory comes back; ./kernels.ts types the kernels and marshals a call; ./pool.ts
// runs a kernel on several threads. This file decides, per op, which kernel runs and on how many
// threads. Tensors live inside the memory, so kernels get byte offsets and nothing is copied
// around a call; arrays from elsewhere (a plain Float32Array) are copied in and out, and float64
// arrays (gradient checks) run on the reference kernels.
import type { AdamHyper, AdamTensor, Backend, BinaryOp, Conv2dGeometry, Data, Epilogue, Lifetime, Pool2dGeometry, ReduceOp, ScalarFunction,
  SgdTensor } from '../backend.js';
import { referenceBackend as ref } from '../reference/index.js';
import * as bins from './generated/kernels.js';
import { ThreadPool, controlBytes, type SpawnThread } from './pool.js';
import { WasmHeap, align } from './memory.js';
import { KernelCall, Staging, THREADED_KERNELS, out, scratch, type ConvSizes, type KernelExports, type PoolSizes, type SingleArgs,
  type SingleKernels, type ThreadedArgs, type ThreadedKernels } from './kernels.js';

const OPS: Record<string, number> = { add: 0, sub: 1, mul: 2, div: 3 };

/**
 * Work (elements or multiply-adds) that earns a kernel one more thread: a call gets
 * ⌊work / grain⌋ threads, at least 1 and at most all of them. Below one grain, waking a worker
 * (~0.4 µs spinning, ~35 µs asleep) and waiting for the slowest share costs more than it saves;
 * so a small call stays on the caller, and a 16-thread pool gives a W1-sized product a few threads,
 * not sixteen shares too thin to pay for their hand-off.
 */
const SMALL_ELEMENTS = 1 << 15;
const SMALL_FLOPS = 1 << 20;
/**
 * With more threads than cores the threads block instead of spinning (see ./pool.ts), so waking
 * one costs ~35 µs, about a grain and a half of work: then a thread must earn 8 grains.
 */
const OVERSUBSCRIBED_GRAIN = 8;
/** Up to this many outputs, A·Bᵀ runs as blocked dot products (gemmNT) instead of the packed kernel. */
const NT_MAX_OUTPUTS = 1 << 16;
/**
 * The convolution's filter gradient is summed over this many fixed groups of images (fewer for a
 * smaller batch), whatever the thread count, so it comes out the same on any number of threads.
 */
const FILTER_GRADIENT_PARTS = 16;
/** Bytes of the region kernel calls take small temporaries from (a W1 step's largest is ~1 KB). */
const STAGING_BYTES = 1 << 16;
/** Bytes of scattered rows worth a thread of their own in gatherBytes (a W1 batch, 50,176 bytes, takes two). */
const GATHER_BYTES = 1 << 14;
/** gatherBytes keeps a copy of byte arrays at least this long (data sets) inside the memory. */
const RESIDENT_BYTES = 1 << 20;

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const s = atob(base64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Which of the compiled variants this engine can run. */
export function wasmSupport(): { simd: boolean; relaxed: boolean; threads: boolean } {
  const simd = typeof WebAssembly === 'object' && WebAssembly.validate(decode(bins.simd_single));
  const relaxed = simd && WebAssembly.validate(decode(bins.relaxed_single));
  let threads = false;
  try {
    threads = typeof SharedArrayBuffer === 'function' &&
      new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer &&
      WebAssembly.validate(decode(bins.simd_shared));
  } catch {
    threads = false;
  }
  return { simd, relaxed, threads };
}

export interface WasmBackendOptions {
  /** Threads including the calling one (default 1). More than 1 needs `spawn` and shared memory. */
  threads?: number;
  spawn?: SpawnThread;
  /** Use relaxed SIMD (fused multiply-add) if the engine supports it (default true). */
  relaxed?: boolean;
  /** Use a shared memory if the engine supports it (default true; false forces one thread on a plain memory). */
  shared?: boolean;
  /** More threads than cores: threads then block at once instead of spinning while they wait (default false). */
  oversubscribed?: boolean;
}

type View = Float32Array | Int32Array;
/** Whether every array given is float32 (null: none given). */
const f32 = (a: Data | null, b: Data | null = null, c: Data | null = null, d: Data | null = null): boolean =>
  (a === null || a instanceof Float32Array) && (b === null || b instanceof Float32Array) &&
  (c === null || c instanceof Float32Array) && (d === null || d instanceof Float32Array);
const NO_EPILOGUE: Epilogue = Object.freeze({});

export class WasmBackend implements Backend {
  readonly name = 'wasm';
  readonly threads: number;
  readonly relaxed: boolean;
  /** More threads than cores: they block rather than spin, and each must earn OVERSUBSCRIBED_GRAIN grains. */
  readonly oversubscribed: boolean;
  readonly memory: WebAssembly.Memory;
  private readonly k: KernelExports;
  private readonly pool: ThreadPool;
  private readonly heap: WasmHeap;
  private readonly ownBuffers = new WeakSet<ArrayBufferLike>();
  /** The rows of the batch gathered ahead, in the memory for the worker to read (one array, reused and grown). */
  private aheadRows: Int32Array = new Int32Array(0);
  /** The next batch, being gathered on worker 1 (gatherBytesAhead), until gathered() takes it. */
  private ahead: { bytes: Uint8Array; resident: Uint8Array; index: Int32Array; rowLen: number; divisor: number;
    out: Float32Array; posted: boolean } | null = null;
  /** Data sets' bytes copied into the memory (gatherBytes), each kept while its original lives. */
  private readonly residents = new WeakMap<Uint8Array, Uint8Array>();
  private readonly syncBytes: number;
  /** Where kernel calls take their small temporaries (see Staging). */
  private readonly staging: Staging;
  /** The buffer the last owned array was found in: nearly every array is in it (a WeakSet lookup is the slow way). */
  private lastBuffer: ArrayBufferLike | null = null;
  private readonly owns = (d: ArrayBufferView): boolean => {
    const buffer = d.buffer;
    if (buffer === this.lastBuffer) return true;
    if (!this.ownBuffers.has(buffer)) return false;
    this.lastBuffer = buffer;
    return true;
  };

  constructor(o: WasmBackendOptions = {}) {
    const support = wasmSupport();
    if (!support.simd) throw new Error('wasm backend: this JavaScript engine lacks WebAssembly SIMD');
    const wantThreads = Math.max(1, Math.floor(o.threads ?? 1));
    // Shared memory whenever the engine has it, even for one thread: growing a shared memory
    // keeps every existing view valid, where growing a plain one detaches them all.
    const shared = (o.shared ?? true) && support.threads;
    this.threads = shared && o.spawn !== undefined ? wantThreads : 1;
    this.relaxed = (o.relaxed ?? true) && support.relaxed;
    this.oversubscribed = this.threads > 1 && (o.oversubscribed ?? false);
    const variant = `${this.relaxed ? 'relaxed' : 'simd'}_${shared ? 'shared' : 'single'}` as keyof typeof bins;
    const module = new WebAssembly.Module(decode(bins[variant]));
    // NOTE: a plain memory cannot grow without detaching tensors' views, so it starts at its full size
    // (1 GiB, reserved lazily by the engine) and never grows.
    this.memory = shared
      ? new WebAssembly.Memory({ initial: 256, maximum: 65536, shared: true } as WebAssembly.MemoryDescriptor)
      : new WebAssembly.Memory({ initial: 16384, maximum: 16384 });
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory, abort: () => { throw new Error('wasm abort'); } } });
    this.k = instance.exports as unknown as KernelExports;
    this.ownBuffers.add(this.memory.buffer);
    this.heap = new WasmHeap(this.memory, this.k.heapBase(), shared);
    this.syncBytes = this.k.syncBytes();
    const control = this.heap.reserve(controlBytes(this.threads));
    this.staging = new Staging(this.heap.reserve(STAGING_BYTES), STAGING_BYTES);
    this.pool = new ThreadPool(this.threads, this.k as unknown as Record<string, (...a: number[]) => unknown>, this.memory, control,
      module, THREADED_KERNELS, o.spawn ?? (() => { throw new Error('no spawn'); }), this.oversubscribed);
  }

  /** Resolves when the worker threads are running; await it before the first kernel. */
  ready(): Promise<void> {
    return this.pool.ready();
  }

  /** Stop the worker threads. */
  close(): void {
    this.pool.close();
  }

  /** Bytes of WebAssembly memory up to the highest block the heap has handed out (for tests and benchmarks). */
  get heapBytes(): number {
    return this.heap.highWater;
  }

  // ---- memory (the rules are in ./memory.ts) ----

  private view<T extends View>(make: (buffer: ArrayBufferLike, ptr: number, n: number) => T, n: number, lifetime: Lifetime): T {
    const v = this.heap.allocate(make, n, lifetime);
    this.ownBuffers.add(v.buffer); // a grown shared memory keeps its buffer; a new one is recorded here
    return v;
  }

  alloc(n: number, dtype: 'float32' | 'float64', lifetime: Lifetime = 'step'): Data {
    const d = this.empty(n, dtype, lifetime);
    if (d instanceof Float32Array && n > 0) this.single('zero', [d, n * 4]);
    return d;
  }

  empty(n: number, dtype: 'float32' | 'float64', lifetime: Lifetime = 'step'): Data {
    if (dtype === 'float64') return new Float64Array(n);
    return this.view((b, p, len) => new Float32Array(b, p, len), n, lifetime);
  }

  allocInt32(n: number): Int32Array {
    return this.view((b, p, len) => new Int32Array(b, p, len), n, 'step');
  }

  scope<T>(fn: () => T): T {
    return this.heap.scope(fn);
  }

  stepBoundary(): void {
    this.heap.boundary();
  }

  keep(d: Data | Int32Array): void {
    if (!(d instanceof Float64Array) && this.owns(d)) this.heap.keep(d);
  }

  dispose(d: Data | Int32Array): void {
    if (!(d instanceof Float64Array) && this.owns(d)) this.heap.dispose(d);
  }

  isReleased(d: Data | Int32Array): boolean {
    return this.heap.isReleased(d);
  }

  // ---- calling kernels (the marshalling is in ./kernels.ts) ----

  /** Run one threaded kernel with array arguments on nt threads. */
  private threaded<K extends keyof ThreadedKernels>(kernel: K, nt: number, args: ThreadedArgs<K>): void {
    this.call((c) => c.threaded(kernel, nt, args));
    if (nt > 1 && this.ahead) this.postAhead();
  }

  private single<K extends keyof SingleKernels>(kernel: K, args: SingleArgs<K>): ReturnType<SingleKernels[K]> {
    return this.call((c) => c.single(kernel, args));
  }

  /** Several kernels that share arguments or temporaries in one call. */
  private call<T>(body: (c: KernelCall) => T): T {
    const c = new KernelCall(this.heap, this.k, this.pool, this.owns, this.staging);
    try {
      return body(c);
    } finally {
      c.finish();
    }
  }

  /** Threads a kernel call deserves: one per `grain` of work, between 1 and all of them. */
  private nt(work: number, grain: number): number {
    const g = this.oversubscribed ? grain * OVERSUBSCRIBED_GRAIN : grain;
    return Math.max(1, Math.min(this.threads, Math.floor(work / g)));
  }

  // ---- kernels ----

  /** relu and scale run as SIMD kernels (fast paths of RELU.f and SCALE.f in src/ops/elementwise.ts); others loop fn.f. */
  map(fn: ScalarFunction, x: Data, y: Data, p: number): void {
    if (!f32(x, y) || (fn.name !== 'relu' && fn.name !== 'scale')) return ref.map(fn, x, y, p);
    const [xs, ys] = [x as Float32Array, y as Float32Array];
    const nt = this.nt(x.length, SMALL_ELEMENTS);
    if (fn.name === 'relu') this.threaded('relu', nt, [xs, out(ys), x.length]);
    else this.threaded('scale', nt, [xs, p, out(ys), x.length]);
  }

  /** relu's backward runs as a SIMD kernel (a fast path of dy·RELU.df); others loop fn.df. */
  mapBackward(fn: ScalarFunction, x: Data, y: Data, dy: Data, dx: Data, p: number): void {
    if (fn.name !== 'relu' || !f32(x, dy, dx)) return ref.mapBackward(fn, x, y, dy, dx, p);
    this.threaded('reluBackward', this.nt(x.length, SMALL_ELEMENTS), [x as Float32Array, dy as Float32Array, out(dx as Float32Array), x.length]);
  }

  binary(op: BinaryOp, a: Data, aShape: readonly number[], b: Data, bShape: readonly number[], out_: Data, outShape: readonly number[]): void {
    const code = OPS[op];
    const simple = a.length === out_.length && (b.length === out_.length || b.length === 1);
    if (code === undefined || !simple || !f32(a, b, out_)) return ref.binary(op, a, aShape, b, bShape, out_, outShape);
    const scalarB = b.length === 1 && out_.length !== 1 ? 1 : 0;
    this.threaded('binary', this.nt(out_.length, SMALL_ELEMENTS), [code, a as Float32Array, b as Float32Array, scalarB, out(out_ as Float32Array), out_.length]);
  }

  axpy(alpha: number, x: Data, y: Data): void {
    if (!f32(x, y)) return ref.axpy(alpha, x, y);
    this.threaded('axpy', this.nt(x.length, SMALL_ELEMENTS), [alpha, x as Float32Array, out(y as Float32Array), x.length]);
  }

  reduce(op: ReduceOp, x: Data, shape: readonly number[], axes: readonly number[], out_: Data, argmax?: Int32Array): void {
    // The kernel reduces one run of consecutive axes, x seen as (outer, R, inner): every reduction
    // the ops make (they pass axes sorted: all axes, the batch axis, the last axis). Others: the
    // reference. (Loops, not sort and closures: countCorrect comes here every training step.)
    let consecutive = true;
    for (let i = 1; i < axes.length; i++) if (axes[i] !== axes[i - 1] + 1) consecutive = false;
    const first = axes.length ? axes[0] : shape.length, last = axes.length ? axes[axes.length - 1] : shape.length - 1;
    if (!f32(x, out_) || !consecutive) return ref.reduce(op, x, shape, axes, out_, argmax);
    let outer = 1, R = 1, inner = 1;
    for (let i = 0; i < shape.length; i++) {
      if (i < first) outer *= shape[i];
      else if (i <= last) R *= shape[i];
      else inner *= shape[i];
    }
    const am = argmax && op === 'max' ? out(argmax) : null;
    this.single('reduce', [op === 'max' ? 1 : 0, x as Float32Array, outer, R, inner, out(out_ as Float32Array), am]);
  }

  permute(x: Data, shape: readonly number[], perm: readonly number[], y: Data): void {
    ref.permute(x, shape, perm, y);
  }

  copyBox(src: Data, srcShape: readonly number[], srcStart: readonly number[], dst: Data, dstShape: readonly number[],
          dstStart: readonly number[], box: readonly number[]): void {
    ref.copyBox(src, srcShape, srcStart, dst, dstShape, dstStart, box);
  }

  gatherBytes(bytes: Uint8Array, rows: ArrayLike<number>, rowLen: number, divisor: number, out_: Data): void {
    if (!f32(out_)) return ref.gatherBytes(bytes, rows, rowLen, divisor, out_);
    const n = rows.length * rowLen;
    const resident = this.resident(bytes);
    if (resident) {
      // A data set: its bytes are copied into the memory once, and each batch is one kernel call
      // that gathers the rows and widens them to floats (a JavaScript copy per row cost ~0.7 µs each,
      // a tenth of a W1 step).
      const index = rows instanceof Int32Array ? rows : Int32Array.from(rows);
      this.threaded('gatherRows', this.nt(n, GATHER_BYTES), [resident, index, rows.length, rowLen, divisor, out(out_ as Float32Array)]);
      return;
    }
    // Small arrays (one picture to predict): the rows are copied in as they are, then one SIMD pass
    // widens the bytes to floats and divides.
    const p = this.heap.temporary(n);
    try {
      const staged = new Uint8Array(this.memory.buffer, p, n);
      this.ownBuffers.add(staged.buffer);
      // A plain view: Node's Buffer (what files are read into) makes a Buffer object per subarray.
      const src = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
      for (let r = 0; r < rows.length; r++) staged.set(src.subarray(rows[r] * rowLen, (rows[r] + 1) * rowLen), r * rowLen);
      this.single('bytesToFloat', [staged, n, divisor, out(out_ as Float32Array)]);
    } finally {
      this.heap.give(p);
    }
  }

  /**
   * Begin gathering the next batch on worker 1 while this thread goes on: the job is posted when
   * the next kernel that runs on several threads has finished (the worker is free then, and this
   * thread has a step's single-threaded work ahead of it), and gathered() waits for it.
   */
  gatherBytesAhead(bytes: Uint8Array, rows: ArrayLike<number>, rowLen: number, divisor: number): void {
    this.dropAhead();
    const resident = this.threads > 1 && rows.length > 0 ? this.resident(bytes) : null;
    if (!resident) return;
    if (this.aheadRows.length < rows.length) {
      this.heap.dispose(this.aheadRows);
      this.aheadRows = this.heap.detached((b, p, len) => new Int32Array(b, p, len), rows.length);
    }
    const index = this.aheadRows.length === rows.length ? this.aheadRows : this.aheadRows.subarray(0, rows.length);
    index.set(rows);
    const out = this.heap.detached((b, p, len) => new Float32Array(b, p, len), rows.length * rowLen);
    this.ahead = { bytes, resident, index, rowLen, divisor, out, posted: false };
  }

  gathered(bytes: Uint8Array, rows: ArrayLike<number>, rowLen: number, divisor: number, lifetime: Lifetime): Data | null {
    const a = this.ahead;
    if (!a) return null;
    let same = a.posted && a.bytes === bytes && a.rowLen === rowLen && a.divisor === divisor && a.index.length === rows.length;
    for (let i = 0; same && i < rows.length; i++) same = a.index[i] === rows[i];
    if (!same) {
      this.dropAhead();
      return null;
    }
    this.pool.settle();
    this.ahead = null;
    this.heap.adopt(a.out, lifetime);
    return a.out;
  }

  /** Post the batch gatherBytesAhead prepared, once (see there). */
  private postAhead(): void {
    const a = this.ahead;
    if (!a || a.posted) return;
    a.posted = true;
    this.pool.post('gatherRows', [a.resident.byteOffset, a.index.byteOffset, a.index.length, a.rowLen, a.divisor, a.out.byteOffset]);
  }

  /** Forget a batch gathered ahead that nobody took (after its job, if posted, has finished). */
  private dropAhead(): void {
    const a = this.ahead;
    if (!a) return;
    if (a.posted) this.pool.settle();
    this.ahead = null;
    this.heap.dispose(a.out);
  }

  /**
   * A data set's bytes inside the memory: `bytes` itself if it lives there, else its copy, made on
   * first use and gone when `bytes` is collected; null for arrays under RESIDENT_BYTES (one picture).
   */
  private resident(bytes: Uint8Array): Uint8Array | null {
    if (this.owns(bytes)) return bytes;
    if (bytes.length < RESIDENT_BYTES) return null;
    let copy = this.residents.get(bytes);
    if (!copy) {
      copy = this.heap.lastingBytes(bytes.length);
      copy.set(bytes);
      this.ownBuffers.add(copy.buffer);
      this.residents.set(bytes, copy);
    }
    return copy;
  }

  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, a: Data, b: Data, beta: 0 | 1, c: Data,
       epilogue: Epilogue = NO_EPILOGUE): void {
    const bias = epilogue.bias ?? null, mask = epilogue.reluMaskA ?? null, sums = epilogue.rowSumsA ?? null;
    if (!(f32(a, b, c) && f32(bias, mask, sums))) return ref.gemm(transA, transB, M, N, K, a, b, beta, c, epilogue);
    const A = a as Float32Array, B = b as Float32Array, C = out(c as Float32Array), bs = bias as Float32Array | null;
    const relu = epilogue.relu ? 1 : 0;
    const nt = this.nt(M * N * K, SMALL_FLOPS);
    const prologue = mask !== null || sums !== null; // only the packed kernel reads A that way
    if (!transA && transB && M * N <= NT_MAX_OUTPUTS && !prologue) {
      // A·Bᵀ with both rows contiguous (dense layers): dot products, no packing.
      this.threaded('gemmNT', nt, [M, N, K, A, B, beta, C, bs, relu, scratch(this.syncBytes + nt * this.k.gemmNTScratchBytes(K), this.syncBytes)]);
      return;
    }
    const work = nt === 1 ? scratch(this.k.gemmScratchBytes()) : scratch(this.k.gemmSharedScratchBytes(nt), this.syncBytes);
    this.threaded('gemm', nt, [transA ? 1 : 0, transB ? 1 : 0, M, N, K, A, B, beta, C, bs, 0, relu, work,
      mask as Float32Array | null, sums ? out(sums as Float32Array) : null]);
  }

  addRowVector(y: Data, b: Data, rows: number, cols: number): void {
    if (!f32(y, b)) return ref.addRowVector(y, b, rows, cols);
    this.threaded('addRowVector', this.nt(rows * cols, SMALL_ELEMENTS), [out(y as Float32Array), b as Float32Array, rows, cols]);
  }

  channelSums(a: Data, b: Data | null, shiftA: Data | null, shiftB: Data | null, N: number, C: number, S: number,
              sumA: Data, sumAB: Data | null): void {
    if (!(f32(a, b, shiftA) && f32(shiftB, sumA, sumAB))) return ref.channelSums(a, b, shiftA, shiftB, N, C, S, sumA, sumAB);
    // Threads take whole channels: at most C of them.
    const nt = Math.min(C, this.nt(a.length, SMALL_ELEMENTS));
    this.threaded('channelSums', nt, [a as Float32Array, b as Float32Array | null, shiftA as Float32Array | null,
      shiftB as Float32Array | null, N, C, S, out(sumA as Float32Array), sumAB ? out(sumAB as Float32Array) : null]);
  }

  channelAffine(x: Data, p: Data, z: Data | null, q: Data | null, r: Data, N: number, C: number, S: number, out_: Data): void {
    if (!(f32(x, p, z) && f32(q, r, out_))) return ref.channelAffine(x, p, z, q, r, N, C, S, out_);
    this.threaded('channelAffine', Math.min(N * C, this.nt(x.length, SMALL_ELEMENTS)), [x as Float32Array, p as Float32Array,
      z as Float32Array | null, q as Float32Array | null, r as Float32Array, N, C, S, out(out_ as Float32Array)]);
  }

  sumRows(dy: Data, rows: number, cols: number, out_: Data, accumulate: boolean): void {
    if (!f32(dy, out_)) return ref.sumRows(dy, rows, cols, out_, accumulate);
    this.threaded('sumRows', this.nt(rows * cols, SMALL_ELEMENTS), [dy as Float32Array, rows, cols, out(out_ as Float32Array), accumulate ? 1 : 0]);
  }

  private convSizes(g: Conv2dGeometry): ConvSizes {
    return [g.N, g.C, g.H, g.W, g.OC, g.KH, g.KW, g.OH, g.OW, g.stride, g.padding];
  }

  /** Threads for a convolution, and scratch for each: its im2col columns (after the shared counters). */
  private convWork(g: Conv2dGeometry): { nt: number; perThread: number; work: ReturnType<typeof scratch> } {
    // With fewer images than threads, the extra threads find no image left to claim.
    const nt = this.nt(g.N * g.OC * g.OH * g.OW * g.C * g.KH * g.KW, SMALL_FLOPS);
    const perThread = align(this.k.convScratchBytes(g.C, g.KH, g.KW, g.OH, g.OW, g.OC));
    return { nt, perThread, work: scratch(this.syncBytes + perThread * nt, this.syncBytes) };
  }

  conv2d(x: Data, w: Data, b: Data | null, g: Conv2dGeometry, y: Data, relu = false): void {
    if (!f32(x, w, y, b)) return ref.conv2d(x, w, b, g, y, relu);
    const { nt, perThread, work } = this.convWork(g);
    this.threaded('conv2d', nt, [x as Float32Array, w as Float32Array, b as Float32Array | null, relu ? 1 : 0, ...this.convSizes(g),
      out(y as Float32Array), work, perThread]);
  }

  conv2dBackwardInput(dy: Data, w: Data, g: Conv2dGeometry, dx: Data): void {
    if (!f32(dy, w, dx)) return ref.conv2dBackwardInput(dy, w, g, dx);
    const { nt, perThread, work } = this.convWork(g);
    this.threaded('conv2dBackwardInput', nt, [dy as Float32Array, w as Float32Array, ...this.convSizes(g), out(dx as Float32Array), work, perThread]);
  }

  conv2dBackwardFilter(x: Data, dy: Data, g: Conv2dGeometry, dw: Data, db: Data | null): void {
    if (!f32(x, dy, dw, db)) return ref.conv2dBackwardFilter(x, dy, g, dw, db);
    const { nt, perThread, work } = this.convWork(g);
    const K = g.C * g.KH * g.KW;
    const parts = Math.min(g.N, FILTER_GRADIENT_PARTS);
    this.call((c) => {
      // Each fixed group of images sums its own partial gradients; the groups are then added in order.
      const dwParts = this.view((b, p, n) => new Float32Array(b, p, n), parts * g.OC * K, 'step');
      const dbParts = this.view((b, p, n) => new Float32Array(b, p, n), parts * g.OC, 'step');
      try {
        c.threaded('conv2dBackwardFilter', nt, [x as Float32Array, dy as Float32Array, ...this.convSizes(g), dwParts, dbParts, parts, work, perThread]);
        c.threaded('sumParts', 1, [dwParts, parts, g.OC * K, out(dw as Float32Array)]);
        if (db) c.threaded('sumParts', 1, [dbParts, parts, g.OC, out(db as Float32Array)]);
      } finally {
        this.heap.dispose(dwParts);
        this.heap.dispose(dbParts);
      }
    });
  }

  private poolSizes(g: Pool2dGeometry): PoolSizes {
    return [g.N * g.C, g.H, g.W, g.KH, g.KW, g.OH, g.OW, g.stride];
  }

  maxPool2d(x: Data, g: Pool2dGeometry, y: Data, argmax: Int32Array): void {
    if (!f32(x, y)) return ref.maxPool2d(x, g, y, argmax);
    this.threaded('maxPool2d', this.nt(x.length, SMALL_ELEMENTS), [x as Float32Array, ...this.poolSizes(g), out(y as Float32Array), out(argmax)]);
  }

  maxPool2dBackward(dy: Data, argmax: Int32Array, g: Pool2dGeometry, dx: Data): void {
    if (!f32(dy, dx)) return ref.maxPool2dBackward(dy, argmax, g, dx);
    // Each argmax index stays inside its own (n,c) plane, so threads split by planes never collide.
    this.threaded('maxPool2dBackward', this.nt(dx.length, SMALL_ELEMENTS),
      [dy as Float32Array, argmax, ...this.poolSizes(g), out(dx as Float32Array)]);
  }

  avgPool2d(x: Data, g: Pool2dGeometry, y: Data): void {
    if (!f32(x, y)) return ref.avgPool2d(x, g, y);
    this.threaded('avgPool2d', this.nt(x.length, SMALL_ELEMENTS), [x as Float32Array, ...this.poolSizes(g), out(y as Float32Array)]);
  }

  avgPool2dBackward(dy: Data, g: Pool2dGeometry, dx: Data): void {
    if (!f32(dy, dx)) return ref.avgPool2dBackward(dy, g, dx);
    this.threaded('avgPool2dBackward', this.nt(dx.length, SMALL_ELEMENTS), [dy as Float32Array, ...this.poolSizes(g), out(dx as Float32Array)]);
  }

  softmax(x: Data, rows: number, cols: number, y: Data, log: boolean): void {
    if (!f32(x, y)) return ref.softmax(x, rows, cols, y, log);
    this.single('softmax', [x as Float32Array, rows, cols, out(y as Float32Array), log ? 1 : 0]);
  }

  softmaxCrossEntropy(logits: Data, labels: Int32Array, rows: number, cols: number, probs: Data): number {
    if (!f32(logits, probs)) return ref.softmaxCrossEntropy(logits, labels, rows, cols, probs);
    return this.single('softmaxCrossEntropy', [logits as Float32Array, labels, rows, cols, out(probs as Float32Array)]);
  }

  dropoutMask(out_: Data, p: number, seed: number): void {
    // NOTE: p·2³² rounds up to the next integer so that "number ≥ threshold" keeps the same
    // elements as the reference's comparison with the exact real threshold.
    const threshold = Math.ceil(p * 4294967296);
    if (!f32(out_) || threshold > 0xffffffff) return ref.dropoutMask(out_, p, seed);
    this.single('dropoutMask', [out(out_ as Float32Array), out_.length, threshold, 1 / (1 - p), seed >>> 0]);
  }

  // ---- fast paths of definitions above the backends ----

  /** = softmaxBackward in src/ops/softmax.ts */
  softmaxBackward(y: Data, dy: Data, rows: number, cols: number, dx: Data, log: boolean): boolean {
    if (!f32(y, dy, dx)) return false;
    this.single('softmaxBackward', [y as Float32Array, dy as Float32Array, rows, cols, out(dx as Float32Array), log ? 1 : 0]);
    return true;
  }

  /** = countCorrect in src/nn/metrics.ts, in one kernel call (no arrays of maxima and their places to make and give back) */
  countCorrect(pred: Data, labels: Int32Array, rows: number, cols: number): number | null {
    if (!f32(pred) || cols < 1) return null;
    return this.single('countCorrect', [pred as Float32Array, labels, rows, cols]);
  }

  /** = crossEntropyBackward in src/ops/softmax.ts (a JavaScript loop over a W1 batch's 640 values took ~3 µs) */
  crossEntropyBackward(probs: Data, labels: Int32Array, rows: number, cols: number, s: number, dx: Data): boolean {
    if (!f32(probs, dx)) return false;
    this.single('crossEntropyBackward', [probs as Float32Array, labels, rows, cols, s, out(dx as Float32Array)]);
    return true;
  }

  /** = sgdUpdate in src/optim/sgd.ts, on every tensor of the list in one kernel call */
  sgdSteps(list: readonly SgdTensor[], lr: number, momentum: number, weightDecay: number): boolean {
    if (!list.every(({ p, g, v }) => f32(p, g, v))) return false;
    this.optimizerStep('sgdSteps', list.map(({ p, g, v }) => [p, g, v, null]), [lr, momentum, weightDecay]);
    return true;
  }

  /** = adamUpdate in src/optim/adam.ts, on every tensor of the list (the bias corrections c1, c2 computed here once per step) */
  adamSteps(list: readonly AdamTensor[], h: AdamHyper): boolean {
    if (!list.every(({ p, g, m, v }) => f32(p, g, m, v))) return false;
    const c1 = 1 - Math.pow(h.beta1, h.step);
    const c2 = 1 - Math.pow(h.beta2, h.step);
    this.optimizerStep('adamSteps', list.map(({ p, g, m, v }) => [p, g, m, v]),
      [h.lr, h.beta1, h.beta2, h.eps, h.weightDecay, c1, c2]);
    return true;
  }

  /**
   * One optimizer kernel over several tensors: a table of their offsets (p, g, two state arrays or
   * 0, length; the layout in assembly/elementwise.ts), and the threads share out all their elements.
   */
  private optimizerStep(kernel: 'sgdSteps' | 'adamSteps', tensors: Array<[Data, Data, Data | null, Data | null]>, hyper: number[]): void {
    const n = tensors.reduce((s, [p]) => s + p.length, 0);
    const nt = this.nt(n, SMALL_ELEMENTS);
    const entry = this.k.tensorEntryInts();
    this.call((c) => {
      // NOTE: the table is written straight into the memory: a fresh Int32Array of more than 64
      // bytes costs V8 ~1 µs (its memory is allocated outside the JS heap), a view ~0.05 µs.
      const table = new Int32Array(this.memory.buffer, c.temporary(tensors.length * entry * 4), tensors.length * entry);
      this.ownBuffers.add(table.buffer);
      const updated = (s: Data | null) => (s ? c.pointer(out(s as Float32Array)) : 0);
      tensors.forEach(([p, g, s1, s2], i) => {
        const e = i * entry;
        table[e] = updated(p);
        table[e + 1] = c.pointer(g as Float32Array);
        table[e + 2] = updated(s1);
        table[e + 3] = updated(s2);
        table[e + 4] = p.length;
      });
      c.threaded(kernel, nt, [table, tensors.length, ...hyper] as ThreadedArgs<typeof kernel>);
    });
    if (nt > 1 && this.ahead) this.postAhead();
  }
}
