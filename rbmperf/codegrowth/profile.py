"""Which function makes a cost superlinear: cProfile at each size, one growth fit per function.

Model
-----
Under a deterministic profiler every call's time is charged to exactly one function as
its *own* time (``tottime``: the time in its body, not in the functions it calls), so the
total at size ``N`` is the sum of the functions' own times, ``T(N) = Σ_f t_f(N)``. If each
``t_f`` is a power law ``c_f · N^k_f`` (fitted exactly as :func:`.growth.fit_growth` fits a
whole epoch), the exponent of the total at ``N`` is the share-weighted mean of the
functions' exponents,

    d log T / d log N = Σ_f s_f · k_f,    with  s_f = t_f(N) / T(N),

and since the shares sum to one, its excess over linear splits into one term per function:

    k_total − 1 = Σ_f s_f · (k_f − 1).

Ranking
-------
Rows are sorted by that term, ``contribution = share · (exponent − 1)``, taken at the
largest size: the function that makes the whole superlinear comes first, and a function
whose own time grows fast but is a negligible share of the total (whose exponent is mostly
timer noise) does not. Functions with no exponent (seen at fewer than two sizes) come last.

More calls, or costlier calls
-----------------------------
A function's own time is its call count times its cost per call, so its exponent splits as
``k = k_calls + k_per_call``, where ``k_calls`` is fitted to the (exact) call counts over the
same sizes. ``growth_from`` reads:

- ``"no growth"``        when ``k`` is within the linear band's half-width of 0;
- ``"more calls"``       when ``k_per_call`` is (each call costs the same at every size);
- ``"costlier calls"``   when the calls grow at most linearly, as a loop over the items or
  the mini-batches does, so that whatever growth goes beyond that comes from each call
  doing more work: the blog's case, where ``cd1`` is called ``N/B`` times but every call
  got the whole data set;
- ``"both"``             otherwise (calls grow superlinearly *and* each costs more).

The half-width is that of :data:`.growth.LINEAR_BAND` (0.15).

Known limits
------------
- cProfile adds a fixed cost to every Python-level call, so code made of many tiny calls
  is slowed more than code made of few large ones; the exponents of such code are biased
  towards the exponent of its call count. Time the code with :func:`.code_growth.time_growth`
  for the true growth; use this table to find *where* it comes from.
- Work done in C without a Python-level call (numpy's ``@`` operator, ufuncs applied with
  operators) is charged to the Python function that did it: the blog's matrix products
  show up in ``cd1``'s own time.
- ``stats`` identify functions by file, line and name; two lambdas on one line merge.
"""

from __future__ import annotations

import cProfile
import gc
import math
import os
import pstats
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from ..engine.clocks import TIMED_CLOCKS
from ..engine.measure import SkippedSize, measure
from ..stats.growth import LINEAR_BAND, GrowthFit, fit_growth
from ..validation import (
    check_callable,
    check_measure_options,
    check_sizes,
)
from .timegrowth import no_fit

# How far from an exponent a "flat" or "at most linear" call count or cost may be.
_TOLERANCE = LINEAR_BAND[1] - 1.0
GROWTH_SOURCES = ("more calls", "costlier calls", "both", "no growth", "")
_PROFILER_ITSELF = "<method 'disable' of '_lsprof.Profiler' objects>"


@dataclass(frozen=True)
class FunctionGrowth:
    """One row of :class:`ProfileGrowthResult`: one function across the sizes.

    Attributes
    ----------
    function : str
        ``file:line(name)`` as pstats writes it (directories stripped), or
        ``{built-in method …}`` for C functions.
    own_seconds : tuple of float
        Median own time (``tottime``) at each size of the result; 0 where never called.
    cumulative_seconds : tuple of float
        Median cumulative time (``cumtime``) at each size.
    calls : tuple of int
        Calls at each size (0 where never called).
    growth : GrowthFit
        The fit of the own time over every repeat at the sizes where it was called.
    share : float
        Own time as a fraction of the total at the largest size.
    calls_exponent, per_call_exponent : float
        ``k_calls`` and ``k − k_calls`` (NaN without a fit).
    growth_from : str
        ``"more calls"``, ``"costlier calls"``, ``"both"``, ``"no growth"`` or ``""``
        (no fit); see the module docstring.
    """

    function: str
    own_seconds: tuple[float, ...]
    cumulative_seconds: tuple[float, ...]
    calls: tuple[int, ...]
    growth: GrowthFit
    share: float
    calls_exponent: float
    per_call_exponent: float
    growth_from: str

    @property
    def exponent(self) -> float:
        return self.growth.exponent

    @property
    def ci(self) -> tuple[float, float]:
        return (self.growth.ci_low, self.growth.ci_high)

    @property
    def verdict(self) -> str:
        return self.growth.verdict

    @property
    def contribution(self) -> float:
        """``share · (exponent − 1)``: this function's part of the total's excess over
        linear (the sort key; NaN without a fit)."""
        return self.share * (self.exponent - 1.0)


