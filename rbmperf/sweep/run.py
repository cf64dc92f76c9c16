"""The scaling sweep: time one training epoch per runner × dtype × data size.

How a point is measured (the reasons are in ``docs/measuring.md``):

1. BLAS is pinned to `threads` threads (1 by default) with threadpoolctl for the whole
   sweep, and the thread pools in force are recorded with the machine's description.
2. For every runner × dtype with work left: ``prepare`` (just-in-time compilation), timed
   and recorded as ``compile``; then one untimed warm-up epoch on a small slice.
3. Round 0 visits the sizes ascending. Before each size, each series' cost there is
   predicted from the sizes it has measured, and the engine's budget rule
   (:func:`rbmperf.engine.budget.plan_size`) plans it: a point predicted to take longer than
   `budget_seconds` (all its repeats together) is recorded as ``skip`` with the
   prediction, and so is every larger size of that series; a point that fits the budget
   only with fewer repeats gets fewer (at least one); a series with fewer than the 4 sizes
   a growth verdict needs may spend up to twice the budget on one repeat of its next point.
4. Each later round revisits every size, alternately descending and ascending
   (:mod:`rbmperf.engine.rounds`), so that a slow drift of the machine cancels instead of
   tilting the slope; at each size the series are interleaved (A B C), so drift and bursts
   of load hit every series alike. Each timed region is one ``run_epoch`` call, with the
   garbage collector paused; nothing else is inside it. Both the wall time and the
   process's CPU time are recorded (see :func:`epoch_seconds`). A backend whose cost
   depends on the model's state (binary) starts each timed epoch from parameters trained
   to steady state on the same data (:data:`rbmperf.sweep.runners.STEADY_STATE_ROWS`);
   every other one from fresh parameters. Each epoch record says which (``protocol``).
5. A runner that computes on an accelerator (the ``torch-cuda`` backend) is timed with its
   device synchronised at the region's edges, and compared with a floor measured on that
   device in the same run (``floor-cuda``, :mod:`.device_floor`); its records carry
   ``device`` and ``floor``. A runner that cannot run a dtype (the R peer: float64 only)
   simply has no series in it.
6. Memory: in round 0, right after a size's timed epochs, each backend and peer series
   measured there gets one more epoch, untimed and never inside a timed region, on a
   freshly set-up epoch (:meth:`Runner.setup`), whose peak traced bytes
   (:func:`rbmperf.engine.memory.peak_bytes`: tracemalloc's peak during the epoch beyond
   what was traced before it; the buffers the epoch allocates, not the data or the model
   set up before it) are recorded as a ``memory`` record. Tracing every allocation slows
   an epoch several times over, so a point whose timed epoch took more than
   :data:`MEMORY_EPOCH_LIMIT_SECONDS` (the naive backend at large N) gets a ``memory``
   record without a peak, saying why. Series whose memory tracemalloc cannot see get no
   memory record at all (:func:`memory_untraced`): the floor (a yardstick, not a
   contender), a runner on an accelerator (``torch-cuda``: tracemalloc sees host memory
   only), torch on the CPU (its allocator does not report to tracemalloc) and the R peer
   (an Rscript child computes its epochs).
7. Every measurement is appended to the results file the moment it completes. A rerun
   with the same file and settings skips the epochs already there, so an interrupted
   sweep (Ctrl-C, SIGTERM, a kill) resumes where it stopped; a point whose memory record
   is there is not traced again.

Two sweeps writing to one results file at once (two ``rbmperf bench`` in two terminals)
both run to the end: every record is appended whole under a lock
(:func:`rbmperf.sweep.results.append_record`), nothing is lost or interleaved, and each
run that started a new sweep keeps its own ``sweep_id``. (Two runs that both resume the
same interrupted sweep both measure its missing epochs; the summary keeps the first record
of each repeat.) Refusing the second run was the alternative; appending was chosen
because a results file may be shared by design (a CI job and a user, several shells), and
a lock held for one write never blocks anyone for long. What no lock can fix is that two
sweeps on one machine slow each other down: the report says when records of another sweep
were written while this one ran (:attr:`rbmperf.sweep.summary.Summary.overlapping_records`).
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import time
import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..backends import available_backends
from ..engine.budget import VERDICT_ALLOWANCE, plan_size, predict_seconds
from ..engine.defaults import DEFAULT_SIZES
from ..engine.measure import settled
from ..engine.memory import peak_bytes
from ..engine.rounds import round_order
from ..errors import InputError, ResultsWarning
from ..progress import progress_bar
from ..stats.growth import LINEAR_BAND, MIN_SIZES, fit_growth
from ..validation import check_data, check_dtype, check_float, check_int, check_momentum
from .device_floor import device_floor_runner, floor_name
from .machine import machine_info
from .peers import TorchPeer, get_peer
from .r_peer import RPeer
from .results import (
    Record,
    SweepPresence,
    append_record,
    completed_epochs,
    completed_memory,
    epoch_seconds,
    latest_sweep,
    load_records,
    resolved_clock,
)
from .runners import (
    WARMUP_ROWS,
    BackendRunner,
    EpochSettings,
    FloorRunner,
    Runner,
    prepare_runner,
    timed_epoch,
)

DEFAULT_REPEATS = 3
DEFAULT_BUDGET_SECONDS = 10.0
# Sweeps whose first size is larger than _PROBE_ABOVE first time small probe epochs, so
# that even a single huge size gets a cost prediction (the naive backend at N = 42,000
# would take over ten minutes).
_PROBE_ABOVE = 2000
_PROBE_SIZES = (500, 1000, 2000)
_PROBE_REPEATS = 2
# A point whose timed epoch took longer than this many seconds gets no memory epoch:
# tracing every allocation makes an epoch several times slower (the naive backend at
# large N), and the memory epoch is untimed overhead on top of the sweep's budget.
MEMORY_EPOCH_LIMIT_SECONDS = 2.0


@dataclass(frozen=True)
class SweepSettings(EpochSettings):
    """Everything that makes two sweeps' numbers comparable; resuming requires equality.

    The epoch settings every runner uses, plus what else changes the numbers: the BLAS
    threads and the data.
    """

    threads: int = 1
    data: str = "synthetic_mnist(seed=0)"

    def key(self) -> str:
        """A short string naming these settings, stored with every record."""
        return ",".join(f"{k}={v}" for k, v in dataclasses.asdict(self).items())

    def epoch_settings(self) -> EpochSettings:
        """The part of these settings that a runner's epoch uses."""
        names = [field.name for field in dataclasses.fields(EpochSettings)]
        return EpochSettings(**{name: getattr(self, name) for name in names})


