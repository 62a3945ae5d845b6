// Backend parity: every kernel of the wasm backend against the reference backend, on random
// inputs of awkward sizes (1, primes, sizes that are not multiples of the 6×8 tile).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend, Conv2dGeometry, Data, Pool2dGeometry } from './backend.js';
import { referenceBackend as ref } from './reference/index.js';
import { createNodeWasmBackend } from './wasm/node.js';
import { WasmBackend } from './wasm/index.js';
import { ThreadPool } from './wasm/pool.js';
import { setBackend, registerBackend } from './index.js';
import { Random, manualSeed } from '../tensor/random.js';
import { assertClose } from '../testing/helpers.js';
import { cnn } from '../models/index.js';
import { Adam, SGD, adamUpdate, sgdUpdate } from '../optim/index.js';
import { RELU, SCALE } from '../ops/elementwise.js';
import { crossEntropyBackward, softmaxBackward } from '../ops/softmax.js';
import { DataLoader, ImageDataset } from '../data/dataset.js';
import { trainEpoch } from '../train/index.js';

const threaded = createNodeWasmBackend(3, { oversubscribe: true }); // 3 threads on 2 cores: uneven splits on purpose
const single = new WasmBackend({ threads: 1 });
// The variants for engines without threads or relaxed SIMD: plain memory, multiply then add.
const plain = new WasmBackend({ threads: 1, shared: false, relaxed: false });
after(() => threaded.close());
const backends: Array<[string, WasmBackend]> = [['wasm×3', threaded], ['wasm×1', single], ['wasm×1 plain memory, baseline SIMD', plain]];

const rng = new Random(11);
function rand(b: Backend, n: number, lo = -1, hi = 1): Float32Array {
  const d = b.alloc(n, 'float32') as Float32Array;
  for (let i = 0; i < n; i++) d[i] = lo + (hi - lo) * rng.uniform();
  return d;
}
function copy(b: Backend, src: Float32Array): Float32Array {
  const d = b.alloc(src.length, 'float32') as Float32Array;
  d.set(src);
  return d;
}
/** Run f on the reference backend and on b with the same inputs; compare the outputs. */
function same(name: string, b: Backend, inputs: Float32Array[], outs: number[], f: (k: Backend, ins: Data[], outs: Data[]) => void, tol = 1e-5): void {
  fastPath(name, b, inputs, outs, (ins, o) => f(ref, ins, o), (ins, o) => f(b, ins, o), tol);
}
/**
 * A fast path against its definition: `definition` runs on plain arrays, `fast` on b's memory, with
 * the same inputs; the outputs must agree. (A fast path that declines — returns false — fails.)
 */
function fastPath(name: string, b: Backend, inputs: Float32Array[], outs: number[], definition: (ins: Data[], outs: Data[]) => void,
                  fast: (ins: Data[], outs: Data[]) => void | boolean, tol = 1e-5): void {
  const refOut = outs.map((n) => new Float32Array(n));
  definition(inputs.map((x) => Float32Array.from(x)), refOut);
  const wOut = outs.map((n) => b.alloc(n, 'float32'));
  assert.notEqual(fast(inputs.map((x) => copy(b, x)), wOut), false, `${b.name}: ${name} declined float32 arrays`);
  wOut.forEach((o, i) => assertClose(o, refOut[i], tol, `${b.name}: ${name} output ${i}`));
}

test('wasm setup: ready, relaxed SIMD detected', async () => {
  await threaded.ready();
  assert.equal(threaded.threads, 3);
  assert.equal(threaded.relaxed, true);
  assert.equal(plain.relaxed, false);
  assert.ok(!(plain.alloc(1, 'float32').buffer instanceof SharedArrayBuffer), 'plain memory');
});

