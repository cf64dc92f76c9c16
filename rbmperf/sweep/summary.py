"""From records to numbers: per-point statistics, floor multiples, growth fits, and how
each series was timed and what its verdict cost.

Pure functions over the records of :mod:`rbmperf.sweep.results`; the report and the
command line only format what these return.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError
from ..stats.growth import DEFAULT_CONFIDENCE, GrowthFit, fit_growth
from .results import Record, epoch_seconds, latest_sweep, resolved_clock

ROLE_ORDER = {"floor": 0, "backend": 1, "peer": 2}
# The sampled states whose fractions of ones a backend's epoch records carry.
STATES = ("v0", "h0", "v1")


@dataclass(frozen=True)
class Point:
    """One measured (runner, dtype, N): its epoch times and how they compare to the floor."""

    name: str
    role: str
    dtype: str
    n: int
    seconds: tuple[float, ...]
    n_batches: int
    floor_seconds: float | None
    # Median fraction of ones of each sampled state over the repeats (None: not measured);
    # empty for floors and peers. `density_source`: "states" (counted) or "data" (v0 only,
    # the mean of the data). See :func:`rbmperf.sweep.run.run_sweep`.
    densities: dict[str, float | None] = field(default_factory=dict)
    density_source: str | None = None
    # How its epochs were timed, as recorded (None: not recorded, see
    # :class:`SeriesProtocol`), the untimed rows trained before them ("steady" only), and
    # the wall time of each repeat (what timing it cost, whatever `seconds`' clock).
    protocol: str | None = None
    warmup_rows: int | None = None
    wall_seconds: tuple[float, ...] = ()

    @property
    def median(self) -> float:
        return float(np.median(self.seconds))

    @property
    def minimum(self) -> float:
        return float(min(self.seconds))

    @property
    def maximum(self) -> float:
        return float(max(self.seconds))

    @property
    def seconds_per_batch(self) -> float:
        """Median epoch time divided by the number of mini-batches."""
        return self.median / self.n_batches

    @property
    def floor_multiple(self) -> float | None:
        """Median epoch time as a multiple of the floor's median at the same N and dtype."""
        if self.floor_seconds is None or self.floor_seconds <= 0:
            return None
        return self.median / self.floor_seconds


@dataclass(frozen=True)
class SeriesProtocol:
    """How one (name, dtype) series was timed, what it sampled, and what its verdict cost.

    Attributes
    ----------
    name, dtype : str
        The series.
    role : str
        ``"floor"``, ``"backend"`` or ``"peer"``.
    protocol : str or None
        ``"fresh"``: each epoch timed from freshly initialised parameters; ``"steady"``:
        from parameters already trained on `warmup_rows` rows of the same data (a backend
        whose cost depends on the model's state, see
        :data:`rbmperf.sweep.runners.STEADY_STATE_ROWS`). None for a floor (it trains no
        model). Peers always start fresh; a backend's records that do not say (written by
        an older rbmperf) are read as ``"fresh"`` with `recorded` False.
    recorded : bool
        Whether the records named the protocol (peers' never do: fresh by design).
    warmup_rows : tuple of int or None
        Smallest and largest number of untimed rows trained before a timed epoch, over the
        series' sizes (the warm-up is whole epochs, so it varies with N); None unless
        steady.
    smallest_n, largest_n : int
        The smallest and largest N measured.
    densities_smallest, densities_largest : dict of str to float or None
        Median fraction of ones of each sampled state (``v0``, ``h0``, ``v1``) over the
        repeats at `smallest_n` and `largest_n`; empty where nothing was recorded (floors,
        peers, older results).
    density_source : str or None
        ``"states"`` (counted by the backend) or ``"data"`` (v0 only: the data's mean).
    spent_seconds : float
        Wall time of the series' timed epochs, summed: what its verdict cost (untimed
        warm-up, probe epochs and compilation not included).
    timed_epochs : int
        How many epochs were timed.
    """

    name: str
    dtype: str
    role: str
    protocol: str | None
    recorded: bool
    warmup_rows: tuple[int, int] | None
    smallest_n: int
    largest_n: int
    densities_smallest: dict[str, float | None]
    densities_largest: dict[str, float | None]
    density_source: str | None
    spent_seconds: float
    timed_epochs: int