def run_sweep(
    backends: Sequence[str] | None = None,
    sizes: Sequence[int] = DEFAULT_SIZES,
    dtypes: Sequence[str] = ("float32",),
    *,
    peers: Sequence[str] = (),
    floor: bool = True,
    repeats: int = DEFAULT_REPEATS,
    budget_seconds: float = DEFAULT_BUDGET_SECONDS,
    threads: int = 1,
    batch_size: int = 100,
    n_hidden: int = 300,
    learning_rate: float = 0.1,
    momentum: float = 0.9,
    seed: int = 0,
    data: np.ndarray | None = None,
    density: float | None = None,
    results_path: str | Path | None = None,
    resume: bool = True,
    progress: bool = False,
    decide: bool = True,
) -> list[Record]:
    """Time one training epoch per backend (and peer, and the floor) × dtype × size.

    Parameters
    ----------
    backends : sequence of str, optional
        Backend names; default every available backend.
    sizes : sequence of int, default (500, 1000, 2000, 4000, 8000, 16000)
        Data sizes N (rows), measured in ascending order.
    dtypes : sequence of {"float32", "float64"}, default ("float32",)
    peers : sequence of str, default ()
        Peer libraries to time alongside (``"sklearn"``, ``"torch"``; see
        :mod:`rbmperf.sweep.peers`).
    floor : bool, default True
        Also time the floor (five matrix products + draws per mini-batch) at every point.
    repeats : int, default 3
        Timed epochs per point, interleaved across series.
    budget_seconds : float, default 10.0
        Most predicted seconds one point (all its repeats) may take; larger points are
        skipped and recorded with their prediction. A series with fewer than 4 sizes
        measured may spend twice this on its next point, so that it gets a verdict.
    threads : int, default 1
        BLAS threads (threadpoolctl) during the sweep.
    batch_size, n_hidden, learning_rate, momentum, seed
        Training settings of every epoch (V comes from the data).
    data : ndarray of shape (n_samples, n_visible), optional
        Data to slice the sizes from (first N rows); default
        ``rbmperf.data.synthetic_mnist(max(sizes), seed=0)``, generated once.
    density : float in (0, 1], optional
        Sweep on ``synthetic_mnist(max(sizes), seed=0, density=density)`` instead: every
        image has exactly that fraction of non-zero pixels (a point of a density sweep).
        Part of the settings (``data``), so a sweep only resumes at the same density. Not
        with `data`.
    results_path : str or Path, optional
        JSON-lines file to append to and resume from; None keeps records in memory only.
    resume : bool, default True
        If the file's last sweep has these settings and was interrupted, continue it,
        skipping the epochs it holds. False (or a finished last sweep) starts a new sweep.
    progress : bool, default False
        Show a progress bar (tqdm, on stderr).
    decide : bool, default True
        After the `repeats` rounds, give a series whose growth verdict is still undecided
        up to `repeats` more rounds, while a round fits one point's budget (the engine's
        rule: :func:`rbmperf.engine.measure.settled`). False: exactly `repeats` rounds.

    Returns
    -------
    list of dict
        Every record of this sweep: those an interrupted run left in the results file and
        those this call added (see :mod:`rbmperf.sweep.results` for the record kinds).

    Raises
    ------
    ValueError
        On an unknown or unavailable backend or peer, bad sizes, dtypes or settings, or data
        with fewer rows than the largest size.
    """
    plan = _validated_plan(backends, sizes, dtypes, peers, repeats, budget_seconds, threads)
    names, size_list, dtype_list, peer_list = plan
    budget_seconds = float(budget_seconds)
    momentum = check_momentum(momentum)
    base, data_name = _base_data(data, size_list[-1], density)
    settings = SweepSettings(
        batch_size=check_int(batch_size, "batch_size", minimum=1),
        n_hidden=check_int(n_hidden, "n_hidden", minimum=1),
        learning_rate=check_float(learning_rate, "learning_rate", minimum=0.0),
        momentum=momentum,
        seed=check_int(seed, "seed", minimum=0),
        threads=threads,
        data=data_name,
    )
    runners: list[Runner] = [BackendRunner(name) for name in names]
    runners += [get_peer(name, threads=threads) for name in peer_list]
    if floor:
        devices = sorted({runner.device for runner in runners} - {"cpu"})
        runners[:0] = [FloorRunner(), *(device_floor_runner(device) for device in devices)]

    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads, user_api="blas"):
        session = _Session(settings, results_path, resume)
        bar = None
        try:
            session.start({} if density is None else {"density": float(density)})
            datasets = {dtype: np.ascontiguousarray(base, dtype=dtype) for dtype in dtype_list}
            series = [
                (runner, dtype)
                for dtype in dtype_list
                for runner in runners
                if dtype in runner.dtypes
            ]
            bar = progress_bar(len(series) * len(size_list) * repeats, "bench", enabled=progress)
            _measure(session, series, datasets, size_list, repeats, budget_seconds, bar, decide)
            session.add({"kind": "finished"})
        finally:
            if bar is not None:
                bar.close()
            session.close()
    return session.records


