// Selective search (Uijlings, van de Sande, Gevers, Smeulders, IJCV 2013): region proposals for
// R-CNN, for grayscale images.
//
// 1. Start from a Felzenszwalb–Huttenlocher segmentation (segmentation.ts): small regions that
//    each lie on one object part.
// 2. Hierarchical grouping: repeatedly merge the two most similar ADJACENT regions (regions that
//    touch in the label image; two regions whose boxes overlap but that do not touch are never
//    merged directly) until one region is left. Every region ever formed, from the first
//    segments to the whole image, gives one box.
// 3. Diversify: several strategies (scale k of the segmentation × set of similarity measures),
//    their boxes merged into one ranked, de-duplicated list.
//
// Similarities, each in [0, 1], summed over the measures a strategy uses:
//   intensity  Σ_k min(c_i^k, c_j^k)   histogram intersection of 25-bin intensity histograms
//   texture    Σ_k min(t_i^k, t_j^k)   the same for Gaussian-derivative (σ = 1) responses in 8
//                                      orientations, 10 bins each (80 bins)
//   size       1 − (|r_i| + |r_j|) / |im|           merge small regions first, everywhere at once
//   fill       1 − (|BB_ij| − |r_i| − |r_j|) / |im|  merge regions that fill each other's gaps
// Histograms are L1-normalised, so the histogram of a merged region is exactly the size-weighted
// mean (|r_i|·c_i + |r_j|·c_j) / (|r_i| + |r_j|): no pixel is visited again after the start.
import { Random } from '../tensor/random.js';
import { iou, type Box } from './boxes.js';
import { MIN_DIGIT_SIDE } from './mnist-det.js';
import { gaussianKernel, pixelGraph, segmentGraph, separableFilter, type Segmentation } from './segmentation.js';

export const INTENSITY_BINS = 25;
export const ORIENTATIONS = 8;
export const TEXTURE_BINS = 10;
/** Histogram length per region: intensity bins, then ORIENTATIONS × TEXTURE_BINS texture bins. */
export const FEATURE_BINS = INTENSITY_BINS + ORIENTATIONS * TEXTURE_BINS;

export type Similarity = 'intensity' | 'texture' | 'size' | 'fill';

/** One way of grouping: the segmentation's scale and the similarities summed. */
export interface Strategy {
  k: number;
  similarities: readonly Similarity[];
}

/** k ∈ {50, 100} × {intensity+texture+size+fill, texture+size+fill}. */
export const DEFAULT_STRATEGIES: readonly Strategy[] = [
  { k: 50, similarities: ['intensity', 'texture', 'size', 'fill'] },
  { k: 50, similarities: ['texture', 'size', 'fill'] },
  { k: 100, similarities: ['intensity', 'texture', 'size', 'fill'] },
  { k: 100, similarities: ['texture', 'size', 'fill'] },
];

/** Per-pixel histogram bins, computed once per image and shared by every strategy. */
export interface PixelFeatures {
  width: number;
  height: number;
  /** Intensity bin of each pixel, 0 … INTENSITY_BINS−1. */
  intensityBin: Uint8Array;
  /** ORIENTATIONS bins per pixel (pixel-major): the bin of each oriented response, 0 … TEXTURE_BINS−1. */
  textureBin: Uint8Array;
}

/**
 * Intensity bins (25 over [0, 1]) and texture bins of every pixel. Texture: the Gaussian
 * derivatives Gx, Gy (σ = 1) steered to 8 orientations θ = 0°, 45°, …, 315°,
 *   r_θ = max(0, cos θ·Gx + sin θ·Gy)
 * (opposite orientations see the two signs of an edge, dark-to-bright and bright-to-dark), each
 * binned into 10 bins over [0, max gradient magnitude of the image].
 */
