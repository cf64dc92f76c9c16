"""CD-1 that exploits the binary operands of its matrix products (all five have one).

Of one CD-1 step's five products (mini-batch of ``B`` rows, ``W`` of shape (H, V))

    P1 = v0 Wᵀ,   P2 = h0 W,   P3 = v1 Wᵀ,   P4 = h0ᵀ v0,   P5 = h1_probsᵀ v1,

each has an operand holding only 0 and 1 (the sampled states v0, v1, h0), and on MNIST-like
data v0 and v1 are only 10–20% ones, h0 about 11% once training is under way. A product
with a 0/1 operand is a sum of *selected rows* of the other operand, and ``h0ᵀ v0`` counts
coincidences, so:

* **P1, P3 by gather-add.** Row ``i`` of ``v Wᵀ`` is the sum of the rows ``j`` of ``Wᵀ``
  for which ``v[i, j] = 1``. Inside an epoch W lives transposed, (V, H) with rows padded to
  64-byte multiples on a 64-byte-aligned base and one extra row of zeros; eight rows are
  added per pass over the output row, the index list padded to a multiple of eight with
  the zero row (no remainder loops). P3 starts from P1 where that reads fewer rows: v1 is
  a reconstruction of v0, so a row of v1 usually differs from its v0 in fewer units than
  it has ones, and ``P3[i] = P1[i] + Σ_{v1[i] ∖ v0[i]} Wᵀ[j] − Σ_{v0[i] ∖ v1[i]} Wᵀ[j]``.
  Otherwise output rows go in pairs, and a row of Wᵀ both samples of a pair take is read
  once and added to both (the gathers are bound by these reads).
* **P4 by popcount, exactly.** Each column of v0 and of h0 is packed over the batch into
  ⌈B/64⌉ 64-bit words; ``(h0ᵀ v0)[k, j] = Σ_words popcount(h_word[k] & v_word[j])``, an
  integer, so P4 is bit-exact. ``llvm.ctpop`` is exact on every CPU: LLVM lowers it to the
  vector or scalar popcount instructions the host has (a shuffle-table popcount on AVX2)
  and to plain bit arithmetic on a CPU without any. Words of v0 that are zero (MNIST's
  borders) are skipped.
* **P5 by the same gather, over v1's columns.** ``(v1ᵀ h1_probs)[j]`` is the sum of the rows
  ``i`` of h1_probs for which ``v1[i, j] = 1``; it lands in the (V, H) gradient, and one
  pass then turns each row into ``(P4ᵀ − P5ᵀ) / B``.
* **P2 by the same gather, over W's rows.** Row ``i`` of ``h0 W`` is the sum of the rows
  ``k`` of W for which ``h0[i, k] = 1``. W's (H, V) rows are copied from the epoch's Wᵀ
  (one numpy transpose, ~190 µs at 784 × 300) by each mini-batch that takes the gather,
  so it needs a sparser h0 than P1/P3 do; a fresh model's h0 is about half ones (BLAS).

The bits come from the kernels that sample the states: those loops (numba's, vectorised)
store each comparison of a uniform with a probability as a 0/1 byte, and a packing pass
turns eight bytes into eight bits with one multiplication and ORs them into column words.
Row indices are read out of the row words with ``tzcnt``. Nothing goes through
``np.nonzero`` or ``scipy.sparse``, which cost as much as a dense product.

**Dense fallback.** A gather is memory-bound (one row load per active unit), GEMM compute-
bound. Each product compares the density of ones of its binary operand, counted while
packing the bits of that mini-batch, with a limit (:class:`DensityLimits`) and above it
runs the BLAS product on the 0/1 states expanded from the bytes. P4's popcount costs the
same at any density and is always used by default. :meth:`DensityLimits.always` and
:meth:`DensityLimits.never` force one path (the tests run both). With ``sample_data=False``
v0 is the data's values, not 0/1 states: P1 and P4 then skip the data's zeros instead
(:mod:`rbmperf.backends.sparse_data`), or run BLAS on a batch denser than
``DensityLimits.data``.

**Same mathematics as** :mod:`rbmperf.backends.numba_jit`: its vectorised logistic and its
counter-based generator (same key from the numpy Generator, same counters in the same
order), so for the same seed both backends draw the same uniforms and differ only in the
rounding of the products. Under ``NUMBA_DISABLE_JIT=1`` every kernel runs as plain Python
(the intrinsics have Python bodies), but the bit packing's uint64 arithmetic then wraps
with numpy overflow warnings, which the test-suite treats as errors: such runs are not
supported at present (issue 21 found it; nothing in CI uses them).

Limits: the padded (V, H) layout exists only inside an epoch (``TrainingState`` holds the
contract's (H, V) arrays at its boundary), so each epoch pays two transposes of W and of its
speed; the gathers are fast while the batch's active rows of Wᵀ stay in cache, as at this
project's 784 × 300. See ``docs/performance.md`` for the figures and what did not work.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

from ..validation import check_bool, check_dtype
from .base import (
    Backend,
    Gradient,
    PerThread,
    TrainingState,
    Uniforms,
    slice_batches,
    tiny_epoch,
)

# numba's logistic and generator: the same stream and rounding as the numba backend.
from .numba_jit import _JIT, _float64_from_bits, _logistic, _uniform
from .sparse_data import DataLists

_ALIGN_BYTES = 64
# Row length of the padded layout: a multiple of 16 elements is a multiple of 64 bytes in
# float32 and float64, so every row of an aligned (V, H_padded) matrix starts a cache line.
_ROW_MULTIPLE = 16
_WORD_BITS = 64
# A count c < 2**52 as float64: the bits of 2**52 + c, minus 2**52 (exact).
_EXPONENT_52 = np.int64(0x4330000000000000)
_TWO_52 = 4503599627370496.0


@intrinsic
def _popcount(typingctx, word):
    """Number of set bits of a uint64, as an int64 (``llvm.ctpop``: exact on any CPU)."""
    if word != types.uint64:
        return None

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return types.int64(types.uint64), codegen


@intrinsic
def _trailing_zeros(typingctx, word):
    """Index of the lowest set bit of a non-zero uint64, as an int64 (``llvm.cttz``)."""
    if word != types.uint64:
        return None

    def codegen(context, builder, signature, args):
        zero_is_poison = ir.Constant(ir.IntType(1), 1)
        return builder.cttz(args[0], zero_is_poison)

    return types.int64(types.uint64), codegen


if numba.config.DISABLE_JIT:  # pure Python (coverage runs): intrinsics cannot be called

    def _popcount(word):
        return int(word).bit_count()

    def _trailing_zeros(word):
        word = int(word)
        return (word & -word).bit_length() - 1


@dataclass(frozen=True)
class DensityLimits:
    """Largest density of ones of its binary operand at which a product uses its binary kernel.

    A product runs its binary kernel when the mini-batch's measured density is ``≤`` its
    limit, else the dense BLAS product. A limit of 1 always takes the binary kernel, a
    negative limit never.

    Attributes
    ----------
    gather : float
        P1 (v0 Wᵀ) and P3 (v1 Wᵀ), by the density of v0 and v1.
    column_gather : float
        P5 (h1_probsᵀ v1), by the density of v1.
    popcount : float
        P4 (h0ᵀ v0), by the density of v0; its cost does not depend on the density.
    hidden_gather : float
        P2 (h0 W), by the density of h0. The gather reads the rows of W in (H, V) layout,
        a copy of the epoch's Wᵀ made by numpy (~190 µs at 784 × 300) for each mini-batch
        that takes it, so it pays later than P1/P3: h0 is about half ones for a fresh
        model (dense), ~11% after one epoch on MNIST-like data (gather).
    data : float
        P1 (v0 Wᵀ) and P4 (h0ᵀ v0) when v0 is the data's values (``sample_data=False``),
        by the fraction of non-zero values of the mini-batch: at most this, both products
        skip the data's zeros (:mod:`rbmperf.backends.sparse_data`), else BLAS.
    """

    # Break-even with BLAS on this project's AMD EPYC (AVX2) for uniformly scattered ones:
    # ~0.25–0.27 for P1/P3, ~0.35 (float32) to 0.45 (float64) for P5; clustered MNIST-like
    # ones break even later. The limits sit at the scattered break-even, so a mini-batch
    # near it costs about the same either way and a dense one never pays for a gather.
    gather: float = 0.25
    column_gather: float = 0.35
    popcount: float = 1.0
    hidden_gather: float = 0.25
    # Weighted gathers (a multiply-add per element, the same memory traffic): the same
    # break-even as the DBN's first layer, rbmperf.dbn.backprop.DATA_DENSITY_LIMIT.
    data: float = 0.3

    @classmethod
    def always(cls) -> DensityLimits:
        """Every product with a binary (or sparse data) operand by its kernel, at any density."""
        return cls(1.0, 1.0, 1.0, 1.0, 1.0)

    @classmethod
    def never(cls) -> DensityLimits:
        """Every product dense (BLAS): the numba backend's products in this layout."""
        return cls(-1.0, -1.0, -1.0, -1.0, -1.0)


