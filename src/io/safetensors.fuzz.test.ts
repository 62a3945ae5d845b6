// The safetensors reader fuzzed (see src/testing/fuzz.ts): truncated, bit-flipped, overwritten and
// random files, and headers that claim more than the file holds. Both the plain reader and the
// model import (the architecture in the metadata, checked against the weights) are fuzzed.
import fc from 'fast-check';
import { decodeSafetensors, encodeSafetensors, modelFromSafetensors, modelToSafetensors } from './safetensors.js';
import { cnn, mlp } from '../models/index.js';
import { Random } from '../tensor/random.js';
import { fuzzReader } from '../testing/fuzz.js';

const seeds = [
  modelToSafetensors(mlp({ hidden: [3], height: 4, width: 4, rng: new Random(1) }), [1, 4, 4], 10, { arch: 'mlp' }),
  modelToSafetensors(cnn({ kernels: 2, kernelSize: 3, hidden: 3, height: 6, width: 6, rng: new Random(1) }), [1, 6, 6], 10),
  encodeSafetensors([{ name: 'a', shape: [2, 1], data: new Float32Array([1, 2]) }, { name: 'b', shape: [0], data: new Float32Array(0) }], { format: 'pt' }),
];
/** Mutations favour the JSON header, the part that is parsed (the data is any float32). */
const headerBytes = Math.max(...seeds.map((s) => 8 + Number(new DataView(s.buffer).getBigUint64(0, true))));

/** Files whose header claims more than there is: a huge header length, or a tensor far bigger than the data. */
const oversized = fc.oneof(
  fc.tuple(fc.bigInt({ min: 9n, max: (1n << 64n) - 1n }), fc.uint8Array({ maxLength: 64 })).map(([n, tail]) => {
    const b = new Uint8Array(8 + tail.length);
    new DataView(b.buffer).setBigUint64(0, n + BigInt(tail.length), true);
    b.set(tail, 8);
    return b;
  }),
  fc.tuple(fc.array(fc.integer({ min: 1, max: 2 ** 31 }), { minLength: 1, maxLength: 4 }), fc.nat({ max: 2 ** 40 })).map(([shape, end]) => {
    const json = new TextEncoder().encode(JSON.stringify({ w: { dtype: 'F32', shape: [...shape, 1 << 20], data_offsets: [0, end] } }));
    const b = new Uint8Array(8 + json.length + 16);
    new DataView(b.buffer).setBigUint64(0, BigInt(json.length), true);
    b.set(json, 8);
    return b;
  }),
);

fuzzReader({ name: 'safetensors reader', seeds, read: (bytes, f) => decodeSafetensors(bytes, f), oversized, headerBytes });
fuzzReader({ name: 'safetensors model import', seeds: seeds.slice(0, 2), read: (bytes, f) => modelFromSafetensors(bytes, f), headerBytes });
