// Convolution and pooling: gradients, and agreement with the definition computed cell by cell.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose, assertGrad, rand64 } from '../testing/helpers.js';
import { avgPool2d, conv2d, maxPool2d } from './conv.js';
import './methods.js'; // .relu() on tensors
import { tensor } from '../tensor/tensor.js';
import { Random } from '../tensor/random.js';
import { convCell } from '../backends/reference/conv.js';

/**
 * Convolution straight from the definition, one output cell at a time, in float64:
 * y[n,oc,oh,ow] = b[oc] + convCell(x, w, n, oc, oh, ow). convCell is the one definition that the
 * reference backend and the explainer's arithmetic view also use.
 */
function directConv(x: Float64Array, w: Float64Array, b: Float64Array | null, N: number, C: number, H: number, W: number,
                    OC: number, K: number, s: number, p: number) {
  const OH = Math.floor((H + 2 * p - K) / s) + 1;
  const OW = Math.floor((W + 2 * p - K) / s) + 1;
  const g = { C, H, W, KH: K, KW: K, stride: s, padding: p };
  const y = new Float64Array(N * OC * OH * OW);
  for (let n = 0; n < N; n++) for (let oc = 0; oc < OC; oc++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    y[((n * OC + oc) * OH + oh) * OW + ow] = (b ? b[oc] : 0) + convCell(x, w, g, n, oc, oh, ow);
  }
  return { y, OH, OW };
}

const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);
const unit = (n: number, i: number) => { const e = new Float64Array(n); e[i] = 1; return e; };

test('convCell: one output cell worked by hand, with the zero padding in its terms', () => {
  // x = 1..9 as a 3×3 image, w = [[1, 2], [3, 4]].
  const x = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const w = Float64Array.from([1, 2, 3, 4]);
  const g = { C: 1, H: 3, W: 3, KH: 2, KW: 2, stride: 1, padding: 0 };
  assert.equal(convCell(x, w, g, 0, 0, 0, 0), 1 * 1 + 2 * 2 + 4 * 3 + 5 * 4);
  assert.equal(convCell(x, w, g, 0, 0, 1, 1), 5 * 1 + 6 * 2 + 8 * 3 + 9 * 4);
  // Stride 2, padding 1: cell (0,0) covers rows −1..0 and columns −1..0, so only x[0,0]·w[1,1] is inside.
  const terms = { x: [] as number[], w: [] as number[] };
  assert.equal(convCell(x, w, { ...g, stride: 2, padding: 1 }, 0, 0, 0, 0, terms), 1 * 4);
  assert.deepEqual(terms, { x: [0, 0, 0, 1], w: [1, 2, 3, 4] });
  assert.equal(convCell(x, w, { ...g, stride: 2, padding: 1 }, 0, 0, 1, 0), 4 * 2 + 7 * 4);
});

test('conv2d forward and backward match the direct definition', () => {
  for (const [N, C, H, W, OC, K, s, p] of [[2, 3, 7, 6, 4, 3, 1, 0], [1, 2, 9, 9, 3, 5, 2, 2], [3, 1, 5, 5, 1, 1, 1, 0]]) {
    const x = rand64([N, C, H, W], N * 10 + K);
    const w = rand64([OC, C, K, K], N * 10 + K + 1);
    const b = rand64([OC], N * 10 + K + 2);
    const y = conv2d(x, w, b, { stride: s, padding: p });
    const xd = x.data as Float64Array, wd = w.data as Float64Array;
    const ref = directConv(xd, wd, b.data as Float64Array, N, C, H, W, OC, K, s, p);
    assert.deepEqual(y.shape, [N, OC, ref.OH, ref.OW]);
    assertClose(y.toArray(), ref.y, 1e-12, 'conv2d forward');

    // Backward as the adjoint of the definition: y is linear in x and in w, so the gradient of
    // Σ r⊙y with respect to x[i] is Σ r⊙(the convolution of the unit image e_i), and likewise for w[j].
    const r = rand64(y.shape as number[], 99);
    y.backward(r.detach());
    const rd = r.data as Float64Array;
    const dx = Float64Array.from({ length: x.size }, (_, i) => dot(rd, directConv(unit(x.size, i), wd, null, N, C, H, W, OC, K, s, p).y));
    const dw = Float64Array.from({ length: w.size }, (_, j) => dot(rd, directConv(xd, unit(w.size, j), null, N, C, H, W, OC, K, s, p).y));
    const db = Float64Array.from({ length: OC }, (_, oc) => dot(rd, directConv(new Float64Array(x.size), wd, unit(OC, oc), N, C, H, W, OC, K, s, p).y));
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
