"""The summary ``rbmperf bench`` prints at the end: one line per series, then the skips."""

from __future__ import annotations

import math

from ..stats.growth import interval_label
from ..sweep.summary import Summary
from .tables import label, seconds_text


def summary_text(summary: Summary) -> str:
    """A fixed-width table: largest N, median (min–max), × floor, exponent, verdict."""
    header = (
        f"{'series':18s} {'dtype':8s} {'N max':>7s} {'median epoch (min–max)':>28s} "
        f"{'× floor':>8s}  {'k [' + interval_label(summary.confidence) + ']':>19s}  verdict"
    )
    lines = [f"times: {summary.clock} time per epoch", header, "-" * len(header)]
    for name, dtype in summary.series:
        points = [p for p in summary.points if p.name == name and p.dtype == dtype]
        largest = max(points, key=lambda p: p.n)
        fit = summary.fits[(name, dtype)]
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
            f"{label(name, summary.roles[name]):18s} {dtype:8s} {largest.n:>7,d} {timing:>28s} "
            f"{'—' if multiple is None else f'{multiple:.2f}':>8s}  {exponent:>19s}  {fit.verdict}"
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