class _Session:
    """The records of one sweep, and where to write new ones."""

    def __init__(self, settings: SweepSettings, results_path: str | Path | None, resume: bool):
        self.settings = settings
        self.key = settings.key()
        self.path = Path(results_path) if results_path is not None else None
        self.run_id = uuid.uuid4().hex[:12]
        self.sweep_id = self.run_id
        previous: list[Record] = []
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.presence = SweepPresence(self.path) if self.path is not None else None
        others = self.presence.enter() if self.presence is not None else None
        if others is not None:
            # Another sweep is live on this file: its unfinished records are not ours to
            # resume. Both sweeps are kept; say what sharing the machine costs.
            holders = f" (pid {', '.join(map(str, others))})" if others else ""
            warnings.warn(
                f"another sweep is writing to results file {str(self.path)!r} right now"
                f"{holders}: this run starts a sweep of its own; both are kept, but each "
                "one's times include the other's load on this machine",
                ResultsWarning,
                stacklevel=3,
            )
            resume = False
        if resume and self.path is not None and self.path.exists():
            records = load_records(self.path)
            last = latest_sweep(records)
            if last is not None and last[1] == self.key and not last[2]:
                self.sweep_id = last[0]
                previous = [r for r in records if r.get("sweep_id") == self.sweep_id]
        self.records = previous
        self.done = completed_epochs(previous)
        self.memory_done = completed_memory(previous)
        self.skipped = {
            (r["name"], r["dtype"], int(r["n"])) for r in previous if r["kind"] == "skip"
        }

    def close(self) -> None:
        if self.presence is not None:
            self.presence.leave()

    def start(self, extra: dict | None = None) -> None:
        self.add(
            {
                "kind": "run",
                "settings": dataclasses.asdict(self.settings),
                "machine": machine_info(),
                **(extra or {}),
            }
        )

    def add(self, record: Record) -> None:
        record = {
            "run_id": self.run_id,
            "sweep_id": self.sweep_id,
            "settings_key": self.key,
            **record,
        }
        self.records.append(record)
        if self.path is not None:
            append_record(self.path, record)

    def is_done(self, name: str, dtype: str, n: int, repeat: int) -> bool:
        return (self.sweep_id, name, dtype, n, repeat) in self.done

    def has_memory(self, name: str, dtype: str, n: int) -> bool:
        return (self.sweep_id, name, dtype, n) in self.memory_done

    def first_epoch_seconds(self, name: str, dtype: str, n: int) -> float | None:
        """Wall seconds of the point's earliest timed repeat (None: not measured)."""
        found = [
            (int(r["repeat"]), float(r["seconds"]))
            for r in self.records
            if r["kind"] == "epoch" and r["name"] == name and r["dtype"] == dtype and r["n"] == n
        ]
        return min(found)[1] if found else None

    def measured_sizes(self, name: str, dtype: str) -> int:
        """How many distinct sizes of one series have at least one timed epoch."""
        return len(
            {
                r["n"]
                for r in self.records
                if r["kind"] == "epoch" and r["name"] == name and r["dtype"] == dtype
            }
        )

    def known_points(self, name: str, dtype: str) -> list[tuple[int, float]]:
        """Measured epochs (and probes) of one series, for predicting larger sizes."""
        return [
            (int(r["n"]), float(r["seconds"]))
            for r in self.records
            if r["kind"] in ("epoch", "probe") and r["name"] == name and r["dtype"] == dtype
        ]


