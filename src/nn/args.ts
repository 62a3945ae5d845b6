// Checking layer constructor arguments. Layers take PyTorch's positional arguments and then an
// options object (or one options object with everything); a wrong call gets a message naming the
// layer, the argument, what came and the call that was expected.

/** A size that PyTorch lets you give as one number or a (height, width) pair. */
export type Size2 = number | readonly [number, number];

/** A value as it should read in an error message: strings quoted, arrays and objects spelled out. */
export function show(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'function') return `the class ${v.name || '(anonymous)'}`;
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    const name = v.constructor?.name;
    if (name && name !== 'Object') return `a ${name}`;
    return `{ ${Object.keys(v).join(', ')} }`;
  }
  return String(v);
}

/** Whether v is an options object: a plain object, not an array, tensor or layer. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** How one layer's constructor reports a bad argument: `Linear(in=784, out=undefined): …; expected new Linear(…)`. */
export class ArgError {
  constructor(readonly call: string, readonly usage: string) {}

  fail(problem: string): never {
    throw new Error(`${this.call}: ${problem}; expected ${this.usage}`);
  }

  /** An options object (or nothing); keys the layer does not know are refused, since a typo would be ignored. */
  options(v: unknown, allowed: readonly string[], what = 'options'): Record<string, unknown> {
    if (v === undefined) return {};
    if (!isPlainObject(v)) this.fail(`${what} must be an object { ${allowed.join(', ')} }, got ${show(v)}`);
    const unknown = Object.keys(v).filter((k) => !allowed.includes(k));
    if (unknown.length > 0) this.fail(`unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${allowed.join(', ')})`);
    return v;
  }

  positiveInt(v: unknown, name: string): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) this.fail(`${name} must be a positive integer, got ${show(v)}`);
    return v;
  }

  /**
   * One side of a square window: a number, or a pair [h, w] with h = w. The kernels behind these
   * layers use one size, stride and padding for both axes, so a pair that differs is refused
   * rather than silently squared.
   */
  square(v: unknown, name: string, min: 0 | 1): number {
    let n = v;
    if (Array.isArray(v)) {
      if (v.length !== 2) this.fail(`${name} must be a number or a pair [h, w], got ${show(v)}`);
      if (v[0] !== v[1]) this.fail(`${name} ${show(v)} is not square, and this layer supports square windows only: pass one number or [k, k]`);
      n = v[0];
    }
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min) {
      this.fail(`${name} must be a ${min === 1 ? 'positive' : 'non-negative'} integer (or a pair of equal ones), got ${show(v)}`);
    }
    return n;
  }

  boolean(v: unknown, name: string, fallback: boolean): boolean {
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') this.fail(`${name} must be true or false, got ${show(v)}`);
    return v;
  }
}
