"""The report's tables as plain rows of strings, shared by the Markdown and HTML writers."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..stats.growth import interval_label
from ..sweep.summary import (
    MACHINE_SEPARATOR,
    STATES,
    SeriesProtocol,
    Summary,
    split_series_name,
)

Table = tuple[list[str], list[list[str]]]
# A density sweep's times are compared with this backend's (the dense-product kernels).
DENSITY_REFERENCE = "numba"


def label(name: str, role: str) -> str:
    """How a series is named in tables and legends: peers are marked as such."""
    return f"{name} (peer)" if role == "peer" else name


def seconds_text(seconds: float) -> str:
    if seconds == 0:
        return "0"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} µs"


def protocol_text(protocol: SeriesProtocol | None) -> str:
    """How a series was timed, compactly.

    ``'steady state after 16,000 rows; h0 31%→12%'`` (h0's fraction of ones at the
    smallest and the largest N, where the backend counted its states), ``'fresh model'``,
    ``'fresh model (assumed: not recorded)'`` for a backend in older results, ``'—'`` for
    a floor (it trains no model).
    """
    if protocol is None or protocol.protocol is None:
        return "—"
    if protocol.protocol == "steady":
        text = "steady state"
        if protocol.warmup_rows is not None:
            low, high = protocol.warmup_rows
            text += f" after {low:,} rows" if low == high else f" after {low:,}–{high:,} rows"
    elif protocol.protocol == "fresh":
        text = "fresh model"
        if not protocol.recorded and protocol.role == "backend":
            text += " (assumed: not recorded)"
    else:  # a protocol this version does not know, as recorded
        text = protocol.protocol
    change = density_change_text(protocol)
    return f"{text}; {change}" if change else text


def density_change_text(protocol: SeriesProtocol, state: str = "h0") -> str:
    """``'h0 31%→12%'``: a counted state's ones at the smallest → largest N ('' if none).

    Only states the backend counted (``density_source == "states"``); a v0 taken from
    the data's mean says nothing about the model.
    """
    if protocol.density_source != "states":
        return ""
    first = protocol.densities_smallest.get(state)
    last = protocol.densities_largest.get(state)
    if first is None or last is None:
        return ""
    if protocol.smallest_n == protocol.largest_n:
        return f"{state} {_short_percent(last)}"
    return f"{state} {_short_percent(first)}→{_short_percent(last)}"


def _short_percent(fraction: float) -> str:
    percent = 100 * fraction
    return f"{percent:.0f}%" if percent >= 9.95 or percent == 0 else f"{percent:.1f}%"


def spent_text(protocol: SeriesProtocol | None) -> str:
    """``'4.10 s, 18 epochs'``: the wall time of a series' timed epochs and their count."""
    if protocol is None:
        return "—"
    epochs = "epoch" if protocol.timed_epochs == 1 else "epochs"
    return f"{seconds_text(protocol.spent_seconds)}, {protocol.timed_epochs} {epochs}"


def verdict_table(summary: Summary) -> Table:
    """One row per series: exponent, interval, verdict and why (any bend named there), the
    protocol it was timed by, what it spent, AIC second opinion, sizes."""
    header = [
        "series",
        "dtype",
        "exponent k",
        interval_label(summary.confidence),
        "verdict",
        "why",
        "protocol",
        "spent",
        "AIC best",
        "sizes used",
    ]
    rows = []
    for name, dtype in summary.series:
        fit = summary.fits[(name, dtype)]
        exponent = "n/a" if math.isnan(fit.exponent) else f"{fit.exponent:.2f}"
        interval = "n/a" if math.isnan(fit.ci_low) else f"[{fit.ci_low:.2f}, {fit.ci_high:.2f}]"
        used = ", ".join(f"{n:,}" for n in fit.sizes_used)
        protocol = summary.protocols.get((name, dtype))
        rows.append(
            [
                label(name, summary.roles[name]),
                dtype,
                exponent,
                interval,
                f"**{fit.verdict}**",
                fit.reason,
                protocol_text(protocol),
                spent_text(protocol),
                fit.best_model or "n/a",
                used,
            ]
        )
    return header, rows


