// The zerograd model file: architecture and weights in one versioned, checksummed blob.
// Browser-safe (bytes in, bytes out); src/io/node.ts adds atomic file writes.
//
// Layout (little-endian):
//   "ZGRD"            4 bytes  magic: says this is a zerograd model
//   version           u32      FORMAT_VERSION
//   headerLength      u32      bytes of the JSON header
//   header            JSON     { spec, inputShape, classes, tensors: [{name, shape}], meta }
//   weights           f32[]    every tensor of the header, in order: the parameters and buffers
//                              (batch norm's running statistics) in state_dict() order
//   crc32             u32      of all bytes before it
// Buffers needed no new version: a file written before they existed lists only parameters, and
// its layers have no buffers, so it reads as it always did.
import { moduleFromSpec } from '../nn/layers.js';
import type { LayerSpec, Module } from '../nn/module.js';
import { Random } from '../tensor/random.js';
import { noGrad } from '../autograd/engine.js';
import { zeros } from '../tensor/tensor.js';
import { formatShape, sizeOf } from '../tensor/shape.js';

export const FORMAT_VERSION = 1;
const MAGIC = [0x5a, 0x47, 0x52, 0x44]; // "ZGRD"

export interface ModelHeader {
  spec: LayerSpec;
  /** Shape of one input example, without the batch axis: (1,28,28) for MNIST. */
  inputShape: number[];
  /** Number of classes the output scores; 0 for a regressor. */
  classes: number;
  tensors: Array<{ name: string; shape: number[] }>;
  /** Free-form facts about how the model was made: architecture name, accuracy, epochs… */
  meta: Record<string, unknown>;
}

export interface SavedModel {
  model: Module;
  inputShape: number[];
  classes: number;
  meta: Record<string, unknown>;
}

/** Serialize a model and what is needed to use it. */
export function encodeModel(model: Module, inputShape: number[], classes: number, meta: Record<string, unknown> = {}): Uint8Array {
  const params = model.namedState();
  const header: ModelHeader = {
    spec: model.toSpec(), inputShape, classes, meta,
    tensors: params.map(([name, t]) => ({ name, shape: [...t.shape] })),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const weightCount = params.reduce((n, [, t]) => n + t.size, 0);
  const size = 12 + json.length + 4 * weightCount + 4;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(4, FORMAT_VERSION, true);
  view.setUint32(8, json.length, true);
  out.set(json, 12);
  let o = 12 + json.length;
  for (const [, t] of params) {
    for (let i = 0; i < t.size; i++, o += 4) view.setFloat32(o, t.data[i], true);
  }
  view.setUint32(o, crc32(out.subarray(0, o)), true);
  return out;
}

/**
 * Parse a model file. Checks magic, version, length and checksum first, then builds a fresh
 * model; any problem throws and no model is returned (never a half-loaded one).
 */
export function decodeModel(bytes: Uint8Array, name = 'model file'): SavedModel {
  if (bytes.length < 16 || !MAGIC.every((b, i) => bytes[i] === b)) {
    throw new Error(`${name}: not a zerograd model file (expected it to start with "ZGRD")`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== FORMAT_VERSION) {
    throw new Error(`${name}: model file format version ${version} is not supported; this zerograd reads version ${FORMAT_VERSION}`);
  }
  const stored = view.getUint32(bytes.length - 4, true);
  if (crc32(bytes.subarray(0, bytes.length - 4)) !== stored) {
    throw new Error(`${name}: checksum mismatch: the file is truncated or corrupted`);
  }
  const headerLength = view.getUint32(8, true);
  if (12 + headerLength > bytes.length - 4) throw new Error(`${name}: header length ${headerLength} runs past the end of the file (truncated or corrupted)`);
  let header: ModelHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength))) as ModelHeader;
  } catch {
    throw new Error(`${name}: the header is not valid JSON (corrupted file)`);
  }
  if (!header || typeof header !== 'object' || !header.spec || typeof header.spec !== 'object' || !Array.isArray(header.tensors) || !Array.isArray(header.inputShape)) {
    throw new Error(`${name}: the header lacks spec, inputShape or tensors`);
  }
  // Every size the header claims is checked against the file before anything is allocated from it.
  let weightCount = 0;
  for (const t of header.tensors as unknown[]) {
    const shape = (t as { shape?: unknown })?.shape;
    if (typeof (t as { name?: unknown })?.name !== 'string' || !isDims(shape, 0)) {
      throw new Error(`${name}: tensor entry ${JSON.stringify(t)?.slice(0, 80)} is not {name, shape} with a shape of non-negative integers (corrupted file)`);
    }
    weightCount += shape.reduce((n, d) => n * d, 1);
  }
  const expected = 12 + headerLength + 4 * weightCount + 4;
  if (bytes.length !== expected) {
    throw new Error(`${name}: ${bytes.length} bytes, expected ${expected} for the tensors the header lists (truncated or corrupted)`);
  }
  checkArchitecture(header, weightCount, name);
  const state: Record<string, { shape: number[]; data: Float32Array }> = {};
  let o = 12 + headerLength;
  for (const t of header.tensors) {
    const data = new Float32Array(sizeOf(t.shape));
    for (let i = 0; i < data.length; i++, o += 4) data[i] = view.getFloat32(o, true);
    state[t.name] = { shape: t.shape, data };
  }
  // Build with a throwaway generator: the initial weights are overwritten, and the global one stays untouched.
  let model: Module;
  try {
    model = moduleFromSpec(header.spec, new Random(0));
    model.loadStateDict(state);
  } catch (e) {
    throw new Error(`${name}: the stored architecture and weights do not fit together: ${(e as Error).message}`);
  }
  model.eval();
  // Check the architecture accepts its declared input shape, so a bad file fails here, not at first use.
  try {
    noGrad(() => model.forward(zeros([1, ...header.inputShape])));
  } catch (e) {
    throw new Error(`${name}: the stored architecture does not accept its input shape ${formatShape(header.inputShape)}: ${(e as Error).message}`);
  }
  return { model, inputShape: header.inputShape, classes: header.classes, meta: header.meta ?? {} };
}

