import { ShapeError } from '../../errors.js';
import { MetricsError } from '../../metrics/metrics-error.js';

/**
 * For a row-major dissimilarity matrix of `rows` test images by `cols` users, the column of the
 * smallest value in each row: the user each image is attributed to.
 *
 * Ties go to the lowest column index (so `0` and `-0` tie, and the earlier column wins).
 * `Infinity` and `-Infinity` are ordinary values. A NaN anywhere is a bug upstream (a diverged
 * model, a 0/0 normalisation), never a score, so it throws a {@link MetricsError} naming its row and
 * column rather than being silently skipped.
 *
 * @param matrix - `rows * cols` values, row `r` at `[r * cols, (r + 1) * cols)`.
 * @param rows - number of rows (test images); may be 0.
 * @param cols - number of columns (users); at least 1 when `rows > 0`.
 * @returns one column index per row.
 * @throws ShapeError if `rows`/`cols` are not non-negative integers, `cols` is 0 while `rows > 0`,
 *   or `matrix.length !== rows * cols`.
 * @throws MetricsError if an entry is NaN.
 */
export function argminRows(matrix: Float32Array | Float64Array, rows: number, cols: number): Int32Array {
  if (!Number.isSafeInteger(rows) || rows < 0 || !Number.isSafeInteger(cols) || cols < 0) {
    throw new ShapeError('argminRows', `rows and cols must be non-negative integers, got rows=${rows}, cols=${cols}`);
  }
  if (matrix.length !== rows * cols) {
    throw new ShapeError(
      'argminRows',
      `matrix has ${matrix.length} entries but rows * cols = ${rows} * ${cols} = ${rows * cols}`,
    );
  }
  if (rows > 0 && cols === 0) {
    throw new ShapeError('argminRows', `cannot take the argmin of ${rows} rows with 0 columns`);
  }
  const result = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let best = 0;
    let bestValue = matrix[base]!;
    if (Number.isNaN(bestValue)) throw nanError(r, 0);
    for (let c = 1; c < cols; c++) {
      const value = matrix[base + c]!;
      if (Number.isNaN(value)) throw nanError(r, c);
      if (value < bestValue) {
        best = c;
        bestValue = value;
      }
    }
    result[r] = best;
  }
  return result;
}

function nanError(row: number, col: number): MetricsError {
  return new MetricsError('argminRows', `NaN at row ${row}, column ${col}`);
}
