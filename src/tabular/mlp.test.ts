// MLPRegressor and MLPClassifier: scikit-learn's behaviour on small problems whose answers are known.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MLPClassifier, MLPRegressor, restoreEstimator } from './mlp.js';
import { Random } from '../tensor/random.js';
import { Sequential } from '../nn/layers.js';
import { assertClose } from '../testing/helpers.js';

/** y = 2·x0 − x1 + 0.5·x0·x1 + 3, on n rows of uniform(−1, 1) inputs. */
function regression(n: number, seed: number): { X: number[][]; y: number[] } {
  const rng = new Random(seed);
  const X = Array.from({ length: n }, () => [2 * rng.uniform() - 1, 2 * rng.uniform() - 1]);
  return { X, y: X.map(([a, b]) => 2 * a - b + 0.5 * a * b + 3) };
}

/** Three blobs around (−2,0), (2,0), (0,2.5); labels 'a', 'b', 'c' (or the first two only). */
function blobs(n: number, seed: number, classes = 3): { X: number[][]; y: string[] } {
  const rng = new Random(seed);
  const centres = [[-2, 0], [2, 0], [0, 2.5]].slice(0, classes);
  const X: number[][] = [], y: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % classes;
    X.push([centres[k][0] + 0.7 * rng.normal(), centres[k][1] + 0.7 * rng.normal()]);
    y.push('abc'[k]);
  }
  return { X, y };
}

const sumSquares = (coefs: number[][][]) => coefs.flat(2).reduce((s, w) => s + w * w, 0);

test('MLPRegressor: fits a smooth function; predict, score, coefs and intercepts in scikit-learn\'s shapes', () => {
  const { X, y } = regression(120, 1);
  const reg = new MLPRegressor({ hiddenLayerSizes: [16], solver: 'lbfgs', randomState: 0 }).fit(X, y);
  assert.ok(reg.score(X, y) > 0.995, `R² ${reg.score(X, y)}`);
  const test = regression(40, 2);
  assert.ok(reg.score(test.X, test.y) > 0.98, `test R² ${reg.score(test.X, test.y)}`);
  assert.equal(reg.predict(test.X).length, 40);
  assert.deepEqual(reg.coefs.map((c) => [c.length, c[0].length]), [[2, 16], [16, 1]], 'coefs[i]: (inputs, outputs)');
  assert.deepEqual(reg.intercepts.map((b) => b.length), [16, 1]);
  assert.ok(reg.nIter > 5 && reg.lossCurve.length === reg.nIter);
  assert.ok(reg.lossCurve.at(-1)! < reg.lossCurve[0] / 10);
});

test('MLPRegressor: the loss is ½·mean of squared errors (of the standardized target) + α/(2n)·Σ‖W‖²', () => {
  const { X, y } = regression(60, 3);
  const alpha = 0.5;
  const reg = new MLPRegressor({ hiddenLayerSizes: [8], solver: 'lbfgs', alpha, maxIter: 30, randomState: 1 }).fit(X, y);
  const p = reg.predict(X);
  const data = 0.5 * y.reduce((s, v, i) => s + ((v - p[i]) / reg.yStd) ** 2, 0) / y.length;
  const expected = data + (alpha / (2 * y.length)) * sumSquares(reg.coefs);
  assertClose([reg.lossCurve.at(-1)!], [expected], 1e-4, 'final loss');
  const mean = y.reduce((s, v) => s + v, 0) / y.length;
  assertClose([reg.yMean], [mean], 1e-12, 'target mean');
  const raw = new MLPRegressor({ hiddenLayerSizes: [4], standardizeTarget: false, maxIter: 2, randomState: 1 }).fit(X, y);
  assert.deepEqual([raw.yMean, raw.yStd], [0, 1], 'standardizeTarget: false leaves the target alone');
});

test('MLPClassifier: two classes through one logistic unit, with the binary log-loss', () => {
  const { X, y } = blobs(80, 4, 2);
  const alpha = 0.01;
  const clf = new MLPClassifier({ hiddenLayerSizes: [6], solver: 'lbfgs', alpha, maxIter: 40, randomState: 2 }).fit(X, y);
  assert.deepEqual(clf.classes, ['a', 'b']);
  assert.deepEqual(clf.coefs.map((c) => c[0].length), [6, 1], 'one output unit for two classes, as scikit-learn');
  const proba = clf.predictProba(X);
  const logLoss = -y.reduce((s, label, i) => s + Math.log(proba[i][label === 'b' ? 1 : 0]), 0) / y.length;
  assertClose([clf.lossCurve.at(-1)!], [logLoss + (alpha / (2 * y.length)) * sumSquares(clf.coefs)], 1e-4, 'final loss');
  assert.ok(clf.score(X, y) >= 0.97, `accuracy ${clf.score(X, y)}`);
  proba.forEach((row, i) => {
    assertClose([row[0] + row[1]], [1], 1e-6, `row ${i} sums to 1`);
    assert.equal(clf.predict([X[i]])[0], row[1] > 0.5 ? 'b' : 'a');
  });
});

