// `npm run bench`: zerograd and its peers on the same workloads, side by side, in one run.
// Each measurement runs in a fresh process; results print as tables with ratios and are saved as JSON.
//   npm run bench -- --threads 1,2,4     zerograd wasm and PyTorch at each thread count, plus a scaling table
//   npm run bench -- --repeat 3          every measurement three times, in interleaved rounds; rows show medians
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { writeFileAtomic } from '../io/node.js';
import type { Measurement, WorkloadId } from './common.js';
import { STEP_WARMUP_SECONDS, WARMUP_SECONDS, WINDOW_SECONDS } from './common.js';
import { embeddedMnistDir } from '../data/mnist.js';

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));
const TORCH = fileURLToPath(new URL('../../bench/torch_bench.py', import.meta.url));
const require = createRequire(import.meta.url);
const versionOf = (pkg: string): string => (JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version: string }).version;
const ZEROGRAD_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function failed(lib: string, workload: string, threads: number, why: string): Measurement[] {
  return [{ lib, workload, threads, value: null, unit: workload.startsWith('W4') ? 'GFLOP/s' : 'samples/s', peakRss: 0, note: `failed: ${why}` }];
}

function measure(spec: { lib: string; workload: string; threads: number; seconds: number }, timeoutS: number): Promise<Measurement[]> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CHILD, JSON.stringify(spec)], { timeout: timeoutS * 1000, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      if (err) {
        const why = err.killed ? `timed out after ${timeoutS}s` : (stderr.trim().split('\n').pop() ?? err.message);
        resolve(failed(spec.lib, spec.workload, spec.threads, why));
        return;
      }
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Measurement[]);
    });
  });
}

/**
 * The same workload on PyTorch (bench/torch_bench.py) on `threads` threads: torch.set_num_threads
 * there, and OMP_NUM_THREADS / OPENBLAS_NUM_THREADS here, so that its BLAS uses no more either.
 */
function measureTorch(py: string, workload: string, seconds: number, threads: number): Promise<Measurement[]> {
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  return new Promise((resolve) => {
    execFile(py, [TORCH, embeddedMnistDir(), workload, String(seconds), String(threads)], { env, timeout: (seconds * 6 + 120) * 1000, maxBuffer: 1 << 24 },
      (err, stdout, stderr) => {
        if (err) resolve(failed('PyTorch', workload, threads, stderr.trim().split('\n').pop() ?? err.message));
        else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Measurement[]);
      });
  });
}

/** A Python that can import torch ($ZEROGRAD_PYTHON, python3 on the PATH, or Debian's /usr/bin/python3), and torch's version. */
async function python(): Promise<{ py: string; version: string } | null> {
  for (const py of [process.env.ZEROGRAD_PYTHON, 'python3', '/usr/bin/python3']) {
    if (!py) continue;
    const version = await new Promise<string | null>((resolve) =>
      execFile(py, ['-c', 'import torch; print(torch.__version__)'], (err, out) => resolve(err ? null : out.trim())));
    if (version) return { py, version };
  }
  return null;
}

/** Physical cores (lscpu's distinct core–socket pairs; two hyperthreads of one core count once), else the logical CPUs. */
async function physicalCores(): Promise<number> {
  const out = await new Promise<string>((resolve) => execFile('lscpu', ['-p=CORE,SOCKET'], (err, o) => resolve(err ? '' : o)));
  const cores = new Set(out.split('\n').filter((l) => l && !l.startsWith('#')));
  return cores.size || availableParallelism();
}

/** "1,2,4" -> [1, 2, 4], checked. */
function threadList(s: string): number[] {
  const list = s.split(',').map((t) => Number(t.trim()));
  if (list.length === 0 || list.some((t) => !Number.isInteger(t) || t < 1)) {
    throw new Error(`--threads: expected positive integers separated by commas (1,2,4), got '${s}'`);
  }
  return [...new Set(list)];
}

