"""Two small charts as standalone SVG text: no script, no font file, nothing from a network.

- :func:`exponent_chart`: the exponent over commits, one line per series with its interval
  as a band, the linear band ``[0.85, 1.15]`` shaded, and flagged commits marked.
- :func:`loglog_chart`: time (or memory) against N on log-log axes, one curve per commit.

Written by hand rather than with matplotlib: a history page holds dozens of charts, and
drawing them as text takes milliseconds where matplotlib takes tens each (the whole
``rbmperf history`` run must stay within seconds), and SVG stays sharp in the page.
"""

from __future__ import annotations

import math
from html import escape

from ..stats.growth import LINEAR_BAND

__all__ = ["PALETTE", "exponent_chart", "loglog_chart"]

# Colour-blind-safe (Okabe–Ito), cycled.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
_WIDTH, _HEIGHT = 640, 290
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 12, 12, 58
_FONT = 'font-family="sans-serif" font-size="11"'


def _frame(title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {_HEIGHT}" '
        f'width="{_WIDTH}" height="{_HEIGHT}" role="img"><title>{escape(title)}</title>'
        f'<rect width="{_WIDTH}" height="{_HEIGHT}" fill="white"/>' + "".join(body) + "</svg>"
    )


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    if not high > low:
        return [low]
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = min((m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw), default=raw)
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step + 1e-9) + 1)]


