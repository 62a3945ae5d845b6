// The explainer's training worker: trains a zerograd model on MNIST off the page's thread and
// reports progress; the page stays responsive. Runs the wasm backend when it can.
import * as zg from '../index.js';
import { WasmBackend } from '../backends/wasm/index.js';
import { WATCHED_DIGITS, type FromWorker, type Progress, type ToWorker, type TrainConfig } from './protocol.js';

const post = (m: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

let paused = false;
let model: zg.Sequential | null = null;
let resumeWaiter: (() => void) | null = null;

/**
 * The wasm backend on as many threads as the machine has (Web Workers sharing one memory; this
 * worker may block in Atomics.wait, the page may not), else on one thread, else the reference backend.
 */
async function chooseBackend(): Promise<void> {
  const threads = Math.max(1, Math.min(8, navigator.hardwareConcurrency || 1));
  if (threads > 1 && (self as unknown as { crossOriginIsolated: boolean }).crossOriginIsolated) {
    const workers: Worker[] = [];
    try {
      const b = new WasmBackend({
        threads,
        spawn: (init) => {
          const w = new Worker(new URL('./wasm-thread.js', import.meta.url), { type: 'module' });
          w.postMessage(init);
          workers.push(w);
          return { terminate: () => w.terminate() };
        },
      });
      await b.ready();
      zg.registerBackend(b);
      zg.setBackend('wasm');
      return;
    } catch {
      for (const w of workers) w.terminate();
    }
  }
  try {
    zg.registerBackend(new WasmBackend({ threads: 1 }));
    zg.setBackend('wasm');
  } catch {
    zg.setBackend('reference');
  }
}
const backendReady = chooseBackend();

async function fetchIdx(name: string): Promise<Uint8Array> {
  const r = await fetch(`/data/${name}`);
  if (!r.ok) throw new Error(`cannot load ${name}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

const yieldToMessages = () => new Promise<void>((r) => setTimeout(r, 0));

async function train(c: TrainConfig): Promise<void> {
  await backendReady;
  post({ type: 'status', message: `loading MNIST… (backend ${zg.backend().name}, ${zg.backend().threads} thread(s))` });
  const [ti, tl, si, sl] = await Promise.all(['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'].map(fetchIdx));
  const train = zg.ImageDataset.fromIdx(ti, tl).take(c.limit);
  const test = zg.ImageDataset.fromIdx(si, sl);
  zg.manualSeed(c.seed);
  const rng = new zg.Random(c.seed + 1);
  const { model: m, optimizer, schedule, config } = zg.buildTraining(c);
  model = m;
  post({ type: 'status', message: `training ${c.arch}, ${m.parameterCount().toLocaleString('en-US')} parameters, backend ${zg.backend().name} (${zg.backend().threads} thread(s))` });
  try {
    await trainLoop(m, train, test, optimizer, schedule, c, rng, config);
  } catch (e) {
    // The same advice as the command line's, in the form's words.
    if (e instanceof zg.DivergedError) throw new Diverged(zg.divergenceAdvice(e, config.optimizer, config.lr, { optimizer: 'optimizer', lr: 'learning rate', sep: ', ' }));
    throw e;
  }
  sendModel(true, null);
}

class Diverged extends Error {}

async function trainLoop(m: zg.Sequential, train: zg.ImageDataset, test: zg.ImageDataset, optimizer: zg.Optimizer, schedule: zg.Schedule | undefined,
  c: TrainConfig, rng: zg.Random, config: zg.ResolvedConfig): Promise<void> {
  const watched = test.batch(WATCHED_DIGITS);
  const conv = m.layers.find((l): l is zg.Conv2d => l instanceof zg.Conv2d) ?? null;
  let lastReport = 0;
  let steps: Progress['steps'] = [];
  let sliceStart = performance.now();
  let firstLoss = NaN, peakLoss = 0;
  for (const e of zg.trainEpochs(m, train, optimizer, { epochs: c.epochs, batchSize: c.batchSize, rng, schedule })) {
    if (e.type === 'epoch') {
      post({ type: 'status', message: `epoch ${e.epoch + 1}: evaluating on the 10,000 test images…` });
      await yieldToMessages();
      const { accuracy } = zg.evaluate(m, test);
      post({ type: 'epoch', epoch: e.epoch + 1, trainLoss: e.trainLoss, testAccuracy: accuracy, seconds: e.seconds });
      if (accuracy < zg.NEAR_CHANCE_ACCURACY) {
        post({ type: 'warning', message: zg.nearChanceAdvice({ epoch: e.epoch, accuracy, firstLoss, peakLoss, trainLoss: e.trainLoss, lr: config.lr, optimizer: config.optimizer },
          { lr: 'learning rate', limit: 'training images' }) });
      }
      continue;
    }
    if (Number.isNaN(firstLoss)) firstLoss = e.loss;
    peakLoss = Math.max(peakLoss, e.loss);
    steps.push({ at: e.epoch + e.batch / e.batches, loss: e.loss, accuracy: e.correct / e.size });
    const now = performance.now();
    if (now - lastReport > 250 || e.batch === e.batches) {
      lastReport = now;
      const predictions = Array.from(zg.predictProbabilities(m, watched.x).argmax(-1));
      const kernels = conv ? Float32Array.from(conv.weight.data) : null;
      post({ type: 'progress', epoch: e.epoch + 1, batch: e.batch, batches: e.batches, done: (e.epoch + e.batch / e.batches) / c.epochs, loss: e.meanLoss,
        trainAccuracy: e.accuracy, steps, samplesPerSecond: e.samples / e.seconds, kernels, kernelShape: conv ? [...conv.weight.shape] : null, predictions },
        kernels ? [kernels.buffer] : []);
      steps = [];
    }
    // Give pause/export messages a chance every ~50 ms of work; the loop waits here between steps while paused.
    if (now - sliceStart > 50) {
      await yieldToMessages();
      while (paused) await new Promise<void>((r) => (resumeWaiter = r));
      sliceStart = performance.now();
    }
  }
}

/** The weights as they are now, as a model file (a fresh snapshot each time: the page never reuses an old one). */
function sendModel(final: boolean, id: number | null): void {
  if (!model) return;
  const bytes = zg.encodeModel(model, [1, 28, 28], 10, { arch: 'trained in the explainer' });
  post({ type: 'model', bytes, final, id }, [bytes.buffer as ArrayBuffer]);
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  if (m.type === 'start') {
    train(m.config).catch((e: Error) => post({ type: 'error', message: e.message, diverged: e instanceof Diverged }));
  } else if (m.type === 'pause') {
    paused = true;
  } else if (m.type === 'resume') {
    paused = false;
    resumeWaiter?.();
    resumeWaiter = null;
  } else if (m.type === 'export') {
    sendModel(false, m.id);
  }
};