for (const [label, b] of backends) {
  test(`${label}: gemm in all four transpose cases`, async () => {
    await threaded.ready();
    for (const [M, N, K] of [[1, 1, 1], [1, 13, 7], [5, 1, 3], [7, 9, 300], [37, 129, 257], [130, 17, 5], [64, 128, 784], [3, 2100, 2],
      // on all 3 threads (3 grains of work or more): more rows than one packed block (2040), more
      // columns than one (2048), several K blocks
      [2047, 9, 180], [5, 2053, 300], [131, 67, 600]]) {
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        for (const beta of [0, 1] as const) {
          const a = rand(ref, M * K), bb = rand(ref, K * N), c = rand(ref, M * N);
          same(`gemm ${M}×${N}×${K} ${ta} ${tb} β=${beta}`, b, [a, bb, c], [M * N], (k, [x, y, z], [out]) => {
            out.set(z);
            k.gemm(ta, tb, M, N, K, x, y, beta, out);
          }, 1e-4);
          const bias = rand(ref, N);
          same(`gemm + bias + relu ${M}×${N}×${K} ${ta} ${tb} β=${beta}`, b, [a, bb, c, bias], [M * N], (k, [x, y, z, bs], [out]) => {
            out.set(z);
            k.gemm(ta, tb, M, N, K, x, y, beta, out, { bias: bs, relu: true });
          }, 1e-4);
        }
      }
    }
  });

  test(`${label}: gemm reading A through a ReLU mask and summing op(A)'s rows: the numbers of the separate kernels`, async () => {
    await threaded.ready();
    // A dense layer's backward: dx = dz·w and dw = dzᵀ·x with db = Σ_n dz, where dz = dy ⊙ [y > 0].
    // Shapes: W1's two layers, a row panel cut short (13), more than one K block (300), a big one on all threads.
    for (const [N, OUT, IN] of [[64, 128, 784], [64, 10, 128], [7, 13, 9], [300, 13, 40], [100, 100, 4320]]) {
      const dy = rand(ref, N * OUT), y = rand(ref, N * OUT), x = rand(ref, N * IN), w = rand(ref, OUT * IN);
      same(`masked dx ${N}×${OUT}×${IN}`, b, [dy, y, w], [N * IN], (k, [d, yy, ww], [dx]) =>
        k.gemm(false, false, N, IN, OUT, d, ww, 0, dx, { reluMaskA: yy }), 1e-4);
      same(`masked dw and db ${N}×${OUT}×${IN}`, b, [dy, y, x], [OUT * IN, OUT], (k, [d, yy, xx], [dw, db]) =>
        k.gemm(true, false, OUT, IN, N, d, xx, 0, dw, { reluMaskA: yy, rowSumsA: db }), 1e-4);
      // Against the kernels it replaces, exactly: reluBackward, then the products, then sumRows.
      const [d, yy, xx, ww] = [dy, y, x, w].map((a) => copy(b, a));
      const dz = b.alloc(N * OUT, 'float32');
      b.mapBackward(RELU, yy, yy, d, dz, 0);
      const fused = [b.alloc(N * IN, 'float32'), b.alloc(OUT * IN, 'float32'), b.alloc(OUT, 'float32')];
      const apart = [b.alloc(N * IN, 'float32'), b.alloc(OUT * IN, 'float32'), b.alloc(OUT, 'float32')];
      b.gemm(false, false, N, IN, OUT, d, ww, 0, fused[0], { reluMaskA: yy });
      b.gemm(true, false, OUT, IN, N, d, xx, 0, fused[1], { reluMaskA: yy, rowSumsA: fused[2] });
      b.gemm(false, false, N, IN, OUT, dz, ww, 0, apart[0]);
      b.gemm(true, false, OUT, IN, N, dz, xx, 0, apart[1]);
      b.sumRows(dz, N, OUT, apart[2], false);
      assert.deepEqual(fused.map((a) => Array.from(a)), apart.map((a) => Array.from(a)), `fused = apart ${N}×${OUT}×${IN}`);
    }
  });

  test(`${label}: conv2d forward, input gradient and filter gradient`, async () => {
    await threaded.ready();
    const shapes: Array<[number, number, number, number, number, number, number, number]> = [
      [1, 1, 5, 5, 1, 1, 1, 0], [3, 2, 7, 6, 5, 3, 1, 1], [4, 3, 11, 9, 7, 5, 2, 2], [5, 1, 28, 28, 30, 5, 1, 0], [2, 4, 6, 6, 3, 6, 1, 0],
      // The forward's own blocking: two K blocks (12·5·5 = 300 > 256) with rows of 10 crossing panels of 8 and a
      // padded border; more positions than one column block (50·50 > 2048); more kernels than one row block;
      // filters packed once per call in two row blocks × two K blocks; filters too many to pack once (260×270).
      [2, 12, 9, 10, 7, 5, 1, 2], [1, 1, 50, 50, 3, 1, 1, 0], [1, 2, 6, 6, 130, 3, 1, 1], [2, 12, 5, 5, 125, 5, 1, 2],
      [1, 30, 4, 4, 260, 3, 1, 1]];
    for (const [N, C, H, W, OC, K, s, p] of shapes) {
      const OH = Math.floor((H + 2 * p - K) / s) + 1, OW = Math.floor((W + 2 * p - K) / s) + 1;
      const g: Conv2dGeometry = { N, C, H, W, OC, KH: K, KW: K, OH, OW, stride: s, padding: p };
      const x = rand(ref, N * C * H * W), w = rand(ref, OC * C * K * K), bias = rand(ref, OC), dy = rand(ref, N * OC * OH * OW);
      same(`conv2d ${JSON.stringify(g)}`, b, [x, w, bias], [N * OC * OH * OW], (k, [x, w, bb], [y]) => k.conv2d(x, w, bb, g, y));
      same('conv2d no bias', b, [x, w], [N * OC * OH * OW], (k, [x, w], [y]) => k.conv2d(x, w, null, g, y));
      same('conv2d + relu', b, [x, w, bias], [N * OC * OH * OW], (k, [x, w, bb], [y]) => k.conv2d(x, w, bb, g, y, true));
      same('conv2dBackwardInput', b, [dy, w], [N * C * H * W], (k, [dy, w], [dx]) => k.conv2dBackwardInput(dy, w, g, dx));
      same('conv2dBackwardFilter', b, [x, dy], [OC * C * K * K, OC], (k, [x, dy], [dw, db]) => k.conv2dBackwardFilter(x, dy, g, dw, db), 1e-4);
    }
  });

  test(`${label}: pooling forward and backward`, async () => {
    await threaded.ready();
    for (const [N, C, H, W, K, s] of [[1, 1, 2, 2, 2, 2], [3, 5, 7, 9, 2, 2], [2, 3, 8, 8, 3, 1], [100, 30, 24, 24, 2, 2], [2, 3, 10, 14, 2, 2]]) {
      const OH = Math.floor((H - K) / s) + 1, OW = Math.floor((W - K) / s) + 1;
      const g: Pool2dGeometry = { N, C, H, W, KH: K, KW: K, OH, OW, stride: s };
      const x = rand(ref, N * C * H * W), dy = rand(ref, N * C * OH * OW);
      same('avgPool2d', b, [x], [N * C * OH * OW], (k, [x], [y]) => k.avgPool2d(x, g, y));
      same('avgPool2dBackward', b, [dy], [N * C * H * W], (k, [dy], [dx]) => k.avgPool2dBackward(dy, g, dx));
      same('maxPool2d + backward', b, [x, dy], [N * C * OH * OW, N * C * H * W], (k, [x, dy], [y, dx]) => {
        const arg = k.allocInt32(y.length);
        k.maxPool2d(x, g, y, arg);
        k.maxPool2dBackward(dy, arg, g, dx);
      });
    }
  });

  test(`${label}: elementwise, rows and optimizer kernels`, async () => {
    await threaded.ready();
    for (const n of [1, 3, 4, 17, 1031, 100003]) {
      const x = rand(ref, n), y = rand(ref, n, 0.5, 2), s = rand(ref, 1, 0.5, 2);
      for (const op of ['add', 'sub', 'mul', 'div'] as const) {
        same(`${op} n=${n}`, b, [x, y], [n], (k, [a, c], [o]) => k.binary(op, a, [n], c, [n], o, [n]));
        same(`${op} scalar n=${n}`, b, [x, s], [n], (k, [a, c], [o]) => k.binary(op, a, [n], c, [], o, [n]));
      }
      // The SIMD kernels for relu, its backward and scale against the definitions RELU and SCALE (src/ops/elementwise.ts).
      same(`relu n=${n}`, b, [x], [n], (k, [a], [o]) => k.map(RELU, a, o, 0));
      same(`relu backward n=${n}`, b, [x, y], [n], (k, [a, d], [o]) => k.mapBackward(RELU, a, a, d, o, 0));
      same(`scale n=${n}`, b, [x], [n], (k, [a], [o]) => k.map(SCALE, a, o, -1.5));
      same(`axpy n=${n}`, b, [x, y], [n], (k, [a, c], [o]) => { o.set(c); k.axpy(0.3, a, o); });
      const g = rand(ref, n), m = rand(ref, n), v = rand(ref, n, 0, 1);
      // The fused optimizer kernels against the update rules of src/optim.
      const sgd = (v: boolean) => (step: (p: Data, g: Data, v: Data | null) => void | boolean) => ([p, gg, vv]: Data[], [po, vo]: Data[]) => {
        po.set(p);
        if (v) vo.set(vv);
        return step(po, gg, v ? vo : null);
      };
      for (const momentum of [true, false]) {
        const [lr, mu, wd] = momentum ? [0.1, 0.9, 1e-4] : [0.1, 0, 0];
        fastPath(`sgd momentum=${momentum} n=${n}`, b, [x, g, m], [n, n],
          sgd(momentum)((p, gg, v) => sgdUpdate(p, gg, v, lr, mu, wd)), sgd(momentum)((p, gg, v) => b.sgdSteps!([{ p, g: gg, v }], lr, mu, wd)));
      }
      const hyper = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step: 3 };
      const adam = (step: (p: Data, g: Data, m: Data, v: Data) => void | boolean) => ([p, gg, mm, vv]: Data[], [po, mo, vo]: Data[]) => {
        po.set(p); mo.set(mm); vo.set(vv);
        return step(po, gg, mo, vo);
      };
      fastPath(`adam n=${n}`, b, [x, g, m, v], [n, n, n],
        adam((p, gg, mm, vv) => adamUpdate(p, gg, mm, vv, hyper)), adam((p, gg, mm, vv) => b.adamSteps!([{ p, g: gg, m: mm, v: vv }], hyper)));
      for (const p of [0, 0.2, 0.5, 0.9]) {
        same(`dropoutMask n=${n} p=${p}`, b, [], [n], (k, _, [o]) => k.dropoutMask(o, p, 12345 + n), 0);
      }
    }
    for (const [rows, cols] of [[1, 1], [3, 7], [64, 128], [130, 9]]) {
      const y = rand(ref, rows * cols), bias = rand(ref, cols);
      same(`addRowVector ${rows}×${cols}`, b, [y, bias], [rows * cols], (k, [yy, bb], [o]) => { o.set(yy); k.addRowVector(o, bb, rows, cols); });
      same(`sumRows ${rows}×${cols}`, b, [y, bias], [cols, cols], (k, [yy, bb], [o1, o2]) => {
        k.sumRows(yy, rows, cols, o1, false);
        o2.set(bb);
        k.sumRows(yy, rows, cols, o2, true);
      });
    }
  });

  test(`${label}: an optimizer step over many tensors at once gives each the numbers of a step on it alone`, async () => {
    await threaded.ready();
    // Sizes that end mid-group of four, so the threads' shares of the list cut tensors at odd places.
    const sizes = [1, 3, 17, 1031, 100003, 6, 40000];
    const hyper = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step: 3 };
    const start = sizes.map((n) => [rand(ref, n), rand(ref, n), rand(ref, n), rand(ref, n, 0, 1)]);
    const fresh = () => start.map((arrays) => arrays.map((a) => copy(b, a)));
    for (const momentum of [0, 0.9]) {
      const together = fresh(), alone = fresh();
      b.sgdSteps!(together.map(([p, g, v]) => ({ p, g, v: momentum ? v : null })), 0.1, momentum, 1e-4);
      for (const [p, g, v] of alone) b.sgdSteps!([{ p, g, v: momentum ? v : null }], 0.1, momentum, 1e-4);
      assert.deepEqual(together.map((t) => t.map((a) => Array.from(a))), alone.map((t) => t.map((a) => Array.from(a))), `sgd momentum ${momentum}`);
    }
    const together = fresh(), alone = fresh();
    b.adamSteps!(together.map(([p, g, m, v]) => ({ p, g, m, v })), hyper);
    for (const [p, g, m, v] of alone) b.adamSteps!([{ p, g, m, v }], hyper);
    assert.deepEqual(together.map((t) => t.map((a) => Array.from(a))), alone.map((t) => t.map((a) => Array.from(a))), 'adam');
  });

  test(`${label}: per-channel sums and affine maps (batch norm)`, async () => {
    await threaded.ready();
    // S = 1 (BatchNorm1d), odd S (no vector loop ends evenly), 28×28 maps with a batch: on all 3 threads.
    for (const [N, C, S] of [[1, 1, 1], [7, 3, 1], [5, 4, 49], [3, 2, 13], [64, 16, 784]]) {
      const n = N * C * S;
      const a = rand(ref, n, 2, 4), bb = rand(ref, n), sa = rand(ref, C, 2, 4), sb = rand(ref, C), p = rand(ref, C), q = rand(ref, C), r = rand(ref, C);
      // Sums of N·S values: compared relative to their size.
      same(`channelSums ${N}×${C}×${S}`, b, [a], [C], (k, [x], [s1]) => k.channelSums(x, null, null, null, N, C, S, s1, null), 1e-5 * N * S);
      same(`channelSums with b and shifts ${N}×${C}×${S}`, b, [a, bb, sa, sb], [C, C], (k, [x, y, u, v], [s1, s2]) =>
        k.channelSums(x, y, u, v, N, C, S, s1, s2), 1e-5 * N * S);
      same(`channelSums without shifts ${N}×${C}×${S}`, b, [a, bb], [C, C], (k, [x, y], [s1, s2]) =>
        k.channelSums(x, y, null, null, N, C, S, s1, s2), 1e-5 * N * S);
      same(`channelAffine ${N}×${C}×${S}`, b, [a, p, r], [n], (k, [x, pp, rr], [o]) => k.channelAffine(x, pp, null, null, rr, N, C, S, o));
      same(`channelAffine with z ${N}×${C}×${S}`, b, [a, p, bb, q, r], [n], (k, [x, pp, z, qq, rr], [o]) =>
        k.channelAffine(x, pp, z, qq, rr, N, C, S, o));
    }
  });

  test(`${label}: gatherBytes gathers rows of bytes and divides them, bit for bit`, () => {
    // Every byte value in every lane position, rows of awkward lengths, in a shuffled order with repeats.
    for (const [rows, rowLen] of [[1, 1], [3, 17], [9, 256], [5, 784]]) {
      const count = rows + 4;
      const bytes = new Uint8Array(count * rowLen).map((_, i) => (i * 7 + (i >> 8)) & 255);
      const order = Array.from({ length: rows }, (_, r) => (r * 5 + 3) % count);
      order[0] = order[rows - 1]; // the same row twice
      const want = new Float32Array(rows * rowLen);
      ref.gatherBytes(bytes, order, rowLen, 255, want);
      const got = b.alloc(rows * rowLen, 'float32');
      b.gatherBytes(bytes, order, rowLen, 255, got);
      assert.deepEqual(Array.from(got), Array.from(want), `gatherBytes ${rows}×${rowLen}`);
      assert.equal(want[1 % want.length], Math.fround(bytes[order[0] * rowLen + (1 % rowLen)] / 255));
    }
    // Other divisors: the kernel multiplies by a split reciprocal where that is exact for all 256
    // bytes and divides where not (0 gives Infinity and NaN); either way the quotients f32 division gives.
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    for (const d of [3, 100, 0.375, Math.fround(1e-30), 0]) {
      const want = new Float32Array(256);
      ref.gatherBytes(all, [0], 256, d, want);
      const got = b.alloc(256, 'float32');
      b.gatherBytes(all, [0], 256, d, got);
      assert.deepStrictEqual(Array.from(got), Array.from(want), `gatherBytes / ${d}`);
    }
    // A data set of 1 MiB or more is copied into the memory once and gathered there: the same bits,
    // for rows given as any array of numbers, and a second batch from the same copy; a W1 batch of
    // 64 rows is shared out between threads.
    const rowLen = 784, count = 1400;
    const big = new Uint8Array(count * rowLen).map((_, i) => (i * 13 + (i >> 9)) & 255);
    const batch64 = Int32Array.from({ length: 64 }, (_, r) => (r * 37 + 11) % count);
    for (const order of [[count - 1, 0, 5, 5, 700], new Int32Array([3, 1399, 2]), new Uint32Array([9]), batch64]) {
      const want = new Float32Array(order.length * rowLen);
      ref.gatherBytes(big, order, rowLen, 255, want);
      const got = b.alloc(order.length * rowLen, 'float32');
      b.gatherBytes(big, order, rowLen, 255, got);
      assert.deepEqual(Array.from(got), Array.from(want), `gatherBytes from a resident data set, rows ${Array.from(order).join(',')}`);
    }
  });

  test(`${label}: softmax, its backward, softmax cross-entropy and reductions`, async () => {
    for (const [rows, cols] of [[1, 1], [3, 7], [100, 10], [13, 1031]]) {
      const x = rand(ref, rows * cols, -20, 20), dy = rand(ref, rows * cols);
      for (const log of [false, true]) {
        same(`softmax log=${log} ${rows}×${cols}`, b, [x], [rows * cols], (k, [xx], [y]) => k.softmax(xx, rows, cols, y, log));
        // The fused backward against its definition in src/ops/softmax.ts, at the forward's output.
        const y = new Float32Array(rows * cols);
        ref.softmax(x, rows, cols, y, log);
        fastPath(`softmax backward log=${log} ${rows}×${cols}`, b, [y, dy], [rows * cols],
          ([yy, d], [dx]) => softmaxBackward(yy, d, rows, cols, dx, log), ([yy, d], [dx]) => b.softmaxBackward!(yy, d, rows, cols, dx, log));
      }
      const labels = Int32Array.from({ length: rows }, (_, r) => (r * 7) % cols);
      same(`softmaxCrossEntropy ${rows}×${cols}`, b, [x], [rows * cols, 1], (k, [xx], [probs, loss]) => {
        const lab = k.allocInt32(rows);
        lab.set(labels);
        loss[0] = k.softmaxCrossEntropy(xx, lab, rows, cols, probs);
      });
      // countCorrect's fast path against the arg-max its definition takes from reduce, with ties
      // (the first maximum counts) and NaNs (a NaN wins); half the rows labelled with their arg-max.
      const scores = Float32Array.from(x, (v, i) => (i % 5 === 0 ? 1 : i % 11 === 3 ? NaN : v));
      const where = new Int32Array(rows);
      ref.reduce('max', scores, [rows, cols], [1], new Float32Array(rows), where);
      const truth = labels.map((l, r) => (r % 2 ? where[r] - r * cols : l));
      const want = truth.filter((l, r) => where[r] - r * cols === l).length;
      assert.equal(b.countCorrect!(copy(b, scores), truth, rows, cols), want, `${b.name}: countCorrect ${rows}×${cols}`);
      // Its backward, bit for bit (tolerance 0): the kernel rounds each f64 product once, as JavaScript.
      const probs = new Float32Array(rows * cols);
      ref.softmaxCrossEntropy(x, labels, rows, cols, probs);
      for (const s of [1 / rows, 0.37 / rows]) {
        fastPath(`crossEntropy backward ${rows}×${cols} s=${s}`, b, [probs], [rows * cols],
          ([p], [dx]) => crossEntropyBackward(p, labels, rows, cols, s, dx), ([p], [dx]) => b.crossEntropyBackward!(p, labels, rows, cols, s, dx), 0);
      }
    }
    const shape = [3, 5, 1, 7];
    const x = rand(ref, 105);
    x[17] = x[18]; // a tie: the first one wins
    for (const axes of [[], [0], [1], [3], [1, 2], [0, 1, 2, 3], [2, 3], [0, 2]]) {
      const n = shape.reduce((p, d, i) => p * (axes.includes(i) ? 1 : d), 1);
      same(`reduce sum axes=${axes}`, b, [x], [n], (k, [xx], [o]) => k.reduce('sum', xx, shape, axes, o));
      same(`reduce max axes=${axes}`, b, [x], [n, n], (k, [xx], [o, where]) => {
        const arg = k.allocInt32(n);
        k.reduce('max', xx, shape, axes, o, arg);
        where.set(arg);
      }, 0);
    }
  });

  test(`${label}: arrays from outside the wasm memory are copied in and out`, async () => {
    await threaded.ready();
    const a = Float32Array.from({ length: 12 }, (_, i) => i), c = new Float32Array(9);
    b.gemm(false, false, 3, 3, 4, a, a, 0, c);
    const r = new Float32Array(9);
    ref.gemm(false, false, 3, 3, 4, a, a, 0, r);
    assert.deepEqual(Array.from(c), Array.from(r));
  });
}

