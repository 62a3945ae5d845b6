// The wasm backend's memory: a heap of tensors inside one WebAssembly memory, and the rules that
// give each allocation back. Browser-safe.
//
// The garbage collector cannot see inside a WebAssembly memory, and its finalizers never run
// inside a synchronous loop (a training loop written by hand is one), so the heap decides itself
// when an array is no longer needed. Every allocation has one of four lifetimes:
//
//   scoped     allocated inside scope(fn): released when fn returns (the library's own loops).
//   step       an op's result outside any scope: released once two step boundaries have passed
//              since it was made. A boundary is the end of backward() or a DataLoader moving on
//              to its next batch, so a step's tensors can still be read after its backward and
//              optimizer step, and are gone once the next step's backward has run — the rule
//              PyTorch users know ("backward frees the graph"). Code that reaches no boundary
//              (forward passes only) hands them to the garbage collector every 32 MB (demote).
//   user       a tensor the user made (tensor(), zeros(), a parameter) outside any scope: the
//              garbage collector's (a FinalizationRegistry gives the memory back).
//   kept       taken out of its scope or step by keep(): a leaf's gradient, optimizer state.
//
// A released array is marked (a symbol-keyed property on the array itself), so reading a reclaimed
// tensor fails with a message that says how to keep it instead of returning another tensor's numbers.

const PAGE = 65536;
/** Every block starts on a 64-byte boundary (a cache line; SIMD loads never straddle one). */
export const ALIGN = 64;
/** 4 GiB: a 32-bit WebAssembly memory cannot be larger. */
const MAX_PAGES = 65536;
/**
 * Step-list length, and bytes of step blocks made since the last boundary, at which the step lists'
 * blocks are handed to the garbage collector (see demote).
 */
const PRUNE_AT = 4096;
const DEMOTE_BYTES = 32 << 20;
/** Kept arrays left unregistered with the garbage collector between two boundaries, at most (and DEMOTE_BYTES of them; see keep). */
const KEPT_UNWATCHED = 256;

import type { Lifetime } from '../backend.js';

type View = Float32Array | Int32Array | Uint8Array;

/** One allocation: its place and its size class (a place is reused; a Block object never). */
interface Block {
  ptr: number;
  bytes: number;
  /** In use: false once given back (its place may then belong to a newer block). */
  live: boolean;
  /** Registered with the FinalizationRegistry (the block is its own held value and unregister token). */
  watched: boolean;
  /**
   * The array handed out, while a scope or the step lists track it: held strongly (a scope ends soon,
   * a step list at the next boundary but one), weakly once demote() has given it to the garbage
   * collector (a page that never reaches a boundary must not pin it).
   */
  view: View | WeakRef<View> | null;
}

function viewOf(b: Block): View | undefined {
  return b.view instanceof WeakRef ? b.view.deref() : b.view ?? undefined;
}

export function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

export class WasmHeap {
  private top: number;
  /**
   * The last block made at each byte offset, in use or not (block.live). NOTE: entries are replaced,
   * never deleted: a Map that grows and shrinks by a step's ~40 arrays every step rehashes as it goes.
   */
  private readonly blocks = new Map<number, Block>();
  /** Blocks in use. */
  private liveCount = 0;
  /** Released blocks by size, for reuse. */
  private readonly free = new Map<number, number[]>();
  private readonly scopes: Array<Block[]> = [];
  /** Step-lifetime blocks made since the last boundary, and between the two boundaries before it. */
  private current: Block[] = [];
  private previous: Block[] = [];
  private pruneAt = PRUNE_AT;
  /** Bytes of the step blocks made since the last boundary or demote(). */
  private stepBytes = 0;
  /** Arrays kept since the last boundary, and between the two boundaries before it, not yet registered with the garbage collector. */
  private keptNew: Array<[Block, View]> = [];
  private keptOld: Array<[Block, View]> = [];
  /** Bytes of the arrays in keptNew. */
  private keptBytes = 0;
  private readonly registry = new FinalizationRegistry<Block>((b) => this.release(b));

  constructor(readonly memory: WebAssembly.Memory, base: number, private readonly growable: boolean) {
    this.top = align(base);
  }

  /** Bytes from the start of memory to the end of the highest block ever allocated. */
  get highWater(): number {
    return this.top;
  }

