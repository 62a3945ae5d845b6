// The training panel: the form, the worker that trains, the live charts, kernels and predictions.
import * as zg from '../index.js';
import { mapCanvas, paintMap } from './draw.js';
import { lineChart, type ChartSeries } from './charts.js';
import { WATCHED_DIGITS, type FromWorker, type TrainConfig } from './protocol.js';
import { $, el, message, state } from './state.js';
import { setModel } from './stages.js';

let worker: Worker | null = null;

function trainConfig(): TrainConfig {
  const num = (id: string) => Number(($(`#${id}`) as HTMLInputElement).value);
  const hidden = ($('#t-hidden') as HTMLInputElement).value.split(',').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n > 0);
  return {
    arch: ($('#t-arch') as HTMLSelectElement).value as TrainConfig['arch'], hidden, kernels: num('t-kernels'), kernelSize: num('t-kernel-size'),
    pool: ($('#t-pool') as HTMLSelectElement).value as 'max' | 'avg', lr: num('t-lr'), optimizer: ($('#t-optimizer') as HTMLSelectElement).value as TrainConfig['optimizer'],
    // The page keeps the learning rate constant (the command line's default is a cosine schedule).
    schedule: 'none', batchSize: num('t-batch'), epochs: num('t-epochs'), limit: num('t-limit'), seed: 1,
  };
}

function startTraining(): void {
  const config = trainConfig();
  const bad = (['kernels', 'kernelSize', 'batchSize', 'epochs', 'limit'] as const).find((k) => !Number.isInteger(config[k]) || config[k] < 1);
  if (bad) return message(`training: ${bad} must be a positive integer`, 'error');
  if (!(config.lr > 0)) return message('training: the learning rate must be a positive number', 'error');
  worker?.terminate();
  state.loss = []; state.testAccuracy = []; state.trainAccuracy = []; state.trainedModel = null; state.maxFrameGap = 0;
  state.training = 'running';
  worker = new Worker(new URL('./train-worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = (ev: MessageEvent<FromWorker>) => onWorker(ev.data);
  worker.onerror = (e) => { message(`training worker failed: ${e.message}`, 'error'); state.training = 'idle'; };
  worker.postMessage({ type: 'start', config });
  $('#pause').textContent = 'Pause';
  updateButtons();
  watchFrames();
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
    state.loss.push([m.done * Number(($('#t-epochs') as HTMLInputElement).value), m.loss]);
    state.trainAccuracy.push([m.done * Number(($('#t-epochs') as HTMLInputElement).value), m.trainAccuracy]);
    $('#train-status').textContent = `epoch ${m.epoch}, batch ${m.batch}/${m.batches}: loss ${m.loss.toFixed(4)}, training accuracy ${(100 * m.trainAccuracy).toFixed(2)}%, ${Math.round(m.samplesPerSecond)} images/s`;
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
    state.trainedModel = m.bytes;
    if (m.final) {
      state.training = 'done';
      $('#train-status').textContent += ' — done';
    }
    updateButtons();
    if (pendingDownload) { pendingDownload = false; download(); }
  } else if (m.type === 'error') {
    message(`training: ${m.message}`, 'error');
    state.training = 'idle';
    updateButtons();
  }
}

function drawCharts(): void {
  const epochs = Number(($('#t-epochs') as HTMLInputElement).value);
  const loss: ChartSeries[] = [{ name: 'training loss', color: '#d62728', points: state.loss }];
  lineChart($<HTMLCanvasElement>('#loss-chart'), 'loss', loss, { yMin: 0, xMax: epochs });
  lineChart($<HTMLCanvasElement>('#acc-chart'), 'accuracy', [
    { name: 'training', color: '#1f77b4', points: state.trainAccuracy },
    { name: 'test', color: '#2ca02c', points: state.testAccuracy },
  ], { xMax: epochs, yMax: 1 });
}

function renderTrainKernels(w: Float32Array, shape: number[]): void {
  const [OC, C, K] = shape;
  const box = $('#train-kernels');
  if (box.children.length !== OC) {
    box.innerHTML = '';
    for (let o = 0; o < OC; o++) box.append(mapCanvas(new Float32Array(K * K), K, K, { diverging: true, cls: 'kernel', size: 32 }));
  }
  for (let o = 0; o < OC; o++) paintMap(box.children[o] as HTMLCanvasElement, w.subarray(o * C * K * K, o * C * K * K + K * K), K, K, { diverging: true });
}

export function renderWatched(predictions?: number[]): void {
  const t = state.testSet;
  if (!t) return;
  const box = $('#train-predictions');
  if (box.children.length === 0) {
    for (const i of WATCHED_DIGITS) {
      const cell = el('div', 'watched');
      cell.append(mapCanvas(t.images.subarray(i * 784, (i + 1) * 784), 28, 28, { lo: 0, hi: 255, size: 32, cls: 'sample' }), el('span', 'guess', '?'));
      box.append(cell);
    }
  }
  if (!predictions) return;
  WATCHED_DIGITS.forEach((i, k) => {
    const g = box.children[k].querySelector('.guess') as HTMLElement;
    g.textContent = String(predictions[k]);
    g.className = `guess ${predictions[k] === t.labels[i] ? 'right' : 'wrong'}`;
  });
}

let pendingDownload = false;
function download(): void {
  if (!state.trainedModel) {
    if (worker && state.training !== 'idle') { pendingDownload = true; worker.postMessage({ type: 'export' }); }
    return;
  }
  const blob = new Blob([state.trainedModel as BlobPart], { type: 'application/octet-stream' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = 'zerograd-explainer.zg';
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function updateButtons(): void {
  ($('#pause') as HTMLButtonElement).disabled = state.training !== 'running' && state.training !== 'paused';
  ($('#download') as HTMLButtonElement).disabled = state.training === 'idle';
  ($('#use-trained') as HTMLButtonElement).disabled = !state.trainedModel;
}

export function setupTraining(): void {
  $('#train').addEventListener('click', startTraining);
  $('#pause').addEventListener('click', () => {
    if (!worker) return;
    if (state.training === 'running') { worker.postMessage({ type: 'pause' }); state.training = 'paused'; $('#pause').textContent = 'Resume'; }
    else if (state.training === 'paused') { worker.postMessage({ type: 'resume' }); state.training = 'running'; $('#pause').textContent = 'Pause'; watchFrames(); }
  });
  $('#download').addEventListener('click', download);
  $('#use-trained').addEventListener('click', () => {
    if (!state.trainedModel) return;
    const saved = zg.decodeModel(state.trainedModel, 'trained model');
    setModel(saved.model, 'model trained in this page');
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
}

