// Shapes: sizes, strides and broadcasting.
//
// A tensor's elements are stored row-major (C order): the last axis varies fastest.
// The layout itself (sizeOf, stridesOf, broadcastStrides) lives in src/backends/strides.ts,
// with the kernels that walk flat memory by it (backends import nothing from src/tensor);
// it is re-exported here for the layers above.
import type { Shape } from '../backends/strides.js';

export { sizeOf, stridesOf, broadcastStrides, type Shape } from '../backends/strides.js';

export function shapeEquals(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function formatShape(shape: Shape): string {
  return `(${shape.join(',')})`;
}

/**
 * The shape two operands broadcast to, NumPy style: align trailing axes; each pair
 * must be equal or one of them 1. (3,1,5) with (4,5) -> (3,4,5).
 */
export function broadcastShapes(a: Shape, b: Shape, op = 'broadcast'): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast together (axis ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Normalize a possibly negative axis (-1 = last) and check it is in range. */
export function normalizeAxis(axis: number, rank: number, op: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new Error(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return a;
}

/** Check a user-supplied shape: non-negative integers. */
export function checkShape(shape: Shape, what: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new Error(`${what}: invalid shape ${formatShape(shape)}, expected non-negative integers`);
    }
  }
}