/**
 * Train a few steps of the CNN with one seed on a backend; returns the loss curve. The batch of 12
 * keeps the convolution on one thread; a batch of 30 splits it across the threads.
 */
function curve(backendName: string, batchSize = 12): number[] {
  setBackend(backendName);
  try {
    manualSeed(5);
    const r = new Random(6);
    const images = new Uint8Array(60 * 784).map(() => r.int(256));
    const labels = new Uint8Array(60).map(() => r.int(10));
    const data = new ImageDataset(images, labels, 60, 28, 28);
    const net = cnn({ kernels: 6, hidden: 16 });
    const losses: number[] = [];
    trainEpoch(net, data, new Adam(net.parameters(), { lr: 0.002 }), { batchSize, rng: new Random(7), onBatch: (i) => losses.push(i.loss) });
    trainEpoch(net, data, new SGD(net.parameters(), { lr: 0.05, momentum: 0.9 }), { batchSize, rng: new Random(8), onBatch: (i) => losses.push(i.loss) });
    return losses;
  } finally {
    setBackend('reference');
  }
}

test('training the CNN gives the same loss curve on both backends', async () => {
  await threaded.ready();
  registerBackend(threaded);
  const a = curve('reference');
  const b = curve('wasm');
  assert.equal(a.length, 10);
  assertClose(b, a, 1e-4, 'loss curve');
});

