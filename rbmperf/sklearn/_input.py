"""What both estimators do to their input after scikit-learn has validated it.

scikit-learn's ``validate_data`` checks shape, NaN / infinity, emptiness and the number of
features, with scikit-learn's own messages. This module then turns the validated matrix
into what rbmperf's code trusts: C-contiguous, writeable chunks of rows in the model's
dtype, with values in [0, 1].

**Values outside [0, 1] are clipped** into it. An RBM's visible units are Bernoulli
probabilities: a value of 3 or −2 has no meaning in the model, and the backends' sampling
already treats any value ≥ 1 as "on" and ≤ 0 as "off"; clipping makes the rest of the
computation (the visible-bias gradient, the reconstruction, the pseudo-likelihood) agree
with that, keeps the model's parameters bounded, and keeps the data inside the backend
contract. ``fit`` and ``partial_fit`` warn (:class:`InputRangeWarning`) when they clip, so
that data that was never scaled does not go unnoticed; ``transform`` and the other methods
clip silently, because test data scaled with the training set's ``MinMaxScaler`` routinely
falls a little outside [0, 1]. Scale features into [0, 1] first (``MinMaxScaler``).

Chunks bound memory: a sparse matrix is densified one chunk of rows at a time, never
whole, and integer or out-of-range input is converted chunk by chunk. Training chunks are
a whole number of mini-batches, so a run over chunks has exactly the mini-batches of a run
over the whole matrix.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state

# Rows per chunk are chosen so that one densified chunk takes about this many bytes.
CHUNK_BYTES = 8 * 2**20


class InputRangeWarning(UserWarning):
    """Training data had values outside [0, 1]; they were clipped into it."""


def model_dtype(dtype: np.dtype) -> np.dtype:
    """The model's dtype for input of `dtype`: float32 stays float32, all else is float64."""
    return np.dtype(np.float32) if dtype == np.float32 else np.dtype(np.float64)


def resolve_seed(random_state: object) -> int:
    """The rbmperf seed for a scikit-learn `random_state` (int, RandomState or None).

    An int is used as the seed itself, so ``random_state=7`` trains exactly like rbmperf's
    ``seed=7``; ``None`` and a ``RandomState`` give a seed drawn from numpy's global
    ``RandomState`` or from that instance (which advances), as scikit-learn does.
    """
    generator = check_random_state(random_state)  # rejects bad values in scikit-learn's words
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state)
    return int(generator.randint(np.iinfo(np.int32).max))


def chunk_rows(n_features: int, dtype: np.dtype, multiple: int = 1) -> int:
    """Rows per chunk: a multiple of `multiple` (the batch size) of about CHUNK_BYTES."""
    per_unit = multiple * n_features * np.dtype(dtype).itemsize
    return multiple * max(1, CHUNK_BYTES // per_unit)


def as_rows(X: object) -> object:
    """`X` in a layout whose row ranges are cheap to take (CSC becomes CSR, not dense)."""
    if sp.issparse(X) and X.format != "csr":
        return X.tocsr()
    return X


def chunks(
    X: object, rows: int, dtype: np.dtype, *, writeable: bool = False
) -> Iterator[tuple[slice, np.ndarray, int]]:
    """Yield ``(rows_slice, block, n_clipped)`` over consecutive row ranges of `X`.

    `block` is dense, C-contiguous, of `dtype` and within [0, 1]; `n_clipped` counts the
    values of that range that were outside [0, 1]. `X` (validated, dense or CSR) is never
    modified: a block is a view of `X` when nothing needs changing, else a copy. With
    `writeable`, read-only input (a memory map) is copied too: numba compiles a separate
    specialisation for read-only arrays.
    """
    n_samples = X.shape[0]
    for start in range(0, n_samples, rows):
        where = slice(start, min(start + rows, n_samples))
        part = X[where]
        if sp.issparse(part):
            block = part.toarray().astype(dtype, copy=False)
            fresh = True
        else:
            block = np.ascontiguousarray(part, dtype=dtype)
            fresh = not np.may_share_memory(block, part)
        n_clipped = 0
        if block.size and (block.min() < 0 or block.max() > 1):
            n_clipped = int(np.count_nonzero((block < 0) | (block > 1)))
            block = np.clip(block, 0, 1, out=block if fresh else None)
            fresh = True
        if writeable and not (fresh or block.flags.writeable):
            block = block.copy()
        yield where, block, n_clipped


def clipping_message(name: str, n_clipped: int) -> str:
    """The text of the :class:`InputRangeWarning` that `name` gives."""
    return (
        f"X has {n_clipped:,} values outside [0, 1]; {name} clips them to [0, 1] (its "
        "visible units are Bernoulli probabilities). Scale the features into [0, 1] first, "
        "e.g. with sklearn.preprocessing.MinMaxScaler."
    )