export function pixelFeatures(image: ArrayLike<number>, width: number, height: number): PixelFeatures {
  const n = width * height;
  if (image.length !== n) throw new Error(`pixelFeatures: image has ${image.length} pixels, expected ${width}×${height} = ${n}`);
  const intensityBin = new Uint8Array(n);
  for (let p = 0; p < n; p++) intensityBin[p] = Math.min(INTENSITY_BINS - 1, Math.max(0, Math.floor(image[p] * INTENSITY_BINS)));
  // ∂/∂x (g * I) = g' * I with g'(x) = −x·g(x) (σ = 1); separableFilter correlates (no kernel
  // flip), and correlating with g'(−x) = x·g(x) is convolving with g'. So dg = x·g gives +∂/∂x.
  const g = gaussianKernel(1), r = (g.length - 1) >> 1, dg = new Float32Array(g.length);
  for (let i = -r; i <= r; i++) dg[i + r] = i * g[i + r];
  const gx = separableFilter(image, width, height, dg, g), gy = separableFilter(image, width, height, g, dg);
  let max = 0;
  for (let p = 0; p < n; p++) max = Math.max(max, Math.sqrt(gx[p] * gx[p] + gy[p] * gy[p]));
  const textureBin = new Uint8Array(n * ORIENTATIONS);
  const scale = max > 0 ? TEXTURE_BINS / max : 0;
  for (let o = 0; o < ORIENTATIONS; o++) {
    const c = Math.cos(o * Math.PI / 4), s = Math.sin(o * Math.PI / 4);
    for (let p = 0; p < n; p++) {
      const v = Math.max(0, c * gx[p] + s * gy[p]);
      textureBin[p * ORIENTATIONS + o] = Math.min(TEXTURE_BINS - 1, Math.floor(v * scale));
    }
  }
  return { width, height, intensityBin, textureBin };
}

/** Binary max-heap of candidate merges (similarity, region a, region b). */
class MergeHeap {
  private s: number[] = [];
  private a: number[] = [];
  private b: number[] = [];
  get length(): number { return this.s.length; }
  push(sim: number, a: number, b: number): void {
    const { s } = this;
    let i = s.length;
    s.push(sim); this.a.push(a); this.b.push(b);
    for (let up = (i - 1) >> 1; i > 0 && s[up] < sim; i = up, up = (i - 1) >> 1) this.move(up, i);
    s[i] = sim; this.a[i] = a; this.b[i] = b;
  }
  /** Remove the top; returns [a, b]. */
  pop(): [number, number] {
    const top: [number, number] = [this.a[0], this.b[0]];
    const sim = this.s.pop()!, a = this.a.pop()!, b = this.b.pop()!;
    const n = this.s.length;
    if (n === 0) return top;
    let i = 0; // sift the last entry down from the root
    for (let c = 1; c < n; c = 2 * i + 1) {
      if (c + 1 < n && this.s[c + 1] > this.s[c]) c++;
      if (this.s[c] <= sim) break;
      this.move(c, i);
      i = c;
    }
    this.s[i] = sim; this.a[i] = a; this.b[i] = b;
    return top;
  }
  private move(from: number, to: number): void {
    this.s[to] = this.s[from]; this.a[to] = this.a[from]; this.b[to] = this.b[from];
  }
}

/** The result of grouping one segmentation: every region formed, in order of creation. */
export interface RegionHierarchy {
  /** Regions 0 … segments−1 are the segments; region segments+m is the m-th merge. */
  segments: number;
  boxes: Box[];
  sizes: Int32Array;
  /** merges[2m], merges[2m+1]: the two regions joined into region segments+m. */
  merges: Int32Array;
  /** FEATURE_BINS L1-normalised bins per region: intensity (sums to 1), then texture (sums to 1). */
  histograms: Float32Array;
}

/** The starting regions of a segmentation: statistics and adjacency, shared by every strategy with that segmentation. */
export interface InitialRegions {
  width: number;
  height: number;
  count: number;
  sizes: Int32Array;
  /** 4 per region: x1, y1, x2, y2 (half-open). */
  boxes: Int32Array;
  /** FEATURE_BINS L1-normalised bins per region. */
  histograms: Float32Array;
  /** Adjacent pairs (a < b), 2 entries per pair: regions that touch in the label image. */
  pairs: Int32Array;
}

