"""Growth across commits: read any project's asv results and show where growth changed.

asv records, per commit, the time of every benchmark at every parameter value, sizes
included, but shows time per commit at one parameter value. This package reads those
results as growth curves:

1. :func:`~rbmperf.history.asvresults.read_asv_results` reads a results folder (every
   machine; asv's format versions 1 and 2; ``benchmarks.json`` for parameter names);
2. :func:`~rbmperf.history.series.growth_series` fits, per commit, the exponent of each
   sized benchmark over its size parameter, the other parameters held fixed
   (:func:`rbmperf.stats.growth.fit_growth`);
3. :func:`~rbmperf.history.changes.find_changes` flags the commits where the verdict
   changes or the exponent steps beyond its interval (the statistic and its limits are in
   that module's docstring);
4. :func:`~rbmperf.history.writers.write_history` writes ``history.json``, ``index.html``
   and ``HISTORY.md`` (charts as inline SVG: the page works with the network off).

:func:`build_history` runs steps 1–3; ``rbmperf history`` runs all four.

Examples
--------
>>> from rbmperf.history import build_history, write_history   # doctest: +SKIP
>>> history = build_history(".asv/results", repo=".")          # doctest: +SKIP
>>> [change.describe() for change in history.changes]           # doctest: +SKIP
>>> write_history(history, "history")                           # doctest: +SKIP
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .asvresults import AsvResults, read_asv_config, read_asv_results
from .changes import DEFAULT_MIN_STEP, Change, find_changes, series_changes
from .series import CommitFit, GrowthSeries, growth_series

__all__ = [
    "AsvResults",
    "Change",
    "CommitFit",
    "GrowthSeries",
    "History",
    "build_history",
    "find_changes",
    "read_asv_config",
    "read_asv_results",
    "write_history",
]


@dataclass
class History:
    """Growth of every sized benchmark over commits, and where it changed.

    Attributes
    ----------
    results_dir : Path
    series : list of GrowthSeries
        One per machine, environment, benchmark and fixed other parameters.
    changes : list of Change
    order : str
        How commits were ordered: ``"git"`` or ``"dates"``.
    commit_order : list of str
        Every commit of the results, oldest first.
    size_param : str or None
        The size parameter asked for (None: the default rule).
    min_step : float
        The smallest exponent step counted as a change.
    skipped : list of str
        Time/memory benchmarks without a size parameter.
    warnings : list of str
        Everything skipped while reading and fitting, in words.
    """

    results_dir: Path
    series: list[GrowthSeries]
    changes: list[Change]
    order: str
    commit_order: list[str] = field(default_factory=list)
    size_param: str | None = None
    min_step: float = DEFAULT_MIN_STEP
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def commits(self, machine: str, env_name: str) -> list[str]:
        """Every commit with a fit on `machine` / `env_name`, in history order."""
        present = {
            fit.commit
            for one in self.series
            if one.machine == machine and one.env_name == env_name
            for fit in one.fits
        }
        return [commit for commit in self.commit_order if commit in present]


def build_history(
    results_dir: str | os.PathLike,
    *,
    size_param: str | None = None,
    repo: str | os.PathLike | None = None,
    min_step: float = DEFAULT_MIN_STEP,
    warn_order: bool = True,
) -> History:
    """Read asv results, fit each commit's growth and find the changes.

    Parameters
    ----------
    results_dir : path
        An asv results folder.
    size_param : str, optional
        The size parameter's name (default: ``n``, ``n_samples``, ``size`` or ``N``, else
        the only numeric parameter).
    repo : path, optional
        The project's git repository, for the order of commits (default: commit dates).
    min_step : float, default 0.15
        Smallest exponent step counted as a change.
    warn_order : bool, default True
        Warn when `repo` is given but cannot order the commits (the command line turns it
        off for a repository it only guessed from where the results are).

    Returns
    -------
    History

    Raises
    ------
    InputError
        If `results_dir` holds no usable asv results. Damaged files, benchmarks without a
        size parameter and commits with one size are warned about
        (:class:`~rbmperf.errors.ResultsWarning`) and left out; the rest is kept.
    """
    results = read_asv_results(results_dir)
    series, commits, order, skipped = growth_series(results, size_param=size_param, repo=repo)
    if repo is not None and order != "git" and warn_order:
        results.warn(
            f"commits ordered by the dates asv recorded: {str(repo)!r} is not a git "
            "repository holding every commit of the results"
        )
    history = History(
        results_dir=Path(results_dir),
        series=series,
        changes=series_changes(series, min_step=min_step),
        order=order,
        commit_order=commits,
        size_param=size_param,
        min_step=min_step,
        skipped=skipped,
        warnings=results.warnings,
    )
    return history


def write_history(history: History, out_dir: str | os.PathLike) -> dict[str, Path]:
    """Write ``history.json``, ``index.html`` and ``HISTORY.md`` (with SVG charts) to `out_dir`.

    See :func:`rbmperf.history.writers.write_history`.
    """
    from .writers import write_history as write

    return write(history, out_dir)
