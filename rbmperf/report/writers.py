"""REPORT.md (for a code host) and index.html (opens from disk) from the same tables."""

from __future__ import annotations

import html
import re
from pathlib import Path

from ..stats.growth import rule_text
from ..sweep.floor import DRAWS_PER_STEP, PRODUCTS
from ..sweep.summary import Summary
from . import tables

_NUMBER_WORDS = dict(enumerate(("no", "one", "two", "three", "four", "five", "six", "seven")))

_INTRO = (
    "Each point times one training epoch (CD-1, momentum, batch size {batch_size}, "
    "{n_hidden} hidden units) after a warm-up; just-in-time compilation is excluded and listed "
    "separately. Repeats are interleaved across series. The *floor* is the {n_products} matrix "
    "products ({products}) and the {draws} random draws of every CD-1 step, timed in the same "
    "run; '× floor' divides a median epoch by the floor's median at the same N and dtype. "
    "It is the *dense* floor: its {n_products} products are dense BLAS products of full "
    "matrices, although v0, h0 and v1 hold only 0s and 1s, so a multiple below 1 means a "
    "backend does less arithmetic than dense CD-1 by exploiting those 0/1 states (the "
    "binary backend's gather-adds and popcounts), or fuses products or draws its random "
    "numbers faster than numpy. "
    "Growth: k in t ∝ N^k by Theil–Sen over the larger sizes, with {rule} "
    "(see `rbmperf.fit_growth` and docs/measuring.md); a curve whose slope changes beyond "
    "noise is said to bend, and its verdict is the one at the largest sizes. "
    "Each verdict names its protocol: a *fresh model* is timed from freshly initialised "
    "parameters; a backend whose cost depends on the model's state (binary skips the zeros "
    "of its 0/1 states, so its cost follows their density, which falls as the model learns) "
    "is timed at *steady state after R rows*: from parameters already trained, untimed, on "
    "R rows of the same data, so that its slope measures growth, not training progress; "
    "'h0 a%→b%' is the fraction of ones of its hidden states at the smallest and the "
    "largest N. 'spent' is the wall time of a series' timed epochs and their count: what "
    "its verdict cost (warm-up and compilation not included). "
    "Peers (marked *peer*) are other libraries a user might pick: scikit-learn's "
    "BernoulliRBM trains by persistent CD without momentum. {clock_text}"
)

_CLOCK_TEXT = {
    "cpu": (
        "Times are the process's CPU time per epoch (the sweep ran on one thread, where CPU "
        "time equals wall time on an idle machine but leaves out moments other processes "
        "held the core); wall times are in the results file too."
    ),
    "wall": "Times are wall-clock time per epoch.",
}


def _intro(summary: Summary) -> str:
    return _INTRO.format(
        clock_text=_CLOCK_TEXT[summary.clock],
        rule=rule_text(summary.confidence),
        n_products=_NUMBER_WORDS.get(len(PRODUCTS), str(len(PRODUCTS))),
        products=", ".join(PRODUCTS),
        draws=DRAWS_PER_STEP,
        **summary.settings,
    )


def _sections(summary: Summary) -> list[tuple[str, tables.Table | None, str]]:
    density = []
    if summary.densities:
        ratio = tables.density_ratio_table(summary)
        density = [
            (
                f"Density sweep: time ÷ {tables.DENSITY_REFERENCE}'s",
                ratio,
                "Median over the sizes both measured of the ratio of median epochs, one "
                "sweep per density of non-zero pixels in the data (`synthetic_mnist(…, "
                "density=d)`); below 1 the backend is faster. The first row is v0's "
                "measured fraction of ones (data values are grey levels, so it is below "
                "the fraction of non-zero pixels).",
            ),
            (
                "Density sweep: × floor by density",
                tables.density_floor_table(summary),
                "At the largest N each series measured at that density.",
            ),
        ]
    return [
        *density,
        ("Growth verdicts", tables.verdict_table(summary), ""),
        ("Time per mini-batch as a multiple of the floor", tables.floor_table(summary), ""),
        ("All measurements", tables.timing_table(summary), ""),
        (
            "Skipped points",
            tables.skipped_table(summary),
            "Predicted from the measured sizes before each larger size; over the per-point "
            "budget, so not run.",
        ),
        ("Compile / prepare time (not in any epoch)", tables.compile_table(summary), ""),
        ("What each series is", tables.series_table(summary), ""),
        ("Machine", tables.machine_table(summary), ""),
    ]


