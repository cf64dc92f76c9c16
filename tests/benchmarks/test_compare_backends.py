"""Backends side by side: one training epoch at each data size (pytest-benchmark).

Skipped by the plain test run (``--benchmark-skip`` in pyproject's addopts); ``make compare``
runs them with ``--benchmark-only`` and prints one table per size, backends as rows.
"""

from __future__ import annotations

import numpy as np
import pytest
from backend_timing import DTYPE, EpochRunner, digits
from threadpoolctl import threadpool_limits

import rbmperf

SIZES = (1000, 4000, 16000)
# The naive backend's epoch is O(N²) (about 4 s at N = 4,000): time it with a fixed, small
# number of rounds there, and not at all beyond.
NAIVE_MAX_SAMPLES = 4000
NAIVE_ROUNDS = 3


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("backend_name", rbmperf.available_backends())
def test_epoch(benchmark, backend_name: str, size: int) -> None:
    if backend_name == "naive" and size > NAIVE_MAX_SAMPLES:
        pytest.skip(f"the naive backend is O(N²): not timed above N = {NAIVE_MAX_SAMPLES:,}")
    # Grouping inside the test (not --benchmark-group-by=param:size, which crashes when a
    # non-parametrised benchmark is collected) puts every backend at one size in one table.
    benchmark.group = f"epoch, N = {size:>6,}, {DTYPE}"
    benchmark.extra_info.update(
        backend=backend_name, n_samples=size, dtype=DTYPE, blas_threads=1, batch_size=100
    )
    X = digits(max(SIZES))[:size]
    with threadpool_limits(1, user_api="blas"):
        runner = EpochRunner(backend_name, DTYPE, X)
        if backend_name == "naive" and size > 1000:
            benchmark.pedantic(runner.run, args=(X,), rounds=NAIVE_ROUNDS, iterations=1)
        else:
            benchmark(runner.run, X)
    # A fast epoch that wrecks the model is no result: the parameters must stay finite.
    assert np.isfinite(runner.state.W).all()
    assert np.isfinite(runner.state.hidden_bias).all()