def _measure(session, series, datasets, sizes, repeats, budget_seconds, bar, decide) -> None:
    epoch_settings = session.settings.epoch_settings()
    pending = {
        (runner.name, dtype)
        for runner, dtype in series
        if any(not session.is_done(runner.name, dtype, n, r) for n in sizes for r in range(repeats))
    }
    for runner, dtype in series:
        if (runner.name, dtype) not in pending:
            continue
        X = datasets[dtype]
        compile_seconds = prepare_runner(
            runner, dtype, X[: min(WARMUP_ROWS, sizes[0])], epoch_settings
        )
        session.add(
            {
                "kind": "compile",
                "name": runner.name,
                "role": runner.role,
                "dtype": dtype,
                "seconds": compile_seconds,
                "description": runner.description,
            }
        )
        if sizes[0] > _PROBE_ABOVE and not session.known_points(runner.name, dtype):
            for probe_n in [n for n in _PROBE_SIZES for _ in range(_PROBE_REPEATS)]:
                seconds, _ = timed_epoch(runner, X[:probe_n], epoch_settings)
                session.add(
                    {
                        "kind": "probe",
                        "name": runner.name,
                        "role": runner.role,
                        "dtype": dtype,
                        "n": probe_n,
                        "seconds": seconds,
                    }
                )

    # Round 0 visits the sizes ascending and plans each one (the engine's budget rule);
    # later rounds revisit them, alternately descending and ascending, so that drift of the
    # machine cancels instead of tilting the slope (rbmperf.engine.rounds).
    planned: dict[tuple[str, str], dict[int, list[int]]] = {}
    gave_up: set[tuple[str, str]] = set()
    data_means: dict[tuple[str, int], float] = {}
    for round_index in range(repeats):
        gc.collect()
        for n in round_order(sizes, round_index):
            if round_index == 0:
                for runner, dtype in series:
                    _plan(session, runner, dtype, n, repeats, budget_seconds, planned, gave_up, bar)
            due = [
                (runner, dtype)
                for runner, dtype in series
                if round_index in planned.get((runner.name, dtype), {}).get(n, ())
            ]
            for runner, dtype in due:
                _time_point(session, runner, dtype, n, round_index, datasets, epoch_settings,
                            data_means, bar)  # fmt: skip
            if round_index == 0:
                for runner, dtype in series:
                    _measure_memory(session, runner, dtype, n, datasets[dtype][:n], epoch_settings)
    if decide:
        _decide(session, series, datasets, sizes, repeats, budget_seconds, planned, gave_up,
                epoch_settings, data_means, bar)  # fmt: skip


