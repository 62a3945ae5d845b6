// The zerograd training checkpoint: a model file plus the state that training carries from one step
// to the next, in one versioned, checksummed blob. Browser-safe (bytes in, bytes out); what the
// state holds is src/train/checkpoint.ts's business, writing it atomically src/io/node.ts's.
//
// Layout (little-endian), the model file's own layout with the model file inside it:
//   "ZGCK"            4 bytes  magic: a checkpoint, never mistaken for a model file ("ZGRD")
//   version           u32      CHECKPOINT_VERSION
//   headerLength      u32      bytes of the JSON header
//   header            JSON     { state, modelBytes, tensors: [{name, length}] }
//   model             bytes    a whole model file (encodeModel: "ZGRD", its version, its checksum)
//   tensors           f32[]    every tensor of the header, in order (optimizer buffers)
//   crc32             u32      of all bytes before it
// The embedded model file is byte for byte what saveModel writes, so the weights go through the
// model file's reader and its checks, and a model file's version stays the model file's.
import { crc32, decodeModel, type SavedModel } from './model-file.js';

export const CHECKPOINT_VERSION = 1;
const MAGIC = [0x5a, 0x47, 0x43, 0x4b]; // "ZGCK"
/** magic + version + headerLength before the header; the checksum after everything. */
const HEAD = 12;
const TAIL = 4;

/** What a checkpoint holds, in the form the byte format knows: JSON, a model file and named float32 arrays. */
export interface CheckpointParts {
  /** JSON-safe state: loop position, generators, the run's configuration… */
  state: Record<string, unknown>;
  /** A model file's bytes (encodeModel). */
  model: Uint8Array;
  /** Named float32 arrays (optimizer buffers), in the order they are written. */
  tensors: Record<string, Float32Array | Float64Array>;
}

export interface DecodedCheckpoint {
  state: Record<string, unknown>;
  /** The embedded model file, decoded and checked. */
  saved: SavedModel;
  tensors: Record<string, Float32Array>;
}

/** Serialize a checkpoint. Tensors must be float32: the bits saved are the bits trained with. */
export function encodeCheckpoint(parts: CheckpointParts): Uint8Array {
  const entries = Object.entries(parts.tensors);
  for (const [name, t] of entries) {
    if (!(t instanceof Float32Array)) throw new Error(`checkpoint tensor '${name}': expected float32 data, got ${t?.constructor?.name}`);
  }
  const json = new TextEncoder().encode(JSON.stringify({
    state: parts.state, modelBytes: parts.model.length, tensors: entries.map(([name, t]) => ({ name, length: t.length })),
  }));
  const values = entries.reduce((n, [, t]) => n + t.length, 0);
  const out = new Uint8Array(HEAD + json.length + parts.model.length + 4 * values + TAIL);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(4, CHECKPOINT_VERSION, true);
  view.setUint32(8, json.length, true);
  out.set(json, HEAD);
  let o = HEAD + json.length;
  out.set(parts.model, o);
  o += parts.model.length;
  for (const [, t] of entries) {
    for (let i = 0; i < t.length; i++, o += 4) view.setFloat32(o, t[i], true);
  }
  view.setUint32(o, crc32(out.subarray(0, o)), true);
  return out;
}

/**
 * Parse a checkpoint. Checks magic, version, checksum and every length against the file's size
 * before allocating anything, then the embedded model file with the model file's own reader; any
 * problem throws, and nothing half-read is returned.
 */
export function decodeCheckpoint(bytes: Uint8Array, name = 'checkpoint'): DecodedCheckpoint {
  if (bytes.length < HEAD + TAIL || !MAGIC.every((b, i) => bytes[i] === b)) {
    const model = bytes.length >= 4 && bytes[0] === 0x5a && bytes[1] === 0x47 && bytes[2] === 0x52 && bytes[3] === 0x44;
    throw new Error(`${name}: not a zerograd checkpoint (expected it to start with "ZGCK"${model ? '; this is a model file, which holds no training state' : ''})`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== CHECKPOINT_VERSION) {
    throw new Error(`${name}: checkpoint format version ${version} is not supported; this zerograd reads version ${CHECKPOINT_VERSION}`);
  }
  if (crc32(bytes.subarray(0, bytes.length - TAIL)) !== view.getUint32(bytes.length - TAIL, true)) {
    throw new Error(`${name}: checksum mismatch: the checkpoint is truncated or corrupted`);
  }
  const headerLength = view.getUint32(8, true);
  if (HEAD + headerLength > bytes.length - TAIL) throw new Error(`${name}: header length ${headerLength} runs past the end of the file (truncated or corrupted)`);
  let header: { state?: unknown; modelBytes?: unknown; tensors?: unknown };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(HEAD, HEAD + headerLength)));
  } catch {
    throw new Error(`${name}: the header is not valid JSON (corrupted checkpoint)`);
  }
  const { state, modelBytes, tensors } = header ?? {};
  if (typeof state !== 'object' || state === null || !Number.isSafeInteger(modelBytes) || (modelBytes as number) < 0 || !Array.isArray(tensors)) {
    throw new Error(`${name}: the header lacks state, modelBytes or tensors`);
  }
  let values = 0;
  for (const t of tensors as unknown[]) {
    const { name: n, length } = (t ?? {}) as { name?: unknown; length?: unknown };
    if (typeof n !== 'string' || !Number.isSafeInteger(length) || (length as number) < 0) {
      throw new Error(`${name}: tensor entry ${JSON.stringify(t)} is not {name, length}`);
    }
    values += length as number;
  }
  const expected = HEAD + headerLength + (modelBytes as number) + 4 * values + TAIL;
  if (bytes.length !== expected) {
    throw new Error(`${name}: ${bytes.length} bytes, expected ${expected} for the model and tensors the header lists (truncated or corrupted)`);
  }
  let o = HEAD + headerLength;
  const saved = decodeModel(bytes.subarray(o, o + (modelBytes as number)), `${name} (its model)`);
  o += modelBytes as number;
  const out: Record<string, Float32Array> = {};
  for (const t of tensors as Array<{ name: string; length: number }>) {
    const data = new Float32Array(t.length);
    for (let i = 0; i < data.length; i++, o += 4) data[i] = view.getFloat32(o, true);
    out[t.name] = data;
  }
  return { state: state as Record<string, unknown>, saved, tensors: out };
}
