"""Time and memory of one training epoch, per backend and data size."""

from __future__ import annotations

import time

from .common import (
    backend_names,
    backend_or_skip,
    epoch_fixture,
    run_epoch,
    state_dependent_backend_names,
)

# The naive backend reproduces the blog's O(N²) epoch: keep it to sizes it finishes in
# about a second (N = 4,000 already takes several).
NAIVE_MAX_SAMPLES = 1000


# Five sizes, doubling, so that ``rbmperf history`` can fit each backend's growth at every
# commit asv times (``fit_growth`` needs four sizes for a verdict and uses the largest four
# of five, 2,000–16,000, where fixed per-epoch costs no longer bend the curve).
EPOCH_SIZES = [1000, 2000, 4000, 8000, 16000]


class _TimedEpoch:
    """How an epoch is timed: once per sample, in CPU time."""

    param_names = ("backend", "n_samples")
    # An epoch is long enough to time on its own; warm-up happens in setup.
    number = 1
    repeat = (3, 7, 6.0)
    # CPU time of the process, not wall time: with one BLAS thread the work is
    # single-threaded, and CPU time stays within ±5% when other processes compete for the
    # cores, where wall time swings 2–7× (measured here; see docs/benchmarking.md).
    timer = time.process_time
    warmup_time = 0.0
    timeout = 120

    def time_epoch(self, backend_name: str, n_samples: int) -> None:
        run_epoch(self.backend, self.state, self.X, self.rng)


class Epoch(_TimedEpoch):
    """One epoch of CD-1 training, V = 784, H = 300, B = 100, float32, from a fresh model."""

    params = (backend_names(), EPOCH_SIZES)

    def setup(self, backend_name: str, n_samples: int) -> None:
        if backend_name == "naive" and n_samples > NAIVE_MAX_SAMPLES:
            raise NotImplementedError("the naive backend is O(N²): only small N is timed")
        self.backend = backend_or_skip(backend_name)
        self.state, self.X, self.rng = epoch_fixture(self.backend, n_samples, "float32")
        # One untimed epoch: first-touch page faults, workspace allocation.
        run_epoch(self.backend, self.state, self.X, self.rng)

    def peakmem_epoch(self, backend_name: str, n_samples: int) -> None:
        run_epoch(self.backend, self.state, self.X, self.rng)


class EpochMemory:
    """Peak memory of a first epoch beyond the data and the model.

    asv's ``peakmem_*`` is the process's maximum resident size, which includes the
    interpreter, the imports, numba's compiler and the data. Both benchmarks here share one
    setup (data, model, compiled backend, no epoch run yet); ``peakmem_data_and_model`` does
    nothing more, ``peakmem_first_epoch`` runs one epoch, buffers allocated for the first
    time. Their difference is what an epoch costs beyond the data and the model (an upper
    bound is not guaranteed: setup's own temporaries can hide a smaller epoch peak).
    """

    params = ([name for name in backend_names() if name != "naive"], [16000])
    param_names = ("backend", "n_samples")

    def setup(self, backend_name: str, n_samples: int) -> None:
        self.backend = backend_or_skip(backend_name)
        self.state, self.X, self.rng = epoch_fixture(self.backend, n_samples, "float32")

    def peakmem_data_and_model(self, backend_name: str, n_samples: int) -> None:
        pass

    def peakmem_first_epoch(self, backend_name: str, n_samples: int) -> None:
        run_epoch(self.backend, self.state, self.X, self.rng)


# Rows of untimed training before a steady-state epoch is timed: the sweep's
# rbmperf.sweep.runners.STEADY_STATE_ROWS, written out so that any commit's code can be timed.
STEADY_STATE_ROWS = 16_000


class SteadyEpoch(_TimedEpoch):
    """One epoch of a backend whose cost depends on the model's state, at steady state.

    ``binary`` skips the zeros of its 0/1 states, and their density falls as the model learns
    (h0 ~30% ones on a fresh model, ~11% after 16,000 rows of synthetic MNIST), so
    :class:`Epoch`, which times a fresh model, mostly times its dense fallbacks. Here setup
    first trains, untimed, on :data:`STEADY_STATE_ROWS` rows of the same data (as ``rbmperf
    bench`` does), then each timed epoch continues from there. Same sizes and settings as
    :class:`Epoch`. On this suite's i.i.d. pixels the states stay denser than on strokes,
    and the two classes time binary within a few percent of each other (issue 21's asv
    comparison, ``docs/performance.md``); the sweep's synthetic MNIST is where they part.
    """

    params = (state_dependent_backend_names(), EPOCH_SIZES)

    def setup(self, backend_name: str, n_samples: int) -> None:
        self.backend = backend_or_skip(backend_name)
        self.state, self.X, self.rng = epoch_fixture(self.backend, n_samples, "float32")
        for _ in range(-(-STEADY_STATE_ROWS // n_samples)):
            run_epoch(self.backend, self.state, self.X, self.rng)
