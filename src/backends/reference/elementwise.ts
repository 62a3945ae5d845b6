// Reference elementwise kernels: one plain loop each.
import type { BinaryOp, Data, UnaryOp } from '../backend.js';
import { broadcastStrides, sizeOf } from '../../tensor/shape.js';

/** y = f(x) */
export function unary(op: UnaryOp, x: Data, y: Data, p: number): void {
  const n = x.length;
  switch (op) {
    case 'neg': for (let i = 0; i < n; i++) y[i] = -x[i]; break;
    case 'exp': for (let i = 0; i < n; i++) y[i] = Math.exp(x[i]); break;
    case 'log': for (let i = 0; i < n; i++) y[i] = Math.log(x[i]); break;
    case 'sqrt': for (let i = 0; i < n; i++) y[i] = Math.sqrt(x[i]); break;
    case 'abs': for (let i = 0; i < n; i++) y[i] = Math.abs(x[i]); break;
    case 'relu': for (let i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0; break;
    // NOTE: sigmoid as 1/(1+e^-x) overflows e^-x for very negative x, but the result
    // still rounds to the right limit (1/(1+inf) = 0), so no special case is needed.
    case 'sigmoid': for (let i = 0; i < n; i++) y[i] = 1 / (1 + Math.exp(-x[i])); break;
    case 'tanh': for (let i = 0; i < n; i++) y[i] = Math.tanh(x[i]); break;
    case 'pow': for (let i = 0; i < n; i++) y[i] = Math.pow(x[i], p); break;
    case 'scale': for (let i = 0; i < n; i++) y[i] = x[i] * p; break;
    case 'addScalar': for (let i = 0; i < n; i++) y[i] = x[i] + p; break;
  }
}

/** dx = dy · f'(x), using the forward output y where that is cheaper. */
export function unaryBackward(op: UnaryOp, x: Data, y: Data, dy: Data, dx: Data, p: number): void {
  const n = x.length;
  switch (op) {
    case 'neg': for (let i = 0; i < n; i++) dx[i] = -dy[i]; break; // d(−x) = −1
    case 'exp': for (let i = 0; i < n; i++) dx[i] = dy[i] * y[i]; break; // d eˣ = eˣ
    case 'log': for (let i = 0; i < n; i++) dx[i] = dy[i] / x[i]; break; // d ln x = 1/x
    case 'sqrt': for (let i = 0; i < n; i++) dx[i] = dy[i] / (2 * y[i]); break; // d √x = 1/(2√x)
    case 'abs': for (let i = 0; i < n; i++) dx[i] = dy[i] * Math.sign(x[i]); break;
    case 'relu': for (let i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : 0; break; // 1 where x > 0
    case 'sigmoid': for (let i = 0; i < n; i++) dx[i] = dy[i] * y[i] * (1 - y[i]); break; // σ(1−σ)
    case 'tanh': for (let i = 0; i < n; i++) dx[i] = dy[i] * (1 - y[i] * y[i]); break; // 1 − tanh²
    case 'pow': for (let i = 0; i < n; i++) dx[i] = dy[i] * p * Math.pow(x[i], p - 1); break; // p·x^(p−1)
    case 'scale': for (let i = 0; i < n; i++) dx[i] = dy[i] * p; break;
    case 'addScalar': for (let i = 0; i < n; i++) dx[i] = dy[i]; break;
  }
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
