"""Text, HTML and figures for :mod:`rbmperf.codegrowth.timegrowth` and
:mod:`rbmperf.codegrowth.profile` results: reading them only, never measuring."""

from __future__ import annotations

import html
import math
import os
import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from ..engine.budget import predict_seconds
from ..report.tables import seconds_text

if TYPE_CHECKING:
    from ..stats.growth import GrowthFit

_CLOCK_WORDS = {"cpu": "CPU time", "wall": "wall time", "instructions": "instructions"}


def value_text(clock: str, value: float) -> str:
    """A measured value in its unit: seconds, or an instruction count (``1.23 M``)."""
    if clock != "instructions":
        return seconds_text(value)
    for scale, unit in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{unit}"
    return f"{value:.3g}"


def _sizes_text(sizes: tuple[int, ...]) -> str:
    if not sizes:
        return "no size"
    if len(sizes) == 1:
        return f"n = {sizes[0]:,}"
    return f"n = {sizes[0]:,}…{sizes[-1]:,}"


def _fit_text(fit: GrowthFit) -> str:
    """``k = 2.01 [1.97, 2.05] superlinear: 95% CI [1.97, 2.05] lies above 1.15``."""
    return f"{fit.describe()}: {fit.reason}"


def spent_text(result: Any) -> str:
    """``decided after 5 rounds in 0.43 s (budget 2 s)``: what the verdict cost."""
    steps = getattr(result, "steps", ())
    if not steps:
        return ""
    last = steps[-1]
    if last.action == "instructions":
        return f"{last.detail}: {result.spent_seconds:.1f} s"
    budget = "no budget: fixed rounds" if result.budget is None else f"budget {result.budget:g} s"
    added = [step.detail.split(" added")[0] for step in steps if step.action == "wider range"]
    wider = f"; sizes added: {', '.join(added)}" if added else ""
    stops = [step for step in steps if step.action == "stop"]
    how = "decided" if stops and stops[-1].detail.startswith("decided") else "stopped"
    rounds = f"{result.rounds} round{'s' if result.rounds != 1 else ''}"
    return f"{how} after {rounds} in {result.spent_seconds:.2f} s ({budget}){wider}"


def memory_text(result: Any) -> str:
    """``memory: k = 1.00 [1.00, 1.00] linear (peak 128 kB … 2.05 MB)``, or ``""``."""
    growth = getattr(result, "memory_growth", None)
    if growth is None:
        return ""
    peaks = f"peak {_bytes_text(min(growth.peaks))} … {_bytes_text(max(growth.peaks))}"
    if growth.constant:
        return f"memory: constant, every peak under 4 kB ({peaks})"
    return f"memory: {growth.fit.describe()} ({peaks} per call)"


def _bytes_text(count: float) -> str:
    for scale, unit in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{count:.0f} B"


def _notes(result: Any) -> list[str]:
    lines = []
    spent = spent_text(result)
    if spent:
        lines.append(spent)
    memory = memory_text(result)
    if memory:
        lines.append(memory)
    for skip in result.skipped:
        lines.append(f"skipped n = {skip.n:,}: {skip.reason}")
    if result.interrupted_at is not None:
        lines.append(f"interrupted at n = {result.interrupted_at:,}: the result so far")
    return lines


def verdict_line(result: Any) -> str:
    """One line: the label, the fit and its reason, what it was fitted on."""
    repeats = max((len(r) for r in result.times), default=0)
    return (
        f"{result.label}: {_fit_text(result.growth)} "
        f"[{len(result.sizes)} sizes, {_sizes_text(result.sizes)}, ≤{repeats} repeats, "
        f"{_CLOCK_WORDS[result.clock]} per call{_threads_text(result.threads)}]"
    )


def _threads_text(threads: int | None) -> str:
    if threads is None:
        return ""
    return f", {threads} BLAS thread{'s' if threads != 1 else ''}"


