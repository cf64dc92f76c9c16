"""Products of a mostly-zero data mini-batch with a dense matrix, skipping the zeros.

MNIST-like data are about 80% zeros. When a product's operand is the data itself — grey
levels, not 0/1 states — its zeros can still be skipped: row ``i`` of ``X M`` (``X`` the
batch, ``M`` dense with one row per feature) is the sum over the non-zero ``X[i, j]`` of
``X[i, j] · M[j]``, and row ``j`` of ``Xᵀ E`` is the sum over the non-zero ``X[i, j]`` of
``X[i, j] · E[i]``. Both are one kernel, :func:`lists_times_rows`, over the batch's
non-zeros listed by row (for ``X M``) or by column (for ``Xᵀ E``):

* :func:`list_rows` lists the non-zeros of the rows ``X[order[start + r]]`` (a slice of an
  epoch's permutation, so the DBN's shuffled mini-batches need no copy of their rows), 64
  columns at a time through a word of non-zero bits, and returns how many there are: the
  caller compares that density with its limit and takes BLAS above it, as
  :mod:`rbmperf.backends.binary` does for its 0/1 operands.
  With ``by_column`` it also re-lists them by column (a counting sort, O(non-zeros +
  columns)).
* :func:`lists_times_rows` adds ``value · M[index]`` four source rows per pass over the
  output row (one load and store of the output row per four source rows).

The sums run in another order than BLAS's, so results agree with the dense product to
float rounding, not bitwise. A gather is memory-bound (one row of ``M`` per non-zero);
BLAS is compute-bound: the sparse path pays below roughly a third non-zeros at this
project's sizes (``docs/performance.md``).

Users: :mod:`rbmperf.backends.binary` (P1 and P4 with ``sample_data=False``: the listing
and the products) and the DBN's back-propagation, which lists a batch's sparse columns
itself (:mod:`rbmperf.dbn.split_data`) and multiplies with :func:`lists_times_rows`. Needs
numba; callers without it take the dense path.
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

from .numba_jit import _JIT

__all__ = ["DataLists", "list_rows", "lists_times_rows"]


@intrinsic
def _trailing_zeros(typingctx, word):
    """Index of the lowest set bit of a non-zero uint64, as an int64 (``llvm.cttz``)."""
    if word != types.uint64:
        return None

    def codegen(context, builder, signature, args):
        return builder.cttz(args[0], ir.Constant(ir.IntType(1), 1))

    return types.int64(types.uint64), codegen


@intrinsic
def _prefetch(typingctx, array, index):
    """Ask the CPU to start loading the cache line of ``array[index]`` (``llvm.prefetch``).

    A hint, for reads, to keep in every cache level; it changes no value. `array` must be
    1-D and `index` within it (no wraparound).
    """
    if not (isinstance(array, types.Array) and array.ndim == 1):
        return None
    if not isinstance(index, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        view = context.make_array(array_type)(context, builder, args[0])
        pointer = cgutils.get_item_pointer(
            context, builder, array_type, view, [args[1]], wraparound=False
        )
        byte_pointer = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        hint = ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32])
        prefetch = cgutils.get_or_insert_function(builder.module, hint, "llvm.prefetch.p0")
        # read (0), keep in all levels (3), data cache (1)
        builder.call(prefetch, [builder.bitcast(pointer, byte_pointer), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(array, index), codegen


if numba.config.DISABLE_JIT:  # pure Python (coverage runs): intrinsics cannot be called

    def _trailing_zeros(word):
        word = int(word)
        return (word & -word).bit_length() - 1

    def _prefetch(array, index):
        return None


@numba.njit(**_JIT)
def list_rows(
    X, order, start, rows, flags, flag_words, pointers, indices, values, column_limit,
    column_pointers, row_indices, column_values, cursor,
):  # fmt: skip
    """List the non-zeros of rows ``X[order[start + r]]``, ``r < rows``; return their number.

    If there are at most `column_limit` of them, also re-list them by column: column
    ``j``'s entries are ``row_indices[column_pointers[j]:column_pointers[j + 1]]`` (row
    numbers, in order) and the same slice of `column_values`, by a counting sort
    (O(non-zeros + columns); `cursor` is scratch of one int per column). In this function
    rather than one of its own: each compiled function costs numba ~0.3–1 s of cold
    compile.

    Row ``r``'s entries are ``indices[pointers[r]:pointers[r + 1]]`` (column numbers, in
    order) and the same slice of `values`. `flags` is scratch of one row of 0/1 bytes
    padded with zeros to whole 64-bit words (`flag_words` is the same buffer as uint64).
    Per row: a compare loop stores a byte per value (LLVM vectorises it); one
    multiplication by 0x0102040810204080 packs eight bytes into eight bits, and ``tzcnt``
    reads the set bits out. Building the words in the compare loop itself was 5× slower
    (not vectorised), and a branch-free store of every value with a cursor advancing by
    ``value != 0`` 6× slower.
    """
    n_columns = X.shape[1]
    count = 0
    pointers[0] = 0
    for r in range(rows):
        row = X[order[start + r]]
        for j in range(n_columns):
            flags[j] = 1 if row[j] != 0 else 0
        for c in range(flag_words.shape[0] // 8):
            word = np.uint64(0)
            for q in range(8):
                eight = flag_words[8 * c + q] * np.uint64(0x0102040810204080)
                word |= (eight >> np.uint64(56)) << np.uint64(8 * q)
            base = 64 * c
            while word != 0:
                j = base + _trailing_zeros(word)
                indices[count] = j
                values[count] = row[j]
                count += 1
                word &= word - np.uint64(1)
        pointers[r + 1] = count
    if count <= column_limit:
        for j in range(n_columns + 1):
            column_pointers[j] = 0
        for p in range(count):
            column_pointers[indices[p] + 1] += 1
        for j in range(n_columns):
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


@numba.njit(**_JIT)
def lists_times_rows(
    pointers, indices, values, n_out, source, out, width, subtract, scale, scratch
):  # fmt: skip
    """``out[r, :width] = Σ values[p] · source[indices[p], :width]`` over row r's entries.

    Rows of `out` with no entries are zero. Four source rows per pass over an output row
    (eight per pass measured the same). With `subtract`, the sum goes to `scratch` (one
    row, in L1) and ``out[r] = scale · (sum − out[r])``: the binary backend's
    ``dW = (P4ᵀ − P5ᵀ) / B`` in the same pass, without a buffer for P4ᵀ and two more
    passes over it.
    """
    for r in range(n_out):
        target = scratch if subtract else out[r]
        for k in range(width):
            target[k] = 0.0
        p = pointers[r]
        end = pointers[r + 1]
        while p + 4 <= end:
            a, b, c, d = values[p], values[p + 1], values[p + 2], values[p + 3]
            row_a, row_b = source[indices[p]], source[indices[p + 1]]
            row_c, row_d = source[indices[p + 2]], source[indices[p + 3]]
            for k in range(width):
                target[k] += (a * row_a[k] + b * row_b[k]) + (c * row_c[k] + d * row_d[k])
            p += 4
        while p < end:
            a = values[p]
            row_a = source[indices[p]]
            for k in range(width):
                target[k] += a * row_a[k]
            p += 1
        if subtract:
            row = out[r]
            for k in range(width):
                row[k] = scale * (target[k] - row[k])


class DataLists:
    """Buffers for one mini-batch's non-zeros, by row and by column, and the products.

    Parameters
    ----------
    batch_size : int
        Most rows a batch has.
    n_columns : int
        Features per row.
    dtype : numpy dtype
        The data's dtype.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.5, 0.0], [1.0, 0.0, 0.25]])
    >>> lists = DataLists(2, 3, X.dtype)
    >>> lists.fill(X, np.arange(2), 0, 2)
    3
    >>> M = np.arange(6.0).reshape(3, 2)
    >>> out = np.empty((2, 2))
    >>> lists.times(M, out, 2)
    >>> bool(np.allclose(out, X @ M))
    True
    """

    def __init__(self, batch_size: int, n_columns: int, dtype: np.dtype) -> None:
        self.key = (batch_size, n_columns, np.dtype(dtype))
        self.n_columns = n_columns
        size = batch_size * n_columns
        self.pointers = np.zeros(batch_size + 1, dtype=np.int64)
        self.indices = np.zeros(size, dtype=np.int64)
        self.values = np.zeros(size, dtype=dtype)
        self.column_pointers = np.zeros(n_columns + 1, dtype=np.int64)
        self.row_indices = np.zeros(size, dtype=np.int64)
        self.column_values = np.zeros(size, dtype=dtype)
        self.cursor = np.zeros(n_columns, dtype=np.int64)
        self.flags = np.zeros(-(-n_columns // 64) * 64, dtype=np.uint8)
        self.dtype = np.dtype(dtype)
        self.scratch = np.zeros(0, dtype=dtype)
        self.flag_words = self.flags.view(np.uint64)
        self.rows = 0
        self.by_column = False

    def fill(
        self, X: np.ndarray, order: np.ndarray, start: int, rows: int, limit: float = 1.0
    ) -> int:
        """List rows ``X[order[start:start + rows]]``; return the number of non-zeros.

        If at most a fraction `limit` of the values is non-zero (the caller's density limit:
        above it the caller takes BLAS), also list them by column, which
        :meth:`transposed_times` needs; a negative `limit` never does.
        """
        self.rows = rows
        column_limit = int(limit * rows * self.n_columns) if limit >= 0 else -1
        count = int(
            list_rows(
                X, order, start, rows, self.flags, self.flag_words, self.pointers, self.indices,
                self.values, column_limit, self.column_pointers, self.row_indices,
                self.column_values, self.cursor,
            )
        )  # fmt: skip
        self.by_column = count <= column_limit
        return count

    def times(self, source: np.ndarray, out: np.ndarray, width: int) -> None:
        """``out[:rows, :width] = batch @ source[:, :width]`` (source: one row per feature)."""
        lists_times_rows(
            self.pointers, self.indices, self.values, self.rows, source, out, width, False,
            self.dtype.type(1.0), self.scratch,
        )  # fmt: skip

    def transposed_times(
        self, source: np.ndarray, out: np.ndarray, width: int, scale: float | None = None
    ) -> None:
        """``out[:, :width] = batch.T @ source[:rows, :width]`` (out: one row per feature).

        With `scale`, ``out[:, :width] = scale · (batch.T @ source[:rows, :width] − out)``.
        """
        if not self.by_column:
            raise RuntimeError("the batch was not listed by column: fill(...) above its limit")
        subtract = scale is not None
        if subtract and len(self.scratch) < width:
            self.scratch = np.zeros(width, dtype=self.dtype)
        lists_times_rows(
            self.column_pointers, self.row_indices, self.column_values, self.n_columns,
            source, out, width, subtract, self.dtype.type(1.0 if scale is None else scale),
            self.scratch,
        )  # fmt: skip
