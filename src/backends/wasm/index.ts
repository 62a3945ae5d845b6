// The wasm backend: kernels compiled from AssemblyScript (src/backends/wasm/assembly) to
// WebAssembly with 128-bit SIMD, run on a pool of threads that share one memory.
// Browser-safe; Node-specific start-up (V8 flags, worker_threads) is in ./node.ts.
//
// Tensors live inside the WebAssembly memory: `alloc` hands out Float32Array views of it, so
// kernels get byte offsets and nothing is copied around a kernel call. Memory comes back
// (1) at the end of a `scope` for everything allocated inside it and not kept — the training
// loop runs each step in one — and (2) otherwise when the garbage collector finds the view unused.
// Arrays from elsewhere (a plain Float32Array, or float64 for gradient checks) still work: they
// are copied in and out, or handled by the reference kernels.
import type { AdamHyper, Backend, BinaryOp, Conv2dGeometry, Data, Epilogue, Pool2dGeometry, ReduceOp, UnaryOp } from '../backend.js';
import { referenceBackend as ref } from '../reference/index.js';
import * as bins from './generated/kernels.js';
import { CONTROL_BYTES, ThreadPool, type KernelExports, type SpawnThread } from './pool.js';

const PAGE = 65536;
const ALIGN = 64;
const OPS: Record<string, number> = { add: 0, sub: 1, mul: 2, div: 3 };
/** Kernels that run on the thread pool (workers index into this list). */
const KERNELS = ['gemm', 'gemmNT', 'conv2d', 'conv2dBackwardInput', 'conv2dBackwardFilter', 'sumParts', 'maxPool2d', 'maxPool2dBackward',
  'avgPool2d', 'avgPool2dBackward', 'binary', 'relu', 'reluBackward', 'scale', 'axpy', 'addRowVector', 'sumRows', 'sgdStep', 'adamStep'];

/** Work (elements or multiply-adds) below which a kernel stays on one thread: waking workers would cost more. */
const SMALL_ELEMENTS = 1 << 15;
const SMALL_FLOPS = 1 << 20;
/** Up to this many outputs, A·Bᵀ runs as blocked dot products (gemmNT) instead of the packed kernel. */
const NT_MAX_OUTPUTS = 1 << 16;
/**
 * The convolution's filter gradient is summed over this many fixed groups of images (fewer for a
 * smaller batch), whatever the thread count, so it comes out the same on any number of threads.
 */
const FILTER_GRADIENT_PARTS = 16;
/** Bytes of counters at the start of a threaded kernel's scratch (SYNC_BYTES in assembly/gemm.ts). */
const SYNC_BYTES = 64;

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
}

interface Block {
  ptr: number;
  bytes: number;
}

export class WasmBackend implements Backend {
  readonly name = 'wasm';
  readonly threads: number;
  readonly relaxed: boolean;
  readonly memory: WebAssembly.Memory;
  private readonly k: KernelExports;
  private readonly pool: ThreadPool;
  private readonly ownBuffers = new WeakSet<ArrayBufferLike>();
  private top: number;
  private readonly free = new Map<number, number[]>();
  private readonly sizeOf = new Map<number, number>();
  private readonly scopes: Array<Set<number>> = [];
  private readonly registry = new FinalizationRegistry<number>((ptr) => this.release(ptr));
  private readonly tokens = new Map<number, object>();
  private readonly gemmScratch: number;
  private readonly growable: boolean;