def growth_text(result: Any) -> str:
    """A fixed-width table of every size (median, min–max, calls per repeat), then the fit."""
    lines = [
        f"GrowthResult {result.label!r}: {_CLOCK_WORDS[result.clock]} per call"
        f"{_threads_text(result.threads)}",
        f"{'n':>10s}  {'median':>10s}  {'min – max':>21s}  {'repeats':>7s}  {'calls/repeat':>12s}",
    ]
    for n, times, calls in zip(result.sizes, result.times, result.calls_per_repeat, strict=True):
        spread = f"{value_text(result.clock, min(times))} – {value_text(result.clock, max(times))}"
        lines.append(
            f"{n:>10,d}  {value_text(result.clock, float(np.median(times))):>10s}  {spread:>21s}  "
            f"{len(times):>7d}  {calls:>12,d}"
        )
    lines += _notes(result)
    lines.append(_fit_text(result.growth))
    return "\n".join(lines)


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html_fit(fit: GrowthFit, label: str) -> str:
    return (
        f"<p><b>{html.escape(label)}</b>: {html.escape(fit.describe())} — "
        f"{html.escape(fit.reason)}</p>"
    )


def growth_html(result: Any) -> str:
    """The fit as a paragraph and every size as a table (a notebook's rich display)."""
    rows = [
        [
            f"{n:,}",
            value_text(result.clock, float(np.median(times))),
            f"{value_text(result.clock, min(times))} – {value_text(result.clock, max(times))}",
            str(len(times)),
            f"{calls:,}",
        ]
        for n, times, calls in zip(result.sizes, result.times, result.calls_per_repeat, strict=True)
    ]
    header = ["n", f"median {_CLOCK_WORDS[result.clock]} per call", "min – max", "repeats",
              "calls / repeat"]  # fmt: skip
    notes = "".join(f"<p>{html.escape(line)}</p>" for line in _notes(result))
    return _html_fit(result.growth, result.label) + _html_table(header, rows) + notes


def _comparison_rows(comparison: Any) -> tuple[list[str], list[list[str]]]:
    confidence = next(iter(comparison.results.values())).growth.confidence
    header = ["kernel", "k", f"{confidence:.0%} CI", "verdict", "largest n", "median there"]
    rows = []
    for label, result in comparison.results.items():
        fit = result.growth
        interval = "n/a" if math.isnan(fit.ci_low) else f"[{fit.ci_low:.2f}, {fit.ci_high:.2f}]"
        largest = f"{result.sizes[-1]:,}" if result.sizes else "—"
        median = seconds_text(result.median_seconds()[-1]) if result.sizes else "—"
        exponent = "n/a" if math.isnan(fit.exponent) else f"{fit.exponent:.2f}"
        rows.append([label, exponent, interval, fit.verdict, largest, median])
    return header, rows


def comparison_text(comparison: Any) -> str:
    """One line per kernel: exponent, interval, verdict, time at its largest size."""
    first = next(iter(comparison.results.values()))
    header, rows = _comparison_rows(comparison)
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    check = "outputs checked for agreement" if comparison.checked else "outputs not checked"
    clock = _CLOCK_WORDS[first.clock]
    lines = [f"ComparisonResult: {len(rows)} kernels, {clock} per call, {check}"]
    for row in [header, *rows]:
        cells = zip(row, widths, strict=True)
        lines.append("  ".join(cell.ljust(width) for cell, width in cells).rstrip())
    for result in comparison.results.values():
        lines += [f"{result.label}: {note}" for note in _notes(result) if "interrupted" not in note]
    if comparison.interrupted_at is not None:
        lines.append(f"interrupted at n = {comparison.interrupted_at:,}: the results so far")
    return "\n".join(lines)


def comparison_html(comparison: Any) -> str:
    header, rows = _comparison_rows(comparison)
    notes = [
        f"{result.label}: {note}"
        for result in comparison.results.values()
        for note in _notes(result)
    ]
    return _html_table(header, rows) + "".join(f"<p>{html.escape(n)}</p>" for n in notes)


