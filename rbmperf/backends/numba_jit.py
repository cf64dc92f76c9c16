"""CD-1 with numba-compiled element-wise kernels around BLAS matrix products.

The five matrix products go to numpy's BLAS (calling ``np.dot`` inside ``@njit`` would use
scipy's second OpenBLAS copy, and mixing thread pools is slow); the two outer products are
one fused product. Everything between them is fused into single passes over memory: bias
add, logistic, random draw, Bernoulli sampling and the gradient reductions; the momentum
update of all three parameters is one more pass.

Two things make those passes fast enough to leave the step at its floor:

* **A logistic that vectorises.** This llvmlite has no SVML, so ``math.tanh`` or
  ``math.exp`` in a loop stay scalar calls (about 19 ns each; they made the step 1.9× its
  floor). ``exp`` is written out instead, inside :func:`_logistic64`: range reduction ``z =
  n ln 2 + r`` with a two-part ``ln 2``, a degree-13 Taylor polynomial for ``e**r`` on ``|r|
  ≤ ln2/2``, and the scaling by ``2**n`` built directly in the exponent bits. It is within 3
  ulp of the correctly rounded ``exp`` (measured over 2·10⁶ arguments) and LLVM turns the
  loops into SIMD code. float32 runs use :func:`_logistic32` (degree 7, float32 constants, 8
  lanes a vector): the logistic is within 1.2 ulp of the float64 formula rounded to float32.
* **Random numbers drawn where they are used.** A counter-based generator (the SplitMix64
  finaliser over a counter, keyed from the numpy Generator passed to
  :meth:`NumbaBackend.run_epoch`) needs no state between values, so each kernel computes
  its uniforms in the same loop that compares them, vectorised too: no uniform buffers.
  The stream is reproducible for a seed. Uniforms have 53 random bits in float64 runs and
  the top 24 of the same bits in float32 runs (compared in float32, 8 lanes a vector).

:meth:`NumbaBackend.cd1` runs the very same kernels with the caller's uniforms instead of
the generator (the kernels are specialised on ``uniforms=None`` at compile time).

With ``sample_data=False`` (the data values as the positive phase's visible states) numpy
copies and sums the mini-batch in place of :func:`_sample_data`: no kernel more to
compile, and the counter skips the uniforms that kernel would have drawn.
"""

from __future__ import annotations

import time

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic, overload

from ..validation import check_bool, check_dtype
from .base import Backend, Gradient, TrainingState, Uniforms, Workspace, slice_batches, tiny_epoch

# error_model="numpy": a division need not check for zero, so loops with one vectorise.
_JIT = {"nogil": True, "cache": True, "error_model": "numpy"}
# Small helpers are ordinary @njit functions: LLVM inlines them into the kernels. numba's own
# IR-level inline="always" gave the same machine code but compiled 30-50% slower.
_INLINE = _JIT

_LOG2_E = 1.4426950408889634
# ln 2 split so that n * _LN2_HIGH is exact for |n| < 2**11.
_LN2_HIGH = 6.93147180369123816490e-01
_LN2_LOW = 1.90821492927058770002e-10
_UNIT_53 = 1.1102230246251565e-16  # 2**-53
_UNIT_24 = 5.9604644775390625e-08  # 2**-24


