"""Write a :class:`~rbmperf.history.History` as ``history.json``, ``index.html`` and ``HISTORY.md``.

Only formatting and file writing here; the numbers come from the history as built. The
page is self-contained: its charts are inline SVG (:mod:`rbmperf.history.svg`), its style
is a few inline CSS rules, and it loads no script or font, so it renders with the network
off. ``HISTORY.md`` shows the same charts from SVG files in ``figures/`` beside it.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections import defaultdict
from html import escape
from pathlib import Path

from ..paths import prepare_output_dir
from ..stats.growth import LINEAR_BAND
from . import History
from .changes import Change
from .series import CommitFit, GrowthSeries, display_param
from .svg import _format_value, exponent_chart, loglog_chart

__all__ = ["history_html", "history_json", "history_markdown", "write_history"]

SCHEMA = 1


def _number(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def _fit_record(fit: CommitFit) -> dict:
    return {
        "commit": fit.commit,
        "date": fit.date,
        "exponent": _number(fit.exponent),
        "ci_low": _number(fit.ci_low),
        "ci_high": _number(fit.ci_high),
        "verdict": fit.verdict,
        "reason": fit.reason,
        "n_sizes": fit.n_sizes,
        "decidable": fit.decidable,
        "source": fit.source,
        "largest_size": fit.largest_size,
        "value_at_largest": fit.value_at_largest,
        "sizes": list(fit.sizes),
        "values": list(fit.values),
    }


def _change_record(change: Change) -> dict:
    return {
        "machine": change.series.machine,
        "env_name": change.series.env_name,
        "benchmark": change.series.benchmark,
        "params": dict(change.series.params),
        "commit": change.after.commit,
        "before": change.before.commit,
        "kinds": list(change.kinds),
        "verdict_before": change.verdict_before,
        "verdict_after": change.after.verdict,
        "exponent_before": _number(change.before.exponent),
        "interval_before": [_number(change.before.ci_low), _number(change.before.ci_high)],
        "exponent_after": _number(change.after.exponent),
        "interval_after": [_number(change.after.ci_low), _number(change.after.ci_high)],
        "text": change.describe(),
    }


def history_json(history: History) -> dict:
    """The history as plain JSON data (``schema`` 1): series, fits per commit, changes."""
    return {
        "schema": SCHEMA,
        "tool": "rbmperf history",
        "results_dir": str(history.results_dir),
        "commit_order": history.order,
        "commits": history.commit_order,
        "size_param": history.size_param,
        "min_step": history.min_step,
        "linear_band": list(LINEAR_BAND),
        "series": [
            {
                "machine": one.machine,
                "env_name": one.env_name,
                "benchmark": one.benchmark,
                "params": dict(one.params),
                "size_param": one.size_param,
                "kind": one.kind,
                "unit": one.unit,
                "fits": [_fit_record(fit) for fit in one.fits],
            }
            for one in history.series
        ],
        "changes": [_change_record(change) for change in history.changes],
        "skipped_no_size_param": history.skipped,
        "warnings": history.warnings,
    }


def _groups(history: History) -> dict[tuple[str, str, str], list[GrowthSeries]]:
    groups: dict[tuple[str, str, str], list[GrowthSeries]] = defaultdict(list)
    for one in history.series:
        groups[(one.machine, one.env_name, one.benchmark)].append(one)
    return groups


def _series_name(one: GrowthSeries) -> str:
    if not one.params:
        return one.benchmark.rsplit(".", 1)[-1]
    return ", ".join(f"{name}={display_param(value)}" for name, value in one.params)


def _cell(fit: CommitFit | None, unit: str) -> str:
    if fit is None:
        return ""
    at = f"{_format_value(fit.value_at_largest, unit)} at {fit.largest_size:,.0f}"
    if not fit.has_exponent:
        return f"n/a ({fit.n_sizes} size) · {at}"
    return f"{fit.exponent:.2f} [{fit.ci_low:.2f}, {fit.ci_high:.2f}] {fit.verdict} · {at}"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:120]


class _Page:
    """Everything both documents show, computed once: charts, tables, change lines."""

    def __init__(self, history: History) -> None:
        self.history = history
        self.sections = []
        change_number = 0
        changes_by_series: dict[int, list[Change]] = defaultdict(list)
        for change in history.changes:
            changes_by_series[id(change.series)].append(change)
        for (machine, env, benchmark), members in _groups(history).items():
            commits = history.commits(machine, env)
            index = {commit: i for i, commit in enumerate(commits)}
            lines = []
            flagged: set[int] = set()
            group_changes = []
            for one in members:
                points = [
                    (index[f.commit], f.exponent, f.ci_low, f.ci_high)
                    for f in one.fits
                    if f.has_exponent
                ]
                if points:  # a series with no exponent anywhere has no line (its table stays)
                    lines.append((_series_name(one), points))
                for change in changes_by_series[id(one)]:
                    flagged.add(index[change.commit])
                    change_number += 1
                    chart = loglog_chart(
                        f"{one.label}: {change.before.commit[:8]} against {change.commit[:8]}",
                        one.unit,
                        [
                            (f"{change.before.commit[:8]} (before)", *_curve(change.before)),
                            (f"{change.commit[:8]} (flagged)", *_curve(change.after)),
                        ],
                    )
                    group_changes.append((change, chart, f"change-{change_number}"))
            title = f"{benchmark} on {machine}: exponent over commits"
            rows = []
            by_commit = [{f.commit: f for f in one.fits} for one in members]
            for commit in commits:
                rows.append(
                    [commit[:8]] + [_cell(fits.get(commit), members[0].unit) for fits in by_commit]
                )
            sources = sorted({f.source for one in members for f in one.fits})
            self.sections.append(
                {
                    "machine": machine,
                    "env": env,
                    "benchmark": benchmark,
                    "kind": members[0].kind,
                    "size_param": members[0].size_param,
                    "sources": sources,
                    "chart": exponent_chart(
                        title, [c[:8] for c in commits], lines, sorted(flagged)
                    ),
                    "slug": _slug(f"{machine}-{env}-{benchmark}"),
                    "header": ["commit"] + [_series_name(one) for one in members],
                    "rows": rows,
                    "changes": group_changes,
                }
            )

    def intro(self) -> list[str]:
        history = self.history
        order = (
            "git history (topological)"
            if history.order == "git"
            else "the commit dates asv recorded"
        )
        low, high = LINEAR_BAND
        return [
            f"Results: `{history.results_dir}`; {len(history.commit_order)} commits ordered by "
            f"{order}; {len(history.series)} series (benchmark × other parameters × machine).",
            f"Each cell: the exponent k of t ∝ Nᵏ over the size parameter with its 95% "
            f"interval (Theil–Sen with Sen's interval, rbmperf.stats.growth.fit_growth), the "
            f"verdict (linear iff the interval lies within [{low}, {high}]), and asv's median at "
            "the largest size. Fitted from every sample where asv kept them "
            "(`asv run --record-samples`), else from the medians, one point per size "
            "(each section says which).",
            f"A change is flagged where the verdict changes or the exponent steps by "
            f"≥ {history.min_step} with disjoint 95% intervals, between fits of at least 4 "
            "sizes (rbmperf.history.changes).",
        ]


def _curve(fit: CommitFit) -> tuple[tuple[float, ...], tuple[float, ...]]:
    return fit.sizes, fit.values


def history_markdown(history: History, page: _Page | None = None, figures: str = "figures") -> str:
    """``HISTORY.md``: changes first, then per benchmark its chart (SVG files) and table."""
    page = page or _Page(history)
    lines = ["# Growth across commits", ""]
    lines += [line + "\n" for line in page.intro()]
    lines += ["## Changes", ""]
    if history.changes:
        lines += [f"- {change.describe()}" for change in history.changes]
    else:
        lines.append("No change of growth flagged.")
    lines.append("")
    for section in page.sections:
        lines += [
            f"## {section['benchmark']}",
            "",
            f"Machine `{section['machine']}`, environment `{section['env']}`; "
            f"{section['kind']} over `{section['size_param']}`; fitted from "
            f"{' and '.join(section['sources'])}.",
            "",
            f"![exponent over commits]({figures}/{section['slug']}.svg)",
            "",
        ]
        for change, _, anchor in section["changes"]:
            lines += [
                f"Change: {change.describe()}",
                "",
                f"![before and after]({figures}/{section['slug']}-{anchor}.svg)",
                "",
            ]
        lines.append("| " + " | ".join(section["header"]) + " |")
        lines.append("|" + "---|" * len(section["header"]))
        for row in section["rows"]:
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
        lines.append("")
    if history.warnings:
        lines += ["## Skipped input", ""] + [f"- {w}" for w in history.warnings] + [""]
    return "\n".join(lines)


_STYLE = (
    "body{font-family:sans-serif;max-width:72em;margin:1em auto;padding:0 1em;color:#222}"
    "table{border-collapse:collapse;font-size:0.85em}td,th{border:1px solid #ccc;"
    "padding:2px 6px;text-align:left}th{background:#f4f4f4}.change{color:#a00000}"
    "section{margin-bottom:2em}svg{max-width:100%;height:auto}"
)


def history_html(history: History, page: _Page | None = None) -> str:
    """``index.html``: the same as ``HISTORY.md`` with the charts inline; no script, no font."""
    page = page or _Page(history)
    out = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Growth across commits</title>",
        f"<style>{_STYLE}</style></head><body><h1>Growth across commits</h1>",
    ]
    out += [f"<p>{_inline(line)}</p>" for line in page.intro()]
    out.append("<h2>Changes</h2>")
    if history.changes:
        out.append("<ul>")
        for section in page.sections:
            for change, _, anchor in section["changes"]:
                out.append(
                    f"<li class='change'><a href='#{section['slug']}-{anchor}'>"
                    f"{escape(change.describe())}</a></li>"
                )
        out.append("</ul>")
    else:
        out.append("<p>No change of growth flagged.</p>")
    for section in page.sections:
        out.append(f"<section id='{section['slug']}'><h2>{escape(section['benchmark'])}</h2>")
        out.append(
            f"<p>Machine <code>{escape(section['machine'])}</code>, environment "
            f"<code>{escape(section['env'])}</code>; {section['kind']} over "
            f"<code>{escape(section['size_param'])}</code>; fitted from "
            f"{' and '.join(section['sources'])}.</p>"
        )
        out.append(section["chart"])
        for change, chart, anchor in section["changes"]:
            out.append(
                f"<p id='{section['slug']}-{anchor}' class='change'>Change: "
                f"{escape(change.describe())}</p>{chart}"
            )
        out.append("<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in section["header"]))
        out.append("</tr>")
        for row in section["rows"]:
            out.append("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>")
        out.append("</table></section>")
    if history.warnings:
        out.append("<h2>Skipped input</h2><ul>")
        out += [f"<li>{escape(w)}</li>" for w in history.warnings]
        out.append("</ul>")
    out.append("</body></html>")
    return "\n".join(out)


def _inline(text: str) -> str:
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(text, quote=False))


def write_history(history: History, out_dir: str | os.PathLike) -> dict[str, Path]:
    """Write ``history.json``, ``index.html``, ``HISTORY.md`` and ``figures/*.svg``.

    Parameters
    ----------
    history : History
    out_dir : path
        Created if needed.

    Returns
    -------
    dict of str to Path
        ``"json"``, ``"html"``, ``"markdown"`` → the files written.

    Raises
    ------
    InputError
        If `out_dir` cannot be created or written.
    """
    out = prepare_output_dir(out_dir)
    figures = out / "figures"
    figures.mkdir(exist_ok=True)
    page = _Page(history)
    for section in page.sections:
        (figures / f"{section['slug']}.svg").write_text(section["chart"], encoding="utf-8")
        for _, chart, anchor in section["changes"]:
            (figures / f"{section['slug']}-{anchor}.svg").write_text(chart, encoding="utf-8")
    paths = {
        "json": out / "history.json",
        "html": out / "index.html",
        "markdown": out / "HISTORY.md",
    }
    paths["json"].write_text(
        json.dumps(history_json(history), indent=1, allow_nan=False) + "\n", encoding="utf-8"
    )
    paths["html"].write_text(history_html(history, page), encoding="utf-8")
    paths["markdown"].write_text(history_markdown(history, page), encoding="utf-8")
    return paths
