// What the explainer page knows (the model shown, its input and outputs, the training run) and
// the few DOM helpers every module of the page uses.
import * as zg from '../index.js';

export const $ = <T extends HTMLElement = HTMLElement>(sel: string): T => document.querySelector(sel) as T;

export const el = (tag: string, cls?: string, text?: string): HTMLElement => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

/** The ten MNIST classes, named by their digit. */
export const DIGITS = Array.from({ length: 10 }, (_, i) => String(i));

export interface State {
  model: zg.Sequential;
  label: string;
  /** One input example's shape (C,H,W): (1,28,28) for MNIST, (3,S,S) for a model trained on colour pictures. */
  inputShape: number[];
  /** A picture model (meta.preprocess 'resize'): its input is a whole picture resized, not a framed digit. */
  pictures: boolean;
  /** The class names a model file stores (meta.classNames); digits 0…9 otherwise. */
  classNames: string[];
  /** The input, (C,H,W) flattened, values in [0,1]. */
  input: Float32Array;
  /** Output of every layer for the current input (batch of one). */
  outputs: zg.Tensor[];
  /** Softmax of the last layer; empty while the input is blank (nothing to predict). */
  probabilities: number[];
  /** The true label of the input, when it is a test digit. */
  truth: number | null;
  loss: Array<[number, number]>;
  testAccuracy: Array<[number, number]>;
  trainAccuracy: Array<[number, number]>;
  trainedModel: Uint8Array | null;
  training: 'idle' | 'running' | 'paused' | 'done';
  testSet: zg.ImageDataset | null;
  /** Longest gap between animation frames while training (ms): how responsive the page stayed. */
  maxFrameGap: number;
}

export const state: State = {
  model: zg.cnn({ kernels: 8, hidden: 32 }), label: 'untrained CNN', inputShape: [1, 28, 28], pictures: false,
  classNames: DIGITS, input: new Float32Array(784), outputs: [], probabilities: [], truth: null,
  loss: [], testAccuracy: [], trainAccuracy: [], trainedModel: null, training: 'idle', testSet: null, maxFrameGap: 0,
};

/** The page's one-line status under the header. */
export function message(text: string, kind: 'info' | 'error' = 'info'): void {
  const m = $('#message');
  m.textContent = text;
  m.className = kind;
}

/** The pipeline's map canvases, by stage (the layer's index; the input is −1), for the marks of a clicked cell. */
export const pipelineMaps: { input: HTMLCanvasElement | null; layers: HTMLCanvasElement[][] } = { input: null, layers: [] };

/** The canvases of stage `i` (−1: the input). */
export function stageMaps(i: number): HTMLCanvasElement[] {
  return i < 0 ? (pipelineMaps.input ? [pipelineMaps.input] : []) : pipelineMaps.layers[i] ?? [];
}

/** Values in one input example: C·H·W. */
export const inputSize = (): number => state.inputShape.reduce((a, b) => a * b, 1);

/**
 * Whether the pad and the test digits can feed the model shown: an MNIST model (one channel,
 * 28×28, framed digits). A model trained on pictures reads a whole picture resized: a drawing on
 * black framed like a digit is not what it learned from, so it takes uploaded pictures only.
 */
export const drawable = (): boolean => !state.pictures && state.inputShape.join(',') === '1,28,28';
