"""Reports from recorded results: figures, REPORT.md and index.html.

The report reads only what a sweep recorded (:mod:`rbmperf.scaling.results`); it never
measures anything.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..scaling.profiling import PROFILE_FOLDER
from ..scaling.results import Record, load_records
from ..scaling.summary import Summary, summarize


@dataclass(frozen=True)
class ReportFiles:
    """Where :func:`write_report` put each file, and the summary it drew them from."""

    folder: Path
    scaling_png: Path
    floor_png: Path
    html: Path
    markdown: Path
    summary: Summary


def write_report(
    results: str | os.PathLike | list[Record], out: str | os.PathLike, *, clock: str = "auto"
) -> ReportFiles:
    """Write ``scaling.png``, ``floor.png``, ``index.html`` and ``REPORT.md`` into `out`.

    Parameters
    ----------
    results : path or list of dict
        A JSON-lines results file, or the records :func:`rbmperf.scaling.run_sweep` returned.
    out : path
        Folder for the report (created if needed). Profiles found in ``out/profiles/*.txt``
        are linked.
    clock : {"auto", "wall", "cpu"}, default "auto"
        Which recorded time to report (see :func:`rbmperf.scaling.results.epoch_seconds`).

    Returns
    -------
    ReportFiles

    Raises
    ------
    FileNotFoundError
        If `results` is a path that does not exist.
    ValueError
        If the results hold no sweep or no measurement.
    """
    from .plots import floor_figure, scaling_figure
    from .writers import html_report, markdown_report

    records = results if isinstance(results, list) else load_records(results)
    summary = summarize(records, clock=clock)
    if not summary.points:
        raise InputError("the results hold no measured epoch: nothing to report")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    profiles = sorted(f"{PROFILE_FOLDER}/{p.name}" for p in (folder / PROFILE_FOLDER).glob("*.txt"))
    scaling_png = scaling_figure(summary, folder / "scaling.png")
    floor_png = floor_figure(summary, folder / "floor.png")
    markdown = folder / "REPORT.md"
    markdown.write_text(markdown_report(summary, profiles), encoding="utf-8")
    page = folder / "index.html"
    page.write_text(html_report(summary, profiles), encoding="utf-8")
    return ReportFiles(folder, scaling_png, floor_png, page, markdown, summary)