@dataclass(frozen=True)
class ProfileGrowthResult:
    """What :func:`profile_growth` measured: per-function growth, culprit first.

    Attributes
    ----------
    label : str
    clock : {"cpu", "wall"}
        The profiler's timer (``"cpu"``: this thread's CPU time).
    sizes : tuple of int
        The sizes profiled.
    totals : tuple of tuple of float
        Total own time of every repeat at each size (seconds under the profiler).
    rows : tuple of FunctionGrowth
        Sorted by contribution to the superlinear excess, largest first.
    skipped : tuple of SkippedSize
    requested : tuple of int
    interrupted_at : int or None
    threads : int or None
        BLAS threads during the measurement (None: as they were).
    """

    label: str
    clock: str
    sizes: tuple[int, ...]
    totals: tuple[tuple[float, ...], ...]
    rows: tuple[FunctionGrowth, ...]
    skipped: tuple[SkippedSize, ...] = ()
    requested: tuple[int, ...] = ()
    interrupted_at: int | None = None
    threads: int | None = None

    @cached_property
    def growth(self) -> GrowthFit:
        """The fit of the total under the profiler."""
        sizes = [n for n, repeat in zip(self.sizes, self.totals, strict=True) for _ in repeat]
        seconds = [t for repeat in self.totals for t in repeat]
        if not seconds or max(seconds) <= 0:
            return no_fit("nothing was profiled")
        keep = [i for i, t in enumerate(seconds) if t > 0]
        return fit_growth([sizes[i] for i in keep], [seconds[i] for i in keep])

    @property
    def culprit(self) -> FunctionGrowth | None:
        """The first row: the function that contributes most to superlinear growth."""
        return self.rows[0] if self.rows else None

    def row(self, name: str) -> FunctionGrowth:
        """The first row whose function contains `name` (``"cd1"``, ``"utils.py:12"``)."""
        for row in self.rows:
            if name in row.function:
                return row
        raise KeyError(f"no profiled function matches {name!r}")

    def table(self, limit: int = 10) -> str:
        """The fixed-width table of the first `limit` rows, with the total's verdict."""
        from .text import profile_text

        return profile_text(self, limit=limit)

    def __repr__(self) -> str:
        return self.table()

    def _repr_html_(self) -> str:
        from .text import profile_html

        return profile_html(self)


def profile_growth(
    func: Callable[[Any], object],
    sizes: Sequence[int],
    *,
    setup: Callable[[int], object] | None = None,
    repeats: int = 1,
    clock: str = "cpu",
    budget: float | None = None,
    warmup: bool = True,
    label: str | None = None,
    hide: Iterable[str] = (),
    threads: int | None = 1,
) -> ProfileGrowthResult:
    """Profile `func` with cProfile at each size and fit each function's growth.

    See the module docstring for the model, the ranking and its limits.

    Parameters
    ----------
    func, sizes, setup, budget, warmup, label, threads
        As in :func:`~rbmperf.time_growth` (`budget` uses the profiled calls' wall times).
    repeats : int, default 1
        Profiled calls per size; each is a point of every function's fit.
    clock : {"cpu", "wall"}, default "cpu"
        The profiler's timer: the CPU time of this thread (:func:`time.thread_time`; the
        profiler sees only this thread, and other threads' CPU time, such as idle BLAS
        workers spinning, would otherwise be charged to whichever function is running),
        or wall time (:func:`time.perf_counter`).
    hide : iterable of str
        File paths whose functions are left out of the table (a wrapper's own frames).

    Returns
    -------
    ProfileGrowthResult

    Raises
    ------
    ValueError, SetupError
        As in :func:`~rbmperf.time_growth`.
    """
    requested = check_sizes(sizes)
    repeats, clock, budget, threads = check_measure_options(
        repeats, clock, budget, threads, TIMED_CLOCKS
    )
    check_callable(func, "func")
    if setup is not None:
        check_callable(setup, "setup")
    name = label if label is not None else getattr(func, "__name__", "func")
    hidden = {os.path.abspath(path) for path in hide}
    timer = time.thread_time if clock == "cpu" else time.perf_counter
    by_size: dict[int, list[dict]] = {}  # per size, per repeat: key -> (calls, own, cumulative)

    def profiled(kernel, argument, calls, n):
        profiler = cProfile.Profile(timer)
        # Paused, as time_growth pauses it: a collection triggered inside the call scans
        # every object of the process (millions after numba has compiled) and charges that
        # to whichever function happens to be running.
        gc.disable()
        began = time.perf_counter()
        try:
            profiler.runcall(kernel, argument)
        finally:
            gc.enable()
        wall = time.perf_counter() - began
        by_size.setdefault(n, []).append(_function_stats(profiler, hidden))
        return wall, wall, None

    # Fixed rounds (no thresholds to decide against): the budget only skips sizes.
    measurement = measure(
        {name: func}, requested, setup=setup, clock="wall", budget=budget, min_rounds=repeats,
        warmup=warmup, threads=threads, thresholds=(), run_repeat=profiled, fixed_calls=True,
    )  # fmt: skip
    series = measurement.series[name]
    sizes_done = tuple(n for n in series.sizes if by_size.get(n))
    profiles = [by_size[n][: len(series.samples[n])] for n in sizes_done]
    totals = tuple(tuple(sum(own for _, own, _ in s.values()) for s in size) for size in profiles)
    rows = _rows(sizes_done, profiles)
    return ProfileGrowthResult(
        label=name,
        clock=clock,
        sizes=sizes_done,
        totals=totals,
        rows=rows,
        skipped=tuple(series.skipped),
        requested=requested,
        interrupted_at=measurement.interrupted_at,
        threads=threads,
    )


