// The input: the drawing pad, the test digits and uploaded pictures and models.
import * as zg from '../index.js';
import { mapCanvas, penStroke } from './draw.js';
import { $, message, state } from './state.js';
import { describeSaved, runNetwork, setModel } from './stages.js';

const pad = () => $<HTMLCanvasElement>('#pad');

export function clearPad(): void {
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

export function setupPad(): void {
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

export async function loadSamples(): Promise<void> {
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
}

export async function uploadImage(file: File): Promise<void> {
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

export async function uploadModel(file: File): Promise<void> {
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

