// The model file reader fuzzed (see src/testing/fuzz.ts). Mutated files are resealed (CRC fixed)
// half the time, and "oversized" files carry a valid checksum and a JSON header whose numbers claim
// far more than the file holds, so the checks behind the checksum are reached.
import fc from 'fast-check';
import { crc32, decodeModel, encodeModel } from './model-file.js';
import { cnn, mlp } from '../models/index.js';
import { fuzzReader } from '../testing/fuzz.js';

const seeds = [
  encodeModel(mlp({ hidden: [3], height: 4, width: 4 }), [1, 4, 4], 10),
  encodeModel(cnn({ kernels: 2, kernelSize: 3, hidden: 3, height: 6, width: 6 }), [1, 6, 6], 10),
];

/** The file with its trailing CRC-32 recomputed. */
function reseal(bytes: Uint8Array): Uint8Array {
  const b = bytes.slice();
  if (b.length >= 4) new DataView(b.buffer).setUint32(b.length - 4, crc32(b.subarray(0, b.length - 4)), true);
  return b;
}

/** A model file built around a given header object and weight bytes, with correct lengths and CRC. */
function withHeader(header: unknown, weights: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const b = new Uint8Array(12 + json.length + weights.length + 4);
  const v = new DataView(b.buffer);
  b.set([0x5a, 0x47, 0x52, 0x44]);
  v.setUint32(4, 1, true);
  v.setUint32(8, json.length, true);
  b.set(json, 12);
  b.set(weights, 12 + json.length);
  return reseal(b);
}

function headerOf(file: Uint8Array): { header: Record<string, unknown>; weights: Uint8Array } {
  const len = new DataView(file.buffer, file.byteOffset).getUint32(8, true);
  return { header: JSON.parse(new TextDecoder().decode(file.subarray(12, 12 + len))), weights: file.subarray(12 + len, file.length - 4) };
}

const HUGE = [2 ** 16, 2 ** 20, 2 ** 31, 2 ** 32 + 1, 2 ** 53, 1e308, -1, 0.5];

/** Replace the k-th number in a JSON value (depth-first) with `value`. */
function replaceNumber(x: unknown, k: { left: number }, value: number): unknown {
  if (typeof x === 'number') return k.left-- === 0 ? value : x;
  if (Array.isArray(x)) return x.map((e) => replaceNumber(e, k, value));
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([key, e]) => [key, replaceNumber(e, k, value)]));
  return x;
}

const oversized = fc.oneof(
  // One number of the header (a layer size, a tensor dimension, an input dimension) made huge or invalid.
  fc.tuple(fc.constantFrom(...seeds), fc.nat({ max: 60 }), fc.constantFrom(...HUGE)).map(([seed, k, value]) => {
    const { header, weights } = headerOf(seed);
    const parts = { spec: header.spec, tensors: header.tensors, inputShape: header.inputShape };
    const counter = { left: -1 };
    replaceNumber(parts, counter, 0); // counts down from -1: afterwards -1 − left numbers were seen
    const sizes = replaceNumber(parts, { left: k % (-1 - counter.left) }, value);
    return withHeader({ ...header, ...(sizes as object) }, weights);
  }),
  // Layers nested far deeper than any network: the reader must not recurse into a stack overflow.
  fc.integer({ min: 1000, max: 20000 }).map((depth) => {
    // Written as text: JSON.stringify itself would overflow the stack on it.
    const spec = '{"type":"Sequential","layers":['.repeat(depth) + '{"type":"Flatten"}' + ']}'.repeat(depth);
    return withHeader(`{"spec":${spec},"inputShape":[1,4,4],"classes":10,"tensors":[],"meta":{}}`, new Uint8Array(0));
  }),
  // A huge layer that lists no tensors, so the weight count checks out at zero.
  fc.constantFrom(...HUGE.slice(0, 5)).map((n) => withHeader({
    spec: { type: 'Sequential', layers: [{ type: 'Flatten' }, { type: 'Linear', inFeatures: 16, outFeatures: n }] },
    inputShape: [1, 4, 4], classes: 10, tensors: [], meta: {},
  }, new Uint8Array(0))),
);

fuzzReader({
  name: 'model file reader',
  seeds,
  read: (bytes, file) => decodeModel(bytes, file),
  reseal,
  oversized,
  headerBytes: 400,
});
