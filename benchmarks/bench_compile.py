"""Cold just-in-time compile time of the numba backend, in a fresh process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

from .common import backend_or_skip

_COMPILE = """
import sys
import numpy as np
import rbmperf
rbmperf.get_backend("numba").prepare(np.dtype(sys.argv[1]))
"""


class NumbaCompile:
    """``prepare(dtype)`` of the numba backend in a new interpreter with an empty cache.

    Each call points ``NUMBA_CACHE_DIR`` at a new empty directory, so nothing is loaded from
    an earlier compile: this is what a user's first run costs. The time includes starting
    Python and importing numpy, numba and rbmperf (about 0.5 s here); that part is the
    same for every commit, so a change in this benchmark is a change in compile time.
    """

    params = ("float32", "float64")
    param_names = ("dtype",)
    number = 1
    repeat = (2, 4, 30.0)
    warmup_time = 0.0
    timeout = 180

    def setup(self, dtype: str) -> None:
        backend_or_skip("numba")
        self.cache_root = tempfile.mkdtemp(prefix="rbmperf-numba-cache-")
        self.calls = 0

    def teardown(self, dtype: str) -> None:
        shutil.rmtree(self.cache_root, ignore_errors=True)

    def time_numba_compile(self, dtype: str) -> None:
        self.calls += 1
        cache_dir = os.path.join(self.cache_root, str(self.calls))
        env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
        subprocess.run([sys.executable, "-c", _COMPILE, dtype], env=env, check=True)
