// The W1 workload as `npm run bench` runs it on zerograd (784-128-10 MLP, SGD 0.1, batch 64, the
// bench's batch order), set up once for the scripts that look inside it (bench:w1, bench:w1-ramp).
import * as zg from '../index.js';
import { useBackend } from '../backends/wasm/node.js';
import { mnist, order } from './common.js';

export const W1_BATCH = 64;

/** A fresh W1 run on the wasm backend with `threads` threads: the network, its optimizer, and batch i of the epoch. */
export async function w1Run(threads: number) {
  await useBackend({ backend: 'wasm', threads });
  zg.manualSeed(1);
  const b = zg.backend();
  const { train } = mnist();
  const net = zg.mlp({ hidden: [128] });
  const opt = new zg.SGD(net.parameters(), { lr: 0.1 });
  const idx = order(train.count);
  const batches = Math.floor(train.count / W1_BATCH);
  /** Batch i (taken modulo the epoch's batches), with batch i + 1 gathered ahead as the training loop does. */
  const batch = (i: number) => {
    const k = i % batches, n = (i + 1) % batches;
    return train.batch(idx.subarray(k * W1_BATCH, (k + 1) * W1_BATCH), 'user', idx.subarray(n * W1_BATCH, (n + 1) * W1_BATCH));
  };
  return { b, net, opt, batch };
}
