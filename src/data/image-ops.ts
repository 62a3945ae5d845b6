// Small image operations on float grayscale images (browser-safe), used to find a digit in a photo.
// Images are row-major Float32Arrays of width·height values. Each filter handles the border by
// using only the pixels inside the image (a clipped window), so nothing is invented past the edge.

/** Mean over a (2r+1)×(2r+1) window, clipped at the border. Separable: a running sum along rows, then columns. */
export function boxBlur(src: Float32Array, width: number, height: number, r: number): Float32Array {
  if (r < 1) return src.slice();
  const tmp = new Float32Array(src.length);
  const out = new Float32Array(src.length);
  const pass = (from: Float32Array, to: Float32Array, n: number, lines: number, step: number, lineStep: number): void => {
    for (let l = 0; l < lines; l++) {
      const base = l * lineStep;
      // Prefix sums make each window mean O(1): mean = (S[b] - S[a]) / (b - a).
      const prefix = new Float64Array(n + 1);
      for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i] + from[base + i * step];
      for (let i = 0; i < n; i++) {
        const a = Math.max(0, i - r), b = Math.min(n, i + r + 1);
        to[base + i * step] = (prefix[b] - prefix[a]) / (b - a);
      }
    }
  };
  pass(src, tmp, width, height, 1, width);
  pass(tmp, out, height, width, width, 1);
  return out;
}

/**
 * Minimum (erosion) or maximum (dilation) over a (2rx+1)×(2ry+1) rectangle, clipped at the border.
 * A rectangle is separable: the min over it is the min along rows of the min along columns.
 * Each 1-D pass keeps a monotone deque of candidate indices, so it costs O(n) whatever the radius.
 */
export function rankFilter(src: Float32Array, width: number, height: number, rx: number, ry: number, kind: 'min' | 'max'): Float32Array {
  // max(x) = -min(-x): one loop serves both, comparing sign·value.
  const sign = kind === 'min' ? 1 : -1;
  const pass = (from: Float32Array, n: number, lines: number, step: number, lineStep: number, r: number): Float32Array => {
    if (r < 1) return from;
    const to = new Float32Array(from.length);
    const deque = new Int32Array(n);
    for (let l = 0; l < lines; l++) {
      const base = l * lineStep;
      let head = 0, tail = 0; // deque[head..tail) holds indices whose values are monotone
      let next = 0; // next index to push
      for (let i = 0; i < n; i++) {
        const hi = Math.min(n - 1, i + r);
        for (; next <= hi; next++) {
          const v = sign * from[base + next * step];
          while (tail > head && v <= sign * from[base + deque[tail - 1] * step]) tail--;
          deque[tail++] = next;
        }
        while (deque[head] < i - r) head++;
        to[base + i * step] = from[base + deque[head] * step];
      }
    }
    return to;
  };
  return pass(pass(src, width, height, 1, width, rx), height, width, width, 1, ry);
}

/**
 * Morphological opening (erosion, then dilation, same rectangle): removes bright structures
 * that cannot contain the rectangle — thin strokes, specks — and keeps everything larger
 * (paper, lighting, the flat inside of a shadow) unchanged. src − opening(src) is the "white
 * top-hat": the thin bright things alone.
 */
export function opening(src: Float32Array, width: number, height: number, rx: number, ry: number): Float32Array {
  // NOTE: at the border a clipped window would shave the bright end of a smooth ramp (the dark
  // corner of unevenly lit paper) as if it were a stroke. Extending the image by rx, ry with its
  // edge values first makes that end a plateau wide enough for the rectangle, so it is kept.
  const pw = width + 2 * rx, ph = height + 2 * ry;
  const padded = new Float32Array(pw * ph);
  for (let y = 0; y < ph; y++) {
    const sy = Math.min(height - 1, Math.max(0, y - ry));
    for (let x = 0; x < pw; x++) padded[y * pw + x] = src[sy * width + Math.min(width - 1, Math.max(0, x - rx))];
  }
  const open = rankFilter(rankFilter(padded, pw, ph, rx, ry, 'min'), pw, ph, rx, ry, 'max');
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) out.set(open.subarray((y + ry) * pw + rx, (y + ry) * pw + rx + width), y * width);
  return out;
}

/**
 * The value below which a fraction q of the values lie (q in [0,1]). Quickselect (Hoare's
 * partition on a copy): O(n) on average, where sorting would be O(n log n).
 */
