"""CD-1 with numba-compiled element-wise kernels around BLAS matrix products.

The five matrix products go to numpy's BLAS (calling ``np.dot`` inside ``@njit`` would use
scipy's second OpenBLAS copy, and mixing thread pools is slow). Everything between them is
fused into single passes over memory: bias add, logistic, Bernoulli sampling and the
gradient reductions.

Random numbers come from a counter-based generator (SplitMix64 finaliser over a counter),
seeded from the numpy Generator passed to :meth:`NumbaBackend.run_epoch`: reproducible for a
seed, and several times faster than numpy's Generator or numba's own ``np.random``.
"""

from __future__ import annotations

import math
import time

import numba
import numpy as np

from .base import Backend, Gradient, TrainingState, Uniforms, Workspace, slice_batches

_JIT = {"nogil": True, "cache": True, "error_model": "numpy"}


@numba.njit(**_JIT)
def _logistic(x):
    return 0.5 * math.tanh(0.5 * x) + 0.5


@numba.njit(**_JIT)
def _sample_states(probs, uniforms, states):
    rows, cols = probs.shape
    for i in range(rows):
        for j in range(cols):
            states[i, j] = 1.0 if probs[i, j] > uniforms[i, j] else 0.0


@numba.njit(**_JIT)
def _hidden_states(pre, bias, uniforms, states):
    """states = logistic(pre + bias) > uniforms."""
    rows, cols = pre.shape
    for i in range(rows):
        for j in range(cols):
            p = _logistic(pre[i, j] + bias[j])
            states[i, j] = 1.0 if p > uniforms[i, j] else 0.0


@numba.njit(**_JIT)
def _reconstruction(pre, bias, uniforms, data, states, d_bias, scale):
    """states = logistic(pre + bias) > uniforms; d_bias = mean(data − probs)."""
    rows, cols = pre.shape
    for j in range(cols):
        d_bias[j] = 0.0
    for i in range(rows):
        for j in range(cols):
            p = _logistic(pre[i, j] + bias[j])
            states[i, j] = 1.0 if p > uniforms[i, j] else 0.0
            d_bias[j] += data[i, j] - p
    for j in range(cols):
        d_bias[j] *= scale


@numba.njit(**_JIT)
def _negative_hidden(pre, bias, h0_states, h1_out, d_bias, scale):
    """h1 = logistic(pre + bias); d_bias = mean(h0 − h1); then h0 *= scale, h1_out = −h1·scale.

    `pre` and `h1_out` may be the same array.
    """
    rows, cols = pre.shape
    for j in range(cols):
        d_bias[j] = 0.0
    for i in range(rows):
        for j in range(cols):
            p = _logistic(pre[i, j] + bias[j])
            h0 = h0_states[i, j]
            d_bias[j] += h0 - p
            h0_states[i, j] = h0 * scale
            h1_out[i, j] = -p * scale
    for j in range(cols):
        d_bias[j] *= scale


@numba.njit(**_JIT)
def _momentum(param, speed, grad, learning_rate, momentum):
    flat_param = param.reshape(-1)
    flat_speed = speed.reshape(-1)
    flat_grad = grad.reshape(-1)
    for k in range(flat_param.size):
        s = momentum * flat_speed[k] + flat_grad[k]
        flat_speed[k] = s
        flat_param[k] += learning_rate * s


@numba.njit(**_JIT)
def _splitmix64(key, index):
    z = key + index * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@numba.njit(**_JIT)
def _fill_uniforms_float64(out, key, counter):
    """Fill `out` with uniforms in [0, 1) (53-bit); return the advanced counter."""
    flat = out.reshape(-1)
    # Explicit casts: numba unifies uint64 with int64 as float64, which would corrupt bits.
    key = np.uint64(key)
    start = np.uint64(counter)
    for k in range(flat.size):
        bits = _splitmix64(key, start + np.uint64(k))
        flat[k] = np.float64(bits >> np.uint64(11)) * 1.1102230246251565e-16
    return start + np.uint64(flat.size)


