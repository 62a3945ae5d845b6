// Preprocessing for tabular data: from a table of text cells (as a CSV file holds them) to the
// numbers an MLP takes, the way scikit-learn's usual pipeline does it:
//   numeric columns:      missing → the column's median, then standardized: (x − mean) / std
//   categorical columns:  missing → the category "missing", then one-hot: one 0/1 feature per
//                         category seen in training; a category never seen gives all zeros
// Fitted on the training rows only; the result is plain JSON, stored inside the model file, so
// predicting on a raw CSV prepares its rows exactly as training did.
import type { Matrix } from './matrix.js';

/** A table of text cells: a header and rows (each as long as the header). */
export interface Table {
  columns: string[];
  rows: string[][];
  /** Where the table came from (a file name), for messages. */
  source?: string;
  /** The file line each row starts on (a quoted cell can span lines), for messages. */
  lines?: number[];
}

export type ColumnType = 'numeric' | 'categorical';

/** The cells that mean "no value": pandas' default list, so both sides of a comparison agree. */
export const MISSING_VALUES: ReadonlySet<string> = new Set(['', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan',
  '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null']);

/** The category a missing categorical cell becomes (scikit-learn's SimpleImputer fill_value). */
export const MISSING_CATEGORY = 'missing';

export const isMissing = (cell: string): boolean => MISSING_VALUES.has(cell.trim());

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A cell as a number, or null when it is not one ("12", "-3.5e2" are; "1,5", "12 kg", "0x1F" are not). */
export function parseNumber(cell: string): number | null {
  const s = cell.trim();
  return NUMBER.test(s) ? Number(s) : null;
}

/** "penguins.csv: row 12 (line 13), column 'sex'" — where a cell is, for messages. Rows count from 1 after the header. */
export function cellName(table: Table, row: number, column: string): string {
  const line = table.lines?.[row];
  return `${table.source ?? 'table'}: row ${row + 1}${line !== undefined ? ` (line ${line})` : ''}, column '${column}'`;
}

/** The index of a column by name; an unknown name is an error that lists the columns. */
export function columnIndex(table: Table, name: string, what = 'column'): number {
  const i = table.columns.indexOf(name);
  if (i < 0) throw new Error(`${what} '${name}' is not in ${table.source ?? 'the table'}; its columns are: ${table.columns.join(', ')}`);
  return i;
}

/**
 * A column's type from its cells: numeric when every non-missing cell is a number, categorical
 * otherwise; null when every cell is missing. Numbers with a leading zero ("007", "02134") are
 * codes (postcodes, IDs), not quantities, so a column that has any is categorical.
 */
export function inferColumnType(cells: readonly string[]): ColumnType | null {
  let seen = false;
  for (const c of cells) {
    if (isMissing(c)) continue;
    seen = true;
    if (parseNumber(c) === null || /^[+-]?0\d/.test(c.trim())) return 'categorical';
  }
  return seen ? 'numeric' : null;
}

export interface NumericColumn { name: string; median: number; mean: number; scale: number }
export interface CategoricalColumn { name: string; categories: string[] }

/** A fitted preprocessing, as JSON. Features come out numeric columns first, then each categorical column's one-hot block. */
export interface Preprocessing {
  numeric: NumericColumn[];
  categorical: CategoricalColumn[];
  /** Columns not used, and why ("target", "dropped on request", "every cell missing"). */
  ignored: Array<{ name: string; reason: string }>;
}

export interface PreprocessOptions {
  /** The column to predict: left out of the features. */
  target?: string;
  /** Columns to leave out (IDs, free text). */
  drop?: string[];
  /** Types that override the inferred ones. */
  types?: Record<string, ColumnType>;
}

const column = (table: Table, j: number): string[] => table.rows.map((r) => r[j]);

