// The linear SVM (dual coordinate descent) and R-CNN's hard-negative mining.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../tensor/random.js';
import { svmObjective, svmScores, trainSvm, trainSvmHardNegatives } from './svm.js';

/**
 * n examples in d dimensions, ORDERED: the first n/2 positives, then n/2 negatives. Standard
 * normal noise; the classes differ by ±sep along feature 0 (sep = 1: they overlap a lot).
 */
function ordered(n: number, d: number, sep: number, seed: number): { X: Float64Array; y: Float64Array } {
  const rng = new Random(seed);
  const X = new Float64Array(n * d), y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const pos = i < n / 2;
    y[i] = pos ? 1 : -1;
    for (let j = 0; j < d; j++) X[i * d + j] = rng.normal() + (j === 0 ? (pos ? sep : -sep) : 0);
  }
  return { X, y };
}

test('svm: separates a linearly separable toy set with margin ≥ 1 (hard margin regime)', () => {
  // Positives around (3, 1), negatives around (−3, −1): gap of several units between the clouds.
  const rng = new Random(1);
  const n = 60, d = 2;
  const X = new Float32Array(n * d), y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = i % 2 === 0 ? 1 : -1;
    y[i] = s;
    X[i * d] = 3 * s + 0.5 * rng.normal();
    X[i * d + 1] = s + 0.5 * rng.normal();
  }
  const fit = trainSvm(X, y, n, d, { C: 100, tol: 1e-3, bias: 1 });
  assert.ok(fit.converged, `did not converge in ${fit.passes} passes`);
  const f = svmScores(X, n, d, fit);
  for (let i = 0; i < n; i++) assert.ok(y[i] * f[i] >= 1 - 1e-2, `example ${i}: margin ${y[i] * f[i]}`);
  // The support vectors are few; the rest have α = 0.
  const sv = fit.alpha.filter((a) => a > 0).length;
  assert.ok(sv >= 2 && sv < n / 2, `${sv} support vectors`);
});

test('svm: the dual objective is monotone non-increasing; the primal nearly so, and meets it', () => {
  // Coordinate descent minimises f(α) exactly along each coordinate, so f never rises: asserted
  // pass by pass (to float rounding). The primal P(w(α)) is not monotone in general; we assert
  // only weak duality P ≥ −f at every pass, an overall decrease, and a vanishing gap at the end.
  const n = 300, d = 8, C = 0.1;
  const { X, y } = ordered(n, d, 1, 7);
  const fit = trainSvm(X, y, n, d, { C, bias: 1, tol: 1e-4, trackPrimal: true });
  const f = fit.dualObjective, P = fit.primalObjective;
  assert.ok(fit.converged && fit.passes >= 5, `converged ${fit.converged} in ${fit.passes} passes`);
  assert.equal(f.length, fit.passes);
  for (let p = 1; p < f.length; p++) assert.ok(f[p] <= f[p - 1] + 1e-9 * Math.abs(f[p - 1]), `dual rose at pass ${p}: ${f[p - 1]} -> ${f[p]}`);
  assert.ok(f[f.length - 1] < f[0] - 1, `dual barely moved: ${f[0]} -> ${f[f.length - 1]}`);
  for (let p = 0; p < P.length; p++) assert.ok(P[p] >= -f[p] - 1e-9, `weak duality broken at pass ${p}: P ${P[p]}, −f ${-f[p]}`);
  assert.ok(P[P.length - 1] < P[0], `primal did not decrease: ${P[0]} -> ${P[P.length - 1]}`);
  const gap = P[P.length - 1] + f[f.length - 1];
  assert.ok(gap < 1e-3 * P[P.length - 1], `duality gap ${gap} at convergence`);
  // svmObjective of the returned model is the last recorded primal.
  assert.ok(Math.abs(svmObjective(X, y, n, d, fit, { C, bias: 1 }) - P[P.length - 1]) < 1e-9);
});

test('svm: a fresh random order every pass beats a fixed order on class-sorted data', () => {
  // All positives first, then all negatives, heavily overlapping. In index order the first half
  // pass drags w toward the positives, the second half drags it back: after 3 passes the fixed
  // order is still far from the optimum. (Measured: primal gap 0.7 shuffled vs 8.8 fixed.)
  const n = 400, d = 10, C = 0.1;
  const { X, y } = ordered(n, d, 1, 3);
  const opts = { C, bias: 1, tol: 1e-9, maxPasses: 3, shrinking: false };
  const shuffled = trainSvm(X, y, n, d, opts);
  const fixed = trainSvm(X, y, n, d, { ...opts, shuffle: false });
  const best = trainSvm(X, y, n, d, { C, bias: 1, tol: 1e-6 });
  const P = (m: { w: Float64Array; b: number }): number => svmObjective(X, y, n, d, m, { C, bias: 1 });
  const gapShuffled = P(shuffled) - P(best), gapFixed = P(fixed) - P(best);
  assert.ok(gapShuffled < 0.5 * gapFixed, `primal gap: shuffled ${gapShuffled}, fixed ${gapFixed}`);
  assert.ok(shuffled.dualObjective[2] < fixed.dualObjective[2], `dual: shuffled ${shuffled.dualObjective[2]}, fixed ${fixed.dualObjective[2]}`);
  // The same seed gives the same model; another seed a different path.
  assert.deepEqual(trainSvm(X, y, n, d, opts).w, shuffled.w);
  assert.notDeepEqual(trainSvm(X, y, n, d, { ...opts, seed: 5 }).w, shuffled.w);
});

