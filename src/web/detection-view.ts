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
// forward passes of the small CNN take 0.3–1.5 s with the reference backend on a laptop-to-busy
// CPU, too long to block the page's thread; the worker's answers arrive in two parts (proposals,
// then the rest), and each step is drawn as soon as its data is there.
import type { ImageDataset } from '../data/dataset.js';
import { rgbaToGray } from '../data/preprocess.js';
import type { Box } from '../detection/boxes.js';
import { iou } from '../detection/boxes.js';
import { DIGITS, type Scorer } from '../detection/detect.js';
import { prepareImage } from '../detection/image.js';
import { generateCanvases, type DetCanvas } from '../detection/mnist-det.js';
import { decodeRcnn } from '../detection/model.js';
import type { DetectionTrace } from '../detection/rcnn.js';
import { DEFAULT_STRATEGIES } from '../detection/selective-search.js';
import type { FromDetectionWorker, ToDetectionWorker } from './detection-worker.js';
import { boxPicture, cropCard, labelColour, segmentationColours, type DrawnBox } from './detection-draw.js';

/** MNIST-Det test canvases offered: the first of the test split (seed 1: generator seed 3·1 + 2). */
const TEST_CANVASES = 8;
const TEST_SEED = 5;
const TOP_PROPOSALS = 10;
const CROPS = 8;
const PAD = 256;

interface DetInput {
  image: Float32Array;
  width: number;
  height: number;
  source: string;
  truth?: { boxes: Box[]; labels: number[] };
}

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

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};
const fmt = (v: number): string => (Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
const boxText = (b: Readonly<Box>): string => `[${b.map((v) => Math.round(v)).join(', ')})`;

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
    pctx.strokeStyle = '#fff';
    pctx.lineWidth = 14; // a 100-px digit with MNIST's stroke-to-height ratio
    pctx.lineCap = 'round';
    pctx.lineJoin = 'round';
    pctx.beginPath();
    pctx.moveTo(...(last ?? p));
    pctx.lineTo(...p);
    pctx.stroke();
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
    let bmp: ImageBitmap;
    try {
      bmp = await createImageBitmap(file);
    } catch {
      throw new Error(`${file.name}: not an image this browser can decode (expected PNG or JPEG)`);
    }
    const c = document.createElement('canvas');
    c.width = bmp.width;
    c.height = bmp.height;
    const ctx = c.getContext('2d')!;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, c.width, c.height);
    ctx.drawImage(bmp, 0, 0);
    const p = prepareImage(rgbaToGray(ctx.getImageData(0, 0, c.width, c.height).data, c.width, c.height), c.width, c.height);
    detectionState.input = { image: p.image, width: p.width, height: p.height, source: `${file.name} (${c.width}×${c.height}, ${p.polarity}, scaled by ${p.scale.toFixed(2)})` };
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

/** A labelled figure: the caption says what the picture shows. */
function figure(step: string, caption: string, ...content: HTMLElement[]): HTMLElement {
  const f = el('figure', 'det-step');
  f.dataset.step = step;
  f.append(...content, el('figcaption', '', caption));
  return f;
}

const bestScore = (t: DetectionTrace, i: number): number => t.scores[i * DIGITS + t.bestLabel[i]];
const truthBoxes = (input: DetInput): DrawnBox[] => (input.truth ? input.truth.boxes.map((b, k) => ({
  box: b, colour: '#fff', dashed: true, width: 1, info: `ground truth: digit ${input.truth!.labels[k]}, box ${boxText(b)}`,
})) : []);

function stepInput(input: DetInput): HTMLElement {
  return figure('input', `1 · What the detector sees: ${input.width}×${input.height}, ink bright on black (from ${input.source}).`,
    boxPicture(input.image, input.width, input.height, truthBoxes(input), 'the detector input'));
}

function stepSegmentation(input: DetInput, labels: Int32Array, count: number): HTMLElement {
  const k = DEFAULT_STRATEGIES[0].k;
  return figure('segmentation', `2 · Graph segmentation (Felzenszwalb–Huttenlocher, k = ${k}): ${count} segments, one colour each; selective search starts from these.`,
    boxPicture(segmentationColours(labels, count), input.width, input.height, [], 'segmentation'));
}

function stepProposals(input: DetInput, proposals: Box[]): HTMLElement {
  const boxes = proposals.map((b, i): DrawnBox => ({ box: b, colour: 'rgba(0, 200, 255, 0.55)', width: 1, info: `proposal #${i}: ${boxText(b)}` }));
  return figure('proposals', `3 · Selective search: all ${proposals.length} proposals (regions grouped from the segments, every scale).`,
    boxPicture(input.image, input.width, input.height, boxes, 'all proposals'));
}

