// The zerograd model file: architecture and weights in one versioned, checksummed blob.
// Browser-safe (bytes in, bytes out); src/io/node.ts adds atomic file writes.
//
// Layout (little-endian):
//   "ZGRD"            4 bytes  magic: says this is a zerograd model
//   version           u32      FORMAT_VERSION
//   headerLength      u32      bytes of the JSON header
//   header            JSON     { spec, inputShape, classes, tensors: [{name, shape}], meta }
//   weights           f32[]    every tensor of the header, in order
//   crc32             u32      of all bytes before it
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
  const params = model.namedParameters();
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
  if (!header || typeof header.spec !== 'object' || !Array.isArray(header.tensors) || !Array.isArray(header.inputShape)) {
    throw new Error(`${name}: the header lacks spec, inputShape or tensors`);
  }
  const weightCount = header.tensors.reduce((n, t) => n + sizeOf(t.shape), 0);
  const expected = 12 + headerLength + 4 * weightCount + 4;
  if (bytes.length !== expected) {
    throw new Error(`${name}: ${bytes.length} bytes, expected ${expected} for the tensors the header lists (truncated or corrupted)`);
  }
  const state: Record<string, { shape: number[]; data: Float32Array }> = {};
  let o = 12 + headerLength;
  for (const t of header.tensors) {
    const data = new Float32Array(sizeOf(t.shape));
    for (let i = 0; i < data.length; i++, o += 4) data[i] = view.getFloat32(o, true);
    state[t.name] = { shape: t.shape, data };
  }
  // Build with a throwaway generator: the initial weights are overwritten, and the global one stays untouched.
  const model = moduleFromSpec(header.spec, new Random(0));
  model.loadStateDict(state);
  model.eval();
  // Check the architecture accepts its declared input shape, so a bad file fails here, not at first use.
  try {
    noGrad(() => model.forward(zeros([1, ...header.inputShape])));
  } catch (e) {
    throw new Error(`${name}: the stored architecture does not accept its input shape ${formatShape(header.inputShape)}: ${(e as Error).message}`);
  }
  return { model, inputShape: header.inputShape, classes: header.classes, meta: header.meta ?? {} };
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
