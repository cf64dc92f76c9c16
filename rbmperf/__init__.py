"""rbmperf: RBM / DBN training behind interchangeable backends, and the tools to time them.

The public API: :class:`RBM`, :func:`train_rbm`, :func:`available_backends`,
:func:`get_backend`, :func:`backend_status`, :class:`DBN` and :func:`fit_growth`.
The last two load on first use, so ``import rbmperf`` stays light.
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
    "fit_growth": "rbmperf.scaling.growth",
    "GrowthFit": "rbmperf.scaling.growth",
}

__all__ = [
    "DBN",
    "RBM",
    "GrowthFit",
    "available_backends",
    "backend_status",
    "fit_growth",
    "get_backend",
    "initial_rbm",
    "register_backend",
    "train_rbm",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'rbmperf' has no attribute {name!r}")
