// The arithmetic of one clicked cell. The cell is marked on its map, its receptive field outlined
// on the map before it (or on the input), and the numbers written out: for a convolution the
// patch, the kernel, their element-wise products and the sum; for pooling the window and the
// winner; for an activation the one value it came from. The selection stays while the input
// changes, so drawing shows the sum change with it. A deeper block (a residual block, batch norm,
// global average pooling) shows the value only: its cell depends on more than one small window of
// the maps before it, so there is no short sum to write out.
import * as zg from '../index.js';
import { convCell } from '../backends/reference/conv.js';
import { cellAt, fmt } from './draw.js';
import { $, el, stageMaps, state } from './state.js';

interface Selection { layer: number; channel: number; oh: number; ow: number }
let selected: Selection | null = null;

export function clearSelection(): void {
  selected = null;
  $('#detail').innerHTML = '<p class="note">Click a cell of a feature map in the pipeline above to see how it was computed.</p>';
}

export function selectCell(layer: number, channel: number, ev: MouseEvent): void {
  const [, , H, W] = state.outputs[layer].shape;
  const [ow, oh] = cellAt(ev.currentTarget as HTMLCanvasElement, ev, W, H);
  selected = { layer, channel, oh, ow };
  renderDetail();
}

/** Outline rows y0..y0+h−1, columns x0..x0+w−1 (clipped) of a map with H×W cells. */
function mark(c: HTMLCanvasElement | undefined, cls: string, y0: number, x0: number, h: number, w: number, H: number, W: number): void {
  if (!c?.parentElement) return;
  const top = Math.max(0, y0), left = Math.max(0, x0);
  const bottom = Math.min(H, y0 + h), right = Math.min(W, x0 + w);
  if (bottom <= top || right <= left) return;
  const m = el('i', `mark ${cls}`);
  Object.assign(m.style, { top: `${(100 * top) / H}%`, left: `${(100 * left) / W}%`, height: `${(100 * (bottom - top)) / H}%`, width: `${(100 * (right - left)) / W}%` });
  m.dataset.rows = `${top}-${bottom - 1}`;
  m.dataset.cols = `${left}-${right - 1}`;
  c.parentElement.append(m);
}

/** A table of values, k per row; each cell keeps its exact value in data-v. */
function grid(vals: number[], k: number, cls: string, strong = -1): HTMLElement {
  const t = el('table', cls);
  for (let r = 0; r < vals.length / k; r++) {
    const tr = el('tr');
    for (let c = 0; c < k; c++) {
      const td = el('td', r * k + c === strong ? 'winner' : '', fmt(vals[r * k + c]));
      td.dataset.v = String(vals[r * k + c]);
      tr.append(td);
    }
    t.append(tr);
  }
  return t;
}

function equation(text: string, sum: number, value: number): HTMLElement {
  const eq = el('p', 'equation', text);
  eq.dataset.sum = String(sum);
  eq.dataset.value = String(value);
  return eq;
}