test('MLPClassifier: three classes through softmax, with adam, deterministic under randomState', () => {
  const { X, y } = blobs(150, 5);
  const make = (seed: number) => new MLPClassifier({ hiddenLayerSizes: [10], maxIter: 60, learningRateInit: 0.01, randomState: seed }).fit(X, y);
  const clf = make(7);
  assert.ok(clf.score(X, y) > 0.93, `accuracy ${clf.score(X, y)}`);
  assert.deepEqual(clf.predictProba(X.slice(0, 2)).map((r) => r.length), [3, 3]);
  assert.deepEqual(make(7).lossCurve, clf.lossCurve, 'same seed, same loss curve');
  assert.notDeepEqual(make(8).lossCurve, clf.lossCurve, 'another seed, another start');
  const numeric = new MLPClassifier({ hiddenLayerSizes: [4], maxIter: 2, randomState: 1 }).fit(X, y.map((c) => [10, 2, 33]['abc'.indexOf(c)]));
  assert.deepEqual(numeric.classes, [2, 10, 33], 'numeric labels sort by value');
});

test('Glorot-uniform initialization: U(±√(6/(in+out))), √(2/(in+out)) for logistic', () => {
  const { X, y } = regression(30, 6);
  for (const [activation, factor] of [['relu', 6], ['logistic', 2]] as const) {
    // One epoch at a negligible rate leaves the weights where they started.
    const reg = new MLPRegressor({ hiddenLayerSizes: [40], activation, solver: 'sgd', learningRateInit: 1e-12, maxIter: 1, randomState: 3 }).fit(X, y);
    reg.coefs.forEach((c, i) => {
      const bound = Math.sqrt(factor / (c.length + c[0].length));
      const values = [...c.flat(), ...reg.intercepts[i]];
      const top = Math.max(...values.map(Math.abs));
      assert.ok(top <= bound && top > 0.8 * bound, `${activation} layer ${i}: largest |w| ${top}, bound ${bound}`);
    });
  }
});

test('partialFit: one epoch per call, optimizer state kept; the classifier needs its classes first', () => {
  const { X, y } = regression(50, 7);
  const reg = new MLPRegressor({ hiddenLayerSizes: [8], learningRateInit: 0.01, randomState: 4 });
  for (let i = 0; i < 30; i++) reg.partialFit(X, y);
  assert.equal(reg.nIter, 30);
  assert.ok(reg.lossCurve[29] < reg.lossCurve[0] / 2, `loss ${reg.lossCurve[0]} -> ${reg.lossCurve[29]}`);
  const { X: Xc, y: yc } = blobs(30, 8);
  assert.throws(() => new MLPClassifier().partialFit(Xc, yc), /^Error: MLPClassifier.partialFit: the first call needs classes/);
  const clf = new MLPClassifier({ hiddenLayerSizes: [4], randomState: 1 }).partialFit(Xc.slice(0, 2), yc.slice(0, 2), ['a', 'b', 'c']);
  assert.deepEqual(clf.classes, ['a', 'b', 'c']);
  assert.throws(() => clf.partialFit([[0, 0]], ['d']), /y\[0\] is "d", not one of the classes \["a","b","c"\]/);
  assert.throws(() => new MLPRegressor({ solver: 'lbfgs' }).partialFit(X, y), /partialFit is not available with solver 'lbfgs'/);
});

test('warmStart: fit continues from the weights it has; without it, fit starts again', () => {
  const { X, y } = regression(60, 9);
  const o = { hiddenLayerSizes: [8], maxIter: 5, learningRateInit: 0.01, randomState: 5 };
  const warm = new MLPRegressor({ ...o, warmStart: true }).fit(X, y);
  const after5 = warm.lossCurve[4];
  warm.fit(X, y);
  assert.equal(warm.nIter, 10);
  assert.equal(warm.lossCurve.length, 10);
  assert.ok(warm.lossCurve[5] < warm.lossCurve[0] && Math.abs(warm.lossCurve[5] - after5) < 0.5 * (warm.lossCurve[0] - after5),
    `the 6th epoch (${warm.lossCurve[5]}) goes on from the 5th (${after5}), not from the start (${warm.lossCurve[0]})`);
  const cold = new MLPRegressor(o).fit(X, y).fit(X, y);
  assert.equal(cold.nIter, 5);
});