def timing_table(summary: Summary) -> Table:
    """Every measured point: median (min–max) epoch, per mini-batch, floor multiple."""
    header = [
        "series",
        "dtype",
        "N",
        "median epoch (min–max)",
        "repeats",
        "per mini-batch",
        "× floor",
        "ones: " + " / ".join(STATES),
    ]
    rows = []
    for point in summary.points:
        multiple = point.floor_multiple
        rows.append(
            [
                label(point.name, point.role),
                point.dtype,
                f"{point.n:,}",
                f"{seconds_text(point.median)} ({seconds_text(point.minimum)}–"
                f"{seconds_text(point.maximum)})",
                str(len(point.seconds)),
                seconds_text(point.seconds_per_batch),
                "—" if multiple is None else f"{multiple:.2f}",
                densities_text(point.densities, point.density_source),
            ]
        )
    return header, rows


def percent_text(fraction: float | None) -> str:
    return "—" if fraction is None else f"{100 * fraction:.1f}%"


def densities_text(densities: dict[str, float | None], source: str | None = None) -> str:
    """``'12.1% / 10.9% / 13.0%'`` (v0 / h0 / v1); v0 from the data mean is marked."""
    if not densities:
        return "—"
    cells = [percent_text(densities.get(state)) for state in STATES]
    if source == "data" and densities.get("v0") is not None:
        cells[0] += " (data)"
    return " / ".join(cells)


def _by_density(summary: Summary) -> dict[tuple[str, str, str], list]:
    """(backend, dtype, density label) -> its points, for a density sweep's summary."""
    grouped: dict[tuple[str, str, str], list] = {}
    for point in summary.points:
        base, label_ = split_series_name(point.name)
        if label_ in summary.densities:
            grouped.setdefault((base, point.dtype, label_), []).append(point)
    return grouped


def _base_role(summary: Summary, base: str) -> str | None:
    """The role of a density sweep's series `base` (its role at any density)."""
    for label_ in summary.densities:
        role = summary.roles.get(f"{base}{MACHINE_SEPARATOR}{label_}")
        if role is not None:
            return role
    return None


def density_ratio_table(summary: Summary) -> Table:
    """Per backend and dtype, its time ÷ the reference's at each density of the data.

    Each cell is the median, over the sizes both measured at that density, of the ratio of
    their median epochs (one sweep: the same load hit both). First row: v0's measured
    fraction of ones at that density (median over its backends' points).
    """
    labels = list(summary.densities)
    grouped = _by_density(summary)
    header = ["series", "dtype", *labels]
    v0_row = ["v0 ones (measured)", ""]
    for label_ in labels:
        values = [
            p.densities["v0"]
            for (_, _, lab), points in grouped.items()
            if lab == label_
            for p in points
            if p.role == "backend" and p.densities.get("v0") is not None
        ]
        v0_row.append(percent_text(float(np.median(values))) if values else "—")
    rows = [v0_row]
    names = dict.fromkeys(
        (base, dtype)
        for base, dtype, _ in grouped
        if base != DENSITY_REFERENCE and _base_role(summary, base) == "backend"
    )
    for base, dtype in names:
        cells = []
        for label_ in labels:
            mine = {p.n: p.median for p in grouped.get((base, dtype, label_), [])}
            ref = {p.n: p.median for p in grouped.get((DENSITY_REFERENCE, dtype, label_), [])}
            common = sorted(set(mine) & set(ref))
            ratios = [mine[n] / ref[n] for n in common if ref[n] > 0]
            cells.append(f"{float(np.median(ratios)):.2f}" if ratios else "—")
        if any(cell != "—" for cell in cells):
            rows.append([f"{base} ÷ {DENSITY_REFERENCE}", dtype, *cells])
    return header, rows if len(rows) > 1 else []


def density_floor_table(summary: Summary) -> Table:
    """Per series and dtype, × floor at each density (at the largest N it measured there)."""
    labels = list(summary.densities)
    grouped = _by_density(summary)
    header = ["series", "dtype", *labels]
    rows = []
    for base, dtype in dict.fromkeys((base, dtype) for base, dtype, _ in grouped):
        cells = []
        for label_ in labels:
            points = [p for p in grouped.get((base, dtype, label_), []) if p.role != "floor"]
            largest = max(points, key=lambda p: p.n) if points else None
            multiple = None if largest is None else largest.floor_multiple
            cells.append("—" if multiple is None else f"{multiple:.2f}")
        if any(cell != "—" for cell in cells):
            rows.append([label(base, _base_role(summary, base) or "backend"), dtype, *cells])
    return header, rows


