"""The report's figures, drawn from a :class:`~rbmperf.sweep.summary.Summary` only."""

from __future__ import annotations

import math
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..figures import pyplot
from ..sweep.summary import Summary
from .tables import label

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_DTYPE_STYLE = {"float32": "o", "float64": "s"}


def _colors(summary: Summary) -> dict[str, str]:
    names = list(dict.fromkeys(name for name, _ in summary.series))
    cycle = [f"C{i}" for i in range(10)]
    return {name: cycle[i % len(cycle)] for i, name in enumerate(names)}


def _line_style(role: str, dtype: str) -> str:
    if role == "peer":
        return ":"
    return "-" if dtype == "float32" else "--"


def scaling_figure(summary: Summary, path: str | Path) -> Path:
    """Write :func:`scaling_panels`' figure to `path` (a PNG) and return the path."""
    plt = pyplot()
    figure = scaling_panels(summary)
    path = Path(path)
    figure.savefig(path, bbox_inches="tight")
    plt.close(figure)
    return path


def scaling_panels(summary: Summary) -> Figure:
    """Log-log seconds per epoch against N, one panel per dtype, with each series' fitted
    power law and verdict.

    Points are medians with min–max bars; the line is the Theil–Sen fit over the sizes it
    used (above a bend, where the curve bends); faint grey lines show slopes 1 and 2 for
    reference. Peers are dotted. The panels share their y axis; each has its own legend
    below it (:func:`legend_text`). A series keeps its colour in every panel.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per dtype, in sorted order, titled with the dtype; the caller saves and
        closes it.
    """
    plt = pyplot()
    from matplotlib.ticker import NullFormatter

    dtypes = sorted({dtype for _, dtype in summary.series})
    figure, panels = plt.subplots(
        1,
        len(dtypes),
        figsize=(max(7.0, 6.5 * len(dtypes)), 5.0),
        dpi=100,
        sharey=True,
        squeeze=False,
    )
    colors = _colors(summary)
    by_series: dict[tuple[str, str], list] = {}
    for point in summary.points:
        by_series.setdefault((point.name, point.dtype), []).append(point)
    for axes, dtype in zip(panels[0], dtypes, strict=True):
        for name, series_dtype in summary.series:
            if series_dtype == dtype:
                _draw_series(axes, summary, name, dtype, by_series[(name, dtype)], colors[name])
        _reference_slopes(axes, [p for p in summary.points if p.dtype == dtype])
        axes.set_xscale("log")
        axes.set_yscale("log")
        # Ticks at the sizes measured, where they are few and far enough apart to read:
        # log axes over a short range otherwise label minor ticks 3×10², 4×10², colliding.
        sizes = sorted({p.n for p in summary.points if p.dtype == dtype})
        if len(sizes) <= 10 and all(b >= 1.4 * a for a, b in pairwise(sizes)):
            axes.set_xticks(sizes, [f"{n:,}" for n in sizes], fontsize=8)
            axes.xaxis.set_minor_formatter(NullFormatter())
        axes.set_xlabel("N (training samples)")
        axes.set_title(dtype)
        axes.grid(True, which="both", alpha=0.2)
        # Under its panel, one column (side by side, legends have only a panel's width);
        # the saved figure grows to hold them (``bbox_inches="tight"``).
        axes.legend(
            fontsize=8,
            loc="upper left",
            bbox_to_anchor=(0.0, -0.13),
            frameon=False,
            borderaxespad=0.0,
        )
    panels[0][0].set_ylabel(f"seconds per epoch, {summary.clock} time (median, min–max)")
    threads = summary.settings.get("threads")
    figure.suptitle(f"Epoch time against data size ({threads} BLAS thread(s))")
    return figure


def legend_text(summary: Summary, name: str, dtype: str) -> str:
    """A series' legend entry: ``'binary: k = 1.01 [0.98, 1.03] linear; steady; bends
    4,000–8,000'`` (how it was timed only where not fresh, any bend's sizes)."""
    fit = summary.fits[(name, dtype)]
    text = f"{label(name, summary.roles[name])}: {fit.describe()}"
    protocol = summary.protocols.get((name, dtype))
    if protocol is not None and protocol.protocol not in (None, "fresh"):
        text += f"; {protocol.protocol}"
    if fit.bend is not None:
        text += f"; bends {fit.bend.below:,}–{fit.bend.above:,}"
    return text


