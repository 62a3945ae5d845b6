// Linear SVMs for R-CNN's per-class scorers, and the hard-negative mining that trains them.
//
// Primal (what is minimised):
//   P(w, b) = ½‖w‖² + ½(b/B)² + Σᵢ Cᵢ·max(0, 1 − yᵢ(w·xᵢ + b)),   yᵢ ∈ {+1, −1}
// The bias is learnt as the weight of an appended constant feature of value B (LIBLINEAR's -B):
// x̄ = [x, B], w̄ = [w, b/B]. So the bias *is* regularised, by ½(b/B)²; a large B makes that
// penalty small, but a B much larger than the features' norms makes Qᵢᵢ = ‖x‖² + B² dominated by
// B² and the solver crawls (hundreds of passes more). Default B = 1, as LIBLINEAR; R-CNN used
// B = 10 after scaling its features to an average norm of 20. B = 0 trains without a bias.
// Cᵢ = C·positiveWeight for positives (R-CNN weights its few positives: LIBLINEAR's -w1), C for
// negatives.
//
// Solver: dual coordinate descent (Hsieh, Chang, Lin, Keerthi, Sundararajan, ICML 2008), the
// L1-loss dual of LIBLINEAR:
//   min_α  f(α) = ½‖w̄(α)‖² − Σᵢ αᵢ   subject to 0 ≤ αᵢ ≤ Cᵢ,   with w̄(α) = Σᵢ αᵢ yᵢ x̄ᵢ.
// One coordinate at a time: the gradient is Gᵢ = yᵢ w̄·x̄ᵢ − 1 and the exact minimiser along αᵢ,
// clipped to the box, is αᵢ ← clip(αᵢ − Gᵢ/Qᵢᵢ, 0, Cᵢ) with Qᵢᵢ = ‖x̄ᵢ‖². Keeping w̄ up to date
// (w̄ += Δαᵢ yᵢ x̄ᵢ) makes each step O(d) instead of O(nd). Each step minimises f exactly along
// its coordinate, so f never increases: dualObjective is monotone non-increasing (up to float
// rounding). The primal P(w̄(α)) is NOT monotone, only nearly so; it meets −f at the optimum.
// The projected gradient PGᵢ (Gᵢ, but 0 where the box blocks the descent) is 0 for every i at
// the optimum; we stop when max |PGᵢ| over a full pass is below tol.
//
// Order matters: visiting examples in a fixed order on data sorted by class (all positives, then
// all negatives) first pushes w̄ far toward the positives, then far back, and crawls. A fresh
// random permutation every pass (seeded) is what the paper and LIBLINEAR do.
//
// Shrinking (LIBLINEAR): an αᵢ stuck at a bound whose gradient pushes it further out is likely to
// stay there; it leaves the active set. When the active set converges, all examples come back for
// a final full pass that checks the stopping rule on everyone.
import { Random } from '../tensor/random.js';

export type Features = Float32Array | Float64Array;

/** A linear scorer f(x) = w·x + b. */
export interface LinearSvm {
  /** d weights. */
  w: Float64Array;
  b: number;
}

export interface SvmOptions {
  /** Cost of a unit of hinge loss; default 1. */
  C?: number;
  /** Positives cost C·positiveWeight (R-CNN: 2); default 1. */
  positiveWeight?: number;
  /** Value B of the appended constant feature that carries the bias; default 1. 0: no bias. */
  bias?: number;
  /** Stop when max |projected gradient| over a full pass is below this; default 0.1. */
  tol?: number;
  /** At most this many passes (sweeps over the active set); default 1000. */
  maxPasses?: number;
  /** Visit the examples in a fresh random order every pass; default true. */
  shuffle?: boolean;
  /** Seed of the visiting order; default 42. */
  seed?: number;
  /** Drop examples stuck at a bound from the sweeps (LIBLINEAR's shrinking); default true. */
  shrinking?: boolean;
  /** Warm start: one α per example (clipped to [0, Cᵢ]); w̄ is rebuilt from it. */
  initialAlpha?: Float64Array;
  /** Record the primal objective after every pass (costs one extra O(nd) sweep each); default false. */
  trackPrimal?: boolean;
}