def _decide(session, series, datasets, sizes, repeats, budget_seconds, planned, gave_up,
            epoch_settings, data_means, bar) -> None:  # fmt: skip
    """More rounds for the series whose verdict is still undecided after `repeats` rounds.

    The engine's rule (:func:`rbmperf.engine.measure.settled`, on the fit the report makes):
    up to `repeats` more rounds, each over every size the series measured, while the round
    is predicted to fit one point's budget; a series that has decided (or skipped a size)
    rests. Each added epoch is a record like the others (its ``repeat`` counts on from
    `repeats`), so a resumed sweep keeps them.
    """
    for extra in range(repeats):
        round_index = repeats + extra
        epochs = [r for r in session.records if r.get("kind") == "epoch"]
        clock = resolved_clock(epochs)
        undecided = []
        for runner, dtype in series:
            key = (runner.name, dtype)
            measured = sorted(planned.get(key, {}))
            if key in gave_up or len(measured) < MIN_SIZES:
                continue
            points = [
                (r["n"], epoch_seconds(r, clock)) for r in epochs if (r["name"], r["dtype"]) == key
            ]
            # A clock that saw no time (a child process's CPU) cannot be fitted: leave it.
            points = [(n, seconds) for n, seconds in points if seconds > 0]
            if len({n for n, _ in points}) < MIN_SIZES:
                continue
            fit = fit_growth(*zip(*points, strict=True))
            if settled(fit, LINEAR_BAND):
                continue
            fastest: dict[int, float] = {}
            for size, seconds in session.known_points(runner.name, dtype):
                fastest[size] = min(seconds, fastest.get(size, seconds))
            cost = sum(fastest.get(size, 0.0) for size in measured)
            if cost <= budget_seconds:
                undecided.append((runner, dtype, measured))
        if not undecided:
            return
        if bar is not None:
            bar.total += sum(len(measured) for _, _, measured in undecided)
        for n in round_order(sizes, round_index):
            for runner, dtype, measured in undecided:
                if n in measured and not session.is_done(runner.name, dtype, n, round_index):
                    _time_point(session, runner, dtype, n, round_index, datasets, epoch_settings,
                                data_means, bar)  # fmt: skip