/** Sizes, boxes, histograms and adjacency of the segments of `seg` (labels over features' width × height). */
export function initialRegions(seg: Segmentation, features: PixelFeatures): InitialRegions {
  const { width, height } = features;
  const n = width * height, R = seg.count, labels = seg.labels;
  if (labels.length !== n) throw new Error(`initialRegions: ${labels.length} labels, expected one per pixel of ${width}×${height}`);
  const D = FEATURE_BINS;
  const sizes = new Int32Array(R), bb = new Int32Array(4 * R), hist = new Float32Array(R * D);
  for (let r = 0; r < R; r++) bb.set([width, height, 0, 0], 4 * r);
  for (let y = 0, p = 0; y < height; y++) {
    for (let x = 0; x < width; x++, p++) {
      const r = labels[p];
      if (!(r >= 0 && r < R)) throw new Error(`initialRegions: label ${r} at pixel ${p} is outside 0 … ${R - 1}`);
      sizes[r]++;
      if (x < bb[4 * r]) bb[4 * r] = x;
      if (y < bb[4 * r + 1]) bb[4 * r + 1] = y;
      if (x + 1 > bb[4 * r + 2]) bb[4 * r + 2] = x + 1;
      if (y + 1 > bb[4 * r + 3]) bb[4 * r + 3] = y + 1;
      const h = r * D + INTENSITY_BINS, t = p * ORIENTATIONS;
      hist[r * D + features.intensityBin[p]]++;
      for (let o = 0; o < ORIENTATIONS; o++) hist[h + o * TEXTURE_BINS + features.textureBin[t + o]]++;
    }
  }
  for (let r = 0; r < R; r++) {
    const s = sizes[r];
    if (s === 0) throw new Error(`initialRegions: label ${r} has no pixels; expected labels 0 … count−1, each used`);
    for (let i = 0; i < INTENSITY_BINS; i++) hist[r * D + i] /= s;
    for (let i = INTENSITY_BINS; i < D; i++) hist[r * D + i] /= ORIENTATIONS * s;
  }
  // Adjacency from the label image: 8-connected neighbouring pixels with different labels, the
  // same neighbourhood as the segmentation's graph.
  const seen = new Set<number>();
  const pairs: number[] = [];
  const touch = (r: number, q: number): void => {
    if (r === q) return;
    const key = r < q ? r * R + q : q * R + r;
    if (seen.has(key)) return;
    seen.add(key);
    pairs.push(Math.min(r, q), Math.max(r, q));
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x, r = labels[p];
      if (x + 1 < width) touch(r, labels[p + 1]);
      if (y + 1 < height) {
        if (x > 0) touch(r, labels[p + width - 1]);
        touch(r, labels[p + width]);
        if (x + 1 < width) touch(r, labels[p + width + 1]);
      }
    }
  }
  return { width, height, count: R, sizes, boxes: bb, histograms: hist, pairs: Int32Array.from(pairs) };
}

/**
 * Hierarchical grouping of the starting regions by the similarities listed: merge the most
 * similar adjacent pair, connect the new region to the old ones' neighbours, repeat until no
 * two adjacent regions are left.
 */
export function groupRegions(start: InitialRegions, similarities: readonly Similarity[]): RegionHierarchy {
  const R = start.count, n = start.width * start.height, D = FEATURE_BINS, T = Math.max(1, 2 * R - 1);
  const sizes = new Int32Array(T), bb = new Int32Array(4 * T), hist = new Float32Array(T * D);
  sizes.set(start.sizes); bb.set(start.boxes); hist.set(start.histograms);
  const neighbours: number[][] = Array.from({ length: T }, () => []);
  const { pairs } = start;
  for (let e = 0; e < pairs.length; e += 2) { neighbours[pairs[e]].push(pairs[e + 1]); neighbours[pairs[e + 1]].push(pairs[e]); }
  const useI = similarities.includes('intensity'), useT = similarities.includes('texture');
  const useS = similarities.includes('size'), useF = similarities.includes('fill');
  const similarity = (i: number, j: number): number => {
    let s = 0;
    if (useI) for (let b = 0; b < INTENSITY_BINS; b++) s += Math.min(hist[i * D + b], hist[j * D + b]);
    if (useT) for (let b = INTENSITY_BINS; b < D; b++) s += Math.min(hist[i * D + b], hist[j * D + b]);
    if (useS) s += 1 - (sizes[i] + sizes[j]) / n;
    if (useF) {
      const w = Math.max(bb[4 * i + 2], bb[4 * j + 2]) - Math.min(bb[4 * i], bb[4 * j]);
      const h = Math.max(bb[4 * i + 3], bb[4 * j + 3]) - Math.min(bb[4 * i + 1], bb[4 * j + 1]);
      s += 1 - (w * h - sizes[i] - sizes[j]) / n;
    }
    return s;
  };
  const heap = new MergeHeap();
  for (let e = 0; e < pairs.length; e += 2) heap.push(similarity(pairs[e], pairs[e + 1]), pairs[e], pairs[e + 1]);
  const alive = new Uint8Array(T).fill(1, 0, R);
  const stamp = new Int32Array(T).fill(-1);
  const merges: number[] = [];
  let t = R;
  while (heap.length > 0) {
    const [i, j] = heap.pop();
    if (!alive[i] || !alive[j]) continue; // a stale pair: one side was merged already
    alive[i] = alive[j] = 0;
    alive[t] = 1;
    merges.push(i, j);
    sizes[t] = sizes[i] + sizes[j];
    bb[4 * t] = Math.min(bb[4 * i], bb[4 * j]);
    bb[4 * t + 1] = Math.min(bb[4 * i + 1], bb[4 * j + 1]);
    bb[4 * t + 2] = Math.max(bb[4 * i + 2], bb[4 * j + 2]);
    bb[4 * t + 3] = Math.max(bb[4 * i + 3], bb[4 * j + 3]);
    // c_t = (|r_i|·c_i + |r_j|·c_j) / (|r_i| + |r_j|)
    const wi = sizes[i] / sizes[t], wj = sizes[j] / sizes[t];
    for (let b = 0; b < D; b++) hist[t * D + b] = wi * hist[i * D + b] + wj * hist[j * D + b];
    // The new region's neighbours: those of i and of j that are still alive, each once.
    for (const q of [...neighbours[i], ...neighbours[j]]) {
      if (!alive[q] || q === t || stamp[q] === t) continue;
      stamp[q] = t;
      neighbours[t].push(q);
      neighbours[q].push(t);
      heap.push(similarity(t, q), t, q);
    }
    neighbours[i] = neighbours[j] = [];
    t++;
  }
  const boxes: Box[] = [];
  for (let r = 0; r < t; r++) boxes.push([bb[4 * r], bb[4 * r + 1], bb[4 * r + 2], bb[4 * r + 3]]);
  return { segments: R, boxes, sizes: sizes.slice(0, t), merges: Int32Array.from(merges), histograms: hist.slice(0, t * D) };
}

