"""Backends side by side: one training epoch at each data size (pytest-benchmark).

Skipped by the plain test run (``--benchmark-skip`` in pyproject's addopts); ``make compare``
runs them with ``--benchmark-only`` and prints one table per size, backends as rows. The
backends come from the registry, and each epoch is built by :mod:`rbmperf.sweep.runners`
(compiled and warmed up outside the timed region).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import rbmperf
from rbmperf.data import synthetic_mnist
from rbmperf.sweep.runners import BackendRunner, EpochSettings, prepare_runner

DTYPE = "float32"
SIZES = (1000, 4000, 16000)
# The naive backend's epoch is O(N²) (about 4 s at N = 4,000): time it with a fixed, small
# number of rounds there, and not at all beyond.
NAIVE_MAX_SAMPLES = 4000
NAIVE_ROUNDS = 3


@functools.lru_cache(maxsize=1)
def _data() -> np.ndarray:
    return synthetic_mnist(max(SIZES), seed=0, dtype=DTYPE)[0]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("backend_name", rbmperf.available_backends())
def test_epoch(benchmark, backend_name: str, size: int) -> None:
    if backend_name == "naive" and size > NAIVE_MAX_SAMPLES:
        pytest.skip(f"the naive backend is O(N²): not timed above N = {NAIVE_MAX_SAMPLES:,}")
    # Grouping inside the test (not --benchmark-group-by=param:size, which crashes when a
    # non-parametrised benchmark is collected) puts every backend at one size in one table.
    benchmark.group = f"epoch, N = {size:>6,}, {DTYPE}"
    settings = EpochSettings()
    benchmark.extra_info.update(
        backend=backend_name,
        n_samples=size,
        dtype=DTYPE,
        blas_threads=1,
        batch_size=settings.batch_size,
    )
    X = _data()[:size]
    runner = BackendRunner(backend_name)
    with threadpool_limits(1, user_api="blas"):
        prepare_runner(runner, DTYPE, X, settings)
        epoch = runner.setup(X, settings)
        if backend_name == "naive" and size > 1000:
            state = benchmark.pedantic(epoch, rounds=NAIVE_ROUNDS, iterations=1)
        else:
            state = benchmark(epoch)
    # A fast epoch that wrecks the model is no result: the parameters must stay finite.
    assert np.isfinite(state.W).all()
    assert np.isfinite(state.hidden_bias).all()
