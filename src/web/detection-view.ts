// The explainer's detection view: R-CNN on a picture with several digits, step by step —
// segmentation, selective-search proposals, warped windows and their class scores, box
// regression, and the detections that non-maximum suppression keeps.
//
// The detector comes from the server (`zerograd serve --detector FILE`, GET /api/detector) or
// from a file chosen or dropped here (read in the page, never uploaded). The input is drawn on a
// 256×256 pad (brought to the detector's terms by prepareImage: ink bright, digits ~32 px), an
// image file, or an MNIST-Det test canvas made here from the MNIST test digits.
//
// Selective search and the CNN run in a worker (detection-worker.ts): on a 128×128 canvas, ~150
// forward passes of the small CNN took 1.6 s with the reference backend on a busy 2-core machine
// (0.4 s with the worker's one-thread wasm backend, selective search another 0.3 s), too long to
// block the page's thread. The worker answers in two parts (proposals, then the rest), and each
// step is drawn as soon as its data is there.
import type { ImageDataset } from '../data/dataset.js';
import { rgbaToGray } from '../data/preprocess.js';
import type { Scorer } from '../detection/detect.js';
import { prepareImage } from '../detection/image.js';
import { generateCanvases, type DetCanvas } from '../detection/mnist-det.js';
import { decodeRcnn } from '../detection/model.js';
import { decodeImageFile, penStroke } from './draw.js';
import type { DetectionTrace } from '../detection/rcnn.js';
import type { FromDetectionWorker, ToDetectionWorker } from './detection-worker.js';
import { boxPicture } from './detection-draw.js';
import { fmt, stepCrops, stepDetections, stepInput, stepNms, stepProposals, stepRegression, stepSegmentation, stepTop, type DetInput } from './detection-steps.js';

/** MNIST-Det test canvases offered: the first of the test split (seed 1: generator seed 3·1 + 2). */
const TEST_CANVASES = 8;
const TEST_SEED = 5;
const PAD = 256;

export interface DetectionState {
  /** The detector's file (the worker decodes it too), its thresholds, and a number per file loaded. */
  detector: { id: number; bytes: Uint8Array; threshold: Record<Scorer, number>; scorer: Scorer; name: string } | null;
  input: DetInput | null;
  trace: DetectionTrace | null;
  /** Milliseconds of the last run: selective search, then the CNN and the heads (in the worker). */
  timings: { proposals: number; network: number } | null;
  running: boolean;
  /** Longest gap between animation frames while the last run was in flight (ms): the page's responsiveness. */
  maxFrameGap: number;
}

export const detectionState: DetectionState = { detector: null, input: null, trace: null, timings: null, running: false, maxFrameGap: 0 };