/** Redraw the marks and the arithmetic of the selected cell for the current input. */
export function renderDetail(): void {
  document.querySelectorAll('#pipeline .mark').forEach((m) => m.remove());
  document.querySelectorAll('#pipeline .chosen').forEach((m) => m.classList.remove('chosen'));
  if (!selected) return;
  const { layer: li, channel, oh, ow } = selected;
  const layer = state.model.layers[li];
  const out = state.outputs[li];
  const input = li === 0 ? new zg.Tensor(Float32Array.from(state.input), [1, ...state.inputShape]) : state.outputs[li - 1];
  const [, , H, W] = out.shape;
  const [, IC, IH, IW] = input.shape;
  const value = out.data[(channel * H + oh) * W + ow];
  const maps = stageMaps(li), prev = stageMaps(li - 1);
  mark(maps[channel], 'cell', oh, ow, 1, 1, H, W);
  maps[channel]?.closest('.cell')?.classList.add('chosen');
  const d = $('#detail');
  d.innerHTML = '';
  d.dataset.layer = String(li);
  const where = `layer ${li}, map ${channel}, cell (${oh}, ${ow})`;
  if (layer instanceof zg.Conv2d) {
    const k = layer.kernelSize, s = layer.stride, p = layer.padding;
    // The same sum the reference backend computes for this cell, with its factors kept for the tables.
    const terms = { x: [] as number[], w: [] as number[] };
    const sum = convCell(input.data, layer.weight.data, { C: IC, H: IH, W: IW, KH: k, KW: k, stride: s, padding: p }, 0, channel, oh, ow, terms);
    // The receptive field: the k×k window of every input channel that this cell reads.
    for (let c = 0; c < IC; c++) mark(prev[c] ?? prev[0], 'field', oh * s - p, ow * s - p, k, k, IH, IW);
    const bias = layer.bias ? layer.bias.data[channel] : 0;
    d.append(el('p', '', `Convolution, ${where}: kernel ${channel} laid on the ${k}×${k} patch of the ${li === 0 ? 'input' : 'previous maps'} outlined above ` +
      `(rows ${oh * s - p}…${oh * s - p + k - 1}, columns ${ow * s - p}…${ow * s - p + k - 1}; outside the picture counts as 0), ` +
      'multiplied element by element, summed, plus the bias.'));
    const row = el('div', 'detail-row');
    for (let c = 0; c < Math.min(IC, 3); c++) {
      const patch = terms.x.slice(c * k * k, (c + 1) * k * k), kern = terms.w.slice(c * k * k, (c + 1) * k * k);
      const prods = patch.map((v, j) => v * kern[j]);
      for (const [title, vals, cls] of [[`patch (input channel ${c})`, patch, 'patch'], ['× kernel', kern, 'kernel-values'], ['= products', prods, 'products']] as const) {
        const box = el('div', 'detail-pair');
        box.append(el('h4', '', title), grid(vals, k, cls));
        row.append(box);
      }
    }
    d.append(row);
    d.append(equation(`Σ products = ${fmt(sum, 4)};  + bias ${fmt(bias, 4)}  = ${fmt(sum + bias, 4)}   (the map shows ${fmt(value, 4)})`, sum + bias, value));
    d.querySelector('.equation')!.setAttribute('data-bias', String(bias));
  } else if (layer instanceof zg.MaxPool2d || layer instanceof zg.AvgPool2d) {
    const k = layer.kernelSize, s = layer.stride;
    const win: number[] = [];
    for (let kh = 0; kh < k; kh++) for (let kw = 0; kw < k; kw++) win.push(input.data[(channel * IH + oh * s + kh) * IW + ow * s + kw]);
    const isMax = layer instanceof zg.MaxPool2d;
    // NOTE: ties go to the first maximum in reading order, as the backward pass routes the gradient.
    const winner = isMax ? win.indexOf(Math.max(...win)) : -1;
    const r = isMax ? win[winner] : win.reduce((a, b) => a + b, 0) / win.length;
    mark(prev[channel], 'field', oh * s, ow * s, k, k, IH, IW);
    if (isMax) mark(prev[channel], 'winner', oh * s + Math.floor(winner / k), ow * s + (winner % k), 1, 1, IH, IW);
    d.append(el('p', '', `${isMax ? 'Max' : 'Average'} pooling, ${where}: the ${k}×${k} window of map ${channel} of layer ${li - 1} outlined above` +
      (isMax ? `; the largest value wins (marked, row ${oh * s + Math.floor(winner / k)}, column ${ow * s + (winner % k)}).` : '; their mean.')));
    d.append(grid(win, k, 'patch', winner));
    const eq = equation(`${isMax ? 'max' : 'mean'} of the window = ${fmt(r, 4)}   (the map shows ${fmt(value, 4)})`, r, value);
    if (isMax) eq.dataset.winner = String(winner);
    d.append(eq);
  } else if (!['ReLU', 'Sigmoid', 'Tanh', 'Dropout'].includes(layer.toSpec().type)) {
    d.append(el('p', '', `${layer.toSpec().type}, ${where}: ${layer.describe()}.`));
    d.append(el('p', 'note', 'The window arithmetic is shown for a plain convolution, pooling or activation only: this cell depends on ' +
      (layer instanceof zg.Residual ? 'two convolutions in a row (a 5×5 window or more of the maps before) plus the shortcut, through batch norm' : 'statistics of the whole map (batch norm\'s running mean and variance, or the mean of the whole map)') +
      ', so only its value is shown.'));
    d.append(equation(`value = ${fmt(value, 4)}`, value, value));
  } else {
    const before = input.data[(channel * IH + oh) * IW + ow];
    mark(prev[channel], 'field', oh, ow, 1, 1, IH, IW);
    const rule = layer.toSpec().type === 'ReLU' ? `max(0, ${fmt(before, 4)})` : `${layer.toSpec().type}(${fmt(before, 4)})`;
    d.append(el('p', '', `${layer.toSpec().type}, ${where}: ${layer.describe()}; it reads the one value at the same place in map ${channel} of the layer before.`));
    const computed = layer.toSpec().type === 'ReLU' ? Math.max(0, before) : value;
    d.append(equation(`${rule} = ${fmt(computed, 4)}   (the map shows ${fmt(value, 4)})`, computed, value));
  }
}