export interface SvmTrainResult extends LinearSvm {
  /** The dual variables, one per example: αᵢ > 0 marks a support vector. */
  alpha: Float64Array;
  passes: number;
  /** max |PG| fell below tol on a full pass. */
  converged: boolean;
  /** max |PG| of the last pass. */
  maxViolation: number;
  /** f(α) = ½‖w̄‖² − Σα after each pass: monotone non-increasing. */
  dualObjective: number[];
  /** P(w, b) after each pass when trackPrimal; otherwise empty. */
  primalObjective: number[];
}

function checkMatrix(name: string, fn: string, X: Features, n: number, d: number): void {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(d) || d < 1) {
    throw new Error(`${fn}: expected a non-negative integer n and a positive integer d, got n=${n}, d=${d}`);
  }
  if (X.length !== n * d) {
    throw new Error(`${fn}: ${name} has ${X.length} values; expected n×d = ${n}×${d} = ${n * d} (row-major)`);
  }
}

function costs(y: ArrayLike<number>, n: number, C: number, positiveWeight: number, fn: string): Float64Array {
  if (!(C > 0)) throw new Error(`${fn}: C must be > 0, got ${C}`);
  if (!(positiveWeight > 0)) throw new Error(`${fn}: positiveWeight must be > 0, got ${positiveWeight}`);
  if (y.length !== n) throw new Error(`${fn}: y has ${y.length} labels; expected one per example (${n})`);
  const U = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (y[i] !== 1 && y[i] !== -1) throw new Error(`${fn}: y[${i}] is ${y[i]}; expected +1 or −1`);
    U[i] = y[i] === 1 ? C * positiveWeight : C;
  }
  return U;
}

/** Scores f(xᵢ) = w·xᵢ + b of the n rows of X (n×d).   X:(n,d) -> (n) */
export function svmScores(X: Features, n: number, d: number, model: LinearSvm): Float64Array {
  checkMatrix('X', 'svmScores', X, n, d);
  if (model.w.length !== d) throw new Error(`svmScores: model has ${model.w.length} weights; expected d = ${d}`);
  const w = model.w, out = new Float64Array(n);
  for (let i = 0, o = 0; i < n; i++, o += d) {
    let s = model.b;
    for (let j = 0; j < d; j++) s += w[j] * X[o + j];
    out[i] = s;
  }
  return out;
}

/**
 * The primal objective P(w, b) = ½‖w‖² + ½(b/B)² + Σ Cᵢ max(0, 1 − yᵢ f(xᵢ)) that trainSvm
 * minimises (with B = options.bias, default 1; the bias term is dropped when B = 0).
 */
export function svmObjective(
  X: Features, y: ArrayLike<number>, n: number, d: number, model: LinearSvm,
  options: Pick<SvmOptions, 'C' | 'positiveWeight' | 'bias'> = {},
): number {
  const { C = 1, positiveWeight = 1, bias = 1 } = options;
  const U = costs(y, n, C, positiveWeight, 'svmObjective');
  const f = svmScores(X, n, d, model);
  let p = 0;
  for (let j = 0; j < d; j++) p += model.w[j] * model.w[j];
  if (bias !== 0) p += (model.b / bias) ** 2;
  p /= 2;
  for (let i = 0; i < n; i++) p += U[i] * Math.max(0, 1 - y[i] * f[i]);
  return p;
}

/**
 * Train a linear SVM on the n rows of X (n×d, row-major) with labels y ∈ {+1, −1}, by dual
 * coordinate descent. Example:
 *   const { w, b } = trainSvm(X, y, n, d, { C: 0.01, positiveWeight: 2 });
 */
