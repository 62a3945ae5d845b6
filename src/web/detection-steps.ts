// The detection view's steps, one labelled figure each: the input, the segmentation, the
// proposals (all, then the best-scoring), warped windows with their class scores, box regression,
// and the detections before and after non-maximum suppression. Built from one DetectionTrace.
import type { Box } from '../detection/boxes.js';
import { iou } from '../detection/boxes.js';
import { DIGITS, type Scorer } from '../detection/detect.js';
import type { DetectionTrace } from '../detection/rcnn.js';
import { DEFAULT_STRATEGIES } from '../detection/selective-search.js';
import { boxPicture, cropCard, labelColour, segmentationColours, type DrawnBox } from './detection-draw.js';

const TOP_PROPOSALS = 10;
const CROPS = 8;

/** What the detector is run on: an image in its terms (ink bright in [0, 1]) and, for a test canvas, the truth. */
export interface DetInput {
  image: Float32Array;
  width: number;
  height: number;
  source: string;
  truth?: { boxes: Box[]; labels: number[] };
}

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};
export const fmt = (v: number): string => (Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
const boxText = (b: Readonly<Box>): string => `[${b.map((v) => Math.round(v)).join(', ')})`;

/** A labelled figure: the caption says what the picture shows. */
function figure(step: string, caption: string, ...content: HTMLElement[]): HTMLElement {
  const f = el('figure', 'det-step');
  f.dataset.step = step;
  const cap = el('figcaption', '', caption + ' ');
  const anchor = GLOSSARY[step];
  if (anchor) {
    const a = el('a', '', 'glossary');
    a.href = `glossary.html#${anchor}`;
    a.target = '_blank';
    cap.append(a);
  }
  f.append(...content, cap);
  return f;
}

/** The glossary entry each step illustrates (anchors from docs/glossary.md's headings). */
const GLOSSARY: Record<string, string> = {
  input: 'region-based-cnn-r-cnn', segmentation: 'selective-search', proposals: 'region-proposal', 'top-proposals': 'region-proposal',
  crops: 'warping', regression: 'bounding-box-regression', 'before-nms': 'intersection-over-union-iou', detections: 'non-maximum-suppression-nms',
};

const bestScore = (t: DetectionTrace, i: number): number => t.scores[i * DIGITS + t.bestLabel[i]];
const truthBoxes = (input: DetInput): DrawnBox[] => (input.truth ? input.truth.boxes.map((b, k) => ({
  box: b, colour: '#fff', dashed: true, width: 1, info: `ground truth: digit ${input.truth!.labels[k]}, box ${boxText(b)}`,
})) : []);

export function stepInput(input: DetInput): HTMLElement {
  return figure('input', `1 · What the detector sees: ${input.width}×${input.height}, ink bright on black (from ${input.source}).`,
    boxPicture(input.image, input.width, input.height, truthBoxes(input), 'the detector input'));
}

export function stepSegmentation(input: DetInput, labels: Int32Array, count: number): HTMLElement {
  const k = DEFAULT_STRATEGIES[0].k;
  return figure('segmentation', `2 · Graph segmentation (Felzenszwalb–Huttenlocher, k = ${k}): ${count} segments, one colour each; selective search starts from these.`,
    boxPicture(segmentationColours(labels, count), input.width, input.height, [], 'segmentation'));
}

export function stepProposals(input: DetInput, proposals: Box[]): HTMLElement {
  const boxes = proposals.map((b, i): DrawnBox => ({ box: b, colour: 'rgba(0, 200, 255, 0.55)', width: 1, info: `proposal #${i}: ${boxText(b)}` }));
  return figure('proposals', `3 · Selective search: all ${proposals.length} proposals (regions grouped from the segments, every scale).`,
    boxPicture(input.image, input.width, input.height, boxes, 'all proposals'));
}

export function stepTop(input: DetInput, t: DetectionTrace, scorer: Scorer): HTMLElement {
  const order = t.proposals.map((_, i) => i).sort((a, b) => bestScore(t, b) - bestScore(t, a)).slice(0, TOP_PROPOSALS);
  const boxes = order.reverse().map((i): DrawnBox => ({
    box: t.proposals[i], colour: labelColour(t.bestLabel[i]), tag: `${t.bestLabel[i]} ${fmt(bestScore(t, i))}`,
    info: `proposal #${i}: best digit ${t.bestLabel[i]}, ${scorer} score ${fmt(bestScore(t, i))}, background probability ${(100 * t.probs[i * (DIGITS + 1) + DIGITS]).toFixed(1)}%`,
  }));
  return figure('top-proposals', `4 · The ${boxes.length} proposals the ${scorer === 'svm' ? 'SVMs' : 'softmax'} score highest (colour and number: the best digit, then its score).`,
    boxPicture(input.image, input.width, input.height, boxes, 'top proposals'));
}

/** Crops: the best-scoring windows that do not repeat one place (IoU < 0.5), then the worst two. */
export function stepCrops(t: DetectionTrace, scorer: Scorer): HTMLElement {
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

export function stepRegression(input: DetInput, t: DetectionTrace, threshold: number): HTMLElement {
  const above = t.proposals.map((_, i) => i).filter((i) => bestScore(t, i) >= threshold).sort((a, b) => bestScore(t, b) - bestScore(t, a)).slice(0, 30);
  const boxes: DrawnBox[] = [];
  for (const i of above) {
    const info = `proposal #${i} (digit ${t.bestLabel[i]}): ${boxText(t.proposals[i])} → ${boxText(t.regressed[i])}`;
    boxes.push({ box: t.proposals[i], colour: '#f90', dashed: true, width: 1, info }, { box: t.regressed[i], colour: '#3d3', width: 1.5, info });
  }
  return figure('regression', `6 · Box regression on the ${above.length} proposals scoring ≥ ${fmt(threshold)}: proposal (orange, dashed) → the box its digit's regressor predicts (green).`,
    boxPicture(input.image, input.width, input.height, boxes, 'boxes before and after regression'));
}

export function stepNms(input: DetInput, t: DetectionTrace): HTMLElement {
  const boxes = t.beforeNms.map((d): DrawnBox => ({ box: d.box, colour: labelColour(d.label), width: 1, info: `digit ${d.label}, score ${fmt(d.score)}, box ${boxText(d.box)}` }));
  return figure('before-nms', `7 · Before non-maximum suppression: ${boxes.length} regressed boxes above the threshold, many on the same digit.`,
    boxPicture(input.image, input.width, input.height, boxes, 'detections before NMS'));
}

export function stepDetections(input: DetInput, t: DetectionTrace, scorer: Scorer): HTMLElement {
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
