// The PNG/JPEG path fuzzed (see src/testing/fuzz.ts): mutated PNGs get their chunk CRCs fixed half
// the time so the mutations reach pngjs's decoder; "oversized" images declare up to 4096×4096
// pixels (within MAX_PIXELS) in a file of a few hundred bytes, which must be refused before the
// decoder allocates for them.
import fc from 'fast-check';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { decodeImage } from '../data/image-file.js';
import { crc32 } from '../io/model-file.js';
import { fuzzReader } from '../testing/fuzz.js';

function rgba(width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37) & 0xff;
  return data;
}

function png(width: number, height: number, colorType: 0 | 2 | 6): Uint8Array {
  const p = new PNG({ width, height, colorType, inputColorType: 6 });
  rgba(width, height).copy(p.data);
  return new Uint8Array(PNG.sync.write(p, { colorType }));
}

const jpg = (width: number, height: number) => new Uint8Array(jpeg.encode({ width, height, data: rgba(width, height) }, 80).data);

/** Every chunk's CRC recomputed (PNG: length, type, data, CRC of type+data), as far as the chunks can be walked. */
function resealPng(bytes: Uint8Array): Uint8Array {
  const b = bytes.slice();
  const v = new DataView(b.buffer);
  for (let i = 8; i + 12 <= b.length;) {
    const len = v.getUint32(i);
    if (i + 12 + len > b.length) break;
    v.setUint32(i + 8 + len, crc32(b.subarray(i + 4, i + 8 + len)));
    i += 12 + len;
  }
  return b;
}

const isPng = (b: Uint8Array) => b[0] === 0x89 && b[1] === 0x50;
const big = fc.integer({ min: 256, max: 4096 });

/** A PNG whose IHDR (bytes 16–23) declares width × height. */
const bigPng = fc.tuple(fc.constantFrom(png(4, 3, 0), png(5, 4, 6)), big, big).map(([seed, w, h]) => {
  const b = seed.slice();
  new DataView(b.buffer).setUint32(16, w);
  new DataView(b.buffer).setUint32(20, h);
  return resealPng(b);
});

/** A JPEG whose start-of-frame segment declares width × height. */
const bigJpeg = fc.tuple(big, big).map(([w, h]) => {
  const b = jpg(8, 8);
  for (let i = 2; i + 9 < b.length; i += 2 + ((b[i + 2] << 8) | b[i + 3])) {
    if (b[i + 1] === 0xc0) {
      new DataView(b.buffer).setUint16(i + 5, h);
      new DataView(b.buffer).setUint16(i + 7, w);
      break;
    }
  }
  return b;
});

fuzzReader({
  name: 'PNG/JPEG reader',
  seeds: [png(4, 3, 0), png(5, 4, 2), png(6, 5, 6), jpg(8, 8), jpg(17, 9)],
  read: (bytes, file) => decodeImage(bytes, file),
  reseal: (b) => (isPng(b) ? resealPng(b) : b),
  oversized: fc.oneof(bigPng, bigJpeg),
  headerBytes: 200,
});