# ---------------------------------------------------------------------------------------------
# Kernels. Bits: ``row_bits[i, c]`` holds columns 64c … 64c+63 of row i (bit j − 64c);
# ``column_bits[w, j]`` holds rows 64w … 64w+63 of column j (bit i − 64w).
# ---------------------------------------------------------------------------------------------


@numba.njit(**_JIT)
def _sample_states(pre, bias, logistic, width, rows, uniforms, flags, sums, key, counter):
    """flags = p > uniform as 0/1 bytes, sums = Σ_rows p; return the advanced counter.

    ``p = logistic(pre + bias)`` if `logistic` (h0 from P1, v1 from P2), else ``p = pre``
    (v0 from the data; `bias` unused). One kernel for all three states: one compile, where
    a kernel per state cost ~0.2–0.3 s of cold compile each. The compare stays in its own
    loop (one byte stored per value): packing bits in the same loop made LLVM give up
    vectorising it (1.5–3.6× slower).
    """
    # numba would unify a uint64 with an int64 as float64, corrupting the bits: cast.
    key, counter = np.uint64(key), np.uint64(counter)
    for j in range(width):
        sums[j] = 0.0
    # Sums in the data's dtype, as in the numba backend (float32 sums: ~1e-6 relative).
    for i in range(rows):
        base = counter + np.uint64(i * width)
        for j in range(width):
            p = _logistic(pre[i, j] + bias[j]) if logistic else pre[i, j]
            # `like` only gives the dtype: a 1-D array (one specialisation of _uniform).
            u = _uniform(uniforms, i, j, key, base + np.uint64(j), sums)
            flags[i, j] = 1 if p > u else 0
            sums[j] += p
    return counter + np.uint64(rows * width)


@numba.njit(**_JIT)
def _pack_bits(flags, flag_words, rows, cols, row_bits, column_bits):
    """Pack 0/1 byte flags into row bits and column bits; return the number of ones.

    `flag_words` is `flags`' buffer seen as uint64 (eight flags a word; rows are padded to
    64 flags, the padding zero). Multiplying eight 0/1 bytes by 0x0102040810204080 gathers
    them, in order, into the top byte (no carries: each partial product has its own bit).
    Column bits are ORed in row by row (a vectorised pass over the flags); a 64×64 bit
    transpose of the row words was 3 µs faster per call but doubled this kernel's compile
    time.
    """
    ones = 0
    for i in range(rows):
        for c in range(row_bits.shape[1]):
            word = np.uint64(0)
            for q in range(8):
                eight = flag_words[i, 8 * c + q] * np.uint64(0x0102040810204080)
                word |= (eight >> np.uint64(56)) << np.uint64(8 * q)
            row_bits[i, c] = word
            ones += _popcount(word)
    for w in range(column_bits.shape[0]):  # all words: a shorter batch leaves none stale
        for j in range(cols):
            column_bits[w, j] = np.uint64(0)
    for i in range(rows):
        word_row = i // _WORD_BITS
        bit = np.uint64(i % _WORD_BITS)
        for j in range(cols):
            column_bits[word_row, j] |= np.uint64(flags[i, j]) << bit
    return ones


