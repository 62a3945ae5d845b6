// The training panel: the form (every field checked, errors beside the Train button), the worker
// that trains, the live charts, kernels and predictions. Each run starts from a clean panel, and a
// download or "show this model" takes a fresh snapshot of the weights from the worker.
import * as zg from '../index.js';
import { mapCanvas, paintMap } from './draw.js';
import { lineChart, smooth } from './charts.js';
import { WATCHED_DIGITS, type FromWorker, type TrainConfig } from './protocol.js';
import { $, el, state } from './state.js';
import { setModel } from './stages.js';

let worker: Worker | null = null;
let runs = 0;
/** Snapshot requests waiting for the worker, by id. */
const snapshots = new Map<number, (bytes: Uint8Array) => void>();
let nextSnapshot = 1;

/** The form's fields, by the configuration's name for them (ConfigError.field) and the label the page shows. */
const FIELDS = {
  hidden: ['t-hidden', 'hidden sizes'], kernels: ['t-kernels', 'kernels'], kernelSize: ['t-kernel-size', 'kernel size'],
  lr: ['t-lr', 'learning rate'], batchSize: ['t-batch', 'batch size'], epochs: ['t-epochs', 'epochs'], limit: ['t-limit', 'training images'],
} as const;
type Field = keyof typeof FIELDS;

class FormError extends Error {
  constructor(readonly field: Field, detail: string) {
    super(`${FIELDS[field][1]}: ${detail}`);
  }
}

const value = (f: Field): string => ($(`#${FIELDS[f][0]}`) as HTMLInputElement).value;

/** A whole number in [lo, hi], written as digits only ("abc", "2.5" and "" are refused, not replaced). */
function wholeNumber(f: Field, lo: number, hi: number): number {
  const v = value(f).trim();
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < lo || n > hi) throw new FormError(f, `expected a whole number from ${lo} to ${hi.toLocaleString('en-US')}, got '${v}'`);
  return n;
}

/** The form as a configuration, or a FormError naming the field, what it holds and what it expects. */
export function readForm(): TrainConfig {
  const arch = ($('#t-arch') as HTMLSelectElement).value as TrainConfig['arch'];
  const h = value('hidden').trim();
  if (!/^\d+(\s*,\s*\d+)*$/.test(h)) throw new FormError('hidden', `expected positive whole numbers separated by commas (e.g. 128 or 256,128), got '${h}'`);
  const lrText = value('lr').trim();
  const lr = Number(lrText);
  if (lrText === '' || !Number.isFinite(lr) || lr <= 0) throw new FormError('lr', `expected a positive number (e.g. 0.001), got '${lrText}'`);
  const config: TrainConfig = {
    arch, hidden: h.split(',').map((s) => Number(s.trim())), kernels: wholeNumber('kernels', 1, 256), kernelSize: wholeNumber('kernelSize', 1, 9),
    pool: ($('#t-pool') as HTMLSelectElement).value as 'max' | 'avg', lr, optimizer: ($('#t-optimizer') as HTMLSelectElement).value as TrainConfig['optimizer'],
    // The page keeps the learning rate constant (the command line's default is a cosine schedule).
    schedule: 'none', batchSize: wholeNumber('batchSize', 1, 60000), epochs: wholeNumber('epochs', 1, 100), limit: wholeNumber('limit', 1, 60000), seed: 1,
  };
  // What the form cannot see (a dnn needs two sizes, an mlp one): the same checks as the command line's.
  try {
    zg.resolveConfig(config);
  } catch (e) {
    if (e instanceof zg.ConfigError && e.field in FIELDS) throw new FormError(e.field as Field, e.detail);
    throw e;
  }
  return config;
}

/** An error of the training panel, shown beside the Train button (and the field it is about marked). */
function trainError(text: string, field?: Field): void {
  const box = $('#train-error');
  box.classList.remove('warning');
  box.textContent = text;
  box.hidden = text === '';
  for (const [f, [id]] of Object.entries(FIELDS)) {
    const input = $(`#${id}`);
    input.classList.toggle('invalid', f === field);
    if (f === field) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
  }
}