export function quantile(values: ArrayLike<number>, q: number): number {
  const n = values.length;
  if (n === 0) return 0;
  const a = Float32Array.from(values);
  const k = Math.min(n - 1, Math.max(0, Math.round(q * (n - 1))));
  let lo = 0, hi = n - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) { const t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
    }
    // Now a[lo..j] <= pivot <= a[i..hi]; keep the side that holds rank k.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k];
}

export interface Component {
  /** Pixel indices (y·width + x). */
  pixels: number[];
  x0: number; y0: number; x1: number; y1: number;
  /** Sum of the weights of its pixels, and their weighted centroid. */
  mass: number;
  cx: number; cy: number;
  /** Largest weight inside. */
  peak: number;
}

/** 8-connected components of mask (nonzero = on), each with its bounding box and weighted mass. */
export function components(mask: Uint8Array, weight: Float32Array, width: number, height: number): Component[] {
  const seen = new Uint8Array(mask.length);
  const out: Component[] = [];
  const stack: number[] = [];
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || seen[start]) continue;
    const c: Component = { pixels: [], x0: width, y0: height, x1: -1, y1: -1, mass: 0, cx: 0, cy: 0, peak: 0 };
    seen[start] = 1;
    stack.push(start);
    while (stack.length > 0) {
      const p = stack.pop()!;
      const x = p % width, y = (p - x) / width;
      c.pixels.push(p);
      const w = weight[p];
      c.mass += w; c.cx += w * x; c.cy += w * y;
      if (w > c.peak) c.peak = w;
      if (x < c.x0) c.x0 = x;
      if (x > c.x1) c.x1 = x;
      if (y < c.y0) c.y0 = y;
      if (y > c.y1) c.y1 = y;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          const q = yy * width + xx;
          if (mask[q] && !seen[q]) { seen[q] = 1; stack.push(q); }
        }
      }
    }
    if (c.mass > 0) { c.cx /= c.mass; c.cy /= c.mass; } else { c.cx = (c.x0 + c.x1) / 2; c.cy = (c.y0 + c.y1) / 2; }
    out.push(c);
  }
  return out;
}

/**
 * Resample the (bw×bh) region at (x0,y0) of src to tw×th. Shrinking averages the source area
 * each target pixel covers (anti-aliasing, as MNIST's own framing did); enlarging a tiny digit
 * interpolates bilinearly, so it comes out smooth instead of blocky.
 */
export function resample(src: Float32Array, width: number, height: number, x0: number, y0: number, bw: number, bh: number, tw: number, th: number): Float32Array {
  const out = new Float32Array(tw * th);
  const sx = bw / tw, sy = bh / th;
  if (sx >= 1 && sy >= 1) {
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
  // Past the edge of the image, the nearest edge pixel continues.
  const at = (x: number, y: number): number =>
    src[Math.min(height - 1, Math.max(0, y)) * width + Math.min(width - 1, Math.max(0, x))];
  for (let ty = 0; ty < th; ty++) {
    // The centre of the target pixel, in source coordinates (pixel centres at +0.5).
    const fy = y0 + (ty + 0.5) * sy - 0.5;
    const iy = Math.floor(fy), ay = fy - iy;
    for (let tx = 0; tx < tw; tx++) {
      const fx = x0 + (tx + 0.5) * sx - 0.5;
      const ix = Math.floor(fx), ax = fx - ix;
      out[ty * tw + tx] = (1 - ay) * ((1 - ax) * at(ix, iy) + ax * at(ix + 1, iy)) + ay * ((1 - ax) * at(ix, iy + 1) + ax * at(ix + 1, iy + 1));
    }
  }
  return out;
}

/**
 * Median over a (2r+1)×(2r+1) window, clipped at the border. Unlike a mean, a median keeps a
 * straight step (a shadow's edge) where it is and ignores anything covering less than half of
 * the window (a pen stroke). Brute force: for small images only (a few thousand pixels).
 */
export function medianFilter(src: Float32Array, width: number, height: number, r: number): Float32Array {
  const out = new Float32Array(src.length);
  const window = new Float32Array((2 * r + 1) * (2 * r + 1));
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    let n = 0;
    for (let yy = Math.max(0, y - r); yy <= Math.min(height - 1, y + r); yy++) {
      for (let xx = Math.max(0, x - r); xx <= Math.min(width - 1, x + r); xx++) window[n++] = src[yy * width + xx];
    }
    out[y * width + x] = quantile(window.subarray(0, n), 0.5);
  }
  return out;
}
