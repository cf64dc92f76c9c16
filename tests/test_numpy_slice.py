"""The numpy backend's fast epoch is the contract's plain epoch, only faster."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from conftest import structured_data

import rbmperf
from rbmperf.backends.base import Backend, TrainingState
from rbmperf.backends.numpy_slice import _CHUNK_BYTES, NumpyBackend, _chunks


def _state(n_visible, n_hidden, dtype):
    init = rbmperf.initial_rbm(n_visible, n_hidden, dtype=dtype)
    return TrainingState.starting_from(init.W, init.hidden_bias, init.visible_bias)


@pytest.mark.parametrize("sample_data", [True, False], ids=["sampled", "values"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("n_samples", "batch_size"), [(230, 50), (200, 200), (101, 25)])
def test_fast_epoch_is_bitwise_the_plain_epoch(dtype, n_samples, batch_size, sample_data):
    # The plain epoch (Backend.run_epoch: draw_uniforms, cd1, momentum_step) defines the
    # arithmetic; the fast one reuses buffers and chunks the momentum pass but must consume
    # the Generator identically and round identically.
    X = structured_data(n_samples).astype(dtype)
    n_hidden = 300 if dtype == "float64" else 40  # 300 × 64 float64 spans several chunks
    fast, plain = _state(X.shape[1], n_hidden, dtype), _state(X.shape[1], n_hidden, dtype)
    backend = NumpyBackend()
    for epoch in range(2):
        settings = (batch_size, 0.1, 0.9, np.random.default_rng(epoch))
        backend.run_epoch(fast, X, *settings, sample_data=sample_data)
        settings = (batch_size, 0.1, 0.9, np.random.default_rng(epoch))
        Backend.run_epoch(backend, plain, X, *settings, sample_data=sample_data)
    for name in ("W", "hidden_bias", "visible_bias", "W_speed", "hidden_speed", "visible_speed"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(plain, name), err_msg=name)


def test_chunks_cover_every_element_once_as_views():
    a = np.arange(300 * 784, dtype=np.float64).reshape(300, 784)
    b = -a
    chunks = _chunks(a, b)
    assert len(chunks) == round(a.nbytes / _CHUNK_BYTES) > 1
    joined = np.concatenate([first for first, _ in chunks])
    np.testing.assert_array_equal(joined, a.reshape(-1))
    for first, second in chunks:
        assert np.shares_memory(first, a) and np.shares_memory(second, b)
        np.testing.assert_array_equal(second, -first)


def test_small_or_single_precision_arrays_stay_whole():
    assert len(_chunks(np.zeros((300, 784), dtype=np.float32))) == 1
    assert len(_chunks(np.zeros((3, 4)))) == 1


def test_one_epoch_allocates_little_beyond_its_workspace():
    X = np.random.default_rng(0).random((1_000, 784))
    state = _state(784, 300, "float64")
    backend = NumpyBackend()
    backend.run_epoch(state, X[:100], 100, 0.1, 0.9, np.random.default_rng(0))  # workspace
    tracemalloc.start()
    try:
        backend.run_epoch(state, X, 100, 0.1, 0.9, np.random.default_rng(1))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Per step only two small column sums are allocated (a few kB): nothing of size H × V.
    assert peak < 300 * 784 * 8 / 4