test('the wasm kernels give the same bits on 1 and on 3 threads', async () => {
  await threaded.ready();
  // Large enough to run on all 3 threads (3 grains of work or more, 24 when the pool is oversubscribed).
  const g: Conv2dGeometry = { N: 80, C: 2, H: 36, W: 36, OC: 7, KH: 5, KW: 5, OH: 32, OW: 32, stride: 1, padding: 0 };
  const x = rand(ref, 80 * 2 * 36 * 36), dy = rand(ref, 80 * 7 * 32 * 32), a = rand(ref, 130 * 2800), bb = rand(ref, 2800 * 70);
  const big = rand(ref, 100 * 2 * 3000);
  const h = rand(ref, 64 * 1024), w = rand(ref, 384 * 1024), bias = rand(ref, 384);
  const run = (k: WasmBackend) => {
    const dw = k.alloc(7 * 50, 'float32'), db = k.alloc(7, 'float32'), c = k.alloc(130 * 70, 'float32');
    k.conv2dBackwardFilter(copy(k, x), copy(k, dy), g, dw, db); // a sum over the batch
    k.gemm(false, false, 130, 70, 2800, copy(k, a), copy(k, bb), 0, c);
    // A dense layer's product, wider than tall: shared out by columns (output neurons).
    const dense = k.alloc(64 * 384, 'float32');
    k.gemm(false, true, 64, 384, 1024, copy(k, h), copy(k, w), 0, dense, { bias: copy(k, bias), relu: true });
    // Batch norm's channel sums, 2 channels of 100 × 3000 values: each channel on its own thread.
    const s1 = k.alloc(2, 'float32'), s2 = k.alloc(2, 'float32');
    k.channelSums(copy(k, big), copy(k, big), null, null, 100, 2, 3000, s1, s2);
    return [Array.from(dw), Array.from(db), Array.from(c), Array.from(dense), Array.from(s1), Array.from(s2)];
  };
  const nts = threadsUsed(() => run(threaded));
  assert.deepEqual(nts, [3, 3, 3, 2], 'the kernels ran on all 3 threads (the channel sums on one per channel)');
  assert.deepEqual(run(threaded), run(single));
});

