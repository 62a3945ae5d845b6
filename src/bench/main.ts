// `npm run bench`: zerograd and its JavaScript peers on the same workloads, side by side, in one run.
// Each measurement runs in a fresh process; results print as a table with ratios and are saved as JSON.
import { execFile } from 'node:child_process';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { writeFileAtomic } from '../io/node.js';
import type { Measurement, WorkloadId } from './common.js';
import { WARMUP_SECONDS, WINDOW_SECONDS } from './common.js';
import { embeddedMnistDir } from '../data/mnist.js';

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));
const TORCH = fileURLToPath(new URL('../../bench/torch_bench.py', import.meta.url));

function measure(spec: object, timeoutS: number): Promise<Measurement[]> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CHILD, JSON.stringify(spec)], { timeout: timeoutS * 1000, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      const s = spec as { lib: string; workload: string };
      if (err) {
        const why = err.killed ? `timed out after ${timeoutS}s` : (stderr.trim().split('\n').pop() ?? err.message);
        resolve([{ lib: s.lib, workload: s.workload, value: null, unit: 'samples/s', peakRss: 0, note: `failed: ${why}` }]);
        return;
      }
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Measurement[]);
    });
  });
}

/** The same workload on PyTorch (bench/torch_bench.py), when it is installed. */
function measureTorch(py: string, workload: string, seconds: number): Promise<Measurement[]> {
  return new Promise((resolve) => {
    execFile(py, [TORCH, embeddedMnistDir(), workload, String(seconds)], { timeout: (seconds * 6 + 120) * 1000, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      if (err) {
        resolve([{ lib: 'PyTorch', workload, value: null, unit: 'samples/s', peakRss: 0, note: `failed: ${stderr.trim().split('\n').pop() ?? err.message}` }]);
        return;
      }
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Measurement[]);
    });
  });
}

/** A Python that can import torch: $ZEROGRAD_PYTHON, python3 on the PATH, or Debian's /usr/bin/python3. */
async function python(): Promise<string | null> {
  for (const py of [process.env.ZEROGRAD_PYTHON, 'python3', '/usr/bin/python3']) {
    if (!py) continue;
    const ok = await new Promise<boolean>((resolve) => execFile(py, ['-c', 'import torch'], (err) => resolve(!err)));
    if (ok) return py;
  }
  return null;
}

const fmt = (v: number | null, unit: string) => (v === null ? '—' : unit === 'GFLOP/s' ? v.toFixed(1) : Math.round(v).toLocaleString('en-US'));
const mb = (b: number) => (b ? `${Math.round(b / 2 ** 20)} MB` : '—');

const program = new Command('bench')
  .option('--workloads <list>', 'which workloads', 'W1,W2,W3,W4')
  .option('--libs <list>', 'which libraries', 'zerograd-wasm,zerograd-wasm-1,zerograd-reference,tfjs-cpu,tfjs-wasm,convnetjs')
  .option('--seconds <s>', 'time box per measurement (a workload stops early and reports the rate so far)', '20')
  .option('--threads <n>', 'threads for zerograd wasm', String(availableParallelism()))
  .option('--json <file>', 'also write the results here', 'bench-results.json')
  .parse();
const o = program.opts();
const seconds = Number(o.seconds);
const threads = Number(o.threads);
const libs = (o.libs as string).split(',');
const workloads = (o.workloads as string).split(',') as WorkloadId[];

console.log(`zerograd benchmark — ${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, Node ${process.version}`);
console.log(`W1–W3: samples per second over a time box of ${seconds}s after one warm-up batch; each measurement in its own process`);
console.log(`W4: after ${WARMUP_SECONDS}s of warm-up, the best ${WINDOW_SECONDS}s window of ${Math.min(seconds, 3)}s, for every library\n`);
const torch = await python();
if (!torch) console.log('PyTorch: not measured (python3 -c "import torch" fails on this machine)\n');
else console.log(`PyTorch: measured with ${torch}\n`);

const all: Measurement[] = [];
for (const w of workloads) {
  const rows: Measurement[] = [];
  for (const lib of libs) {
    const spec = lib === 'zerograd-wasm-1' ? { lib: 'zerograd-wasm', threads: 1 } : { lib, threads };
    const ms = await measure({ ...spec, workload: w, seconds }, seconds * 6 + 60);
    rows.push(...ms);
  }
  if (torch) rows.push(...(await measureTorch(torch, w, seconds)));
  all.push(...rows);
  const best = (name: string) => rows.filter((r) => r.workload === name && r.lib.startsWith('zerograd wasm×' + threads))[0];
  console.log(`${w}${w === 'W4' ? ' (GFLOP/s)' : ' (samples/s)'}`);
  console.log(`  ${'library'.padEnd(22)} ${'workload'.padEnd(30)} ${'rate'.padStart(10)} ${'peak RSS'.padStart(9)}  zerograd ×${threads} / this`);
  for (const r of rows) {
    const z = best(r.workload);
    const ratio = z && z.value && r.value ? `${(z.value / r.value).toFixed(1)}×` : '';
    const partial = r.samples !== undefined && r.unit === 'samples/s' ? ` (${r.samples} timed)` : '';
    console.log(`  ${r.lib.padEnd(22)} ${r.workload.padEnd(30)} ${fmt(r.value, r.unit).padStart(10)} ${mb(r.peakRss).padStart(9)}  ${ratio}${r.note ? `  ${r.note}` : ''}${partial}`);
  }
  console.log('');
}
writeFileAtomic(o.json as string, JSON.stringify({ date: new Date().toISOString(), cores: availableParallelism(), cpu: cpus()[0]?.model, node: process.version, results: all }, null, 2));
console.log(`saved ${o.json}`);
