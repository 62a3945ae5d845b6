// The zerograd explainer page: draw a digit, watch every layer, train in the browser.
// It runs zerograd itself (the same library code as the CLI) on the page's thread for the
// views, and in a Web Worker for training.
import * as zg from '../index.js';
import { convCell } from '../backends/reference/conv.js';
import { lineChart, mapCanvas, paintMap, penStroke, type ChartSeries } from './draw.js';
import { WATCHED_DIGITS, type FromWorker, type TrainConfig } from './protocol.js';
import { detectionState, setupDetectionView } from './detection-view.js';

const $ = <T extends HTMLElement = HTMLElement>(sel: string): T => document.querySelector(sel) as T;
const el = (tag: string, cls?: string, text?: string): HTMLElement => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

const GLOSSARY: Record<string, string> = {
  Conv2d: 'convolution', ReLU: 'relu-rectified-linear-unit', Sigmoid: 'sigmoid', Tanh: 'activation-function', MaxPool2d: 'pooling-max-average',
  AvgPool2d: 'pooling-max-average', Flatten: 'flatten', Linear: 'fully-connected-layer-dense-layer', Softmax: 'softmax', Dropout: 'activation-function',
};

interface State {
  model: zg.Sequential;
  label: string;
  input: Float32Array;
  /** Output of every layer for the current input (batch of one). */
  outputs: zg.Tensor[];
  probabilities: number[];
  loss: Array<[number, number]>;
  testAccuracy: Array<[number, number]>;
  trainAccuracy: Array<[number, number]>;
  trainedModel: Uint8Array | null;
  training: 'idle' | 'running' | 'paused' | 'done';
  testSet: zg.ImageDataset | null;
  /** Longest gap between animation frames while training (ms): how responsive the page stayed. */
  maxFrameGap: number;
}

const state: State = {
  model: zg.cnn({ kernels: 8, hidden: 32 }), label: 'untrained CNN', input: new Float32Array(784), outputs: [], probabilities: [],
  loss: [], testAccuracy: [], trainAccuracy: [], trainedModel: null, training: 'idle', testSet: null, maxFrameGap: 0,
};
(window as unknown as { zerograd: unknown }).zerograd = { state, zg, detection: detectionState };

function message(text: string, kind: 'info' | 'error' = 'info'): void {
  const m = $('#message');
  m.textContent = text;
  m.className = kind;
}

// ---------------------------------------------------------------- model and architecture view

function setModel(model: zg.Module, label: string): void {
  if (!(model instanceof zg.Sequential)) throw new Error('the explainer shows Sequential models');
  model.eval();
  state.model = model;
  state.label = label;
  $('#model-label').textContent = label;
  const rows = zg.summarize(model, [1, 28, 28]);
  const list = $('#architecture');
  list.innerHTML = '';
  const head = el('tr');
  for (const h of ['#', 'layer', 'output shape', 'parameters', 'what it does']) head.append(el('th', '', h));
  list.append(head);
  const input = el('tr');
  for (const v of ['', 'input', '(1,28,28)', '', 'a 28×28 grayscale digit']) input.append(el('td', '', v));
  list.append(input);
  for (const r of rows) {
    const tr = el('tr');
    tr.dataset.layer = String(r.index);
    tr.append(el('td', '', String(r.index)), el('td', '', r.type), el('td', '', `(${r.outputShape.join(',')})`), el('td', 'num', r.parameters.toLocaleString('en-US')));
    const what = el('td');
    what.append(document.createTextNode(r.description + ' '));
    const a = el('a', '', 'glossary') as HTMLAnchorElement;
    a.href = `glossary.html#${GLOSSARY[r.type] ?? ''}`;
    a.target = '_blank';
    what.append(a);
    tr.append(what);
    list.append(tr);
  }
  const total = el('tr');
  total.append(el('td'), el('td', '', 'total'), el('td'), el('td', 'num', model.parameterCount().toLocaleString('en-US')), el('td'));
  list.append(total);
  buildInside();
  runNetwork();
}

