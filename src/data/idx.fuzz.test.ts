// The IDX reader fuzzed (see src/testing/fuzz.ts): no input crashes it or makes it allocate.
import fc from 'fast-check';
import { encodeIdx, parseIdx } from './idx.js';
import { fuzzReader } from '../testing/fuzz.js';

const ramp = (n: number) => Uint8Array.from({ length: n }, (_, i) => i & 0xff);

fuzzReader({
  name: 'IDX reader',
  seeds: [encodeIdx([20], ramp(20)), encodeIdx([3, 5, 4], ramp(60)), encodeIdx([2, 2, 2, 2], ramp(16))],
  read: (bytes, file) => parseIdx(bytes, file),
  // A header promising up to 4 dimensions of up to 2³²−1 each, over a few bytes of data.
  oversized: fc.tuple(fc.array(fc.integer({ min: 1 << 16, max: 0xffffffff }), { minLength: 1, maxLength: 4 }), fc.uint8Array({ maxLength: 64 }))
    .map(([shape, data]) => {
      const header = encodeIdx(shape, new Uint8Array(0));
      const b = new Uint8Array(header.length + data.length);
      b.set(header);
      b.set(data, header.length);
      return b;
    }),
});