const fmt = (v: number | null, unit: string) => (v === null ? '—' : unit === 'GFLOP/s' ? v.toFixed(1) : Math.round(v).toLocaleString('en-US'));
const mb = (b: number) => (b ? `${Math.round(b / 2 ** 20)} MB` : '—');
const ratio = (a: number | null | undefined, b: number | null | undefined) => (a && b ? `${(a / b).toFixed(2)}×` : '—');

const program = new Command('bench')
  .option('--workloads <list>', 'which workloads', 'W1,W2,W3,W4')
  .option('--libs <list>', 'which libraries (zerograd-wasm and PyTorch run at every thread count; the others on one thread)',
    'zerograd-wasm,zerograd-reference,tfjs-cpu,tfjs-wasm,convnetjs,pytorch')
  .option('--seconds <s>', 'time box per measurement (a workload stops early and reports the rate so far)', '20')
  .option('--threads <list>', 'thread counts for zerograd wasm and PyTorch, e.g. 1,2,4,8,16', `1,${availableParallelism()}`)
  .option('--repeat <n>', 'measure everything n times, in rounds (each round runs every measurement once, the order reversed ' +
    'every other round), and report each row\'s median: on a shared machine a burst of other work then hits every library alike', '1')
  .option('--json <file>', 'also write the results here', 'bench-results.json')
  .parse();
