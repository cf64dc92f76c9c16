"""Measuring how training time grows with the data: sweeps, the floor, growth fits.

Measurement (:mod:`.sweep`, :mod:`.floor`, :mod:`.peers`, :mod:`.machine`) and storage
(:mod:`.results`) return and store plain records; analysis (:mod:`.growth`,
:mod:`.summary`) turns records into numbers. Nothing here draws or prints: that is
:mod:`rbmperf.report` and the command line.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "fit_growth": "growth",
    "GrowthFit": "growth",
    "run_sweep": "sweep",
    "SweepSettings": "sweep",
    "growth_fits": "summary",
    "summarize": "summary",
    "load_records": "results",
    "time_growth": "code_growth",
    "compare_growth": "code_growth",
    "GrowthResult": "code_growth",
    "ComparisonResult": "code_growth",
    "profile_growth": "profile_growth",
    "ProfileGrowthResult": "profile_growth",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
