// The explainer's pipeline: the model's architecture table and, for the current input, every
// layer's output (feature maps, strips) and the probabilities.
import * as zg from '../index.js';
import { mapCanvas, paintMap } from './draw.js';
import { $, el, state } from './state.js';
import { showDetail } from './detail.js';

const GLOSSARY: Record<string, string> = {
  Conv2d: 'convolution', ReLU: 'relu-rectified-linear-unit', Sigmoid: 'sigmoid', Tanh: 'activation-function', MaxPool2d: 'pooling-max-average',
  AvgPool2d: 'pooling-max-average', Flatten: 'flatten', Linear: 'fully-connected-layer-dense-layer', Softmax: 'softmax', Dropout: 'activation-function',
};

export function setModel(model: zg.Module, label: string): void {
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
  document.dispatchEvent(new Event('zerograd:model'));
}

export async function loadServedModel(): Promise<void> {
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

export function describeSaved(saved: zg.SavedModel, from: string): string {
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
export function runNetwork(): void {
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
  showPrediction(outs[outs.length - 1]);
}

/**
 * The probabilities and the prediction, or none for a blank input (a network always answers
 * something — for an empty pad that answer would be noise, so the page shows none).
 */
function showPrediction(logits: zg.Tensor): void {
  const blank = state.input.every((v) => v === 0);
  const p = blank ? [] : zg.noGrad(() => logits.softmax(-1)).toArray();
  state.probabilities = p;
  const top = blank ? -1 : p.indexOf(Math.max(...p));
  document.querySelectorAll<HTMLElement>('#bars .bar').forEach((b, c) => {
    (b.querySelector('.fill') as HTMLElement).style.width = blank ? '0' : `${(100 * p[c]).toFixed(1)}%`;
    b.querySelector('.pct')!.textContent = blank ? '–' : `${(100 * p[c]).toFixed(1)}%`;
    b.classList.toggle('top', c === top);
  });
  const pred = $('#prediction');
  pred.textContent = blank ? 'none (draw a digit)' : `${top}`;
  pred.dataset.class = blank ? '' : String(top);
  const truth = $('#truth');
  truth.textContent = state.truth === null ? '' : state.truth === top ? `✓ true label ${state.truth}` : `✗ wrong: the true label is ${state.truth}`;
  truth.className = state.truth === null ? '' : state.truth === top ? 'right' : 'wrong';
}
