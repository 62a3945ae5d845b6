// npm run bench:w1-ramp [-- --threads 2 --quarters 12]: how a fresh process's W1 training speeds up.
// Times each quarter of an epoch (234 steps of 64) from the very first step, in this process only:
// run it once per thread count, since a second backend in the same process would start warm.
// This is why `npm run bench` runs STEP_WARMUP_SECONDS of untimed steps before it times an epoch.
import { parseArgs } from 'node:util';
import * as zg from '../index.js';
import { W1_BATCH, w1Run } from './w1.js';

const { values } = parseArgs({ options: { threads: { type: 'string', default: '2' }, quarters: { type: 'string', default: '12' } } });
const threads = Number(values.threads);
const quarters = Number(values.quarters);
const STEPS = 234; // a quarter of the 937 full batches of an epoch

const { b, net, opt, batch } = await w1Run(threads);
const rates: number[] = [];
for (let q = 0; q < quarters; q++) {
  const t0 = performance.now();
  for (let s = 0; s < STEPS; s++) {
    b.scope(() => {
      const { x, y } = batch(q * STEPS + s);
      zg.trainStep(net, opt, x, y);
    });
  }
  rates.push((STEPS * W1_BATCH) / ((performance.now() - t0) / 1000));
}
console.log(`W1 on ${threads} thread${threads > 1 ? 's' : ''}, samples/s per quarter epoch from a fresh process (Node ${process.version}):`);
console.log(rates.map((r) => Math.round(r).toLocaleString('en-US')).join(' → '));
process.exit(0);