/** The thread counts of the pool's jobs while fn runs (a call kept on the caller's thread is not a job). */
function threadsUsed(fn: () => void): number[] {
  const seen: number[] = [];
  const run = ThreadPool.prototype.run;
  ThreadPool.prototype.run = function (this: ThreadPool, kernel: string, args: number[], nt?: number) {
    seen.push(nt ?? this.threads);
    return run.call(this, kernel, args, nt);
  };
  try {
    fn();
  } finally {
    ThreadPool.prototype.run = run;
  }
  return seen;
}

test('a kernel call gets threads by its work: one per grain, from 1 to all', async () => {
  await threaded.ready();
  // A grain is 2²⁰ multiply-adds (2¹⁵ elements), 8 times that when the pool has more threads than cores.
  const s = threaded.oversubscribed ? 8 : 1;
  const gemm = (grains: number) => threadsUsed(() => {
    const [M, N, K] = [64, 128, 128 * s * grains];
    threaded.gemm(false, false, M, N, K, threaded.alloc(M * K, 'float32'), threaded.alloc(K * N, 'float32'), 0, threaded.alloc(M * N, 'float32'));
  });
  assert.deepEqual(gemm(1 / 8), [], 'a small product stays on the calling thread');
  assert.deepEqual(gemm(1), [], 'one grain: one thread');
  assert.deepEqual(gemm(2), [2], 'two grains: two threads');
  assert.deepEqual(gemm(16), [3], '16 grains: all 3 threads');
  const axpy = (grains: number) => threadsUsed(() => {
    const n = (1 << 15) * s * grains;
    threaded.axpy(2, threaded.alloc(n, 'float32'), threaded.alloc(n, 'float32'));
  });
  assert.deepEqual([axpy(1 / 32), axpy(2), axpy(32)], [[], [2], [3]]);
});

