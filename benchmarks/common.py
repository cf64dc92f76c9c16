"""Shared, seeded inputs and helpers for the asv suite.

Everything a benchmark needs is built here, in ``setup``, never inside a timed function:

- :func:`mnist_like` draws the data once per process from a fixed seed, *with numpy only*,
  so every commit in the history is timed on exactly the same numbers (the package's own
  data generator may change between commits; the input of a benchmark must not).
- :func:`backend_names` takes the backend names from rbmperf's registry, so a new backend
  is benchmarked with no edit here; :func:`backend_or_skip` turns "this backend does not
  exist at this commit / here" into ``NotImplementedError``, which asv reports as a skipped
  benchmark rather than a failure.
- :func:`epoch_fixture` returns a fresh training state, the data and a generator: what
  ``Backend.run_epoch`` takes.

This module keeps its own small epoch loop (:func:`epoch_samples`) and data
(:func:`mnist_like`) instead of calling ``rbmperf.sweep.runners`` and
``rbmperf.data.synthetic_mnist``: asv also times old commits, which lack those or define
them differently, and a benchmark must time every commit the same way.

BLAS is pinned to one thread here (threadpoolctl) as well as by ``OPENBLAS_NUM_THREADS=1``
in ``asv.conf.json``: the pin holds however the suite is started (``asv run
--python=same`` in any shell, or a benchmark imported by hand).
"""

from __future__ import annotations

import functools
import time

import numpy as np

N_VISIBLE = 784
N_HIDDEN = 300
BATCH_SIZE = 100
LEARNING_RATE = 0.1
MOMENTUM = 0.9
DATA_SEED = 1234
# Fraction of non-zero pixels in MNIST (about 19 %): the data sampled below matches it.
NONZERO_FRACTION = 0.19
_CHUNK_ROWS = 1000

try:  # threadpoolctl is a dependency of every rbmperf commit; keep going if it is missing.
    from threadpoolctl import threadpool_limits

    _BLAS_LIMIT = threadpool_limits(1, user_api="blas")
except ImportError:  # pragma: no cover
    _BLAS_LIMIT = None


def _chunk(index: int, dtype: str) -> np.ndarray:
    # Each chunk of rows has its own seeded stream, so the first n rows are the same
    # whatever n is asked for, and only the rows asked for are ever drawn.
    rng = np.random.default_rng([DATA_SEED, index])
    on = rng.random((_CHUNK_ROWS, N_VISIBLE)) < NONZERO_FRACTION
    # Grey levels biased towards white, like anti-aliased strokes.
    values = np.sqrt(rng.random((_CHUNK_ROWS, N_VISIBLE)))
    return np.where(on, values, 0.0).astype(dtype)


