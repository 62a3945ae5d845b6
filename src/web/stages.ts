// The explainer's pipeline: the network drawn left to right as stages — the input as the network
// sees it, each layer's output (feature maps beside their kernels, vectors as strips), the logits —
// each with its colour legend and hover values; then the softmax with its actual numbers, the
// first layer's weights, and the architecture table.
import * as zg from '../index.js';
import { absMax, fmt, hoverable, legend, mapCanvas, paintMap, paintRgb, rgbCanvas, setLegend } from './draw.js';
import { $, DIGITS, drawable, el, inputSize, pipelineMaps, state } from './state.js';
import { buildWeights, colourKernel } from './weights.js';
import { clearSelection, renderDetail, selectCell } from './detail.js';

const GLOSSARY: Record<string, string> = {
  BatchNorm2d: 'batch-normalization', BatchNorm1d: 'batch-normalization', Residual: 'residual-connection', AdaptiveAvgPool2d: 'global-average-pooling',
  Conv2d: 'convolution', ReLU: 'relu-rectified-linear-unit', Sigmoid: 'sigmoid', Tanh: 'activation-function', MaxPool2d: 'pooling-max-average',
  AvgPool2d: 'pooling-max-average', Flatten: 'flatten', Linear: 'fully-connected-layer-dense-layer', Softmax: 'softmax', Dropout: 'activation-function',
};

/** What each stage shows, for repainting: its canvases and its legend. */
interface Stage {
  maps: HTMLCanvasElement[];
  strip: HTMLCanvasElement | null;
  /** Strip layout: values in rows of `cols`. */
  cols: number;
  legend: HTMLElement | null;
}
let stages: Stage[] = [];

/**
 * Show a model. A model file (`saved`) says what input it expects and may name its classes; a
 * model without one (the default, or one trained in the page) reads 28×28 digits.
 */
export function setModel(model: zg.Module, label: string, saved?: Pick<zg.SavedModel, 'inputShape' | 'meta'>): void {
  if (!(model instanceof zg.Sequential)) throw new Error(`the explainer shows Sequential models, got ${model.toSpec().type}`);
  const shape = saved?.inputShape ?? [1, 28, 28];
  if (shape.length !== 3 || (shape[0] !== 1 && shape[0] !== 3)) throw new Error(`the explainer shows models of pictures: expected an input shape (1 or 3, H, W), got (${shape.join(',')})`);
  model.eval();
  state.inputShape = shape;
  state.pictures = saved?.meta.preprocess === 'resize';
  const names = saved?.meta.classNames;
  state.classNames = Array.isArray(names) && names.every((n) => typeof n === 'string') ? (names as string[]) : DIGITS;
  if (state.input.length !== inputSize()) state.input = new Float32Array(inputSize());
  state.model = model;
  state.label = label;
  $('#model-label').textContent = label;
  buildArchitecture(model);
  clearSelection();
  buildPipeline();
  buildWeights();
  runNetwork();
  document.dispatchEvent(new Event('zerograd:model'));
}

