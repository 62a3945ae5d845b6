// Reference elementwise kernels: one plain loop each.
import type { BinaryOp, Data, ScalarFunction } from '../backend.js';
import { broadcastStrides, sizeOf } from '../strides.js';

/** y[i] = f(x[i]). The function and its derivative are math, defined in src/ops/elementwise.ts. */
export function map(fn: ScalarFunction, x: Data, y: Data, p: number): void {
  for (let i = 0; i < x.length; i++) y[i] = fn.f(x[i], p);
}

/** dx[i] = dy[i] · f'(x[i]), the chain rule one element at a time (y = f(x) from the forward). */
export function mapBackward(fn: ScalarFunction, x: Data, y: Data, dy: Data, dx: Data, p: number): void {
  for (let i = 0; i < x.length; i++) dx[i] = dy[i] * fn.df(x[i], y[i], p);
}

/** y = max(0, y) in place: the ReLU a layer applies to its own output when the two are fused. */
export function reluInPlace(y: Data): void {
  for (let i = 0; i < y.length; i++) if (!(y[i] > 0)) y[i] = 0;
}

function apply(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case 'add': return a + b;
    case 'sub': return a - b;
    case 'mul': return a * b;
    case 'div': return a / b;
    case 'maximum': return a > b ? a : b;
    case 'minimum': return a < b ? a : b;
  }
}

/** out = a ∘ b with broadcasting: walk the output, reading a and b through broadcast strides. */
export function binary(op: BinaryOp, a: Data, aShape: readonly number[], b: Data, bShape: readonly number[],
                       out: Data, outShape: readonly number[]): void {
  const n = sizeOf(outShape);
  if (a.length === n && b.length === n) {
    for (let i = 0; i < n; i++) out[i] = apply(op, a[i], b[i]);
    return;
  }
  if (b.length === 1 && a.length === n) {
    const s = b[0];
    for (let i = 0; i < n; i++) out[i] = apply(op, a[i], s);
    return;
  }
  const rank = outShape.length;
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const index = new Array<number>(rank).fill(0);
  let ia = 0;
  let ib = 0;
  for (let i = 0; i < n; i++) {
    out[i] = apply(op, a[ia], b[ib]);
    // Advance the multi-index like an odometer, updating both read offsets.
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      ia += sa[d];
      ib += sb[d];
      if (index[d] < outShape[d]) break;
      ia -= sa[d] * outShape[d];
      ib -= sb[d] * outShape[d];
      index[d] = 0;
    }
  }
}

/** y += alpha · x */
export function axpy(alpha: number, x: Data, y: Data): void {
  for (let i = 0; i < x.length; i++) y[i] += alpha * x[i];
}

/**
 * Dropout mask from xorshift32 (Marsaglia): s ^= s<<13; s ^= s>>>17; s ^= s<<5. An element is kept
 * when its 32-bit number is at least p·2³², so with probability 1−p.
 */
export function dropoutMask(out: Data, p: number, seed: number): void {
  let s = seed >>> 0 || 1; // xorshift never leaves 0
  const threshold = p * 4294967296;
  const keep = 1 / (1 - p);
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s >>> 0 >= threshold ? keep : 0;
  }
}