@numba.njit(**_JIT)
def _gather_rows(source, bits, rows, width, out, indices, base_bits, from_base):
    """``out[i, :width] = Σ_{j: bit j of bits[i] set} source[j, :width]`` for i < rows.

    P1, P2 and P3 (source Wᵀ or W's rows, bits the rows of v or h0) and P5ᵀ (source
    h1_probs, bits the columns of v1): one kernel, compiled once per dtype. The last row of
    `source` must be zeros: each index list is padded with it to a multiple of eight, so
    rows are added eight per pass with no remainder loop (that row stays in L1). The index
    read-out and the additions are written inline: as separate helpers they cost two more
    compiles. The gather is bound by its loads of source rows, so it reads fewer of them:

    * **Pairs.** Output rows go in pairs, and a source row both of a pair take (34% of
      them for v0's rows on MNIST-like data, 61% for neighbouring pixels' columns of v1)
      is read once and added to both.
    * **From a base.** With `from_base`, ``out[i]`` holds on entry the same product for
      the bits ``base_bits[i]`` (P3 after P1: v1 is a reconstruction of v0, so the two
      share most of their ones). A row whose ones differ from its base's in fewer rows
      than it has is updated instead, ``out[i] += Σ_{bits[i] ∖ base} − Σ_{base ∖ bits[i]}``
      (the subtraction as an addition of ``−1 · sum``, exact), row by row, unpaired.
      Without `from_base` `base_bits` is not read.

    `indices` holds three lists (both rows of a pair, the first, the second or the
    subtracted rows), each of up to max(rows of `source`, bits) + 8 entries.
    """
    zero_row = source.shape[0] - 1
    third = indices.size // 3
    step = 1 if from_base else 2
    for i in range(0, rows, step):
        # `second` is `i` for an unpaired row: its words are then not read as a partner's.
        second = i if from_base or i + 1 == rows else i + 1
        update = False
        if from_base:  # rows read either way, each list padded to a multiple of 8
            ones = added = removed = 0
            for c in range(bits.shape[1]):
                word, base_word = bits[i, c], base_bits[i, c]
                ones += _popcount(word)
                added += _popcount(word & ~base_word)
                removed += _popcount(base_word & ~word)
            update = (added + 7) // 8 + (removed + 7) // 8 < (ones + 7) // 8
        n_both, n_first, n_second = 0, third, 2 * third
        for c in range(bits.shape[1]):  # the positions of the set bits, by tzcnt
            first_word = bits[i, c]
            if update:  # the second list holds the rows to subtract
                second_word = base_bits[i, c] & ~first_word
                first_word &= ~base_bits[i, c]
            else:
                second_word = bits[second, c] if second != i else np.uint64(0)
            both_word = first_word & second_word
            first_word ^= both_word
            second_word ^= both_word
            base = c * _WORD_BITS
            while both_word != np.uint64(0):
                indices[n_both] = base + _trailing_zeros(both_word)
                n_both += 1
                both_word &= both_word - np.uint64(1)
            while first_word != np.uint64(0):
                indices[n_first] = base + _trailing_zeros(first_word)
                n_first += 1
                first_word &= first_word - np.uint64(1)
            while second_word != np.uint64(0):
                indices[n_second] = base + _trailing_zeros(second_word)
                n_second += 1
                second_word &= second_word - np.uint64(1)
        while n_both % 8 != 0:
            indices[n_both] = zero_row
            n_both += 1
        while (n_first - third) % 8 != 0:
            indices[n_first] = zero_row
            n_first += 1
        while (n_second - 2 * third) % 8 != 0:
            indices[n_second] = zero_row
            n_second += 1
        first, second_row = out[i], out[second]
        if not update:
            for k in range(width):
                first[k] = 0.0
        # In the source's dtype: a float64 factor would turn float32 sums into float64 ones.
        one = source.dtype.type(1.0)
        # Three lists through one loop (one compiled loop body): the rows both take into the
        # first row, which is then copied into the second, the first's own rows, the
        # second's own rows (subtracted from an updated row, which is its own second).
        for part in range(3):
            if part == 1 and second != i:
                for k in range(width):
                    second_row[k] = first[k]
            row = second_row if part == 2 else first
            start = 0 if part == 0 else (third if part == 1 else 2 * third)
            stop = n_both if part == 0 else (n_first if part == 1 else n_second)
            factor = -one if part == 2 and update else one
            for p in range(start, stop, 8):
                r0, r1, r2, r3 = indices[p], indices[p + 1], indices[p + 2], indices[p + 3]
                r4, r5, r6, r7 = indices[p + 4], indices[p + 5], indices[p + 6], indices[p + 7]
                for k in range(width):
                    row[k] += factor * (
                        ((source[r0, k] + source[r1, k]) + (source[r2, k] + source[r3, k]))
                        + ((source[r4, k] + source[r5, k]) + (source[r6, k] + source[r7, k]))
                    )


# Rows of Wᵀ per tile of the momentum pass that also writes W's (H, V) rows: 16 rows of
# 304 floats (19 KB float32, 39 KB float64) stay in L1 while they are read back transposed.
_TILE_ROWS = 16