function buildArchitecture(model: zg.Sequential): void {
  const list = $('#architecture');
  list.innerHTML = '';
  const head = el('tr');
  for (const h of ['#', 'layer', 'output shape', 'parameters', 'what it does']) head.append(el('th', '', h));
  list.append(head);
  const input = el('tr');
  const [C, H, W] = state.inputShape;
  for (const v of ['', 'input', `(${C},${H},${W})`, '', `a ${H}×${W} ${C === 3 ? 'colour picture (red, green, blue)' : state.pictures ? 'grayscale picture' : 'grayscale digit'}`]) input.append(el('td', '', v));
  list.append(input);
  for (const r of zg.summarize(model, state.inputShape)) {
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
  setModel(saved.model, describeSaved(saved, 'model from the server'), saved);
}

export function describeSaved(saved: zg.SavedModel, from: string): string {
  const acc = typeof saved.meta.testAccuracy === 'number' ? `, test accuracy ${(100 * saved.meta.testAccuracy).toFixed(2)}%` : '';
  return `${from}: ${String(saved.meta.arch ?? 'model')}, ${saved.model.parameterCount().toLocaleString('en-US')} parameters${acc}`;
}

/**
 * A residual block's title: its number among the blocks, its channels in → out, and its stride
 * (the first convolution of its body's; a stride-2 block halves the maps' height and width).
 */
function residualTitle(layer: zg.Residual, i: number, shape: number[], prevShape: number[]): string {
  const n = state.model.layers.slice(0, i + 1).filter((l) => l instanceof zg.Residual).length;
  const body = layer.body instanceof zg.Sequential ? layer.body.layers : [layer.body];
  const conv = body.find((l) => l instanceof zg.Conv2d);
  const stride = conv instanceof zg.Conv2d ? conv.stride : Math.round(prevShape[1] / shape[1]);
  return `${i} · residual block ${n} (${prevShape[0]}→${shape[0]}${stride > 1 ? `, stride ${stride}` : ''})`;
}

/** A stage's title: the layer's number, what it computes, and its output shape. */
function stageTitle(layer: zg.Module, i: number, shape: number[], prevShape: number[]): string {
  const t = layer.toSpec().type;
  if (layer instanceof zg.Residual) return residualTitle(layer, i, shape, prevShape);
  if (t === 'BatchNorm2d' || t === 'BatchNorm1d') return `${i} · batch norm γ·x̂+β`;
  if (t === 'AdaptiveAvgPool2d') return `${i} · global avg pool → ${shape[1]}×${shape[2]}`;
  if (layer instanceof zg.Conv2d) return `${i} · conv ${layer.kernelSize}×${layer.kernelSize} ×${layer.outChannels}`;
  if (layer instanceof zg.MaxPool2d || layer instanceof zg.AvgPool2d) return `${i} · ${layer instanceof zg.MaxPool2d ? 'max' : 'avg'} pool ${layer.kernelSize}×${layer.kernelSize}`;
  if (t === 'ReLU') return `${i} · ReLU max(0,x)`;
  if (layer instanceof zg.Flatten) return `${i} · flatten: ${shape[0]} ${i === 0 ? 'input pixels' : 'values'}`;
  if (layer instanceof zg.Linear) return `${i} · dense W·x+b → ${layer.outFeatures}`;
  if (t === 'Dropout') return `${i} · dropout (off when predicting: copies its input)`;
  return `${i} · ${t} (${shape.join('×')})`;
}

/** The stages, left to right, with arrows between them; the maps of every map stage in a grid sized by fitPipeline. */
function buildPipeline(): void {
  const box = $('#pipeline');
  box.innerHTML = '';
  stages = [];
  const layers = state.model.layers;
  const [IC, IH, IW] = state.inputShape;
  const shapes = zg.summarize(state.model, state.inputShape).map((r) => r.outputShape);
  const input = el('div', 'stage');
  input.dataset.stage = 'input';
  // A colour input is drawn as the picture it is; a grayscale one black 0 … white 1, as MNIST.
  const ic = IC === 3 ? rgbCanvas(new Float32Array(3 * IH * IW), IW, IH, 0, 1, 'map input-map') : mapCanvas(new Float32Array(IH * IW), IW, IH, { lo: 0, hi: 1, cls: 'map input-map' });
  ic.removeAttribute('style');
  ic.id = 'framed';
  const px = (c: number, y: number, x: number) => fmt(state.input[(c * IH + y) * IW + x]);
  hoverable(ic, IW, IH, (x, y) => IC === 3 ? `input pixel (${y}, ${x}): R ${px(0, y, x)}, G ${px(1, y, x)}, B ${px(2, y, x)}` : `input pixel (${y}, ${x}) = ${px(0, y, x)}`);
  input.append(el('h3', '', `input ${IH}×${IW}${IC === 3 ? ' colour' : ''}`), legend('gray', 0, 1), wrapMap(ic));
  pipelineMaps.input = ic;
  box.append(input);
  layers.forEach((layer, i) => {
    const shape = shapes[i];
    const prevShape = i === 0 ? state.inputShape : shapes[i - 1];
    const isLast = i === layers.length - 1;
    const stage: Stage = { maps: [], strip: null, cols: 1, legend: null };
    const div = el('div', 'stage');
    div.dataset.stage = String(i);
    div.dataset.layer = String(i);
    div.dataset.type = layer.toSpec().type;
    box.append(el('div', 'link', '→'));
    div.append(el('h3', '', isLast ? `${i} · logits z (${shape[0]} classes)` : stageTitle(layer, i, shape, prevShape)));
    stage.legend = legend('diverging', -1, 1);
    div.append(stage.legend);
    if (shape.length === 3) {
      const grid = el('div', 'maps');
      const conv = layer instanceof zg.Conv2d ? layer : null;
      let km = 1e-6;
      if (conv) km = absMax(conv.weight.data);
      for (let c = 0; c < shape[0]; c++) {
        const cell = el('div', 'cell');
        cell.append(el('span', 'idx', String(c)));
        if (conv && conv.inChannels === 3) {
          // A kernel over a colour input: its R, G, B planes as one colour picture.
          const kc = colourKernel(conv, c, km, 'kernel-mini', 20);
          kc.removeAttribute('style');
          kc.dataset.kernel = String(c);
          cell.append(kc);
        } else if (conv) {
          // Kernel c beside map c: the map is this kernel slid over the input (input channel 0 shown).
          const k = conv.kernelSize, off = c * conv.inChannels * k * k;
          const kc = mapCanvas(conv.weight.data.subarray(off, off + k * k), k, k, { diverging: true, lo: -km, hi: km, cls: 'kernel-mini' });
          kc.removeAttribute('style');
          kc.dataset.kernel = String(c);
          hoverable(kc, k, k, (x, y) => `kernel ${c} weight (${y}, ${x}) = ${fmt(conv.weight.data[off + y * k + x], 4)}`);
          cell.append(kc);
        }
        const cv = mapCanvas(new Float32Array(shape[1] * shape[2]), shape[2], shape[1], { cls: 'map' });
        cv.removeAttribute('style');
        cv.dataset.layer = String(i);
        cv.dataset.channel = String(c);
        hoverable(cv, shape[2], shape[1], (x, y) => `layer ${i}, map ${c} (${y}, ${x}) = ${fmt(state.outputs[i].data[(c * shape[1] + y) * shape[2] + x], 4)}: click for the arithmetic`);
        cv.addEventListener('click', (ev) => selectCell(i, c, ev));
        cell.append(wrapMap(cv));
        grid.append(cell);
        stage.maps.push(cv);
      }
      if (conv) div.append(el('p', 'note', 'kernel · map'));
      // Only a plain convolution, pooling or activation has a few-number sum to show for a cell.
      if (!PLAIN.has(div.dataset.type!)) div.append(el('p', 'note', 'click: the value (no window arithmetic)'));
      div.append(grid);
    } else if (isLast) {
      const t = el('table', 'logits');
      for (let c = 0; c < shape[0]; c++) {
        const tr = el('tr');
        tr.dataset.class = String(c);
        tr.append(el('td', 'cls', state.classNames[c] ?? String(c)), el('td', 'swatch'), el('td', 'num', '0'));
        t.append(tr);
      }
      div.append(t);
    } else {
      const n = shape[0];
      // A column of at most 170 rows of values (a long vector wraps into more columns), at
      // least 2 px a value: 4,608 values make a 28×165 block, 128 make 2 columns of 64.
      stage.cols = Math.max(1, Math.ceil(n / (n > 512 ? 170 : 64)));
      const rows = Math.ceil(n / stage.cols);
      const cell = Math.max(2, Math.min(12, Math.floor(340 / rows)));
      const cv = mapCanvas(new Float32Array(stage.cols * rows), stage.cols, rows, { cls: 'strip' });
      cv.style.width = `${stage.cols * cell}px`;
      cv.style.height = `${rows * cell}px`;
      cv.dataset.layer = String(i);
      hoverable(cv, stage.cols, rows, (x, y) => {
        const k = y * stage.cols + x;
        if (k >= n) return '';
        const v = `value ${k} = ${fmt(state.outputs[i].data[k], 4)}`;
        // A flattened map says where each value came from.
        if (layer instanceof zg.Flatten && prevShape.length === 3) {
          const [, H, W] = prevShape, ch = Math.floor(k / (H * W)), r = k % (H * W);
          return `${v}, from ${i === 0 ? 'input pixel' : `map ${ch}`} (${Math.floor(r / W)}, ${r % W})`;
        }
        return v;
      });
      stage.strip = cv;
      div.append(cv);
    }
    box.append(div);
    stages.push(stage);
  });
  const bars = $('#bars');
  bars.innerHTML = '';
  const classes = shapes[shapes.length - 1][0];
  for (let c = 0; c < classes; c++) {
    const b = el('div', 'bar');
    b.dataset.class = String(c);
    b.append(el('span', 'cls', state.classNames[c] ?? String(c)), el('span', 'track'), el('span', 'pct', '–'));
    b.querySelector('.track')!.append(el('span', 'fill'));
    bars.append(b);
  }
  pipelineMaps.layers = stages.map((s) => s.maps);
  requestAnimationFrame(fitPipeline);
}

/** The layers whose clicked cell detail.ts explains with its window (a sum, a max, one value). */
export const PLAIN = new Set(['Conv2d', 'MaxPool2d', 'AvgPool2d', 'ReLU', 'Sigmoid', 'Tanh', 'Dropout']);

/** A map inside a box that can hold marks (the clicked cell, a receptive field) over it. */
function wrapMap(c: HTMLCanvasElement): HTMLElement {
  const w = el('span', 'mapbox');
  w.append(c);
  return w;
}

/**
 * Size the maps so the whole pipeline fits the screen: the largest map size, and the fewest
 * columns of maps, for which the stages fit the pipeline's width and the page's height. On a
 * narrow screen nothing fits; the maps keep a readable size and the pipeline scrolls sideways.
 */
export function fitPipeline(): void {
  const box = $('#pipeline');
  const count = Math.max(1, ...stages.map((s) => s.maps.length));
  const top = box.getBoundingClientRect().top + window.scrollY;
  const height = Math.max(260, window.innerHeight - top - 80);
  const set = (size: number, cols: number) => { box.style.setProperty('--map', `${size}px`); box.style.setProperty('--cols', String(cols)); };
  for (const size of [56, 48, 42, 36, 32, 28, 24, 20]) {
    const cols = Math.ceil(count / Math.max(1, Math.floor(height / (size + 6))));
    set(size, cols);
    if (box.scrollWidth <= box.clientWidth) return;
  }
  set(28, Math.ceil(count / Math.max(1, Math.floor(height / 34))));
}

/** Forward the current input through every layer, keeping each output, and repaint. */
export function runNetwork(): void {
  const x = new zg.Tensor(Float32Array.from(state.input), [1, ...state.inputShape]);
  const outs: zg.Tensor[] = [];
  zg.noGrad(() => {
    let h = x;
    for (const l of state.model.layers) {
      h = l.forward(h);
      outs.push(h);
    }
  });
  state.outputs = outs;
  const [IC, IH, IW] = state.inputShape;
  if (pipelineMaps.input && IC === 3) paintRgb(pipelineMaps.input, state.input, IW, IH, 0, 1);
  else if (pipelineMaps.input) paintMap(pipelineMaps.input, state.input, IW, IH, { lo: 0, hi: 1 });
  outs.forEach((t, i) => {
    const v = stages[i];
    // One diverging scale per stage: blue −m, white 0, red +m, the same for all its maps.
    const m = absMax(t.data);
    if (v.legend) setLegend(v.legend, -m, m);
    if (v.maps.length) {
      const [, C, H, W] = t.shape;
      for (let c = 0; c < C; c++) paintMap(v.maps[c], t.data.subarray(c * H * W, (c + 1) * H * W), W, H, { diverging: true, lo: -m, hi: m });
    } else if (v.strip) {
      const padded = new Float32Array(v.strip.width * v.strip.height);
      padded.set(t.data);
      paintMap(v.strip, padded, v.strip.width, v.strip.height, { diverging: true, lo: -m, hi: m });
    }
  });
  const logits = outs[outs.length - 1];
  const lm = absMax(logits.data);
  document.querySelectorAll<HTMLElement>('#pipeline table.logits tr').forEach((tr, c) => {
    const z = logits.data[c];
    tr.querySelector('.num')!.textContent = fmt(z, 2);
    const a = Math.min(1, Math.abs(z) / lm), g = Math.round(255 * (1 - a));
    (tr.querySelector('.swatch') as HTMLElement).style.background = z >= 0 ? `rgb(255,${g},${g})` : `rgb(${g},${g},255)`;
  });
  showPrediction(logits);
  renderDetail();
}

/**
 * The probabilities and the prediction, or none for a blank input (a network always answers
 * something — for an empty pad that answer would be noise, so the page shows none); and the
 * softmax written out with this input's logits.
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
  const name = (c: number) => state.classNames[c] ?? String(c);
  const none = drawable() ? 'none (draw a digit)' : 'none (upload a picture)';
  pred.textContent = blank ? none : name(top);
  pred.dataset.class = blank ? '' : String(top);
  const truth = $('#truth');
  truth.textContent = state.truth === null || blank ? '' : state.truth === top ? `✓ true label ${name(state.truth)}` : `✗ wrong: the true label is ${name(state.truth)}`;
  truth.className = state.truth === null ? '' : state.truth === top ? 'right' : 'wrong';
  const f = $('#softmax-formula');
  if (blank) { f.textContent = `pᵢ = e^zᵢ / Σⱼ e^zⱼ (${drawable() ? 'draw a digit' : 'upload a picture'} to see the numbers)`; return; }
  // The numbers as the formula has them. NOTE: the library subtracts max z first (log-sum-exp,
  // so e^z cannot overflow in float32); the quotient is the same, and here, in float64, e^z is shown as it is.
  const z = Array.from(logits.data);
  const e = z.map(Math.exp);
  const sum = e.reduce((a, b) => a + b, 0);
  const g = (v: number) => (v >= 1e4 || v < 1e-3 ? v.toExponential(2) : v.toPrecision(3));
  f.innerHTML = '';
  f.append(el('div', '', `p${sub(top)} = e^z${sub(top)} / Σⱼ e^zⱼ = e^${fmt(z[top], 2)} / (${e.map(g).join(' + ')})`),
    el('div', '', `= ${g(e[top])} / ${g(sum)} = ${(e[top] / sum).toFixed(4)}`));
  f.dataset.p = String(e[top] / sum);
}

const sub = (n: number) => String(n).replace(/\d/g, (d) => '₀₁₂₃₄₅₆₇₈₉'[Number(d)]);