export function trainSvm(X: Features, y: ArrayLike<number>, n: number, d: number, options: SvmOptions = {}): SvmTrainResult {
  const {
    C = 1, positiveWeight = 1, bias = 1, tol = 0.1, maxPasses = 1000,
    shuffle = true, seed = 42, shrinking = true, initialAlpha, trackPrimal = false,
  } = options;
  checkMatrix('X', 'trainSvm', X, n, d);
  const U = costs(y, n, C, positiveWeight, 'trainSvm');
  if (!(tol > 0)) throw new Error(`trainSvm: tol must be > 0, got ${tol}`);
  if (!Number.isInteger(maxPasses) || maxPasses < 1) throw new Error(`trainSvm: maxPasses must be a positive integer, got ${maxPasses}`);
  if (!Number.isFinite(bias) || bias < 0) throw new Error(`trainSvm: bias must be a finite number ≥ 0, got ${bias}`);
  if (initialAlpha && initialAlpha.length !== n) {
    throw new Error(`trainSvm: initialAlpha has ${initialAlpha.length} values; expected one per example (${n})`);
  }

  // w̄ = [w, wB] in float64: many small updates would drift in float32.
  const w = new Float64Array(d);
  let wB = 0;
  const alpha = new Float64Array(n);
  const Q = new Float64Array(n); // Qᵢᵢ = ‖x̄ᵢ‖²
  for (let i = 0, o = 0; i < n; i++, o += d) {
    let q = bias * bias;
    for (let j = 0; j < d; j++) q += X[o + j] * X[o + j];
    Q[i] = q;
    const a = initialAlpha ? Math.min(U[i], Math.max(0, initialAlpha[i])) : 0;
    if (a !== 0) {
      alpha[i] = a;
      const s = a * y[i];
      for (let j = 0; j < d; j++) w[j] += s * X[o + j];
      wB += s * bias;
    }
  }
  const dual = (): number => {
    let ww = wB * wB, sa = 0;
    for (let j = 0; j < d; j++) ww += w[j] * w[j];
    for (let i = 0; i < n; i++) sa += alpha[i];
    return ww / 2 - sa;
  };

  const active = new Int32Array(n);
  for (let i = 0; i < n; i++) active[i] = i;
  let activeSize = n;
  // Shrinking thresholds from the previous pass (LIBLINEAR's PGmax_old / PGmin_old).
  let pgMaxOld = Infinity, pgMinOld = -Infinity;
  const rng = new Random(seed);
  const dualObjective: number[] = [], primalObjective: number[] = [];
  let passes = 0, converged = false, maxViolation = Infinity;

  while (passes < maxPasses) {
    if (shuffle) rng.shuffle(active.subarray(0, activeSize));
    let pgMax = -Infinity, pgMin = Infinity;
    for (let s = 0; s < activeSize; s++) {
      const i = active[s];
      const o = i * d, yi = y[i];
      let wx = wB * bias;
      for (let j = 0; j < d; j++) wx += w[j] * X[o + j];
      const G = yi * wx - 1; // ∂f/∂αᵢ
      // Projected gradient: at αᵢ = 0 only a descent into the box (G < 0) counts, at αᵢ = Cᵢ
      // only G > 0. Shrink an αᵢ at a bound whose gradient pushed outward harder than the
      // largest violation of the last pass.
      let PG = 0;
      if (alpha[i] === 0) {
        if (shrinking && G > pgMaxOld) {
          active[s--] = active[--activeSize];
          active[activeSize] = i;
          continue;
        }
        if (G < 0) PG = G;
      } else if (alpha[i] === U[i]) {
        if (shrinking && G < pgMinOld) {
          active[s--] = active[--activeSize];
          active[activeSize] = i;
          continue;
        }
        if (G > 0) PG = G;
      } else {
        PG = G;
      }
      if (PG > pgMax) pgMax = PG;
      if (PG < pgMin) pgMin = PG;
      if (PG !== 0 && Q[i] > 0) {
        const old = alpha[i];
        const a = Math.min(Math.max(old - G / Q[i], 0), U[i]);
        alpha[i] = a;
        const step = (a - old) * yi;
        for (let j = 0; j < d; j++) w[j] += step * X[o + j];
        wB += step * bias;
      }
    }
    passes++;
    dualObjective.push(dual());
    if (trackPrimal) primalObjective.push(svmObjective(X, y, n, d, { w, b: wB * bias }, { C, positiveWeight, bias }));
    if (activeSize === 0) { pgMax = 0; pgMin = 0; }
    maxViolation = Math.max(Math.abs(pgMax), Math.abs(pgMin));
    if (maxViolation < tol) {
      if (activeSize === n) { converged = true; break; }
      // The active set has converged: bring everyone back for a full checking pass.
      activeSize = n;
      pgMaxOld = Infinity;
      pgMinOld = -Infinity;
      continue;
    }
    // LIBLINEAR: a threshold of the wrong sign would shrink nothing sensible; use ±∞ instead.
    pgMaxOld = pgMax > 0 ? pgMax : Infinity;
    pgMinOld = pgMin < 0 ? pgMin : -Infinity;
  }
  return { w, b: wB * bias, alpha, passes, converged, maxViolation, dualObjective, primalObjective };
}

