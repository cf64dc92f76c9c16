"""The data's columns split for the first layer's products: dense ones by BLAS, the rest gathered.

MNIST-like data are about 80% zeros overall, but not evenly: the pixels near the centre are
non-zero in half the images or more, the border ones almost never. A gather costs about in
proportion to the non-zeros it visits (one row of the weights or of the error each), BLAS
in proportion to the columns, whatever their zeros: per column of a batch of 100 (300
hidden units, float32, AVX-512 EPYC) a gather pays ~16 ns a non-zero, BLAS ~0.63 µs, so
BLAS wins on a column more than about 40% non-zero. :class:`SplitBatches` therefore
splits the columns once per training call, by their non-zero fraction in a sample of the
rows: the *dense* columns, above the limit, go to BLAS as a small dense block of the batch;
the *sparse* ones are listed by row and by column as in
:mod:`rbmperf.backends.sparse_data` and gathered. The first layer's weights (held
transposed, one row per input column) are kept as two matrices in the same split.

:func:`split_rows` makes one pass over each row of the batch: it copies the dense columns
into the block and lists the non-zeros of the others (a byte compare masked by the sparse
columns, eight bytes packed into eight bits by one multiplication, ``tzcnt`` reading the
bits out), numbering them by their place among the sparse columns; then it re-lists them
by column (a counting sort) if there are at most the caller's limit of them.
"""

from __future__ import annotations

import numba
import numpy as np

from ..backends.sparse_data import _prefetch, _trailing_zeros, lists_times_rows

__all__ = ["SplitBatches", "split_rows"]

# Rows of the data whose non-zeros decide the split: enough for the fractions to ±2%.
_SAMPLE_ROWS = 2000


