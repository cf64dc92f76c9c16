"""The backend registry.

Adding a backend is adding a module that defines ``BACKEND`` (a :class:`Backend` subclass)
and one line in ``_REGISTERED``. A backend whose module fails to import (numba not
installed, say), or whose constructor raises :class:`BackendUnavailable` (no CUDA device),
is reported by :func:`backend_status` with the reason, and the rest keep working.

``"auto"`` is not a backend but an alias, accepted wherever a backend is named and the
default of every training entry point: :func:`auto_backend` resolves it to the fastest
backend that loads here, ``binary`` where numba imports (0.4–0.5× the dense CD-1 floor on
MNIST-like data, against numba's ~1.0× and numpy's 1.2–1.4×; ``docs/performance.md``),
else ``numpy``. It is never listed by :func:`available_backends` or
:func:`backend_status`: the sweep benchmarks real backends only.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from ..errors import InputError, InputTypeError
from .base import Backend, BackendUnavailable, Gradient, TrainingState, Uniforms, draw_uniforms

__all__ = [
    "AUTO",
    "Backend",
    "BackendStatus",
    "BackendUnavailable",
    "Gradient",
    "TrainingState",
    "Uniforms",
    "auto_backend",
    "available_backends",
    "backend_status",
    "draw_uniforms",
    "get_backend",
    "register_backend",
    "registered_backends",
]

# name -> module path, in the order they are listed to users.
_REGISTERED: dict[str, str] = {
    "naive": "rbmperf.backends.naive",
    "numpy": "rbmperf.backends.numpy_slice",
    "numba": "rbmperf.backends.numba_jit",
    "binary": "rbmperf.backends.binary",
    "torch": "rbmperf.backends.torch_backend",
    "torch-cuda": "rbmperf.backends.torch_cuda",
}

#: The alias that picks the fastest available backend (see :func:`auto_backend`).
AUTO = "auto"
# What "auto" tries, fastest first on this project's data (docs/performance.md: binary
# 0.4–0.5× the dense floor, numba 0.9–1.1×, numpy 1.2–1.4×). numba is here for a binary
# that fails on its own; numpy needs nothing beyond numpy.
_AUTO_PREFERENCE: tuple[str, ...] = ("binary", "numba", "numpy")

_instances: dict[str, Backend] = {}
_failures: dict[str, str] = {}


@dataclass(frozen=True)
class BackendStatus:
    """Whether a registered backend can be used here, and why not if it cannot."""

    name: str
    available: bool
    reason: str
    description: str


def register_backend(name: str, module_path: str) -> None:
    """Register a backend module (one that defines ``BACKEND``) under `name`."""
    _REGISTERED[name] = module_path
    _instances.pop(name, None)
    _failures.pop(name, None)


def _load(name: str) -> Backend | None:
    if name in _instances:
        return _instances[name]
    if name in _failures:
        return None
    try:
        module = importlib.import_module(_REGISTERED[name])
        instance = module.BACKEND()
    except BackendUnavailable as error:
        _failures[name] = str(error)
        return None
    except ImportError as error:
        _failures[name] = f"cannot import: {error}"
        return None
    _instances[name] = instance
    return instance


def registered_backends() -> list[str]:
    """Names of every registered backend, available or not, without importing any of them.

    Cheap enough for module import time (the asv suite's parameters, the CLI's help).
    """
    return list(_REGISTERED)


def backend_status() -> list[BackendStatus]:
    """Return the status of every registered backend, available or not.

    Returns
    -------
    list of BackendStatus
        One entry per registered backend, in registration order.
    """
    statuses = []
    for name in _REGISTERED:
        backend = _load(name)
        if backend is None:
            statuses.append(BackendStatus(name, False, _failures[name], ""))
        else:
            statuses.append(BackendStatus(name, True, "", backend.description))
    return statuses


def available_backends() -> list[str]:
    """Return the names of the backends that can be used here.

    Examples
    --------
    >>> import rbmperf
    >>> "numpy" in rbmperf.available_backends()
    True
    """
    return [status.name for status in backend_status() if status.available]


def auto_backend() -> str:
    """Name of the backend ``"auto"`` stands for here: the fastest one that loads.

    ``binary`` where numba imports, else ``numba`` (should binary alone fail), else
    ``numpy``. Loading a candidate imports it (numba: about a second, once per process).

    Returns
    -------
    str
        A registered, available backend's name.

    Examples
    --------
    >>> from rbmperf.backends import auto_backend
    >>> auto_backend() in ("binary", "numba", "numpy")
    True
    """
    for name in _AUTO_PREFERENCE:
        if name in _REGISTERED and _load(name) is not None:
            return name
    # numpy is always importable, so this is only reached with a broken registry.
    raise InputError(f"backend {AUTO!r} found none of {', '.join(_AUTO_PREFERENCE)} available here")


def get_backend(name: str | Backend) -> Backend:
    """Return the backend called `name` (a backend object is returned unchanged).

    ``"auto"`` returns the backend :func:`auto_backend` picks; its ``name`` attribute is
    the real backend's name.

    Raises
    ------
    ValueError
        If no backend has that name, or it cannot be used here (the message says why and
        lists the available ones).
    """
    if isinstance(name, Backend):
        return name
    if not isinstance(name, str):
        raise InputTypeError(f"backend must be a name (str); got {type(name).__name__}")
    if name == AUTO:
        name = auto_backend()
    available = ", ".join(available_backends())
    if name not in _REGISTERED:
        raise InputError(f"unknown backend {name!r}; available backends: {available} (or {AUTO!r})")
    backend = _load(name)
    if backend is None:
        raise InputError(
            f"backend {name!r} is not available here ({_failures[name]}); "
            f"available backends: {available}"
        )
    return backend
