// Convolution and pooling ops (NCHW).
import type { Conv2dGeometry, Pool2dGeometry } from '../backends/backend.js';
import { backend } from '../backends/index.js';
import { accumulate, result } from '../autograd/engine.js';
import type { Tensor } from '../tensor/tensor.js';
import { formatShape, sizeOf } from '../tensor/shape.js';
import { reluGrad } from './elementwise.js';

export interface Conv2dOptions {
  stride?: number;
  padding?: number;
  /** Apply ReLU as the feature maps are stored (fused: same values as conv2d then relu). */
  relu?: boolean;
}

/** Output size of a sliding window: ⌊(in + 2·pad − k) / stride⌋ + 1. */
export function outputSize(size: number, kernel: number, stride: number, padding: number): number {
  return Math.floor((size + 2 * padding - kernel) / stride) + 1;
}

/**
 * 2-D convolution (strictly, cross-correlation, as in every deep learning library):
 * each of the OC kernels slides over the input and, at each position, takes the dot
 * product with the C×KH×KW patch under it; the result is one feature map per kernel.
 *
 *   y[n,oc,oh,ow] = b[oc] + Σ_{c,kh,kw} w[oc,c,kh,kw] · x[n, c, oh·s + kh − p, ow·s + kw − p]
 *   x:(N,C,H,W) w:(OC,C,KH,KW) b:(OC) -> y:(N,OC,OH,OW)
 *
 * Backward:
 *   dx = Σ_oc dy[n,oc] "full"-correlated with the flipped kernel w[oc]   (conv2dBackwardInput)
 *   dw[oc,c] = Σ_n dy[n,oc] correlated with x[n,c]                       (conv2dBackwardFilter)
 *   db[oc] = Σ_{n,oh,ow} dy[n,oc,oh,ow]
 * With options.relu, y = max(0, ·) and dy first becomes dy ⊙ [y > 0].
 */
export function conv2d(x: Tensor, w: Tensor, b: Tensor | null, options: Conv2dOptions = {}, layer = 'conv2d'): Tensor {
  const stride = options.stride ?? 1;
  const padding = options.padding ?? 0;
  const [OC, C, KH, KW] = w.shape;
  if (x.rank !== 4 || x.shape[1] !== C) {
    throw new Error(`${layer}: expected input (N,${C},H,W), got ${formatShape(x.shape)}`);
  }
  const [N, , H, W] = x.shape;
  const OH = outputSize(H, KH, stride, padding);
  const OW = outputSize(W, KW, stride, padding);
  if (OH < 1 || OW < 1) {
    throw new Error(`${layer}: a ${KH}×${KW} kernel with padding ${padding} does not fit a ${H}×${W} input`);
  }
  const g: Conv2dGeometry = { N, C, H, W, OC, KH, KW, OH, OW, stride, padding };
  const y = backend().empty(N * OC * OH * OW, x.dtype);
  const relu = options.relu ?? false;
  backend().conv2d(x.data, w.data, b ? b.data : null, g, y, relu);
  const parents = b ? [x, w, b] : [x, w];
  return result(y, [N, OC, OH, OW], relu ? 'conv2d+relu' : 'conv2d', parents, (dyIn) => {
    const dy = relu ? reluGrad(y, dyIn, x.dtype) : dyIn;
    if (x.requiresGrad) {
      const dx = backend().empty(x.size, x.dtype); // the kernel zeroes it
      backend().conv2dBackwardInput(dy, w.data, g, dx);
      accumulate(x, dx, true);
    }
    const wantB = b !== null && b.requiresGrad;
    if (w.requiresGrad || wantB) {
      const dw = backend().empty(w.size, w.dtype); // the kernel overwrites both
      const db = wantB ? backend().empty(OC, b.dtype) : null;
      backend().conv2dBackwardFilter(x.data, dy, g, dw, db);
      if (w.requiresGrad) accumulate(w, dw, true);
      if (b && db) accumulate(b, db, true);
    }
  });
}

export interface Pool2dOptions {
  kernelSize?: number;
  /** Defaults to kernelSize: windows side by side, not overlapping. */
  stride?: number;
}

function poolGeometry(x: Tensor, options: Pool2dOptions, layer: string): Pool2dGeometry {
  const k = options.kernelSize ?? 2;
  const stride = options.stride ?? k;
  if (x.rank !== 4) throw new Error(`${layer}: expected input (N,C,H,W), got ${formatShape(x.shape)}`);
  const [N, C, H, W] = x.shape;
  const OH = outputSize(H, k, stride, 0);
  const OW = outputSize(W, k, stride, 0);
  if (OH < 1 || OW < 1) throw new Error(`${layer}: a ${k}×${k} window does not fit a ${H}×${W} input`);
  return { N, C, H, W, KH: k, KW: k, OH, OW, stride };
}

/**
 * Max pooling: each output is the largest value in its window, so the map shrinks
 * (downsampling) while the strongest response of each feature survives.
 *   y[n,c,oh,ow] = max_{kh,kw} x[n, c, oh·s + kh, ow·s + kw]
 *   dx: dy goes to the one input that was the maximum; the rest get 0.
 */
export function maxPool2d(x: Tensor, options: Pool2dOptions = {}, layer = 'maxPool2d'): Tensor {
  const g = poolGeometry(x, options, layer);
  const shape = [g.N, g.C, g.OH, g.OW];
  const y = backend().empty(sizeOf(shape), x.dtype);
  const argmax = backend().allocInt32(y.length);
  backend().maxPool2d(x.data, g, y, argmax);
  return result(y, shape, 'maxPool2d', [x], (dy) => {
    const dx = backend().empty(x.size, x.dtype); // the kernel zeroes it
    backend().maxPool2dBackward(dy, argmax, g, dx);
    accumulate(x, dx, true);
  });
}

/**
 * Average pooling: each output is the mean of its window.
 *   y[n,c,oh,ow] = (1/(KH·KW)) Σ_{kh,kw} x[n, c, oh·s + kh, ow·s + kw]
 *   dx: each input of a window gets dy / (KH·KW).
 */
export function avgPool2d(x: Tensor, options: Pool2dOptions = {}, layer = 'avgPool2d'): Tensor {
  const g = poolGeometry(x, options, layer);
  const shape = [g.N, g.C, g.OH, g.OW];
  const y = backend().empty(sizeOf(shape), x.dtype);
  backend().avgPool2d(x.data, g, y);
  return result(y, shape, 'avgPool2d', [x], (dy) => {
    const dx = backend().empty(x.size, x.dtype); // the kernel zeroes it
    backend().avgPool2dBackward(dy, g, dx);
    accumulate(x, dx, true);
  });
}