async function loadServedModel(): Promise<void> {
  const r = await fetch('/api/model');
  if (r.status === 404) {
    zg.manualSeed(1);
    setModel(zg.cnn({ kernels: 8, hidden: 32 }), 'untrained CNN (random kernels): train one below or upload a model file');
    return;
  }
  if (!r.ok) throw new Error(`cannot load the model: HTTP ${r.status}`);
  const saved = zg.decodeModel(new Uint8Array(await r.arrayBuffer()), 'served model');
  setModel(saved.model, describeSaved(saved, 'model from the server'));
}

function describeSaved(saved: zg.SavedModel, from: string): string {
  const acc = typeof saved.meta.testAccuracy === 'number' ? `, test accuracy ${(100 * saved.meta.testAccuracy).toFixed(2)}%` : '';
  return `${from}: ${String(saved.meta.arch ?? 'model')}, ${saved.model.parameterCount().toLocaleString('en-US')} parameters${acc}`;
}

// ---------------------------------------------------------------- inside the network

interface LayerView {
  maps: HTMLCanvasElement[];
  kernels: HTMLCanvasElement[];
  strip: HTMLCanvasElement | null;
}
let views: LayerView[] = [];

function buildInside(): void {
  const inside = $('#inside');
  const kernels = $('#kernels');
  inside.innerHTML = '';
  kernels.innerHTML = '';
  views = [];
  const layers = state.model.layers;
  const shapes = zg.summarize(state.model, [1, 28, 28]).map((r) => r.outputShape);
  layers.forEach((layer, i) => {
    const v: LayerView = { maps: [], kernels: [], strip: null };
    const shape = shapes[i];
    const isLast = i === layers.length - 1;
    const row = el('div', 'layer');
    row.dataset.layer = String(i);
    row.dataset.type = layer.toSpec().type;
    row.append(el('h3', '', `${i} · ${layer.toSpec().type} (${shape.join('×')})`));
    if (shape.length === 3) {
      const maps = el('div', 'maps');
      for (let c = 0; c < shape[0]; c++) {
        const cv = mapCanvas(new Float32Array(shape[1] * shape[2]), shape[2], shape[1], { cls: 'map' });
        cv.dataset.layer = String(i);
        cv.dataset.channel = String(c);
        cv.title = `layer ${i}, map ${c}: click a cell for the arithmetic`;
        cv.addEventListener('click', (ev) => showDetail(i, c, ev));
        maps.append(cv);
        v.maps.push(cv);
      }
      row.append(maps);
    } else if (!isLast) {
      const cv = mapCanvas(new Float32Array(shape[0]), shape[0], 1, { cls: 'strip' });
      cv.style.width = `${Math.min(900, Math.max(200, shape[0] * 3))}px`;
      cv.style.height = '14px';
      cv.dataset.layer = String(i);
      row.append(cv);
      v.strip = cv;
      if (layer instanceof zg.Flatten) row.append(el('p', 'note', `the ${shape[0].toLocaleString('en-US')} values of the feature maps laid out as one vector`));
    } else {
      row.append(el('p', 'note', 'scores (logits) for the 10 classes; softmax turns them into the probabilities on the right'));
    }
    if (layer instanceof zg.Conv2d) {
      const block = el('div', 'kernel-block');
      block.dataset.layer = String(i);
      block.append(el('h3', '', `layer ${i}: ${layer.outChannels} kernels of ${layer.inChannels}×${layer.kernelSize}×${layer.kernelSize} (red positive, blue negative; channel 0 shown)`));
      const k = layer.kernelSize;
      for (let o = 0; o < layer.outChannels; o++) {
        const cv = mapCanvas(layer.weight.data.subarray(o * layer.inChannels * k * k, o * layer.inChannels * k * k + k * k), k, k, { diverging: true, cls: 'kernel', size: 40 });
        cv.dataset.kernel = String(o);
        block.append(cv);
        v.kernels.push(cv);
      }
      kernels.append(block);
    }
    inside.append(row);
    views.push(v);
  });
  const bars = $('#bars');
  bars.innerHTML = '';
  for (let c = 0; c < 10; c++) {
    const b = el('div', 'bar');
    b.dataset.class = String(c);
    b.append(el('span', 'cls', String(c)), el('span', 'fill'), el('span', 'pct', '0.0%'));
    bars.append(b);
  }
}