@numba.njit(**_JIT)
def _fill_uniforms_float32(out, key, counter):
    """Fill `out` with uniforms in [0, 1) (24-bit); return the advanced counter."""
    flat = out.reshape(-1)
    # Explicit casts: numba unifies uint64 with int64 as float64, which would corrupt bits.
    key = np.uint64(key)
    start = np.uint64(counter)
    for k in range(flat.size):
        bits = _splitmix64(key, start + np.uint64(k))
        flat[k] = np.float32(bits >> np.uint64(40)) * np.float32(5.9604644775390625e-08)
    return start + np.uint64(flat.size)


_FILL_UNIFORMS = {"float32": _fill_uniforms_float32, "float64": _fill_uniforms_float64}


def _cd1_into(
    work: Workspace,
    W: np.ndarray,
    hidden_bias: np.ndarray,
    visible_bias: np.ndarray,
    v0: np.ndarray,
    uniforms: Uniforms,
) -> None:
    rows = v0.shape[0]
    u_v0, u_h0, u_v1 = uniforms
    v0_states = work.right[:rows]
    v1_states = work.right[rows : 2 * rows]
    h0_states = work.left[:rows]
    h1_scaled = work.left[rows : 2 * rows]
    hidden_pre = work.hidden_pre[:rows]
    visible_pre = work.visible_pre[:rows]
    scale = W.dtype.type(1.0 / rows)

    _sample_states(v0, u_v0, v0_states)
    np.matmul(v0_states, W.T, out=hidden_pre)
    _hidden_states(hidden_pre, hidden_bias, u_h0, h0_states)
    np.matmul(h0_states, W, out=visible_pre)
    _reconstruction(visible_pre, visible_bias, u_v1, v0, v1_states, work.d_visible_bias, scale)
    np.matmul(v1_states, W.T, out=h1_scaled)
    _negative_hidden(h1_scaled, hidden_bias, h0_states, h1_scaled, work.d_hidden_bias, scale)
    np.matmul(work.left[: 2 * rows].T, work.right[: 2 * rows], out=work.dW)


class NumbaBackend(Backend):
    """numba-fused element-wise kernels, BLAS products, counter-based RNG."""

    name = "numba"
    description = "numba @njit fused kernels around BLAS products; counter-based RNG"

    def __init__(self) -> None:
        self._workspace: Workspace | None = None
        self._prepared: dict[str, float] = {}

    @property
    def compile_seconds(self) -> dict[str, float]:
        """Seconds spent compiling (or loading from cache) per dtype in this process."""
        return dict(self._prepared)

    def prepare(self, dtype: np.dtype) -> float:
        """Compile (or load from numba's cache) every kernel for `dtype`; return seconds.

        Later calls for the same dtype cost nothing and return 0.
        """
        dtype = np.dtype(dtype)
        if dtype.name in self._prepared:
            return 0.0
        start = time.perf_counter()
        n_visible, n_hidden, rows = 3, 2, 2
        W = np.zeros((n_hidden, n_visible), dtype=dtype)
        state = TrainingState.starting_from(
            W, np.zeros(n_hidden, dtype=dtype), np.zeros(n_visible, dtype=dtype)
        )
        X = np.zeros((rows, n_visible), dtype=dtype)
        self.run_epoch(state, X, rows, 0.1, 0.9, np.random.default_rng(0))
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
    ) -> None:
        n_hidden, n_visible = state.W.shape
        rows_max = min(batch_size, X.shape[0])
        work = Workspace.reuse(self._workspace, rows_max, n_visible, n_hidden, X.dtype)
        self._workspace = work
        key = np.uint64(rng.integers(0, 2**63, dtype=np.int64))
        counter = np.uint64(0)
        fill_uniforms = _FILL_UNIFORMS[X.dtype.name]
        lr = X.dtype.type(learning_rate)
        m = X.dtype.type(momentum)
        for batch in slice_batches(X, batch_size):
            uniforms = work.uniforms(batch.shape[0])
            for buffer in uniforms:
                counter = np.uint64(fill_uniforms(buffer, key, counter))
            _cd1_into(work, state.W, state.hidden_bias, state.visible_bias, batch, uniforms)
            _momentum(state.W, state.W_speed, work.dW, lr, m)
            _momentum(state.hidden_bias, state.hidden_speed, work.d_hidden_bias, lr, m)
            _momentum(state.visible_bias, state.visible_speed, work.d_visible_bias, lr, m)


BACKEND = NumbaBackend
