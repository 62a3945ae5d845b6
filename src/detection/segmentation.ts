// Felzenszwalb–Huttenlocher graph-based segmentation (IJCV 2004), the starting regions of
// selective search.
//
// The image is a graph: one node per pixel, an edge between 8-connected neighbours weighted by
// their intensity difference (after a Gaussian blur of σ 0.8 that keeps single noisy pixels from
// cutting edges). Edges are visited from the lightest up; each component C keeps
//   Int(C) = the heaviest edge of its minimum spanning tree (how much C varies inside),
// and two components are joined by edge weight w when
//   w ≤ min(Int(C1) + k/|C1|, Int(C2) + k/|C2|),
// i.e. when the boundary between them is no stronger than the variation inside either one. The
// k/|C| term lets small components grow (k larger → larger regions). Components still smaller
// than `minSize` pixels are then joined to a neighbour, visiting the edges in the same order.
//
// Intensities are scaled to 0–255 for the weights, so k means what it means in the paper and in
// selective search (k = 50 … 150 for 8-bit images).
//
// Everything lives in typed arrays: the edges as three parallel arrays, the union–find forest as
// parent / rank / size / threshold arrays.

/** A segmentation: one label per pixel, 0 … count−1, numbered in raster order of first pixel. */
export interface Segmentation {
  labels: Int32Array;
  count: number;
}

/** The 8-connected pixel graph of a blurred image, edges sorted by weight (lightest first). */
export interface PixelGraph {
  width: number;
  height: number;
  /** Edge e joins pixels a[e] and b[e] with weight w[e] = |I(a) − I(b)| on the 0–255 scale. */
  a: Int32Array;
  b: Int32Array;
  w: Float32Array;
}

export interface FelzenszwalbOptions {
  /** Scale of observation: larger k prefers larger components (0–255 intensity units). */
  k: number;
  /** Gaussian blur before building the graph; 0.8 as in the paper. */
  sigma?: number;
  /** Components smaller than this many pixels are merged into a neighbour. */
  minSize: number;
}

function checkImage(fn: string, image: ArrayLike<number>, width: number, height: number): void {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new Error(`${fn}: width and height must be positive integers, got ${width}×${height}`);
  }
  if (image.length !== width * height) {
    throw new Error(`${fn}: image has ${image.length} pixels, expected width × height = ${width}×${height} = ${width * height}`);
  }
}

/**
 * out = kx along rows, then ky along columns (correlation: out(x) = Σ_i k[i+r]·in(x+i)), with
 * pixels outside the image read from the nearest edge. Kernels have odd length 2r+1.
 */
export function separableFilter(image: ArrayLike<number>, width: number, height: number, kx: Float32Array, ky: Float32Array): Float32Array {
  const rx = (kx.length - 1) >> 1, ry = (ky.length - 1) >> 1;
  const tmp = new Float32Array(width * height), out = new Float32Array(width * height);
  // Rows: copy each into a buffer padded with its edge pixels, so the inner loop needs no clamps.
  const pad = new Float32Array(width + 2 * rx);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let i = 0; i < pad.length; i++) pad[i] = image[row + Math.min(width - 1, Math.max(0, i - rx))];
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let i = 0; i < kx.length; i++) s += kx[i] * pad[x + i];
      tmp[row + x] = s;
    }
  }
  // Columns: whole rows at a time, the source row clamped once per tap.
  for (let y = 0; y < height; y++) {
    const o = y * width;
    for (let i = 0; i < ky.length; i++) {
      const src = Math.min(height - 1, Math.max(0, y + i - ry)) * width, k = ky[i];
      for (let x = 0; x < width; x++) out[o + x] += k * tmp[src + x];
    }
  }
  return out;
}

/** The Gaussian e^{−x²/2σ²} on −⌈4σ⌉ … ⌈4σ⌉, normalised to sum 1. */
export function gaussianKernel(sigma: number): Float32Array {
  const r = Math.ceil(4 * sigma);
  const g = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += g[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < g.length; i++) g[i] /= sum;
  return g;
}

/** Gaussian blur, edges clamped: g_σ * image. σ ≤ 0 returns a copy. */
export function gaussianBlur(image: ArrayLike<number>, width: number, height: number, sigma: number): Float32Array {
  checkImage('gaussianBlur', image, width, height);
  if (!(sigma > 0)) return Float32Array.from(image);
  const g = gaussianKernel(sigma);
  return separableFilter(image, width, height, g, g);
}

/**
 * Stable LSD radix sort of edge indices by non-negative float weight. The IEEE-754 bits of a
 * non-negative float, read as an unsigned integer, are ordered like the float itself, so three
 * 11-bit counting passes sort exactly, in O(E), with ties kept in edge order (deterministic).
 */
function sortByWeight(w: Float32Array): Uint32Array {
  const keys = new Uint32Array(w.buffer, w.byteOffset, w.length);
  const n = w.length;
  let order = new Uint32Array(n);
  let next = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const count = new Uint32Array(2049);
  for (const shift of [0, 11, 22]) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[((keys[i] >>> shift) & 0x7ff) + 1]++;
    for (let d = 0; d < 2048; d++) count[d + 1] += count[d];
    for (let i = 0; i < n; i++) {
      const e = order[i];
      next[count[(keys[e] >>> shift) & 0x7ff]++] = e;
    }
    const t = order; order = next; next = t;
  }
  return order;
}

