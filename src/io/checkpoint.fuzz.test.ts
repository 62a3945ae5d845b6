// The checkpoint reader fuzzed (see src/testing/fuzz.ts): truncated, bit-flipped and random files,
// resealed half the time so the checks behind the checksum are reached.
import { crc32, encodeModel } from './model-file.js';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint.js';
import { mlp } from '../models/index.js';
import { fuzzReader } from '../testing/fuzz.js';

const model = encodeModel(mlp({ hidden: [3], height: 4, width: 4 }), [1, 4, 4], 10);
const seeds = [
  encodeCheckpoint({ state: { epoch: 1, batch: 3, note: 'fuzz seed' }, model, tensors: { 'm.0': new Float32Array([1, 2, 3]), 'v.0': new Float32Array(4) } }),
  encodeCheckpoint({ state: {}, model, tensors: {} }),
];

function reseal(bytes: Uint8Array): Uint8Array {
  const b = bytes.slice();
  if (b.length >= 4) new DataView(b.buffer).setUint32(b.length - 4, crc32(b.subarray(0, b.length - 4)), true);
  return b;
}

fuzzReader({ name: 'checkpoint reader', seeds, read: (bytes, file) => decodeCheckpoint(bytes, file), reseal });
