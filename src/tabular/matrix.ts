// A table of numbers for the estimators: N rows of F features, row-major float32.

/** Rows of features (N, F), row-major. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

/** What the estimators accept as X: rows as arrays (number[][]) or a Matrix. */
export type MatrixLike = ArrayLike<ArrayLike<number>> | Matrix;

const isMatrix = (X: unknown): X is Matrix =>
  typeof X === 'object' && X !== null && 'rows' in X && 'cols' in X && 'data' in X;

/**
 * Check X and copy it into a Matrix (a Matrix is taken as it is). Every value must be a finite
 * number and every row as long as the first. `who` prefixes errors: "MLPRegressor.fit: X".
 * @example toMatrix([[1, 2], [3, 4]], 'X')   // { rows: 2, cols: 2, data: Float32Array [1, 2, 3, 4] }
 */
export function toMatrix(X: MatrixLike, who: string): Matrix {
  if (isMatrix(X)) {
    if (!(X.data instanceof Float32Array) || X.data.length !== X.rows * X.cols) {
      throw new Error(`${who}: a Matrix needs data as a Float32Array of rows·cols = ${X.rows * X.cols} values, got ${X.data?.length}`);
    }
    return X;
  }
  if (!X || typeof X.length !== 'number') throw new Error(`${who}: expected rows of numbers (number[][]), got ${typeof X}`);
  const rows = X.length;
  const cols = rows > 0 ? X[0].length : 0;
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = X[r];
    if (!row || row.length !== cols) throw new Error(`${who}: row ${r} has ${row?.length} values, expected ${cols} (as row 0)`);
    for (let c = 0; c < cols; c++) {
      const v = row[c];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${who}: row ${r}, column ${c} is ${String(v)}, expected a finite number`);
      data[r * cols + c] = v;
    }
  }
  return { rows, cols, data };
}