def _profile_rows(result: Any, limit: int) -> tuple[list[str], list[list[str]]]:
    confidence = result.growth.confidence
    first, last = (result.sizes[0], result.sizes[-1]) if result.sizes else (0, 0)
    header = ["k", f"{confidence:.0%} CI", "verdict", "share", f"calls n={first:,}→{last:,}",
              "growth from", "function"]  # fmt: skip
    rows = []
    for row in result.rows[:limit]:
        fit = row.growth
        exponent = "n/a" if math.isnan(fit.exponent) else f"{fit.exponent:.2f}"
        interval = "n/a" if math.isnan(fit.ci_low) else f"[{fit.ci_low:.2f}, {fit.ci_high:.2f}]"
        calls = f"{row.calls[0]:,}→{row.calls[-1]:,}"
        if not math.isnan(row.calls_exponent):
            calls += f" (k {row.calls_exponent:.2f})"
        rows.append([exponent, interval, fit.verdict, f"{row.share:.1%}", calls,
                     row.growth_from or "—", row.function])  # fmt: skip
    return header, rows


def profile_text(result: Any, limit: int = 10) -> str:
    """The per-function table, culprit first, under a header with the total's verdict."""
    header, rows = _profile_rows(result, limit)
    lines = [
        f"profile_growth {result.label!r}: own time per function under cProfile "
        f"({_CLOCK_WORDS[result.clock]}{_threads_text(result.threads)}), "
        f"{len(result.sizes)} sizes, {_sizes_text(result.sizes)}",
        f"total: {_fit_text(result.growth)}",
    ]
    if rows:
        widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
        for row in [header, *rows]:
            cells = zip(row, widths, strict=True)
            lines.append("  ".join(cell.ljust(width) for cell, width in cells).rstrip())
        if len(result.rows) > limit:
            lines.append(f"… {len(result.rows) - limit} more functions")
    lines += _notes(result)
    return "\n".join(lines)


def profile_html(result: Any, limit: int = 20) -> str:
    header, rows = _profile_rows(result, limit)
    notes = "".join(f"<p>{html.escape(line)}</p>" for line in _notes(result))
    return (
        _html_fit(result.growth, f"{result.label} (total under cProfile)")
        + _html_table(header, rows)
        + notes
    )


def _new_axes() -> Any:
    """A fresh Axes: pyplot's (so that notebooks show it), on Agg unless a backend is
    already chosen (a notebook's inline backend, an ``MPLBACKEND``)."""
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, axes = plt.subplots(figsize=(6.4, 4.0), dpi=80)
    return axes


def _draw(axes: Any, result: Any, color: str) -> None:
    fit = result.growth
    sizes, seconds = result.points()
    axes.plot(sizes, seconds, "o", color=color, markersize=3, alpha=0.45)
    medians = result.median_seconds()
    axes.plot(result.sizes, medians, "o", color=color, markersize=5)
    legend = f"{result.label}: {fit.describe()}"
    if not math.isnan(fit.exponent):
        span = np.geomspace(min(fit.sizes_used), max(fit.sizes_used), 20)
        axes.plot(span, [fit.predict(s) for s in span], "-", color=color, label=legend)
    else:
        axes.plot([], [], "-", color=color, label=legend)
    # The budget predicted wall time; the axes show `clock`, so predict on it again.
    known = list(zip(sizes.tolist(), seconds.tolist(), strict=True))
    predicted = [(s.n, predict_seconds(known, s.n)) for s in result.skipped if known]
    if predicted:
        axes.plot(*zip(*predicted, strict=True), "o", markerfacecolor="none", color=color,
                  markersize=5, label=f"{result.label}: skipped (predicted)")  # fmt: skip