def _function_stats(profiler: cProfile.Profile, hidden: set[str]) -> dict:
    """``function label -> (calls, own seconds, cumulative seconds)`` of one profile."""
    profiler.create_stats()
    result: dict[str, tuple[int, float, float]] = {}
    for key, (_, calls, own, cumulative, callers) in profiler.stats.items():  # type: ignore[attr-defined]
        filename, _, function = key
        if function == _PROFILER_ITSELF or _is_hidden(filename, hidden):
            continue
        if filename == "~" and callers and all(_is_hidden(c[0], hidden) for c in callers):
            continue  # a C function only hidden code calls (the wrapper's exec)
        label = pstats.func_std_string(pstats.func_strip_path(key))
        previous = result.get(label, (0, 0.0, 0.0))  # stripped paths may merge two files
        result[label] = (previous[0] + calls, previous[1] + own, previous[2] + cumulative)
    return result


def _is_hidden(filename: str, hidden: set[str]) -> bool:
    return bool(hidden) and filename[:1] != "<" and os.path.abspath(filename) in hidden


def _rows(sizes: tuple[int, ...], profiles: list[list[dict]]) -> tuple[FunctionGrowth, ...]:
    if not sizes:
        return ()
    names = list(dict.fromkeys(name for size in profiles for run in size for name in run))
    total_at_largest = float(np.median([sum(v[1] for v in run.values()) for run in profiles[-1]]))
    rows = []
    for name in names:
        points_n, points_t, calls, own, cumulative = [], [], [], [], []
        for n, runs in zip(sizes, profiles, strict=True):
            entries = [run[name] for run in runs if name in run]
            calls.append(entries[0][0] if entries else 0)
            own.append(float(np.median([e[1] for e in entries])) if entries else 0.0)
            cumulative.append(float(np.median([e[2] for e in entries])) if entries else 0.0)
            for entry in entries:
                if entry[1] > 0:
                    points_n.append(n)
                    points_t.append(entry[1])
        share = own[-1] / total_at_largest if total_at_largest > 0 else 0.0
        if len(set(points_n)) >= 2:
            fit = fit_growth(points_n, points_t)
            used = [i for i, n in enumerate(sizes) if n in fit.sizes_used and calls[i] > 0]
            calls_fit = fit_growth([sizes[i] for i in used], [calls[i] for i in used])
            calls_exponent = calls_fit.exponent if len(used) >= 2 else math.nan
        else:
            fit = no_fit("called at fewer than two sizes")
            calls_exponent = math.nan
        per_call = fit.exponent - calls_exponent
        rows.append(
            FunctionGrowth(
                function=name,
                own_seconds=tuple(own),
                cumulative_seconds=tuple(cumulative),
                calls=tuple(calls),
                growth=fit,
                share=share,
                calls_exponent=calls_exponent,
                per_call_exponent=per_call,
                growth_from=_growth_from(fit.exponent, calls_exponent, per_call),
            )
        )
    rows.sort(key=_rank)
    return tuple(rows)


def _growth_from(exponent: float, calls_exponent: float, per_call_exponent: float) -> str:
    if math.isnan(exponent) or math.isnan(calls_exponent):
        return ""
    if abs(exponent) <= _TOLERANCE:
        return "no growth"
    if abs(per_call_exponent) <= _TOLERANCE:
        return "more calls"
    if calls_exponent <= 1.0 + _TOLERANCE:
        return "costlier calls"
    return "both"


def _rank(row: FunctionGrowth) -> tuple[int, float, float]:
    contribution = row.contribution
    if math.isnan(contribution):
        return (1, -row.share, 0.0)
    return (0, -contribution, -row.share)
