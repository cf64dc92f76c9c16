"""The summary ``rbmperf bench`` prints at the end: one line per series, then the skips."""

from __future__ import annotations

import math
import textwrap

from ..stats.growth import interval_label
from ..sweep.summary import SeriesProtocol, Summary
from .tables import label, protocol_text, seconds_text

# Columns are separated by at least this, and no cell holds two spaces in a row, so a
# row splits back into its cells on runs of two or more spaces.
_GAP = "  "
_WIDTHS = (18, 8, 7, 28, 7, 17, 12, 14)


def summary_text(summary: Summary) -> str:
    """A fixed-width table, one row per series, and what a reader needs to read it.

    Columns: series, dtype, largest N, its median epoch (min–max), × floor, exponent with
    its interval, verdict, what the verdict spent (wall time of the timed epochs, and in
    brackets their count), and how the epochs were timed
    (:func:`rbmperf.report.tables.protocol_text`).
    A bend (:meth:`rbmperf.stats.growth.Bend.describe`) is named on an indented line
    under its row; the skipped points follow the table.
    """
    header = _row(
        "series",
        "dtype",
        "N max",
        "median epoch (min–max)",
        "× floor",
        f"k [{interval_label(summary.confidence)}]",
        "verdict",
        "spent (epochs)",
        "timed as",
        left=(0, 1, 6, 7, 8),
    )
    lines = [f"times: {summary.clock} time per epoch", header, "-" * len(header)]
    for name, dtype in summary.series:
        points = [p for p in summary.points if p.name == name and p.dtype == dtype]
        largest = max(points, key=lambda p: p.n)
        fit = summary.fits[(name, dtype)]
        protocol = summary.protocols.get((name, dtype))
        multiple = largest.floor_multiple
        exponent = (
            "n/a"
            if math.isnan(fit.exponent)
            else f"{fit.exponent:.2f} [{fit.ci_low:.2f}, {fit.ci_high:.2f}]"
        )
        timing = (
            f"{seconds_text(largest.median)} ({seconds_text(largest.minimum)}–"
            f"{seconds_text(largest.maximum)})"
        )
        lines.append(
            _row(
                label(name, summary.roles[name]),
                dtype,
                f"{largest.n:,}",
                timing,
                "—" if multiple is None else f"{multiple:.2f}",
                exponent,
                fit.verdict,
                _spent(protocol),
                protocol_text(protocol),
                left=(0, 1, 6, 7, 8),
            )
        )
        if fit.bend is not None:
            lines.append(f"    {fit.bend.describe()}")
    if any(p.protocol == "steady" for p in summary.protocols.values()):
        lines.append("")
        lines += textwrap.wrap(
            "timed as: 'fresh model' from freshly initialised parameters; 'steady state after "
            "R rows' from parameters already trained (untimed) on R rows of the same data, for "
            "a backend whose cost depends on the model's state; 'h0 a%→b%' its hidden "
            "states' ones at the smallest → largest N.",
            width=100,
        )
    if summary.skipped:
        lines.append("")
        lines.append("skipped (predicted over budget):")
        for record in summary.skipped:
            predicted = record.get("predicted_seconds")
            guess = "" if predicted is None else f" predicted {seconds_text(predicted)}"
            lines.append(
                f"  {label(record['name'], record['role'])} {record['dtype']} "
                f"N={int(record['n']):,}{guess}"
            )
    return "\n".join(lines)


def _spent(protocol: SeriesProtocol | None) -> str:
    """``'4.10 s (18)'``: wall time of a series' timed epochs (their count)."""
    if protocol is None:
        return "—"
    return f"{seconds_text(protocol.spent_seconds)} ({protocol.timed_epochs})"


def _row(*cells: str, left: tuple[int, ...]) -> str:
    """Cells padded to their column's width (left- or right-aligned), the last unpadded."""
    padded = [
        cell.ljust(width) if k in left else cell.rjust(width)
        for k, (cell, width) in enumerate(zip(cells[:-1], _WIDTHS, strict=True))
    ]
    return _GAP.join([*padded, cells[-1]]).rstrip()