  /** Bytes in blocks now in use. */
  get bytesInUse(): number {
    let n = 0;
    for (const b of this.blocks.values()) if (b.live) n += b.bytes;
    return n;
  }

  /** Reserve bytes at the bottom of the heap for good (the thread pool's control block). Returns the offset. */
  reserve(bytes: number): number {
    const ptr = this.top;
    this.top = align(this.top + bytes);
    return ptr;
  }

  /** A new array of n 32-bit elements, not zeroed, with the given lifetime outside a scope. */
  allocate<T extends View>(make: (buffer: ArrayBufferLike, ptr: number, n: number) => T, n: number, lifetime: Lifetime): T {
    const block = this.take(n * 4);
    const view = make(this.memory.buffer, block.ptr, n);
    this.track(block, view, lifetime);
    return view;
  }

  /**
   * n 32-bit elements outside every scope and lifetime until adopt() gives them one (or dispose()
   * frees them): a buffer another thread fills while this one goes on.
   */
  detached<T extends View>(make: (buffer: ArrayBufferLike, ptr: number, n: number) => T, n: number): T {
    const block = this.take(n * 4);
    const view = make(this.memory.buffer, block.ptr, n);
    block.view = view;
    return view;
  }

  /** Give a detached() array the lifetime an array allocated now would get. */
  adopt(view: View, lifetime: Lifetime): void {
    const b = this.blocks.get(view.byteOffset);
    if (!b || !b.live || b.view !== view) return;
    this.track(b, view, lifetime);
  }

  /** Put a new block under the open scope, the step lists or the garbage collector (see the top of this file). */
  private track(block: Block, view: View, lifetime: Lifetime): void {
    const scope = this.scopes[this.scopes.length - 1];
    if (scope) {
      block.view = view;
      scope.push(block);
    } else if (lifetime === 'step') {
      // NOTE: held strongly and not registered with the garbage collector: a training loop reaches a
      // boundary every step, and a weak reference and a registration for each of a step's ~30 arrays
      // made a hand-written W1 loop ~6% slower. Only code that piles up step blocks gets them.
      block.view = view;
      this.current.push(block);
      this.stepBytes += block.bytes;
      if (this.current.length >= this.pruneAt || this.stepBytes >= DEMOTE_BYTES) this.demote();
    } else {
      block.view = null;
      this.collectWhenUnused(view, block);
    }
  }

  /**
   * n bytes that stay until the garbage collector collects the returned view, whatever scope is open
   * (a data set's bytes, copied in once and read by every batch).
   */
  lastingBytes(n: number): Uint8Array {
    const block = this.take(n);
    const view = new Uint8Array(this.memory.buffer, block.ptr, n);
    this.collectWhenUnused(view, block);
    return view;
  }

  /** A temporary block for one kernel call (copies, scratch); give it back with `give`. */
  temporary(bytes: number): number {
    return this.take(bytes).ptr;
  }

  give(ptr: number): void {
    const b = this.blocks.get(ptr);
    if (b) this.release(b);
  }

  private take(bytes: number): Block {
    const size = Math.max(ALIGN, align(bytes));
    let ptr = this.free.get(size)?.pop();
    if (ptr === undefined) {
      ptr = this.top;
      this.grow(ptr + size);
      this.top = ptr + size;
    }
    const block: Block = { ptr, bytes: size, live: true, watched: false, view: null };
    this.blocks.set(ptr, block);
    this.liveCount++;
    return block;
  }

  private grow(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil(Math.max(end - have, have / 4) / PAGE);
    const possible = this.growable ? MAX_PAGES - have / PAGE : 0;
    if (end > MAX_PAGES * PAGE || Math.ceil((end - have) / PAGE) > possible) {
      throw new RangeError(`wasm backend: out of memory: ${mb(this.bytesInUse)} in ${this.liveCount} arrays are in use and ` +
        `${mb(end - this.top)} more were asked for` + (this.growable
        ? ' (WebAssembly memory ends at 4 GiB). Tensors you create yourself (tensor(), zeros(), clone()) in a loop stay ' +
          'until the garbage collector runs; create them through a DataLoader or inside scope(), or release them with dispose().'
        : ' (without SharedArrayBuffer the memory cannot grow past 1 GiB).'));
    }
    this.memory.grow(Math.min(pages, possible));
  }