def floor_table(summary: Summary) -> Table:
    """Floor multiple per series at each N: the compact comparison."""
    sizes = sorted({p.n for p in summary.points})
    header = ["series", "dtype", *[f"N={n:,}" for n in sizes]]
    cells: dict[tuple[str, str], dict[int, str]] = {}
    for point in summary.points:
        if point.role == "floor" or point.floor_multiple is None:
            continue
        cells.setdefault((point.name, point.dtype), {})[point.n] = f"{point.floor_multiple:.2f}"
    rows = [
        [
            label(name, summary.roles[name]),
            dtype,
            *[cells[(name, dtype)].get(n, "—") for n in sizes],
        ]
        for name, dtype in summary.series
        if (name, dtype) in cells
    ]
    return header, rows


def skipped_table(summary: Summary) -> Table:
    header = ["series", "dtype", "N", "predicted epoch", "budget", "why"]
    rows = [
        [
            label(r["name"], r["role"]),
            r["dtype"],
            f"{int(r['n']):,}",
            "—" if r.get("predicted_seconds") is None else seconds_text(r["predicted_seconds"]),
            f"{r['budget_seconds']:g} s",
            r["reason"],
        ]
        for r in summary.skipped
    ]
    return header, rows


def compile_table(summary: Summary) -> Table:
    header = ["series", "dtype", "prepare / compile"]
    rows = [
        [label(r["name"], r["role"]), r["dtype"], seconds_text(r["seconds"])]
        for r in summary.compile_seconds
        if r["role"] != "floor"
    ]
    return header, rows


def series_table(summary: Summary) -> Table:
    """What each measured series is, as its runner described itself (device, R version)."""
    described: dict[str, str] = {}
    dtypes: dict[str, list[str]] = {}
    for record in summary.compile_seconds:
        described.setdefault(record["name"], record.get("description", "—"))
        dtypes.setdefault(record["name"], []).append(record["dtype"])
    rows = [
        [label(name, summary.roles[name]), ", ".join(dtypes[name]), described[name]]
        for name in described
    ]
    return ["series", "dtypes", "what it is"], rows


def machine_table(summary: Summary) -> Table:
    """What the numbers were measured on: one column per machine when several are merged."""
    if not summary.machines:
        return ["", ""], _machine_rows(summary.machine, summary.settings, str(summary.runs))
    labels = list(summary.machines)
    columns = [
        _machine_rows(summary.machines[label], summary.machine_settings[label], "—")
        for label in labels
    ]
    names = [name for name, _ in columns[0]]
    rows = [
        [name, *(column[k][1] for column in columns)]
        for k, name in enumerate(names)
        if name != "runs in this sweep"
    ]
    return ["", *labels], rows


def _machine_rows(machine: dict[str, Any], settings: dict[str, Any], runs: str) -> list[list[str]]:
    versions = machine.get("versions", {})
    rows = [
        ["host", str(machine.get("host", "—"))],
        ["CPU", str(machine.get("cpu"))],
        ["cores (usable)", f"{machine.get('cores')} ({machine.get('usable_cores')})"],
        ["platform", str(machine.get("platform"))],
        ["Python", str(machine.get("python"))],
        [
            "versions",
            ", ".join(f"{k} {v}" for k, v in versions.items() if v is not None and k != "python"),
        ],
        [
            "BLAS",
            "; ".join(
                f"{p.get('internal_api')} {p.get('version')} ({p.get('architecture')}), "
                f"{p.get('num_threads')} thread(s)"
                for p in machine.get("blas", [])
                if p.get("user_api") == "blas"
            )
            or "none found",
        ],
        [
            "other thread pools",
            "; ".join(
                f"{p.get('internal_api')} {p.get('num_threads')} thread(s)"
                for p in machine.get("blas", [])
                if p.get("user_api") != "blas"
            )
            or "none",
        ],
        ["BLAS threads requested", str(settings.get("threads"))],
        *(
            [["accelerators", "; ".join(machine["accelerators"])]]
            if machine.get("accelerators")
            else []
        ),
        [
            "environment",
            ", ".join(f"{k}={v}" for k, v in machine.get("environment", {}).items()) or "—",
        ],
        ["git commit", str(machine.get("git_commit"))],
        ["date (UTC)", str(machine.get("date"))],
        [
            "settings",
            ", ".join(f"{k}={v}" for k, v in settings.items() if k != "threads"),
        ],
        ["runs in this sweep", runs],
    ]
    return rows