@intrinsic
def _float64_from_bits(typingctx, bits):
    """Reinterpret an int64 as the float64 with the same bits (an LLVM bitcast)."""
    if not isinstance(bits, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


def _logistic64(x):
    """``1 / (1 + e**-x)`` in float64; saturates cleanly to about 1e-308 and 1.

    ``e**-x`` is written out, clamped to [-708, 709] (no overflow, no subnormals): range
    reduction with a two-part ln 2, a degree-13 Taylor polynomial (truncation error below
    2**-56 for ``|r| <= ln2/2``) and the scaling by ``2**n`` built in the exponent bits.
    A plain function: compiled as the float64 implementation of :func:`_logistic` (one
    compiled function, where separate ``exp`` and clamp helpers each cost their own
    compile), and run as Python under ``NUMBA_DISABLE_JIT=1``.
    """
    z = -np.float64(x)
    z = -708.0 if z < -708.0 else (709.0 if z > 709.0 else z)
    n = np.floor(z * _LOG2_E + 0.5)
    r = (z - n * _LN2_HIGH) - n * _LN2_LOW
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    return 1.0 / (1.0 + p * _float64_from_bits((np.int64(n) + 1023) << 52))


@intrinsic
def _float32_from_bits(typingctx, bits):
    """Reinterpret an int32 as the float32 with the same bits (an LLVM bitcast)."""
    if not isinstance(bits, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())

    return types.float32(types.int32), codegen


_F32 = np.float32

if numba.config.DISABLE_JIT:  # pure Python (coverage runs): intrinsics cannot be called

    def _float64_from_bits(bits):
        return np.int64(bits).view(np.float64)

    def _float32_from_bits(bits):
        return np.int32(bits).view(np.float32)


def _logistic32(x):
    """The logistic in float32 arithmetic (8 lanes a vector), ``e**-x`` clamped to [-87, 88].

    As :func:`_logistic64` with float32 constants and a degree-7 polynomial (truncation
    error below 2**-26 for ``|r| <= ln2/2``).
    """
    z = -x
    z = _F32(-87.0) if z < _F32(-87.0) else (_F32(88.0) if z > _F32(88.0) else z)
    n = np.floor(z * _F32(_LOG2_E) + _F32(0.5))
    r = (z - n * _F32(0.693359375)) - n * _F32(-2.12194440e-4)
    p = _F32(1.0 / 5040.0)
    p = p * r + _F32(1.0 / 720.0)
    p = p * r + _F32(1.0 / 120.0)
    p = p * r + _F32(1.0 / 24.0)
    p = p * r + _F32(1.0 / 6.0)
    p = p * r + _F32(0.5)
    p = p * r + _F32(1.0)
    p = p * r + _F32(1.0)
    exp = p * _float32_from_bits((np.int32(n) + np.int32(127)) << np.int32(23))
    return _F32(1.0) / (_F32(1.0) + exp)


def _logistic(x):
    """The logistic of `x`, in the arithmetic of `x`'s type (float32 or float64).

    Compiled code uses the `@overload` below; this body serves ``NUMBA_DISABLE_JIT=1``.
    """
    if isinstance(x, np.float32):
        return _logistic32(x)
    return _logistic64(x)


@overload(_logistic, **_INLINE)
def _logistic_impl(x):
    return _logistic32 if x == types.float32 else _logistic64


@numba.njit(**_INLINE)
def _splitmix64(key, index):
    z = key + index * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _drawn_float64(uniforms, i, j, key, index, like):
    """The generator's uniform at `index` as a float64 in [0, 1): its top 53 bits."""
    return np.float64(_splitmix64(key, index) >> np.uint64(11)) * _UNIT_53


def _drawn_float32(uniforms, i, j, key, index, like):
    """The same draw as a float32 in [0, 1): the top 24 bits (exact: never rounds up to 1)."""
    return _F32(np.int32(_splitmix64(key, index) >> np.uint64(40))) * _F32(_UNIT_24)


def _given(uniforms, i, j, key, index, like):
    return uniforms[i, j]


def _uniform(uniforms, i, j, key, index, like):
    """The uniform for ``(i, j)``: ``uniforms[i, j]``, or drawn in `like`'s dtype if None.

    Compiled code uses the `@overload` below; this body serves ``NUMBA_DISABLE_JIT=1``.
    """
    if uniforms is not None:
        return _given(uniforms, i, j, key, index, like)
    if like.dtype == np.float32:
        return _drawn_float32(uniforms, i, j, key, index, like)
    return _drawn_float64(uniforms, i, j, key, index, like)


@overload(_uniform, **_INLINE)
def _uniform_impl(uniforms, i, j, key, index, like):
    # The implementations are plain functions compiled here: no wrapper to compile.
    if not isinstance(uniforms, types.NoneType):
        return _given
    # float32 compares stay in 8-lane float32 arithmetic.
    return _drawn_float32 if like.dtype == types.float32 else _drawn_float64


@numba.njit(**_JIT)
def _fill_uniforms(out, key, counter):
    """Fill `out` with the generator's uniforms from `counter` on; return the new counter.

    These are exactly the values the kernels of `out`'s dtype draw at the same key and
    counters (float32: the top 24 of the same bits as float64's 53).
    """
    flat = out.reshape(-1)
    key, start = np.uint64(key), np.uint64(counter)
    for k in range(flat.size):
        flat[k] = _uniform(None, 0, 0, key, start + np.uint64(k), flat)
    return start + np.uint64(flat.size)


# Stand-alone draws of the kernels' stream, for tests and for anyone who wants the numbers.
_FILL_UNIFORMS = {"float32": _fill_uniforms, "float64": _fill_uniforms}


@numba.njit(**_JIT)
def _sample_data(data, uniforms, states, column_sums, key, counter):
    """states = data > uniform; column_sums = Σ_rows data; return the advanced counter.

    Summing the data here, while it streams through for sampling, spares
    :func:`_reconstruction` a second read of the mini-batch.
    """
    rows, cols = data.shape
    # numba would unify a uint64 with an int64 as float64, corrupting the bits: cast.
    key, counter = np.uint64(key), np.uint64(counter)
    for j in range(cols):
        column_sums[j] = 0.0
    for i in range(rows):
        base = counter + np.uint64(i * cols)
        for j in range(cols):
            value = data[i, j]
            u = _uniform(uniforms, i, j, key, base + np.uint64(j), states)
            states[i, j] = 1.0 if value > u else 0.0
            column_sums[j] += value
    return counter + np.uint64(rows * cols)


@numba.njit(**_JIT)
def _hidden_states(pre, bias, uniforms, states, key, counter):
    """states = logistic(pre + bias) > uniform; return the advanced counter."""
    rows, cols = pre.shape
    # numba would unify a uint64 with an int64 as float64, corrupting the bits: cast.
    key, counter = np.uint64(key), np.uint64(counter)
    for i in range(rows):
        base = counter + np.uint64(i * cols)
        for j in range(cols):
            p = _logistic(pre[i, j] + bias[j])
            u = _uniform(uniforms, i, j, key, base + np.uint64(j), states)
            states[i, j] = 1.0 if p > u else 0.0
    return counter + np.uint64(rows * cols)


@numba.njit(**_JIT)
def _reconstruction(pre, bias, uniforms, column_sums, states, d_bias, scale, key, counter):
    """states = logistic(pre + bias) > uniform; d_bias = scale · (column_sums − Σ_rows probs)."""
    rows, cols = pre.shape
    # numba would unify a uint64 with an int64 as float64, corrupting the bits: cast.
    key, counter = np.uint64(key), np.uint64(counter)
    # Sums in the data's dtype: float64 sums in float32 runs cost a third of this kernel
    # (widening every lane); 100-row float32 sums are good to about 1e-6 relative.
    prob_sums = np.zeros(cols, dtype=pre.dtype)
    for i in range(rows):
        base = counter + np.uint64(i * cols)
        for j in range(cols):
            p = _logistic(pre[i, j] + bias[j])
            u = _uniform(uniforms, i, j, key, base + np.uint64(j), states)
            states[i, j] = 1.0 if p > u else 0.0
            prob_sums[j] += p
    for j in range(cols):
        d_bias[j] = (column_sums[j] - prob_sums[j]) * scale
    return counter + np.uint64(rows * cols)


@numba.njit(**_JIT)
def _negative_hidden(pre, bias, h0_states, h1_out, d_bias, scale):
    """h1 = logistic(pre + bias); d_bias = scale · Σ_rows (h0 − h1).

    Then scales for the fused outer product: h0 *= scale, h1_out = −scale · h1. `pre` must
    not be `h1_out`: LLVM's run-time overlap check would then pick the scalar loop (3× slower).
    """
    rows, cols = pre.shape
    total = np.zeros(cols, dtype=pre.dtype)
    for i in range(rows):
        for j in range(cols):
            p = _logistic(pre[i, j] + bias[j])
            h0 = h0_states[i, j]
            total[j] += h0 - p
            h0_states[i, j] = h0 * scale
            h1_out[i, j] = -p * scale
    for j in range(cols):
        d_bias[j] = total[j] * scale


@numba.njit(**_JIT)
def _momentum_all(
    W, W_speed, dW, hidden_bias, hidden_speed, d_hidden, visible_bias, visible_speed,
    d_visible, learning_rate, momentum,
):  # fmt: skip
    """The blog's momentum rule on all three parameters, given as flat (1-D) views.

    ``speed = momentum · speed + grad; param += learning_rate · speed``. One loop over the
    three (param, speed, grad) triples: a per-parameter helper would be one more compile.
    """
    triples = (
        (W, W_speed, dW),
        (hidden_bias, hidden_speed, d_hidden),
        (visible_bias, visible_speed, d_visible),
    )
    for param, speed, grad in triples:
        for k in range(param.size):
            s = momentum * speed[k] + grad[k]
            speed[k] = s
            param[k] += learning_rate * s


def _cd1_into(
    work: Workspace,
    W: np.ndarray,
    hidden_bias: np.ndarray,
    visible_bias: np.ndarray,
    v0: np.ndarray,
    uniforms: Uniforms | None,
    key: np.uint64,
    counter: np.uint64,
    sample_data: bool = True,
) -> np.uint64:
    """One CD-1 gradient into the workspace; uniforms from `uniforms` or the generator.

    Returns the generator's advanced counter. With `sample_data` False the data values are
    the positive phase's visible states.
    """
    rows = v0.shape[0]
    u_v0, u_h0, u_v1 = uniforms if uniforms is not None else (None, None, None)
    v0_states = work.right[:rows]
    v1_states = work.right[rows : 2 * rows]
    h0_states = work.left[:rows]
    h1_scaled = work.left[rows : 2 * rows]
    hidden_pre = work.hidden_pre[:rows]
    visible_pre = work.visible_pre[:rows]
    scale = W.dtype.type(1.0 / rows)

    if sample_data:
        counter = np.uint64(_sample_data(v0, u_v0, v0_states, work.visible_sums, key, counter))
    else:
        # numpy, not a kernel: nothing more to compile. The stream is counter-based, so
        # skipping v0's uniforms and advancing past them leaves h0's and v1's in place.
        np.copyto(v0_states, v0)
        np.sum(v0, axis=0, out=work.visible_sums)
        counter = np.uint64(counter) + np.uint64(v0.size)
    np.matmul(v0_states, W.T, out=hidden_pre)
    counter = np.uint64(_hidden_states(hidden_pre, hidden_bias, u_h0, h0_states, key, counter))
    np.matmul(h0_states, W, out=visible_pre)
    sums, d_visible = work.visible_sums, work.d_visible_bias
    counter = _reconstruction(
        visible_pre, visible_bias, u_v1, sums, v1_states, d_visible, scale, key, counter
    )
    counter = np.uint64(counter)  # numba returns a uint64 as a Python int
    np.matmul(v1_states, W.T, out=hidden_pre)
    _negative_hidden(hidden_pre, hidden_bias, h0_states, h1_scaled, work.d_hidden_bias, scale)
    np.matmul(work.left[: 2 * rows].T, work.right[: 2 * rows], out=work.dW)
    return counter


class NumbaBackend(Backend):
    """numba-fused element-wise kernels, BLAS products, counter-based RNG."""

    name = "numba"
    description = "numba @njit fused kernels (SIMD logistic, inline RNG) around BLAS products"

    def __init__(self) -> None:
        # Compile seconds per dtype: written once per dtype, by whichever thread compiles.
        self._prepared: dict[str, float] = {}

    @property
    def compile_seconds(self) -> dict[str, float]:
        """Seconds spent compiling (or loading from cache) per dtype in this process."""
        return dict(self._prepared)

    def prepare(self, dtype: np.dtype, *, sample_data: bool = True) -> float:
        """Compile (or load from numba's cache) every kernel for `dtype`; return seconds.

        Both `sample_data` settings run the same kernels (taking the data's values is numpy
        calls), so the setting changes nothing here. Later calls for the same dtype cost
        nothing and return 0.
        """
        dtype = check_dtype(dtype)
        check_bool(sample_data, "sample_data")
        if dtype.name in self._prepared:
            return 0.0
        start = time.perf_counter()
        tiny_epoch(self, dtype)
        seconds = time.perf_counter() - start
        self._prepared[dtype.name] = seconds
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
        work = Workspace(v0.shape[0], W.shape[1], W.shape[0], W.dtype)
        dtype = W.dtype
        _cd1_into(
            work,
            np.ascontiguousarray(W),
            np.ascontiguousarray(hidden_bias, dtype=dtype),
            np.ascontiguousarray(visible_bias, dtype=dtype),
            np.ascontiguousarray(v0, dtype=dtype),
            tuple(np.ascontiguousarray(u, dtype=dtype) for u in uniforms),
            np.uint64(0),
            np.uint64(0),
            sample_data,
        )
        return work.dW, work.d_hidden_bias, work.d_visible_bias

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
        work = self.workspace(rows_max, n_visible, n_hidden, X.dtype, uniforms=False)
        key = np.uint64(rng.integers(0, 2**63, dtype=np.int64))
        counter = np.uint64(0)
        lr = X.dtype.type(learning_rate)
        m = X.dtype.type(momentum)
        # Flat views: one 1-D momentum kernel serves all three parameters (less to compile).
        flat = [a.reshape(-1) for a in (state.W, state.W_speed, work.dW)]
        for batch in slice_batches(X, batch_size):
            counter = _cd1_into(
                work, state.W, state.hidden_bias, state.visible_bias, batch, None, key, counter,
                sample_data,
            )  # fmt: skip
            _momentum_all(
                *flat,
                state.hidden_bias, state.hidden_speed, work.d_hidden_bias,
                state.visible_bias, state.visible_speed, work.d_visible_bias,
                lr, m,
            )  # fmt: skip


BACKEND = NumbaBackend
