"""rbmperf: RBM / DBN training behind interchangeable backends, and the tools to time them.

The public API: :class:`RBM`, :func:`train_rbm`, :func:`available_backends`,
:func:`get_backend`, :func:`backend_status`, :class:`DBN`, :func:`fit_growth`, and
:func:`time_growth`, :func:`compare_growth`, :func:`profile_growth` for any code's growth,
and :func:`assert_growth`, :func:`check_growth` (with :class:`GrowthAssertionError` and
:class:`GrowthUndecided`) to hold a growth in a test. All but the first five load on first
use, so ``import rbmperf`` stays light; the ``%growth`` magic (``%load_ext rbmperf``)
imports IPython only when loaded.
"""

from __future__ import annotations

import importlib
from typing import Any

from .backends import available_backends, backend_status, get_backend, register_backend
from .model import RBM
from .training import initial_rbm, train_rbm

# Public names that live in heavier modules, imported when first asked for.
_LAZY = {
    "DBN": "rbmperf.dbn",
    "fit_growth": "rbmperf.stats.growth",
    "GrowthFit": "rbmperf.stats.growth",
    "time_growth": "rbmperf.codegrowth.timegrowth",
    "compare_growth": "rbmperf.codegrowth.timegrowth",
    "GrowthResult": "rbmperf.codegrowth.timegrowth",
    "ComparisonResult": "rbmperf.codegrowth.timegrowth",
    "profile_growth": "rbmperf.codegrowth.profile",
    "ProfileGrowthResult": "rbmperf.codegrowth.profile",
    "assert_growth": "rbmperf.codegrowth.assertions",
    "check_growth": "rbmperf.codegrowth.assertions",
    "GrowthAssertionError": "rbmperf.codegrowth.assertions",
    "GrowthUndecided": "rbmperf.codegrowth.assertions",
    # `%load_ext rbmperf` looks this up; only then is IPython imported.
    "load_ipython_extension": "rbmperf.codegrowth.magic",
}

__all__ = [
    "DBN",
    "RBM",
    "ComparisonResult",
    "GrowthAssertionError",
    "GrowthFit",
    "GrowthResult",
    "GrowthUndecided",
    "ProfileGrowthResult",
    "assert_growth",
    "available_backends",
    "backend_status",
    "check_growth",
    "compare_growth",
    "fit_growth",
    "get_backend",
    "initial_rbm",
    "profile_growth",
    "register_backend",
    "time_growth",
    "train_rbm",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'rbmperf' has no attribute {name!r}")
