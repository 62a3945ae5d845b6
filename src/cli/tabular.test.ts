// zerograd tabular: the CSV reader on messy files, and train → predict end to end on the penguins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCsv, readCsvFile } from './tabular-csv.js';
import { TabularModel } from '../tabular/index.js';
import { tempDir } from '../testing/helpers.js';
import { runCli as run } from '../testing/cli.js';

// The data stays in src/ (tsc copies no CSV); this file runs from dist/cli/.
const DATA = fileURLToPath(new URL('../../src/tabular/data/', import.meta.url));
const FIX = join(DATA, 'fixtures');
const dir = tempDir('tabular');


test('CSV: byte-order mark, \\r\\n, quoted commas, quotes and line breaks, missing cells, codes kept as text', () => {
  const t = readCsvFile(join(FIX, 'messy.csv'));
  assert.deepEqual(t.columns, ['id', 'city', 'zip', 'size_m2', 'rooms', 'note', 'price'], 'the BOM is not part of the first name');
  assert.equal(t.rows.length, 6);
  assert.deepEqual(t.rows[0], ['1', 'Paris, France', '07500', '55.5', '2', 'old, "charming"', '420000']);
  assert.equal(t.rows[1][5], 'two\nlines');
  assert.deepEqual(t.lines, [2, 3, 5, 6, 7, 8], 'row 3 starts after the two-line cell');
  assert.deepEqual(t.rows[2], ['3', '', '69002', '80', '', 'plain', 'NaN']);
  const blankLines = parseCsv('a,b\n\n1,2\n\n\n3,4\n', 'blank.csv');
  assert.deepEqual([blankLines.rows, blankLines.lines], [[['1', '2'], ['3', '4']], [3, 6]], 'blank lines are skipped and counted');
});