/** A clean panel for a new run: no epochs, curves, errors or predictions from the one before. */
function resetPanel(config: TrainConfig): void {
  trainError('');
  $('#epochs').innerHTML = '';
  $('#train-kernels').innerHTML = '';
  $('#train-speed').textContent = '0';
  $('#train-status').textContent = 'starting…';
  runs++;
  $('#run-label').textContent = `Run ${runs}: ${config.arch.toUpperCase()}, hidden ${config.hidden.join(',')}${config.arch === 'cnn' ? `, ${config.kernels} kernels ${config.kernelSize}×${config.kernelSize}, ${config.pool} pooling` : ''}, ` +
    `${config.optimizer} at learning rate ${config.lr}, batch ${config.batchSize}, ${config.epochs} epoch(s) on ${config.limit.toLocaleString('en-US')} images`;
  state.loss = []; state.testAccuracy = []; state.trainAccuracy = []; state.trainedModel = null; state.maxFrameGap = 0;
  snapshots.clear();
  renderWatched([]);
  drawCharts();
}

function startTraining(): void {
  let config: TrainConfig;
  try {
    config = readForm();
  } catch (e) {
    if (e instanceof FormError) return trainError(`Not started: ${e.message}`, e.field);
    throw e;
  }
  worker?.terminate();
  resetPanel(config);
  state.training = 'running';
  worker = new Worker(new URL('./train-worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = (ev: MessageEvent<FromWorker>) => onWorker(ev.data);
  worker.onerror = (e) => stopped(`training worker failed: ${e.message}`);
  worker.postMessage({ type: 'start', config });
  $('#pause').textContent = 'Pause';
  updateButtons();
  watchFrames();
}

/** The run ended with an error: say why beside the Train button, and stop. */
function stopped(why: string): void {
  worker?.terminate();
  worker = null;
  state.training = 'idle';
  trainError(why);
  $('#train-status').textContent = 'stopped';
  updateButtons();
}

/** Record the longest gap between animation frames while training runs: the page's responsiveness. */
function watchFrames(): void {
  let last = performance.now();
  const tick = (now: number) => {
    if (state.training === 'idle' || state.training === 'done') return;
    state.maxFrameGap = Math.max(state.maxFrameGap, now - last);
    last = now;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

function onWorker(m: FromWorker): void {
  if (m.type === 'status') {
    $('#train-status').textContent = m.message;
  } else if (m.type === 'progress') {
    for (const s of m.steps) {
      state.loss.push([s.at, s.loss]);
      state.trainAccuracy.push([s.at, s.accuracy]);
    }
    $('#train-status').textContent = `epoch ${m.epoch}, batch ${m.batch}/${m.batches}: mean loss ${m.loss.toFixed(4)}, training accuracy ${(100 * m.trainAccuracy).toFixed(2)}%`;
    $('#train-speed').textContent = String(Math.round(m.samplesPerSecond));
    drawCharts();
    if (m.kernels && m.kernelShape) renderTrainKernels(m.kernels, m.kernelShape);
    renderWatched(m.predictions);
  } else if (m.type === 'epoch') {
    state.testAccuracy.push([m.epoch, m.testAccuracy]);
    const li = el('li', '', `epoch ${m.epoch}: test accuracy ${(100 * m.testAccuracy).toFixed(2)}%, train loss ${m.trainLoss.toFixed(4)}, ${m.seconds.toFixed(1)}s`);
    li.dataset.testAccuracy = String(m.testAccuracy);
    $('#epochs').append(li);
    drawCharts();
  } else if (m.type === 'model') {
    if (m.final) {
      state.trainedModel = m.bytes;
      state.training = 'done';
      const last = state.testAccuracy[state.testAccuracy.length - 1];
      $('#train-status').textContent = `done: ${state.testAccuracy.length} epoch(s)${last ? `, test accuracy ${(100 * last[1]).toFixed(2)}%` : ''}`;
      updateButtons();
    }
    if (m.id !== null) { snapshots.get(m.id)?.(m.bytes); snapshots.delete(m.id); }
  } else if (m.type === 'warning') {
    trainError(`Warning: ${m.message}`);
    $('#train-error').classList.add('warning');
  } else if (m.type === 'error') {
    stopped(m.diverged ? `Stopped: ${m.message}` : `Training failed: ${m.message}`);
  }
}

/**
 * The weights as a model file: the final ones when the run is done, else a snapshot the worker
 * takes now (so two downloads during training hold the weights of their own moments).
 */
function snapshot(): Promise<Uint8Array> {
  if (state.training === 'done' && state.trainedModel) return Promise.resolve(state.trainedModel);
  if (!worker) return Promise.reject(new Error('no model trained yet: press Train first'));
  const id = nextSnapshot++;
  const w = worker;
  return new Promise((resolve) => {
    snapshots.set(id, resolve);
    w.postMessage({ type: 'export', id });
  });
}

export function drawCharts(): void {
  const epochs = Number(value('epochs')) || 1;
  lineChart($<HTMLCanvasElement>('#loss-chart'), [
    { name: 'loss per batch', color: '#d62728', points: state.loss, faint: true },
    { name: 'training loss (smoothed)', color: '#d62728', points: smooth(state.loss) },
  ], { title: 'Loss', xLabel: 'epoch', yLabel: 'cross-entropy loss', xMax: epochs, yMin: 0 });
  lineChart($<HTMLCanvasElement>('#acc-chart'), [
    { name: 'accuracy per batch', color: '#1f77b4', points: state.trainAccuracy, faint: true },
    { name: 'training (smoothed)', color: '#1f77b4', points: smooth(state.trainAccuracy) },
    { name: 'test (end of epoch)', color: '#2ca02c', points: state.testAccuracy, dots: true },
  ], { title: 'Accuracy', xLabel: 'epoch', yLabel: 'accuracy', xMax: epochs, yMin: 0, yMax: 1 });
}

function renderTrainKernels(w: Float32Array, shape: number[]): void {
  const [OC, C, K] = shape;
  const box = $('#train-kernels');
  if (box.children.length !== OC) {
    box.innerHTML = '';
    for (let o = 0; o < OC; o++) box.append(mapCanvas(new Float32Array(K * K), K, K, { diverging: true, cls: 'kernel', size: 32 }));
  }
  // One colour scale for all kernels, so their strengths can be compared.
  let m = 1e-12;
  for (const v of w) m = Math.max(m, Math.abs(v));
  for (let o = 0; o < OC; o++) paintMap(box.children[o] as HTMLCanvasElement, w.subarray(o * C * K * K, o * C * K * K + K * K), K, K, { diverging: true, lo: -m, hi: m });
}

/** The fixed test digits with the current run's prediction under each ('?' before the first report). */
export function renderWatched(predictions: number[] = []): void {
  const t = state.testSet;
  if (!t) return;
  const box = $('#train-predictions');
  if (box.children.length === 0) {
    for (const i of WATCHED_DIGITS) {
      const cell = el('div', 'watched');
      cell.append(mapCanvas(t.images.subarray(i * 784, (i + 1) * 784), 28, 28, { lo: 0, hi: 255, size: 32, cls: 'sample' }), el('span', 'guess', '?'));
      cell.title = `test digit ${i}, label ${t.labels[i]}`;
      box.append(cell);
    }
  }
  WATCHED_DIGITS.forEach((i, k) => {
    const g = box.children[k].querySelector('.guess') as HTMLElement;
    const p = predictions[k];
    g.textContent = p === undefined ? '?' : String(p);
    g.className = p === undefined ? 'guess' : `guess ${p === t.labels[i] ? 'right' : 'wrong'}`;
  });
}

async function download(): Promise<void> {
  const bytes = await snapshot();
  const blob = new Blob([bytes as BlobPart], { type: 'application/octet-stream' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = 'zerograd-explainer.zg';
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function updateButtons(): void {
  const active = state.training === 'running' || state.training === 'paused';
  ($('#pause') as HTMLButtonElement).disabled = !active;
  ($('#download') as HTMLButtonElement).disabled = !active && state.training !== 'done';
  ($('#use-trained') as HTMLButtonElement).disabled = !active && state.training !== 'done';
}

export function setupTraining(): void {
  $('#train').addEventListener('click', startTraining);
  $('#pause').addEventListener('click', () => {
    if (!worker) return;
    if (state.training === 'running') { worker.postMessage({ type: 'pause' }); state.training = 'paused'; $('#pause').textContent = 'Resume'; }
    else if (state.training === 'paused') { worker.postMessage({ type: 'resume' }); state.training = 'running'; $('#pause').textContent = 'Pause'; watchFrames(); }
  });
  $('#download').addEventListener('click', () => { download().catch((e: Error) => trainError(e.message)); });
  $('#use-trained').addEventListener('click', () => {
    snapshot().then((bytes) => {
      const saved = zg.decodeModel(bytes, 'trained model');
      setModel(saved.model, `model trained in this page (${state.training === 'done' ? 'final' : 'snapshot during training'})`);
    }).catch((e: Error) => trainError(e.message));
  });
  const arch = $('#t-arch') as HTMLSelectElement;
  const sync = () => {
    document.querySelectorAll<HTMLElement>('.cnn-only').forEach((e) => (e.style.display = arch.value === 'cnn' ? '' : 'none'));
    ($('#t-hidden') as HTMLInputElement).value = arch.value === 'cnn' ? '100' : arch.value === 'dnn' ? '256,128' : '128';
  };
  arch.addEventListener('change', sync);
  sync();
  updateButtons();
  drawCharts();
  window.addEventListener('resize', drawCharts);
}