/** Build the view inside `root`; returns the hook the page calls once the MNIST test digits are loaded. */
export function setupDetectionView(root: HTMLElement): { setTestDigits(ds: ImageDataset): void } {
  root.innerHTML = `
    <p class="note">R-CNN finds every digit: selective search proposes regions, each is warped to 28×28 and scored by a CNN
      (per-digit SVMs or its softmax), each box is moved by regression, and non-maximum suppression keeps the best of overlapping boxes.</p>
    <p class="row">Detector: <span id="det-label">none</span>
      <label class="button">Choose a detector file <input type="file" id="det-file" accept=".zg,application/octet-stream"></label></p>
    <p id="det-message" class="info" role="status"></p>
    <div class="det-input">
      <div>
        <canvas id="det-pad" width="${PAD}" height="${PAD}" aria-label="drawing pad for several digits"></canvas>
        <div class="row">
          <button id="det-clear">Clear</button> <button id="det-run" disabled>Find digits</button>
          <label class="button">Choose an image <input type="file" id="det-image" accept="image/png,image/jpeg"></label>
        </div>
        <div class="row">
          <label>scorer <select id="det-scorer"><option value="svm">SVMs</option><option value="softmax">softmax</option></select></label>
          <label>threshold <input id="det-threshold" size="6"></label>
        </div>
      </div>
      <div>
        <p class="note">Draw several digits, drop an image or a detector file here, or pick an MNIST-Det test canvas:</p>
        <div id="det-canvases"></div>
      </div>
    </div>
    <p id="det-status" class="note"></p>
    <div id="det-steps"></div>`;
  const $ = <T extends HTMLElement>(id: string): T => root.querySelector(`#${id}`) as T;
  const pad = $<HTMLCanvasElement>('det-pad');
  const pctx = pad.getContext('2d', { willReadFrequently: true })!;
  const say = (text: string, kind: 'info' | 'error' = 'info'): void => {
    const m = $('det-message');
    m.textContent = text;
    m.className = kind;
  };
  const status = (text: string): void => { $('det-status').textContent = text; };
  const clearPad = (): void => { pctx.fillStyle = '#000'; pctx.fillRect(0, 0, PAD, PAD); };
  clearPad();

  // ------------------------------------------------------------ the detector

  const useDetector = (bytes: Uint8Array, name: string): void => {
    const d = decodeRcnn(bytes, name); // a classifier's file or a damaged one throws, naming the file
    detectionState.detector = { id: (detectionState.detector?.id ?? 0) + 1, bytes, threshold: d.rcnn.threshold, scorer: d.scorer, name };
    const made = d.made as { mAP50?: unknown; split?: unknown };
    const map = typeof made.mAP50 === 'number' ? `, mAP@0.5 ${made.mAP50.toFixed(3)}` : '';
    $('det-label').textContent = `${name} (R-CNN, ${d.rcnn.net.parameterCount().toLocaleString('en-US')} CNN parameters, scorer ${d.scorer}${map})`;
    $<HTMLSelectElement>('det-scorer').value = d.scorer;
    $<HTMLInputElement>('det-threshold').value = fmt(d.rcnn.threshold[d.scorer]);
    $<HTMLButtonElement>('det-run').disabled = false;
  };
  const loadDetectorFile = async (file: File): Promise<void> => {
    useDetector(new Uint8Array(await file.arrayBuffer()), file.name);
    say(`loaded the detector ${file.name}`);
    if (detectionState.input) await run();
  };
  void (async () => {
    const r = await fetch('/api/detector');
    if (r.status === 404) {
      say('No detector yet: start the page with `zerograd serve --detector FILE`, or choose a file made by `zerograd detect-train`.');
      return;
    }
    if (!r.ok) throw new Error(`cannot load the detector: HTTP ${r.status}`);
    useDetector(new Uint8Array(await r.arrayBuffer()), 'detector from the server');
  })().catch((e: Error) => say(e.message, 'error'));

  // ------------------------------------------------------------ inputs: pad, image, test canvases

  let drawing = false, last: [number, number] | null = null, drawn = false;
  const at = (e: PointerEvent): [number, number] => {
    const r = pad.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * PAD, ((e.clientY - r.top) / r.height) * PAD];
  };
  const stroke = (p: [number, number]): void => {
    penStroke(pctx, last ?? p, p, 14); // a 100-px digit with MNIST's stroke-to-height ratio
    last = p;
    drawn = true;
  };
  pad.addEventListener('pointerdown', (e) => { drawing = true; last = at(e); pad.setPointerCapture(e.pointerId); stroke(at(e)); });
  pad.addEventListener('pointermove', (e) => { if (drawing) stroke(at(e)); });
  const end = (): void => { drawing = false; last = null; };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);
  $('det-clear').addEventListener('click', () => { clearPad(); drawn = false; detectionState.input = null; });

  /** The pad's drawing in the detector's terms (prepareImage finds the scale from the ink). */
  const padInput = (): DetInput | null => {
    const gray = rgbaToGray(pctx.getImageData(0, 0, PAD, PAD).data, PAD, PAD);
    if (!gray.some((v) => v > 64)) return null;
    const p = prepareImage(gray, PAD, PAD);
    return { image: p.image, width: p.width, height: p.height, source: `the drawing (256×256, scaled by ${p.scale.toFixed(2)} so digits are ~32 px)` };
  };

  const loadImage = async (file: File): Promise<void> => {
    const { rgba, width, height } = await decodeImageFile(file);
    const p = prepareImage(rgbaToGray(rgba, width, height), width, height);
    detectionState.input = { image: p.image, width: p.width, height: p.height, source: `${file.name} (${width}×${height}, ${p.polarity}, scaled by ${p.scale.toFixed(2)})` };
    drawn = false;
    clearPad();
    say(`${file.name}: prepared as a ${p.width}×${p.height} detector image`);
    await run();
  };

  const useCanvas = async (c: DetCanvas, i: number): Promise<void> => {
    detectionState.input = { image: c.image, width: c.width, height: c.height, source: `MNIST-Det test canvas ${i} (128×128)`, truth: { boxes: c.boxes, labels: c.labels } };
    // Shown on the pad at 2×, so digits can be drawn next to it (which then makes the pad the input).
    const s = document.createElement('canvas');
    s.width = c.width;
    s.height = c.height;
    const img = s.getContext('2d')!.createImageData(c.width, c.height);
    c.image.forEach((v, k) => img.data.set([255 * v, 255 * v, 255 * v, 255], 4 * k));
    s.getContext('2d')!.putImageData(img, 0, 0);
    pctx.imageSmoothingEnabled = true;
    pctx.drawImage(s, 0, 0, PAD, PAD);
    drawn = false;
    await run();
  };

  $('det-run').addEventListener('click', () => {
    if (drawn) {
      const input = padInput();
      if (!input) return say('Draw some digits on the pad first.', 'error');
      detectionState.input = input;
      drawn = false;
    }
    if (!detectionState.input) return say('Draw some digits, choose an image, or pick a test canvas first.', 'error');
    void run();
  });
  const rerun = (): void => { if (detectionState.input) void run(); };
  $<HTMLSelectElement>('det-scorer').addEventListener('change', () => {
    const d = detectionState.detector;
    if (d) $<HTMLInputElement>('det-threshold').value = fmt(d.threshold[$<HTMLSelectElement>('det-scorer').value as Scorer]);
    rerun();
  });
  $('det-threshold').addEventListener('change', rerun);
  const onFile = (input: HTMLInputElement, fn: (f: File) => Promise<void>): void => {
    input.addEventListener('change', () => {
      const f = input.files?.[0];
      if (f) fn(f).catch((e: Error) => say(e.message, 'error')).finally(() => (input.value = ''));
    });
  };
  onFile($<HTMLInputElement>('det-file'), loadDetectorFile);
  onFile($<HTMLInputElement>('det-image'), loadImage);
  // Drop anywhere in the view: an image is an input, anything else is read as a detector file.
  const section = root.closest('section') ?? root;
  section.addEventListener('dragover', (e) => e.preventDefault());
  section.addEventListener('drop', (e) => {
    e.preventDefault();
    const f = e.dataTransfer?.files[0];
    if (f) (f.type.startsWith('image/') ? loadImage(f) : loadDetectorFile(f)).catch((err: Error) => say(err.message, 'error'));
  });

  // ------------------------------------------------------------ running and showing every step

  /** Record the longest gap between animation frames while a run is in flight. */
  const watchFrames = (): void => {
    detectionState.maxFrameGap = 0;
    let last = performance.now();
    const tick = (now: number): void => {
      detectionState.maxFrameGap = Math.max(detectionState.maxFrameGap, now - last);
      last = now;
      if (detectionState.running) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  };

  /** One run in the worker; a newer run replaces an older one (its answers are ignored). */
  let worker: Worker | null = null;
  let runs = 0, sentDetector = -1;
  async function run(): Promise<void> {
    const d = detectionState.detector, input = detectionState.input;
    if (!d) return say('Choose a detector file first (made by `zerograd detect-train`).', 'error');
    if (!input) return;
    const threshold = Number($<HTMLInputElement>('det-threshold').value);
    if (!Number.isFinite(threshold)) return say(`threshold: expected a number, got '${$<HTMLInputElement>('det-threshold').value}'`, 'error');
    const scorer = $<HTMLSelectElement>('det-scorer').value as Scorer;
    const id = ++runs;
    detectionState.running = true;
    root.dataset.done = 'false';
    const steps = $('det-steps');
    steps.innerHTML = '';
    status('selective search…');
    if (!worker) {
      worker = new Worker(new URL('./detection-worker.js', import.meta.url), { type: 'module' });
      worker.onerror = (e) => { say(`detection worker failed: ${e.message}`, 'error'); worker = null; sentDetector = -1; detectionState.running = false; };
    }
    const msg: ToDetectionWorker = { type: 'run', run: id, detectorId: d.id, image: input.image, width: input.width, height: input.height, scorer, threshold };
    if (sentDetector !== d.id) { msg.bytes = d.bytes; sentDetector = d.id; }
    let proposalMs = 0;
    worker.onmessage = (ev: MessageEvent<FromDetectionWorker>) => {
      const m = ev.data;
      if (m.run !== runs) return; // an answer to a run that a newer one replaced
      if (m.type === 'error') {
        say(m.message, 'error');
        status('');
        detectionState.running = false;
      } else if (m.type === 'proposals') {
        proposalMs = m.ms;
        steps.append(stepInput(input), stepSegmentation(input, m.labels, m.segments), stepProposals(input, m.boxes));
        status(`scoring ${m.boxes.length} warped windows with the CNN…`);
      } else {
        const t = m.trace;
        detectionState.trace = t;
        detectionState.timings = { proposals: proposalMs, network: m.ms };
        steps.append(stepTop(input, t, scorer), stepCrops(t, scorer), stepRegression(input, t, threshold), stepNms(input, t), stepDetections(input, t, scorer));
        status(`${input.source}: selective search ${(proposalMs / 1000).toFixed(2)} s, CNN and heads on ${t.proposals.length} windows ${(m.ms / 1000).toFixed(2)} s (${m.backend} backend, in a worker).`);
        detectionState.running = false;
        root.dataset.done = 'true';
      }
    };
    worker.postMessage(msg);
    watchFrames();
  }

  return {
    setTestDigits(ds: ImageDataset): void {
      const list = $('det-canvases');
      list.innerHTML = '';
      generateCanvases(ds, { count: TEST_CANVASES, seed: TEST_SEED, variant: 'cluttered' }).forEach((c, i) => {
        const thumb = boxPicture(c.image, c.width, c.height, [], `test canvas ${i}: digits ${c.labels.join(', ')}`);
        thumb.className = 'det-thumb';
        thumb.dataset.index = String(i);
        thumb.addEventListener('click', () => void useCanvas(c, i));
        list.append(thumb);
      });
    },
  };
}
