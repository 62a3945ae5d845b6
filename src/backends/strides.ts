// Flat memory layout, owned by the backends: sizes and strides of row-major (C order) arrays.
//
// A tensor's elements are stored row-major: the last axis varies fastest. For shape
// (N, C, H, W) the strides are (C·H·W, H·W, W, 1). Kernels walk flat memory with these;
// src/tensor/shape.ts re-exports them for the layers above, so the backends never
// import from src/tensor.

export type Shape = readonly number[];

/** Number of elements in an array of this shape (1 for a scalar, shape []). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides: stride[i] = product of shape[i+1..]. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/**
 * Strides for reading an operand of shape `from` as if it had the broadcast shape `to`:
 * axes that are missing or of size 1 get stride 0, so the same element repeats.
 */
export function broadcastStrides(from: Shape, to: Shape): number[] {
  const own = stridesOf(from);
  const out = new Array<number>(to.length).fill(0);
  const offset = to.length - from.length;
  for (let i = 0; i < from.length; i++) {
    out[offset + i] = from[i] === 1 ? 0 : own[i];
  }
  return out;
}
