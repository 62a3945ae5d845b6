// The first layer's weights, where they can be seen as pictures: a CNN's kernels (all on one colour
// scale; in colour when the network reads colour pictures), or the first dense layer of an MLP,
// each neuron's 784 weights as a 28×28 image — the pattern of ink that excites it (red) or
// inhibits it (blue).
import * as zg from '../index.js';
import { absMax, fmt, hoverable, legend, mapCanvas, rgbCanvas } from './draw.js';
import { $, el, state } from './state.js';

/** Kernel o of a convolution with 3 input channels, as one colour picture (R, G, B = its 3 planes). */
export function colourKernel(conv: zg.Conv2d, o: number, m: number, cls: string, size: number): HTMLCanvasElement {
  const k = conv.kernelSize, w = conv.weight.data, off = o * 3 * k * k;
  const cv = rgbCanvas(w.subarray(off, off + 3 * k * k), k, k, -m, m, cls, size);
  cv.dataset.colour = 'true';
  hoverable(cv, k, k, (x, y) => `kernel ${o} weights (${y}, ${x}): R ${fmt(w[off + y * k + x], 4)}, G ${fmt(w[off + k * k + y * k + x], 4)}, B ${fmt(w[off + 2 * k * k + y * k + x], 4)}`);
  return cv;
}

export function buildWeights(): void {
  const box = $('#kernels');
  box.innerHTML = '';
  const layers = state.model.layers;
  const first = layers.find((l) => l instanceof zg.Conv2d || l instanceof zg.Linear);
  const grid = el('div', 'weights');
  const figure = (cv: HTMLCanvasElement, o: number) => {
    const f = el('figure', 'weight');
    f.append(cv, el('figcaption', '', String(o)));
    grid.append(f);
  };
  if (first instanceof zg.Conv2d && first.inChannels === 3) {
    // Each kernel's three planes as the red, green and blue of one picture, on one scale: mid gray
    // is a zero weight, so a kernel's colour is the colour of the input that makes it fire.
    const k = first.kernelSize, m = absMax(first.weight.data);
    box.append(el('h3', '', `Layer ${layers.indexOf(first)}: ${first.outChannels} kernels of 3×${k}×${k} drawn in colour ` +
      `(red, green, blue = the weights on the input's R, G, B; mid gray = 0, the scale runs from ${fmt(-m, 3)} to ${fmt(m, 3)})`));
    for (let o = 0; o < first.outChannels; o++) {
      const cv = colourKernel(first, o, m, 'kernel', 44);
      cv.dataset.kernel = String(o);
      figure(cv, o);
    }
  } else if (first instanceof zg.Conv2d) {
    const k = first.kernelSize, w = first.weight.data, m = absMax(w);
    box.append(el('h3', '', `Layer ${layers.indexOf(first)}: ${first.outChannels} kernels of ${first.inChannels}×${k}×${k}${first.inChannels > 1 ? ' (input channel 0 shown)' : ''}, one colour scale`), legend('diverging', -m, m));
    for (let o = 0; o < first.outChannels; o++) {
      const off = o * first.inChannels * k * k;
      const cv = mapCanvas(w.subarray(off, off + k * k), k, k, { diverging: true, lo: -m, hi: m, cls: 'kernel', size: 44 });
      cv.dataset.kernel = String(o);
      hoverable(cv, k, k, (x, y) => `kernel ${o} weight (${y}, ${x}) = ${fmt(w[off + y * k + x], 4)}`);
      figure(cv, o);
    }
  } else if (first instanceof zg.Linear && first.inFeatures === 784) {
    const w = first.weight.data, m = absMax(w);
    box.append(el('h3', '', `Layer ${layers.indexOf(first)}: each of the ${first.outFeatures} neurons' 784 input weights drawn as a 28×28 image (red: ink there raises it, blue: lowers it)`), legend('diverging', -m, m));
    for (let o = 0; o < first.outFeatures; o++) {
      const cv = mapCanvas(w.subarray(o * 784, (o + 1) * 784), 28, 28, { diverging: true, lo: -m, hi: m, cls: 'kernel', size: 56 });
      cv.dataset.neuron = String(o);
      hoverable(cv, 28, 28, (x, y) => `neuron ${o}, weight of pixel (${y}, ${x}) = ${fmt(w[o * 784 + y * 28 + x], 4)}`);
      figure(cv, o);
    }
  } else {
    box.append(el('p', 'note', 'This model has no first layer whose weights can be drawn as pictures.'));
    return;
  }
  box.append(grid);
}