export interface HardNegativeOptions extends Omit<SvmOptions, 'initialAlpha' | 'trackPrimal'> {
  /** At most this many train-then-mine rounds; default 10. */
  rounds?: number;
  /** Size of the random subset of the pool the cache starts from; default min(pool, max(1000, 2·positives)). */
  initialNegatives?: number;
  /** A negative scoring above this violates the margin (y f(x) = −f(x) < 1) and is hard; default −1. */
  hardThreshold?: number;
  /** A cached negative scoring below this is easy and leaves the cache (R-CNN: −1.05); default −1.05. */
  easyThreshold?: number;
  /** Called after every round, e.g. to drive a progress bar. */
  onRound?: (round: HardNegativeRound) => void;
}

export interface HardNegativeRound {
  /** 1, 2, … */
  round: number;
  /** Negatives the SVM of this round was trained on (positives are always all in). */
  cacheSize: number;
  passes: number;
  /** Negatives of the pool scoring above hardThreshold after this round, cached or not. */
  violating: number;
  /** Hard negatives found outside the cache, added for the next round. */
  added: number;
  /** Easy negatives dropped from the cache. */
  dropped: number;
}

export interface HardNegativeResult {
  model: LinearSvm;
  rounds: HardNegativeRound[];
  /** The last round found no hard negative outside the cache. */
  converged: boolean;
  /** Pool indices of the negatives the final model was trained on, ascending. */
  cache: Int32Array;
}

/**
 * R-CNN's training of one class's SVM (rcnn_train.m): positives are all in; negatives come from a
 * pool too big to train on at once (every background proposal of every image), so keep a cache.
 * Start from a random subset of the pool; then repeat: train on positives + cache, score the whole
 * pool, add the hard negatives (inside the margin: f(x) > −1) that are not cached yet, drop the
 * easy ones (f(x) < −1.05, safely outside: their α is 0 at the optimum, so the model does not need
 * them), until a round finds no new hard negative. The SVM of each round starts from the α of the
 * last (warm start), so later rounds take few passes. Rows are copied into a float32 cache.
 * pos: (nPos, d), neg: (nNeg, d), both row-major. Example:
 *   const { model } = trainSvmHardNegatives(pos, neg, d, { C: 0.001, positiveWeight: 2, seed: 1 });
 */