const o = program.opts();
const seconds = Number(o.seconds);
const repeat = Number(o.repeat);
if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat: expected a positive integer, got '${o.repeat as string}'`);
const threads = threadList(o.threads as string);
const libs = (o.libs as string).split(',').map((l) => (l === 'zerograd-wasm-1' ? 'zerograd-wasm' : l));
const workloads = (o.workloads as string).split(',') as WorkloadId[];
const cores = await physicalCores();
const over = (t: number) => t > cores;

const torch = libs.includes('pytorch') ? await python() : null;
console.log(`zerograd benchmark — ${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'unknown CPU'}, ` +
  `${availableParallelism()} logical CPUs, ${cores} cores (lscpu), Node ${process.version}`);
console.log(`versions: zerograd ${ZEROGRAD_VERSION}, TensorFlow.js ${versionOf('@tensorflow/tfjs')}, ConvNetJS ${versionOf('convnetjs')}, ` +
  (torch ? `PyTorch ${torch.version} (${torch.py})` : 'PyTorch not measured (python3 -c "import torch" fails here)'));
console.log(`threads: zerograd wasm and PyTorch at ${threads.map((t) => (over(t) ? `${t}*` : t)).join(', ')}; ` +
  'zerograd reference, TensorFlow.js and ConvNetJS on 1' + (threads.some(over) ? ` (* more threads than the ${cores} cores: ` +
  `oversubscribed; zerograd wasm runs at most ${availableParallelism()}, one per logical CPU)` : ''));
console.log(`W1–W3: samples per second over a time box of ${seconds}s after ${STEP_WARMUP_SECONDS}s of untimed steps; each measurement in its own process`);
console.log(`W4: after ${WARMUP_SECONDS}s of warm-up, the best ${WINDOW_SECONDS}s window of ${Math.min(seconds, 3)}s, for every library`);
console.log(repeat > 1 ? `each measurement ${repeat} times in interleaved rounds; rows show the median (and the range)\n` : '');

/** The median of each measurement over the rounds, with the range in its note. */
function medianOf(runs: Measurement[][]): Measurement[] {
  return runs[0].map((first, k) => {
    const values = runs.map((r) => r[k]?.value).filter((v): v is number => typeof v === 'number').sort((a, b) => a - b);
    if (values.length === 0) return first;
    const value = values[values.length >> 1];
    const peakRss = Math.max(...runs.map((r) => r[k]?.peakRss ?? 0));
    const range = values.length > 1 ? `median of ${values.length}: ${fmt(values[0], first.unit)}–${fmt(values[values.length - 1], first.unit)}` : '';
    return { ...first, value, peakRss, note: [first.note, range].filter(Boolean).join('; ') || undefined };
  });
}

const all: Measurement[] = [];
for (const w of workloads) {
  const jobs: Array<() => Promise<Measurement[]>> = [];
  for (const lib of libs) {
    if (lib === 'pytorch') continue;
    for (const t of lib === 'zerograd-wasm' ? threads : [1]) jobs.push(() => measure({ lib, threads: t, workload: w, seconds }, seconds * 6 + 60));
  }
  if (torch) for (const t of threads) jobs.push(() => measureTorch(torch.py, w, seconds, t));
  const runs: Measurement[][][] = jobs.map(() => []);
  for (let round = 0; round < repeat; round++) {
    const order = jobs.map((_, j) => j);
    if (round % 2) order.reverse();
    for (const j of order) runs[j].push(await jobs[j]());
  }
  const rows = runs.flatMap(medianOf);
  all.push(...rows);
  // Each row against zerograd wasm at the same thread count and workload.
  const zg = (r: Measurement) => rows.find((z) => z.lib.startsWith('zerograd wasm') && z.threads === r.threads && z.workload === r.workload);
  console.log(`${w}${w === 'W4' ? ' (GFLOP/s)' : ' (samples/s)'}`);
  console.log(`  ${'library'.padEnd(26)} ${'threads'.padStart(7)} ${'workload'.padEnd(30)} ${'rate'.padStart(10)} ${'peak RSS'.padStart(9)}  zerograd wasm, same threads / this`);
  for (const r of rows) {
    const z = zg(r);
    const vs = z && z !== r ? ratio(z.value, r.value) : '';
    const partial = r.samples !== undefined && r.unit === 'samples/s' ? ` (${r.samples} timed)` : '';
    const t = `${r.threads ?? 1}${over(r.threads ?? 1) ? '*' : ''}`;
    console.log(`  ${r.lib.padEnd(26)} ${t.padStart(7)} ${r.workload.padEnd(30)} ${fmt(r.value, r.unit).padStart(10)} ${mb(r.peakRss).padStart(9)}  ${vs}${r.note ? `  ${r.note}` : ''}${partial}`);
  }
  console.log('');
}

if (threads.length > 1 || torch) {
  // The scaling table: zerograd wasm and PyTorch at each thread count, each against its own rate on the fewest threads.
  const t0 = Math.min(...threads);
  console.log(`Scaling (speed-up: rate / own rate at ${t0} thread${t0 > 1 ? 's' : ''}${threads.some(over) ? `; * more threads than the ${cores} cores` : ''})`);
  console.log(`| workload | threads | zerograd wasm | PyTorch${torch ? ` ${torch.version}` : ''} | zerograd / PyTorch | zerograd speed-up | PyTorch speed-up |`);
  console.log('|---|---|---|---|---|---|---|');
  const names = [...new Set(all.filter((r) => r.lib.startsWith('zerograd wasm')).map((r) => r.workload))];
  const at = (prefix: string, name: string, t: number) => all.find((r) => r.lib.startsWith(prefix) && r.workload === name && r.threads === t);
  for (const name of names) {
    for (const t of threads) {
      const z = at('zerograd wasm', name, t), p = at('PyTorch', name, t);
      const unit = z?.unit ?? 'samples/s';
      console.log(`| ${name} | ${t}${over(t) ? '*' : ''} | ${fmt(z?.value ?? null, unit)} | ${fmt(p?.value ?? null, unit)} | ${ratio(z?.value, p?.value)} | ` +
        `${ratio(z?.value, at('zerograd wasm', name, t0)?.value)} | ${ratio(p?.value, at('PyTorch', name, t0)?.value)} |`);
    }
  }
  console.log('');
}
writeFileAtomic(o.json as string, JSON.stringify({ date: new Date().toISOString(), cores, logicalCpus: availableParallelism(), cpu: cpus()[0]?.model,
  node: process.version, versions: { zerograd: ZEROGRAD_VERSION, tfjs: versionOf('@tensorflow/tfjs'), convnetjs: versionOf('convnetjs'), pytorch: torch?.version ?? null },
  threads, repeat, results: all }, null, 2));
console.log(`saved ${o.json}`);