def series_protocols(points: Iterable[Point]) -> dict[tuple[str, str], SeriesProtocol]:
    """Each series' protocol, densities at its smallest and largest N, and time spent.

    Parameters
    ----------
    points : iterable of Point
        Measured points (:attr:`Summary.points`), any order.

    Returns
    -------
    dict
        ``{(name, dtype): SeriesProtocol}``.

    Examples
    --------
    >>> point = Point("numpy", "backend", "float32", 500, (0.1, 0.12), 5, None,
    ...               protocol="fresh", wall_seconds=(0.1, 0.12))
    >>> found = series_protocols([point])[("numpy", "float32")]
    >>> found.protocol, found.timed_epochs, round(found.spent_seconds, 2)
    ('fresh', 2, 0.22)
    """
    grouped: dict[tuple[str, str], list[Point]] = defaultdict(list)
    for point in points:
        grouped[(point.name, point.dtype)].append(point)
    found = {}
    for key, group in grouped.items():
        group.sort(key=lambda p: p.n)
        smallest, largest = group[0], group[-1]
        named = [p.protocol for p in group if p.protocol is not None]
        # A series resumed across rbmperf versions could mix protocols; the largest sizes
        # decide the verdict, so their protocol is the one it reports.
        protocol: str | None = named[-1] if named else None
        if protocol is None and smallest.role != "floor":
            protocol = "fresh"
        warmups = [p.warmup_rows for p in group if p.warmup_rows is not None]
        found[key] = SeriesProtocol(
            name=smallest.name,
            dtype=smallest.dtype,
            role=smallest.role,
            protocol=protocol,
            recorded=bool(named),
            warmup_rows=(min(warmups), max(warmups)) if protocol == "steady" and warmups else None,
            smallest_n=smallest.n,
            largest_n=largest.n,
            densities_smallest=dict(smallest.densities),
            densities_largest=dict(largest.densities),
            density_source=largest.density_source or smallest.density_source,
            spent_seconds=float(sum(sum(p.wall_seconds or p.seconds) for p in group)),
            timed_epochs=sum(len(p.seconds) for p in group),
        )
    return found


@dataclass
class Summary:
    """Everything a report shows, computed from one settings key's records."""

    settings: dict[str, Any]
    machine: dict[str, Any]
    points: list[Point]
    fits: dict[tuple[str, str], GrowthFit]
    skipped: list[Record]
    compile_seconds: list[Record]
    roles: dict[str, str]
    runs: int
    ignored_records: int = 0
    finished: bool = True
    clock: str = "wall"
    series: list[tuple[str, str]] = field(default_factory=list)
    confidence: float = DEFAULT_CONFIDENCE
    # Records of other sweeps written to the same file while this one ran: their timings
    # may include that sweep's load on the machine.
    overlapping_records: int = 0
    # Several machines merged (:func:`summarize_machines`): label -> machine description
    # and label -> settings; empty for one machine (then `machine` and `settings` say all).
    machines: dict[str, dict[str, Any]] = field(default_factory=dict)
    machine_settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    # A density sweep (:func:`summarize_densities`): label -> the data's density of
    # non-zero pixels; series are named ``NAME @ LABEL``. Empty otherwise.
    densities: dict[str, float] = field(default_factory=dict)
    # (name, dtype) -> how the series was timed and what it spent (:func:`series_protocols`).
    protocols: dict[tuple[str, str], SeriesProtocol] = field(default_factory=dict)


