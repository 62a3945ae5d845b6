// The WebAssembly kernels' signatures, and the one typed path by which the backend calls them.
// Browser-safe.
//
// Kernels take byte offsets into the shared memory (`Ptr`) and plain numbers. The backend passes
// arrays instead of offsets: `KernelCall` turns each into its offset — copying an array that lives
// outside the memory in, and for outputs (`out(y)`) back out afterwards — runs the kernel on the
// threads it is given, and gives every temporary block back.
import { align, type WasmHeap } from './memory.js';
import type { ThreadPool } from './pool.js';

/** A byte offset into the WebAssembly memory. */
export type Ptr = number & { readonly __ptr: unique symbol };
/** The last two arguments of a threaded kernel: this thread's index and the number of threads. */
type Threads = [tid: number, nt: number];
/** A convolution's sizes, as the conv kernels take them (letters from the glossary). */
export type ConvSizes = [N: number, C: number, H: number, W: number, OC: number, KH: number, KW: number, OH: number, OW: number,
  stride: number, padding: number];
/** A pooling's sizes: planes = N·C, each H×W, windows KH×KW moved by stride, giving OH×OW. */
export type PoolSizes = [planes: number, H: number, W: number, KH: number, KW: number, OH: number, OW: number, stride: number];

/** Kernels that split their work over threads (each call runs on every thread, each taking its share). */
export interface ThreadedKernels {
  gemm(transA: number, transB: number, M: number, N: number, K: number, a: Ptr, b: Ptr, beta: number, c: Ptr,
       bias: Ptr, perRow: number, relu: number, scratch: Ptr, maskA: Ptr, sumsA: Ptr, ...t: Threads): void;
  gemmNT(M: number, N: number, K: number, a: Ptr, b: Ptr, beta: number, c: Ptr, bias: Ptr, relu: number, scratch: Ptr, ...t: Threads): void;
  conv2d(...a: [x: Ptr, w: Ptr, b: Ptr, relu: number, ...g: ConvSizes, y: Ptr, scratch: Ptr, scratchPerThread: number, ...t: Threads]): void;
  conv2dBackwardInput(...a: [dy: Ptr, w: Ptr, ...g: ConvSizes, dx: Ptr, scratch: Ptr, scratchPerThread: number, ...t: Threads]): void;
  conv2dBackwardFilter(...a: [x: Ptr, dy: Ptr, ...g: ConvSizes, dwParts: Ptr, dbParts: Ptr, parts: number,
                              scratch: Ptr, scratchPerThread: number, ...t: Threads]): void;
  sumParts(parts: Ptr, count: number, n: number, out: Ptr, ...t: Threads): void;
  maxPool2d(...a: [x: Ptr, ...g: PoolSizes, y: Ptr, argmax: Ptr, ...t: Threads]): void;
  maxPool2dBackward(...a: [dy: Ptr, argmax: Ptr, ...g: PoolSizes, dx: Ptr, ...t: Threads]): void;
  avgPool2d(...a: [x: Ptr, ...g: PoolSizes, y: Ptr, ...t: Threads]): void;
  avgPool2dBackward(...a: [dy: Ptr, ...g: PoolSizes, dx: Ptr, ...t: Threads]): void;
  binary(op: number, a: Ptr, b: Ptr, bScalar: number, out: Ptr, n: number, ...t: Threads): void;
  relu(x: Ptr, y: Ptr, n: number, ...t: Threads): void;
  reluBackward(x: Ptr, dy: Ptr, dx: Ptr, n: number, ...t: Threads): void;
  scale(x: Ptr, s: number, y: Ptr, n: number, ...t: Threads): void;
  axpy(alpha: number, x: Ptr, y: Ptr, n: number, ...t: Threads): void;
  addRowVector(y: Ptr, b: Ptr, rows: number, cols: number, ...t: Threads): void;
  sumRows(dy: Ptr, rows: number, cols: number, out: Ptr, accumulate: number, ...t: Threads): void;
  channelSums(a: Ptr, b: Ptr, shiftA: Ptr, shiftB: Ptr, N: number, C: number, S: number, sumA: Ptr, sumAB: Ptr, ...t: Threads): void;
  channelAffine(x: Ptr, p: Ptr, z: Ptr, q: Ptr, r: Ptr, N: number, C: number, S: number, out: Ptr, ...t: Threads): void;
  sgdSteps(table: Ptr, count: number, lr: number, momentum: number, weightDecay: number, ...t: Threads): void;
  gatherRows(src: Ptr, rows: Ptr, count: number, rowLen: number, divisor: number, out: Ptr, ...t: Threads): void;
  adamSteps(table: Ptr, count: number, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number,
            c1: number, c2: number, ...t: Threads): void;
}