test('the wasm backend trains to the same numbers on 1 and on 3 threads', async () => {
  await threaded.ready();
  registerBackend(single);
  const one = curve('wasm', 30);
  registerBackend(threaded);
  const three = curve('wasm', 30);
  assert.equal(one.length, 4);
  assert.deepEqual(three, one);
});

test('a training step reuses its memory: the wasm heap stops growing', async () => {
  await threaded.ready();
  registerBackend(threaded);
  setBackend('wasm');
  try {
    manualSeed(1);
    const r = new Random(2);
    const data = new ImageDataset(new Uint8Array(200 * 784).map(() => r.int(256)), new Uint8Array(200).map(() => r.int(10)), 200, 28, 28);
    const net = cnn({ kernels: 8, hidden: 32 });
    const opt = new Adam(net.parameters());
    trainEpoch(net, data, opt, { batchSize: 20 });
    const before = threaded.heapBytes;
    for (let e = 0; e < 3; e++) trainEpoch(net, data, opt, { batchSize: 20 });
    assert.equal(threaded.heapBytes, before, 'heap grew after the first epoch');
  } finally {
    setBackend('reference');
  }
});

test('a batch gathered ahead on a worker thread is the batch asked for, bit for bit, and memory stays flat', async () => {
  await threaded.ready();
  registerBackend(threaded);
  setBackend('wasm');
  try {
    // 1,400 images of 784 bytes: over 1 MiB, so the data set lives in the wasm memory and batches can be gathered ahead.
    const r = new Random(3), count = 1400, px = 784;
    const data = new ImageDataset(new Uint8Array(count * px).map(() => r.int(256)), new Uint8Array(count).map(() => r.int(10)), count, 28, 28);
    const order = Int32Array.from({ length: count }, (_, i) => (i * 389) % count);
    const want = (idx: ArrayLike<number>) => {
      const x = new Float32Array(idx.length * px);
      ref.gatherBytes(data.images, idx, px, 255, x);
      return Array.from(x);
    };
    let taken = 0;
    const gathered = threaded.gathered.bind(threaded);
    threaded.gathered = (...a) => {
      const x = gathered(...a);
      if (x) taken++;
      return x;
    };
    // A product on all 3 threads, as a step has: once it ends, the worker gathers the next batch.
    const [a, b, c] = [128 * 784, 784 * 256, 128 * 256].map((n) => threaded.alloc(n, 'float32', 'user').fill(0.5));
    const steps = (from: number, n: number) => {
      for (let s = from; s < from + n; s++) {
        threaded.scope(() => {
          const idx = order.subarray(s * 64, (s + 1) * 64), next = order.subarray((s + 1) * 64, (s + 2) * 64);
          const { x, y } = data.batch(idx, 'user', next);
          assert.deepEqual(Array.from(x.data), want(idx), `batch ${s}`);
          assert.deepEqual(Array.from(y), Array.from(idx, (i) => data.labels[i]));
          threaded.gemm(false, false, 128, 256, 784, a, b, 0, c);
        });
      }
    };
    steps(0, 4);
    const heap = threaded.heapBytes;
    steps(4, 12);
    assert.equal(taken, 15, 'every batch after the first came from the worker');
    assert.equal(threaded.heapBytes, heap, 'the heap grew');
    // Other rows than the ones gathered ahead: those are dropped and the rows asked for returned.
    const { x } = data.batch(order.subarray(300, 364));
    assert.deepEqual(Array.from(x.data), want(order.subarray(300, 364)));
    assert.equal(taken, 15);
    // A DataLoader's loop (outside any scope, the step rule) gathers ahead too, and its memory stays flat.
    const loader = new DataLoader(data, { batchSize: 100, rng: new Random(4) });
    const pass = () => {
      for (const batch of loader) {
        assert.equal(batch.x.shape[0], batch.y.length);
        threaded.gemm(false, false, 128, 256, 784, a, b, 0, c);
      }
    };
    pass();
    const before = threaded.heapBytes, takenBefore = taken;
    pass();
    assert.equal(taken - takenBefore, loader.length - 1);
    assert.equal(threaded.heapBytes, before, 'the heap grew in a DataLoader loop');
    // A bad index for the next batch is refused before any thread reads memory with it.
    assert.throws(() => data.batch(order.subarray(0, 4), 'user', [0, count]), /batch: next\[1\] is 1400, expected an integer from 0 to 1399/);
  } finally {
    threaded.gathered = WasmBackend.prototype.gathered;
    setBackend('reference');
  }
});

