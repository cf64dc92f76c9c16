"""The report's figures, drawn from a :class:`~rbmperf.sweep.summary.Summary` only."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..figures import pyplot
from ..sweep.summary import Summary
from .tables import label

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
    """Log-log seconds per epoch against N, with each series' fitted power law and verdict.

    Points are medians with min–max bars; the line is the Theil–Sen fit over the sizes it
    used; faint grey lines show slopes 1 and 2 for reference. Peers are dotted.
    """
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(12, 6), dpi=100)
    colors = _colors(summary)
    by_series: dict[tuple[str, str], list] = {}
    for point in summary.points:
        by_series.setdefault((point.name, point.dtype), []).append(point)
    all_n = [p.n for p in summary.points]
    for name, dtype in summary.series:
        points = by_series[(name, dtype)]
        role = summary.roles[name]
        n = np.array([p.n for p in points])
        median = np.array([p.median for p in points])
        errors = np.array(
            [[p.median - p.minimum for p in points], [p.maximum - p.median for p in points]]
        )
        fit = summary.fits[(name, dtype)]
        legend = f"{label(name, role)} {dtype}: {fit.describe()}"
        axes.errorbar(
            n,
            median,
            yerr=errors,
            fmt=_DTYPE_STYLE.get(dtype, "o"),
            color=colors[name],
            markersize=4,
            capsize=2,
            alpha=0.9,
        )
        if not math.isnan(fit.exponent):
            span = np.geomspace(min(fit.sizes_used), max(fit.sizes_used), 20)
            axes.plot(
                span,
                [fit.predict(s) for s in span],
                _line_style(role, dtype),
                color=colors[name],
                linewidth=1.5 if role != "floor" else 1.0,
                label=legend,
            )
        else:
            axes.plot([], [], _line_style(role, dtype), color=colors[name], label=legend)
    if all_n:
        low, high = min(all_n), max(all_n)
        if high > low:
            anchor = min(p.median for p in summary.points if p.n == low)
            span = np.array([low, high], dtype=float)
            for slope, text in ((1, "slope 1"), (2, "slope 2")):
                axes.plot(
                    span, anchor * (span / low) ** slope, color="0.6", alpha=0.35, linewidth=1
                )
                # Label the line inside the axes, a little short of its right end.
                where = low * (high / low) ** 0.85
                axes.annotate(
                    text,
                    (where, anchor * (where / low) ** slope),
                    color="0.5",
                    fontsize=8,
                    alpha=0.7,
                )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("N (training samples)")
    axes.set_ylabel(f"seconds per epoch, {summary.clock} time (median, min–max)")
    threads = summary.settings.get("threads")
    axes.set_title(f"Epoch time against data size ({threads} BLAS thread(s))")
    axes.grid(True, which="both", alpha=0.2)
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    figure.tight_layout()
    path = Path(path)
    figure.savefig(path)
    plt.close(figure)
    return path


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