def series_order(roles: dict[str, str], names: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Sort (name, dtype) pairs: floor first, then backends, then peers; dtypes together."""
    return sorted(set(names), key=lambda s: (ROLE_ORDER.get(roles.get(s[0], ""), 3), s[1], s[0]))


def summarize(
    records: list[Record], *, confidence: float = DEFAULT_CONFIDENCE, clock: str = "auto"
) -> Summary:
    """Summarize the most recent sweep in `records` (interrupted or not).

    Records of earlier sweeps are left out and counted in ``ignored_records``. `clock`
    picks wall or CPU time (see :func:`rbmperf.sweep.results.epoch_seconds`).

    Raises
    ------
    ValueError
        If `records` holds no run.
    """
    last = latest_sweep(records)
    if last is None:
        raise InputError("no sweep found in these results (no 'run' record)")
    sweep_id, _, finished = last
    positions = [i for i, r in enumerate(records) if r.get("sweep_id") == sweep_id]
    mine = [records[i] for i in positions]
    overlapping = sum(
        1
        for r in records[positions[0] : positions[-1] + 1]
        if r.get("sweep_id") not in (sweep_id, None)
    )
    clock = resolved_clock(mine, clock)
    runs = [r for r in mine if r["kind"] == "run"]
    epochs: dict[tuple[str, str, int], list[Record]] = defaultdict(list)
    roles: dict[str, str] = {}
    for record in mine:
        if record["kind"] in ("epoch", "skip", "compile"):
            roles[record["name"]] = record["role"]
        if record["kind"] == "epoch":
            epochs[(record["name"], record["dtype"], int(record["n"]))].append(record)

    # Each floor series (the host's "floor", a device's "floor-cuda") by dtype and N; a
    # series is divided by the floor its records name (the host's by default).
    floor_median = {
        (name, dtype, n): float(np.median([epoch_seconds(r, clock) for r in group]))
        for (name, dtype, n), group in epochs.items()
        if roles[name] == "floor"
    }
    points = []
    for (name, dtype, n), group in epochs.items():
        # A resumed point may hold a repeat twice if two runs raced; keep the first of each.
        by_repeat: dict[int, Record] = {}
        for r in group:
            by_repeat.setdefault(int(r["repeat"]), r)
        repeats = [by_repeat[k] for k in sorted(by_repeat)]
        points.append(
            Point(
                name=name,
                role=roles[name],
                dtype=dtype,
                n=n,
                seconds=tuple(epoch_seconds(r, clock) for r in repeats),
                n_batches=int(group[0]["n_batches"]),
                floor_seconds=floor_median.get((_floor_of(group[0]), dtype, n)),
                densities=_median_densities(group),
                density_source=group[0].get("density_source"),
                protocol=_text_field(group[0], "protocol"),
                warmup_rows=_count_field(group[0], "warmup_rows"),
                wall_seconds=tuple(float(r["seconds"]) for r in repeats),
            )
        )
    points.sort(key=lambda p: (ROLE_ORDER.get(p.role, 3), p.dtype, p.name, p.n))

    measured = {(p.name, p.dtype, p.n) for p in points}
    skipped = sorted(
        {
            (r["name"], r["dtype"], int(r["n"])): r
            for r in mine
            if r["kind"] == "skip" and (r["name"], r["dtype"], int(r["n"])) not in measured
        }.values(),
        key=lambda r: (ROLE_ORDER.get(r["role"], 3), r["dtype"], r["name"], r["n"]),
    )
    compiles = {(r["name"], r["dtype"]): r for r in mine if r["kind"] == "compile"}
    series = series_order(roles, [(p.name, p.dtype) for p in points])
    return Summary(
        settings=runs[-1]["settings"],
        machine=runs[-1]["machine"],
        points=points,
        fits=growth_fits(points, confidence=confidence),
        confidence=confidence,
        skipped=skipped,
        compile_seconds=[compiles[k] for k in series_order(roles, compiles)],
        roles=roles,
        runs=len({r["run_id"] for r in runs}),
        ignored_records=len(records) - len(mine),
        series=series,
        finished=finished,
        clock=clock,
        overlapping_records=overlapping,
        protocols=series_protocols(points),
    )


MACHINE_SEPARATOR = " @ "


def machine_labels(machines: Sequence[dict[str, Any]], sources: Sequence[str]) -> list[str]:
    """A short, distinct label per machine: its host name (else its CPU), made unique.

    `sources` (one per machine, a file name say) tell apart two machines with the same
    name; a number does if those are the same too.
    """
    labels = [str(m.get("host") or m.get("cpu") or "machine") for m in machines]
    if len(set(labels)) < len(labels):
        labels = [f"{label} ({source})" for label, source in zip(labels, sources, strict=True)]
    if len(set(labels)) < len(labels):
        labels = [f"{label} #{k}" for k, label in enumerate(labels, start=1)]
    return labels


def summarize_machines(
    record_sets: Sequence[list[Record]],
    labels: Sequence[str],
    *,
    confidence: float = DEFAULT_CONFIDENCE,
    clock: str = "auto",
) -> Summary:
    """One summary of several machines' sweeps, side by side.

    Each record set (one machine's results) is summarized on its own (its latest sweep,
    its floor), then its series are renamed ``NAME @ LABEL``: floor multiples stay
    within a machine, and every series of the merged summary says whose it is.

    Parameters
    ----------
    record_sets : sequence of list of dict
        One machine's records each (what :func:`rbmperf.sweep.results.load_records`
        returns for its file).
    labels : sequence of str
        One distinct label per record set (see :func:`machine_labels`).
    confidence : float, default 0.95
    clock : {"auto", "wall", "cpu"}, default "auto"
        ``"auto"`` means CPU time only if every machine's sweep ran on one thread.

    Returns
    -------
    Summary
        ``machines`` and ``machine_settings`` hold each label's machine and settings;
        ``settings`` holds the settings, with those that differ joined by " / ".

    Raises
    ------
    InputError
        If the labels are not distinct, or one set holds no sweep.
    """
    if len(labels) != len(record_sets) or len(set(labels)) != len(labels):
        raise InputError(f"need one distinct label per results file; got {list(labels)}")
    if clock == "auto":
        clocks = {resolved_clock(records, "auto") for records in record_sets}
        clock = "cpu" if clocks == {"cpu"} else "wall"
    parts = [summarize(records, confidence=confidence, clock=clock) for records in record_sets]
    points: list[Point] = []
    fits: dict[tuple[str, str], GrowthFit] = {}
    roles: dict[str, str] = {}
    skipped: list[Record] = []
    compiles: list[Record] = []
    for label, part in zip(labels, parts, strict=True):

        def renamed(name: str, label: str = label) -> str:
            return f"{name}{MACHINE_SEPARATOR}{label}"

        points += [dataclasses.replace(p, name=renamed(p.name)) for p in part.points]
        fits.update({(renamed(name), dtype): fit for (name, dtype), fit in part.fits.items()})
        roles.update({renamed(name): role for name, role in part.roles.items()})
        skipped += [{**r, "name": renamed(r["name"])} for r in part.skipped]
        compiles += [{**r, "name": renamed(r["name"])} for r in part.compile_seconds]
    points.sort(key=lambda p: (ROLE_ORDER.get(p.role, 3), p.dtype, p.name, p.n))
    settings: dict[str, Any] = {}
    for key in dict.fromkeys(k for part in parts for k in part.settings):
        values = list(dict.fromkeys(str(part.settings.get(key)) for part in parts))
        settings[key] = parts[0].settings.get(key) if len(values) == 1 else " / ".join(values)
    return Summary(
        settings=settings,
        machine=parts[0].machine,
        points=points,
        fits=fits,
        skipped=skipped,
        compile_seconds=compiles,
        roles=roles,
        runs=sum(part.runs for part in parts),
        ignored_records=sum(part.ignored_records for part in parts),
        finished=all(part.finished for part in parts),
        clock=clock,
        series=series_order(roles, [(p.name, p.dtype) for p in points]),
        confidence=confidence,
        overlapping_records=sum(part.overlapping_records for part in parts),
        machines={label: part.machine for label, part in zip(labels, parts, strict=True)},
        machine_settings={label: part.settings for label, part in zip(labels, parts, strict=True)},
        protocols=series_protocols(points),
    )


def _text_field(record: Record, key: str) -> str | None:
    """`record[key]` if it is a string, else None (absent in older results)."""
    value = record.get(key)
    return value if isinstance(value, str) else None


def _count_field(record: Record, key: str) -> int | None:
    """`record[key]` if it is a non-negative whole number, else None."""
    value = record.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if math.isfinite(value) and value >= 0 else None


def _median_densities(group: list[Record]) -> dict[str, float | None]:
    """Median of each state's recorded fraction of ones over a point's epochs."""
    if not any(f"{state}_density" in r for r in group for state in STATES):
        return {}
    medians: dict[str, float | None] = {}
    for state in STATES:
        values = [r[f"{state}_density"] for r in group if r.get(f"{state}_density") is not None]
        medians[state] = float(np.median(values)) if values else None
    return medians


def density_label(density: float) -> str:
    """How a density sweep names the series of one density: ``'15% non-zero'``."""
    return f"{100 * density:g}% non-zero"


def summarize_densities(
    record_sets: Sequence[list[Record]],
    densities: Sequence[float],
    *,
    confidence: float = DEFAULT_CONFIDENCE,
    clock: str = "auto",
) -> Summary:
    """One summary of a density sweep: one sweep per density of the data, side by side.

    Each sweep is summarized on its own (its floor, at its density), as for machines
    (:func:`summarize_machines`), and its series are renamed ``NAME @ 15% non-zero``.
    ``densities`` maps each label to its density; ``machine`` is the first sweep's.

    Raises
    ------
    InputError
        If the densities are not distinct or not one per record set.
    """
    if len(densities) != len(record_sets) or len(set(densities)) != len(densities):
        raise InputError(f"need one distinct density per results file; got {list(densities)}")
    labels = [density_label(d) for d in densities]
    merged = summarize_machines(record_sets, labels, confidence=confidence, clock=clock)
    return dataclasses.replace(
        merged,
        machines={},
        machine_settings={},
        densities={label: float(d) for label, d in zip(labels, densities, strict=True)},
    )


def split_series_name(name: str) -> tuple[str, str | None]:
    """``("numba", "15% non-zero")`` from ``"numba @ 15% non-zero"``; else ``(name, None)``."""
    base, separator, label = name.rpartition(MACHINE_SEPARATOR)
    return (base, label) if separator else (name, None)


def _floor_of(record: Record) -> str:
    """The floor series an epoch record is compared with (a floor with itself)."""
    if record["role"] == "floor":
        return record["name"]
    return record.get("floor", "floor")


def growth_fits(
    points_or_records: Iterable[Point] | Iterable[Record],
    *,
    confidence: float = DEFAULT_CONFIDENCE,
    clock: str = "auto",
) -> dict[tuple[str, str], GrowthFit]:
    """Fit the growth of every (name, dtype) series, using every repeat as a point.

    Parameters
    ----------
    points_or_records : iterable of Point, or of result records
        :class:`Point` objects, or the records :func:`rbmperf.sweep.run.run_sweep`
        returns (only ``epoch`` records are used).
    confidence : float, default 0.95
    clock : {"auto", "wall", "cpu"}, default "auto"
        For records only: which time to fit (see
        :func:`rbmperf.sweep.results.epoch_seconds`); points carry their own.

    Returns
    -------
    dict
        ``{(name, dtype): GrowthFit}``.

    Examples
    --------
    >>> from rbmperf.sweep.run import run_sweep; from rbmperf.sweep.summary import growth_fits
    >>> records = run_sweep(["numpy"], [200, 400, 800, 1600], n_hidden=20)  # doctest: +SKIP
    >>> growth_fits(records)[("numpy", "float32")].verdict  # doctest: +SKIP
    'linear'
    """
    sizes: dict[tuple[str, str], list[float]] = defaultdict(list)
    seconds: dict[tuple[str, str], list[float]] = defaultdict(list)
    for item in points_or_records:
        if isinstance(item, Point):
            sizes[(item.name, item.dtype)] += [item.n] * len(item.seconds)
            seconds[(item.name, item.dtype)] += list(item.seconds)
        elif item.get("kind") == "epoch":
            sizes[(item["name"], item["dtype"])].append(item["n"])
            seconds[(item["name"], item["dtype"])].append(epoch_seconds(item, clock))
    return {
        key: fit_growth(sizes[key], seconds[key], confidence=confidence) for key in sorted(sizes)
    }