  private release(b: Block): void {
    if (!b.live) return;
    b.live = false;
    this.liveCount--;
    const view = viewOf(b);
    if (view) markReleased(view);
    b.view = null;
    if (b.watched) {
      this.registry.unregister(b);
      b.watched = false;
    }
    let list = this.free.get(b.bytes);
    if (!list) this.free.set(b.bytes, (list = []));
    list.push(b.ptr);
  }

  /**
   * Code that never reaches a boundary (a page that only runs forward passes) would pin its step
   * blocks: hand them to the garbage collector (held weakly from now on, given back once their
   * arrays are unreachable; a boundary still releases them first), and drop from the lists the ones
   * already given back, so the lists stay short.
   */
  private demote(): void {
    const weaken = (list: Block[]): Block[] => list.filter((b) => {
      const view = b.view;
      if (!b.live || view === null) return false; // given back, or kept
      if (!(view instanceof WeakRef)) {
        b.view = new WeakRef(view);
        this.collectWhenUnused(view, b);
      }
      return true;
    });
    this.current = weaken(this.current);
    this.previous = weaken(this.previous);
    this.stepBytes = 0;
    this.pruneAt = Math.max(PRUNE_AT, 2 * this.current.length);
  }

  private collectWhenUnused(view: View, b: Block): void {
    b.watched = true;
    this.registry.register(view, b, b);
  }

  // ---- lifetimes ----

  scope<T>(fn: () => T): T {
    const blocks: Block[] = [];
    this.scopes.push(blocks);
    try {
      return fn();
    } finally {
      this.scopes.pop();
      for (const b of blocks) if (b.view !== null) this.release(b); // (null: kept)
    }
  }

  /**
   * A step boundary: release the step-lifetime blocks made before the previous boundary. Inside a
   * scope it releases nothing — the scope already frees the step; outside tensors stay untouched.
   * Either way, arrays kept before the previous boundary and still in use go to the garbage collector.
   */
  boundary(): void {
    for (const [b, view] of this.keptOld) if (b.live && !b.watched) this.collectWhenUnused(view, b);
    this.keptOld = this.keptNew;
    this.keptNew = [];
    this.keptBytes = 0;
    if (this.scopes.length > 0) return;
    for (const b of this.previous) if (b.view !== null) this.release(b);
    this.previous = this.current;
    this.current = [];
    this.stepBytes = 0;
  }

  /** Take an array out of automatic release (scope or step): from now on the garbage collector decides. */
  keep(view: View): void {
    const b = this.blocks.get(view.byteOffset);
    if (!b || !b.live || viewOf(b) !== view) return;
    b.view = null; // no longer tracked: the scope or step list that holds it passes it over
    if (b.watched) return;
    // NOTE: registered with the garbage collector only if it outlives two boundaries: a leaf's
    // gradient, kept at each backward and disposed by the next zeroGrad, never is (a registration
    // and its removal cost ~1 µs per array). Too many kept, or too many bytes, with no boundary:
    // registered at once (code that never ends a step must not pin what it keeps and drops).
    this.keptNew.push([b, view]);
    this.keptBytes += b.bytes;
    if (this.keptNew.length > KEPT_UNWATCHED || this.keptBytes > DEMOTE_BYTES) {
      for (const list of [this.keptOld, this.keptNew]) for (const [k, v] of list) if (k.live && !k.watched) this.collectWhenUnused(v, k);
      this.keptOld = [];
      this.keptNew = [];
      this.keptBytes = 0;
    }
  }

  /** Release an array now; it must not be used again. */
  dispose(view: View): void {
    // A view released before (its place perhaps another array's now) releases nothing.
    if ((view as Marked)[RELEASED]) return;
    const b = this.blocks.get(view.byteOffset);
    if (!b || !b.live || (b.view !== null && viewOf(b) !== view)) return;
    b.view = view;
    this.release(b);
  }

  /** Whether `view` was handed out by this heap and has been released since. */
  isReleased(view: object): boolean {
    return (view as Marked)[RELEASED] === true;
  }
}

/**
 * The mark on a released array. NOTE: a property on the array rather than a WeakSet of released
 * arrays: adding to a WeakSet cost ~0.7 µs, and a W1 training step releases 14 arrays.
 */
const RELEASED = Symbol('zerograd.released');
type Marked = { [RELEASED]?: true };

function markReleased(view: View): void {
  (view as Marked)[RELEASED] = true;
}

function mb(bytes: number): string {
  return `${(bytes / 1048576).toFixed(0)} MB`;
}
