"""The main job, callable from Python: sweep → profiles → report.

``rbmperf bench`` is a thin shell over :func:`run_bench`: it parses its options, calls
this function and prints the summary. Every default is the sweep's own
(:func:`rbmperf.sweep.run.run_sweep`), so the command line and Python cannot drift apart.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError
from .paths import check_output_file, prepare_output_dir
from .report import ReportFiles, write_report
from .sweep.peers import available_peers
from .sweep.profiling import PROFILE_FOLDER, profile_epoch, write_profile
from .sweep.results import Record
from .sweep.run import DEFAULT_BUDGET_SECONDS, DEFAULT_REPEATS, DEFAULT_SIZES, run_sweep
from .validation import check_float

__all__ = [
    "DEFAULT_PROFILE_N",
    "QUICK",
    "BenchResult",
    "check_bench_paths",
    "density_results_path",
    "run_bench",
]

# A smoke run: small sizes, two repeats, a tighter budget (explicit settings win).
QUICK = {"sizes": (500, 1000, 2000, 4000), "repeats": 2, "budget_seconds": 8.0}
DEFAULT_DTYPES = ("float32", "float64")
# Each measured backend's epoch is profiled at this N (0: no profiles).
DEFAULT_PROFILE_N = 1000


@dataclass(frozen=True)
class BenchResult:
    """What :func:`run_bench` measured and wrote.

    Attributes
    ----------
    records : list of dict
        Every record of the sweep (see :mod:`rbmperf.sweep.results`).
    results_path : Path
        The JSON-lines results file (an interrupted run resumes from it).
    profiles : list of Path
        The profile tables written into ``out/profiles``.
    report : ReportFiles
        The figures, ``index.html`` and ``REPORT.md``, and the summary they show.
    resumed_epochs : int
        Epochs an earlier, interrupted run had already measured.
    results_paths : tuple of Path
        Every results file written: ``(results_path,)``, or one per density of a density
        sweep (then `results_path` is the first).
    """

    records: list[Record]
    results_path: Path
    profiles: list[Path]
    report: ReportFiles
    resumed_epochs: int
    results_paths: tuple[Path, ...] = ()


def density_results_path(results: str | os.PathLike, density: float) -> Path:
    """The results file of one density of a density sweep: ``results.density-0.15.jsonl``."""
    results = Path(results)
    return results.with_name(f"{results.stem}.density-{density:g}{results.suffix}")


def check_bench_paths(
    out: str | os.PathLike, results: str | os.PathLike, *, profiles: bool = True
) -> None:
    """Refuse, before any measuring, a report folder or results file that cannot be written.

    Creates `out` (and ``out/profiles`` when `profiles`) if needed.

    Raises
    ------
    InputError
        Naming the path and the problem (see :mod:`rbmperf.paths`).
    """
    prepare_output_dir(out, "report folder (--out)")
    if profiles:
        prepare_output_dir(Path(out) / PROFILE_FOLDER, "profiles folder")
    check_output_file(results, "results file")


def run_bench(
    out: str | os.PathLike = "reports",
    *,
    backends: Sequence[str] | None = None,
    peers: Sequence[str] | None = None,
    sizes: Sequence[int] = DEFAULT_SIZES,
    dtypes: Sequence[str] = DEFAULT_DTYPES,
    repeats: int = DEFAULT_REPEATS,
    budget_seconds: float = DEFAULT_BUDGET_SECONDS,
    threads: int = 1,
    batch_size: int = 100,
    n_hidden: int = 300,
    seed: int = 0,
    densities: Sequence[float] | None = None,
    results_path: str | os.PathLike | None = None,
    resume: bool = True,
    profile_n: int = DEFAULT_PROFILE_N,
    clock: str = "auto",
    progress: bool = False,
) -> BenchResult:
    """Time every backend across data sizes, profile each, and write the report into `out`.

    Parameters
    ----------
    out : path, default "reports"
        Report folder: ``scaling.png``, ``floor.png``, ``index.html``, ``REPORT.md``,
        ``profiles/`` and (by default) ``results.jsonl``.
    backends : sequence of str, optional
        Default: every available backend in the registry.
    peers : sequence of str, optional
        Peer libraries timed alongside; default: every installed one; ``()`` for none.
    sizes, dtypes, repeats, budget_seconds, threads, batch_size, n_hidden, seed, resume
        As for :func:`rbmperf.sweep.run.run_sweep` (same defaults), except that both
        dtypes are swept by default.
    densities : sequence of float, optional
        A density sweep instead of the default data: one sweep per density ``d`` on
        ``synthetic_mnist(max(sizes), seed=0, density=d)`` (exactly that fraction of
        non-zero pixels), each in its own results file
        (:func:`density_results_path`: ``results.density-0.05.jsonl`` beside
        `results_path`, resumed on its own), reported side by side with the tables
        "time ÷ numba's" and "× floor" by density. E.g. ``(0.05, 0.15, 0.3, 0.5)``.
    results_path : path, optional
        Default ``out/results.jsonl``.
    profile_n : int, default 1000
        Profile one epoch of each measured backend at this N (capped at the largest size);
        0 skips profiling.
    clock : {"auto", "wall", "cpu"}, default "auto"
        The time the report shows (see :func:`rbmperf.report.write_report`).
    progress : bool, default False
        Show the sweep's progress bar.

    Returns
    -------
    BenchResult

    Examples
    --------
    >>> from rbmperf.bench import run_bench
    >>> result = run_bench(  # doctest: +SKIP
    ...     "reports", backends=["numpy", "numba"], sizes=[1000, 2000, 4000, 8000]
    ... )
    >>> result.report.summary.fits[("numba", "float32")].verdict  # doctest: +SKIP
    'linear'
    """
    out = Path(out)
    results = Path(results_path) if results_path is not None else out / "results.jsonl"
    density_list = _densities(densities)
    files = [density_results_path(results, d) for d in density_list] or [results]
    check_bench_paths(out, files[0], profiles=profile_n > 0)
    for path in files[1:]:
        check_output_file(path, "results file")
    peer_list = available_peers() if peers is None else list(peers)
    dtype_list = [dtypes] if isinstance(dtypes, str) else list(dtypes)
    records: list[Record] = []
    resumed = 0
    for density, path in zip(density_list or [None], files, strict=True):
        sweep = run_sweep(
            backends,
            sizes,
            dtype_list,
            peers=peer_list,
            repeats=repeats,
            budget_seconds=budget_seconds,
            threads=threads,
            batch_size=batch_size,
            n_hidden=n_hidden,
            seed=seed,
            density=density,
            results_path=path,
            resume=resume,
            progress=progress,
        )
        this_run = sweep[-1]["run_id"]
        resumed += sum(1 for r in sweep if r["kind"] == "epoch" and r["run_id"] != this_run)
        records += sweep
    profiles = []
    if profile_n > 0:
        measured = sorted(
            {r["name"] for r in records if r["kind"] == "epoch" and r["role"] == "backend"}
        )
        for name in measured:
            profile = profile_epoch(
                name,
                min(profile_n, max(sizes)),
                dtype=dtype_list[0],
                threads=threads,
                batch_size=batch_size,
                n_hidden=n_hidden,
                seed=seed,
            )
            profiles.append(write_profile(profile, out))
    if density_list:
        report = write_report(files, out, clock=clock, densities=density_list)
    else:
        report = write_report(records, out, clock=clock)
    return BenchResult(records, files[0], profiles, report, resumed, tuple(files))


def _densities(densities: Sequence[float] | None) -> list[float]:
    """The distinct densities of a density sweep, each in (0, 1], in the order given."""
    if densities is None:
        return []
    if isinstance(densities, (int, float)):
        densities = [densities]
    found = []
    for value in densities:
        density = check_float(value, "density", minimum=0.0)
        if not 0.0 < density <= 1.0:
            raise InputError(f"density must lie in (0, 1]; got {density}")
        found.append(density)
    if not found:
        raise InputError("densities must name at least one density in (0, 1]")
    return list(dict.fromkeys(found))
