// Preprocessing: imputation, standardization, one-hot encoding, type inference, and the model around it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { featureNames, fitPreprocessing, inferColumnType, parseNumber, transform, type Table } from './preprocess.js';
import { TabularModel, inferTask, permutationImportance, targetValues, trainTestSplit } from './model.js';
import { assertClose } from '../testing/helpers.js';
import { Random } from '../tensor/random.js';

const table: Table = {
  source: 'houses.csv',
  columns: ['id', 'size', 'city', 'zip', 'price'],
  rows: [
    ['1', '50', 'Lyon', '01000', '100'],
    ['2', 'NA', 'Paris', '07500', '200'],
    ['3', '70', '', '01000', '150'],
    ['4', '90', 'Lyon', '69001', 'NaN'],
  ],
  lines: [2, 3, 4, 6],
};

test('type inference: numbers, categories, codes with leading zeros, all-missing; parseNumber is strict', () => {
  assert.equal(inferColumnType(['1', '2.5', 'NA', '', '-3e2']), 'numeric');
  assert.equal(inferColumnType(['1', 'two']), 'categorical');
  assert.equal(inferColumnType(['01000', '69001']), 'categorical', 'postcodes are codes');
  assert.equal(inferColumnType(['0', '0.5', '10']), 'numeric', '0 and 0.5 are numbers');
  assert.equal(inferColumnType(['NA', 'NaN', '']), null);
  assert.deepEqual(['12', ' 7 ', '-3.5e2', '.5', '1,5', '12 kg', '0x1F', 'Infinity', ''].map(parseNumber), [12, 7, -350, 0.5, null, null, null, null, null]);
});

test('fit: median imputation, standardization of the imputed column, sorted one-hot categories with "missing"', () => {
  const p = fitPreprocessing(table, { target: 'price', drop: ['id'] });
  assert.deepEqual(p.ignored, [{ name: 'id', reason: 'dropped on request' }, { name: 'price', reason: 'target' }]);
  assert.deepEqual(p.numeric.map((c) => c.name), ['size']);
  const size = p.numeric[0];
  assert.equal(size.median, 70);
  // Imputed column [50, 70, 70, 90]: mean 70, population std √200.
  assertClose([size.mean, size.scale], [70, Math.sqrt(200)], 1e-12);
  assert.deepEqual(p.categorical, [{ name: 'city', categories: ['Lyon', 'Paris', 'missing'] }, { name: 'zip', categories: ['01000', '07500', '69001'] }]);
  assert.deepEqual(featureNames(p), ['size', 'city=Lyon', 'city=Paris', 'city=missing', 'zip=01000', 'zip=07500', 'zip=69001']);
  const X = transform(p, table);
  assert.deepEqual([X.rows, X.cols], [4, 7]);
  assertClose(X.data.subarray(0, 7), [-20 / Math.sqrt(200), 1, 0, 0, 1, 0, 0], 1e-6, 'row 1');
  assertClose(X.data.subarray(7, 14), [0, 0, 1, 0, 0, 1, 0], 1e-6, 'row 2: missing size → median');
  assertClose(X.data.subarray(14, 21), [0, 0, 0, 1, 1, 0, 0], 1e-6, 'row 3: missing city → "missing"');
});

