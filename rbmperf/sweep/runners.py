"""Timing an epoch: the one measuring path of rbmperf.

Everything that times training — ``rbmperf bench`` (:mod:`.sweep`), ``rbmperf profile``,
the CI ratio checks, ``make compare`` and the scripts — goes through this module:

- a :class:`Runner` builds everything one epoch needs (fresh parameters, a seeded random
  stream, buffers) in :meth:`Runner.setup`, untimed, and returns a callable that runs just
  the epoch, so that the timed region holds the epoch and nothing else;
- :func:`prepare_runner` compiles (just-in-time backends) and runs one untimed warm-up
  epoch, so compilation is never inside a timed region;
- :func:`timed_epoch` times one epoch with the garbage collector paused and returns both
  the wall seconds and the process's CPU seconds;
- :func:`interleaved_order` and :func:`interleaved_epoch_seconds` interleave repeats
  across contenders (A B C A B C, not A A B B C C), so slow drift of the machine and bursts
  of load from other processes hit every contender alike and ratios between them hold.

Why CPU time is offered beside wall time: with BLAS at one thread the work is
single-threaded, so the two agree on an idle machine; on a busy one they do not. Measured
on the 2-vCPU machines here with two busy-loop processes competing: wall time per sample
swung 2–7× between repeats while CPU time stayed within ±5%. (Sleeping or waiting would be
invisible to the CPU clock; no backend does either.)

The asv suite (``benchmarks/``) keeps its own small copy of the epoch loop, because it
must also time old commits that lack this module.
"""

from __future__ import annotations

import dataclasses
import gc
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..backends import TrainingState, get_backend
from ..backends.base import Backend
from ..engine.clocks import TIMED_CLOCKS, interleaved_order, timed
from ..engine.regions import synchronized_epoch
from ..errors import InputError
from ..training import initial_rbm
from ..validation import check_clock
from .floor import FloorBuffers, floor_epoch

# Warm-up epochs run on at most this many rows: enough to touch every code path.
WARMUP_ROWS = 500
# A backend whose cost depends on the model's state (``cost_depends_on_state``: binary's
# products skip zeros, and h0's density falls as the model learns) is timed at steady
# state: from parameters already trained on this many rows of the same data (untimed
# epochs, as many as that takes), so that every size starts from a model that has made
# the same number of updates. Measured on binary: h0's density falls from about 31% ones
# in a first epoch at N = 500 to 12% at N = 16,000; timed from a fresh model, its cost per
# row falls with N and the exponent reads below 1 (docs/measuring.md).
STEADY_STATE_ROWS = 16_000


@dataclass(frozen=True)
class EpochSettings:
    """The training settings every runner uses for one epoch."""

    batch_size: int = 100
    n_hidden: int = 300
    learning_rate: float = 0.1
    momentum: float = 0.9
    seed: int = 0


class Runner(ABC):
    """Something whose epochs are timed.

    Attributes
    ----------
    name : str
        Label in results and reports (a backend's name, ``"floor"``, or a peer's name).
    role : str
        ``"backend"``, ``"floor"`` or ``"peer"``.
    description : str
        One line for the report.
    dtypes : tuple of str
        The dtypes it can run (the R peer computes in double precision only).
    device : str
        Where it computes: ``"cpu"`` or an accelerator (``"cuda"``).
    """

    name: str
    role: str
    description: str
    dtypes: tuple[str, ...] = ("float32", "float64")
    device: str = "cpu"

    def prepare(self, dtype: np.dtype) -> float:
        """Compile or otherwise get ready for `dtype`; return the seconds it took."""
        return 0.0

    def protocol(self, n: int) -> dict[str, object]:
        """How an epoch on `n` rows is timed, for its record (a backend's only)."""
        return {}

    def state_densities(self) -> dict[str, float] | None:
        """Fractions of ones of v0, h0, v1 in the last epoch this thread ran, if counted.

        Read after a timed epoch, outside its region. None unless the runner counts its
        sampled states as part of its own work (the binary backend's ``epoch_densities``);
        nothing is added to any runner's epoch to count them.
        """
        return None

    @abstractmethod
    def setup(self, X: np.ndarray, settings: EpochSettings) -> Callable[[], object]:
        """Build one epoch on `X` (untimed) and return the call that runs it (timed).

        Calling the returned function again runs another epoch that keeps training the
        same parameters (as ``pytest-benchmark`` does when it calls it repeatedly).
        """