def _draw_series(axes, summary: Summary, name: str, dtype: str, points: list, color: str) -> None:
    """One series on its panel: medians with min–max bars and its fitted line."""
    role = summary.roles[name]
    style = ":" if role == "peer" else "-"
    errors = np.array(
        [[p.median - p.minimum for p in points], [p.maximum - p.median for p in points]]
    )
    axes.errorbar(
        [p.n for p in points],
        [p.median for p in points],
        yerr=errors,
        fmt=_DTYPE_STYLE.get(dtype, "o"),
        color=color,
        markersize=4,
        capsize=2,
        alpha=0.9,
    )
    fit = summary.fits[(name, dtype)]
    legend = legend_text(summary, name, dtype)
    if math.isnan(fit.exponent):
        axes.plot([], [], style, color=color, label=legend)
        return
    span = np.geomspace(min(fit.sizes_used), max(fit.sizes_used), 20)
    axes.plot(
        span,
        [fit.predict(s) for s in span],
        style,
        color=color,
        linewidth=1.5 if role != "floor" else 1.0,
        label=legend,
    )


def _reference_slopes(axes, points: list) -> None:
    """Faint lines of slope 1 and 2 from the fastest median at the smallest N."""
    sizes = [p.n for p in points]
    if not sizes or max(sizes) <= min(sizes):
        return
    low, high = min(sizes), max(sizes)
    anchor = min(p.median for p in points if p.n == low)
    span = np.array([low, high], dtype=float)
    for slope in (1, 2):
        axes.plot(span, anchor * (span / low) ** slope, color="0.6", alpha=0.35, linewidth=1)
        # Label the line inside the axes, a little short of its right end.
        where = low * (high / low) ** 0.85
        axes.annotate(
            f"slope {slope}",
            (where, anchor * (where / low) ** slope),
            color="0.5",
            fontsize=8,
            alpha=0.7,
        )


def floor_figure(summary: Summary, path: str | Path) -> Path:
    """Time per mini-batch as a multiple of the floor, per series and dtype, against N."""
    plt = pyplot()
    figure, (axes, bars) = plt.subplots(
        1, 2, figsize=(12, 5), dpi=100, gridspec_kw={"width_ratios": [3, 2]}
    )
    colors = _colors(summary)
    bar_labels: list[str] = []
    bar_values: list[float] = []
    bar_colors: list[str] = []
    for name, dtype in summary.series:
        role = summary.roles[name]
        if role == "floor":
            continue
        points = [
            p
            for p in summary.points
            if p.name == name and p.dtype == dtype and p.floor_multiple is not None
        ]
        if not points:
            continue
        axes.plot(
            [p.n for p in points],
            [p.floor_multiple for p in points],
            _line_style(role, dtype),
            marker=_DTYPE_STYLE.get(dtype, "o"),
            color=colors[name],
            markersize=4,
            label=f"{label(name, role)} {dtype}",
        )
        largest = points[-1]
        bar_labels.append(f"{label(name, role)} {dtype}\nN={largest.n:,}")
        bar_values.append(float(largest.floor_multiple))
        bar_colors.append(colors[name])
    axes.axhline(1.0, color="0.4", linewidth=1, alpha=0.6)
    axes.annotate(
        "floor = 1 (5 products + draws)",
        (0.99, 1.0),
        xycoords=("axes fraction", "data"),
        fontsize=8,
        color="0.4",
        ha="right",
        va="top",
    )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("N (training samples)")
    axes.set_ylabel("time per mini-batch / floor")
    axes.set_title("Time per mini-batch as a multiple of the in-run floor")
    axes.grid(True, which="both", alpha=0.2)
    axes.legend(fontsize=7, loc="upper left")
    positions = np.arange(len(bar_values))
    bars.barh(positions, bar_values, color=bar_colors, alpha=0.8)
    bars.set_yticks(positions, bar_labels, fontsize=7)
    bars.invert_yaxis()
    bars.axvline(1.0, color="0.4", linewidth=1, alpha=0.6)
    if bar_values and max(bar_values) > 20 * min(bar_values):
        bars.set_xscale("log")
        bars.set_xlim(right=max(bar_values) * 3)  # room for the value labels
    elif bar_values:
        bars.set_xlim(0, max(bar_values) * 1.2)
    for position, value in zip(positions, bar_values, strict=True):
        bars.annotate(
            f"{value:.2f}×",
            (value, position),
            fontsize=7,
            va="center",
            xytext=(3, 0),
            textcoords="offset points",
        )
    bars.set_xlabel("× floor at the largest N measured")
    bars.grid(True, axis="x", which="both", alpha=0.2)
    figure.tight_layout()
    path = Path(path)
    figure.savefig(path)
    plt.close(figure)
    return path