/** Kernels that run on the calling thread alone. */
export interface SingleKernels {
  softmax(x: Ptr, rows: number, cols: number, y: Ptr, log: number): void;
  softmaxBackward(y: Ptr, dy: Ptr, rows: number, cols: number, dx: Ptr, log: number): void;
  softmaxCrossEntropy(logits: Ptr, labels: Ptr, rows: number, cols: number, probs: Ptr): number;
  crossEntropyBackward(probs: Ptr, labels: Ptr, rows: number, cols: number, s: number, dx: Ptr): void;
  countCorrect(x: Ptr, labels: Ptr, rows: number, cols: number): number;
  reduce(isMax: number, x: Ptr, outer: number, R: number, inner: number, out: Ptr, argmax: Ptr): void;
  dropoutMask(out: Ptr, n: number, threshold: number, keep: number, seed: number): void;
  zero(p: Ptr, bytes: number): void;
  bytesToFloat(src: Ptr, n: number, divisor: number, out: Ptr): void;
}

/** Sizes and constants the kernels report, so they are defined once (in the AssemblyScript). */
export interface KernelInfo {
  heapBase(): number;
  /** Bytes of zeroed counters at the start of a threaded kernel's scratch. */
  syncBytes(): number;
  gemmScratchBytes(): number;
  gemmNTScratchBytes(K: number): number;
  gemmSharedScratchBytes(nt: number): number;
  /** i32 values per tensor in an optimizer kernel's table (sgdSteps, adamSteps). */
  tensorEntryInts(): number;
  convScratchBytes(C: number, KH: number, KW: number, OH: number, OW: number, OC: number): number;
  /** Spins at the kernels' barriers before sleeping, for the calling thread's instance. */
  setSpin(spins: number): void;
}

export type KernelExports = ThreadedKernels & SingleKernels & KernelInfo;

/** The names of the threaded kernels, in the order workers index them. */
export const THREADED_KERNELS: ReadonlyArray<keyof ThreadedKernels> = ['gemm', 'gemmNT', 'conv2d', 'conv2dBackwardInput',
  'conv2dBackwardFilter', 'sumParts', 'maxPool2d', 'maxPool2dBackward', 'avgPool2d', 'avgPool2dBackward', 'binary', 'relu',
  'reluBackward', 'scale', 'axpy', 'addRowVector', 'sumRows', 'sgdSteps', 'adamSteps', 'channelSums', 'channelAffine', 'gatherRows'];

type View = Float32Array | Int32Array | Uint8Array;

/** An output argument: if the array lives outside the memory, the kernel's result is copied back into it. */
export class Out {
  constructor(readonly array: View) {}
}
export const out = (array: View): Out => new Out(array);

/** Scratch memory for one call; its first `zeroed` bytes are set to 0 (a threaded kernel's counters). */
export class Scratch {
  constructor(readonly bytes: number, readonly zeroed = 0) {}
}
export const scratch = (bytes: number, zeroed = 0): Scratch => new Scratch(bytes, zeroed);

/** What the backend passes for each kernel parameter: an array (or null for "none") for an offset, a number otherwise. */
type Arg<P> = P extends Ptr ? View | Out | Scratch | null : number;
type Args<P extends unknown[]> = { [I in keyof P]: Arg<P[I]> };
type WithoutThreads<P> = P extends [...infer A, number, number] ? A : never;
export type ThreadedArgs<K extends keyof ThreadedKernels> = Args<WithoutThreads<Parameters<ThreadedKernels[K]>>>;
export type SingleArgs<K extends keyof SingleKernels> = Args<Parameters<SingleKernels[K]>>;

/**
 * The arrays the numbers of a kernel call are written into, one per length, reused by every call.
 * NOTE: a call's arguments are read before the next call is made (the kernel runs, or the pool
 * copies them into its control block), so one array per length serves them all; a new array per
 * call was a fifth of what a W1 training step allocated, and the garbage collector's time with it.
 */
const ARGUMENTS: number[][] = [];

/**
 * A region of the memory that kernel calls take their small temporaries from (labels copied in, a
 * product's counters, an optimizer's table), one call at a time: taken by bumping `used`, given
 * back by setting it back. NOTE: a heap block each cost a step ~10 takes and gives of the heap's
 * size-class lists and block table.
 */
export class Staging {
  used = 0;
  constructor(readonly ptr: number, readonly bytes: number) {}
}

