"""From records to numbers: per-point statistics, floor multiples and growth fits.

Pure functions over the records of :mod:`rbmperf.sweep.results`; the report and the
command line only format what these return.
"""

from __future__ import annotations

import dataclasses
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
        by_repeat: dict[int, float] = {}
        for r in group:
            by_repeat.setdefault(int(r["repeat"]), epoch_seconds(r, clock))
        points.append(
            Point(
                name=name,
                role=roles[name],
                dtype=dtype,
                n=n,
                seconds=tuple(by_repeat[k] for k in sorted(by_repeat)),
                n_batches=int(group[0]["n_batches"]),
                floor_seconds=floor_median.get((_floor_of(group[0]), dtype, n)),
                densities=_median_densities(group),
                density_source=group[0].get("density_source"),
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
    )


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