def _footnote(summary: Summary) -> str:
    state = "complete" if summary.finished else "interrupted (rerun to resume)"
    text = f"_This sweep is {state}; it took {summary.runs} run(s)."
    if summary.ignored_records:
        text += f" {summary.ignored_records} records of earlier sweeps in the file are not shown."
    if summary.overlapping_records:
        text += (
            f" {summary.overlapping_records} records of another sweep were written to the "
            "same file while this one ran: its times may include that sweep's load."
        )
    assumed = sum(1 for p in summary.protocols.values() if p.role == "backend" and not p.recorded)
    if assumed:
        text += (
            f" {assumed} backend series "
            f"{'does not record its' if assumed == 1 else 'do not record their'} protocol "
            "(results of an older rbmperf): read as timed from a fresh model."
        )
    if summary.densities:
        text += (
            f" A density sweep: {len(summary.densities)} sweeps, one per density of the "
            "data, side by side; each series is labelled NAME @ DENSITY and compared with "
            "the floor measured at that density."
        )
    if summary.machines:
        text += (
            f" Results of {len(summary.machines)} machines side by side; each series is "
            "labelled NAME @ MACHINE and compared with its own machine's floor."
        )
    return text + "_"


def markdown_report(summary: Summary, profiles: list[str]) -> str:
    """The Markdown report: figures, tables, profiles, machine."""
    lines = ["# rbmperf scaling report", "", _intro(summary), ""]
    lines += ["![seconds per epoch against N](scaling.png)", ""]
    lines += ["![time per mini-batch as a multiple of the floor](floor.png)", ""]
    for title, table, note in _sections(summary):
        lines += [f"## {title}", ""]
        if note:
            lines += [note, ""]
        header, rows = table
        if not rows:
            lines += ["None.", ""]
            continue
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join("---" for _ in header) + "|")
        lines += [
            "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows
        ]
        lines.append("")
    lines += ["## Profiles", ""]
    if profiles:
        lines += [f"- [{Path(p).stem}]({p})" for p in profiles]
    else:
        lines.append("None recorded (`rbmperf profile --backend NAME --n N --out DIR`).")
    lines += ["", _footnote(summary)]
    return "\n".join(lines) + "\n"


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
th { background: #f2f2f2; }
tr:nth-child(even) td { background: #fafafa; }
.linear { color: #1a7f37; font-weight: bold; }
.superlinear { color: #b42318; font-weight: bold; }
.sublinear { color: #1f5fb4; font-weight: bold; }
.inconclusive { color: #8a6d00; font-weight: bold; }
img { max-width: 100%; border: 1px solid #ddd; margin: 0.5em 0; }
p.intro { max-width: 60em; }
"""


def _inline_markup(text: str) -> str:
    """Escape `text` and render its Markdown *emphasis* and `code` spans."""
    escaped = html.escape(text, quote=False)
    escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
    return re.sub(r"\*([^*\s][^*]*)\*", r"<em>\1</em>", escaped)


def _html_cell(cell: str) -> str:
    if cell.startswith("**") and cell.endswith("**"):
        word = cell.strip("*")
        return f'<span class="{html.escape(word)}">{html.escape(word)}</span>'
    return html.escape(cell)


def html_report(summary: Summary, profiles: list[str]) -> str:
    """A self-contained page (images beside it), readable from disk without a server."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>rbmperf scaling report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>rbmperf scaling report</h1>",
        f'<p class="intro">{_inline_markup(_intro(summary))}</p>',
        '<img src="scaling.png" alt="seconds per epoch against N">',
        '<img src="floor.png" alt="time per mini-batch as a multiple of the floor">',
    ]
    for title, (header, rows), note in _sections(summary):
        parts.append(f"<h2>{html.escape(title)}</h2>")
        if note:
            parts.append(f"<p>{html.escape(note)}</p>")
        if not rows:
            parts.append("<p>None.</p>")
            continue
        parts.append("<table><thead><tr>")
        parts += [f"<th>{html.escape(h)}</th>" for h in header]
        parts.append("</tr></thead><tbody>")
        for row in rows:
            parts.append("<tr>" + "".join(f"<td>{_html_cell(c)}</td>" for c in row) + "</tr>")
        parts.append("</tbody></table>")
    parts.append("<h2>Profiles</h2>")
    if profiles:
        parts.append("<ul>")
        parts += [
            f'<li><a href="{html.escape(p)}">{html.escape(Path(p).stem)}</a></li>' for p in profiles
        ]
        parts.append("</ul>")
    else:
        parts.append("<p>None recorded.</p>")
    parts.append(f"<p><em>{html.escape(_footnote(summary).strip('_'))}</em></p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
