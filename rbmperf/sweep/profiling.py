"""Where one epoch spends its time: ``%prun``-style tables of the top functions.

Like IPython's ``%prun -l 10``: :mod:`cProfile` over one epoch (after the backend's
compilation and a warm-up epoch, so neither shows up), sorted by internal time.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..validation import check_data, check_dtype, check_int
from .runners import EpochSettings, as_runner, prepare_runner

_SORT_KEYS = ("tottime", "cumulative", "ncalls")
# Sub-folder of a report folder that holds the profile tables (the report links them).
PROFILE_FOLDER = "profiles"


@dataclass(frozen=True)
class ProfileRow:
    """One function's line of the table."""

    function: str
    ncalls: int
    tottime: float
    cumtime: float


@dataclass(frozen=True)
class ProfileResult:
    """A profiled epoch: the settings, the wall time under the profiler and the table."""

    name: str
    dtype: str
    n: int
    threads: int
    seconds: float
    rows: tuple[ProfileRow, ...]
    table: str

    def text(self) -> str:
        """The table with a header naming what was profiled."""
        header = (
            f"rbmperf profile: {self.name}, {self.dtype}, N={self.n:,}, one epoch, "
            f"{self.threads} BLAS thread(s); {self.seconds:.3f} s under cProfile "
            "(which slows Python-level code).\n"
        )
        return header + self.table

    def filename(self) -> str:
        return f"profile_{self.name}_{self.dtype}_N{self.n}.txt"


def profile_epoch(
    backend: str = "numpy",
    n: int = 2000,
    *,
    dtype: object = "float64",
    limit: int = 10,
    sort: str = "tottime",
    threads: int = 1,
    batch_size: int = 100,
    n_hidden: int = 300,
    seed: int = 0,
    data: np.ndarray | None = None,
) -> ProfileResult:
    """Profile one training epoch of `backend` (or a peer) on `n` samples.

    Parameters
    ----------
    backend : str, default "numpy"
        A backend name, or a peer name (``"sklearn"``, ``"torch-loop"``, ``"r"``) if
        usable here; a name that is both (``"torch"``) is the backend.
    n : int, default 2000
        Rows of data (the first `n` of ``synthetic_mnist`` unless `data` is given).
    dtype : {"float64", "float32"}, default "float64"
    limit : int, default 10
        Functions listed.
    sort : {"tottime", "cumulative", "ncalls"}, default "tottime"
        Order of the table (``tottime`` is internal time, as ``%prun`` sorts).
    threads : int, default 1
        BLAS threads during the epoch.
    batch_size, n_hidden, seed
        Training settings.
    data : ndarray, optional
        Data to take the first `n` rows from.

    Returns
    -------
    ProfileResult
    """
    from threadpoolctl import threadpool_limits

    from ..backends import backend_status
    from .peers import get_peer, is_peer_name

    n = check_int(n, "n", minimum=1)
    limit = check_int(limit, "limit", minimum=1)
    threads = check_int(threads, "threads", minimum=1)
    dtype = check_dtype(dtype)
    if sort not in _SORT_KEYS:
        raise InputError(f"sort must be one of {', '.join(_SORT_KEYS)}; got {sort!r}")
    # A backend's name wins over a peer's ("torch" is both; the peer is also "torch-loop").
    is_backend = backend in {status.name for status in backend_status()}
    runner = (
        get_peer(backend, threads=threads)
        if is_peer_name(backend) and not is_backend
        else as_runner(backend)
    )
    if data is None:
        from ..data import synthetic_mnist

        X = synthetic_mnist(n, seed=0, dtype=dtype)[0]
    else:
        X = check_data(data, dtype=dtype)
        if X.shape[0] < n:
            raise InputError(f"data has {X.shape[0]} rows; cannot profile N={n}")
        X = np.ascontiguousarray(X[:n])
    settings = EpochSettings(batch_size=batch_size, n_hidden=n_hidden, seed=seed)
    with threadpool_limits(limits=threads, user_api="blas"):
        prepare_runner(runner, dtype, X, settings)  # compile and warm up, not profiled
        epoch = runner.setup(X, settings)
        profiler = cProfile.Profile()
        began = time.perf_counter()
        profiler.runcall(epoch)
        seconds = time.perf_counter() - began
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream).strip_dirs().sort_stats(sort)
    stats.print_stats(limit)
    table = (
        "\n".join(line for line in stream.getvalue().splitlines() if line.strip()).strip() + "\n"
    )
    ordered = sorted(
        stats.stats.items(),  # type: ignore[attr-defined]
        key=lambda item: {"tottime": -item[1][2], "cumulative": -item[1][3], "ncalls": -item[1][1]}[
            sort
        ],
    )[:limit]
    rows = tuple(
        ProfileRow(
            function=pstats.func_std_string(func),
            ncalls=int(calls),
            tottime=float(tottime),
            cumtime=float(cumtime),
        )
        for func, (_, calls, tottime, cumtime, _) in ordered
    )
    return ProfileResult(runner.name, dtype.name, n, threads, seconds, rows, table)


def write_profile(result: ProfileResult, folder: str | os.PathLike) -> Path:
    """Write `result`'s table to ``folder/profiles/<name>.txt`` (the report links it)."""
    target = Path(folder) / PROFILE_FOLDER
    target.mkdir(parents=True, exist_ok=True)
    path = target / result.filename()
    path.write_text(result.text(), encoding="utf-8")
    return path