test('earlyStopping: a validation score per epoch, the best weights kept, bestLoss null', () => {
  const { X, y } = regression(200, 10);
  const reg = new MLPRegressor({ hiddenLayerSizes: [8], earlyStopping: true, learningRateInit: 0.01, maxIter: 500, randomState: 6 }).fit(X, y);
  assert.equal(reg.validationScores.length, reg.nIter);
  assert.equal(reg.bestLoss, null);
  assert.ok(reg.converged && reg.nIter < 500, `stopped after ${reg.nIter} epochs`);
  assert.equal(reg.bestValidationScore, Math.max(...reg.validationScores));
  const last = reg.validationScores.slice(-11);
  assert.ok(last.every((s) => s < reg.bestValidationScore! + 1e-4), 'stopped after nIterNoChange epochs without improvement');
});

test('solver sgd: Nesterov momentum, invscaling and adaptive rates learn', () => {
  const { X, y } = regression(100, 11);
  for (const learningRate of ['constant', 'invscaling', 'adaptive'] as const) {
    // invscaling divides the rate by √(rows seen + 1): by the 2nd epoch it is 1/14 of its start.
    const learningRateInit = learningRate === 'invscaling' ? 0.5 : 0.05;
    const reg = new MLPRegressor({ hiddenLayerSizes: [16], solver: 'sgd', learningRate, learningRateInit, maxIter: 80, randomState: 7 }).fit(X, y);
    assert.ok(reg.score(X, y) > 0.9, `${learningRate}: R² ${reg.score(X, y)}`);
  }
});

test('state() and restoreEstimator give back the same predictions', () => {
  const { X, y } = blobs(60, 12);
  const clf = new MLPClassifier({ hiddenLayerSizes: [5], maxIter: 20, randomState: 8 }).fit(X, y);
  const copy = restoreEstimator(clf.net as Sequential, JSON.parse(JSON.stringify(clf.state())));
  assert.ok(copy instanceof MLPClassifier);
  assert.deepEqual(copy.predictProba(X), clf.predictProba(X));
  assert.deepEqual(copy.lossCurve, clf.lossCurve);
});

test('bad options and data are errors naming the argument, the value and what was expected', () => {
  assert.throws(() => new MLPRegressor({ hiddenLayerSizes: [0] }), /^Error: MLPRegressor: hiddenLayerSizes must be an array of positive integers, got \[0\]$/);
  assert.throws(() => new MLPClassifier({ solver: 'newton' as 'adam' }), /^Error: MLPClassifier: solver must be one of lbfgs, sgd, adam, got "newton"$/);
  assert.throws(() => new MLPRegressor({ hidden_layer_sizes: [3] } as object), /^Error: MLPRegressor: unknown option 'hidden_layer_sizes', expected one of hiddenLayerSizes,/);
  assert.throws(() => new MLPRegressor({ validationFraction: 1 }), /validationFraction must be in \(0, 1\), got 1/);
  const reg = new MLPRegressor({ hiddenLayerSizes: [2], maxIter: 1 });
  assert.throws(() => reg.predict([[1, 2]]), /MLPRegressor: not fitted yet; call fit\(X, y\) first/);
  assert.throws(() => reg.fit([[1, 2], [3]], [1, 2]), /MLPRegressor: X: row 1 has 1 values, expected 2 \(as row 0\)/);
  assert.throws(() => reg.fit([[1, NaN]], [1]), /X: row 0, column 1 is NaN, expected a finite number/);
  assert.throws(() => reg.fit([[1], [2]], [1]), /MLPRegressor.fit: y has 1 values, expected 2/);
  reg.fit([[1, 2], [3, 4]], [1, 2]);
  assert.throws(() => reg.predict([[1, 2, 3]]), /MLPRegressor: X has 3 features per row, expected 2 \(as in fit\)/);
  assert.throws(() => new MLPClassifier().fit([[1], [2]], ['a', 'a']), /MLPClassifier.fit: y has 1 class \(\["a"\]\), expected at least 2/);
});

test('the TSDoc examples of MLPRegressor and MLPClassifier', () => {
  const reg = new MLPRegressor({ hiddenLayerSizes: [32], solver: 'lbfgs', randomState: 0 });
  reg.fit([[0], [1], [2], [3]], [1, 3, 5, 7]);
  assert.ok(Math.abs(reg.predict([[4]])[0] - 9) < 0.5, `${reg.predict([[4]])[0]}`);
  const clf = new MLPClassifier({ hiddenLayerSizes: [16], solver: 'lbfgs', randomState: 0 });
  clf.fit([[0, 0], [1, 1], [0, 1], [1, 0]], ['a', 'a', 'b', 'b']);
  assert.deepEqual(clf.predict([[1, 1]]), ['a']);
  assert.ok(clf.predictProba([[1, 1]])[0][0] > 0.99);
});