def _finish(axes: Any, clock: str, title: str) -> None:
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("n")
    unit = "instructions" if clock == "instructions" else f"seconds ({_CLOCK_WORDS[clock]})"
    axes.set_ylabel(f"{unit} per call")
    axes.set_title(title)
    axes.grid(True, which="both", alpha=0.2)
    axes.legend(fontsize=8, loc="upper left", frameon=False)
    axes.figure.tight_layout()


def plot_growth(result: Any, ax: Any = None) -> Any:
    """Log-log seconds per call against n: every repeat (faint), the medians and the
    Theil–Sen line over the sizes the fit used; skipped sizes hollow at their prediction."""
    axes = ax if ax is not None else _new_axes()
    _draw(axes, result, "C0")
    _finish(axes, result.clock, f"time_growth: {result.label}")
    return axes


def plot_comparison(comparison: Any, ax: Any = None) -> Any:
    """Every kernel of `comparison` on one log-log Axes, as :func:`plot_growth` draws one."""
    axes = ax if ax is not None else _new_axes()
    for index, result in enumerate(comparison.results.values()):
        _draw(axes, result, f"C{index % 10}")
    clock = next(iter(comparison.results.values())).clock
    _finish(axes, clock, "compare_growth")
    return axes


def figure_png(draw: Any, result: Any, *, dpi: int = 80) -> bytes:
    """PNG bytes of ``draw(result, ax=…)`` on an Agg canvas outside pyplot (for displaying
    a figure without touching the user's pyplot state)."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.0), dpi=dpi)
    FigureCanvasAgg(figure)
    draw(result, ax=figure.add_subplot())
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def startup_text(measured: Any) -> str:
    """How much of the times the process start is: the do-nothing command's median run
    against the smallest and largest sizes' medians (a :class:`CommandGrowth`)."""
    startup = measured.startup_median
    result = measured.result
    line = f"process start ({' '.join(measured.startup_command)}): {seconds_text(startup)} per run"
    medians = result.median_seconds()
    if medians:
        line += (
            f", {startup / medians[0]:.0%} of the run at n = {result.sizes[0]:,}"
            f" and {startup / medians[-1]:.0%} at n = {result.sizes[-1]:,}; included in every time"
        )
    return line


def command_memory_text(memory: Any) -> str:
    """A :class:`~rbmperf.codegrowth.command.CommandMemory` as a table (peak RSS and the part
    above the start-up at each size), the start-up's peak, then the fit of the part above."""
    startup = " ".join(memory.startup_command)
    lines = [
        "peak RSS per run (one run a size); fitted: peak minus the start-up's",
        f"{'n':>10s}  {'peak RSS':>10s}  {'above start-up':>14s}",
    ]
    for n, peak, above in zip(memory.sizes, memory.peaks, memory.growth.peaks, strict=True):
        lines.append(f"{n:>10,d}  {_bytes_text(peak):>10s}  {_bytes_text(above):>14s}")
    lines.append(f"start-up ({startup}): peak RSS {_bytes_text(memory.startup_peak)}, subtracted")
    growth = memory.growth
    if growth.constant:
        lines.append(
            "memory: constant, every peak within 1.05 MB of the start-up's (run-to-run noise)"
        )
    else:
        lines.append(f"memory: {_fit_text(growth.fit)}")
    return "\n".join(lines)


def instructions_startup_text(measured: Any) -> str:
    """The start-up's instruction count of a
    :class:`~rbmperf.codegrowth.command.CommandInstructions` and what was done with it."""
    startup = " ".join(measured.startup_command)
    count = value_text("instructions", measured.startup_count)
    raw = ", ".join(value_text("instructions", c) for c in measured.counts)
    if measured.subtracted:
        return (
            f"start-up ({startup}): {count} instructions, subtracted from every count above "
            f"(raw counts: {raw})"
        )
    return (
        f"start-up ({startup}): {count} instructions, NOT subtracted: a count is at or below "
        f"it (raw counts above); give the program's own do-nothing run with --startup"
    )