class BackendRunner(Runner):
    """An rbmperf backend's ``run_epoch`` from freshly initialised parameters, or, for a
    backend whose cost depends on the model's state, from parameters trained to steady
    state on the same data (:data:`STEADY_STATE_ROWS`)."""

    role = "backend"

    def __init__(self, backend: str | Backend):
        self.backend = get_backend(backend)
        self.name = self.backend.name
        self.device = self.backend.device
        self.steady_state = bool(getattr(self.backend, "cost_depends_on_state", False))
        self._warmed: dict[tuple, tuple[TrainingState, dict]] = {}
        device_name = self.backend.device_name()
        self.description = self.backend.description + (f"; on {device_name}" if device_name else "")

    def prepare(self, dtype: np.dtype) -> float:
        return float(self.backend.prepare(np.dtype(dtype)))

    def state_densities(self) -> dict[str, float] | None:
        counted = getattr(self.backend, "epoch_densities", None)
        return counted() if callable(counted) else None

    def protocol(self, n: int) -> dict[str, object]:
        """How an epoch on `n` rows is timed, for its record."""
        if not self.steady_state:
            return {"protocol": "fresh"}
        return {"protocol": "steady", "warmup_rows": n * _steady_epochs(n)}

    def setup(self, X: np.ndarray, settings: EpochSettings) -> Callable[[], object]:
        state, rng = self._starting_point(X, settings)
        backend = self.backend

        def epoch() -> TrainingState:
            backend.run_epoch(
                state, X, settings.batch_size, settings.learning_rate, settings.momentum, rng
            )
            return state

        if self.device == "cpu":
            return epoch
        # A device backend's region starts with its device idle and ends when it is done.
        return synchronized_epoch(epoch, backend.synchronize)

    def _starting_point(
        self, X: np.ndarray, settings: EpochSettings
    ) -> tuple[TrainingState, np.random.Generator]:
        """Fresh parameters and stream, or (steady state) a copy of those reached after
        the warm-up epochs on `X`, trained once per size and kept for its repeats."""
        start = initial_rbm(X.shape[1], settings.n_hidden, dtype=X.dtype, seed=settings.seed)
        state = TrainingState.starting_from(start.W, start.hidden_bias, start.visible_bias)
        rng = np.random.default_rng([settings.seed, 1])
        if not self.steady_state:
            return state, rng
        key = (X.shape, X.dtype.str, X.ctypes.data, settings)
        if key not in self._warmed:
            for _ in range(_steady_epochs(X.shape[0])):
                self.backend.run_epoch(
                    state, X, settings.batch_size, settings.learning_rate, settings.momentum, rng
                )
            self._warmed[key] = (state, rng.bit_generator.state)
        warmed, stream = self._warmed[key]
        copy = TrainingState(
            *(np.array(getattr(warmed, f.name), order="C") for f in dataclasses.fields(warmed))
        )
        rng = np.random.default_rng()
        rng.bit_generator.state = stream
        return copy, rng


class FloorRunner(Runner):
    """The floor: five matrix products and the random draws per mini-batch."""

    name = "floor"
    role = "floor"
    description = "five CD-1 matrix products + B·(2V+H) uniforms per mini-batch (numpy)"

    def __init__(self) -> None:
        self._buffers: FloorBuffers | None = None

    def setup(self, X: np.ndarray, settings: EpochSettings) -> Callable[[], object]:
        W = initial_rbm(X.shape[1], settings.n_hidden, dtype=X.dtype, seed=settings.seed).W
        rng = np.random.default_rng([settings.seed, 1])
        rows = min(settings.batch_size, X.shape[0])
        key = (rows, X.shape[1], settings.n_hidden, X.dtype)
        if self._buffers is None or self._buffers.key != key:
            self._buffers = FloorBuffers(*key)
        buffers = self._buffers

        def epoch() -> None:
            floor_epoch(W, X, settings.batch_size, rng, buffers)

        return epoch


