// One measurement in its own process (so peak memory belongs to it alone). Prints a JSON array.
import { runZerograd } from './zerograd.js';
import { runConvnetjs, runTfjs } from './peers.js';
import type { Measurement, WorkloadId } from './common.js';

const spec = JSON.parse(process.argv[2]) as { lib: string; workload: WorkloadId; seconds: number; threads?: number };
let out: Measurement[];
switch (spec.lib) {
  case 'zerograd-wasm': out = await runZerograd(spec.workload, 'wasm', spec.threads ?? 2, spec.seconds); break;
  case 'zerograd-reference': out = await runZerograd(spec.workload, 'reference', 1, spec.seconds); break;
  case 'tfjs-cpu': out = await runTfjs(spec.workload, 'cpu', spec.seconds); break;
  case 'tfjs-wasm': out = await runTfjs(spec.workload, 'wasm', spec.seconds); break;
  case 'convnetjs': out = await runConvnetjs(spec.workload, spec.seconds); break;
  default: throw new Error(`unknown library ${spec.lib}`);
}
const threads = spec.lib === 'zerograd-wasm' ? spec.threads ?? 2 : 1;
process.stdout.write(JSON.stringify(out.map((m) => ({ ...m, threads }))) + '\n');
process.exit(0);