test('transform: unseen categories are all zeros; columns are found by name; numeric cells must be numbers', () => {
  const p = fitPreprocessing(table, { target: 'price', drop: ['id'] });
  const other: Table = { source: 'new.csv', columns: ['zip', 'city', 'size'], rows: [['99999', 'Nice', ''], ['07500', 'Paris', '30']] };
  const X = transform(p, other);
  assertClose(X.data.subarray(0, 7), [0, 0, 0, 0, 0, 0, 0], 1e-6, 'unseen city and zip; size imputed to the median (0 after scaling)');
  assertClose(X.data.subarray(7, 14), [-40 / Math.sqrt(200), 0, 1, 0, 0, 1, 0], 1e-6);
  assert.throws(() => transform(p, { ...other, columns: ['zip', 'town', 'size'] }),
    /^Error: the model's input column 'city' is not in new\.csv; its columns are: zip, town, size$/);
  assert.throws(() => transform(p, { ...other, rows: [['1', 'Nice', 'big']], lines: [9] }),
    /^Error: new\.csv: row 1 \(line 9\), column 'size': 'big' is not a number; the model reads this column as numeric$/);
});

test('type overrides, unknown names and empty columns', () => {
  const p = fitPreprocessing(table, { target: 'price', types: { id: 'categorical', zip: 'numeric' } });
  assert.deepEqual(p.numeric.map((c) => c.name), ['size', 'zip']);
  assert.deepEqual(p.categorical.map((c) => c.name), ['id', 'city']);
  assert.throws(() => fitPreprocessing(table, { types: { city: 'numeric' } }),
    /^Error: houses\.csv: row 1 \(line 2\), column 'city': 'Lyon' is not a number, and the column is numeric \(override its type to categorical\)$/);
  assert.throws(() => fitPreprocessing(table, { drop: ['ID'] }), /^Error: column 'ID' is not in houses\.csv; its columns are: id, size, city, zip, price$/);
  const empty = fitPreprocessing({ ...table, columns: ['a', 'b', 'c', 'd', 'e'], rows: table.rows.map((r) => [...r.slice(0, 4), 'NA']) });
  assert.deepEqual(empty.ignored, [{ name: 'e', reason: 'every cell missing' }]);
});

test('targets: rows without one are skipped, a non-numeric regression target names its cell, the task is inferred', () => {
  assert.deepEqual(targetValues(table, 'price', 'regression'), { rows: [0, 1, 2], y: [100, 200, 150] });
  assertClose(targetValues(table, 'price', 'regression', true).y as number[], [Math.log(100), Math.log(200), Math.log(150)], 1e-12);
  assert.deepEqual(targetValues(table, 'city', 'classification'), { rows: [0, 1, 3], y: ['Lyon', 'Paris', 'Lyon'] });
  assert.throws(() => targetValues(table, 'city', 'regression'),
    /^Error: houses\.csv: row 1 \(line 2\), column 'city': 'Lyon' is not a number; a regression target must be numeric/);
  assert.throws(() => targetValues(table, 'cost', 'regression'), /^Error: target column 'cost' is not in houses\.csv/);
  assert.equal(inferTask(table, 'city'), 'classification');
  assert.equal(inferTask(table, 'price'), 'classification', 'three distinct numbers look like classes');
  const many: Table = { columns: ['y'], rows: Array.from({ length: 30 }, (_, i) => [String(i * 1.5)]) };
  assert.equal(inferTask(many, 'y'), 'regression');
});

test('trainTestSplit is seeded, disjoint and complete', () => {
  const a = trainTestSplit(50, 0.2, 3);
  assert.equal(a.test.length, 10);
  assert.deepEqual([...a.train, ...a.test].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(trainTestSplit(50, 0.2, 3), a);
  assert.notDeepEqual(trainTestSplit(50, 0.2, 4).test, a.test);
});

test('TabularModel: fit on a table, predict a raw one, survive the model file; permutation importance finds the signal', () => {
  const rng = new Random(1);
  const rows = Array.from({ length: 120 }, (_, i) => {
    const size = 30 + 100 * rng.uniform();
    const city = ['Lyon', 'Paris', 'Nice'][i % 3];
    const price = 3 * size + (city === 'Paris' ? 200 : 0) + 5 * rng.normal();
    return [String(i), i % 10 === 0 ? 'NA' : size.toFixed(1), city, String(rng.int(5)), price.toFixed(1)];
  });
  const t: Table = { columns: ['id', 'size', 'city', 'noise', 'price'], rows, source: 'synthetic' };
  const m = TabularModel.fit(t, { target: 'price', drop: ['id'], mlp: { hiddenLayerSizes: [16], solver: 'lbfgs', randomState: 1 } });
  assert.equal(m.task, 'regression');
  assert.ok(m.score(t) > 0.9, `R² ${m.score(t)}`);
  const copy = TabularModel.decode(m.encode(), 'synthetic.zg');
  const fresh: Table = { columns: ['city', 'size', 'noise'], rows: [['Paris', '50', '1'], ['Marseille', '', '7']] };
  assert.deepEqual(copy.predict(fresh), m.predict(fresh));
  const imp = permutationImportance(m, t, { seed: 2 });
  assert.deepEqual(imp.map((c) => c.column).slice(0, 2).sort(), ['city', 'size']);
  assert.ok(imp[0].importance > 0.3 && imp.find((c) => c.column === 'noise')!.importance < 0.1, JSON.stringify(imp));
});
