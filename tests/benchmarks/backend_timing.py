"""Timing helpers shared by the backend comparison and the CI ratio checks.

Measurement only: functions here return plain numbers; the tests decide what they mean.
Every epoch runs through ``Backend.run_epoch`` after ``Backend.prepare`` and one untimed
warm-up epoch, so just-in-time compilation is never inside a timed region.

Epochs are timed in *process CPU time* (``time.process_time``), not wall time. With BLAS at
one thread the work is single-threaded, so the two agree on an idle machine; on a busy one
they do not. Measured here with two busy-loop processes competing for the 2 vCPUs: wall
time per sample swung 2–7× between repeats and the growth fits came out "inconclusive",
while CPU time stayed within ±5% and every fit was "linear" with a ±0.03 interval. CI
machines are shared, so the checks count the CPU the process got. (Sleeping or waiting
would be invisible to this timer; no backend does either.)
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np

import rbmperf
from rbmperf.backends.base import TrainingState

N_VISIBLE = 784
N_HIDDEN = 300
BATCH_SIZE = 100
LEARNING_RATE = 0.1
MOMENTUM = 0.9
DTYPE = "float32"


@lru_cache(maxsize=2)
def digits(n_samples: int, dtype: str = DTYPE) -> np.ndarray:
    """`n_samples` seeded synthetic MNIST digits (samples × 784); slice it for smaller N."""
    from rbmperf.data import synthetic_mnist

    X, _ = synthetic_mnist(n_samples, seed=0, dtype=dtype)
    return X


class EpochRunner:
    """One backend, compiled and warmed up, ready to run timed epochs.

    Parameters
    ----------
    backend_name : str
        A registered, available backend.
    dtype : str
        Precision of the parameters and data.
    warm_up_data : ndarray
        Data for the untimed warm-up epoch (the smallest size the caller will time).
    """

    def __init__(self, backend_name: str, dtype: str, warm_up_data: np.ndarray):
        self.backend = rbmperf.get_backend(backend_name)
        self.compile_seconds = self.backend.prepare(np.dtype(dtype))
        start = rbmperf.initial_rbm(N_VISIBLE, N_HIDDEN, dtype=dtype, seed=0)
        self.state = TrainingState.starting_from(start.W, start.hidden_bias, start.visible_bias)
        self.rng = np.random.default_rng(1)
        self.run(warm_up_data)

    def run(self, X: np.ndarray) -> None:
        """One epoch over `X` (the parameters keep training from epoch to epoch)."""
        self.backend.run_epoch(self.state, X, BATCH_SIZE, LEARNING_RATE, MOMENTUM, self.rng)

    def seconds(self, X: np.ndarray) -> float:
        """CPU seconds (all threads of this process) of one epoch over `X`."""
        start = time.process_time()
        self.run(X)
        return time.process_time() - start


def interleaved_epoch_seconds(
    runners: Mapping[str, EpochRunner],
    sizes: Mapping[str, Sequence[int]],
    repeats: Mapping[str, int],
    data: np.ndarray,
) -> dict[str, tuple[list[int], list[float]]]:
    """Time epochs of several backends, interleaved: each repeat runs every backend in turn.

    Interleaving (A B C A B C, not A A B B C C) spreads slow drift and bursts of load from
    other processes over all backends, so the ratios between them hold better than the
    absolute times.

    Parameters
    ----------
    runners : mapping of name to EpochRunner
    sizes : mapping of name to sequence of int
        The data sizes to time for each backend (rows of `data` from the top).
    repeats : mapping of name to int
        How many times to time each size; a backend with fewer repeats sits out the later
        rounds.
    data : ndarray
        At least ``max(sizes)`` rows.

    Returns
    -------
    dict of name to (sizes, seconds)
        Parallel lists with one entry per timed epoch.
    """
    results: dict[str, tuple[list[int], list[float]]] = {name: ([], []) for name in runners}
    for round_index in range(max(repeats.values())):
        for name, runner in runners.items():
            if round_index >= repeats[name]:
                continue
            for n in sizes[name]:
                results[name][0].append(n)
                results[name][1].append(runner.seconds(data[:n]))
    return results


def median_at(sizes: Sequence[int], seconds: Sequence[float], n: int) -> float:
    """Median of the `seconds` measured at size `n`."""
    at_n = [s for size, s in zip(sizes, seconds, strict=True) if size == n]
    if not at_n:
        raise ValueError(f"no measurement at N = {n}")
    return float(np.median(at_n))
