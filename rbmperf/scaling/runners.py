"""What a sweep times: one epoch of a backend, of the floor, or of a peer library.

A runner builds everything one epoch needs (fresh parameters, a seeded random stream,
buffers) in :meth:`Runner.setup` and returns a callable that runs just the epoch, so that
the timed region holds the epoch and nothing else.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..backends import TrainingState, get_backend
from ..backends.base import Backend
from ..training import initial_rbm
from .floor import FloorBuffers, floor_epoch
from .regions import ReportedTimes, synchronized_epoch


@dataclass(frozen=True)
class EpochSettings:
    """The training settings every runner uses for one epoch."""

    batch_size: int = 100
    n_hidden: int = 300
    learning_rate: float = 0.1
    momentum: float = 0.9
    seed: int = 0


class Runner(ABC):
    """Something whose epochs a sweep times.

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

    @abstractmethod
    def setup(self, X: np.ndarray, settings: EpochSettings) -> Callable[[], object]:
        """Build one epoch on `X` (untimed) and return the call that runs it (timed)."""


class BackendRunner(Runner):
    """An rbmperf backend's ``run_epoch`` from freshly initialised parameters."""

    role = "backend"

    def __init__(self, backend: str | Backend):
        self.backend = get_backend(backend)
        self.name = self.backend.name
        self.device = self.backend.device
        device_name = self.backend.device_name()
        self.description = self.backend.description + (f"; on {device_name}" if device_name else "")

    def prepare(self, dtype: np.dtype) -> float:
        return float(self.backend.prepare(np.dtype(dtype)))

    def setup(self, X: np.ndarray, settings: EpochSettings) -> Callable[[], object]:
        start = initial_rbm(X.shape[1], settings.n_hidden, dtype=X.dtype, seed=settings.seed)
        state = TrainingState.starting_from(start.W, start.hidden_bias, start.visible_bias)
        rng = np.random.default_rng([settings.seed, 1])
        backend = self.backend

        def epoch() -> None:
            backend.run_epoch(
                state, X, settings.batch_size, settings.learning_rate, settings.momentum, rng
            )

        # A device backend's region starts with its device idle and ends when it is done.
        return synchronized_epoch(epoch, backend.synchronize)


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
        if self._buffers is None or self._buffers.key != (
            rows,
            X.shape[1],
            settings.n_hidden,
            X.dtype,
        ):
            self._buffers = FloorBuffers(rows, X.shape[1], settings.n_hidden, X.dtype)
        buffers = self._buffers

        def epoch() -> None:
            floor_epoch(W, X, settings.batch_size, rng, buffers)

        return epoch


def timed(call: Callable[[], object]) -> tuple[float, float]:
    """Wall seconds (:func:`time.perf_counter`) and CPU seconds of this process
    (:func:`time.process_time`, all its threads) that `call` takes.

    A call that returns :class:`~rbmperf.scaling.regions.ReportedTimes` (a child process
    that timed its own epoch) is taken at its word.
    """
    cpu_began = time.process_time()
    began = time.perf_counter()
    result = call()
    wall = time.perf_counter() - began
    cpu = time.process_time() - cpu_began
    if isinstance(result, ReportedTimes):
        return result.wall_seconds, result.cpu_seconds
    return wall, cpu
