// Drawing detections onto a picture: a box per detection and its label and score above it, in
// an RGBA buffer (browser-safe; `zerograd detect --out` writes it as a PNG).

import type { Box } from './boxes.js';

/** 3×5 bitmap digits and '.', one string of 15 bits per glyph, row by row. */
const GLYPHS: Record<string, string> = {
  '0': '111101101101111', '1': '010110010010111', '2': '111001111100111', '3': '111001111001111',
  '4': '101101111001001', '5': '111100111001111', '6': '111100111101111', '7': '111001010010010',
  '8': '111101111101111', '9': '111101111001111', '.': '000000000000010', '-': '000000111000000',
  ' ': '000000000000000',
};

/** One colour per digit, easy to tell apart (Okabe–Ito palette and friends). */
export const LABEL_COLOURS: ReadonlyArray<[number, number, number]> = [
  [230, 159, 0], [86, 180, 233], [0, 158, 115], [240, 228, 66], [0, 114, 178],
  [213, 94, 0], [204, 121, 167], [220, 30, 30], [120, 60, 200], [40, 160, 40],
];

function setPixel(rgba: Uint8Array, width: number, height: number, x: number, y: number, c: readonly number[]): void {
  if (x < 0 || y < 0 || x >= width || y >= height) return;
  const i = 4 * (y * width + x);
  rgba[i] = c[0]; rgba[i + 1] = c[1]; rgba[i + 2] = c[2]; rgba[i + 3] = 255;
}

/** Text at (x, y) (top left), each glyph pixel a `size`×`size` square, on a filled background. */
export function drawText(rgba: Uint8Array, width: number, height: number, text: string, x: number, y: number, size: number, fg: readonly number[], bg: readonly number[]): void {
  const gw = 4 * size; // 3 columns and a space
  for (let yy = -1; yy < 5 * size + 1; yy++) for (let xx = -1; xx < text.length * gw; xx++) setPixel(rgba, width, height, x + xx, y + yy, bg);
  [...text].forEach((ch, k) => {
    const g = GLYPHS[ch] ?? GLYPHS[' '];
    for (let r = 0; r < 5; r++) for (let c = 0; c < 3; c++) {
      if (g[r * 3 + c] !== '1') continue;
      for (let dy = 0; dy < size; dy++) for (let dx = 0; dx < size; dx++) setPixel(rgba, width, height, x + k * gw + c * size + dx, y + r * size + dy, fg);
    }
  });
}

/** A rectangle outline `thickness` pixels wide just inside the half-open box. */
export function drawBox(rgba: Uint8Array, width: number, height: number, b: Readonly<Box>, colour: readonly number[], thickness: number): void {
  for (let t = 0; t < thickness; t++) {
    for (let x = b[0]; x < b[2]; x++) { setPixel(rgba, width, height, x, b[1] + t, colour); setPixel(rgba, width, height, x, b[3] - 1 - t, colour); }
    for (let y = b[1]; y < b[3]; y++) { setPixel(rgba, width, height, b[0] + t, y, colour); setPixel(rgba, width, height, b[2] - 1 - t, y, colour); }
  }
}

/** A grayscale picture as RGBA with every detection drawn: "label score" above its box. */
export function annotate(gray: ArrayLike<number>, width: number, height: number, detections: ReadonlyArray<{ label: number; score: number; box: Box }>): Uint8Array {
  const rgba = new Uint8Array(4 * width * height);
  for (let i = 0; i < width * height; i++) { rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = gray[i]; rgba[4 * i + 3] = 255; }
  const size = Math.max(1, Math.round(Math.min(width, height) / 200));
  for (const d of detections) {
    const colour = LABEL_COLOURS[d.label % LABEL_COLOURS.length];
    drawBox(rgba, width, height, d.box, colour, size);
    const text = `${d.label} ${d.score.toFixed(2)}`;
    const ty = d.box[1] - 5 * size - 3 >= 0 ? d.box[1] - 5 * size - 2 : d.box[3] + 2;
    drawText(rgba, width, height, text, d.box[0], ty, size, [0, 0, 0], colour);
  }
  return rgba;
}