test('svm: shrinking and warm start reach the same optimum', () => {
  const n = 300, d = 6, C = 0.5;
  const { X, y } = ordered(n, d, 1.5, 11);
  const a = trainSvm(X, y, n, d, { C, tol: 1e-5 });
  const b = trainSvm(X, y, n, d, { C, tol: 1e-5, shrinking: false });
  const warm = trainSvm(X, y, n, d, { C, tol: 1e-5, initialAlpha: a.alpha });
  const P = (m: { w: Float64Array; b: number }): number => svmObjective(X, y, n, d, m, { C });
  assert.ok(Math.abs(P(a) - P(b)) < 1e-4 * P(b), `shrinking ${P(a)} vs not ${P(b)}`);
  assert.ok(warm.passes <= 2, `warm start from the optimum took ${warm.passes} passes`);
  // Positive weight: positives cost more, so fewer of them end up inside the margin.
  const weighted = trainSvm(X, y, n, d, { C, tol: 1e-5, positiveWeight: 4 });
  const inside = (m: { w: Float64Array; b: number }, label: number): number => {
    const f = svmScores(X, n, d, m);
    let k = 0;
    for (let i = 0; i < n; i++) if (y[i] === label && label * f[i] < 1) k++;
    return k;
  };
  assert.ok(inside(weighted, 1) < inside(a, 1), `positives inside the margin: weighted ${inside(weighted, 1)}, plain ${inside(a, 1)}`);
  for (const al of weighted.alpha.filter((_, i) => y[i] === 1)) assert.ok(al <= 4 * C + 1e-12);
});

test('svm: hard-negative mining ends with every hard negative of the pool in a small cache', () => {
  // 40 positives near +2·e₀; a pool of 6000 negatives, 95% far away (easy, around −6·e₀) and 5%
  // near the boundary (around −1·e₀). Only the hard ones should end up cached.
  const d = 12, nPos = 40, nNeg = 6000;
  const rng = new Random(2);
  const pos = new Float32Array(nPos * d), neg = new Float32Array(nNeg * d);
  for (let i = 0; i < nPos; i++) for (let j = 0; j < d; j++) pos[i * d + j] = rng.normal() + (j === 0 ? 2 : 0);
  for (let i = 0; i < nNeg; i++) {
    const centre = rng.uniform() < 0.05 ? -1 : -6;
    for (let j = 0; j < d; j++) neg[i * d + j] = rng.normal() + (j === 0 ? centre : 0);
  }
  const C = 0.1, seen: number[] = [];
  const res = trainSvmHardNegatives(pos, neg, d, { C, positiveWeight: 2, bias: 1, tol: 1e-3, initialNegatives: 200, seed: 3, onRound: (r) => seen.push(r.round) });
  assert.ok(res.converged, `not converged after ${res.rounds.length} rounds`);
  assert.ok(res.rounds.length >= 2, 'the first random subset cannot already hold every hard negative');
  assert.ok(res.rounds[0].added > 0);
  assert.deepEqual(seen, res.rounds.map((r) => r.round));
  // Most of the random start is easy and leaves the cache (measured: 196 of 200 dropped in round 1).
  assert.ok(res.rounds[0].dropped > 100, `dropped ${res.rounds[0].dropped} easy negatives`);
  assert.equal(res.cache.length, 200 + res.rounds[0].added - res.rounds[0].dropped);
  // No negative outside the cache violates the margin of the final model.
  const f = svmScores(neg, nNeg, d, res.model);
  const inCache = new Set(res.cache);
  let outside = 0;
  for (let i = 0; i < nNeg; i++) if (f[i] > -1 && !inCache.has(i)) outside++;
  assert.equal(outside, 0);
  assert.ok(res.cache.length < nNeg / 4, `cache of ${res.cache.length} negatives out of ${nNeg}`);
  // The mined SVM is (nearly) the SVM of the whole pool: same primal objective on all the data.
  const X = new Float32Array((nPos + nNeg) * d);
  X.set(pos);
  X.set(neg, nPos * d);
  const y = new Float64Array(nPos + nNeg).fill(-1).fill(1, 0, nPos);
  const opts = { C, positiveWeight: 2, bias: 1 };
  const full = trainSvm(X, y, nPos + nNeg, d, { ...opts, tol: 1e-3 });
  const Pm = svmObjective(X, y, nPos + nNeg, d, res.model, opts), Pf = svmObjective(X, y, nPos + nNeg, d, full, opts);
  assert.ok(Math.abs(Pm - Pf) < 0.01 * Pf, `mined ${Pm} vs full ${Pf}`);
});

test('svm: bad input names the argument', () => {
  const X = new Float32Array(6);
  assert.throws(() => trainSvm(X, [1, -1, 0], 3, 2), /y\[2\] is 0; expected \+1 or −1/);
  assert.throws(() => trainSvm(X, [1, -1], 2, 2), /X has 6 values; expected n×d = 2×2 = 4/);
  assert.throws(() => trainSvm(X, [1, -1, 1], 3, 2, { C: 0 }), /C must be > 0, got 0/);
  assert.throws(() => trainSvm(X, [1, -1, 1], 3, 2, { initialAlpha: new Float64Array(2) }), /initialAlpha has 2 values/);
  assert.throws(() => svmScores(X, 3, 2, { w: new Float64Array(3), b: 0 }), /model has 3 weights; expected d = 2/);
  assert.throws(() => trainSvmHardNegatives(X, new Float32Array(5), 2), /must hold whole rows of d = 2/);
  assert.throws(() => trainSvmHardNegatives(X, X, 2, { easyThreshold: 0 }), /easyThreshold \(0\) must be ≤ hardThreshold \(-1\)/);
});