@numba.njit(nogil=True, cache=True, error_model="numpy")
def split_rows(
    X, order, start, rows, dense_columns, sparse_flags, position, block, flags, flag_words,
    pointers, indices, values, column_limit, column_pointers, row_indices, column_values,
    cursor,
):  # fmt: skip
    """Split rows ``X[order[start + r]]``, ``r < rows``; return the sparse columns' non-zeros.

    ``block[r, c] = X[., dense_columns[c]]``. The non-zeros of the columns with
    ``sparse_flags[j] == 1`` are listed by row: row ``r``'s entries are
    ``indices[pointers[r]:pointers[r + 1]]`` (``position[j]``, the column's place among the
    sparse ones, in order) and the same slice of `values`. If there are at most
    `column_limit` of them they are re-listed by column (``column_pointers``,
    ``row_indices``, ``column_values``, as :func:`rbmperf.backends.sparse_data.list_rows`;
    `cursor` is scratch). `flags` is scratch of one row of bytes padded to whole 64-bit
    words, `flag_words` the same buffer as uint64; `sparse_flags` is padded with zeros.
    """
    n_columns = X.shape[1]
    n_sparse = column_pointers.shape[0] - 1
    line = 64 // X.itemsize  # values a cache line
    count = 0
    pointers[0] = 0
    for r in range(rows):
        row = X[order[start + r]]
        # The rows are shuffled, so each is a fresh trip to memory: start loading the next
        # one while this one is split (issue 21: ~86 → ~72 µs a batch of 100 rows).
        if r + 1 < rows:
            upcoming = X[order[start + r + 1]]
            for j in range(0, n_columns, line):
                _prefetch(upcoming, j)
        out = block[r]
        for c in range(dense_columns.shape[0]):
            out[c] = row[dense_columns[c]]
        for j in range(n_columns):
            flags[j] = sparse_flags[j] if row[j] != 0 else 0
        for c in range(flag_words.shape[0] // 8):
            word = np.uint64(0)
            for q in range(8):
                eight = flag_words[8 * c + q] * np.uint64(0x0102040810204080)
                word |= (eight >> np.uint64(56)) << np.uint64(8 * q)
            base = 64 * c
            while word != 0:
                j = base + _trailing_zeros(word)
                indices[count] = position[j]
                values[count] = row[j]
                count += 1
                word &= word - np.uint64(1)
        pointers[r + 1] = count
    # The same counting sort as list_rows' (rbmperf.backends.sparse_data), written again: as
    # one shared compiled function it cost binary's cold prepare ~0.1 s more (issue 21).
    if count <= column_limit:
        for j in range(n_sparse + 1):
            column_pointers[j] = 0
        for p in range(count):
            column_pointers[indices[p] + 1] += 1
        for j in range(n_sparse):
            column_pointers[j + 1] += column_pointers[j]
            cursor[j] = column_pointers[j]
        for r in range(rows):
            for p in range(pointers[r], pointers[r + 1]):
                j = indices[p]
                q = cursor[j]
                row_indices[q] = r
                column_values[q] = values[p]
                cursor[j] = q + 1
    return count


class SplitBatches:
    """One training call's split of the data's columns and the buffers of a mini-batch.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_columns)
        The data; the split comes from the non-zero fractions of up to 2,000 of its rows,
        evenly spaced.
    batch_size : int
        Most rows a batch has.
    limit : float
        A column more than this fraction non-zero is dense (BLAS); a batch whose sparse
        columns hold more than this fraction of non-zeros is not listed (:meth:`fill`
        returns False: the caller takes BLAS for all of it).

    Attributes
    ----------
    dense_columns, sparse_columns : ndarray of int64
        The data's columns of each kind, in order.
    block : ndarray of shape (batch_size, len(dense_columns))
        The batch's dense columns, after :meth:`fill`.
    column_pointers, row_indices, column_values : ndarray
        The batch's sparse non-zeros by column (column = place among the sparse ones),
        after a :meth:`fill` that returned True.
    """

    def __init__(self, X: np.ndarray, batch_size: int, limit: float) -> None:
        n_samples, n_columns = X.shape
        sample = X[:: max(1, n_samples // _SAMPLE_ROWS)]
        dense = np.count_nonzero(sample, axis=0) > limit * len(sample)
        self.dense_columns = np.flatnonzero(dense).astype(np.int64)
        self.sparse_columns = np.flatnonzero(~dense).astype(np.int64)
        n_sparse = len(self.sparse_columns)
        self.limit = limit
        self.dtype = X.dtype
        self.position = np.zeros(n_columns, dtype=np.int64)
        self.position[self.sparse_columns] = np.arange(n_sparse)
        padded = -(-n_columns // 64) * 64
        self.sparse_flags = np.zeros(padded, dtype=np.uint8)
        self.sparse_flags[self.sparse_columns] = 1
        self.flags = np.zeros(padded, dtype=np.uint8)
        self.flag_words = self.flags.view(np.uint64)
        self.block = np.zeros((batch_size, len(self.dense_columns)), dtype=X.dtype)
        size = batch_size * max(n_sparse, 1)
        self.pointers = np.zeros(batch_size + 1, dtype=np.int64)
        self.indices = np.zeros(size, dtype=np.int64)
        self.values = np.zeros(size, dtype=X.dtype)
        self.column_pointers = np.zeros(n_sparse + 1, dtype=np.int64)
        self.row_indices = np.zeros(size, dtype=np.int64)
        self.column_values = np.zeros(size, dtype=X.dtype)
        self.cursor = np.zeros(max(n_sparse, 1), dtype=np.int64)
        self.scratch = np.zeros(0, dtype=X.dtype)
        self.rows = 0
        self.by_column = False

    def fill(self, X: np.ndarray, order: np.ndarray, start: int, rows: int) -> bool:
        """Split rows ``X[order[start:start + rows]]``; True if the sparse part was listed."""
        self.rows = rows
        column_limit = int(self.limit * rows * len(self.sparse_columns))
        count = split_rows(
            X, order, start, rows, self.dense_columns, self.sparse_flags, self.position,
            self.block, self.flags, self.flag_words, self.pointers, self.indices,
            self.values, column_limit, self.column_pointers, self.row_indices,
            self.column_values, self.cursor,
        )  # fmt: skip
        self.by_column = count <= column_limit
        return self.by_column

    def sparse_times(self, source: np.ndarray, out: np.ndarray) -> None:
        """``out[:rows] = batch[:, sparse_columns] @ source`` (source: one row per column)."""
        lists_times_rows(
            self.pointers, self.indices, self.values, self.rows, source, out, source.shape[1],
            False, self.dtype.type(1.0), self.scratch,
        )  # fmt: skip
