"""Per-commit growth fits: asv's values over a size parameter, one fit per commit.

For every benchmark of type time or memory (``time_*``, ``peakmem_*``, ``mem_*``) that has
a numeric size parameter, the parameter combinations of one results file are grouped by
the *other* parameters; each group is one series (machine, environment, benchmark, the
other parameters' values), and at each commit its values over the sizes are fitted by
:func:`rbmperf.stats.growth.fit_growth` (the exponent ``k`` of ``t ∝ Nᵏ``, Sen's interval
and the verdict).

What is fitted, in order of preference (the ``source`` of each fit says which):

- ``"samples"``: every sample asv kept (``asv run --record-samples``), each a point at its
  size, when every size of the group has them (and some size more than one). The
  interval then reflects the spread of the samples.
- ``"medians"``: asv's result (the median of its samples) at each size, one point per size.
  With 4 to 6 sizes Sen's interval is then close to the range of the pairwise slopes: wide,
  and honest about having one number per size.

The size parameter is ``size_param`` when given, else the first of ``n``, ``n_samples``,
``size``, ``N`` whose values are all numbers, else the only parameter whose values are all
numbers. Commits are ordered by the git repository's history when every commit is found
in it (``git rev-list --topo-order``), else by the commit dates asv recorded.
"""

from __future__ import annotations

import itertools
import math
import os
import subprocess
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..stats.growth import fit_growth
from .asvresults import AsvResults, BenchmarkInfo, BenchmarkResult, numeric_param, parse_param

__all__ = [
    "SIZE_PARAM_NAMES",
    "CommitFit",
    "GrowthSeries",
    "commit_order",
    "growth_series",
    "size_axis",
]

SIZE_PARAM_NAMES = ("n", "n_samples", "size", "N")
_KINDS = {"time": "time", "memory": "memory", "peakmemory": "memory"}
_PREFIXES = {"time_": "time", "peakmem_": "memory", "mem_": "memory"}


@dataclass(frozen=True)
class CommitFit:
    """The growth fit of one series at one commit.

    Attributes
    ----------
    commit : str
    date : int or None
        Commit date in milliseconds since the epoch, as asv recorded it.
    exponent, ci_low, ci_high : float
        ``k`` and its interval (NaN with fewer than 2 sizes).
    verdict : str
        ``"linear"``, ``"superlinear"``, ``"sublinear"`` or ``"inconclusive"``.
    reason : str
        The verdict's reason, from :func:`~rbmperf.stats.growth.fit_growth`.
    n_sizes : int
        Distinct sizes the fit used.
    source : str
        ``"samples"`` or ``"medians"``: what was fitted.
    sizes : tuple of float
        Every size measured at this commit, ascending.
    values : tuple of float
        asv's median at each of `sizes` (seconds or bytes).
    decidable : bool
        Whether the fit's interval may be judged at all (``GrowthFit.decidable``: 4 sizes,
        or 3 above a bend, and no bend leaving the largest sizes unknown).
    """

    commit: str
    date: int | None
    exponent: float
    ci_low: float
    ci_high: float
    verdict: str
    reason: str
    n_sizes: int
    source: str
    sizes: tuple[float, ...]
    values: tuple[float, ...]
    decidable: bool = True

    @property
    def largest_size(self) -> float:
        """The largest size measured."""
        return self.sizes[-1]

    @property
    def value_at_largest(self) -> float:
        """asv's median at the largest size."""
        return self.values[-1]

    @property
    def has_exponent(self) -> bool:
        """Whether an exponent was fitted (at least 2 sizes)."""
        return not math.isnan(self.exponent)


@dataclass
class GrowthSeries:
    """One benchmark at fixed other parameters on one machine and environment, over commits.

    Attributes
    ----------
    machine, env_name, benchmark : str
    params : tuple of (str, str)
        The other parameters' names and values (asv's ``repr`` text), fixed in this series.
    size_param : str
    kind : str
        ``"time"`` or ``"memory"``.
    unit : str
    fits : list of CommitFit
        In commit order.
    """

    machine: str
    env_name: str
    benchmark: str
    params: tuple[tuple[str, str], ...]
    size_param: str
    kind: str
    unit: str
    fits: list[CommitFit] = field(default_factory=list)

    @property
    def label(self) -> str:
        """``bench.Class.time_x(backend='numpy')``: the benchmark and its fixed parameters."""
        if not self.params:
            return self.benchmark
        inner = ", ".join(f"{name}={value}" for name, value in self.params)
        return f"{self.benchmark}({inner})"


