// Elementwise ops: arithmetic with broadcasting, and functions of one input.
import type { BinaryOp, Data, UnaryOp } from '../backends/backend.js';
import { backend } from '../backends/index.js';
import { accumulate, result } from '../autograd/engine.js';
import { Tensor } from '../tensor/tensor.js';
import { broadcastShapes, shapeEquals, sizeOf } from '../tensor/shape.js';

function asTensor(o: Tensor | number, like: Tensor): Tensor {
  if (o instanceof Tensor) return o;
  const data = backend().alloc(1, like.dtype);
  data[0] = o;
  return new Tensor(data, [], false);
}

/**
 * Sum a gradient of the broadcast shape `from` down to the operand's shape `to`:
 * every axis that broadcasting stretched is summed over (the adjoint of repeating).
 */
export function sumTo(g: Data, from: readonly number[], to: readonly number[], dtype: 'float32' | 'float64'): Data {
  if (shapeEquals(from, to)) return g;
  const lead = from.length - to.length;
  const axes: number[] = [];
  for (let i = 0; i < from.length; i++) {
    const d = i < lead ? 1 : to[i - lead];
    if (d === 1 && from[i] !== 1) axes.push(i);
  }
  const out = backend().alloc(sizeOf(to), dtype);
  backend().reduce('sum', g, from, axes, out);
  return out;
}

function binaryOp(op: BinaryOp, a: Tensor, b: Tensor,
                  grads: (dy: Data, shape: number[]) => [Data | null, Data | null]): Tensor {
  const shape = broadcastShapes(a.shape, b.shape, op);
  const out = backend().empty(sizeOf(shape), a.dtype);
  backend().binary(op, a.data, a.shape, b.data, b.shape, out, shape);
  return result(out, shape, op, [a, b], (dy) => {
    const [ga, gb] = grads(dy, shape);
    if (ga && a.requiresGrad) accumulate(a, sumTo(ga, shape, a.shape, a.dtype), ga !== dy);
    if (gb && b.requiresGrad) accumulate(b, sumTo(gb, shape, b.shape, b.dtype), gb !== dy);
  });
}

/** out = a·b broadcast to `shape` (used inside backward closures). */
function times(op: BinaryOp, a: Data, aShape: readonly number[], b: Data, bShape: readonly number[], shape: number[]): Data {
  const out = backend().empty(sizeOf(shape), a instanceof Float64Array ? 'float64' : 'float32');
  backend().binary(op, a, aShape, b, bShape, out, shape);
  return out;
}

/** y = a + b   (broadcasting)    da = dy, db = dy (summed over broadcast axes) */
export function add(a: Tensor, b: Tensor | number): Tensor {
  const bt = asTensor(b, a);
  return binaryOp('add', a, bt, (dy) => [dy, dy]);
}

/** y = a − b    da = dy, db = −dy */
export function sub(a: Tensor, b: Tensor | number): Tensor {
  const bt = asTensor(b, a);
  return binaryOp('sub', a, bt, (dy) => {
    const neg = backend().empty(dy.length, a.dtype);
    backend().unary('neg', dy, neg, 0);
    return [dy, neg];
  });
}

/** y = a ⊙ b    da = dy ⊙ b,  db = dy ⊙ a */
export function mul(a: Tensor, b: Tensor | number): Tensor {
  const bt = asTensor(b, a);
  return binaryOp('mul', a, bt, (dy, shape) => [
    a.requiresGrad ? times('mul', dy, shape, bt.data, bt.shape, shape) : null,
    bt.requiresGrad ? times('mul', dy, shape, a.data, a.shape, shape) : null,
  ]);
}

/** y = a / b    da = dy / b,  db = −dy ⊙ a / b² = −dy ⊙ y / b */
export function div(a: Tensor, b: Tensor | number): Tensor {
  const bt = asTensor(b, a);
  const y = binaryOp('div', a, bt, (dy, shape) => {
    const da = a.requiresGrad || bt.requiresGrad ? times('div', dy, shape, bt.data, bt.shape, shape) : null;
    let db: Data | null = null;
    if (bt.requiresGrad && da) {
      db = times('mul', da, shape, y.data, shape, shape); // dy/b · a/b
      backend().unary('neg', db, db, 0);
    }
    return [a.requiresGrad ? da : null, db];
  });
  return y;
}

function unaryOp(op: UnaryOp, x: Tensor, param = 0): Tensor {
  const y = backend().empty(x.size, x.dtype);
  backend().unary(op, x.data, y, param);
  return result(y, x.shape, op, [x], (dy) => {
    const dx = backend().empty(x.size, x.dtype);
    backend().unaryBackward(op, x.data, y, dy, dx, param);
    accumulate(x, dx, true);
  });
}

/** y = −x */
export const neg = (x: Tensor): Tensor => unaryOp('neg', x);
/** y = eˣ      dx = dy·eˣ */
export const exp = (x: Tensor): Tensor => unaryOp('exp', x);
/** y = ln x    dx = dy/x */
export const log = (x: Tensor): Tensor => unaryOp('log', x);
/** y = √x      dx = dy/(2√x) */
export const sqrt = (x: Tensor): Tensor => unaryOp('sqrt', x);
/** y = |x|     dx = dy·sign(x) */
export const abs = (x: Tensor): Tensor => unaryOp('abs', x);
/** y = xᵖ      dx = dy·p·xᵖ⁻¹ */
export const pow = (x: Tensor, p: number): Tensor => unaryOp('pow', x, p);
/** y = s·x (s a number) */
export const scale = (x: Tensor, s: number): Tensor => unaryOp('scale', x, s);

/**
 * ReLU, the rectified linear unit: y = max(0, x).   dx = dy where x > 0, else 0.
 * The non-linearity that lets stacked layers represent more than one linear map.
 */
export const relu = (x: Tensor): Tensor => unaryOp('relu', x);

/**
 * The gradient through a ReLU fused into the layer before it (linear, conv2d with relu: true):
 * dy ⊙ [y > 0], from the layer's output y alone, since y > 0 exactly where its input was > 0.
 */
export function reluGrad(y: Data, dy: Data, dtype: Tensor['dtype']): Data {
  const dz = backend().empty(y.length, dtype);
  backend().unaryBackward('relu', y, y, dy, dz, 0);
  return dz;
}
/** Sigmoid (logistic): y = 1/(1+e⁻ˣ), squashes to (0,1).   dx = dy·y·(1−y) */
export const sigmoid = (x: Tensor): Tensor => unaryOp('sigmoid', x);
/** Hyperbolic tangent: squashes to (−1,1).   dx = dy·(1−y²) */
export const tanh = (x: Tensor): Tensor => unaryOp('tanh', x);
