import { test } from 'node:test';
import assert from 'node:assert/strict';
import { warpRegion, WARP_SIZE } from './warp.js';
import type { Box } from './boxes.js';

/** The warp's definition, pixel by pixel: n×n bilinear samples averaged, 0 outside the image. */
function warpByDefinition(image: Float32Array, width: number, height: number, box: Box, size: number, context: number): Uint8Array {
  const out = new Uint8Array(size * size);
  const inner = size - 2 * context;
  const sx = Math.max(box[2] - box[0], 1) / inner, sy = Math.max(box[3] - box[1], 1) / inner;
  const nx = Math.max(1, Math.ceil(sx)), ny = Math.max(1, Math.ceil(sy));
  const at = (x: number, y: number): number => (x >= 0 && y >= 0 && x < width && y < height ? image[y * width + x] : 0);
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      let sum = 0;
      for (let j = 0; j < ny; j++) {
        const fy = box[1] + (v - context + (j + 0.5) / ny) * sy - 0.5;
        const iy = Math.floor(fy), ay = fy - iy;
        for (let i = 0; i < nx; i++) {
          const fx = box[0] + (u - context + (i + 0.5) / nx) * sx - 0.5;
          const ix = Math.floor(fx), ax = fx - ix;
          sum += (1 - ay) * ((1 - ax) * at(ix, iy) + ax * at(ix + 1, iy)) + ay * ((1 - ax) * at(ix, iy + 1) + ax * at(ix + 1, iy + 1));
        }
      }
      out[v * size + u] = Math.round(255 * Math.min(1, Math.max(0, sum / (nx * ny))));
    }
  }
  return out;
}

test('warp matches its definition: small, large, thin and off-canvas boxes', () => {
  const W = 37, H = 29;
  const image = Float32Array.from({ length: W * H }, (_, i) => ((i * 7919) % 101) / 100);
  const boxes: Box[] = [[3, 4, 13, 9], [0, 0, 37, 29], [10, 2, 12, 27], [-5, 20, 8, 40], [30, 1, 36, 28]];
  for (const box of boxes) {
    const out = new Uint8Array(WARP_SIZE * WARP_SIZE);
    warpRegion(image, W, H, box, out);
    const ref = warpByDefinition(image, W, H, box, WARP_SIZE, 4);
    let worst = 0;
    for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i] - ref[i]));
    assert.ok(worst <= 1, `box [${box}]: differs from the definition by ${worst} grey levels`);
  }
});

test('warp puts the region in the central 20×20 and context around it', () => {
  // A 10×10 white square at (5,5) in a 20×20 image; warping exactly its box fills the centre.
  const image = new Float32Array(400);
  for (let y = 5; y < 15; y++) for (let x = 5; x < 15; x++) image[y * 20 + x] = 1;
  const out = new Uint8Array(28 * 28);
  warpRegion(image, 20, 20, [5, 5, 15, 15], out);
  assert.equal(out[14 * 28 + 14], 255, 'centre is the square');
  assert.equal(out[5 * 28 + 5], 255, 'inner corner (5,5) is inside');
  assert.equal(out[1 * 28 + 1], 0, 'the margin shows the context: black around the square');
});