def exponent_chart(
    title: str,
    commits: list[str],
    lines: list[tuple[str, list[tuple[int, float, float, float]]]],
    flagged: list[int],
) -> str:
    """The exponent of each series over commits, with interval bands.

    Parameters
    ----------
    title : str
    commits : list of str
        Labels of the x positions (short hashes), oldest first.
    lines : list of (label, points)
        Per series, points ``(commit index, k, lo, hi)``; NaN-free.
    flagged : list of int
        Commit indices where a change was flagged (drawn as dashed verticals).

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    values = [v for _, pts in lines for _, k, lo, hi in pts for v in (k, lo, hi)]
    values += list(LINEAR_BAND)
    y_low = math.floor(min(values) * 4) / 4 - 0.05
    y_high = math.ceil(max(values) * 4) / 4 + 0.05
    plot_w = _WIDTH - _LEFT - _RIGHT
    plot_h = _HEIGHT - _TOP - _BOTTOM
    n = max(len(commits), 1)

    def x(i: float) -> float:
        return _LEFT + (plot_w * (i + 0.5) / n)

    def y(v: float) -> float:
        return _TOP + plot_h * (1 - (v - y_low) / (y_high - y_low))

    body = [
        f'<rect x="{_LEFT}" y="{y(LINEAR_BAND[1]):.1f}" width="{plot_w}" '
        f'height="{y(LINEAR_BAND[0]) - y(LINEAR_BAND[1]):.1f}" fill="#eeeeee"/>'
    ]
    for tick in _nice_ticks(y_low, y_high):
        body.append(
            f'<line x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="#dddddd"/><text x="{_LEFT - 4}" y="{y(tick) + 4:.1f}" '
            f'text-anchor="end" {_FONT}>{tick:g}</text>'
        )
    for index in flagged:
        body.append(
            f'<line x1="{x(index):.1f}" x2="{x(index):.1f}" y1="{_TOP}" '
            f'y2="{_TOP + plot_h}" stroke="#C00000" stroke-dasharray="4 3"/>'
        )
    label_every = max(1, math.ceil(n / 12))
    for i, commit in enumerate(commits):
        if i % label_every == 0:
            body.append(
                f'<text x="{x(i):.1f}" y="{_TOP + plot_h + 14}" text-anchor="middle" '
                f"{_FONT}>{escape(commit)}</text>"
            )
    body.append(
        f'<text x="14" y="{_TOP + plot_h / 2:.0f}" transform="rotate(-90 14 '
        f'{_TOP + plot_h / 2:.0f})" text-anchor="middle" {_FONT}>exponent k</text>'
    )
    for number, (label, points) in enumerate(lines):
        color = PALETTE[number % len(PALETTE)]
        if not points:
            continue
        upper = " ".join(f"{x(i):.1f},{y(hi):.1f}" for i, _, _, hi in points)
        lower = " ".join(f"{x(i):.1f},{y(lo):.1f}" for i, _, lo, _ in reversed(points))
        body.append(f'<polygon points="{upper} {lower}" fill="{color}" fill-opacity="0.18"/>')
        path = " ".join(f"{x(i):.1f},{y(k):.1f}" for i, k, _, _ in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="1.5"/>')
        for i, k, lo, hi in points:
            body.append(
                f'<circle cx="{x(i):.1f}" cy="{y(k):.1f}" r="2.5" fill="{color}">'
                f"<title>{escape(label)} at {escape(commits[i])}: k = {k:.2f} "
                f"[{lo:.2f}, {hi:.2f}]</title></circle>"
            )
    body.extend(_legend([label for label, _ in lines]))
    return _frame(title, body)


def _legend(labels: list[str]) -> list[str]:
    parts = []
    x = _LEFT
    for number, label in enumerate(labels[:8]):
        color = PALETTE[number % len(PALETTE)]
        text = label if len(label) <= 40 else label[:39] + "…"
        parts.append(
            f'<rect x="{x}" y="{_HEIGHT - 16}" width="10" height="10" fill="{color}"/>'
            f'<text x="{x + 14}" y="{_HEIGHT - 7}" {_FONT}>{escape(text)}</text>'
        )
        x += 30 + 8 * len(text)
        if x > _WIDTH - 60:
            break
    return parts


def _format_value(value: float, unit: str) -> str:
    if unit == "seconds":
        for scale, suffix in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")):
            if value >= scale:
                return f"{value / scale:.3g} {suffix}"
        return f"{value:.3g} s"
    if unit == "bytes":
        for scale, suffix in ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
            if value >= scale:
                return f"{value / scale:.3g} {suffix}"
        return f"{value:.0f} B"
    return f"{value:.3g} {unit}"


def loglog_chart(
    title: str, unit: str, curves: list[tuple[str, tuple[float, ...], tuple[float, ...]]]
) -> str:
    """Values against size on log-log axes, one curve per (label, sizes, values).

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    sizes = [s for _, ss, _ in curves for s in ss]
    values = [v for _, _, vs in curves for v in vs]
    x_low, x_high = math.log10(min(sizes)), math.log10(max(sizes))
    y_low, y_high = math.log10(min(values)), math.log10(max(values))
    if x_high - x_low < 1e-9:
        x_low, x_high = x_low - 0.5, x_high + 0.5
    if y_high - y_low < 1e-9:
        y_low, y_high = y_low - 0.5, y_high + 0.5
    pad_x, pad_y = 0.05 * (x_high - x_low), 0.08 * (y_high - y_low)
    x_low, x_high, y_low, y_high = x_low - pad_x, x_high + pad_x, y_low - pad_y, y_high + pad_y
    plot_w = _WIDTH - _LEFT - _RIGHT - 20
    plot_h = _HEIGHT - _TOP - _BOTTOM

    def x(v: float) -> float:
        return _LEFT + 20 + plot_w * (math.log10(v) - x_low) / (x_high - x_low)

    def y(v: float) -> float:
        return _TOP + plot_h * (1 - (math.log10(v) - y_low) / (y_high - y_low))

    body = []
    for tick in _log_ticks(y_low, y_high):
        body.append(
            f'<line x1="{_LEFT + 20}" x2="{_WIDTH - _RIGHT}" y1="{y(tick):.1f}" '
            f'y2="{y(tick):.1f}" stroke="#dddddd"/><text x="{_LEFT + 16}" '
            f'y="{y(tick) + 4:.1f}" text-anchor="end" {_FONT}>{_format_value(tick, unit)}</text>'
        )
    for tick in sorted(set(sizes)):
        body.append(
            f'<text x="{x(tick):.1f}" y="{_TOP + plot_h + 14}" text-anchor="middle" '
            f"{_FONT}>{tick:,.0f}</text>"
        )
    body.append(
        f'<text x="{_LEFT + 20 + plot_w / 2:.0f}" y="{_TOP + plot_h + 28}" '
        f'text-anchor="middle" {_FONT}>N (log scale)</text>'
    )
    for number, (label, ss, vs) in enumerate(curves):
        color = PALETTE[number % len(PALETTE)]
        path = " ".join(f"{x(s):.1f},{y(v):.1f}" for s, v in zip(ss, vs, strict=True))
        body.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="1.5"/>')
        for s, v in zip(ss, vs, strict=True):
            body.append(
                f'<circle cx="{x(s):.1f}" cy="{y(v):.1f}" r="2.5" fill="{color}">'
                f"<title>{escape(label)}: N = {s:,.0f}, {_format_value(v, unit)}</title>"
                "</circle>"
            )
    body.extend(_legend([label for label, _, _ in curves]))
    return _frame(title, body)


def _log_ticks(low: float, high: float) -> list[float]:
    ticks = [10.0**e for e in range(math.ceil(low), math.floor(high) + 1)]
    if len(ticks) < 2:
        ticks = [10 ** (low + (high - low) * f) for f in (0.1, 0.5, 0.9)]
    return ticks
