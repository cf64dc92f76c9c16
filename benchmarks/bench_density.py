"""One epoch per backend × density of the data: where exploiting 0/1 states stops paying.

The data are this suite's own (numpy only, seeded, as :mod:`.common` explains): every image
has exactly ``round(density · 784)`` non-zero pixels at uniformly scattered positions, with
the same grey levels as :func:`.common.mnist_like`. Scattered ones are the hard case for
sparse kernels (MNIST's ones cluster in strokes), so these times bound a sparsity-aware
backend's gain from below.
"""

from __future__ import annotations

import functools
import time

import numpy as np

from .common import DATA_SEED, N_VISIBLE, backend_names, backend_or_skip, epoch_fixture, run_epoch

DENSITIES = [0.05, 0.15, 0.3, 0.5]
N_SAMPLES = 4000


@functools.lru_cache(maxsize=8)
def scattered(n_samples: int, density: float, dtype: str = "float32") -> np.ndarray:
    """`n_samples` × 784 rows, each with exactly ``round(density · 784)`` non-zero pixels."""
    rng = np.random.default_rng([DATA_SEED, 7, round(density * 1000)])
    k = round(density * N_VISIBLE)
    # The k smallest of 784 uniforms per row: k distinct positions, uniformly chosen.
    positions = np.argpartition(rng.random((n_samples, N_VISIBLE)), k, axis=1)[:, :k]
    X = np.zeros((n_samples, N_VISIBLE))
    np.put_along_axis(X, positions, np.sqrt(rng.random((n_samples, k))), axis=1)
    return np.ascontiguousarray(X, dtype=dtype)


class DensityEpoch:
    """One epoch, V = 784, H = 300, B = 100, float32, N = 4,000, by density of the data."""

    # The naive backend is O(N²): an epoch at N = 4,000 takes seconds and says nothing here.
    params = ([name for name in backend_names() if name != "naive"], DENSITIES)
    param_names = ("backend", "density")
    number = 1
    repeat = (3, 7, 6.0)
    timer = time.process_time  # CPU time: see bench_epoch.Epoch.timer
    warmup_time = 0.0
    timeout = 120

    def setup(self, backend_name: str, density: float) -> None:
        self.backend = backend_or_skip(backend_name)
        self.state, _, self.rng = epoch_fixture(self.backend, 100, "float32")
        self.X = scattered(N_SAMPLES, density)
        run_epoch(self.backend, self.state, self.X, self.rng)  # untimed: first touch

    def time_epoch(self, backend_name: str, density: float) -> None:
        run_epoch(self.backend, self.state, self.X, self.rng)