function stepTop(input: DetInput, t: DetectionTrace, scorer: Scorer): HTMLElement {
  const order = t.proposals.map((_, i) => i).sort((a, b) => bestScore(t, b) - bestScore(t, a)).slice(0, TOP_PROPOSALS);
  const boxes = order.reverse().map((i): DrawnBox => ({
    box: t.proposals[i], colour: labelColour(t.bestLabel[i]), tag: `${t.bestLabel[i]} ${fmt(bestScore(t, i))}`,
    info: `proposal #${i}: best digit ${t.bestLabel[i]}, ${scorer} score ${fmt(bestScore(t, i))}, background probability ${(100 * t.probs[i * (DIGITS + 1) + DIGITS]).toFixed(1)}%`,
  }));
  return figure('top-proposals', `4 · The ${boxes.length} proposals the ${scorer === 'svm' ? 'SVMs' : 'softmax'} score highest (colour and number: the best digit, then its score).`,
    boxPicture(input.image, input.width, input.height, boxes, 'top proposals'));
}

/** Crops: the best-scoring windows that do not repeat one place (IoU < 0.5), then the worst two. */
function stepCrops(t: DetectionTrace, scorer: Scorer): HTMLElement {
  const order = t.proposals.map((_, i) => i).sort((a, b) => bestScore(t, b) - bestScore(t, a));
  const picked: number[] = [];
  for (const i of order) {
    if (picked.length >= CROPS - 2) break;
    if (picked.every((j) => iou(t.proposals[i], t.proposals[j]) < 0.5)) picked.push(i);
  }
  for (const i of order.slice(-2)) if (!picked.includes(i)) picked.push(i);
  const box = el('div', 'det-crops');
  for (const i of picked) {
    const probs = t.probs.subarray(i * (DIGITS + 1), (i + 1) * (DIGITS + 1));
    box.append(cropCard(t.windows.subarray(i * 784, (i + 1) * 784), probs, `#${i} ${boxText(t.proposals[i])}`,
      `best ${t.bestLabel[i]}: ${scorer} ${fmt(bestScore(t, i))}`, t.bestLabel[i]));
  }
  return figure('crops', `5 · Warped 28×28 windows (each proposal widened by a little context) and the fine-tuned CNN's softmax over 10 digits + background (bg); below, the ${scorer} score of the best digit. The last ones score lowest.`, box);
}

function stepRegression(input: DetInput, t: DetectionTrace, threshold: number): HTMLElement {
  const above = t.proposals.map((_, i) => i).filter((i) => bestScore(t, i) >= threshold).sort((a, b) => bestScore(t, b) - bestScore(t, a)).slice(0, 30);
  const boxes: DrawnBox[] = [];
  for (const i of above) {
    const info = `proposal #${i} (digit ${t.bestLabel[i]}): ${boxText(t.proposals[i])} → ${boxText(t.regressed[i])}`;
    boxes.push({ box: t.proposals[i], colour: '#f90', dashed: true, width: 1, info }, { box: t.regressed[i], colour: '#3d3', width: 1.5, info });
  }
  return figure('regression', `6 · Box regression on the ${above.length} proposals scoring ≥ ${fmt(threshold)}: proposal (orange, dashed) → the box its digit's regressor predicts (green).`,
    boxPicture(input.image, input.width, input.height, boxes, 'boxes before and after regression'));
}

function stepNms(input: DetInput, t: DetectionTrace): HTMLElement {
  const boxes = t.beforeNms.map((d): DrawnBox => ({ box: d.box, colour: labelColour(d.label), width: 1, info: `digit ${d.label}, score ${fmt(d.score)}, box ${boxText(d.box)}` }));
  return figure('before-nms', `7 · Before non-maximum suppression: ${boxes.length} regressed boxes above the threshold, many on the same digit.`,
    boxPicture(input.image, input.width, input.height, boxes, 'detections before NMS'));
}

function stepDetections(input: DetInput, t: DetectionTrace, scorer: Scorer): HTMLElement {
  const boxes = [...truthBoxes(input), ...t.detections.map((d): DrawnBox => ({
    box: d.box, colour: labelColour(d.label), tag: `${d.label} ${fmt(d.score)}`, width: 2.5, info: `detection: digit ${d.label}, ${scorer} score ${fmt(d.score)}, box ${boxText(d.box)}`,
  }))];
  const list = el('ol', 'det-list');
  list.id = 'det-list';
  for (const d of t.detections) {
    const li = el('li', '', `digit ${d.label} · score ${fmt(d.score)} · box ${boxText(d.box)}`);
    li.dataset.label = String(d.label);
    li.dataset.score = String(d.score);
    li.style.borderLeft = `6px solid ${labelColour(d.label)}`;
    list.append(li);
  }
  if (t.detections.length === 0) list.append(el('li', 'note', 'no digit scored above the threshold'));
  const truth = input.truth ? ` Dashed white: the ground truth (digits ${input.truth.labels.join(', ')}).` : '';
  return figure('detections', `8 · After per-digit NMS (IoU 0.3): ${t.detections.length} detections, each with its digit and score.${truth}`,
    boxPicture(input.image, input.width, input.height, boxes, 'detections after NMS'), list);
}
