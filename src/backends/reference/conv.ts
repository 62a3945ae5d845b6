// Reference convolution and pooling, NCHW: the definitions, as loops.
//
// Shapes (the glossary): N images, C input channels, H×W input, OC kernels of C×KH×KW,
// OH×OW output positions; s the stride, p the zero padding.
//
//   y[n,oc,oh,ow] = b[oc] + Σ_{c,kh,kw} w[oc,c,kh,kw] · x[n, c, oh·s + kh − p, ow·s + kw − p]
//
// with x = 0 outside the H×W image. The backward kernels are the adjoints of that sum: each
// term w·x sends dy·w back to its input pixel and dy·x back to its weight. The wasm backend
// computes the same numbers faster (im2col + a packed matrix multiply) and is tested against these.
// NOTE: every output here (y, dx, dw, db) is one sum kept in double precision and rounded once when
// stored; a padded position contributes w·0, so an infinite weight gives NaN there, as in im2col.
import type { Conv2dGeometry, Data, Pool2dGeometry } from '../backend.js';
import { reluInPlace } from './elementwise.js';

/** What one output cell needs to know of the geometry. */
export type ConvCellGeometry = Pick<Conv2dGeometry, 'C' | 'H' | 'W' | 'KH' | 'KW' | 'stride' | 'padding'>;

/**
 * One cell of a convolution's output, before the bias: the C×KH×KW patch of image n under
 * kernel oc at output position (oh, ow), multiplied element by element with the kernel and summed.
 *
 *   convCell = Σ_{c,kh,kw} w[oc,c,kh,kw] · x[n, c, oh·s + kh − p, ow·s + kw − p]   (x = 0 outside the image)
 *   x:(N,C,H,W) w:(OC,C,KH,KW) -> a number
 *
 * If `terms` is given, the factors of every term are appended to it in (c, kh, kw) order:
 * terms.x the patch (zeros where it hangs over the border) and terms.w the kernel, so a view can
 * show the sum it explains.
 * @example const y = b[oc] + convCell(x, w, g, n, oc, oh, ow);
 */
export function convCell(x: Data, w: Data, g: ConvCellGeometry, n: number, oc: number, oh: number, ow: number,
                         terms?: { x: number[]; w: number[] }): number {
  const { C, H, W, KH, KW, stride: s, padding: p } = g;
  let sum = 0;
  for (let c = 0; c < C; c++) {
    for (let kh = 0; kh < KH; kh++) {
      const ih = oh * s + kh - p;
      const xRow = ((n * C + c) * H + ih) * W; // x[n, c, ih, ·]
      const wRow = ((oc * C + c) * KH + kh) * KW; // w[oc, c, kh, ·]
      for (let kw = 0; kw < KW; kw++) {
        const iw = ow * s + kw - p;
        const xv = ih >= 0 && ih < H && iw >= 0 && iw < W ? x[xRow + iw] : 0; // zero padding
        const wv = w[wRow + kw];
        sum += wv * xv;
        if (terms) { terms.x.push(xv); terms.w.push(wv); }
      }
    }
  }
  return sum;
}

/**
 * y[n,oc,oh,ow] = b[oc] + convCell(x, w, n, oc, oh, ow), then max(0, ·) if relu
 * x:(N,C,H,W) w:(OC,C,KH,KW) b:(OC) or null -> y:(N,OC,OH,OW)
 */
export function conv2d(x: Data, w: Data, b: Data | null, g: Conv2dGeometry, y: Data, relu = false): void {
  const { N, OC, OH, OW } = g;
  let o = 0;
  for (let n = 0; n < N; n++) {
    for (let oc = 0; oc < OC; oc++) {
      const bias = b ? b[oc] : 0;
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++, o++) y[o] = bias + convCell(x, w, g, n, oc, oh, ow);
      }
    }
  }
  if (relu) reluInPlace(y.subarray(0, o));
}

/**
 * The adjoint of conv2d in x: every term w[oc,c,kh,kw]·x[n,c,ih,iw] of the forward sum sends
 * w[oc,c,kh,kw]·dy[n,oc,oh,ow] back to the input pixel it read. Gathered per pixel, that is
 *
 *   dx[n,c,ih,iw] = Σ_{oc,kh,kw} w[oc,c,kh,kw] · dy[n, oc, oh, ow]
 *                   over the taps with ih = oh·s + kh − p and iw = ow·s + kw − p for some output (oh, ow)
 *   dy:(N,OC,OH,OW) w:(OC,C,KH,KW) -> dx:(N,C,H,W)
 *
 * (Each pixel is one sum, kept in double precision and stored once, like a forward cell.)
 */
export function conv2dBackwardInput(dy: Data, w: Data, g: Conv2dGeometry, dx: Data): void {
  const { N, C, H, W, OC, KH, KW, OH, OW, stride: s, padding: p } = g;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let ih = 0; ih < H; ih++) {
        for (let iw = 0; iw < W; iw++) {
          let sum = 0;
          for (let kh = 0; kh < KH; kh++) {
            const ohs = ih + p - kh; // = oh·s, if kernel row kh reached this pixel from some output row oh
            if (ohs < 0 || ohs % s !== 0 || ohs / s >= OH) continue;
            const oh = ohs / s;
            for (let kw = 0; kw < KW; kw++) {
              const ows = iw + p - kw; // = ow·s
              if (ows < 0 || ows % s !== 0 || ows / s >= OW) continue;
              const ow = ows / s;
              for (let oc = 0; oc < OC; oc++) {
                sum += w[((oc * C + c) * KH + kh) * KW + kw] * dy[((n * OC + oc) * OH + oh) * OW + ow];
              }
            }
          }
          dx[((n * C + c) * H + ih) * W + iw] = sum;
        }
      }
    }
  }
}

/**
 * The adjoint of conv2d in w and b: each weight meets, at every output position, the pixel under it.
 *
 *   dw[oc,c,kh,kw] = Σ_{n,oh,ow} dy[n,oc,oh,ow] · x[n, c, oh·s + kh − p, ow·s + kw − p]   (x = 0 outside)
 *   db[oc]         = Σ_{n,oh,ow} dy[n,oc,oh,ow]
 *   x:(N,C,H,W) dy:(N,OC,OH,OW) -> dw:(OC,C,KH,KW) db:(OC)
 */
export function conv2dBackwardFilter(x: Data, dy: Data, g: Conv2dGeometry, dw: Data, db: Data | null): void {
  const { N, C, H, W, OC, KH, KW, OH, OW, stride: s, padding: p } = g;
  for (let oc = 0; oc < OC; oc++) {
    for (let c = 0; c < C; c++) {
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          let sum = 0;
          for (let n = 0; n < N; n++) {
            for (let oh = 0; oh < OH; oh++) {
              const ih = oh * s + kh - p;
              if (ih < 0 || ih >= H) continue;
              const dyRow = ((n * OC + oc) * OH + oh) * OW; // dy[n, oc, oh, ·]
              const xRow = ((n * C + c) * H + ih) * W; // x[n, c, ih, ·]
              for (let ow = 0; ow < OW; ow++) {
                const iw = ow * s + kw - p;
                if (iw >= 0 && iw < W) sum += dy[dyRow + ow] * x[xRow + iw];
              }
            }
          }
          dw[((oc * C + c) * KH + kh) * KW + kw] = sum;
        }
      }
    }
    if (db) {
      let sum = 0;
      for (let n = 0; n < N; n++) {
        for (let i = 0; i < OH * OW; i++) sum += dy[(n * OC + oc) * OH * OW + i];
      }
      db[oc] = sum;
    }
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