@functools.lru_cache(maxsize=8)
def mnist_like(n_samples: int, dtype: str = "float32") -> np.ndarray:
    """The first `n_samples` rows of the shared seeded data (samples × 784, in [0, 1]).

    Shared within a process: benchmarks must not modify it. (It is not marked read-only:
    numba compiles a separate specialisation for read-only arrays, which would put a
    compile inside the timed region.)
    """
    n_chunks = -(-n_samples // _CHUNK_ROWS)
    data = np.concatenate([_chunk(index, dtype) for index in range(n_chunks)])[:n_samples]
    return np.ascontiguousarray(data)


def _centred_chunk(index: int, dtype: str) -> np.ndarray:
    # A pixel's chance of being non-zero falls with its distance from the 28 × 28 image's
    # centre: ~0.6 in the middle, ~0 at the border, 19% over the image, as in MNIST.
    rng = np.random.default_rng([DATA_SEED, 1_000_000 + index])
    side = int(np.sqrt(N_VISIBLE))
    y, x = np.divmod(np.arange(N_VISIBLE), side)
    distance = np.hypot(y - (side - 1) / 2, x - (side - 1) / 2) / (side / 2)
    chance = 0.6 * np.clip(1.0 - distance, 0.0, None) ** 0.75
    chance *= NONZERO_FRACTION / chance.mean()
    on = rng.random((_CHUNK_ROWS, N_VISIBLE)) < np.clip(chance, 0.0, 1.0)
    values = np.sqrt(rng.random((_CHUNK_ROWS, N_VISIBLE)))
    return np.where(on, values, 0.0).astype(dtype)


@functools.lru_cache(maxsize=4)
def mnist_centred(n_samples: int, dtype: str = "float32") -> np.ndarray:
    """Seeded rows like :func:`mnist_like` (19% non-zero) whose non-zeros crowd the centre.

    MNIST's pixels are not equally often on: centre pixels are in about half the images,
    border ones almost never. Code that treats the data's columns by their density (the
    DBN's fine-tuning sends dense columns to BLAS and gathers the rest) needs that shape;
    i.i.d. pixels would make every column sparse. Drawn with numpy only, like
    :func:`mnist_like`, and shared within a process in the same way.
    """
    n_chunks = -(-n_samples // _CHUNK_ROWS)
    data = np.concatenate([_centred_chunk(index, dtype) for index in range(n_chunks)])
    return np.ascontiguousarray(data[:n_samples])


# Commits before the registry listed its names: the backends they had.
_BACKENDS_BEFORE_REGISTRY_NAMES = ["naive", "numpy", "numba"]


def backend_names() -> list[str]:
    """Every backend the installed rbmperf registers (available or not), registry order.

    Read at import time to build ``params``; a backend that cannot run here is skipped by
    :func:`backend_or_skip` in ``setup``.
    """
    try:
        from rbmperf.backends import registered_backends
    except ImportError:
        pass
    else:
        return registered_backends()
    # asv discovers the suite once, with the first commit of a run installed: a commit of
    # the binary backend's work (before registered_backends) names its backends only here.
    try:
        from rbmperf.backends import backend_status
    except ImportError:
        return list(_BACKENDS_BEFORE_REGISTRY_NAMES)
    return [status.name for status in backend_status()]


def state_dependent_backend_names() -> list[str]:
    """Registered backends whose epoch cost depends on the model's state, registry order.

    Those that declare ``cost_depends_on_state`` (the sweep times them at steady state); a
    backend that cannot be made here is left out. Commits before that attribute existed
    had one such backend, ``binary``, which is named for them.
    """
    import rbmperf

    declared, names = False, []
    for name in backend_names():
        try:
            backend = rbmperf.get_backend(name)
        except Exception:  # unavailable here, or a commit whose registry differs
            continue
        flag = getattr(type(backend), "cost_depends_on_state", None)
        declared = declared or flag is not None
        if flag:
            names.append(name)
    if not declared and "binary" in backend_names():
        return ["binary"]
    return names


def backend_or_skip(name: str):
    """The rbmperf backend called `name`, or ``NotImplementedError`` so that asv skips it."""
    try:
        import rbmperf
    except ImportError as error:  # pragma: no cover - a commit that does not build
        raise NotImplementedError(f"rbmperf cannot be imported: {error}") from None
    try:
        return rbmperf.get_backend(name)
    except (AttributeError, ValueError) as error:
        raise NotImplementedError(f"backend {name!r} not available: {error}") from None


def initial_parameters(dtype: str, n_hidden: int = N_HIDDEN, n_visible: int = N_VISIBLE):
    """Seeded starting weights (N(0, 0.01²)) and zero biases, drawn here, not by rbmperf."""
    rng = np.random.default_rng(DATA_SEED + 1)
    W = (0.01 * rng.standard_normal((n_hidden, n_visible))).astype(dtype)
    return W, np.zeros(n_hidden, dtype=dtype), np.zeros(n_visible, dtype=dtype)


def epoch_fixture(backend, n_samples: int, dtype: str):
    """Fresh ``(state, X, rng)`` for ``backend.run_epoch``, with the backend compiled."""
    from rbmperf.backends.base import TrainingState

    backend.prepare(np.dtype(dtype))
    state = TrainingState.starting_from(*initial_parameters(dtype))
    return state, mnist_like(n_samples, dtype), np.random.default_rng(DATA_SEED + 2)


def run_epoch(backend, state, X: np.ndarray, rng: np.random.Generator) -> None:
    """One epoch with the suite's fixed settings."""
    backend.run_epoch(state, X, BATCH_SIZE, LEARNING_RATE, MOMENTUM, rng)


def epoch_samples(
    backend, sizes: list[int], dtype: str, repeats: int
) -> tuple[list[int], list[float]]:
    """CPU seconds of one epoch, `repeats` times at each size, interleaved in each repeat.

    Returns parallel lists ``(sizes, seconds)`` with one entry per timed epoch: the form
    ``rbmperf.fit_growth`` takes (every repeat is a point). The first, untimed epoch at the
    smallest size warms caches and the allocator.
    """
    state, X, rng = epoch_fixture(backend, min(sizes), dtype)
    run_epoch(backend, state, X, rng)
    measured_sizes: list[int] = []
    seconds: list[float] = []
    for _ in range(repeats):
        for n in sizes:
            X = mnist_like(n, dtype)
            # CPU time, robust to other processes' load (see bench_epoch.Epoch.timer).
            start = time.process_time()
            run_epoch(backend, state, X, rng)
            seconds.append(time.process_time() - start)
            measured_sizes.append(n)
    return measured_sizes, seconds