export interface SelectiveSearchOptions {
  /** Default DEFAULT_STRATEGIES. */
  strategies?: readonly Strategy[];
  /** Gaussian blur of the segmentation; 0.8 as in the paper. */
  sigma?: number;
  /**
   * Minimum segment size as a fraction of k (minSize = round(ratio·k)); default 0.2. The paper's
   * images are large; on 128×128 canvases a larger minimum (say k itself) would dissolve a "1"
   * 20 px tall and 2 px wide into the paper around it, and then no region is ever exactly it.
   */
  minSizeRatio?: number;
  /** Seed of the random ranking; the same seed gives the same boxes in the same order. */
  seed?: number;
  /**
   * Boxes whose width and height are both below this are dropped; default MIN_DIGIT_SIDE / 2 = 10.
   * A box P with both sides < L/2 can never reach IoU 0.5 with a box G with a side L: along that
   * side the overlap covers less than half of G, so |P ∩ G| < |G|/2 and IoU ≤ |P ∩ G|/|G| < 0.5.
   * Every digit has a side ≥ MIN_DIGIT_SIDE, so such boxes are noise specks and stroke pieces
   * that would only crowd real candidates out of the top of the list.
   */
  minBoxSide?: number;
  /** Keep at most this many proposals (the best ranked); default DEFAULT_MAX_PROPOSALS. */
  maxProposals?: number;
}

export const DEFAULT_MAX_PROPOSALS = 150;

export interface SelectiveSearchResult {
  /** Proposals, best ranked first, no two identical. */
  boxes: Box[];
  /** The first strategy's segmentation (the starting regions), for display. */
  segmentation: Segmentation;
  /** Number of starting segments of each strategy. */
  segmentsPerStrategy: number[];
}

/**
 * Region proposals for a grayscale image (width×height, row-major, values in [0, 1]).
 *
 * Ranking (section 3.3 of the paper): within one strategy's hierarchy the region formed last (the
 * whole image) has position 1, the one before it 2, …, the starting segments the largest
 * positions. Each box gets value position × u, u uniform in [0, 1) (seeded), so large regions tend
 * to come first without every strategy's top region preceding every other's next one. The boxes of
 * all strategies are sorted by value (lowest first) and a box seen before is dropped.
 *
 * @example
 *   const { boxes } = selectiveSearch(canvas.image, 128, 128, { seed: 1 });
 */
