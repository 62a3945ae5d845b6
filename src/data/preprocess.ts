// Turning an arbitrary grayscale picture of a digit into an MNIST-style input (browser-safe).
//
// MNIST digits are white on black, scaled so the digit fits a 20×20 box (keeping its aspect
// ratio), then placed in a 28×28 frame with the center of mass at the center. A network
// trained on MNIST expects exactly this framing, so photos and drawings get it too.

/**
 * gray: width·height luminance values 0–255 (row-major). Returns 28·28 values in [0,1],
 * white digit on black. A light background (as on paper) is detected and inverted.
 */
export function frameDigit(gray: ArrayLike<number>, width: number, height: number, size = 28, box = 20): Float32Array {
  if (gray.length !== width * height || width < 1 || height < 1) {
    throw new Error(`frameDigit: ${gray.length} pixels do not make a ${width}×${height} image`);
  }
  // 1. Ink in [0,1]: invert if the border (the background) is light.
  let border = 0;
  let borderCount = 0;
  for (let x = 0; x < width; x++) { border += gray[x] + gray[(height - 1) * width + x]; borderCount += 2; }
  for (let y = 0; y < height; y++) { border += gray[y * width] + gray[y * width + width - 1]; borderCount += 2; }
  const invert = border / borderCount > 127;
  const ink = new Float32Array(width * height);
  let maxInk = 0;
  for (let i = 0; i < ink.length; i++) {
    ink[i] = (invert ? 255 - gray[i] : gray[i]) / 255;
    if (ink[i] > maxInk) maxInk = ink[i];
  }
  const out = new Float32Array(size * size);
  if (maxInk === 0) return out;
  // 2. Bounding box of the clear ink (ignore faint noise).
  const threshold = 0.25 * maxInk;
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  // 3. Scale the box so its longer side is `box` pixels (area averaging).
  const scale = box / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * scale));
  const th = Math.max(1, Math.round(bh * scale));
  const small = resampleArea(ink, width, x0, y0, bw, bh, tw, th);
  // 4. Place it so the center of mass lands at the frame's center.
  let mass = 0, cx = 0, cy = 0;
  for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) {
    const v = small[y * tw + x];
    mass += v; cx += v * x; cy += v * y;
  }
  const ox = clamp(Math.round(size / 2 - (mass > 0 ? cx / mass : tw / 2) - 0.5), 0, size - tw);
  const oy = clamp(Math.round(size / 2 - (mass > 0 ? cy / mass : th / 2) - 0.5), 0, size - th);
  for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) {
    out[(oy + y) * size + ox + x] = Math.min(1, small[y * tw + x] / maxInk);
  }
  return out;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, v));
}

/** Resample the (bw×bh) region at (x0,y0) of src to tw×th: each target pixel is the area-weighted mean of the source it covers. */
function resampleArea(src: Float32Array, width: number, x0: number, y0: number, bw: number, bh: number, tw: number, th: number): Float32Array {
  const out = new Float32Array(tw * th);
  const sx = bw / tw;
  const sy = bh / th;
  for (let ty = 0; ty < th; ty++) {
    const ya = ty * sy, yb = (ty + 1) * sy;
    for (let tx = 0; tx < tw; tx++) {
      const xa = tx * sx, xb = (tx + 1) * sx;
      let sum = 0, area = 0;
      for (let y = Math.floor(ya); y < Math.ceil(yb); y++) {
        const wy = Math.min(yb, y + 1) - Math.max(ya, y);
        for (let x = Math.floor(xa); x < Math.ceil(xb); x++) {
          const wx = Math.min(xb, x + 1) - Math.max(xa, x);
          sum += wx * wy * src[(y0 + y) * width + x0 + x];
          area += wx * wy;
        }
      }
      out[ty * tw + tx] = area > 0 ? sum / area : 0;
    }
  }
  return out;
}