def _time_point(session, runner, dtype, n, round_index, datasets, epoch_settings, data_means,
                bar) -> None:  # fmt: skip
    """Time one epoch of one series at size `n` and append its record."""
    if bar is not None:
        bar.set_postfix_str(f"{runner.name} {dtype} N={n}", refresh=False)
    X = datasets[dtype][:n]
    seconds, cpu_seconds = timed_epoch(runner, X, epoch_settings)
    densities = _state_densities(runner, X, data_means)
    session.add(
        {
            "kind": "epoch",
            "name": runner.name,
            "role": runner.role,
            "dtype": dtype,
            "n": n,
            "repeat": round_index,
            "seconds": seconds,
            "cpu_seconds": cpu_seconds,
            "threads": session.settings.threads,
            "n_batches": -(-n // epoch_settings.batch_size),
            **runner.protocol(n),
            **densities,
            **_device_fields(runner),
        }
    )
    _advance(bar, 1)


def memory_untraced(runner: Runner) -> str | None:
    """Why the sweep records no memory for `runner`'s epochs; None when it does.

    tracemalloc sees what Python's and NumPy's allocators hand out (numba's compiled code
    allocates through them too); it does not see a device's memory, torch's CPU tensors
    (torch's own allocator) or another process's memory.
    """
    if runner.role == "floor":
        return "the floor is a yardstick of time, not a contender"
    if runner.device != "cpu":
        return f"it computes on {runner.device}; tracemalloc sees host memory only"
    backend = getattr(runner, "backend", None)
    if isinstance(runner, TorchPeer) or type(backend).__module__.endswith(".torch_backend"):
        return "torch allocates its tensors with its own allocator, unseen by tracemalloc"
    if isinstance(runner, RPeer):
        return "an Rscript child process computes its epochs"
    return None


def _measure_memory(session, runner, dtype, n, X, settings) -> None:
    """Record the peak traced bytes of one untimed epoch of a measured point, once.

    Called after the timed epochs at size `n` in round 0, never inside a timed region;
    the epoch is set up afresh, so the peak is what the epoch allocates beyond its data
    and starting model. A point already recorded (a resumed sweep), not measured (over
    budget) or untraceable (:func:`memory_untraced`) is left alone; a point whose timed
    epoch took over :data:`MEMORY_EPOCH_LIMIT_SECONDS` gets a record saying so.
    """
    if memory_untraced(runner) is not None or session.has_memory(runner.name, dtype, n):
        return
    timed_seconds = session.first_epoch_seconds(runner.name, dtype, n)
    if timed_seconds is None:
        return
    record = {"kind": "memory", "name": runner.name, "role": runner.role, "dtype": dtype, "n": n}
    if timed_seconds > MEMORY_EPOCH_LIMIT_SECONDS:
        reason = (
            f"its timed epoch took {timed_seconds:.2f} s, over the "
            f"{MEMORY_EPOCH_LIMIT_SECONDS:g} s limit for a traced epoch"
        )
        peak, traced_seconds = None, None
    else:
        epoch = runner.setup(X, settings)
        began = time.perf_counter()
        peak = peak_bytes(lambda _: epoch(), None)
        traced_seconds = time.perf_counter() - began
        reason = None
    session.memory_done.add((session.sweep_id, runner.name, dtype, n))
    record["peak_bytes"] = peak
    if traced_seconds is not None:
        record["traced_seconds"] = traced_seconds
    if reason is not None:
        record["reason"] = reason
    session.add(record)


def _plan(session, runner, dtype, n, repeats, budget_seconds, planned, gave_up, bar) -> None:
    """The repeats (round indices) of one series at size `n` under the budget rule."""
    todo = [r for r in range(repeats) if not session.is_done(runner.name, dtype, n, r)]
    if not todo:
        return
    series_key = (runner.name, dtype)
    predicted = predict_seconds(session.known_points(runner.name, dtype), n)
    measured = session.measured_sizes(runner.name, dtype)
    affordable, reason = plan_size(predicted, repeats, budget_seconds, measured, MIN_SIZES)
    if series_key in gave_up or affordable == 0:
        gave_up.add(series_key)
        # The record keeps the limit in force: doubled while the series has too few sizes.
        limit = budget_seconds * (VERDICT_ALLOWANCE if measured < MIN_SIZES else 1.0)
        _record_skip(session, runner, dtype, n, predicted, limit, reason)
        _advance(bar, len(todo))
        return
    allowed = [r for r in todo if r < affordable]
    _advance(bar, len(todo) - len(allowed))
    planned.setdefault(series_key, {})[n] = allowed


def _state_densities(
    runner: Runner, X: np.ndarray, data_means: dict[tuple[str, int], float]
) -> dict[str, object]:
    """The fractions of ones of v0, h0 and v1 in the epoch just timed, for its record.

    Called after the timed region, never inside it. A runner that counted its states
    (:meth:`Runner.state_densities`: the binary backend counts them while packing bits)
    gives all three, ``density_source = "states"``. Any other backend samples
    ``v0 = data > uniform``, so the fraction of ones of v0 has expectation the mean of the
    data, computed here from `X` (``"data"``); its h0 and v1 are not measured (None).
    Floors and peers get no density fields (a floor samples nothing; peers need not
    sample v0).
    """
    if runner.role != "backend":
        return {}
    counted = runner.state_densities()
    if counted is not None:
        return {
            "v0_density": float(counted["v0"]),
            "h0_density": float(counted["h0"]),
            "v1_density": float(counted["v1"]),
            "density_source": "states",
        }
    key = (X.dtype.name, X.shape[0])
    if key not in data_means:
        data_means[key] = float(X.mean(dtype=np.float64)) if X.size else 0.0
    return {
        "v0_density": data_means[key],
        "h0_density": None,
        "v1_density": None,
        "density_source": "data",
    }


def _device_fields(runner: Runner) -> dict[str, str]:
    """For a runner on an accelerator: its device, and the floor it is compared with."""
    if runner.device == "cpu":
        return {}
    fields = {"device": runner.device}
    if runner.role != "floor":
        fields["floor"] = floor_name(runner.device)
    return fields


def _record_skip(session, runner, dtype, n, predicted, budget_seconds, reason) -> None:
    if (runner.name, dtype, n) in session.skipped:
        return
    session.skipped.add((runner.name, dtype, n))
    session.add(
        {
            "kind": "skip",
            "name": runner.name,
            "role": runner.role,
            "dtype": dtype,
            "n": n,
            "predicted_seconds": predicted,
            "budget_seconds": budget_seconds,
            "reason": reason or "a smaller size was skipped",
        }
    )


def _validated_plan(backends, sizes, dtypes, peers, repeats, budget_seconds, threads):
    if backends is None:
        names = available_backends()
    else:
        if isinstance(backends, str):
            backends = [backends]
        names = list(dict.fromkeys(backends))
        for name in names:
            BackendRunner(name)  # raises a clear ValueError for unknown/unavailable names
    if isinstance(peers, str):
        peers = [peers]
    peer_list = list(dict.fromkeys(peers))
    if not names and not peer_list:
        raise InputError("nothing to measure: no backends and no peers given")
    try:
        size_list = sorted({check_int(n, "size", minimum=2) for n in sizes})
    except TypeError as error:
        raise InputError(f"sizes must be integers >= 2: {error}") from error
    if not size_list:
        raise InputError("sizes must name at least one data size")
    if isinstance(dtypes, str):
        dtypes = [dtypes]
    dtype_list = list(dict.fromkeys(check_dtype(d).name for d in dtypes))
    if not dtype_list:
        raise InputError("dtypes must name at least one of float32, float64")
    check_int(repeats, "repeats", minimum=1)
    check_int(threads, "threads", minimum=1)
    budget = check_float(budget_seconds, "budget_seconds", minimum=0.0)
    if budget <= 0:
        raise InputError(f"budget_seconds must be > 0; got {budget}")
    return names, size_list, dtype_list, peer_list


def _base_data(
    data: np.ndarray | None, largest: int, density: float | None = None
) -> tuple[np.ndarray, str]:
    """The rows to slice sizes from, and a name for them (part of the resume key)."""
    if density is not None:
        if data is not None:
            raise InputError("give data or density, not both (density makes its own data)")
        density = check_float(density, "density", minimum=0.0)
        if not 0.0 < density <= 1.0:
            raise InputError(f"density must lie in (0, 1]; got {density}")
    if data is None:
        from ..data import synthetic_mnist

        if density is None:
            X = synthetic_mnist(largest, seed=0, dtype="float64")[0]
            return X, "synthetic_mnist(seed=0)"
        X = synthetic_mnist(largest, seed=0, dtype="float64", density=density)[0]
        return X, f"synthetic_mnist(seed=0, density={density:g})"
    checked = check_data(data, dtype=np.float64)
    if checked.shape[0] < largest:
        raise InputError(
            f"data has {checked.shape[0]} rows but the largest size is {largest}; "
            "give more data or smaller sizes"
        )
    # A digest, so that a sweep is never resumed on different data.
    digest = hashlib.sha1(checked.tobytes()).hexdigest()[:12]
    rows, columns = checked.shape
    return checked[:largest], f"user data {rows}x{columns} sha1:{digest}"


def _advance(bar, count: int) -> None:
    if bar is not None and count > 0:
        bar.update(count)