/** Nesting of Sequential accepted: far beyond any real network, far below the call stack's limit. */
const MAX_DEPTH = 64;
/** Layers accepted in one file. */
const MAX_LAYERS = 10_000;
/**
 * Values per example any layer may produce (or gather, for a convolution's patches): 2²⁶, 256 MB of
 * float32, which is what checking the stored architecture on one zero input may allocate at most.
 * MNIST's largest activation in the bundled models is 30×24×24 = 17,280.
 */
const MAX_ACTIVATION = 2 ** 26;

function isDims(x: unknown, min: number): x is number[] {
  return Array.isArray(x) && x.every((d) => Number.isSafeInteger(d) && d >= min);
}

/**
 * Check the architecture against the file before building it: nesting depth and layer count, each
 * layer's sizes (positive integers), its parameters added up to the weights the file holds (so
 * building the model allocates no more than the file's size), and the size of every activation for
 * the declared input shape (so the check that runs it on one zero input stays bounded).
 */
export function checkArchitecture(header: Pick<ModelHeader, 'spec' | 'inputShape' | 'classes'>, weightCount: number, name: string): void {
  const input = header.inputShape;
  if (!isDims(input, 1) || input.length < 1 || input.length > 3 || input.reduce((n, d) => n * d, 1) > MAX_ACTIVATION) {
    throw new Error(`${name}: input shape ${JSON.stringify(input)} is not 1 to 3 positive integers of at most ${MAX_ACTIVATION} values in all (corrupted file)`);
  }
  // 0 classes: a regressor (a tabular MLPRegressor), which predicts numbers, not classes.
  if (!Number.isSafeInteger(header.classes) || header.classes < 0 || header.classes > MAX_ACTIVATION) {
    throw new Error(`${name}: classes is ${JSON.stringify(header.classes)}, expected a non-negative integer (corrupted file)`);
  }
  let shape: number[] | undefined = [...input]; // undefined once a layer's output shape is not known here
  let params = 0;
  let layers = 0;
  const bad = (what: string) => new Error(`${name}: ${what} (corrupted file)`);
  const walk = (spec: unknown, depth: number): void => {
    if (depth > MAX_DEPTH) throw bad(`layers nested more than ${MAX_DEPTH} deep`);
    if (++layers > MAX_LAYERS) throw bad(`more than ${MAX_LAYERS} layers`);
    const l = spec as Record<string, unknown>;
    if (!l || typeof l !== 'object' || typeof l.type !== 'string') throw bad(`layer ${JSON.stringify(spec)?.slice(0, 80)} has no type`);
    const int = (key: string, min: number, fallback?: number): number => {
      const v = l[key] ?? fallback;
      if (!Number.isSafeInteger(v) || (v as number) < min) throw bad(`${l.type}.${key} is ${JSON.stringify(l[key])}, expected an integer ≥ ${min}`);
      return v as number;
    };
    if (l.type === 'Sequential') {
      if (!Array.isArray(l.layers)) throw bad('Sequential without a layers array');
      for (const c of l.layers) walk(c, depth + 1);
      return;
    }
    if (l.type === 'Residual') {
      // y = body(x) + shortcut(x): both branches see the same input; the sum has the body's shape.
      if (!l.body || typeof l.body !== 'object') throw bad('Residual without a body');
      const input = shape;
      walk(l.body, depth + 1);
      const out = shape;
      shape = input;
      if (l.shortcut !== null && l.shortcut !== undefined) walk(l.shortcut, depth + 1);
      shape = out;
      return;
    }
    if (l.type === 'Linear') {
      const [inF, outF] = [int('inFeatures', 1), int('outFeatures', 1)];
      params += inF * outF + (l.bias !== false ? outF : 0);
      if (params > weightCount) throw bad(`the layers need more than the ${weightCount} weights the file holds`);
      if (shape) shape = [...shape.slice(0, -1), outF];
    } else if (l.type === 'Conv2d') {
      const [ic, oc, k] = [int('inChannels', 1), int('outChannels', 1), int('kernelSize', 1)];
      const [stride, pad] = [int('stride', 1, 1), int('padding', 0, 0)];
      params += oc * ic * k * k + (l.bias !== false ? oc : 0);
      if (params > weightCount) throw bad(`the layers need more than the ${weightCount} weights the file holds`);
      if (shape?.length === 3) {
        const [oh, ow] = [Math.floor((shape[1] + 2 * pad - k) / stride) + 1, Math.floor((shape[2] + 2 * pad - k) / stride) + 1];
        // The patches gathered for the matrix product: (IC·KH·KW) × (OH·OW) values.
        if (oh > 0 && ow > 0 && ic * k * k * oh * ow > MAX_ACTIVATION) throw bad(`Conv2d gathers ${ic * k * k * oh * ow} values per example, more than ${MAX_ACTIVATION}`);
        shape = oh > 0 && ow > 0 ? [oc, oh, ow] : undefined;
      } else {
        shape = undefined;
      }
    } else if (l.type === 'BatchNorm1d' || l.type === 'BatchNorm2d') {
      const c = int('numFeatures', 1);
      // weight and bias (if affine), running_mean, running_var and num_batches_tracked
      params += (l.affine !== false ? 2 * c : 0) + 2 * c + 1;
      if (params > weightCount) throw bad(`the layers need more than the ${weightCount} weights the file holds`);
    } else if (l.type === 'AdaptiveAvgPool2d') {
      if (shape?.length === 3) shape = [shape[0], 1, 1];
    } else if (l.type === 'Flatten') {
      if (shape) shape = [shape.reduce((n, d) => n * d, 1)];
    } // Pooling only shrinks, activations and dropout keep the shape: the bound below still holds.
    if (shape && shape.reduce((n, d) => n * d, 1) > MAX_ACTIVATION) throw bad(`${l.type} outputs ${shape.join('×')} values per example, more than ${MAX_ACTIVATION}`);
  };
  walk(header.spec, 0);
  if (params !== weightCount) throw bad(`the layers have ${params} parameters but the file holds ${weightCount} weights`);
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (the one zip and PNG use). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
