// Node-only: read a PNG or JPEG file as grayscale.
import { readFileSync, existsSync } from 'node:fs';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { rgbaToGray } from '../data/preprocess.js';

export interface GrayImage {
  width: number;
  height: number;
  /** Luminance 0–255, row-major; transparent pixels count as white paper. */
  gray: Uint8Array;
}

/** Decode PNG or JPEG bytes (recognized by their signature). */
export function decodeImage(bytes: Uint8Array, name = 'image'): GrayImage {
  const isPng = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
  if (!isPng && !isJpeg) throw new Error(`${name}: not a PNG or JPEG image (unrecognized file signature)`);
  let rgba: Uint8Array;
  let width: number;
  let height: number;
  try {
    if (isPng) {
      const png = PNG.sync.read(Buffer.from(bytes));
      ({ width, height } = png);
      rgba = png.data;
    } else {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 256 });
      ({ width, height } = img);
      rgba = img.data;
    }
  } catch (e) {
    throw new Error(`${name}: cannot decode ${isPng ? 'PNG' : 'JPEG'} image (${(e as Error).message})`);
  }
  return { width, height, gray: rgbaToGray(rgba, width, height) };
}

export function readImage(path: string): GrayImage {
  if (!existsSync(path)) throw new Error(`image file not found: ${path}`);
  return decodeImage(readFileSync(path), path);
}
