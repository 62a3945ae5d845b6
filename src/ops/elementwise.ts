// Elementwise ops: arithmetic with broadcasting, and functions of one input.
import type { BinaryOp, Data, ScalarFunction } from '../backends/backend.js';
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

/** out = a ∘ b for a binary op, broadcast to `shape`: raw arrays, for use inside backward closures. */
function combine(op: BinaryOp, a: Data, aShape: readonly number[], b: Data, bShape: readonly number[], shape: number[]): Data {
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
    const minusDy = backend().empty(dy.length, a.dtype);
    backend().map(NEG, dy, minusDy, 0);
    return [dy, minusDy];
  });
}

/** y = a ⊙ b    da = dy ⊙ b,  db = dy ⊙ a */
export function mul(a: Tensor, b: Tensor | number): Tensor {
  const bt = asTensor(b, a);
  return binaryOp('mul', a, bt, (dy, shape) => [
    a.requiresGrad ? combine('mul', dy, shape, bt.data, bt.shape, shape) : null,
    bt.requiresGrad ? combine('mul', dy, shape, a.data, a.shape, shape) : null,
  ]);
}

/** y = a / b    da = dy / b,  db = −dy ⊙ a / b² = −dy ⊙ y / b */
export function div(a: Tensor, b: Tensor | number): Tensor {
  const bt = asTensor(b, a);
  const y = binaryOp('div', a, bt, (dy, shape) => {
    const da = a.requiresGrad || bt.requiresGrad ? combine('div', dy, shape, bt.data, bt.shape, shape) : null;
    let db: Data | null = null;
    if (bt.requiresGrad && da) {
      db = combine('mul', da, shape, y.data, shape, shape); // dy/b · a/b
      backend().map(NEG, db, db, 0);
    }
    return [a.requiresGrad ? da : null, db];
  });
  return y;
}

// ---- functions of one input: each defined once, its value and its derivative side by side ----
// A backend loops them over arrays (Backend.map, Backend.mapBackward); `df` receives both x and
// y = f(x) because some derivatives are cheapest from the output (d eˣ/dx = eˣ = y).

/** Define a function of one number for the ops below. */
function fn(name: string, f: ScalarFunction['f'], df: ScalarFunction['df']): ScalarFunction {
  return { name, f, df };
}

/** y = −x              dy/dx = −1 */
export const NEG = fn('neg', (x) => -x, () => -1);
/** y = eˣ              dy/dx = eˣ = y */
export const EXP = fn('exp', (x) => Math.exp(x), (_x, y) => y);
/** y = ln x            dy/dx = 1/x */
export const LOG = fn('log', (x) => Math.log(x), (x) => 1 / x);
/** y = √x              dy/dx = 1/(2√x) = 1/(2y) */
export const SQRT = fn('sqrt', (x) => Math.sqrt(x), (_x, y) => 1 / (2 * y));
/** y = |x|             dy/dx = sign(x)   (0 at x = 0, as PyTorch) */
export const ABS = fn('abs', (x) => Math.abs(x), (x) => Math.sign(x));
/** y = xᵖ              dy/dx = p·xᵖ⁻¹ */
export const POW = fn('pow', (x, p) => Math.pow(x, p), (x, _y, p) => p * Math.pow(x, p - 1));
/** y = s·x             dy/dx = s */
export const SCALE = fn('scale', (x, s) => x * s, (_x, _y, s) => s);
/**
 * y = max(0, x)        dy/dx = 1 where x > 0, else 0
 * NOTE: at x = 0 the derivative is taken as 0 (PyTorch does the same); NaN maps to 0.
 */
export const RELU = fn('relu', (x) => (x > 0 ? x : 0), (x) => (x > 0 ? 1 : 0));
/**
 * y = 1/(1 + e⁻ˣ)      dy/dx = y·(1 − y)
 * NOTE: e⁻ˣ overflows to ∞ for very negative x, and 1/(1 + ∞) = 0 is still the right limit.
 */
export const SIGMOID = fn('sigmoid', (x) => 1 / (1 + Math.exp(-x)), (_x, y) => y * (1 - y));
/** y = tanh x          dy/dx = 1 − tanh²x = 1 − y² */
export const TANH = fn('tanh', (x) => Math.tanh(x), (_x, y) => 1 - y * y);

/** y = f(x) elementwise;   dx = dy ⊙ f′(x)   (the chain rule, one element at a time) */
function unaryOp(f: ScalarFunction, x: Tensor, param = 0): Tensor {
  const y = backend().empty(x.size, x.dtype);
  backend().map(f, x.data, y, param);
  return result(y, x.shape, f.name, [x], (dy) => {
    const dx = backend().empty(x.size, x.dtype);
    backend().mapBackward(f, x.data, y, dy, dx, param);
    accumulate(x, dx, true);
  });
}

/** y = −x */
export const neg = (x: Tensor): Tensor => unaryOp(NEG, x);
/** y = eˣ */
export const exp = (x: Tensor): Tensor => unaryOp(EXP, x);
/** y = ln x */
export const log = (x: Tensor): Tensor => unaryOp(LOG, x);
/** y = √x */
export const sqrt = (x: Tensor): Tensor => unaryOp(SQRT, x);
/** y = |x| */
export const abs = (x: Tensor): Tensor => unaryOp(ABS, x);
/** y = xᵖ */
export const pow = (x: Tensor, p: number): Tensor => unaryOp(POW, x, p);
/** y = s·x (s a number) */
export const scale = (x: Tensor, s: number): Tensor => unaryOp(SCALE, x, s);

/**
 * ReLU, the rectified linear unit: y = max(0, x).
 * The non-linearity that lets stacked layers represent more than one linear map.
 */
export const relu = (x: Tensor): Tensor => unaryOp(RELU, x);

/**
 * The gradient through a ReLU fused into the layer before it (linear, conv2d with relu: true):
 * dy ⊙ [y > 0], from the layer's output y alone, since y > 0 exactly where its input was > 0.
 */
export function reluGrad(y: Data, dy: Data, dtype: Tensor['dtype']): Data {
  const dz = backend().empty(y.length, dtype);
  backend().mapBackward(RELU, y, y, dy, dz, 0);
  return dz;
}
/** Sigmoid (logistic): squashes to (0,1). */
export const sigmoid = (x: Tensor): Tensor => unaryOp(SIGMOID, x);
/** Hyperbolic tangent: squashes to (−1,1). */
export const tanh = (x: Tensor): Tensor => unaryOp(TANH, x);
