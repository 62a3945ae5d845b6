// Convolution and pooling: gradients, and agreement with an independent direct computation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose, assertGrad, rand64 } from '../test/helpers.js';
import { avgPool2d, conv2d, maxPool2d } from './conv.js';
import './methods.js'; // .relu() on tensors
import { tensor } from '../tensor/tensor.js';
import { Random } from '../tensor/random.js';

/** Direct convolution straight from the definition (no im2col), in float64. */
function directConv(x: Float64Array, w: Float64Array, b: Float64Array, N: number, C: number, H: number, W: number,
                    OC: number, K: number, s: number, p: number) {
  const OH = Math.floor((H + 2 * p - K) / s) + 1;
  const OW = Math.floor((W + 2 * p - K) / s) + 1;
  const y = new Float64Array(N * OC * OH * OW);
  for (let n = 0; n < N; n++) for (let oc = 0; oc < OC; oc++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    let acc = b[oc];
    for (let c = 0; c < C; c++) for (let kh = 0; kh < K; kh++) for (let kw = 0; kw < K; kw++) {
      const ih = oh * s + kh - p;
      const iw = ow * s + kw - p;
      if (ih >= 0 && ih < H && iw >= 0 && iw < W) acc += w[((oc * C + c) * K + kh) * K + kw] * x[((n * C + c) * H + ih) * W + iw];
    }
    y[((n * OC + oc) * OH + oh) * OW + ow] = acc;
  }
  return { y, OH, OW };
}

test('conv2d forward and backward match the direct definition', () => {
  for (const [N, C, H, W, OC, K, s, p] of [[2, 3, 7, 6, 4, 3, 1, 0], [1, 2, 9, 9, 3, 5, 2, 2], [3, 1, 5, 5, 1, 1, 1, 0]]) {
    const x = rand64([N, C, H, W], N * 10 + K);
    const w = rand64([OC, C, K, K], N * 10 + K + 1);
    const b = rand64([OC], N * 10 + K + 2);
    const y = conv2d(x, w, b, { stride: s, padding: p });
    const ref = directConv(x.data as Float64Array, w.data as Float64Array, b.data as Float64Array, N, C, H, W, OC, K, s, p);
    assert.deepEqual(y.shape, [N, OC, ref.OH, ref.OW]);
    assertClose(y.toArray(), ref.y, 1e-12, 'conv2d forward');

    // Backward against the direct definition: d/dθ of Σ y⊙r is linear in r, so compare with
    // gradients computed by differentiating directConv's sum term by term.
    const r = rand64(y.shape as number[], 99);
    y.backward(r.detach());
    const dw = new Float64Array(w.size);
    const dx = new Float64Array(x.size);
    const db = new Float64Array(OC);
    const { OH, OW } = ref;
    for (let n = 0; n < N; n++) for (let oc = 0; oc < OC; oc++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
      const g = r.data[((n * OC + oc) * OH + oh) * OW + ow];
      db[oc] += g;
      for (let c = 0; c < C; c++) for (let kh = 0; kh < K; kh++) for (let kw = 0; kw < K; kw++) {
        const ih = oh * s + kh - p;
        const iw = ow * s + kw - p;
        if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
        const xi = ((n * C + c) * H + ih) * W + iw;
        const wi = ((oc * C + c) * K + kh) * K + kw;
        dw[wi] += g * x.data[xi];
        dx[xi] += g * w.data[wi];
      }
    }
    assertClose(w.grad!.toArray(), dw, 1e-12, 'dw');
    assertClose(x.grad!.toArray(), dx, 1e-12, 'dx');
    assertClose(b.grad!.toArray(), db, 1e-12, 'db');
  }
});

test('conv2d: gradients match finite differences (stride, padding)', () => {
  const x = rand64([2, 2, 6, 5], 1);
  const w = rand64([3, 2, 3, 3], 2);
  const b = rand64([3], 3);
  assertGrad((x, w, b) => conv2d(x, w, b), [x, w, b]);
  assertGrad((x, w, b) => conv2d(x, w, b, { stride: 2, padding: 1 }), [x, w, b]);
  assertGrad((x, w, b) => conv2d(x, w, b, { padding: 1, relu: true }), [x, w, b]);
  assert.deepEqual(conv2d(x, w, b, { relu: true }).toArray(), conv2d(x, w, b).relu().toArray());
});

test('pooling: values and gradients', () => {
  // Distinct values, so no ties sit on the kink of max.
  const rng = new Random(5);
  const perm = rng.shuffle(Array.from({ length: 2 * 3 * 6 * 6 }, (_, i) => i));
  const x = rand64([2, 3, 6, 6], 4);
  perm.forEach((v, i) => (x.data[i] = v / 10));
  assertGrad((x) => maxPool2d(x), [x]);
  assertGrad((x) => maxPool2d(x, { kernelSize: 3, stride: 2 }), [x]);
  assertGrad((x) => avgPool2d(x), [x]);
  assertGrad((x) => avgPool2d(x, { kernelSize: 3, stride: 1 }), [x]);
  const t = tensor([1, 2, 5, 6, 3, 4, 7, 8, 9, 10, 13, 14, 11, 12, 15, 16], [1, 1, 4, 4]);
  assert.deepEqual(maxPool2d(t).toArray(), [4, 8, 12, 16]);
  assert.deepEqual(avgPool2d(t).toArray(), [2.5, 6.5, 10.5, 14.5]);
});

test('conv2d and pooling: shape errors name the layer and both shapes', () => {
  const w = tensor(new Array(30 * 25).fill(0), [30, 1, 5, 5]);
  assert.throws(() => conv2d(tensor(new Array(64 * 784).fill(0), [64, 784]), w, null, {}, 'Conv2d(in=1, out=30)'),
    /Conv2d\(in=1, out=30\): expected input \(N,1,H,W\), got \(64,784\)/);
  assert.throws(() => conv2d(tensor(new Array(9).fill(0), [1, 1, 3, 3]), w, null), /a 5×5 kernel with padding 0 does not fit a 3×3 input/);
  assert.throws(() => maxPool2d(tensor([1, 2], [1, 2])), /maxPool2d: expected input \(N,C,H,W\), got \(1,2\)/);
});