/** C (M×N) is NaN exactly where `nan(i, j)` says, and finite elsewhere. */
function nanWhere(c: Data, M: number, N: number, nan: (i: number, j: number) => boolean, name: string): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      const v = c[i * N + j];
      assert.equal(nan(i, j) ? Number.isNaN(v) : Number.isFinite(v), true, `${name}: C[${i},${j}] = ${v}, expected ${nan(i, j) ? 'NaN' : 'a finite number'}`);
    }
  }
}

test('gemm: 0·∞ and 0·NaN give NaN on every backend (no shortcut for zeros in A or B)', async () => {
  await threaded.ready();
  // op(A)[:,2] and op(A)[:,4] are zero, op(B)[2,1] = ∞ and op(B)[4,3] = NaN, so by the definition
  // C[i,1] = ... + 0·∞ = NaN and C[i,3] = ... + 0·NaN = NaN in every row; the other columns are finite.
  // The larger size takes the wasm backend's packed, threaded path.
  for (const [M, N, K] of [[3, 4, 5], [70, 130, 300]]) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const a = rand(ref, M * K), bb = rand(ref, K * N);
      // Columns 4–7 all zero: a whole chunk of 4 that the A·Bᵀ kernel would skip but for the NaN.
      for (let i = 0; i < M; i++) for (const k of [2, 4, 5, 6, 7]) if (k < K) a[ta ? k * M + i : i * K + k] = 0;
      bb[tb ? 1 * K + 2 : 2 * N + 1] = Infinity;
      bb[tb ? 3 * K + 4 : 4 * N + 3] = NaN;
      for (const [label, k] of [['reference', ref] as [string, Backend], ...backends]) {
        const c = k.alloc(M * N, 'float32');
        k.gemm(ta, tb, M, N, K, copy(k, a), copy(k, bb), 0, c);
        nanWhere(c, M, N, (i, j) => j === 1 || j === 3, `${label}: gemm ${M}×${N}×${K} ${ta} ${tb}`);
      }
    }
  }
  // The mirror: rows 1 and 3 of op(B) all zero (most rows zero, so the packed kernel would skip them)
  // facing op(A)[2,1] = ∞ and op(A)[4,3] = NaN: rows 2 and 4 of C are NaN, the others finite.
  const [M, N, K] = [9, 40, 8];
  for (const ta of [false, true]) {
    const a = rand(ref, M * K), bb = rand(ref, K * N);
    for (let k = 0; k < K; k++) if (k % 2 === 1) for (let j = 0; j < N; j++) bb[k * N + j] = 0;
    a[ta ? 1 * M + 2 : 2 * K + 1] = Infinity;
    a[ta ? 3 * M + 4 : 4 * K + 3] = NaN;
    for (const [label, k] of [['reference', ref] as [string, Backend], ...backends]) {
      const c = k.alloc(M * N, 'float32');
      k.gemm(ta, false, M, N, K, copy(k, a), copy(k, bb), 0, c);
      nanWhere(c, M, N, (i) => i === 2 || i === 4, `${label}: gemm ${M}×${N}×${K} ${ta} false`);
    }
  }
});

