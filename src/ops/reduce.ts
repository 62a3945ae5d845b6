// Reductions: sum, mean and max over axes.
import { backend } from '../backends/index.js';
import { accumulate, result } from '../autograd/engine.js';
import type { Tensor } from '../tensor/tensor.js';
import { normalizeAxis, sizeOf } from '../tensor/shape.js';
import { mul } from './elementwise.js';

function resolveAxes(x: Tensor, axes: number | number[] | undefined, op: string): number[] {
  if (axes === undefined) return x.shape.map((_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  return [...new Set(list.map((a) => normalizeAxis(a, x.rank, op)))].sort((a, b) => a - b);
}

function outShape(x: Tensor, axes: number[], keepDims: boolean): number[] {
  return keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
}

/**
 * y = Σ x over `axes` (all axes by default).
 * dx = dy repeated along the summed axes (each input contributed with weight 1).
 */
export function sum(x: Tensor, axes?: number | number[], keepDims = false): Tensor {
  const ax = resolveAxes(x, axes, 'sum');
  const kept = x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const y = backend().empty(sizeOf(kept), x.dtype); // every output is written by reduce
  backend().reduce('sum', x.data, x.shape, ax, y);
  return result(y, outShape(x, ax, keepDims), 'sum', [x], (dy) => {
    const dx = backend().alloc(x.size, x.dtype);
    const zero = backend().alloc(x.size, x.dtype);
    backend().binary('add', zero, x.shape, dy, kept, dx, x.shape);
    accumulate(x, dx, true);
  });
}

/** y = mean of x over `axes`  = sum / count.   dx = dy / count, repeated. */
export function mean(x: Tensor, axes?: number | number[], keepDims = false): Tensor {
  const ax = resolveAxes(x, axes, 'mean');
  const count = ax.reduce((n, a) => n * x.shape[a], 1);
  return mul(sum(x, ax, keepDims), 1 / count);
}

/**
 * y = max of x over `axes`.   dx = dy at the position of the maximum, 0 elsewhere.
 * NOTE: on ties the first maximum takes the whole gradient (a subgradient choice, like PyTorch's max(dim)).
 */
export function max(x: Tensor, axes?: number | number[], keepDims = false): Tensor {
  const ax = resolveAxes(x, axes, 'max');
  const kept = x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const y = backend().empty(sizeOf(kept), x.dtype); // every output is written by reduce
  const arg = new Int32Array(y.length);
  backend().reduce('max', x.data, x.shape, ax, y, arg);
  return result(y, outShape(x, ax, keepDims), 'max', [x], (dy) => {
    const dx = backend().alloc(x.size, x.dtype);
    for (let i = 0; i < arg.length; i++) dx[arg[i]] += dy[i];
    accumulate(x, dx, true);
  });
}

/** Index of the largest value along `axis` (not differentiable). For (N, classes) logits: the predicted class of each row. */
export function argmax(x: Tensor, axis = -1): Int32Array {
  const a = normalizeAxis(axis, x.rank, 'argmax');
  const kept = x.shape.map((d, i) => (i === a ? 1 : d));
  const y = backend().empty(sizeOf(kept), x.dtype); // every output is written by reduce
  const arg = new Int32Array(y.length);
  backend().reduce('max', x.data, x.shape, [a], y, arg);
  // Convert flat indices to positions along the axis.
  const stride = x.shape.slice(a + 1).reduce((n, d) => n * d, 1);
  for (let i = 0; i < arg.length; i++) arg[i] = Math.floor(arg[i] / stride) % x.shape[a];
  return arg;
}
