"""From records to numbers: per-point statistics, floor multiples and growth fits.

Pure functions over the records of :mod:`rbmperf.scaling.results`; the report and the
command line only format what these return.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError
from .growth import DEFAULT_CONFIDENCE, GrowthFit, fit_growth
from .results import Record, epoch_seconds, latest_sweep, resolved_clock

ROLE_ORDER = {"floor": 0, "backend": 1, "peer": 2}


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


def series_order(roles: dict[str, str], names: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Sort (name, dtype) pairs: floor first, then backends, then peers; dtypes together."""
    return sorted(set(names), key=lambda s: (ROLE_ORDER.get(roles.get(s[0], ""), 3), s[1], s[0]))


def summarize(
    records: list[Record], *, confidence: float = DEFAULT_CONFIDENCE, clock: str = "auto"
) -> Summary:
    """Summarize the most recent sweep in `records` (interrupted or not).

    Records of earlier sweeps are left out and counted in ``ignored_records``. `clock`
    picks wall or CPU time (see :func:`rbmperf.scaling.results.epoch_seconds`).

    Raises
    ------
    ValueError
        If `records` holds no run.
    """
    last = latest_sweep(records)
    if last is None:
        raise InputError("no sweep found in these results (no 'run' record)")
    sweep_id, _, finished = last
    mine = [r for r in records if r.get("sweep_id") == sweep_id]
    clock = resolved_clock(mine, clock)
    runs = [r for r in mine if r["kind"] == "run"]
    epochs: dict[tuple[str, str, int], list[Record]] = defaultdict(list)
    roles: dict[str, str] = {}
    for record in mine:
        if record["kind"] in ("epoch", "skip", "compile"):
            roles[record["name"]] = record["role"]
        if record["kind"] == "epoch":
            epochs[(record["name"], record["dtype"], int(record["n"]))].append(record)

    floor_median = {
        (dtype, n): float(np.median([epoch_seconds(r, clock) for r in group]))
        for (name, dtype, n), group in epochs.items()
        if name == "floor"
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
                floor_seconds=floor_median.get((dtype, n)),
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
    )


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
        :class:`Point` objects, or the records :func:`rbmperf.scaling.sweep.run_sweep`
        returns (only ``epoch`` records are used).
    confidence : float, default 0.95
    clock : {"auto", "wall", "cpu"}, default "auto"
        For records only: which time to fit (see
        :func:`rbmperf.scaling.results.epoch_seconds`); points carry their own.

    Returns
    -------
    dict
        ``{(name, dtype): GrowthFit}``.

    Examples
    --------
    >>> from rbmperf.scaling import run_sweep, growth_fits
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