@numba.njit(**_JIT)
def _momentum(
    W_t, W_speed_t, dW_t, W_rows, keep_rows, n_hidden, hidden_bias, hidden_speed, d_hidden,
    visible_bias, visible_speed, d_visible, learning_rate, momentum,
):  # fmt: skip
    """The blog's momentum rule on all parameters; with `keep_rows`, W's (H, V) rows too.

    ``speed = momentum · speed + grad; param += learning_rate · speed``, the numba
    backend's ``_momentum_all`` operation for operation (bitwise the same). Wᵀ is updated
    a tile of rows at a time, and with `keep_rows` each tile, still in L1, is stored
    transposed into `W_rows` (P2's source), so P2's gather needs no copy of W's rows per
    mini-batch. One function for both: a second one cost 0.35 s of cold compile.
    """
    n_visible, width = W_t.shape
    for start in range(0, n_visible, _TILE_ROWS):
        stop = min(start + _TILE_ROWS, n_visible)
        for j in range(start, stop):
            for k in range(width):
                s = momentum * W_speed_t[j, k] + dW_t[j, k]
                W_speed_t[j, k] = s
                W_t[j, k] += learning_rate * s
        if not keep_rows:
            continue
        if stop - start == _TILE_ROWS:  # a constant trip count: LLVM unrolls the stores
            for k in range(n_hidden):
                for offset in range(_TILE_ROWS):
                    W_rows[k, start + offset] = W_t[start + offset, k]
        else:
            for k in range(n_hidden):
                for j in range(start, stop):
                    W_rows[k, j] = W_t[j, k]
    for param, speed, grad in (
        (hidden_bias, hidden_speed, d_hidden),
        (visible_bias, visible_speed, d_visible),
    ):
        for k in range(param.size):
            s = momentum * speed[k] + grad[k]
            speed[k] = s
            param[k] += learning_rate * s


@numba.njit(**_JIT)
def _negative_hidden(pre, bias, n_hidden, rows, h0, h1_probs, d_bias, scale, total):
    """h1_probs = logistic(pre + bias); d_bias = scale · Σ_rows (h0 − h1_probs).

    `h0` is read as the sampling kernel's 0/1 bytes (`h0_flags`), cast to `pre`'s dtype
    before the subtraction (the same values as the 0/1 floats, so the same sums): the step
    then expands h0 into floats only when a BLAS product needs them. `pre` must not be
    `h1_probs`: LLVM's run-time overlap check would pick the scalar loop.
    `total` (≥ n_hidden elements) is scratch: a buffer passed in, not ``np.zeros`` here,
    which compiled numba's allocation code into this kernel (~0.4 s of cold compile).
    """
    for k in range(n_hidden):
        total[k] = 0.0
    for i in range(rows):
        for k in range(n_hidden):
            p = _logistic(pre[i, k] + bias[k])
            total[k] += pre.dtype.type(h0[i, k]) - p
            h1_probs[i, k] = p
    for k in range(n_hidden):
        d_bias[k] = total[k] * scale


@numba.njit(**_JIT)
def _weight_gradient(v0_bits, h0_bits, dW_t, rows, scale, counts):
    """``dW_t[j, :H] = scale · (P4ᵀ[j] − dW_t[j, :H])``: P4 by popcount, P5ᵀ in dW_t on entry.

    Row j of P4ᵀ is ``counts[k] = Σ_w popcount(v0_bits[w, j] & h0_bits[w, k])``, exact; P5ᵀ
    is in `dW_t` already, by gather or by BLAS. Words of v0's column j that are zero
    contribute nothing and are skipped: on MNIST-like data about 45% of them are (border
    pixels are off in whole mini-batches).
    """
    width = counts.size
    n_words = (rows + _WORD_BITS - 1) // _WORD_BITS
    for j in range(dW_t.shape[0]):
        out = dW_t[j]
        started = False
        for w in range(n_words):
            v_word = v0_bits[w, j]
            if v_word == np.uint64(0):
                continue
            if started:
                for k in range(width):
                    counts[k] += _popcount(v_word & h0_bits[w, k])
            else:
                for k in range(width):
                    counts[k] = _popcount(v_word & h0_bits[w, k])
                started = True
        if not started:
            for k in range(width):
                counts[k] = 0
        for k in range(width):
            # int64 → float through the exponent bits: AVX2 has no vector conversion from
            # int64, and the plain cast (scalar) cost as much as the popcounts.
            count = _float64_from_bits(counts[k] | _EXPONENT_52) - _TWO_52
            out[k] = (out.dtype.type(count) - out[k]) * scale


def coincidence_counts(v_bits: np.ndarray, h_bits: np.ndarray, rows: int) -> np.ndarray:
    """(h0ᵀ v0) as int64 (H, V) from packed column bits of h0 and v0 (for tests and users).

    `v_bits` (words, V) and `h_bits` (words, H) as the kernels pack them: bit ``i − 64w`` of
    word ``w`` is row ``i`` of the batch. (The workspace's h0 bits have the padded number of
    columns; the padding counts zero.) The training kernel computes them: with no P5 and a
    scale of 1 its float64 output is the counts (exact below 2**53).
    """
    counts = np.empty(h_bits.shape[1], dtype=np.int64)
    out = np.zeros((v_bits.shape[1], h_bits.shape[1]), dtype=np.float64)
    _weight_gradient(v_bits, h_bits, out, rows, 1.0, counts)
    return out.astype(np.int64).T


# ---------------------------------------------------------------------------------------------
# The step and the epoch
# ---------------------------------------------------------------------------------------------