test('CSV: bad files are one-line errors naming the file, the row and the column', async () => {
  const cases: Array<[string, RegExp]> = [
    ['ragged.csv', /ragged\.csv: row 2 \(line 3\) has 2 cells, expected 3 like the header: column 'c' is missing$/],
    ['long-row.csv', /long-row\.csv: row 2 \(line 3\) has 4 cells, expected 3 like the header: an extra cell '7' after the last column 'c'$/],
    ['empty.csv', /empty\.csv: the file is empty; expected a header row, then one row per example$/],
    ['header-only.csv', /header-only\.csv: only a header \(3 columns\), no data rows$/],
    ['binary.csv', /binary\.csv: not a text file \(a zero byte at offset 8\); expected a CSV file in UTF-8 text$/],
    ['latin1.csv', /latin1\.csv: not UTF-8 text \(byte 0xe9 at offset 14\); expected a CSV file in UTF-8/],
  ];
  for (const [file, message] of cases) assert.throws(() => readCsvFile(join(FIX, file)), message, file);
  assert.throws(() => parseCsv('a,b\n1,"2\n', 'open.csv'), /^Error: open\.csv: not a valid CSV file: .*quote/i);
  assert.throws(() => parseCsv('a,b,a\n1,2,3\n', 'dup.csv'), /dup\.csv: the header names column 'a' twice \(columns 1 and 3\)/);
  // Through the command line: one line on stderr, exit code 1, nothing trained.
  const r = await run(['tabular', 'train', '--csv', join(FIX, 'ragged.csv'), '--target', 'c', '--out', join(dir, 'x.zg')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^zerograd: error: .*ragged\.csv: row 2 \(line 3\) has 2 cells, expected 3 like the header: column 'c' is missing\n$/);
  const target = await run(['tabular', 'train', '--csv', join(FIX, 'messy.csv'), '--target', 'cost', '--out', join(dir, 'x.zg')]);
  assert.match(target.stderr, /^zerograd: error: target column 'cost' is not in .*messy\.csv; its columns are: id, city, zip, size_m2, rooms, note, price\n$/);
  const notNumber = await run(['tabular', 'train', '--csv', join(FIX, 'messy.csv'), '--target', 'city', '--task', 'regression', '--out', join(dir, 'x.zg')]);
  assert.match(notNumber.stderr, /^zerograd: error: .*messy\.csv: row 1 \(line 2\), column 'city': 'Paris, France' is not a number; a regression target must be numeric \(or use task classification\)\n$/);
  const logClass = await run(['tabular', 'train', '--csv', join(FIX, 'messy.csv'), '--target', 'city', '--log-target', '--out', join(dir, 'x.zg')]);
  assert.match(logClass.stderr, /^zerograd: error: --log-target: a log transform is for a regression target, but 'city' is a classification target/);
  assert.equal(logClass.stdout, '', 'the error comes before any output');
  assert.equal(existsSync(join(dir, 'x.zg')), false);
});

/** penguins.csv with unseen categories, missing cells, no target column and the columns in another order. */
function rawPenguins(): string {
  return [
    'island,sex,species,flipper_length_mm,bill_depth_mm,bill_length_mm,year,tag',
    'Atlantis,male,Emperor,230,17,50,2009,a1',   // unseen island and species
    'Dream,,Adelie,NA,,,NA,"b,2"',              // nearly everything missing
    'Biscoe,female,Gentoo,217,14.5,47.5,2008,c3',
  ].join('\n') + '\n';
}

test('tabular train → predict: regression from the CLI, a raw CSV with unseen categories and missing cells, the model file round trip', async () => {
  const model = join(dir, 'mass.zg'), report = join(dir, 'mass.html');
  const r = await run(['tabular', 'train', '--csv', join(DATA, 'penguins.csv'), '--target', 'body_mass_g', '--hidden', '16', '--solver', 'lbfgs',
    '--max-iter', '60', '--seed', '2', '--out', model, '--report', report, '--json', '--backend', 'reference']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  assert.equal(j.task, 'regression');
  assert.deepEqual([j.rows, j.skipped, j.train, j.test], [344, 2, 273, 69]);
  assert.deepEqual(j.numeric, ['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'year']);
  assert.deepEqual(j.categorical, ['species', 'island', 'sex']);
  assert.ok(j.metrics.rmse > 150 && j.metrics.rmse < 500 && j.metrics.r2 > 0.7, JSON.stringify(j.metrics));
  assert.equal(j.testRows.length, 69);
  const html = readFileSync(report, 'utf8');
  for (const part of ['Loss curve', 'Predicted against actual', 'Permutation feature importance', 'class="point"']) assert.ok(html.includes(part), part);
  assert.doesNotMatch(html, /<script|src="http|href="http/, 'the report is self-contained');

  const raw = join(dir, 'raw.csv'), outCsv = join(dir, 'pred.csv');
  writeFileSync(raw, rawPenguins());
  const p = await run(['tabular', 'predict', '--model', model, '--csv', raw, '--id', 'tag', '--out', outCsv, '--backend', 'reference']);
  assert.equal(p.code, 0, p.stderr);
  const lines = readFileSync(outCsv, 'utf8').trim().split('\n');
  assert.equal(lines[0], 'tag,prediction');
  assert.deepEqual(lines.slice(1).map((l) => l.replace(/,[^,]*$/, '')), ['a1', '"b,2"', 'c3'], 'rows in input order, ids quoted as needed');
  const values = lines.slice(1).map((l) => Number(l.split(',').at(-1)));
  assert.ok(values.every((v) => v > 2000 && v < 7000), `${values}`);
  // The file decodes to the same model: the same predictions, to the 7 digits written.
  const decoded = TabularModel.decode(readFileSync(model), model);
  const again = decoded.predict(readCsvFile(raw)).predictions as number[];
  assert.deepEqual(again.map((v) => Number(v.toPrecision(7))), values);
  assert.equal(decoded.preprocessing.categorical.find((c) => c.name === 'island')!.categories.includes('Atlantis'), false);
});

test('tabular train → predict: classification prints per-class metrics and writes class probabilities', async () => {
  const model = join(dir, 'sex.zg');
  const r = await run(['tabular', 'train', '--csv', join(DATA, 'penguins_raw.csv'), '--target', 'Sex', '--drop', 'Sample Number,Individual ID,Comments',
    '--hidden', '8', '--max-iter', '30', '--out', model, '--backend', 'reference']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /target 'Sex' \(classification\); 11 rows without a target skipped/);
  assert.match(r.stdout, /test: accuracy \d+\.\d\d%/);
  assert.match(r.stdout, /FEMALE +0\.\d{3} +0\.\d{3} +0\.\d{3} +\d+/);
  assert.match(r.stdout, /confusion matrix \(rows: actual, columns: predicted\)/);
  const p = await run(['tabular', 'predict', '--model', model, '--csv', join(DATA, 'penguins_raw.csv'), '--backend', 'reference']);
  assert.equal(p.code, 0, p.stderr);
  const lines = p.stdout.trim().split('\n');
  assert.equal(lines.length, 345, 'every row, those without a target too');
  const classes = lines[0].split(',').slice(0, -1).map((h) => h.replace('probability_', ''));
  assert.deepEqual(lines[0].split(',').at(-1), 'prediction');
  assert.ok(classes.includes('FEMALE') && classes.includes('MALE'), lines[0]);
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    const probs = cells.slice(0, -1).map(Number);
    assert.ok(Math.abs(probs.reduce((s, v) => s + v, 0) - 1) < 1e-4, line);
    assert.equal(cells.at(-1), classes[probs.indexOf(Math.max(...probs))], line);
  }
});

test('tabular predict refuses a model that is not tabular, naming it', async () => {
  const cnn = fileURLToPath(new URL('../../src/testing/fixtures/default-cnn.zg', import.meta.url));
  const r = await run(['tabular', 'predict', '--model', cnn, '--csv', join(DATA, 'penguins.csv')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^zerograd: error: .*default-cnn\.zg: not a tabular model \(its meta\.kind is null\); train one with `zerograd tabular train`\n$/);
});
