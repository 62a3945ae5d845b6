// Reference convolution and pooling, NCHW.
//
// Convolution is computed the way "Deep Learning from Scratch" teaches it: im2col unrolls
// every KH×KW×C input patch into one column, so the whole convolution of one image becomes
// a single matrix product   y[n] (OC, OH·OW) = w (OC, C·KH·KW) · cols (C·KH·KW, OH·OW).
import type { Conv2dGeometry, Data, Pool2dGeometry } from '../backend.js';
import { gemm } from './gemm.js';
import { reluInPlace } from './elementwise.js';

/**
 * cols[(c,kh,kw), (oh,ow)] = x[n, c, oh·stride + kh − pad, ow·stride + kw − pad]  (0 outside the image)
 * x: one image (C,H,W) at offset xo -> cols: (C·KH·KW, OH·OW)
 */
export function im2col(x: Data, xo: number, g: Conv2dGeometry, cols: Data): void {
  const { C, H, W, KH, KW, OH, OW, stride, padding } = g;
  let r = 0;
  for (let c = 0; c < C; c++) {
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++, r++) {
        const row = r * OH * OW;
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * stride + kh - padding;
          for (let ow = 0; ow < OW; ow++) {
            const iw = ow * stride + kw - padding;
            cols[row + oh * OW + ow] = ih >= 0 && ih < H && iw >= 0 && iw < W ? x[xo + (c * H + ih) * W + iw] : 0;
          }
        }
      }
    }
  }
}

/** The adjoint of im2col: every column entry is added back to the pixel it came from.  dx[n] += col2im(dcols) */
export function col2im(dcols: Data, g: Conv2dGeometry, dx: Data, xo: number): void {
  const { C, H, W, KH, KW, OH, OW, stride, padding } = g;
  let r = 0;
  for (let c = 0; c < C; c++) {
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++, r++) {
        const row = r * OH * OW;
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * stride + kh - padding;
          if (ih < 0 || ih >= H) continue;
          for (let ow = 0; ow < OW; ow++) {
            const iw = ow * stride + kw - padding;
            if (iw >= 0 && iw < W) dx[xo + (c * H + ih) * W + iw] += dcols[row + oh * OW + ow];
          }
        }
      }
    }
  }
}

function scratch(like: Data, n: number): Data {
  return new (like.constructor as Float32ArrayConstructor | Float64ArrayConstructor)(n);
}

/** y[n] = w · im2col(x[n]) + b, then max(0, ·) if relu */
export function conv2d(x: Data, w: Data, b: Data | null, g: Conv2dGeometry, y: Data, relu = false): void {
  const { N, C, H, W, OC, KH, KW, OH, OW } = g;
  const K = C * KH * KW;
  const P = OH * OW;
  const cols = scratch(x, K * P);
  for (let n = 0; n < N; n++) {
    im2col(x, n * C * H * W, g, cols);
    const yn = y.subarray(n * OC * P, (n + 1) * OC * P);
    gemm(false, false, OC, P, K, w, cols, 0, yn);
    if (b) for (let oc = 0; oc < OC; oc++) for (let p = 0; p < P; p++) yn[oc * P + p] += b[oc];
    if (relu) reluInPlace(yn);
  }
}

/** dcols = wᵀ · dy[n];  dx[n] = col2im(dcols) */
export function conv2dBackwardInput(dy: Data, w: Data, g: Conv2dGeometry, dx: Data): void {
  const { N, C, H, W, OC, KH, KW, OH, OW } = g;
  const K = C * KH * KW;
  const P = OH * OW;
  const dcols = scratch(dy, K * P);
  dx.fill(0);
  for (let n = 0; n < N; n++) {
    gemm(true, false, K, P, OC, w, dy.subarray(n * OC * P, (n + 1) * OC * P), 0, dcols);
    col2im(dcols, g, dx, n * C * H * W);
  }
}

/** dw = Σ_n dy[n] · im2col(x[n])ᵀ;   db = Σ_n Σ_p dy[n, oc, p] */
export function conv2dBackwardFilter(x: Data, dy: Data, g: Conv2dGeometry, dw: Data, db: Data | null): void {
  const { N, C, H, W, OC, KH, KW, OH, OW } = g;
  const K = C * KH * KW;
  const P = OH * OW;
  const cols = scratch(x, K * P);
  dw.fill(0);
  if (db) db.fill(0);
  for (let n = 0; n < N; n++) {
    im2col(x, n * C * H * W, g, cols);
    const dyn = dy.subarray(n * OC * P, (n + 1) * OC * P);
    gemm(false, true, OC, K, P, dyn, cols, 1, dw);
    if (db) for (let oc = 0; oc < OC; oc++) for (let p = 0; p < P; p++) db[oc] += dyn[oc * P + p];
  }
}

/** y[n,c,oh,ow] = max over the window; argmax[i] = flat index in x of that maximum. */
export function maxPool2d(x: Data, g: Pool2dGeometry, y: Data, argmax: Int32Array): void {
  const { N, C, H, W, KH, KW, OH, OW, stride } = g;
  let o = 0;
  for (let nc = 0; nc < N * C; nc++) {
    const base = nc * H * W;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++, o++) {
        let best = -Infinity;
        let at = base + oh * stride * W + ow * stride;
        for (let kh = 0; kh < KH; kh++) {
          for (let kw = 0; kw < KW; kw++) {
            const i = base + (oh * stride + kh) * W + ow * stride + kw;
            // NOTE: ties go to the first element in the window, so exactly one input gets the gradient.
            if (x[i] > best) { best = x[i]; at = i; }
          }
        }
        y[o] = best;
        argmax[o] = at;
      }
    }
  }
}

/** dx[argmax[i]] += dy[i] : the gradient flows only to the element that won the max. */
export function maxPool2dBackward(dy: Data, argmax: Int32Array, _g: Pool2dGeometry, dx: Data): void {
  dx.fill(0);
  for (let i = 0; i < dy.length; i++) dx[argmax[i]] += dy[i];
}

/** y[n,c,oh,ow] = (1 / KH·KW) Σ window */
export function avgPool2d(x: Data, g: Pool2dGeometry, y: Data): void {
  const { N, C, H, W, KH, KW, OH, OW, stride } = g;
  const inv = 1 / (KH * KW);
  let o = 0;
  for (let nc = 0; nc < N * C; nc++) {
    const base = nc * H * W;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++, o++) {
        let s = 0;
        for (let kh = 0; kh < KH; kh++) {
          for (let kw = 0; kw < KW; kw++) s += x[base + (oh * stride + kh) * W + ow * stride + kw];
        }
        y[o] = s * inv;
      }
    }
  }
}

/** Every element of a window receives dy / (KH·KW). */
export function avgPool2dBackward(dy: Data, g: Pool2dGeometry, dx: Data): void {
  const { N, C, H, W, KH, KW, OH, OW, stride } = g;
  const inv = 1 / (KH * KW);
  dx.fill(0);
  let o = 0;
  for (let nc = 0; nc < N * C; nc++) {
    const base = nc * H * W;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++, o++) {
        const d = dy[o] * inv;
        for (let kh = 0; kh < KH; kh++) {
          for (let kw = 0; kw < KW; kw++) dx[base + (oh * stride + kh) * W + ow * stride + kw] += d;
        }
      }
    }
  }
}