def _steady_epochs(n: int) -> int:
    """Untimed epochs of `n` rows that reach :data:`STEADY_STATE_ROWS`."""
    return max(1, -(-STEADY_STATE_ROWS // max(n, 1)))


def as_runner(contender: str | Backend | Runner) -> Runner:
    """A runner for a backend name, a backend object, ``"floor"``, or a runner itself."""
    if isinstance(contender, Runner):
        return contender
    if contender == "floor":
        return FloorRunner()
    return BackendRunner(contender)


def prepare_runner(
    runner: Runner, dtype: object, warm_up_data: np.ndarray, settings: EpochSettings
) -> float:
    """Compile `runner` for `dtype`, run one untimed warm-up epoch; return compile seconds.

    The warm-up (on at most :data:`WARMUP_ROWS` rows of `warm_up_data`) pays for page
    faults, lazy imports, workspace allocation and cache misses outside any timed region.
    """
    compile_seconds = runner.prepare(np.dtype(dtype))
    runner.setup(warm_up_data[:WARMUP_ROWS], settings)()
    return compile_seconds


def timed_epoch(runner: Runner, X: np.ndarray, settings: EpochSettings) -> tuple[float, float]:
    """Set up one epoch of `runner` on `X` (untimed), then time it: ``(wall, cpu)`` seconds.

    The garbage collector is paused, not run, around the timed region: a full collection
    costs ~0.1 s once torch and matplotlib are loaded, so callers collect between sizes
    (as ``timeit`` does not collect at all).
    """
    epoch = runner.setup(X, settings)
    gc.disable()
    try:
        return timed(epoch)
    finally:
        gc.enable()


def interleaved_epoch_seconds(
    contenders: Mapping[str, str | Backend | Runner],
    sizes: Mapping[str, Sequence[int]],
    repeats: Mapping[str, int],
    data: np.ndarray,
    *,
    settings: EpochSettings | None = None,
    clock: str = "cpu",
) -> dict[str, tuple[list[int], list[float]]]:
    """Time epochs of several contenders, interleaved, after compiling and warming each up.

    Parameters
    ----------
    contenders : mapping of label to backend name, backend, ``"floor"`` or Runner
    sizes : mapping of label to sequence of int
        The data sizes to time for each contender (rows of `data` from the top).
    repeats : mapping of label to int
        How many times to time each size.
    data : ndarray of shape (n_samples, n_visible)
        At least ``max(sizes)`` rows, in the dtype to time.
    settings : EpochSettings, optional
        Training settings of every epoch (default: :class:`EpochSettings`'s).
    clock : {"cpu", "wall"}, default "cpu"

    Returns
    -------
    dict of label to (sizes, seconds)
        Parallel lists with one entry per timed epoch: the form
        :func:`rbmperf.fit_growth` takes.
    """
    check_clock(clock, TIMED_CLOCKS)
    settings = settings or EpochSettings()
    runners = {label: as_runner(contender) for label, contender in contenders.items()}
    for label, runner in runners.items():
        prepare_runner(runner, data.dtype, data[: min(sizes[label])], settings)
    results: dict[str, tuple[list[int], list[float]]] = {label: ([], []) for label in runners}
    for label, _ in interleaved_order(dict(repeats)):
        for n in sizes[label]:
            wall, cpu = timed_epoch(runners[label], data[:n], settings)
            results[label][0].append(n)
            results[label][1].append(cpu if clock == "cpu" else wall)
    return results


def median_at(sizes: Sequence[int], seconds: Sequence[float], n: int) -> float:
    """Median of the `seconds` measured at size `n`.

    Examples
    --------
    >>> median_at([10, 10, 20], [1.0, 3.0, 5.0], 10)
    2.0
    """
    at_n = [s for size, s in zip(sizes, seconds, strict=True) if size == n]
    if not at_n:
        raise InputError(f"no measurement at N = {n}")
    return float(np.median(at_n))