test('gemm: skipping the zeros of A·Bᵀ leaves every other value the same, bit for bit', async () => {
  await threaded.ready();
  // Rows of A with runs of zeros (and a −0, which is not skipped), as MNIST images and ReLU outputs have.
  // The same product again with one NaN in B turns the skipping off for the whole call (0·NaN is NaN);
  // every column but the NaN's must come out with the same bits. M ≥ N, so every thread's blocks span all of B.
  for (const [M, N, K] of [[64, 40, 784], [11, 10, 37], [200, 128, 130]]) {
    const a = rand(ref, M * K), bb = rand(ref, N * K), bias = rand(ref, N);
    for (let i = 0; i < M; i++) {
      for (let k = 0; k < K; k++) if ((k + 7 * i) % 23 < 14 || i % 5 === 0) a[i * K + k] = 0;
    }
    a[3 * K + 1] = -0;
    const withNaN = Float32Array.from(bb);
    withNaN[(N - 1) * K + 5] = NaN;
    for (const [label, k] of backends) {
      const c1 = k.alloc(M * N, 'float32'), c2 = k.alloc(M * N, 'float32');
      k.gemm(false, true, M, N, K, copy(k, a), copy(k, bb), 0, c1, { bias: copy(k, bias), relu: true });
      k.gemm(false, true, M, N, K, copy(k, a), copy(k, withNaN), 0, c2, { bias: copy(k, bias), relu: true });
      for (let i = 0; i < M; i++) {
        assert.ok(Number.isNaN(c2[i * N + N - 1]), `${label}: the NaN column`);
        for (let j = 0; j < N - 1; j++) {
          assert.ok(Object.is(c1[i * N + j], c2[i * N + j]), `${label}: ${M}×${N}×${K} C[${i},${j}] = ${c1[i * N + j]} skipping, ${c2[i * N + j]} not`);
        }
      }
    }
  }
});

test('gemm: A·Bᵀ gives each element the same bits whichever block of dot products computed it', async () => {
  await threaded.ready();
  // The whole 7×8 product (3×3 blocks, finished three dots at a time, and leftover rows and columns,
  // finished one by one) against each element computed alone (a 1×1 call): K = 13 leaves a tail of
  // one after the 4-value chunks; bias, ReLU and C += (beta 1) go through the same epilogue.
  const [M, N, K] = [7, 8, 13];
  const a = rand(ref, M * K), bb = rand(ref, N * K), bias = rand(ref, N), c0 = rand(ref, M * N);
  for (let k = 0; k < 8; k++) a[K + k] = 0; // a zero chunk in one row of a block: skipped there, not alone
  for (const [label, k] of backends) {
    for (const [beta, relu] of [[0, false], [1, false], [1, true]] as const) {
      const whole = copy(k, c0);
      k.gemm(false, true, M, N, K, copy(k, a), copy(k, bb), beta, whole, { bias: copy(k, bias), relu });
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          const one = copy(k, c0.subarray(i * N + j, i * N + j + 1));
          k.gemm(false, true, 1, 1, K, copy(k, a.subarray(i * K, (i + 1) * K)), copy(k, bb.subarray(j * K, (j + 1) * K)), beta, one,
            { bias: copy(k, bias.subarray(j, j + 1)), relu });
          assert.ok(Object.is(whole[i * N + j], one[0]), `${label}: beta ${beta} relu ${relu} C[${i},${j}] = ${whole[i * N + j]} in the whole product, ${one[0]} alone`);
        }
      }
    }
  }
});

test('gemm: skipping the zero rows of packed B leaves every other value the same, bit for bit', async () => {
  await threaded.ready();
  // op(B) with a third of its 8-column runs of a row zero (and half-zero ones), as in a weight gradient dyᵀ·x over MNIST images; the
  // same product again with one NaN in A turns the skipping off (0·NaN is NaN): every row but the
  // NaN's must come out with the same bits. Sizes: W1's weight gradient, several K blocks on threads,
  // more columns than one packed block.
  for (const [M, N, K] of [[128, 784, 64], [130, 300, 600], [70, 2100, 40]]) {
    for (const ta of [true, false]) {
      const a = rand(ref, M * K), bb = rand(ref, K * N), bias = rand(ref, N);
      for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) if ((k + (j >> 2)) % 3 !== 0) bb[k * N + j] = 0;
      bb[7 * N + 9] = -0;
      const withNaN = Float32Array.from(a);
      withNaN[ta ? 5 * M + M - 1 : (M - 1) * K + 5] = NaN;
      for (const [label, k] of backends) {
        const c1 = k.alloc(M * N, 'float32'), c2 = k.alloc(M * N, 'float32');
        k.gemm(ta, false, M, N, K, copy(k, a), copy(k, bb), 0, c1, { bias: copy(k, bias), relu: false });
        k.gemm(ta, false, M, N, K, copy(k, withNaN), copy(k, bb), 0, c2, { bias: copy(k, bias), relu: false });
        for (let j = 0; j < N; j++) assert.ok(Number.isNaN(c2[(M - 1) * N + j]), `${label}: the NaN row`);
        for (let i = 0; i < (M - 1) * N; i++) {
          assert.ok(Object.is(c1[i], c2[i]), `${label}: ${M}×${N}×${K} ${ta}: C[${Math.floor(i / N)},${i % N}] = ${c1[i]} skipping, ${c2[i]} not`);
        }
      }
    }
  }
});