/** Fit the preprocessing on a table (the training rows). */
export function fitPreprocessing(table: Table, o: PreprocessOptions = {}): Preprocessing {
  if (table.rows.length === 0) throw new Error(`${table.source ?? 'table'}: no data rows to fit the preprocessing on`);
  for (const name of [...(o.drop ?? []), ...Object.keys(o.types ?? {})]) columnIndex(table, name);
  if (o.target !== undefined) columnIndex(table, o.target, 'target column');
  const out: Preprocessing = { numeric: [], categorical: [], ignored: [] };
  table.columns.forEach((name, j) => {
    if (name === o.target) return void out.ignored.push({ name, reason: 'target' });
    if (o.drop?.includes(name)) return void out.ignored.push({ name, reason: 'dropped on request' });
    const cells = column(table, j);
    const forced = o.types?.[name];
    if (forced !== undefined && forced !== 'numeric' && forced !== 'categorical') {
      throw new Error(`type of column '${name}': expected 'numeric' or 'categorical', got ${JSON.stringify(forced)}`);
    }
    const type = forced ?? inferColumnType(cells);
    if (type === null) return void out.ignored.push({ name, reason: 'every cell missing' });
    if (type === 'categorical') {
      const cats = new Set(cells.map((c) => (isMissing(c) ? MISSING_CATEGORY : c.trim())));
      return void out.categorical.push({ name, categories: [...cats].sort() });
    }
    const values: number[] = [];
    cells.forEach((c, r) => {
      if (isMissing(c)) return;
      const v = parseNumber(c);
      if (v === null) throw new Error(`${cellName(table, r, name)}: '${c}' is not a number, and the column is numeric (override its type to categorical)`);
      values.push(v);
    });
    if (values.length === 0) return void out.ignored.push({ name, reason: 'every cell missing' });
    const median = medianOf(values);
    // Mean and std of the imputed column, as StandardScaler after SimpleImputer sees it.
    const n = cells.length, missing = n - values.length;
    const mean = (values.reduce((s, v) => s + v, 0) + missing * median) / n;
    const variance = (values.reduce((s, v) => s + (v - mean) ** 2, 0) + missing * (median - mean) ** 2) / n;
    // NOTE: a constant column has std 0; scale 1 keeps it finite (it becomes all zeros), as scikit-learn does.
    out.numeric.push({ name, median, mean, scale: variance > 1e-24 ? Math.sqrt(variance) : 1 });
  });
  if (out.numeric.length + out.categorical.length === 0) {
    throw new Error(`${table.source ?? 'table'}: no feature columns left (${out.ignored.map((c) => `${c.name}: ${c.reason}`).join('; ')})`);
  }
  return out;
}

function medianOf(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** The feature names, in order: "bill_length_mm", then "island=Biscoe", "island=Dream", … */
export function featureNames(p: Preprocessing): string[] {
  return [...p.numeric.map((c) => c.name), ...p.categorical.flatMap((c) => c.categories.map((k) => `${c.name}=${k}`))];
}

/**
 * Apply a fitted preprocessing to a table with the same columns (extra columns, such as the target
 * or an ID, are ignored; their order does not matter). A missing column, or a cell of a numeric
 * column that is not a number, is an error naming the row and column.
 */
export function transform(p: Preprocessing, table: Table): Matrix {
  const numIdx = p.numeric.map((c) => columnIndex(table, c.name, 'the model\'s input column'));
  const catIdx = p.categorical.map((c) => columnIndex(table, c.name, 'the model\'s input column'));
  const catMaps = p.categorical.map((c) => new Map(c.categories.map((k, i) => [k, i])));
  const cols = p.numeric.length + p.categorical.reduce((s, c) => s + c.categories.length, 0);
  const rows = table.rows.length;
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = table.rows[r];
    let o = r * cols;
    p.numeric.forEach((c, k) => {
      const cell = row[numIdx[k]];
      let v = c.median;
      if (!isMissing(cell)) {
        const parsed = parseNumber(cell);
        if (parsed === null) throw new Error(`${cellName(table, r, c.name)}: '${cell}' is not a number; the model reads this column as numeric`);
        v = parsed;
      }
      data[o++] = (v - c.mean) / c.scale;
    });
    p.categorical.forEach((c, k) => {
      const cell = row[catIdx[k]];
      const hit = catMaps[k].get(isMissing(cell) ? MISSING_CATEGORY : cell.trim());
      if (hit !== undefined) data[o + hit] = 1; // an unseen category stays all zeros
      o += c.categories.length;
    });
  }
  return { rows, cols, data };
}

/** Check that a JSON value is a Preprocessing (from a model file) before trusting it. */
export function checkPreprocessing(v: unknown, where: string): Preprocessing {
  const p = v as Preprocessing;
  const ok = !!p && Array.isArray(p.numeric) && Array.isArray(p.categorical) && Array.isArray(p.ignored)
    && p.numeric.every((c) => typeof c.name === 'string' && [c.median, c.mean, c.scale].every(Number.isFinite) && c.scale > 0)
    && p.categorical.every((c) => typeof c.name === 'string' && Array.isArray(c.categories) && c.categories.every((k) => typeof k === 'string'));
  if (!ok) throw new Error(`${where}: the stored preprocessing is malformed; expected { numeric: [{name, median, mean, scale}], categorical: [{name, categories}], ignored }`);
  return p;
}