export function selectiveSearch(image: ArrayLike<number>, width: number, height: number, o: SelectiveSearchOptions = {}): SelectiveSearchResult {
  const strategies = o.strategies ?? DEFAULT_STRATEGIES;
  if (strategies.length === 0) throw new Error('selectiveSearch: strategies is empty; expected at least one { k, similarities }');
  const ratio = o.minSizeRatio ?? 0.2, minSide = o.minBoxSide ?? MIN_DIGIT_SIDE / 2;
  const maxProposals = o.maxProposals ?? DEFAULT_MAX_PROPOSALS;
  if (!(maxProposals >= 0)) throw new Error(`selectiveSearch: maxProposals must be ≥ 0, got ${maxProposals}`);
  const graph = pixelGraph(image, width, height, o.sigma ?? 0.8);
  const features = pixelFeatures(image, width, height);
  const rng = new Random(o.seed ?? 1);
  // Strategies with the same k share one segmentation and its starting regions.
  const segmentations = new Map<number, InitialRegions>();
  const candidates: { box: Box; value: number }[] = [];
  const segmentsPerStrategy: number[] = [];
  let first: Segmentation | null = null;
  for (const s of strategies) {
    if (!(s.k >= 0) || s.similarities.length === 0) {
      throw new Error(`selectiveSearch: strategy { k: ${s.k}, similarities: [${s.similarities.join(', ')}] } needs k ≥ 0 and at least one similarity`);
    }
    let start = segmentations.get(s.k);
    if (!start) {
      const seg = segmentGraph(graph, s.k, Math.round(ratio * s.k));
      first ??= seg;
      start = initialRegions(seg, features);
      segmentations.set(s.k, start);
    }
    segmentsPerStrategy.push(start.count);
    const h = groupRegions(start, s.similarities);
    const total = h.boxes.length;
    for (let r = 0; r < total; r++) {
      const value = (total - r) * rng.uniform();
      const b = h.boxes[r];
      if (b[2] - b[0] < minSide && b[3] - b[1] < minSide) continue;
      candidates.push({ box: b, value });
    }
  }
  // Stable sort: equal values keep strategy order, so the result depends on the seed alone.
  candidates.sort((a, b) => a.value - b.value);
  const seen = new Set<number>();
  const boxes: Box[] = [];
  for (const { box } of candidates) {
    if (boxes.length >= maxProposals) break;
    const key = ((box[0] * (height + 1) + box[1]) * (width + 1) + box[2]) * (height + 1) + box[3];
    if (seen.has(key)) continue;
    seen.add(key);
    boxes.push(box);
  }
  return { boxes, segmentation: first!, segmentsPerStrategy };
}

export interface ProposalStats {
  /** Mean number of proposals per image. */
  proposalsPerImage: number;
  /** Fraction of ground-truth boxes with some proposal at IoU ≥ 0.5 (and ≥ 0.7). */
  recall50: number;
  recall70: number;
  /**
   * Mean best overlap: for each ground-truth box the best IoU of any proposal, averaged over all
   * ground-truth boxes (the paper's ABO; it averages per class for MABO, and proposals here do
   * not depend on the class).
   */
  meanBestOverlap: number;
}

/** How well proposals cover the ground truth, image by image. */
export function proposalStats(proposalsPerImage: ReadonlyArray<ReadonlyArray<Readonly<Box>>>, groundTruthPerImage: ReadonlyArray<ReadonlyArray<Readonly<Box>>>): ProposalStats {
  if (proposalsPerImage.length !== groundTruthPerImage.length) {
    throw new Error(`proposalStats: ${proposalsPerImage.length} images of proposals but ${groundTruthPerImage.length} of ground truth; expected one list each per image`);
  }
  let objects = 0, hit50 = 0, hit70 = 0, overlap = 0, proposals = 0;
  proposalsPerImage.forEach((props, i) => {
    proposals += props.length;
    for (const g of groundTruthPerImage[i]) {
      let best = 0;
      for (const p of props) best = Math.max(best, iou(p, g));
      objects++;
      overlap += best;
      if (best >= 0.5) hit50++;
      if (best >= 0.7) hit70++;
    }
  });
  const images = proposalsPerImage.length;
  return {
    proposalsPerImage: images > 0 ? proposals / images : 0,
    recall50: objects > 0 ? hit50 / objects : 0,
    recall70: objects > 0 ? hit70 / objects : 0,
    meanBestOverlap: objects > 0 ? overlap / objects : 0,
  };
}