def benchmark_kind(name: str, info: BenchmarkInfo | None) -> str | None:
    """``"time"``, ``"memory"`` or None (a track or unknown benchmark), from asv's type."""
    if info is not None and info.kind:
        return _KINDS.get(info.kind)
    last = name.rsplit(".", 1)[-1]
    for prefix, kind in _PREFIXES.items():
        if last.startswith(prefix):
            return kind
    return None


def size_axis(
    param_names: tuple[str, ...], params: tuple[tuple[str, ...], ...], size_param: str | None
) -> int | None:
    """Index of the size parameter among `param_names`, or None if there is none.

    Parameters
    ----------
    param_names : tuple of str
    params : tuple of tuple of str
        Each axis's values as asv writes them.
    size_param : str or None
        The name asked for; None: the first of :data:`SIZE_PARAM_NAMES` whose values are
        all numeric, else the only all-numeric parameter.

    Examples
    --------
    >>> size_axis(("backend", "n_samples"), (("'numpy'",), ("1000", "4000")), None)
    1
    >>> size_axis(("backend",), (("'numpy'",),), None) is None
    True
    """
    numeric = [all(numeric_param(v) is not None for v in axis) for axis in params]
    if size_param is not None:
        if size_param in param_names:
            index = param_names.index(size_param)
            return index if numeric[index] else None
        return None
    for name in SIZE_PARAM_NAMES:
        if name in param_names and numeric[param_names.index(name)]:
            return param_names.index(name)
    candidates = [i for i, is_numeric in enumerate(numeric) if is_numeric]
    return candidates[0] if len(candidates) == 1 else None


def commit_order(
    commits: dict[str, int | None], repo: str | os.PathLike | None
) -> tuple[list[str], str]:
    """Order `commits` (hash → date) by git history, else by date.

    Returns
    -------
    order : list of str
        The commits, oldest first.
    method : str
        ``"git"`` when every commit was found in `repo`'s history (all refs, topological
        order), ``"dates"`` otherwise.
    """
    by_date = sorted(commits, key=lambda c: (commits[c] is None, commits[c] or 0, c))
    if repo is None:
        return by_date, "dates"
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), "rev-list", "--topo-order", "--reverse", "--all"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return by_date, "dates"
    if done.returncode != 0:
        return by_date, "dates"
    position = {sha: i for i, sha in enumerate(done.stdout.split())}
    if not all(c in position for c in commits):
        return by_date, "dates"
    return sorted(commits, key=position.__getitem__), "git"


def growth_series(
    results: AsvResults,
    *,
    size_param: str | None = None,
    repo: str | os.PathLike | None = None,
) -> tuple[list[GrowthSeries], list[str], str, list[str]]:
    """Fit the growth of every sized benchmark at every commit.

    Parameters
    ----------
    results : AsvResults
        From :func:`~rbmperf.history.asvresults.read_asv_results`.
    size_param : str, optional
        Name of the size parameter (default: see :func:`size_axis`).
    repo : path, optional
        A git repository holding the commits, for their order.

    Returns
    -------
    series : list of GrowthSeries
        Sorted by machine, environment, benchmark and parameters; fits in commit order.
    order : list of str
        Every commit of `results`, oldest first.
    order_method : str
        ``"git"`` or ``"dates"``.
    skipped : list of str
        Benchmarks of type time or memory left out for having no size parameter.
        Each, and each commit with fewer than 2 sizes, is also warned about.
    """
    dates: dict[str, int | None] = {}
    for file in results.files:
        if dates.get(file.commit) is None:
            dates[file.commit] = file.date
    order, method = commit_order(dates, repo)
    rank = {commit: i for i, commit in enumerate(order)}

    collected: dict[tuple, GrowthSeries] = {}
    no_size: set[str] = set()
    too_few: dict[tuple, list[str]] = defaultdict(list)
    for file in sorted(results.files, key=lambda f: (rank[f.commit], f.machine, f.env_name)):
        for name, result in file.benchmarks.items():
            info = results.benchmarks.get(name)
            kind = benchmark_kind(name, info)
            if kind is None:
                continue
            names = _param_names(info, result)
            axis = size_axis(names, result.params, size_param)
            if axis is None:
                no_size.add(name)
                continue
            for fixed, points in _groups(result, axis).items():
                fixed_params = tuple(zip(_others(names, axis), fixed, strict=True))
                key = (file.machine, file.env_name, name, fixed_params)
                series = collected.get(key)
                if series is None:
                    series = collected[key] = GrowthSeries(
                        machine=file.machine,
                        env_name=file.env_name,
                        benchmark=name,
                        params=key[3],
                        size_param=names[axis],
                        kind=kind,
                        unit=info.unit if info and info.unit else _default_unit(kind),
                    )
                fit = _fit(file.commit, file.date, points)
                if fit is None:
                    continue
                if not fit.has_exponent:
                    too_few[key].append(file.commit[:8])
                series.fits.append(fit)

    for key, commits in too_few.items():
        label = collected[key].label
        results.warn(
            f"{label} on {key[0]}: {len(commits)} commit(s) with fewer than 2 sizes "
            f"measured ({_listing(commits)}): no exponent there, the rest of its history kept"
        )
    if no_size:
        wanted = (
            f"no numeric parameter {size_param!r}"
            if size_param
            else "no numeric n, n_samples, size or N, and not exactly one numeric parameter"
        )
        results.warn(
            f"{len(no_size)} time/memory benchmark(s) skipped, {wanted}: "
            f"{_listing(sorted(no_size))}"
        )
    series_list = sorted(
        (s for s in collected.values() if s.fits),
        key=lambda s: (s.machine, s.env_name, s.benchmark, s.params),
    )
    return series_list, order, method, sorted(no_size)


