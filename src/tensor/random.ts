// A small seeded pseudo-random generator, so the same seed gives the same weights,
// the same shuffles and the same dropout masks, bit for bit.
//
// Algorithm: xoshiro128** (Blackman & Vigna), 128 bits of state, 32-bit output.
// The state is seeded from one integer through splitmix32.

export class Random {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spareNormal: number | null = null;

  constructor(seed = 42) {
    this.seed(seed);
  }

  /** Reset the generator to the start of the sequence for `seed`. */
  seed(seed: number): void {
    let x = seed >>> 0;
    const next = (): number => {
      // splitmix32: spreads the bits of a small seed over the whole state.
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    this.spareNormal = null;
  }

  /**
   * The generator's whole state: the four xoshiro words and the spare normal of Box–Muller (a
   * pending second draw). Restoring it with setState continues the sequence exactly where it was,
   * which is what a training checkpoint needs for its shuffles and dropout masks.
   */
  getState(): RandomState {
    // The xor steps leave the words as signed 32-bit integers; >>> 0 shows them unsigned (same bits).
    return { s: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0], spareNormal: this.spareNormal };
  }
  /** Continue from a state that getState returned (from this or another generator). */
  setState(state: RandomState): void {
    const s = state?.s;
    if (!Array.isArray(s) || s.length !== 4 || !s.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)) {
      throw new Error(`Random.setState: expected s to be 4 unsigned 32-bit integers, got ${JSON.stringify(s)}`);
    }
    // NOTE: xoshiro's all-zero state is a fixed point (it would return 0 for ever); no seed reaches it.
    if (s.every((w) => w === 0)) throw new Error('Random.setState: expected s not all zero (xoshiro stays at 0 for ever), got [0,0,0,0]');
    const spare = state.spareNormal;
    if (spare !== null && !Number.isFinite(spare)) {
      throw new Error(`Random.setState: expected spareNormal to be a finite number or null, got ${spare}`);
    }
    [this.s0, this.s1, this.s2, this.s3] = s;
    this.spareNormal = spare;
  }
  /** A uniformly random 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal N(0, 1), by the Box–Muller transform. */
  normal(): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return z;
    }
    // NOTE: 1 - uniform() is in (0, 1], so the log never sees 0.
    const u1 = 1 - this.uniform();
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spareNormal = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** Shuffle an array in place (Fisher–Yates). */
  shuffle<T extends { length: number; [i: number]: any }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }
}

/** What Random.getState returns: plain numbers, so it goes through JSON unchanged. */
export interface RandomState {
  s: number[];
  spareNormal: number | null;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The generator that layers, data loaders and dropout use unless given their own. */
export const defaultRandom = new Random(42);

/** Seed the default generator: call once at the start for reproducible runs. */
export function manualSeed(seed: number): void {
  defaultRandom.seed(seed);
}
