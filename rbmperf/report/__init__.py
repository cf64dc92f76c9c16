"""Reports from recorded results: figures, REPORT.md and index.html.

The report reads only what a sweep recorded (:mod:`rbmperf.sweep.results`); it never
measures anything.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, ResultsWarning
from ..sweep.profiling import PROFILE_FOLDER
from ..sweep.results import Record, latest_sweep, read_records
from ..sweep.summary import (
    Summary,
    machine_labels,
    summarize,
    summarize_densities,
    summarize_machines,
)


@dataclass(frozen=True)
class ReportFiles:
    """Where :func:`write_report` put each file, and the summary it drew them from."""

    folder: Path
    scaling_png: Path
    floor_png: Path
    html: Path
    markdown: Path
    summary: Summary


Results = str | os.PathLike | list[Record] | Sequence[str | os.PathLike]


def write_report(
    results: Results,
    out: str | os.PathLike,
    *,
    clock: str = "auto",
    labels: Sequence[str] | None = None,
    densities: Sequence[float] | None = None,
) -> ReportFiles:
    """Write ``scaling.png``, ``floor.png``, ``index.html`` and ``REPORT.md`` into `out`.

    Parameters
    ----------
    results : path, list of dict, or sequence of paths
        A JSON-lines results file, or the records :func:`rbmperf.sweep.run.run_sweep`
        returned, or several results files (one per machine: CI runners, a laptop, a
        workstation), whose latest sweeps are reported side by side, each series labelled
        ``NAME @ MACHINE`` (see :func:`rbmperf.sweep.summary.summarize_machines`).
        Unusable lines of a file are skipped with a warning naming the file and the lines.
    out : path
        Folder for the report (created if needed). Profiles found in ``out/profiles/*.txt``
        are linked.
    clock : {"auto", "wall", "cpu"}, default "auto"
        Which recorded time to report (see :func:`rbmperf.sweep.results.epoch_seconds`).
    labels : sequence of str, optional
        One label per results file when there are several; default each machine's host
        name (or CPU), made distinct.
    densities : sequence of float, optional
        Several results files that are one density sweep (``rbmperf bench --density``):
        the data's density of each, in order. Series are labelled ``NAME @ 15% non-zero`` and
        the report adds the tables by density. Default: detected when every file's
        latest sweep recorded a distinct ``density``.

    Returns
    -------
    ReportFiles

    Raises
    ------
    FileNotFoundError
        If a results path does not exist.
    InputError
        If a file holds no usable record or no sweep, or nothing was measured.

    Notes
    -----
    Each file is written to a temporary name in `out` and then renamed over the old one,
    so two processes writing the same report never leave a file that mixes both.
    """
    from .plots import floor_figure, scaling_figure
    from .writers import html_report, markdown_report

    summary = _summary_of(results, clock, labels, densities)
    if not summary.points:
        raise InputError("the results hold no measured epoch: nothing to report")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    profiles = sorted(f"{PROFILE_FOLDER}/{p.name}" for p in (folder / PROFILE_FOLDER).glob("*.txt"))
    scaling_png = folder / "scaling.png"
    floor_png = folder / "floor.png"
    with _replacing(scaling_png) as temporary:
        scaling_figure(summary, temporary)
    with _replacing(floor_png) as temporary:
        floor_figure(summary, temporary)
    markdown = folder / "REPORT.md"
    with _replacing(markdown) as temporary:
        temporary.write_text(markdown_report(summary, profiles), encoding="utf-8")
    page = folder / "index.html"
    with _replacing(page) as temporary:
        temporary.write_text(html_report(summary, profiles), encoding="utf-8")
    return ReportFiles(folder, scaling_png, floor_png, page, markdown, summary)


def _summary_of(
    results: Results,
    clock: str,
    labels: Sequence[str] | None,
    densities: Sequence[float] | None = None,
) -> Summary:
    if isinstance(results, (str, os.PathLike)):
        results = [results]
    items = list(results)
    if not items or isinstance(items[0], dict):
        return summarize(items, clock=clock)  # type: ignore[arg-type]
    paths = [Path(p) for p in items]  # type: ignore[arg-type]
    if len(paths) == 1 and labels is None and densities is None:
        return _summarize_file(paths[0], clock)
    record_sets = [_records_of(path) for path in paths]
    if densities is None and labels is None:
        found = [_run_of(records).get("density") for records in record_sets]
        if None not in found and len(set(found)) == len(found) and len(found) > 1:
            densities = found
    if densities is not None:
        if len(densities) != len(paths):
            raise InputError(f"{len(densities)} densities for {len(paths)} results files")
        return summarize_densities(record_sets, list(densities), clock=clock)
    if labels is None:
        machines = [_machine_of(records) for records in record_sets]
        sources = [p.parent.name if p.stem == "results" else p.stem for p in paths]
        labels = machine_labels(machines, sources)
    if len(labels) != len(paths):
        raise InputError(f"{len(labels)} labels for {len(paths)} results files")
    return summarize_machines(record_sets, list(labels), clock=clock)


def _records_of(path: str | os.PathLike) -> list[Record]:
    found = read_records(path)
    if found.skipped:
        warnings.warn(found.describe_skipped(), ResultsWarning, stacklevel=3)
    if not found.records:
        skipped = f" ({len(found.skipped)} unusable lines skipped)" if found.skipped else ""
        raise InputError(
            f"results file {str(path)!r} holds no usable rbmperf record{skipped}: nothing to report"
        )
    if latest_sweep(found.records) is None:
        raise InputError(
            f"results file {str(path)!r} holds no sweep (no 'run' record): nothing to report"
        )
    return found.records


def _run_of(records: list[Record]) -> dict:
    """The latest sweep's last ``run`` record ({} if none)."""
    sweep = latest_sweep(records)
    runs = [r for r in records if r.get("kind") == "run" and sweep and r["sweep_id"] == sweep[0]]
    return runs[-1] if runs else {}


def _machine_of(records: list[Record]) -> dict:
    return _run_of(records).get("machine", {})


def _summarize_file(path: str | os.PathLike, clock: str) -> Summary:
    return summarize(_records_of(path), clock=clock)


@contextlib.contextmanager
def _replacing(target: Path) -> Iterator[Path]:
    """A temporary path beside `target`, renamed over it once written (atomic on POSIX)."""
    handle, name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=target.suffix
    )
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # as a plain open() would have made it
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