/** Forward the current input through every layer, keeping each output, and repaint. */
function runNetwork(): void {
  const x = new zg.Tensor(Float32Array.from(state.input), [1, 1, 28, 28]);
  const outs: zg.Tensor[] = [];
  zg.noGrad(() => {
    let h = x;
    for (const l of state.model.layers) {
      h = l.forward(h);
      outs.push(h);
    }
  });
  state.outputs = outs;
  paintMap($<HTMLCanvasElement>('#framed'), state.input, 28, 28, { lo: 0, hi: 1 });
  outs.forEach((t, i) => {
    const v = views[i];
    if (v.maps.length) {
      const [, C, H, W] = t.shape;
      let lo = Infinity, hi = -Infinity;
      for (const val of t.data) { if (val < lo) lo = val; if (val > hi) hi = val; }
      for (let c = 0; c < C; c++) paintMap(v.maps[c], t.data.subarray(c * H * W, (c + 1) * H * W), W, H, { lo: Math.min(lo, 0), hi: Math.max(hi, 1e-6) });
    } else if (v.strip) {
      paintMap(v.strip, t.data, t.size, 1, { lo: Math.min(0, ...t.data), hi: Math.max(1e-6, ...t.data) });
    }
  });
  const logits = outs[outs.length - 1];
  const p = zg.noGrad(() => logits.softmax(-1)).toArray();
  state.probabilities = p;
  const top = p.indexOf(Math.max(...p));
  document.querySelectorAll<HTMLElement>('#bars .bar').forEach((b, c) => {
    (b.querySelector('.fill') as HTMLElement).style.width = `${(100 * p[c]).toFixed(1)}%`;
    b.querySelector('.pct')!.textContent = `${(100 * p[c]).toFixed(1)}%`;
    b.classList.toggle('top', c === top);
  });
  $('#prediction').textContent = `${top}`;
  $('#prediction').dataset.class = String(top);
}

// ---------------------------------------------------------------- detail: the arithmetic of one cell

