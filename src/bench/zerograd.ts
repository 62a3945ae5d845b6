// The workloads on zerograd.
import * as zg from '../index.js';
import { useBackend } from '../backends/wasm/node.js';
import { GEMM_SHAPES, bestRate, mnist, order, peakRss, timeBatches, type Measurement, type WorkloadId } from './common.js';

export async function runZerograd(workload: WorkloadId, backend: string, threads: number, seconds: number): Promise<Measurement[]> {
  await useBackend({ backend, threads });
  const lib = backend === 'wasm' ? `zerograd wasm×${threads}` : 'zerograd reference';
  const b = zg.backend();
  zg.manualSeed(1);
  if (workload === 'W4') {
    return GEMM_SHAPES.map(({ name, M, K, N }) => {
      const a = b.alloc(M * K, 'float32'), bb = b.alloc(K * N, 'float32'), c = b.alloc(M * N, 'float32');
      for (let i = 0; i < a.length; i++) a[i] = Math.sin(i);
      for (let i = 0; i < bb.length; i++) bb[i] = Math.cos(i);
      const rate = bestRate(() => b.gemm(false, false, M, N, K, a, bb, 0, c), Math.min(seconds, 3));
      return { lib, workload: `W4 ${name}`, value: (rate * 2 * M * N * K) / 1e9, unit: 'GFLOP/s' as const, peakRss: peakRss() };
    });
  }
  const { train, test } = mnist();
  if (workload === 'W3') {
    const net = zg.cnn({ kernels: 30, kernelSize: 5, hidden: 100 });
    net.eval();
    const r = timeBatches(10, () => 1000, seconds, (i) => b.scope(() => zg.noGrad(() => {
      const { x } = test.batch(Array.from({ length: 1000 }, (_, k) => i * 1000 + k));
      net.forward(x).softmax();
    })));
    return [{ lib, workload: 'W3', value: r.rate, unit: 'samples/s', samples: r.samples, peakRss: peakRss() }];
  }
  const w1 = workload === 'W1';
  const net = w1 ? zg.mlp({ hidden: [128] }) : zg.cnn({ kernels: 30, kernelSize: 5, hidden: 100 });
  const opt = w1 ? new zg.SGD(net.parameters(), { lr: 0.1 }) : new zg.Adam(net.parameters(), { lr: 0.001 });
  const bs = w1 ? 64 : 100;
  const idx = order(train.count);
  const batches = Math.ceil(train.count / bs);
  const size = (i: number) => Math.min(bs, train.count - i * bs);
  let lastLoss = 0;
  const r = timeBatches(batches, size, seconds, (i) => b.scope(() => {
    // As the library's training loop does: the next batch is gathered on a spare thread meanwhile.
    const n = (i + 1) % batches;
    const { x, y } = train.batch(idx.subarray(i * bs, i * bs + size(i)), 'user', idx.subarray(n * bs, n * bs + size(n)));
    lastLoss = zg.trainStep(net, opt, x, y).loss;
  }));
  return [{ lib, workload, value: r.rate, unit: 'samples/s', samples: r.samples, peakRss: peakRss(), note: `last loss ${lastLoss.toFixed(3)}` }];
}