def _aligned_zeros(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """Zeros of `shape` whose first element sits on a 64-byte boundary."""
    dtype = np.dtype(dtype)
    size = int(np.prod(shape))
    raw = np.zeros(size + _ALIGN_BYTES // dtype.itemsize, dtype=dtype)
    offset = (-raw.ctypes.data % _ALIGN_BYTES) // dtype.itemsize
    return raw[offset : offset + size].reshape(shape)


class _StepViews:
    """The views of a workspace's buffers that a step of `rows` rows uses, and its scale.

    Made once per batch size (the epoch's full batches share one, the last partial batch
    gets its own), where a step sliced them afresh (~0.1–0.2 µs a view, a dozen a step).
    """

    __slots__ = (
        "h0",
        "h0_flags",
        "h1_probs",
        "hidden_draws",
        "hidden_size",
        "pre",
        "rows",
        "scale",
        "size",
        "v0_flags",
        "v0_states",
        "v1_flags",
        "v1_states",
        "visible_draws",
        "visible_pre",
    )

    def __init__(self, work: BinaryWorkspace, rows: int) -> None:
        n_visible, n_hidden = work.W_t.shape[0], work.n_hidden
        self.rows = rows
        self.scale = work.W_t.dtype.type(1.0 / rows)
        self.size = rows * n_visible
        self.hidden_size = rows * n_hidden
        # The generator's counter advances by one draw per row and unit of each state.
        self.visible_draws = np.uint64(self.size)
        self.hidden_draws = np.uint64(self.hidden_size)
        self.pre = work.hidden_pre[:rows, :n_hidden]
        self.h0 = work.h0_states[:rows]
        self.h0_flags = work.h0_flags[:rows, :n_hidden]
        self.h1_probs = work.h1_probs[:rows, :n_hidden]
        self.visible_pre = work.visible_pre[:rows]
        self.v0_states = work.v0_states[:rows]
        self.v0_flags = work.v0_flags[:rows, :n_visible]
        self.v1_states = work.v1_states[:rows]
        self.v1_flags = work.v1_flags[:rows, :n_visible]


class BinaryWorkspace:
    """The epoch's weight layout and one step's buffers for up to `batch_size` rows.

    ``W_t`` and ``W_speed_t`` are W and its speed transposed to (V, H_padded), rows aligned
    to 64 bytes, padding zero (it stays zero: its gradient is never written).
    """

    def __init__(self, batch_size: int, n_visible: int, n_hidden: int, dtype: np.dtype):
        dtype = np.dtype(dtype)
        self.key = (batch_size, n_visible, n_hidden, dtype)
        padded = -(-n_hidden // _ROW_MULTIPLE) * _ROW_MULTIPLE
        words = -(-batch_size // _WORD_BITS)
        chunks = -(-n_visible // _WORD_BITS)
        hidden_chunks = -(-n_hidden // _WORD_BITS)
        self.n_hidden = n_hidden
        # One more row, of zeros, under W_t and h1_probs: the gathers' padding row.
        self.W_rows = _aligned_zeros((n_visible + 1, padded), dtype)
        self.W_t = self.W_rows[:n_visible]
        # W in the contract's (H, V) layout plus a zero row, for P2's gather: refreshed
        # from W_t by the mini-batches that take it (rows of 64-byte multiples, aligned).
        visible_padded = -(-n_visible // _ROW_MULTIPLE) * _ROW_MULTIPLE
        self.W_hidden_rows = _aligned_zeros((n_hidden + 1, visible_padded), dtype)
        self.W_speed_t = _aligned_zeros((n_visible, padded), dtype)
        self.dW_t = _aligned_zeros((n_visible, padded), dtype)
        self._positive: np.ndarray | None = None
        self._data_lists: DataLists | None = None
        # Whether W_hidden_rows holds W's current rows, and whether the last step used them.
        self.rows_current = False
        self.rows_wanted = False
        self.hidden_pre = _aligned_zeros((batch_size, padded), dtype)
        self.h1_rows = _aligned_zeros((batch_size + 1, padded), dtype)
        self.h1_probs = self.h1_rows[:batch_size]
        self.h0_states = np.zeros((batch_size, n_hidden), dtype=dtype)
        self.visible_pre = np.zeros((batch_size, n_visible), dtype=dtype)
        # Dense 0/1 visible states, only written when a product falls back to BLAS.
        self.v0_states = np.zeros((batch_size, n_visible), dtype=dtype)
        self.v1_states = np.zeros((batch_size, n_visible), dtype=dtype)
        # 0/1 bytes from the sampling kernels, rows padded to whole 64-bit words of bits
        # (the padding stays zero); packed into row bits (B, chunks) and column bits (words, ·).
        self.v0_flags = np.zeros((batch_size, chunks * _WORD_BITS), dtype=np.uint8)
        self.v1_flags = np.zeros((batch_size, chunks * _WORD_BITS), dtype=np.uint8)
        self.h0_flags = np.zeros((batch_size, hidden_chunks * _WORD_BITS), dtype=np.uint8)
        self.v0_flag_words = self.v0_flags.view(np.uint64)
        self.v1_flag_words = self.v1_flags.view(np.uint64)
        self.h0_flag_words = self.h0_flags.view(np.uint64)
        self.v0_row_bits = np.zeros((batch_size, chunks), dtype=np.uint64)
        self.v1_row_bits = np.zeros((batch_size, chunks), dtype=np.uint64)
        self.h0_row_bits = np.zeros((batch_size, hidden_chunks), dtype=np.uint64)
        self.v0_column_bits = np.zeros((words, n_visible), dtype=np.uint64)
        self.v1_column_bits = np.zeros((words, n_visible), dtype=np.uint64)
        self.h0_column_bits = np.zeros((words, padded), dtype=np.uint64)
        # v1's column bits one visible unit a row: P5 is then the same gather as P1 and P3.
        self.v1_columns = np.zeros((n_visible, words), dtype=np.uint64)
        self.v1_column_bits_t = self.v1_column_bits.T
        # The gather's three index lists, of up to max(V, H, B) + 8 entries each.
        self.indices = np.zeros(3 * (max(n_visible, n_hidden, batch_size) + 8), dtype=np.int64)
        self.counts = np.zeros(n_hidden, dtype=np.int64)
        self.visible_sums = np.zeros(n_visible, dtype=dtype)
        self.prob_sums = np.zeros(max(n_visible, n_hidden), dtype=dtype)
        self.d_hidden_bias = np.zeros(n_hidden, dtype=dtype)
        self.d_visible_bias = np.zeros(n_visible, dtype=dtype)
        # (V, H) views of the weights without their padding, made once.
        self.W_view = self.W_t[:, :n_hidden]
        self.W_view_t = self.W_view.T
        self._step_views: dict[int, _StepViews] = {}

    def step_views(self, rows: int) -> _StepViews:
        """The views for a step of `rows` rows (made on first use, then reused)."""
        views = self._step_views.get(rows)
        if views is None:
            if len(self._step_views) >= 4:  # epochs over other row counts: their tails
                self._step_views.clear()
            views = self._step_views[rows] = _StepViews(self, rows)
        return views

    @classmethod
    def reuse(
        cls,
        existing: BinaryWorkspace | None,
        batch_size: int,
        n_visible: int,
        n_hidden: int,
        dtype: np.dtype,
    ) -> BinaryWorkspace:
        """Return `existing` if it has this shape and dtype, else a new workspace."""
        if existing is not None and existing.key == (batch_size, n_visible, n_hidden, dtype):
            return existing
        return cls(batch_size, n_visible, n_hidden, dtype)

    @property
    def data_lists(self) -> DataLists:
        """The mini-batch's non-zero data values, allocated on first use (``sample_data=False``)."""
        if self._data_lists is None:
            batch_size, n_visible, _, dtype = self.key
            self._data_lists = DataLists(batch_size, n_visible, dtype)
            self.batch_rows = np.arange(batch_size, dtype=np.int64)
        return self._data_lists

    @property
    def positive(self) -> np.ndarray:
        """Dense P4ᵀ (V, H_padded), allocated the first time P4 falls back to BLAS."""
        if self._positive is None:
            self._positive = np.zeros_like(self.dW_t)
        return self._positive

    def load(self, W: np.ndarray, W_speed: np.ndarray) -> None:
        """Copy the contract's (H, V) weights and speed into the padded (V, H) layout.

        W's rows also go straight into P2's (H, V) source: a plain copy, where the first
        mini-batch that gathers P2 would otherwise transpose them out of ``W_t``.
        """
        n_hidden, n_visible = W.shape
        self.W_t[:, :n_hidden] = W.T
        self.W_speed_t[:, :n_hidden] = W_speed.T
        self.W_hidden_rows[:n_hidden, :n_visible] = W
        self.rows_current = True

    def store(self, W: np.ndarray, W_speed: np.ndarray) -> None:
        """Copy the padded layout back into the contract's (H, V) arrays, in place.

        W comes from P2's (H, V) source when the last step kept it current (a plain copy of
        the same values; at steady state every step does), else by transposing ``W_t``.
        Each transpose costs ~0.1–0.2 ms at 784 × 300: per epoch, not per mini-batch, but
        it is what a short epoch's time is made of beside its steps.
        """
        n_hidden, n_visible = W.shape
        if self.rows_current:
            W[...] = self.W_hidden_rows[:n_hidden, :n_visible]
        else:
            W[...] = self.W_t[:, :n_hidden].T
        W_speed[...] = self.W_speed_t[:, :n_hidden].T

    def weight_gradient(self) -> np.ndarray:
        """The last step's dW in the contract's (H, V) shape (a new C-contiguous array)."""
        return np.ascontiguousarray(self.dW_t[:, : self.n_hidden].T)


# The products in the order of their bits in a step's path code, and the code's bit for a
# step on the data's values (``sample_data=False``; P1 and P4 then take "sparse" or "dense").
_PRODUCTS = ("v0 W.T", "h0 W", "v1 W.T", "h0.T v0", "h1_probs.T v1")
_ON_VALUES = 1 << len(_PRODUCTS)


def _path_keys(code: int) -> tuple[tuple[str, str], ...]:
    """The ``(product, path)`` keys of `paths` that a step of path code `code` counts."""
    keys = []
    for bit, product in enumerate(_PRODUCTS):
        taken = code >> bit & 1
        if code & _ON_VALUES and product in ("v0 W.T", "h0.T v0"):
            keys.append((product, "sparse" if taken else "dense"))
        else:
            keys.append((product, "binary" if taken else "dense"))
    return tuple(keys)


_PATH_KEYS = tuple(_path_keys(code) for code in range(2 * _ON_VALUES))


def _count_paths(paths: Counter, tally: list[int]) -> None:
    """Add the steps of `tally` (a count per path code) to `paths`, one per product and step."""
    for code, steps in enumerate(tally):
        if steps:
            for key in _PATH_KEYS[code]:
                paths[key] += steps


def _cd1_into(
    work: BinaryWorkspace,
    hidden_bias: np.ndarray,
    visible_bias: np.ndarray,
    v0: np.ndarray,
    uniforms: Uniforms | None,
    key: np.uint64,
    counter: np.uint64,
    limits: DensityLimits,
    tally: list[int] | None = None,
    ones: list[int] | None = None,
    sample_data: bool = True,
) -> np.uint64:
    """One CD-1 gradient of the weights in ``work.W_t`` into ``work.dW_t`` and the biases.

    Uniforms from `uniforms`, or from the generator at (`key`, `counter`) if None. Returns
    the generator's advanced counter. Counts the step in ``tally[code]`` if given (``2 ×
    2**5`` entries), where `code` has bit b set if the product ``_PRODUCTS[b]`` took its
    binary (or sparse) path and bit 5 for a step on the data's values: one list update per
    step, where five Counter updates with tuple keys cost ~1 µs; :func:`_count_paths` turns
    the tally into the `paths` counts. Adds the numbers of ones of v0, h0 and v1 (counted
    while packing their bits anyway) to ``ones[0]``, ``ones[1]``, ``ones[2]`` if given.

    With `sample_data` False the data values are v0: not 0/1, so P1 and P4 either skip the
    data's zeros (at most ``limits.data`` non-zero; ``"sparse"`` in `paths`) or run BLAS on
    the data itself (``"dense"``), and v0's "ones" are its non-zero values.
    """
    rows, n_visible = v0.shape
    n_hidden = work.n_hidden
    step = work.step_views(rows)
    u_v0, u_h0, u_v1 = uniforms if uniforms is not None else (None, None, None)
    pre = work.hidden_pre

    # The counter at h0's and v1's draws and after them, in numpy uint64 (the kernels return
    # the same counters as Python ints: converting each back cost ~0.2 µs).
    counter_h0 = counter + step.visible_draws
    counter_v1 = counter_h0 + step.hidden_draws
    if sample_data:
        _sample_states(
            v0, visible_bias, False, n_visible, rows, u_v0, work.v0_flags, work.visible_sums,
            key, counter,
        )  # fmt: skip
        v0_ones = _pack_bits(
            work.v0_flags, work.v0_flag_words, rows, n_visible, work.v0_row_bits,
            work.v0_column_bits,
        )  # fmt: skip
        v0_density = v0_ones / step.size
        gather_p1 = v0_density <= limits.gather
        popcount = v0_density <= limits.popcount
        code = gather_p1 | popcount << 3
        v0_dense = step.v0_states
    else:
        # No kernel: the counter-based stream skips v0's uniforms as _sample_states would
        # have drawn them (counter_h0), so h0's and v1's are the numba backend's.
        np.sum(v0, axis=0, out=work.visible_sums)
        data = work.data_lists
        v0_ones = data.fill(v0, work.batch_rows, 0, rows, limits.data)
        sparse_data = data.by_column  # at most limits.data non-zero
        gather_p1 = popcount = False
        code = _ON_VALUES | sparse_data | sparse_data << 3
        v0_dense = v0
    if gather_p1:
        _gather_rows(
            work.W_rows, work.v0_row_bits, rows, n_hidden, pre, work.indices, work.v0_row_bits,
            False,
        )  # fmt: skip
    if sample_data and (not gather_p1 or not popcount):
        np.copyto(step.v0_states, step.v0_flags)
    if not sample_data and sparse_data:
        data.times(work.W_t, pre, n_hidden)
    elif not gather_p1:
        np.matmul(v0_dense, work.W_view, out=step.pre)
    _sample_states(
        pre, hidden_bias, True, n_hidden, rows, u_h0, work.h0_flags, work.prob_sums, key,
        counter_h0,
    )  # fmt: skip
    h0_ones = _pack_bits(
        work.h0_flags, work.h0_flag_words, rows, n_hidden, work.h0_row_bits, work.h0_column_bits
    )

    gather_p2 = h0_ones / step.hidden_size <= limits.hidden_gather
    # h0 as 0/1 floats only for a BLAS product (P2 dense, P4 dense or on the data's values);
    # the negative phase reads the bytes.
    h0 = step.h0
    if not gather_p2 or not popcount:
        np.copyto(h0, step.h0_flags)
    work.rows_wanted = gather_p2
    if gather_p2:
        if not work.rows_current:  # the momentum pass keeps them after the first batch
            np.copyto(work.W_hidden_rows[:n_hidden, :n_visible], work.W_view_t)
        _gather_rows(
            work.W_hidden_rows, work.h0_row_bits, rows, n_visible, work.visible_pre,
            work.indices, work.h0_row_bits, False,
        )  # fmt: skip
    else:
        np.matmul(h0, work.W_view_t, out=step.visible_pre)
    _sample_states(
        work.visible_pre, visible_bias, True, n_visible, rows, u_v1, work.v1_flags,
        work.prob_sums, key, counter_v1,
    )  # fmt: skip
    d_visible = work.d_visible_bias
    np.subtract(work.visible_sums, work.prob_sums[:n_visible], out=d_visible)
    d_visible *= step.scale
    v1_ones = _pack_bits(
        work.v1_flags, work.v1_flag_words, rows, n_visible, work.v1_row_bits, work.v1_column_bits
    )
    v1_density = v1_ones / step.size
    gather_p3 = v1_density <= limits.gather
    column_gather = v1_density <= limits.column_gather
    if gather_p3:
        # `pre` still holds P1 = v0 Wᵀ (sampling h0 only read it): rows of v1 close to
        # their v0 are updated from it. Not when v0 is the data's values (no v0 bits).
        _gather_rows(
            work.W_rows, work.v1_row_bits, rows, n_hidden, pre, work.indices, work.v0_row_bits,
            sample_data,
        )  # fmt: skip
    if not gather_p3 or not column_gather:
        np.copyto(step.v1_states, step.v1_flags)
    if not gather_p3:
        np.matmul(step.v1_states, work.W_view, out=step.pre)
    _negative_hidden(
        pre, hidden_bias, n_hidden, rows, work.h0_flags, work.h1_probs, work.d_hidden_bias,
        step.scale, work.prob_sums,
    )  # fmt: skip

    dW_t = work.dW_t
    if column_gather:  # P5ᵀ into dW_t, then combined with P4ᵀ in place
        np.copyto(work.v1_columns, work.v1_column_bits_t)
        _gather_rows(
            work.h1_rows, work.v1_columns, n_visible, n_hidden, dW_t, work.indices,
            work.v1_columns, False,
        )  # fmt: skip
    else:
        np.matmul(step.v1_states.T, step.h1_probs, out=dW_t[:, :n_hidden])
    if popcount:
        _weight_gradient(
            work.v0_column_bits, work.h0_column_bits, dW_t, rows, step.scale, work.counts
        )
    elif not sample_data and sparse_data:  # dW_t = scale · (P4ᵀ − P5ᵀ) in the same pass
        data.transposed_times(h0, dW_t, n_hidden, step.scale)
    else:  # P4ᵀ into its own buffer: dW_t = scale · (P4ᵀ − P5ᵀ) in numpy
        positive = work.positive[:, :n_hidden]
        np.matmul(v0_dense.T, h0, out=positive)
        negative = dW_t[:, :n_hidden]
        np.subtract(positive, negative, out=negative)
        negative *= step.scale
    if tally is not None:
        tally[code | gather_p2 << 1 | gather_p3 << 2 | column_gather << 4] += 1
    if ones is not None:
        ones[0] += v0_ones
        ones[1] += h0_ones
        ones[2] += v1_ones
    return counter_v1 + step.visible_draws


class BinaryBackend(Backend):
    """Gather-add, popcount and column-gather kernels for the products with 0/1 operands.

    Parameters
    ----------
    limits : DensityLimits, optional
        When each product takes its binary kernel; the default chooses by density.
        ``DensityLimits.always()`` / ``DensityLimits.never()`` force one path.
    """

    name = "binary"
    # Its products skip zeros, so an epoch's cost falls as the model learns (h0's density
    # drops): the sweep times it at steady state (rbmperf.sweep.runners.STEADY_STATE_ROWS).
    cost_depends_on_state = True
    description = "numba gather-add / popcount kernels where a product has a 0/1 operand"

    # One workspace per thread: the backend object is shared by every thread.
    _workspace = PerThread()
    # The densities of the calling thread's last epoch (see `epoch_densities`).
    _last_densities = PerThread()

    def __init__(self, limits: DensityLimits | None = None) -> None:
        self.limits = limits if limits is not None else DensityLimits()
        # Compile seconds per (dtype name, sample_data): written once each, by whichever
        # thread prepares it.
        self._prepared: dict[tuple[str, bool], float] = {}
        #: How often each product took each path, counted over this instance's steps.
        self.paths: Counter = Counter()

    @property
    def compile_seconds(self) -> dict[str, float]:
        """Seconds spent compiling (or loading from cache) per dtype in this process.

        The sum over the `sample_data` settings prepared for that dtype.
        """
        seconds: dict[str, float] = {}
        for (name, _), spent in self._prepared.items():
            seconds[name] = seconds.get(name, 0.0) + spent
        return seconds

    def epoch_densities(self) -> dict[str, float] | None:
        """Fractions of ones of v0, h0 and v1 over the calling thread's last epoch.

        ``{"v0": …, "h0": …, "v1": …}``: ones counted while the bits of each mini-batch's
        sampled states are packed (the kernels count them anyway), divided by the epoch's
        units (rows × V for v0 and v1, rows × H for h0); in an epoch with
        ``sample_data=False`` v0's "ones" are the data's non-zero values. None before this
        thread's first epoch. The timing code reads it after a timed epoch (``rbmperf
        bench`` records it with the point); each thread sees only its own epochs.
        """
        return self._last_densities

    def prepare(self, dtype: np.dtype, *, sample_data: bool = True) -> float:
        """Compile (or load from numba's cache) one training path for `dtype`; return seconds.

        Runs a tiny epoch with every binary kernel forced on (the dense fallbacks are numpy
        and BLAS calls: nothing to compile) and `sample_data` as given, so that epochs with
        that setting compile nothing. Each setting compiles only its own kernels: sampling
        the data (the default, as :func:`rbmperf.train_rbm` and the sweep train) never runs
        the kernels that skip the data's zeros (:mod:`rbmperf.backends.sparse_data`,
        0.6–0.9 s of cold compile), and taking the data's values never runs the popcount of
        P4 (0.3–0.4 s). An epoch with a setting not prepared compiles what it lacks itself, on first
        use (once per process, or a load from numba's cache): callers that time epochs
        prepare the setting they time. Later calls for a prepared dtype and setting cost
        nothing and return 0.

        Parameters
        ----------
        dtype : numpy dtype
        sample_data : bool, default True
            The :meth:`run_epoch` setting to compile for.

        Returns
        -------
        float
            Wall seconds spent (0 if already prepared).

        Raises
        ------
        InputError
            If `dtype` is not float32 or float64, or `sample_data` is not a bool.
        """
        dtype, sample_data = check_dtype(dtype), check_bool(sample_data, "sample_data")
        key = (dtype.name, sample_data)
        if key in self._prepared:
            return 0.0
        start = time.perf_counter()
        tiny_epoch(BinaryBackend(DensityLimits.always()), dtype, sample_data=sample_data)
        seconds = time.perf_counter() - start
        self._prepared[key] = seconds
        return seconds

    def cd1(
        self,
        W: np.ndarray,
        hidden_bias: np.ndarray,
        visible_bias: np.ndarray,
        v0: np.ndarray,
        uniforms: Uniforms,
        *,
        sample_data: bool = True,
    ) -> Gradient:
        dtype = W.dtype
        work = BinaryWorkspace(v0.shape[0], W.shape[1], W.shape[0], dtype)
        work.load(W, np.zeros_like(W))
        tally = [0] * len(_PATH_KEYS)
        _cd1_into(
            work,
            np.ascontiguousarray(hidden_bias, dtype=dtype),
            np.ascontiguousarray(visible_bias, dtype=dtype),
            np.ascontiguousarray(v0, dtype=dtype),
            tuple(np.ascontiguousarray(u, dtype=dtype) for u in uniforms),
            np.uint64(0),
            np.uint64(0),
            self.limits,
            tally,
            sample_data=sample_data,
        )
        _count_paths(self.paths, tally)
        return work.weight_gradient(), work.d_hidden_bias, work.d_visible_bias

    def run_epoch(
        self,
        state: TrainingState,
        X: np.ndarray,
        batch_size: int,
        learning_rate: float,
        momentum: float,
        rng: np.random.Generator,
        *,
        sample_data: bool = True,
    ) -> None:
        n_hidden, n_visible = state.W.shape
        rows_max = min(batch_size, X.shape[0])
        work = BinaryWorkspace.reuse(self._workspace, rows_max, n_visible, n_hidden, X.dtype)
        self._workspace = work
        work.load(state.W, state.W_speed)
        # The numba backend's key from the same Generator: the same stream for a seed.
        key = np.uint64(rng.integers(0, 2**63, dtype=np.int64))
        counter = np.uint64(0)
        lr = X.dtype.type(learning_rate)
        m = X.dtype.type(momentum)
        ones = [0, 0, 0]  # of v0, h0, v1 over the epoch: three additions per mini-batch
        tally = [0] * len(_PATH_KEYS)  # steps per path code, into self.paths at the end
        limits = self.limits
        hidden_bias, hidden_speed = state.hidden_bias, state.hidden_speed
        visible_bias, visible_speed = state.visible_bias, state.visible_speed
        try:
            for batch in slice_batches(X, batch_size):
                counter = _cd1_into(
                    work, hidden_bias, visible_bias, batch, None, key, counter, limits, tally,
                    ones, sample_data,
                )  # fmt: skip
                # When P2 gathered, keep W's rows for the next step's.
                _momentum(
                    work.W_t, work.W_speed_t, work.dW_t, work.W_hidden_rows, work.rows_wanted,
                    n_hidden, hidden_bias, hidden_speed, work.d_hidden_bias, visible_bias,
                    visible_speed, work.d_visible_bias, lr, m,
                )  # fmt: skip
                work.rows_current = work.rows_wanted
        finally:  # the steps taken are counted even if one raised, as step by step
            _count_paths(self.paths, tally)
        work.store(state.W, state.W_speed)
        rows = max(X.shape[0], 1)
        self._last_densities = {
            "v0": ones[0] / (rows * n_visible),
            "h0": ones[1] / (rows * n_hidden),
            "v1": ones[2] / (rows * n_visible),
        }


BACKEND = BinaryBackend