/**
 * The graph of `image` (width×height, row-major, values in [0, 1]) blurred by σ: each pixel is
 * joined to its right, lower-left, lower and lower-right neighbours, which covers all 8-neighbour
 * pairs once. Edges come back sorted by weight, ready for any number of `segmentGraph` calls
 * (selective search segments one graph with several k).
 */
export function pixelGraph(image: ArrayLike<number>, width: number, height: number, sigma = 0.8): PixelGraph {
  checkImage('pixelGraph', image, width, height);
  const s = gaussianBlur(image, width, height, sigma);
  const max = 4 * width * height;
  const ea = new Int32Array(max), eb = new Int32Array(max), ew = new Float32Array(max);
  let n = 0;
  const add = (p: number, q: number): void => {
    ea[n] = p; eb[n] = q; ew[n] = 255 * Math.abs(s[p] - s[q]); n++;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      if (x + 1 < width) add(p, p + 1);
      if (y + 1 < height) {
        if (x > 0) add(p, p + width - 1);
        add(p, p + width);
        if (x + 1 < width) add(p, p + width + 1);
      }
    }
  }
  const w = ew.subarray(0, n);
  const order = sortByWeight(w);
  const a = new Int32Array(n), b = new Int32Array(n), ws = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const e = order[i];
    a[i] = ea[e]; b[i] = eb[e]; ws[i] = w[e];
  }
  return { width, height, a, b, w: ws };
}

/** Segment a sorted pixel graph with scale k, then absorb components under minSize pixels. */
export function segmentGraph(graph: PixelGraph, k: number, minSize: number): Segmentation {
  if (!(k >= 0)) throw new Error(`segmentGraph: k must be ≥ 0, got ${k}`);
  if (!(Number.isInteger(minSize) && minSize >= 0)) throw new Error(`segmentGraph: minSize must be an integer ≥ 0, got ${minSize}`);
  const n = graph.width * graph.height;
  const parent = new Int32Array(n), rank = new Uint8Array(n), size = new Int32Array(n).fill(1);
  // threshold[C] = Int(C) + k/|C|; a single pixel has Int = 0.
  const threshold = new Float32Array(n).fill(k);
  for (let i = 0; i < n; i++) parent[i] = i;
  const find = (x: number): number => {
    let r = x;
    while (parent[r] !== r) r = parent[r];
    while (parent[x] !== r) { const up = parent[x]; parent[x] = r; x = up; } // path compression
    return r;
  };
  const union = (x: number, y: number): number => {
    if (rank[x] < rank[y]) { const t = x; x = y; y = t; } // union by rank: the shallower tree goes under
    parent[y] = x;
    size[x] += size[y];
    if (rank[x] === rank[y]) rank[x]++;
    return x;
  };
  const { a, b, w } = graph;
  const E = w.length;
  for (let e = 0; e < E; e++) {
    const ra = find(a[e]), rb = find(b[e]);
    if (ra === rb || w[e] > threshold[ra] || w[e] > threshold[rb]) continue;
    const r = union(ra, rb);
    // Edges arrive in increasing weight, so w is the heaviest MST edge of the union: Int = w.
    threshold[r] = w[e] + k / size[r];
  }
  // Small components: join along the edges, lightest first, so each goes to its most similar
  // neighbour (a thin stroke of ≥ minSize pixels survives; specks of noise do not).
  let small = 0;
  for (let p = 0; p < n; p++) if (parent[p] === p && size[p] < minSize) small++;
  for (let e = 0; e < E && small > 0; e++) {
    const ra = find(a[e]), rb = find(b[e]);
    if (ra === rb || (size[ra] >= minSize && size[rb] >= minSize)) continue;
    // Both small: the union may still be small (one fewer small component), or not (two fewer).
    small -= (size[ra] < minSize ? 1 : 0) + (size[rb] < minSize ? 1 : 0);
    if (size[union(ra, rb)] < minSize) small++;
  }
  const labels = new Int32Array(n).fill(-1);
  const id = new Int32Array(n).fill(-1);
  let count = 0;
  for (let p = 0; p < n; p++) {
    const r = find(p);
    if (id[r] < 0) id[r] = count++;
    labels[p] = id[r];
  }
  return { labels, count };
}

/**
 * Felzenszwalb–Huttenlocher segmentation of a grayscale image (width×height, row-major, values
 * in [0, 1]).
 *
 * @example
 *   const { labels, count } = felzenszwalb(canvas.image, 128, 128, { k: 100, minSize: 20 });
 */
export function felzenszwalb(image: ArrayLike<number>, width: number, height: number, o: FelzenszwalbOptions): Segmentation {
  return segmentGraph(pixelGraph(image, width, height, o.sigma ?? 0.8), o.k, o.minSize);
}