/**
 * One kernel call: offsets for its array arguments, then the kernel on the threads it is given,
 * then the copies back and the temporaries given back (`finish`).
 */
export class KernelCall {
  /** Temporary blocks to give back at the end (made on first use: most calls need none). */
  private temporaries: number[] | null = null;
  /** How much of the staging region was in use when this call began (given back to it at the end). */
  private readonly stagedFrom: number;
  /** Outputs that live outside the memory, each with its copy inside it, to copy back at the end. */
  private copies: Array<[View, View]> | null = null;

  constructor(private readonly heap: WasmHeap, private readonly k: KernelExports, private readonly pool: ThreadPool,
              private readonly owns: (a: View) => boolean, private readonly staging: Staging) {
    this.stagedFrom = staging.used;
  }

  /** Run a threaded kernel on nt threads of the pool (1: on the calling thread alone). */
  threaded<K extends keyof ThreadedKernels>(kernel: K, nt: number, args: ThreadedArgs<K>): void {
    if (nt <= 1) {
      const a = this.marshal(args as ReadonlyArray<Arg<Ptr> | number>, 2);
      a[a.length - 2] = 0; // tid
      a[a.length - 1] = 1; // nt
      (this.k[kernel] as (...a: number[]) => void).apply(null, a);
    } else {
      this.pool.run(kernel, this.marshal(args as ReadonlyArray<Arg<Ptr> | number>, 0), nt);
    }
  }

  /** Run a kernel that works on the calling thread alone; returns what it returns. */
  single<K extends keyof SingleKernels>(kernel: K, args: SingleArgs<K>): ReturnType<SingleKernels[K]> {
    const a = this.marshal(args as ReadonlyArray<Arg<Ptr> | number>, 0);
    return (this.k[kernel] as (...a: number[]) => ReturnType<SingleKernels[K]>).apply(null, a);
  }

  /** The byte offset of an array argument, as the kernel would get it (for a table of offsets the kernel reads). */
  pointer(a: View | Out | null): number {
    return this.offset(a);
  }

  finish(): void {
    if (this.copies) for (const [array, copy] of this.copies) array.set(copy);
    if (this.temporaries) for (const p of this.temporaries) this.heap.give(p);
    this.staging.used = this.stagedFrom;
  }

  /** The kernel's arguments as numbers, with `extra` slots left at the end. */
  private marshal(list: ReadonlyArray<Arg<Ptr> | number>, extra: number): number[] {
    // NOTE: filled with null, not 0: an array of numbers turns into one of unboxed doubles at its
    // first fractional argument, and apply() then boxes every element of it at every call (~2.7 KB
    // a W1 step, an eighth of what it allocated); a generic array holds integers as they are.
    const a = (ARGUMENTS[list.length + extra] ??= new Array<number>(list.length + extra).fill(null as unknown as number));
    for (let i = 0; i < list.length; i++) {
      const v = list[i];
      a[i] = typeof v === 'number' ? v : this.offset(v);
    }
    return a;
  }

  /** The byte offset of an array argument (copied in if it lives elsewhere; an Out is copied back at the end). */
  private offset(a: View | Out | Scratch | null): number {
    if (a === null) return 0;
    if (a instanceof Scratch) {
      const p = this.temporary(a.bytes);
      if (a.zeroed > 0) this.k.zero(p as Ptr, a.zeroed);
      return p;
    }
    const output = a instanceof Out;
    const array = output ? a.array : a;
    if (this.owns(array)) {
      if (this.heap.isReleased(array)) throw new Error(RECLAIMED);
      return array.byteOffset;
    }
    const p = this.temporary(array.byteLength);
    const buffer = this.heap.memory.buffer;
    const copy = array instanceof Int32Array ? new Int32Array(buffer, p, array.length)
      : array instanceof Uint8Array ? new Uint8Array(buffer, p, array.length) : new Float32Array(buffer, p, array.length);
    copy.set(array);
    if (output) (this.copies ??= []).push([array, copy]);
    return p;
  }

  /** A block of memory for this call alone, given back by finish(): from the staging region if it fits. */
  temporary(bytes: number): number {
    const st = this.staging, size = align(Math.max(bytes, 1));
    if (st.used + size <= st.bytes) {
      const p = st.ptr + st.used;
      st.used += size;
      return p;
    }
    const p = this.heap.temporary(bytes);
    (this.temporaries ??= []).push(p);
    return p;
  }
}

export const RECLAIMED = 'wasm backend: a kernel was given an array whose memory was already released (a tensor read after ' +
  'its scope ended, or after the step rule reclaimed it: see Tensor.data)';
