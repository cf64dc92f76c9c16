"""Cold just-in-time compile time of the compiled backends, in a fresh process."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile

from .common import backend_names, backend_or_skip

_COMPILE = """
import sys
import numpy as np
import rbmperf
rbmperf.get_backend(sys.argv[2] if len(sys.argv) > 2 else "numba").prepare(np.dtype(sys.argv[1]))
"""


def children_cpu_seconds() -> float:
    """CPU seconds used so far by this process's finished child processes.

    The compile runs in a child, so this is its timer: like the other benchmarks' CPU
    timers, it does not count time the child spent waiting for a core another process held.
    """
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class _FreshCompile:
    """What both compile benchmarks share: a child process, an empty cache per call.

    Each call points ``NUMBA_CACHE_DIR`` at a new empty directory, so nothing is loaded from
    an earlier compile: this is what a user's first run costs. The time is the child's CPU
    time; it includes starting Python and importing numpy, numba and rbmperf (about 0.5 s
    here), which is the same for every commit, so a change here is a change in compile time.
    It defines no ``time_*`` method itself, so asv times only its subclasses.
    """

    number = 1
    repeat = (2, 4, 30.0)
    warmup_time = 0.0
    timeout = 180
    timer = staticmethod(children_cpu_seconds)

    def _fresh_cache(self) -> None:
        self.cache_root = tempfile.mkdtemp(prefix="rbmperf-numba-cache-")
        self.calls = 0

    def _remove_cache(self) -> None:
        # A setup that skipped (NotImplementedError) made no cache.
        if getattr(self, "cache_root", None):
            shutil.rmtree(self.cache_root, ignore_errors=True)

    def _compile_in_child(self, dtype: str, *backend: str) -> None:
        self.calls += 1
        cache_dir = os.path.join(self.cache_root, str(self.calls))
        env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
        subprocess.run([sys.executable, "-c", _COMPILE, dtype, *backend], env=env, check=True)


class NumbaCompile(_FreshCompile):
    """``prepare(dtype)`` of the numba backend in a new interpreter with an empty cache."""

    params = ("float32", "float64")
    param_names = ("dtype",)

    def setup(self, dtype: str) -> None:
        backend_or_skip("numba")
        self._fresh_cache()

    def teardown(self, dtype: str) -> None:
        self._remove_cache()

    def time_numba_compile(self, dtype: str) -> None:
        self._compile_in_child(dtype)


class BackendCompile(_FreshCompile):
    """``prepare(dtype)`` of every other registered backend that compiles, as above.

    Backends come from the registry; one whose ``prepare`` is the contract's no-op has
    nothing to compile and is skipped. The numba backend's series is ``NumbaCompile``'s
    (kept under that name, so its history continues).
    """

    params = ([name for name in backend_names() if name != "numba"], ["float32", "float64"])
    param_names = ("backend", "dtype")

    def setup(self, backend_name: str, dtype: str) -> None:
        backend = backend_or_skip(backend_name)
        from rbmperf.backends.base import Backend

        if type(backend).prepare is Backend.prepare:
            raise NotImplementedError(f"backend {backend_name!r} has nothing to compile")
        self._fresh_cache()

    def teardown(self, backend_name: str, dtype: str) -> None:
        self._remove_cache()

    def time_compile(self, backend_name: str, dtype: str) -> None:
        self._compile_in_child(dtype, backend_name)
