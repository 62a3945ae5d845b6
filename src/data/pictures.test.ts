// Pictures as inputs: the resize (area averaging down, bilinear up, one axis at a time), colour
// detection, luminance, and class names in Python's order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareCodePoints, isColour, pictureToInput, resizeToRgb, rgbToChannels } from './pictures.js';

/** RGBA of a gray image given row-major gray values, opaque. */
function grayRgba(values: number[]): Uint8Array {
  return Uint8Array.from(values.flatMap((v) => [v, v, v, 255]));
}

test('shrinking averages the area under each pixel: a 4×4 picture to 2×2 is the mean of each 2×2 block', () => {
  const v = [0, 40, 100, 100, 80, 120, 100, 100, 200, 200, 10, 30, 200, 200, 50, 70];
  const out = resizeToRgb(grayRgba(v), 4, 4, 2);
  // Blocks: (0,40,80,120)→60, (100,100,100,100)→100, (200,200,200,200)→200, (10,30,50,70)→40.
  for (let c = 0; c < 3; c++) assert.deepEqual([...out.subarray(4 * c, 4 * c + 4)], [60, 100, 200, 40], `channel ${c}`);
  // A 3×3 to 2×2 shrink covers each source pixel partly: the top-left target pixel covers
  // 1.5×1.5 source pixels with weights 1, 0.5, 0.5, 0.25 (over 2.25).
  const w = resizeToRgb(grayRgba([90, 0, 0, 0, 0, 0, 0, 0, 0]), 3, 3, 2);
  assert.equal(w[0], Math.round(90 / 2.25));
  assert.equal(w[3], 0);
});

test('growing interpolates bilinearly between pixel centres, edges held', () => {
  // A 2×2 picture to 4×4: along each axis the centres sit at 0.25, 0.75 of a source pixel past
  // the edge pixel, so a row 0 → 200 becomes 0, 50, 150, 200.
  const out = resizeToRgb(grayRgba([0, 200, 0, 200]), 2, 2, 4);
  assert.deepEqual([...out.subarray(0, 4)], [0, 50, 150, 200]);
  assert.deepEqual([...out.subarray(12, 16)], [0, 50, 150, 200]);
});

test('a wide, short picture shrinks one axis by area and grows the other bilinearly', () => {
  // 8×1 to 2×2: each target column averages 4 source pixels; both rows are the one source row.
  const out = resizeToRgb(grayRgba([0, 0, 0, 40, 200, 200, 200, 200]), 8, 1, 2);
  assert.deepEqual([...out.subarray(0, 4)], [10, 200, 10, 200]);
});

test('transparent pixels count as white; colour channels are kept apart', () => {
  const rgba = Uint8Array.from([255, 0, 0, 255, 0, 0, 255, 0]); // an opaque red pixel, a fully transparent blue one
  const out = resizeToRgb(rgba, 2, 1, 2);
  // Planes R, G, B of 2×2: left column red (255,0,0), right column white (255,255,255).
  assert.deepEqual([...out], [255, 255, 255, 255, 0, 255, 0, 255, 0, 255, 0, 255]);
});

test('isColour: gray pictures (JPEG rounding included) are not colour, one coloured pixel is', () => {
  assert.equal(isColour(grayRgba([0, 128, 255])), false);
  assert.equal(isColour(Uint8Array.from([100, 102, 99, 255])), false, 'a JPEG-rounded gray pixel');
  assert.equal(isColour(Uint8Array.from([0, 0, 0, 255, 200, 30, 30, 255])), true);
});

test('rgbToChannels: 3 keeps the planes, 1 takes the BT.601 luminance, others are refused', () => {
  const rgb = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255]); // planes R, G, B of 3 pixels: red, green, blue
  assert.equal(rgbToChannels(rgb, 3), rgb);
  assert.deepEqual([...rgbToChannels(rgb, 1)], [Math.round(0.299 * 255), Math.round(0.587 * 255), Math.round(0.114 * 255)]);
  assert.throws(() => rgbToChannels(rgb, 2), /channels must be 1 \(grayscale\) or 3 \(colour\), got 2/);
  assert.throws(() => pictureToInput(new Uint8Array(7), 2, 1, 1, 4), /rgba has 7 bytes, expected 4·2·1 = 8/);
  assert.throws(() => pictureToInput(new Uint8Array(8), 2, 1, 1, 0), /size must be a positive integer, got 0/);
});

test('class names sort as Python sorts them (by code point), as PyTorch\'s ImageFolder numbers classes', () => {
  // Python: sorted(['b', 'B', 'a', '\uffff', '😀', 'ä', 'a1', '10', '9']) — uppercase before
  // lowercase, '10' before '9', and U+FFFF before the emoji U+1F600 (UTF-16 order has them reversed).
  const names = ['b', 'B', 'a', '\uffff', '😀', 'ä', 'a1', '10', '9'];
  assert.deepEqual([...names].sort(compareCodePoints), ['10', '9', 'B', 'a', 'a1', 'b', 'ä', '\uffff', '😀']);
});
