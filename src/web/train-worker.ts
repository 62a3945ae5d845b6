// The explainer's training worker: trains a zerograd model on MNIST off the page's thread and
// reports progress; the page stays responsive. Runs the wasm backend when it can.
import * as zg from '../index.js';
import { WasmBackend } from '../backends/wasm/index.js';
import { WATCHED_DIGITS, type FromWorker, type ToWorker, type TrainConfig } from './protocol.js';

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

function build(c: TrainConfig): zg.Sequential {
  if (c.arch === 'cnn') return zg.cnn({ kernels: c.kernels, kernelSize: c.kernelSize, pool: c.pool, hidden: c.hidden[0] ?? 100 });
  if (c.arch === 'dnn') return zg.dnn({ hidden: c.hidden.length >= 2 ? c.hidden : [256, 128] });
  return zg.mlp({ hidden: c.hidden.length ? [c.hidden[0]] : [128] });
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
  model = build(c);
  const params = model.parameters();
  const opt = c.optimizer === 'adam' ? new zg.Adam(params, { lr: c.lr }) : new zg.SGD(params, { lr: c.lr, momentum: c.optimizer === 'momentum' ? 0.9 : 0 });
  const watched = test.batch(WATCHED_DIGITS);
  const conv = model.layers.find((l): l is zg.Conv2d => l instanceof zg.Conv2d) ?? null;
  post({ type: 'status', message: `training ${c.arch}, ${model.parameterCount().toLocaleString('en-US')} parameters, backend ${zg.backend().name} (${zg.backend().threads} thread(s))` });
  const b = zg.backend();
  for (let epoch = 0; epoch < c.epochs; epoch++) {
    const loader = new zg.DataLoader(train, { batchSize: c.batchSize, rng });
    const batches = loader.length;
    let batch = 0, lossSum = 0, correct = 0, samples = 0;
    let start = performance.now(), timed = 0, lastReport = 0;
    const epochStart = performance.now();
    let sliceStart = performance.now();
    for (const indices of loader.indexBatches()) {
      const r = b.scope(() => {
        const { x, y } = train.batch(indices);
        return zg.trainStep(model!, opt, x, y);
      });
      if (!Number.isFinite(r.loss)) throw new zg.DivergedError(epoch + 1, batch, opt.lr);
      batch++;
      lossSum += r.loss * indices.length;
      correct += r.correct;
      samples += indices.length;
      timed += indices.length;
      const now = performance.now();
      if (now - lastReport > 250 || batch === batches) {
        lastReport = now;
        const predictions = Array.from(zg.predictProbabilities(model!, watched.x).argmax(-1));
        const kernels = conv ? Float32Array.from(conv.weight.data) : null;
        post({ type: 'progress', epoch: epoch + 1, batch, batches, done: (epoch + batch / batches) / c.epochs, loss: lossSum / samples,
          trainAccuracy: correct / samples, samplesPerSecond: timed / ((now - start) / 1000), kernels, kernelShape: conv ? [...conv.weight.shape] : null, predictions },
          kernels ? [kernels.buffer] : []);
      }
      // Give pause/export messages a chance every ~50 ms of work.
      if (now - sliceStart > 50) {
        await yieldToMessages();
        while (paused) {
          await new Promise<void>((r) => (resumeWaiter = r));
          start = performance.now();
          timed = 0;
        }
        sliceStart = performance.now();
      }
    }
    const seconds = (performance.now() - epochStart) / 1000;
    post({ type: 'status', message: `epoch ${epoch + 1}: evaluating on the 10,000 test images…` });
    await yieldToMessages();
    const e = zg.evaluate(model, test);
    post({ type: 'epoch', epoch: epoch + 1, trainLoss: lossSum / samples, testAccuracy: e.accuracy, seconds });
  }
  sendModel(true);
}

function sendModel(final: boolean): void {
  if (!model) return;
  const bytes = zg.encodeModel(model, [1, 28, 28], 10, { arch: 'trained in the explainer' });
  post({ type: 'model', bytes, final }, [bytes.buffer as ArrayBuffer]);
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  if (m.type === 'start') {
    train(m.config).catch((e: Error) => post({ type: 'error', message: e.message }));
  } else if (m.type === 'pause') {
    paused = true;
  } else if (m.type === 'resume') {
    paused = false;
    resumeWaiter?.();
    resumeWaiter = null;
  } else if (m.type === 'export') {
    sendModel(false);
  }
};
