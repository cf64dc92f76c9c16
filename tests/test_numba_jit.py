"""The numba backend's own machinery: its logistic, its generator, its fused kernels."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

pytest.importorskip("numba")

import numba

import rbmperf
from rbmperf.backends import numba_jit
from rbmperf.backends.base import TrainingState, Workspace


@numba.njit(cache=False)
def _logistic_of(x, out):
    for k in range(x.size):
        out[k] = numba_jit._logistic(x[k])


def _arguments(dtype, n=200_000):
    rng = np.random.default_rng(11)
    wide = rng.normal(0.0, 15.0, n)
    ramp = np.linspace(-60.0, 60.0, 50_001)
    huge = np.finfo(dtype).max
    edges = [0.0, -0.0, 1e-30, -1e-30, 1e-8, -1e-8, 700.0, -700.0, 1e4, -1e4, huge, -huge]
    edges += [np.inf, -np.inf]
    return np.concatenate([wide, ramp, edges]).astype(dtype)


def test_logistic_float64_is_within_a_few_ulp_of_the_textbook_formula():
    x = _arguments(np.float64)
    out = np.empty_like(x)
    _logistic_of(x, out)
    with np.errstate(over="ignore"):
        exact = 1.0 / (1.0 + np.exp(-x))
    # Absolute error: what a Bernoulli draw or a gradient sees. The polynomial exp is within
    # 3 ulp, so the logistic is within a few units of 2**-53 wherever it is near 1.
    assert np.max(np.abs(out - exact)) <= 4 * 2.0**-53
    # Relative error where the value is representable without saturation.
    normal = np.abs(x) < 700
    relative = np.abs(out[normal] - exact[normal]) / exact[normal]
    assert relative.max() <= 8 * 2.0**-53


def test_logistic_float32_is_within_two_ulp_and_uses_float32():
    x = _arguments(np.float32)
    out = np.empty_like(x)
    _logistic_of(x, out)
    with np.errstate(over="ignore"):
        exact = 1.0 / (1.0 + np.exp(-x.astype(np.float64)))
    assert np.max(np.abs(out - exact)) <= 2 * 2.0**-24
    normal = exact > 1e-30
    assert np.max(np.abs(out[normal] - exact[normal]) / exact[normal]) <= 4 * 2.0**-24


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logistic_saturates_cleanly(dtype):
    x = np.array([-1e30, -1e4, -800.0, -90.0, 0.0, 90.0, 800.0, 1e4, 1e30], dtype=dtype)
    out = np.empty_like(x)
    _logistic_of(x, out)
    assert np.all(np.isfinite(out))
    assert np.all((out >= 0.0) & (out <= 1.0))
    assert np.all(np.diff(out) >= 0.0), "logistic must be monotone"
    assert out[4] == 0.5
    assert out[-1] == 1.0 and out[0] < 1e-30


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernels_draw_exactly_the_generators_stream(dtype):
    """The fused RNG path equals the contract path fed with the generator's uniforms.

    `_FILL_UNIFORMS[dtype]` writes the stream at counters 0, 1, ...; the kernels must draw
    the same values in the contract's order (u_v0, u_h0, u_v1), so one step with uniforms
    drawn inside the kernels is bitwise the step with those uniforms passed in.
    """
    rng = np.random.default_rng(5)
    n_hidden, n_visible, rows = 24, 40, 17
    W = rng.normal(0.0, 0.5, (n_hidden, n_visible)).astype(dtype)
    hidden_bias = rng.normal(0.0, 0.5, n_hidden).astype(dtype)
    visible_bias = rng.normal(0.0, 0.5, n_visible).astype(dtype)
    v0 = rng.random((rows, n_visible)).astype(dtype)
    key = np.uint64(123456789)

    shapes = ((rows, n_visible), (rows, n_hidden), (rows, n_visible))
    uniforms = [np.empty(shape, dtype=dtype) for shape in shapes]
    fill = numba_jit._FILL_UNIFORMS[np.dtype(dtype).name]
    counter = np.uint64(0)
    for buffer in uniforms:
        counter = np.uint64(fill(buffer, key, counter))

    drawn = Workspace(rows, n_visible, n_hidden, dtype, uniforms=False)
    end = numba_jit._cd1_into(drawn, W, hidden_bias, visible_bias, v0, None, key, np.uint64(0))
    given = Workspace(rows, n_visible, n_hidden, dtype)
    numba_jit._cd1_into(given, W, hidden_bias, visible_bias, v0, tuple(uniforms), key, end)

    assert end == counter == rows * (2 * n_visible + n_hidden)
    for name in ("dW", "d_hidden_bias", "d_visible_bias", "left", "right"):
        np.testing.assert_array_equal(getattr(drawn, name), getattr(given, name), err_msg=name)


def test_drawn_states_follow_their_probabilities():
    # 64,000 draws at p = 0.3: the standard error of the mean is 0.0018; 0.01 is 5.5 sigma.
    data = np.full((80, 800), 0.3)
    states = np.empty_like(data)
    sums = np.full(data.shape[1], np.nan)
    counter = numba_jit._sample_data(data, None, states, sums, np.uint64(99), np.uint64(0))
    assert counter == data.size
    np.testing.assert_allclose(sums, data.sum(axis=0), rtol=1e-14)
    assert set(np.unique(states)) <= {0.0, 1.0}
    assert abs(states.mean() - 0.3) < 0.01
    # successive rows use successive counters: no row repeats another
    assert len({row.tobytes() for row in states}) == states.shape[0]


def test_run_epoch_keeps_no_uniform_buffers_and_little_memory():
    backend = rbmperf.get_backend("numba")
    backend.prepare(np.float64)
    n_visible, n_hidden, batch = 784, 300, 100
    X = np.random.default_rng(0).random((1_000, n_visible))
    init = rbmperf.initial_rbm(n_visible, n_hidden)
    state = TrainingState.starting_from(init.W, init.hidden_bias, init.visible_bias)
    tracemalloc.start()
    try:
        backend.run_epoch(state, X, batch, 0.1, 0.9, np.random.default_rng(1))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    work = backend._thread_workspace  # this thread's, kept for its next epoch
    assert work.uniform_v0.size == work.uniform_h0.size == work.uniform_v1.size == 0
    # The workspace (dW, the stacked states, two pre-activation buffers) is about 4.5 MB
    # here; the budget for one epoch beyond data and model is 50 MB.
    assert peak < 8e6


def test_cd1_accepts_non_contiguous_and_other_dtype_inputs():
    rng = np.random.default_rng(2)
    W = np.asfortranarray(rng.normal(0.0, 0.5, (6, 9)))
    v0 = rng.random((4, 9))
    uniforms = (rng.random((4, 9)), rng.random((4, 6)), rng.random((4, 9)))
    backend = rbmperf.get_backend("numba")
    fortran = backend.cd1(W, np.zeros(6), np.zeros(9), v0, uniforms)
    contiguous = backend.cd1(np.ascontiguousarray(W), np.zeros(6), np.zeros(9), v0, uniforms)
    for a, b in zip(fortran, contiguous, strict=True):
        np.testing.assert_array_equal(a, b)