export function trainSvmHardNegatives(pos: Features, neg: Features, d: number, options: HardNegativeOptions = {}): HardNegativeResult {
  const { rounds = 10, hardThreshold = -1, easyThreshold = -1.05, onRound, seed = 42, ...svmOptions } = options;
  if (!Number.isInteger(d) || d < 1) throw new Error(`trainSvmHardNegatives: d must be a positive integer, got ${d}`);
  if (pos.length % d !== 0 || neg.length % d !== 0) {
    throw new Error(`trainSvmHardNegatives: pos (${pos.length} values) and neg (${neg.length} values) must hold whole rows of d = ${d}`);
  }
  const nPos = pos.length / d, nNeg = neg.length / d;
  if (nPos === 0 || nNeg === 0) throw new Error(`trainSvmHardNegatives: need at least one positive and one negative, got ${nPos} and ${nNeg}`);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`trainSvmHardNegatives: rounds must be a positive integer, got ${rounds}`);
  if (!(easyThreshold <= hardThreshold)) {
    throw new Error(`trainSvmHardNegatives: easyThreshold (${easyThreshold}) must be ≤ hardThreshold (${hardThreshold}), or easy and hard overlap`);
  }
  const initial = Math.min(nNeg, options.initialNegatives ?? Math.max(1000, 2 * nPos));
  if (!Number.isInteger(initial) || initial < 1) throw new Error(`trainSvmHardNegatives: initialNegatives must be a positive integer, got ${options.initialNegatives}`);

  const rng = new Random(seed);
  const order = rng.shuffle(Int32Array.from({ length: nNeg }, (_, i) => i));
  let cache = Int32Array.from(order.subarray(0, initial)).sort();
  const inCache = new Uint8Array(nNeg);
  for (const i of cache) inCache[i] = 1;
  // Dual variables carried from round to round: positives, then each pool negative.
  const alphaPos = new Float64Array(nPos), alphaNeg = new Float64Array(nNeg);
  const history: HardNegativeRound[] = [];
  let model: LinearSvm = { w: new Float64Array(d), b: 0 };
  let converged = false;

  for (let r = 1; r <= rounds; r++) {
    const fit = fitCache(pos, neg, d, cache, alphaPos, alphaNeg, { ...svmOptions, seed: seed + r });
    model = { w: fit.w, b: fit.b };
    const scores = svmScores(neg, nNeg, d, model);
    const added: number[] = [];
    let violating = 0;
    for (let i = 0; i < nNeg; i++) {
      if (scores[i] > hardThreshold) {
        violating++;
        if (!inCache[i]) added.push(i);
      }
    }
    const stats: HardNegativeRound = { round: r, cacheSize: cache.length, passes: fit.passes, violating, added: added.length, dropped: 0 };
    if (added.length === 0) {
      // The model saw every negative that matters: it is the SVM of the whole pool (within tol).
      history.push(stats);
      onRound?.(stats);
      converged = true;
      break;
    }
    const kept: number[] = [];
    for (const i of cache) {
      if (scores[i] < easyThreshold) {
        inCache[i] = 0;
        alphaNeg[i] = 0;
        stats.dropped++;
      } else {
        kept.push(i);
      }
    }
    for (const i of added) inCache[i] = 1;
    cache = Int32Array.from([...kept, ...added]).sort();
    history.push(stats);
    onRound?.(stats);
  }
  if (!converged) {
    // Out of rounds with hard negatives just added: train once more on the grown cache, so the
    // returned model has seen them (this final fit mines nothing and is not a round).
    const fit = fitCache(pos, neg, d, cache, alphaPos, alphaNeg, { ...svmOptions, seed: seed + rounds + 1 });
    model = { w: fit.w, b: fit.b };
  }
  return { model, rounds: history, converged, cache };
}

/**
 * Train on all positives + the cached negatives (pool indices), warm-started from alphaPos and
 * alphaNeg, and write the new α back into them.
 */
function fitCache(
  pos: Features, neg: Features, d: number, cache: Int32Array,
  alphaPos: Float64Array, alphaNeg: Float64Array, options: SvmOptions,
): SvmTrainResult {
  const nPos = alphaPos.length, m = cache.length, n = nPos + m;
  const X = new Float32Array(n * d), y = new Float64Array(n), alpha0 = new Float64Array(n);
  X.set(pos);
  y.fill(1, 0, nPos);
  alpha0.set(alphaPos);
  for (let k = 0; k < m; k++) {
    X.set(neg.subarray(cache[k] * d, (cache[k] + 1) * d), (nPos + k) * d);
    y[nPos + k] = -1;
    alpha0[nPos + k] = alphaNeg[cache[k]];
  }
  const fit = trainSvm(X, y, n, d, { ...options, initialAlpha: alpha0 });
  alphaPos.set(fit.alpha.subarray(0, nPos));
  for (let k = 0; k < m; k++) alphaNeg[cache[k]] = fit.alpha[nPos + k];
  return fit;
}
