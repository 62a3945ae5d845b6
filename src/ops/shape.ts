// Shape ops: reshape, flatten, transpose, slice, pad, concat. They move values, never change them,
// so each backward moves the gradient back the same way.
import { backend } from '../backends/index.js';
import { accumulate, result } from '../autograd/engine.js';
import type { Tensor } from '../tensor/tensor.js';
import { formatShape, normalizeAxis, sizeOf } from '../tensor/shape.js';

/**
 * Same values, new shape (one axis may be −1: inferred).   dx = dy reshaped back.
 * Storage is shared: row-major order does not change.
 */
export function reshape(x: Tensor, shape: number[]): Tensor {
  const known = shape.filter((d) => d !== -1).reduce((n, d) => n * d, 1);
  const wild = shape.filter((d) => d === -1).length;
  const final = wild === 1 && known > 0 ? shape.map((d) => (d === -1 ? x.size / known : d)) : shape;
  if (wild > 1 || sizeOf(final) !== x.size || final.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`reshape: cannot reshape ${formatShape(x.shape)} (${x.size} elements) to ${formatShape(shape)}`);
  }
  return result(x.data, final, 'reshape', [x], (dy) => accumulate(x, dy));
}

/** (N, d1, d2, …) -> (N, d1·d2·…): the bridge from feature maps to a fully connected layer. */
export function flatten(x: Tensor, startAxis = 1): Tensor {
  const s = normalizeAxis(startAxis, x.rank, 'flatten');
  return reshape(x, [...x.shape.slice(0, s), sizeOf(x.shape.slice(s))]);
}

/** Permute axes (default: reverse them; for a matrix, the transpose).   dx = dy with the inverse permutation. */
export function transpose(x: Tensor, perm?: number[]): Tensor {
  const p = perm ?? x.shape.map((_, i) => x.rank - 1 - i);
  if (p.length !== x.rank || [...p].sort((a, b) => a - b).some((v, i) => v !== i)) {
    throw new Error(`transpose: permutation [${p.join(',')}] does not fit a tensor of rank ${x.rank}`);
  }
  const shape = p.map((a) => x.shape[a]);
  const y = backend().alloc(x.size, x.dtype);
  backend().permute(x.data, x.shape, p, y);
  return result(y, shape, 'transpose', [x], (dy) => {
    const inverse = new Array<number>(p.length);
    p.forEach((a, i) => (inverse[a] = i));
    const dx = backend().alloc(x.size, x.dtype);
    backend().permute(dy, shape, inverse, dx);
    accumulate(x, dx, true);
  });
}

/** y = x[starts[0]:ends[0], starts[1]:ends[1], …].   dx = dy placed back at `starts`, zeros elsewhere. */
export function slice(x: Tensor, starts: number[], ends: number[]): Tensor {
  if (starts.length !== x.rank || ends.length !== x.rank) {
    throw new Error(`slice: expected ${x.rank} starts and ends for shape ${formatShape(x.shape)}, got ${starts.length} and ${ends.length}`);
  }
  const box = x.shape.map((d, i) => {
    const s = starts[i];
    const e = ends[i];
    if (!(Number.isInteger(s) && Number.isInteger(e) && 0 <= s && s <= e && e <= d)) {
      throw new Error(`slice: range [${s}, ${e}) is outside axis ${i} of size ${d} in shape ${formatShape(x.shape)}`);
    }
    return e - s;
  });
  const zero = box.map(() => 0);
  const y = backend().alloc(sizeOf(box), x.dtype);
  backend().copyBox(x.data, x.shape, starts, y, box, zero, box);
  return result(y, box, 'slice', [x], (dy) => {
    const dx = backend().alloc(x.size, x.dtype);
    backend().copyBox(dy, box, zero, dx, x.shape, starts, box);
    accumulate(x, dx, true);
  });
}

/** Zero padding: pads[i] = [before, after] for axis i.   dx = the slice of dy without the padding. */
export function pad(x: Tensor, pads: Array<[number, number]>): Tensor {
  if (pads.length !== x.rank || pads.some(([a, b]) => !Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < 0)) {
    throw new Error(`pad: expected ${x.rank} pairs of non-negative integers for shape ${formatShape(x.shape)}`);
  }
  const shape = x.shape.map((d, i) => d + pads[i][0] + pads[i][1]);
  const at = pads.map(([a]) => a);
  const zero = at.map(() => 0);
  const y = backend().alloc(sizeOf(shape), x.dtype);
  backend().copyBox(x.data, x.shape, zero, y, shape, at, x.shape);
  return result(y, shape, 'pad', [x], (dy) => {
    const dx = backend().alloc(x.size, x.dtype);
    backend().copyBox(dy, shape, at, dx, x.shape, zero, x.shape);
    accumulate(x, dx, true);
  });
}

/** Join tensors along `axis`; all other axes must match.   Each input's gradient is its slice of dy. */
export function concat(xs: Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new Error('concat: expected at least one tensor');
  const first = xs[0];
  const a = normalizeAxis(axis, first.rank, 'concat');
  for (const t of xs) {
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new Error(`concat: shapes ${formatShape(first.shape)} and ${formatShape(t.shape)} differ outside axis ${a}`);
    }
  }
  const shape = first.shape.slice();
  shape[a] = xs.reduce((n, t) => n + t.shape[a], 0);
  const y = backend().alloc(sizeOf(shape), first.dtype);
  const offsets: number[] = [];
  let off = 0;
  for (const t of xs) {
    const at = shape.map((_, i) => (i === a ? off : 0));
    backend().copyBox(t.data, t.shape, t.shape.map(() => 0), y, shape, at, t.shape);
    offsets.push(off);
    off += t.shape[a];
  }
  return result(y, shape, 'concat', xs, (dy) => {
    xs.forEach((t, k) => {
      if (!t.requiresGrad) return;
      const at = shape.map((_, i) => (i === a ? offsets[k] : 0));
      const dx = backend().alloc(t.size, t.dtype);
      backend().copyBox(dy, shape, at, dx, t.shape, t.shape.map(() => 0), t.shape);
      accumulate(t, dx, true);
    });
  });
}