  constructor(o: WasmBackendOptions = {}) {
    const support = wasmSupport();
    if (!support.simd) throw new Error('wasm backend: this JavaScript engine lacks WebAssembly SIMD');
    const wantThreads = Math.max(1, Math.floor(o.threads ?? 1));
    // Shared memory whenever the engine has it, even for one thread: growing a shared memory
    // keeps every existing view valid, where growing a plain one detaches them all.
    const shared = (o.shared ?? true) && support.threads;
    this.threads = shared && o.spawn !== undefined ? wantThreads : 1;
    this.relaxed = (o.relaxed ?? true) && support.relaxed;
    const variant = `${this.relaxed ? 'relaxed' : 'simd'}_${shared ? 'shared' : 'single'}` as keyof typeof bins;
    const module = new WebAssembly.Module(decode(bins[variant]));
    // NOTE: a plain memory cannot grow without detaching tensors' views, so it starts at its full size
    // (1 GiB, reserved lazily by the engine) and never grows.
    this.memory = shared
      ? new WebAssembly.Memory({ initial: 256, maximum: 65536, shared: true } as WebAssembly.MemoryDescriptor)
      : new WebAssembly.Memory({ initial: 16384, maximum: 16384 });
    this.growable = shared;
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory, abort: () => { throw new Error('wasm abort'); } } });
    this.k = instance.exports as unknown as KernelExports;
    this.ownBuffers.add(this.memory.buffer);
    this.top = align(this.k.heapBase() as number);
    const control = this.top;
    this.top = align(this.top + CONTROL_BYTES);
    this.gemmScratch = this.k.gemmScratchBytes() as number;
    this.pool = new ThreadPool(this.threads, this.k, this.memory, control, module, KERNELS, o.spawn ?? (() => { throw new Error('no spawn'); }));
  }

  /** Resolves when the worker threads are running; await it before the first kernel. */
  ready(): Promise<void> {
    return this.pool.ready();
  }

  /** Stop the worker threads. */
  close(): void {
    this.pool.close();
  }

  /** Bytes of WebAssembly memory in use by the heap (for tests and benchmarks). */
  get heapBytes(): number {
    return this.top;
  }

  // ---- memory ----

  private buffer(): ArrayBufferLike {
    const b = this.memory.buffer;
    this.ownBuffers.add(b);
    return b;
  }

  /** Raw allocation of `bytes` (rounded up); returns a byte offset. Not zeroed. */
  private allocBytes(bytes: number): number {
    const size = Math.max(ALIGN, align(bytes));
    const list = this.free.get(size);
    let ptr = list?.pop();
    if (ptr === undefined) {
      ptr = this.top;
      this.top += size;
      const need = this.top - this.memory.buffer.byteLength;
      if (need > 0) {
        if (!this.growable) throw new Error(`wasm backend: out of memory (${this.memory.buffer.byteLength} bytes in use; without SharedArrayBuffer the memory cannot grow)`);
        const pages = Math.ceil(Math.max(need, this.memory.buffer.byteLength / 4) / PAGE);
        this.memory.grow(Math.min(pages, 65536 - this.memory.buffer.byteLength / PAGE));
      }
    }
    this.sizeOf.set(ptr, size);
    const scope = this.scopes[this.scopes.length - 1];
    if (scope) scope.add(ptr);
    return ptr;
  }

  private release(ptr: number): void {
    const size = this.sizeOf.get(ptr);
    if (size === undefined) return;
    this.sizeOf.delete(ptr);
    const token = this.tokens.get(ptr);
    if (token) {
      this.registry.unregister(token);
      this.tokens.delete(ptr);
    }
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(ptr);
  }

  /** Outside a scope, a view is freed when the garbage collector finds it unused. */
  private track<T extends object>(view: T, ptr: number): T {
    if (this.scopes.length === 0) {
      const token = {};
      this.tokens.set(ptr, token);
      this.registry.register(view, ptr, token);
    }
    return view;
  }

  alloc(n: number, dtype: 'float32' | 'float64'): Data {
    if (dtype === 'float64') return new Float64Array(n);
    const ptr = this.allocBytes(n * 4);
    const view = new Float32Array(this.buffer(), ptr, n);
    this.k.zero(ptr, n * 4);
    return this.track(view, ptr);
  }

  empty(n: number, dtype: 'float32' | 'float64'): Data {
    if (dtype === 'float64') return new Float64Array(n);
    const ptr = this.allocBytes(n * 4);
    return this.track(new Float32Array(this.buffer(), ptr, n), ptr);
  }

  allocInt32(n: number): Int32Array {
    const ptr = this.allocBytes(n * 4);
    return this.track(new Int32Array(this.buffer(), ptr, n), ptr);
  }

  scope<T>(fn: () => T): T {
    const set = new Set<number>();
    this.scopes.push(set);
    try {
      return fn();
    } finally {
      this.scopes.pop();
      for (const ptr of set) this.release(ptr);
    }
  }

  keep(d: Data | Int32Array): void {
    if (!this.owns(d)) return;
    const ptr = d.byteOffset;
    for (const s of this.scopes) {
      if (s.delete(ptr)) {
        // From now on the garbage collector decides (or an explicit dispose).
        const token = {};
        this.tokens.set(ptr, token);
        this.registry.register(d, ptr, token);
        return;
      }
    }
  }

  dispose(d: Data | Int32Array): void {
    if (!this.owns(d) || !this.sizeOf.has(d.byteOffset)) return;
    for (const s of this.scopes) s.delete(d.byteOffset);
    this.release(d.byteOffset);
  }

  private owns(d: ArrayBufferView): boolean {
    return this.ownBuffers.has(d.buffer);
  }

  /**
   * Byte offset of `d` in the memory. Arrays from elsewhere are copied into a temporary block,
   * and `after` collects the work to copy results back and free it.
   */
  private ptr(d: Float32Array | Int32Array, after: Array<() => void>, output = false): number {
    if (this.owns(d)) return d.byteOffset;
    const p = this.allocBytes(d.length * 4);
    const tmp = d instanceof Int32Array ? new Int32Array(this.buffer(), p, d.length) : new Float32Array(this.buffer(), p, d.length);
    tmp.set(d);
    after.push(() => {
      if (output) d.set(tmp);
      this.release(p);
    });
    return p;
  }

  private temp(bytes: number, after: Array<() => void>): number {
    const p = this.allocBytes(bytes);
    after.push(() => this.release(p));
    return p;
  }

  /** Scratch for a kernel whose threads share counters in its first SYNC_BYTES, which start at zero. */
  private sharedScratch(bytes: number, after: Array<() => void>): number {
    const p = this.temp(bytes, after);
    new Int32Array(this.memory.buffer, p, SYNC_BYTES / 4).fill(0);
    return p;
  }

  private finish(after: Array<() => void>): void {
    for (const f of after) f();
  }

  /** Threads for a kernel: 1 for small work, else all of them (kernels and scratch assume one or the other). */
  private nt(work: number, small: number): number {
    return work < small ? 1 : this.threads;
  }

  // ---- kernels ----

  unary(op: UnaryOp, x: Data, y: Data, p: number): void {
    if (!(x instanceof Float32Array && y instanceof Float32Array) || (op !== 'relu' && op !== 'scale')) return ref.unary(op, x, y, p);
    const after: Array<() => void> = [];
    const px = this.ptr(x, after), py = this.ptr(y, after, true);
    const nt = this.nt(x.length, SMALL_ELEMENTS);
    if (op === 'relu') this.runOn(nt, 'relu', [px, py, x.length]);
    else this.runOn(nt, 'scale', [px, p, py, x.length]);
    this.finish(after);
  }

  unaryBackward(op: UnaryOp, x: Data, y: Data, dy: Data, dx: Data, p: number): void {
    if (op !== 'relu' || !(x instanceof Float32Array && dy instanceof Float32Array && dx instanceof Float32Array)) {
      return ref.unaryBackward(op, x, y, dy, dx, p);
    }
    const after: Array<() => void> = [];
    const px = this.ptr(x, after), pdy = this.ptr(dy, after), pdx = this.ptr(dx, after, true);
    this.runOn(this.nt(x.length, SMALL_ELEMENTS), 'reluBackward', [px, pdy, pdx, x.length]);
    this.finish(after);
  }

  binary(op: BinaryOp, a: Data, aShape: readonly number[], b: Data, bShape: readonly number[], out: Data, outShape: readonly number[]): void {
    const code = OPS[op];
    const simple = a.length === out.length && (b.length === out.length || b.length === 1);
    if (code === undefined || !simple || !(a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array)) {
      return ref.binary(op, a, aShape, b, bShape, out, outShape);
    }
    const after: Array<() => void> = [];
    const pa = this.ptr(a, after), pb = this.ptr(b, after), po = this.ptr(out, after, true);
    this.runOn(this.nt(out.length, SMALL_ELEMENTS), 'binary', [code, pa, pb, b.length === 1 && out.length !== 1 ? 1 : 0, po, out.length]);
    this.finish(after);
  }

  axpy(alpha: number, x: Data, y: Data): void {
    if (!(x instanceof Float32Array && y instanceof Float32Array)) return ref.axpy(alpha, x, y);
    const after: Array<() => void> = [];
    const px = this.ptr(x, after), py = this.ptr(y, after, true);
    this.runOn(this.nt(x.length, SMALL_ELEMENTS), 'axpy', [alpha, px, py, x.length]);
    this.finish(after);
  }

  reduce(op: ReduceOp, x: Data, shape: readonly number[], axes: readonly number[], out: Data, argmax?: Int32Array): void {
    // The kernel reduces one contiguous block of axes, x seen as (outer, R, inner): every
    // reduction the ops use (all axes, the batch axis, the last axis). Others: the reference.
    const sorted = [...axes].sort((p, q) => p - q);
    const contiguous = sorted.every((a, i) => i === 0 || a === sorted[i - 1] + 1);
    if (!(x instanceof Float32Array && out instanceof Float32Array) || !contiguous) {
      return ref.reduce(op, x, shape, axes, out, argmax);
    }
    const first = sorted.length ? sorted[0] : shape.length, last = sorted.length ? sorted[sorted.length - 1] : shape.length - 1;
    const product = (from: number, to: number) => shape.slice(from, to).reduce((p, d) => p * d, 1);
    const after: Array<() => void> = [];
    const px = this.ptr(x, after), po = this.ptr(out, after, true);
    const pa = argmax && op === 'max' ? this.ptr(argmax, after, true) : 0;
    this.k.reduce(op === 'max' ? 1 : 0, px, product(0, first), product(first, last + 1), product(last + 1, shape.length), po, pa);
    this.finish(after);
  }

  permute(x: Data, shape: readonly number[], perm: readonly number[], y: Data): void {
    ref.permute(x, shape, perm, y);
  }

  copyBox(src: Data, srcShape: readonly number[], srcStart: readonly number[], dst: Data, dstShape: readonly number[],
          dstStart: readonly number[], box: readonly number[]): void {
    ref.copyBox(src, srcShape, srcStart, dst, dstShape, dstStart, box);
  }

  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, a: Data, b: Data, beta: 0 | 1, c: Data,
       epilogue: Epilogue = {}): void {
    const bias = epilogue.bias ?? null;
    if (!(a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array && (bias === null || bias instanceof Float32Array))) {
      return ref.gemm(transA, transB, M, N, K, a, b, beta, c, epilogue);
    }
    const after: Array<() => void> = [];
    const pa = this.ptr(a, after), pb = this.ptr(b, after), pc = this.ptr(c, after, true);
    const pbias = bias ? this.ptr(bias, after) : 0, relu = epilogue.relu ? 1 : 0;
    const nt = this.nt(M * N * K, SMALL_FLOPS);
    if (!transA && transB && M * N <= NT_MAX_OUTPUTS) {
      // A·Bᵀ with both rows contiguous (dense layers): dot products, no packing.
      this.runOn(nt, 'gemmNT', [M, N, K, pa, pb, beta, pc, pbias, relu]);
      this.finish(after);
      return;
    }
    const scratch = nt === 1 ? this.temp(this.gemmScratch, after) : this.sharedScratch(this.k.gemmSharedScratchBytes(nt) as number, after);
    this.runOn(nt, 'gemm', [transA ? 1 : 0, transB ? 1 : 0, M, N, K, pa, pb, beta, pc, pbias, 0, relu, scratch]);
    this.finish(after);
  }

  addRowVector(y: Data, b: Data, rows: number, cols: number): void {
    if (!(y instanceof Float32Array && b instanceof Float32Array)) return ref.addRowVector(y, b, rows, cols);
    const after: Array<() => void> = [];
    const py = this.ptr(y, after, true), pb = this.ptr(b, after);
    this.runOn(this.nt(rows * cols, SMALL_ELEMENTS), 'addRowVector', [py, pb, rows, cols]);
    this.finish(after);
  }

  sumRows(dy: Data, rows: number, cols: number, out: Data, accumulate: boolean): void {
    if (!(dy instanceof Float32Array && out instanceof Float32Array)) return ref.sumRows(dy, rows, cols, out, accumulate);
    const after: Array<() => void> = [];
    const pd = this.ptr(dy, after), po = this.ptr(out, after, true);
    this.runOn(this.nt(rows * cols, SMALL_ELEMENTS), 'sumRows', [pd, rows, cols, po, accumulate ? 1 : 0]);
    this.finish(after);
  }

  private convArgs(g: Conv2dGeometry): number[] {
    return [g.N, g.C, g.H, g.W, g.OC, g.KH, g.KW, g.OH, g.OW, g.stride, g.padding];
  }

  private convScratch(g: Conv2dGeometry): number {
    return align(this.k.convScratchBytes(g.C, g.KH, g.KW, g.OH, g.OW) as number);
  }

  /** 1 or all threads; with fewer images than threads, the extra threads find empty ranges. */
  private convThreads(g: Conv2dGeometry): number {
    return this.nt(g.N * g.OC * g.OH * g.OW * g.C * g.KH * g.KW, SMALL_FLOPS);
  }

  conv2d(x: Data, w: Data, b: Data | null, g: Conv2dGeometry, y: Data, relu = false): void {
    if (!(x instanceof Float32Array && w instanceof Float32Array && y instanceof Float32Array && (b === null || b instanceof Float32Array))) {
      return ref.conv2d(x, w, b, g, y, relu);
    }
    const after: Array<() => void> = [];
    const px = this.ptr(x, after), pw = this.ptr(w, after), pb = b ? this.ptr(b, after) : 0, py = this.ptr(y, after, true);
    const nt = this.convThreads(g);
    const scratchPerThread = this.convScratch(g);
    const scratch = this.sharedScratch(SYNC_BYTES + scratchPerThread * nt, after);
    this.runOn(nt, 'conv2d', [px, pw, pb, relu ? 1 : 0, ...this.convArgs(g), py, scratch, scratchPerThread]);
    this.finish(after);
  }

  conv2dBackwardInput(dy: Data, w: Data, g: Conv2dGeometry, dx: Data): void {
    if (!(dy instanceof Float32Array && w instanceof Float32Array && dx instanceof Float32Array)) return ref.conv2dBackwardInput(dy, w, g, dx);
    const after: Array<() => void> = [];
    const pdy = this.ptr(dy, after), pw = this.ptr(w, after), pdx = this.ptr(dx, after, true);
    const nt = this.convThreads(g);
    const scratchPerThread = this.convScratch(g);
    const scratch = this.sharedScratch(SYNC_BYTES + scratchPerThread * nt, after);
    this.runOn(nt, 'conv2dBackwardInput', [pdy, pw, ...this.convArgs(g), pdx, scratch, scratchPerThread]);
    this.finish(after);
  }

  conv2dBackwardFilter(x: Data, dy: Data, g: Conv2dGeometry, dw: Data, db: Data | null): void {
    if (!(x instanceof Float32Array && dy instanceof Float32Array && dw instanceof Float32Array && (db === null || db instanceof Float32Array))) {
      return ref.conv2dBackwardFilter(x, dy, g, dw, db);
    }
    const after: Array<() => void> = [];
    const px = this.ptr(x, after), pdy = this.ptr(dy, after), pdw = this.ptr(dw, after, true);
    const nt = this.convThreads(g);
    const K = g.C * g.KH * g.KW;
    const parts = Math.min(g.N, FILTER_GRADIENT_PARTS);
    const dwParts = this.temp(parts * g.OC * K * 4, after);
    const dbParts = this.temp(parts * g.OC * 4, after);
    const scratchPerThread = this.convScratch(g);
    const scratch = this.sharedScratch(SYNC_BYTES + scratchPerThread * nt, after);
    this.runOn(nt, 'conv2dBackwardFilter', [px, pdy, ...this.convArgs(g), dwParts, dbParts, parts, scratch, scratchPerThread]);
    this.runOn(1, 'sumParts', [dwParts, parts, g.OC * K, pdw]);
    if (db) {
      const pdb = this.ptr(db, after, true);
      this.runOn(1, 'sumParts', [dbParts, parts, g.OC, pdb]);
    }
    this.finish(after);
  }

  private poolArgs(g: Pool2dGeometry): number[] {
    return [g.N * g.C, g.H, g.W, g.KH, g.KW, g.OH, g.OW, g.stride];
  }

  maxPool2d(x: Data, g: Pool2dGeometry, y: Data, argmax: Int32Array): void {
    if (!(x instanceof Float32Array && y instanceof Float32Array)) return ref.maxPool2d(x, g, y, argmax);
    const after: Array<() => void> = [];
    const px = this.ptr(x, after), py = this.ptr(y, after, true), pa = this.ptr(argmax, after, true);
    this.runOn(this.nt(x.length, SMALL_ELEMENTS), 'maxPool2d', [px, ...this.poolArgs(g), py, pa]);
    this.finish(after);
  }

  maxPool2dBackward(dy: Data, argmax: Int32Array, g: Pool2dGeometry, dx: Data): void {
    if (!(dy instanceof Float32Array && dx instanceof Float32Array)) return ref.maxPool2dBackward(dy, argmax, g, dx);
    const after: Array<() => void> = [];
    const pdy = this.ptr(dy, after), pa = this.ptr(argmax, after), pdx = this.ptr(dx, after, true);
    // Each argmax index stays inside its own (n,c) plane, so threads split by planes never collide.
    this.runOn(this.nt(dx.length, SMALL_ELEMENTS), 'maxPool2dBackward', [pdy, pa, g.N * g.C, g.H * g.W, g.OH * g.OW, pdx]);
    this.finish(after);
  }

  avgPool2d(x: Data, g: Pool2dGeometry, y: Data): void {
    if (!(x instanceof Float32Array && y instanceof Float32Array)) return ref.avgPool2d(x, g, y);
    const after: Array<() => void> = [];
    const px = this.ptr(x, after), py = this.ptr(y, after, true);
    this.runOn(this.nt(x.length, SMALL_ELEMENTS), 'avgPool2d', [px, ...this.poolArgs(g), py]);
    this.finish(after);
  }

  avgPool2dBackward(dy: Data, g: Pool2dGeometry, dx: Data): void {
    if (!(dy instanceof Float32Array && dx instanceof Float32Array)) return ref.avgPool2dBackward(dy, g, dx);
    const after: Array<() => void> = [];
    const pdy = this.ptr(dy, after), pdx = this.ptr(dx, after, true);
    this.runOn(this.nt(dx.length, SMALL_ELEMENTS), 'avgPool2dBackward', [pdy, ...this.poolArgs(g), pdx]);
    this.finish(after);
  }

  softmax(x: Data, rows: number, cols: number, y: Data, log: boolean): void {
    if (!(x instanceof Float32Array && y instanceof Float32Array)) return ref.softmax(x, rows, cols, y, log);
    const after: Array<() => void> = [];
    const px = this.ptr(x, after), py = this.ptr(y, after, true);
    this.k.softmax(px, rows, cols, py, log ? 1 : 0);
    this.finish(after);
  }

  softmaxBackward(y: Data, dy: Data, rows: number, cols: number, dx: Data, log: boolean): void {
    if (!(y instanceof Float32Array && dy instanceof Float32Array && dx instanceof Float32Array)) {
      return ref.softmaxBackward(y, dy, rows, cols, dx, log);
    }
    const after: Array<() => void> = [];
    const py = this.ptr(y, after), pdy = this.ptr(dy, after), pdx = this.ptr(dx, after, true);
    this.k.softmaxBackward(py, pdy, rows, cols, pdx, log ? 1 : 0);
    this.finish(after);
  }

  softmaxCrossEntropy(logits: Data, labels: Int32Array, rows: number, cols: number, probs: Data): number {
    if (!(logits instanceof Float32Array && probs instanceof Float32Array)) return ref.softmaxCrossEntropy(logits, labels, rows, cols, probs);
    const after: Array<() => void> = [];
    const pl = this.ptr(logits, after), py = this.ptr(labels, after), pp = this.ptr(probs, after, true);
    const loss = this.k.softmaxCrossEntropy(pl, py, rows, cols, pp) as number;
    this.finish(after);
    return loss;
  }

  dropoutMask(out: Data, p: number, seed: number): void {
    // NOTE: p·2³² rounds up to the next integer so that "number ≥ threshold" keeps the same
    // elements as the reference's comparison with the exact real threshold.
    const threshold = Math.ceil(p * 4294967296);
    if (!(out instanceof Float32Array) || threshold > 0xffffffff) return ref.dropoutMask(out, p, seed);
    const after: Array<() => void> = [];
    const po = this.ptr(out, after, true);
    this.k.dropoutMask(po, out.length, threshold, 1 / (1 - p), seed >>> 0);
    this.finish(after);
  }

  sgdStep(p: Data, g: Data, v: Data | null, lr: number, momentum: number, weightDecay: number): void {
    if (!(p instanceof Float32Array && g instanceof Float32Array && (v === null || v instanceof Float32Array))) {
      return ref.sgdStep(p, g, v, lr, momentum, weightDecay);
    }
    const after: Array<() => void> = [];
    const pp = this.ptr(p, after, true), pg = this.ptr(g, after), pv = v ? this.ptr(v, after, true) : 0;
    this.runOn(this.nt(p.length, SMALL_ELEMENTS), 'sgdStep', [pp, pg, pv, p.length, lr, momentum, weightDecay]);
    this.finish(after);
  }

  adamStep(p: Data, g: Data, m: Data, v: Data, h: AdamHyper): void {
    if (!(p instanceof Float32Array && g instanceof Float32Array && m instanceof Float32Array && v instanceof Float32Array)) {
      return ref.adamStep(p, g, m, v, h);
    }
    const after: Array<() => void> = [];
    const pp = this.ptr(p, after, true), pg = this.ptr(g, after), pm = this.ptr(m, after, true), pv = this.ptr(v, after, true);
    const c1 = 1 - Math.pow(h.beta1, h.step);
    const c2 = 1 - Math.pow(h.beta2, h.step);
    this.runOn(this.nt(p.length, SMALL_ELEMENTS), 'adamStep', [pp, pg, pm, pv, p.length, h.lr, h.beta1, h.beta2, h.eps, h.weightDecay, c1, c2]);
    this.finish(after);
  }

  private runOn(nt: number, kernel: string, args: number[]): void {
    if (nt <= 1) this.k[kernel](...args, 0, 1);
    else this.pool.run(kernel, args);
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
