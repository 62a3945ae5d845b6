// The arithmetic of one clicked cell of a feature map: the patch, the kernel and their sum.
import * as zg from '../index.js';
import { convCell } from '../backends/reference/conv.js';
import { $, el, state } from './state.js';

export function showDetail(layerIndex: number, channel: number, ev: MouseEvent): void {
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

