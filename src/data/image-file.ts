// Node-only: read a PNG or JPEG file, as grayscale (digits) and as RGBA (colour pictures).
import { readFileSync, existsSync, statSync } from 'node:fs';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { rgbaToGray } from './preprocess.js';

export interface GrayImage {
  width: number;
  height: number;
  /** Luminance 0–255, row-major; transparent pixels count as white paper. */
  gray: Uint8Array;
}

/** A decoded image: its grayscale view and the RGBA pixels it came from (4 bytes a pixel, row-major). */
export interface DecodedImage extends GrayImage {
  rgba: Uint8Array;
}

/**
 * The largest image decoded: 4096×4096 pixels (16.8 megapixels; a 12-megapixel phone photo fits).
 * Decoding holds the whole image several times over (pngjs: the inflated rows, the unfiltered rows
 * and the RGBA result, about 20 bytes a pixel; jpeg-js: the coefficient blocks and the RGBA result),
 * so the size is read from the header first and a larger image is refused before any of that is
 * allocated. At the limit the process peaked at 350 MB for a PNG and 630 MB for a JPEG (measured
 * 2026-11-28, Node 20); a 10000×10000 PNG took 2 GB.
 */
export const MAX_PIXELS = 4096 * 4096;

/**
 * Width and height from the header: PNG's IHDR chunk (always first, at byte 16), or a JPEG's
 * start-of-frame segment, found by walking the segments before it. Undefined when the header is
 * cut short; the decoder then says the file is truncated.
 */
export function imageSize(bytes: Uint8Array, isPng: boolean): { width: number; height: number } | undefined {
  const u16 = (i: number) => (bytes[i] << 8) | bytes[i + 1];
  if (isPng) {
    if (bytes.length < 24) return undefined;
    const u32 = (i: number) => u16(i) * 65536 + u16(i + 2);
    return { width: u32(16), height: u32(20) };
  }
  let i = 2;
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) return undefined;
    const marker = bytes[i + 1];
    if (marker === 0xff) { i++; continue; } // fill byte
    // SOF0–SOF15 hold the frame size; C4 (Huffman tables), C8 and CC (arithmetic coding) do not.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { width: u16(i + 7), height: u16(i + 5) };
    }
    if (marker === 0xda) return undefined; // scan data before any frame header
    i += 2 + u16(i + 2);
  }
  return undefined;
}

/**
 * The least a file of this many pixels can hold, so that a header claiming a large image in a tiny
 * file is refused before the decoder allocates for the claim (a 300-byte PNG declaring 4000×4000
 * made pngjs allocate and zero-fill 64 MB). PNG: deflate compresses at most 1032:1, and the
 * filtered rows hold at least height × ⌈width × bits per pixel / 8⌉ bytes. JPEG: every 8×8 block
 * of the first component carries at least one bit (its DC difference), so at most 512 pixels per
 * byte; 1024 leaves a factor of 2 to spare.
 */
function leastBytes(bytes: Uint8Array, isPng: boolean, width: number, height: number): number {
  if (!isPng) return Math.ceil((width * height) / 1024);
  const channels = [1, 0, 3, 1, 2, 0, 4][bytes[25]] || 1;
  return Math.ceil((height * Math.ceil((width * channels * (bytes[24] || 1)) / 8)) / 1032);
}

/** Decode PNG or JPEG bytes (recognized by their signature), refusing images above MAX_PIXELS. */
export function decodeImage(bytes: Uint8Array, name = 'image'): DecodedImage {
  const isPng = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
  if (!isPng && !isJpeg) throw new Error(`${name}: not a PNG or JPEG image (unrecognized file signature)`);
  const size = imageSize(bytes, isPng);
  if (size && size.width * size.height > MAX_PIXELS) {
    throw new Error(`${name}: ${size.width}×${size.height} pixels is too large; expected at most ${(MAX_PIXELS / 1e6).toFixed(1)} megapixels (e.g. 4096×4096): scale it down first`);
  }
  if (size && bytes.length < leastBytes(bytes, isPng, size.width, size.height)) {
    throw new Error(`${name}: truncated or corrupt ${isPng ? 'PNG' : 'JPEG'} (the header declares ${size.width}×${size.height} pixels, ` +
      `but ${bytes.length} bytes cannot hold that many; expected at least ${leastBytes(bytes, isPng, size.width, size.height)})`);
  }
  let rgba: Uint8Array;
  let width: number;
  let height: number;
  try {
    if (isPng) {
      const png = PNG.sync.read(Buffer.from(bytes));
      ({ width, height } = png);
      rgba = png.data;
    } else {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 512, maxResolutionInMP: Math.ceil(MAX_PIXELS / 1e6) });
      ({ width, height } = img);
      rgba = img.data;
    }
  } catch (e) {
    // pngjs reports a file cut short as "There are some read requests waitng on finished stream".
    const msg = (e as Error).message;
    const detail = /read requests|finished stream|end of/i.test(msg) ? '' : ` (${msg})`;
    throw new Error(`${name}: truncated or corrupt ${isPng ? 'PNG' : 'JPEG'}${detail}`);
  }
  return { width, height, gray: rgbaToGray(rgba, width, height), rgba };
}

export function readImage(path: string): DecodedImage {
  if (!existsSync(path)) throw new Error(`${path}: file not found, expected a PNG or JPEG file`);
  if (statSync(path).isDirectory()) throw new Error(`${path}: is a directory, expected a PNG or JPEG file`);
  return decodeImage(readFileSync(path), path);
}
