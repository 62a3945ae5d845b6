// Pictures of any size as network inputs (browser-safe): an RGBA image → C×S×S bytes. Training on
// an image folder and `predict` on a model trained from one both go through pictureToInput, so a
// photo is prepared for the network exactly as its training pictures were.
import { resample } from './image-ops.js';

/**
 * How far apart R, G and B may be in a pixel that still counts as gray. JPEG stores colour as
 * luma plus subsampled chroma, and rounding can leave a gray pixel a level or two off in one
 * channel; a colour picture differs by far more somewhere.
 */
const GRAY_TOLERANCE = 4;

/** Whether an RGBA image has colour: some pixel whose R, G, B differ by more than GRAY_TOLERANCE. */
export function isColour(rgba: Uint8Array): boolean {
  for (let i = 0; i < rgba.length; i += 4) {
    const r = rgba[i], g = rgba[i + 1], b = rgba[i + 2];
    if (Math.abs(r - g) > GRAY_TOLERANCE || Math.abs(g - b) > GRAY_TOLERANCE || Math.abs(r - b) > GRAY_TOLERANCE) return true;
  }
  return false;
}

/**
 * Resize one float plane (w×h) to size×size, one axis at a time: each pass then only shrinks or
 * only grows, so a shrinking axis averages the source area under each target pixel (no aliasing)
 * and a growing axis interpolates bilinearly, even when the picture is wide and short.
 * NOTE: the aspect ratio is not kept (PyTorch's Resize((S, S))): every pixel of the picture stays
 * in view, where resizing the short side and cropping the centre could cut the object off.
 */
function resizePlane(plane: Float32Array, w: number, h: number, size: number): Float32Array {
  const rows = resample(plane, w, h, 0, 0, w, h, size, h); // (h, size)
  return resample(rows, size, h, 0, 0, size, h, size, size); // (size, size)
}

/**
 * An RGBA picture resized to RGB planes (3, size, size) of bytes. Transparent pixels are
 * composited over white, as rgbaToGray does for digits.
 */
export function resizeToRgb(rgba: Uint8Array, width: number, height: number, size: number): Uint8Array {
  if (rgba.length !== 4 * width * height) {
    throw new Error(`resizeToRgb: rgba has ${rgba.length} bytes, expected 4·${width}·${height} = ${4 * width * height}`);
  }
  if (!Number.isInteger(size) || size < 1) throw new Error(`resizeToRgb: size must be a positive integer, got ${size}`);
  const px = width * height;
  const out = new Uint8Array(3 * size * size);
  const plane = new Float32Array(px);
  for (let c = 0; c < 3; c++) {
    // v' = a·v + (1 − a)·255: the pixel over white paper.
    for (let i = 0; i < px; i++) {
      const a = rgba[4 * i + 3] / 255;
      plane[i] = a * rgba[4 * i + c] + (1 - a) * 255;
    }
    const resized = resizePlane(plane, width, height, size);
    for (let i = 0; i < resized.length; i++) out[c * size * size + i] = Math.min(255, Math.max(0, Math.round(resized[i])));
  }
  return out;
}

/**
 * RGB planes (3, S, S) as `channels` planes: themselves for 3, or their luminance for 1
 * (ITU-R BT.601 weights, as rgbaToGray: Y = 0.299 R + 0.587 G + 0.114 B).
 */
export function rgbToChannels(rgb: Uint8Array, channels: number): Uint8Array {
  if (channels === 3) return rgb;
  if (channels !== 1) throw new Error(`rgbToChannels: channels must be 1 (grayscale) or 3 (colour), got ${channels}`);
  const n = rgb.length / 3;
  const gray = new Uint8Array(n);
  for (let i = 0; i < n; i++) gray[i] = Math.round(0.299 * rgb[i] + 0.587 * rgb[n + i] + 0.114 * rgb[2 * n + i]);
  return gray;
}

/**
 * A picture as a network input of shape (channels, size, size), in bytes 0–255 (a dataset's batch
 * scales them to [0,1]): composited over white, resized (area averaging when shrinking, bilinear
 * when growing), then kept in colour or turned to luminance.
 * @example const x = pictureToInput(img.rgba, img.width, img.height, 3, 28);  // 3·28·28 bytes
 */
export function pictureToInput(rgba: Uint8Array, width: number, height: number, channels: number, size: number): Uint8Array {
  return rgbToChannels(resizeToRgb(rgba, width, height, size), channels);
}

/**
 * Compare names as Python's sorted() does, by Unicode code point, which is how PyTorch's
 * ImageFolder numbers its classes. JavaScript's `<` compares UTF-16 code units, which differ
 * from code points for characters beyond U+FFFF (an emoji sorts before U+E000–U+FFFF in UTF-16).
 */
export function compareCodePoints(a: string, b: string): number {
  const x = Array.from(a, (ch) => ch.codePointAt(0)!);
  const y = Array.from(b, (ch) => ch.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}