def _listing(items: list[str], limit: int = 8) -> str:
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit} more"


def _default_unit(kind: str) -> str:
    return "seconds" if kind == "time" else "bytes"


def _param_names(info: BenchmarkInfo | None, result: BenchmarkResult) -> tuple[str, ...]:
    if info is not None and len(info.param_names) == len(result.params):
        return info.param_names
    return tuple(f"param{i + 1}" for i in range(len(result.params)))


def _others(names: tuple[str, ...], axis: int) -> tuple[str, ...]:
    return names[:axis] + names[axis + 1 :]


def _groups(
    result: BenchmarkResult, axis: int
) -> dict[tuple[str, ...], list[tuple[float, float, tuple[float, ...] | None]]]:
    """Other parameters' values → [(size, median, samples)] of the usable combinations."""
    groups: dict[tuple[str, ...], list] = defaultdict(list)
    combos = itertools.product(*result.params)
    for index, combo in enumerate(combos):
        if index >= len(result.values):
            break
        size = numeric_param(combo[axis])
        median = result.values[index]
        fixed = combo[:axis] + combo[axis + 1 :]
        if size is None or size <= 1 or median is None or not median > 0 or median == math.inf:
            groups.setdefault(fixed, [])
            continue
        samples = None
        if result.samples is not None and index < len(result.samples):
            samples = result.samples[index]
        if samples is not None:
            samples = tuple(s for s in samples if s > 0 and math.isfinite(s)) or None
        groups[fixed].append((size, median, samples))
    return groups


def _fit(
    commit: str, date: int | None, points: list[tuple[float, float, tuple[float, ...] | None]]
) -> CommitFit | None:
    if not points:
        return None
    points.sort(key=lambda p: p[0])
    # One sample per size (asv run --quick) is no more than the medians: called so.
    if all(samples for _, _, samples in points) and any(len(s) > 1 for _, _, s in points):
        sizes = [size for size, _, samples in points for _ in samples]
        values = [v for _, _, samples in points for v in samples]
        source = "samples"
    else:
        sizes = [size for size, _, _ in points]
        values = [median for _, median, _ in points]
        source = "medians"
    fit = fit_growth(sizes, values)
    return CommitFit(
        commit=commit,
        date=date,
        exponent=fit.exponent,
        ci_low=fit.ci_low,
        ci_high=fit.ci_high,
        verdict=fit.verdict,
        reason=fit.reason,
        n_sizes=fit.n_sizes,
        source=source,
        sizes=tuple(size for size, _, _ in points),
        values=tuple(median for _, median, _ in points),
        decidable=fit.decidable,
    )


def display_param(text: str) -> str:
    """A parameter value for display: ``"'numpy'"`` → ``numpy``."""
    value = parse_param(text)
    return value if isinstance(value, str) else text


def repo_of(path: str | os.PathLike) -> Path | None:
    """The top folder of the git work tree holding `path`, or None."""
    try:
        done = subprocess.run(
            ["git", "-C", str(path), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(done.stdout.strip()) if done.returncode == 0 and done.stdout.strip() else None