function showDetail(layerIndex: number, channel: number, ev: MouseEvent): void {
  const layer = state.model.layers[layerIndex];
  const out = state.outputs[layerIndex];
  const input = layerIndex === 0 ? new zg.Tensor(Float32Array.from(state.input), [1, 1, 28, 28]) : state.outputs[layerIndex - 1];
  const [, , H, W] = out.shape;
  const cv = ev.currentTarget as HTMLCanvasElement;
  const rect = cv.getBoundingClientRect();
  const ow = Math.min(W - 1, Math.floor(((ev.clientX - rect.left) / rect.width) * W));
  const oh = Math.min(H - 1, Math.floor(((ev.clientY - rect.top) / rect.height) * H));
  const value = out.data[(channel * H + oh) * W + ow];
  const d = $('#detail');
  d.innerHTML = '';
  const fmt = (v: number) => v.toFixed(3);
  const grid = (vals: number[], k: number, cls: string) => {
    const t = el('table', cls);
    for (let r = 0; r < vals.length / k; r++) {
      const tr = el('tr');
      for (let c = 0; c < k; c++) tr.append(el('td', '', fmt(vals[r * k + c])));
      t.append(tr);
    }
    return t;
  };
  const [, IC, IH, IW] = input.shape;
  d.dataset.layer = String(layerIndex);
  if (layer instanceof zg.Conv2d) {
    const k = layer.kernelSize;
    // The same sum the reference backend computes for this cell, with its factors kept for the tables.
    const terms = { x: [] as number[], w: [] as number[] };
    const g = { C: IC, H: IH, W: IW, KH: k, KW: k, stride: layer.stride, padding: layer.padding };
    const sum = convCell(input.data, layer.weight.data, g, 0, channel, oh, ow, terms);
    const parts: HTMLElement[] = [];
    for (let c = 0; c < Math.min(IC, 3); c++) {
      const box = el('div', 'detail-pair');
      const patch = terms.x.slice(c * k * k, (c + 1) * k * k), kern = terms.w.slice(c * k * k, (c + 1) * k * k);
      box.append(el('h4', '', `input channel ${c}: patch`), grid(patch, k, 'patch'), el('h4', '', '× kernel'), grid(kern, k, 'kernel-values'));
      parts.push(box);
    }
    const bias = layer.bias ? layer.bias.data[channel] : 0;
    d.append(el('p', '', `Convolution, layer ${layerIndex}, feature map ${channel}, cell (${oh}, ${ow}): the ${k}×${k} patch of the input under the kernel, multiplied element by element with the kernel and summed, plus the bias.`));
    d.append(...parts);
    const eq = el('p', 'equation', `Σ patch × kernel = ${fmt(sum)};  + bias ${fmt(bias)}  = ${fmt(sum + bias)}   (the map shows ${fmt(value)})`);
    eq.dataset.sum = String(sum + bias);
    eq.dataset.value = String(value);
    d.append(eq);
  } else if (layer instanceof zg.MaxPool2d || layer instanceof zg.AvgPool2d) {
    const k = layer.kernelSize, s = layer.stride;
    const win: number[] = [];
    for (let kh = 0; kh < k; kh++) for (let kw = 0; kw < k; kw++) win.push(input.data[(channel * IH + oh * s + kh) * IW + ow * s + kw]);
    const isMax = layer instanceof zg.MaxPool2d;
    const r = isMax ? Math.max(...win) : win.reduce((a, b) => a + b, 0) / win.length;
    d.append(el('p', '', `${isMax ? 'Max' : 'Average'} pooling, layer ${layerIndex}, map ${channel}, cell (${oh}, ${ow}): the ${k}×${k} window of the previous map it summarizes.`));
    d.append(grid(win, k, 'patch'));
    const eq = el('p', 'equation', `${isMax ? 'max' : 'mean'} of the window = ${fmt(r)}   (the map shows ${fmt(value)})`);
    eq.dataset.sum = String(r);
    eq.dataset.value = String(value);
    d.append(eq);
  } else {
    const before = input.data[(channel * IH + oh) * IW + ow];
    d.append(el('p', '', `${layer.toSpec().type}, layer ${layerIndex}, map ${channel}, cell (${oh}, ${ow}): input ${fmt(before)} → output ${fmt(value)}. ${layer.describe()}.`));
  }
}

// ---------------------------------------------------------------- input: drawing, samples, upload

const pad = () => $<HTMLCanvasElement>('#pad');

function clearPad(): void {
  const ctx = pad().getContext('2d')!;
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, pad().width, pad().height);
  state.input = new Float32Array(784);
  runNetwork();
}

let pending = false;
function padChanged(): void {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    const c = pad();
    const img = c.getContext('2d', { willReadFrequently: true })!.getImageData(0, 0, c.width, c.height);
    const gray = zg.rgbaToGray(img.data, c.width, c.height);
    state.input = zg.frameDigit(gray, c.width, c.height) ?? new Float32Array(784); // too little drawn yet: a blank input
    runNetwork();
  });
}

function setupPad(): void {
  const c = pad();
  const ctx = c.getContext('2d', { willReadFrequently: true })!;
  let drawing = false;
  let last: [number, number] | null = null;
  const at = (e: PointerEvent): [number, number] => {
    const r = c.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * c.width, ((e.clientY - r.top) / r.height) * c.height];
  };
  c.addEventListener('pointerdown', (e) => { drawing = true; last = at(e); c.setPointerCapture(e.pointerId); stroke(at(e)); });
  c.addEventListener('pointermove', (e) => { if (drawing) stroke(at(e)); });
  const end = () => { drawing = false; last = null; };
  c.addEventListener('pointerup', end);
  c.addEventListener('pointercancel', end);
  function stroke(p: [number, number]): void {
    penStroke(ctx, last ?? p, p, 20);
    last = p;
    padChanged();
  }
  $('#clear').addEventListener('click', clearPad);
}

