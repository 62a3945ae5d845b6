// The input: the drawing pad (mouse, pen or finger), the test digits (with their true labels) and
// uploaded pictures and models. A picture goes through the same code as `zerograd predict`:
// rgbaToGray, then frameDigit (background removed, contrast stretched, framed as MNIST is); for a
// model trained on a folder of pictures, pictureToInput (the whole picture resized, in colour or not).
import * as zg from '../index.js';
import { decodeImageFile, mapCanvas, penStroke } from './draw.js';
import { $, drawable, el, inputSize, message, state } from './state.js';
import { describeSaved, runNetwork, setModel } from './stages.js';

const pad = () => $<HTMLCanvasElement>('#pad');

const PICTURES_ONLY = 'this model was trained on a folder of pictures: upload a picture (drawing and the MNIST test digits are for digit models)';

/** What the pad shows: a drawing (strokes add to it), or a test digit or photo (a new stroke starts a fresh drawing). */
let padHolds: 'drawing' | 'picture' = 'drawing';

function blackPad(): void {
  const ctx = pad().getContext('2d')!;
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, pad().width, pad().height);
  padHolds = 'drawing';
}

export function clearPad(): void {
  blackPad();
  state.input = new Float32Array(inputSize());
  state.truth = null;
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

export function setupPad(): void {
  const c = pad();
  const ctx = c.getContext('2d', { willReadFrequently: true })!;
  let drawing = false;
  let last: [number, number] | null = null;
  const at = (e: PointerEvent): [number, number] => {
    const r = c.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * c.width, ((e.clientY - r.top) / r.height) * c.height];
  };
  // Pointer events cover mouse, pen and touch alike; the pad's CSS (touch-action: none) keeps a
  // finger's stroke from scrolling the page.
  c.addEventListener('pointerdown', (e) => {
    e.preventDefault();
    if (!drawable()) { message(PICTURES_ONLY, 'error'); return; }
    if (padHolds === 'picture') { blackPad(); state.truth = null; }
    drawing = true;
    last = at(e);
    c.setPointerCapture(e.pointerId);
    stroke(at(e));
  });
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
  document.addEventListener('zerograd:model', markSamples);
}

/** Show a test digit (index) on the pad, scaled up, with its true label. */
function useSample(i: number): void {
  if (!drawable()) { message(PICTURES_ONLY, 'error'); return; }
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
  padHolds = 'picture';
  state.input = Float32Array.from(t.images.subarray(i * 784, (i + 1) * 784), (v) => v / 255);
  state.truth = t.labels[i];
  runNetwork();
}

const SAMPLES = 16;

export async function loadSamples(): Promise<void> {
  const [img, lab] = await Promise.all(['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'].map(async (n) => {
    const r = await fetch(`/data/${n}`);
    if (!r.ok) throw new Error(`cannot load ${n}: HTTP ${r.status}`);
    return new Uint8Array(await r.arrayBuffer());
  }));
  state.testSet = zg.ImageDataset.fromIdx(img, lab, ['test images', 'test labels']);
  const strip = $('#samples');
  for (let i = 0; i < SAMPLES; i++) {
    const cell = el('figure', 'sample-cell');
    const cv = mapCanvas(state.testSet.images.subarray(i * 784, (i + 1) * 784), 28, 28, { lo: 0, hi: 255, size: 28, cls: 'sample' });
    cv.title = `test digit ${i}, true label ${state.testSet.labels[i]}`;
    cell.dataset.index = String(i);
    cell.dataset.label = String(state.testSet.labels[i]);
    cell.append(cv, el('figcaption', '', String(state.testSet.labels[i])));
    cell.addEventListener('click', () => useSample(i));
    strip.append(cell);
  }
  markSamples();
}

/** Mark the test digits the model shown gets wrong (its prediction beside the true label). */
function markSamples(): void {
  const t = state.testSet;
  if (!t) return;
  const cells = document.querySelectorAll<HTMLElement>('#samples .sample-cell');
  if (!drawable()) {
    // A picture model's classes are not digits: no guesses to mark.
    cells.forEach((cell, i) => { cell.classList.remove('wrong'); delete cell.dataset.prediction; cell.querySelector('figcaption')!.textContent = String(t.labels[i]); });
    return;
  }
  const probs = zg.noGrad(() => zg.predictProbabilities(state.model, t.batch(Array.from({ length: SAMPLES }, (_, i) => i)).x));
  const guess = Array.from(probs.argmax(-1));
  cells.forEach((cell, i) => {
    const wrong = guess[i] !== t.labels[i];
    cell.classList.toggle('wrong', wrong);
    cell.dataset.prediction = String(guess[i]);
    cell.querySelector('figcaption')!.textContent = wrong ? `${t.labels[i]} (says ${guess[i]})` : String(t.labels[i]);
  });
}

/**
 * A photo or scan: shown large on the pad (fitted, on white paper), and framed for the network
 * by the same code as `zerograd predict` (rgbaToGray then frameDigit on the full-size picture).
 */
export async function uploadImage(file: File): Promise<void> {
  const { bitmap: bmp, rgba: d, width, height } = await decodeImageFile(file);
  if (state.pictures) {
    showOnPad(bmp);
    // As `zerograd predict` and training prepare it: resized bytes, then scaled to [0,1] as a batch is.
    const [C, H] = state.inputShape;
    const bytes = zg.pictureToInput(new Uint8Array(d.buffer, d.byteOffset, d.length), width, height, C, H);
    state.input = Float32Array.from(bytes, (v) => v / 255);
    state.truth = null;
    runNetwork();
    message(`${file.name}: resized to ${H}×${H}${C === 3 ? ' in colour' : ' in grayscale'}, as the model's training pictures were`);
    return;
  }
  const found = zg.findDigit(zg.rgbaToGray(d, width, height), width, height);
  showOnPad(bmp);
  state.input = found.found ? found.input : new Float32Array(784);
  state.truth = null;
  runNetwork();
  message(found.found ? `${file.name}: ${found.polarity === 'dark-on-light' ? 'dark ink on light paper' : 'light ink on a dark background'}, framed like an MNIST digit (see the 28×28 input)`
    : `${file.name}: ${found.reason}`);
}

/** The picture large on the pad, fitted, on white paper. */
function showOnPad(bmp: ImageBitmap): void {
  const p = pad().getContext('2d')!;
  p.fillStyle = '#fff';
  p.fillRect(0, 0, pad().width, pad().height);
  const s = Math.min(pad().width / bmp.width, pad().height / bmp.height);
  p.imageSmoothingEnabled = true;
  p.drawImage(bmp, (pad().width - s * bmp.width) / 2, (pad().height - s * bmp.height) / 2, s * bmp.width, s * bmp.height);
  padHolds = 'picture';
}

export async function uploadModel(file: File): Promise<void> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  // The server lets only its own page replace the model: it writes a per-start token into the page.
  const token = document.querySelector('meta[name=zerograd-token]')?.getAttribute('content') ?? '';
  const r = await fetch('/api/model', { method: 'POST', body: bytes, headers: { 'X-Zerograd-Token': token } });
  const answer = (await r.json().catch(() => ({}))) as { error?: string };
  if (!r.ok) throw new Error(`${file.name}: ${answer.error ?? `HTTP ${r.status}`}`);
  const saved = zg.decodeModel(bytes, file.name);
  setModel(saved.model, describeSaved(saved, file.name), saved);
  message(`loaded ${file.name}`);
}