/** Show a test digit (index) on the pad, scaled up. */
function useSample(i: number): void {
  const t = state.testSet!;
  const c = pad();
  const small = document.createElement('canvas');
  small.width = 28; small.height = 28;
  const img = small.getContext('2d')!.createImageData(28, 28);
  for (let p = 0; p < 784; p++) { const v = t.images[i * 784 + p]; img.data.set([v, v, v, 255], 4 * p); }
  small.getContext('2d')!.putImageData(img, 0, 0);
  const ctx = c.getContext('2d')!;
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(small, 0, 0, c.width, c.height);
  state.input = Float32Array.from(t.images.subarray(i * 784, (i + 1) * 784), (v) => v / 255);
  runNetwork();
}

async function loadSamples(): Promise<void> {
  const [img, lab] = await Promise.all(['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'].map(async (n) => {
    const r = await fetch(`/data/${n}`);
    if (!r.ok) throw new Error(`cannot load ${n}: HTTP ${r.status}`);
    return new Uint8Array(await r.arrayBuffer());
  }));
  state.testSet = zg.ImageDataset.fromIdx(img, lab, ['test images', 'test labels']);
  const strip = $('#samples');
  for (let i = 0; i < 16; i++) {
    const cv = mapCanvas(state.testSet.images.subarray(i * 784, (i + 1) * 784), 28, 28, { lo: 0, hi: 255, size: 36, cls: 'sample' });
    cv.title = `test digit ${i} (label ${state.testSet.labels[i]})`;
    cv.dataset.index = String(i);
    cv.addEventListener('click', () => useSample(i));
    strip.append(cv);
  }
  renderWatched();
}

async function uploadImage(file: File): Promise<void> {
  let bmp: ImageBitmap;
  try {
    bmp = await createImageBitmap(file);
  } catch {
    throw new Error(`${file.name}: not an image this browser can decode (expected PNG or JPEG)`);
  }
  const c = document.createElement('canvas');
  c.width = bmp.width; c.height = bmp.height;
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, c.width, c.height);
  ctx.drawImage(bmp, 0, 0);
  const d = ctx.getImageData(0, 0, c.width, c.height).data;
  const found = zg.frameDigit(zg.rgbaToGray(d, c.width, c.height), c.width, c.height);
  state.input = found ?? new Float32Array(784);
  const p = pad().getContext('2d')!;
  p.fillStyle = '#000';
  p.fillRect(0, 0, pad().width, pad().height);
  runNetwork();
  message(found ? `${file.name}: framed like an MNIST digit (see the 28×28 input)` : `${file.name}: no digit found`);
}

async function uploadModel(file: File): Promise<void> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  // The server lets only its own page replace the model: it writes a per-start token into the page.
  const token = document.querySelector('meta[name=zerograd-token]')?.getAttribute('content') ?? '';
  const r = await fetch('/api/model', { method: 'POST', body: bytes, headers: { 'X-Zerograd-Token': token } });
  const answer = (await r.json().catch(() => ({}))) as { error?: string };
  if (!r.ok) throw new Error(`${file.name}: ${answer.error ?? `HTTP ${r.status}`}`);
  const saved = zg.decodeModel(bytes, file.name);
  setModel(saved.model, describeSaved(saved, file.name));
  message(`loaded ${file.name}`);
}

// ---------------------------------------------------------------- training

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

function renderWatched(predictions?: number[]): void {
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

function setupTraining(): void {
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

// ---------------------------------------------------------------- start

async function main(): Promise<void> {
  setupPad();
  setupTraining();
  $<HTMLInputElement>('#model-file').addEventListener('change', (e) => {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (f) uploadModel(f).catch((err: Error) => message(err.message, 'error')).finally(() => ((e.target as HTMLInputElement).value = ''));
  });
  $<HTMLInputElement>('#image-file').addEventListener('change', (e) => {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (f) uploadImage(f).catch((err: Error) => message(err.message, 'error')).finally(() => ((e.target as HTMLInputElement).value = ''));
  });
  const detection = setupDetectionView($('#detection'));
  await loadServedModel();
  clearPad();
  await loadSamples();
  detection.setTestDigits(state.testSet!);
  document.body.dataset.ready = 'true';
  message(`ready: draw a digit in the box${crossOriginIsolated ? '' : ' (note: not cross-origin isolated; training uses plain memory)'}`);
}

main().catch((e: Error) => message(e.message, 'error'));
