"""Time of a single CD-1 gradient (one mini-batch of 100 rows), per backend and dtype."""

from __future__ import annotations

import time

import numpy as np

from .common import (
    BATCH_SIZE,
    DATA_SEED,
    backend_names,
    backend_or_skip,
    initial_parameters,
    mnist_like,
)


class CD1Step:
    """``Backend.cd1`` on one mini-batch: V = 784, H = 300, B = 100."""

    params = (backend_names(), ["float32", "float64"])
    param_names = ("backend", "dtype")
    repeat = (3, 10, 4.0)
    # CPU time, for the same reason as bench_epoch.Epoch.
    timer = time.process_time

    def setup(self, backend_name: str, dtype: str) -> None:
        from rbmperf.backends import draw_uniforms

        self.backend = backend_or_skip(backend_name)
        self.backend.prepare(np.dtype(dtype))
        self.W, self.hidden_bias, self.visible_bias = initial_parameters(dtype)
        self.v0 = mnist_like(BATCH_SIZE, dtype)
        n_hidden, n_visible = self.W.shape
        rng = np.random.default_rng(DATA_SEED + 3)
        self.uniforms = draw_uniforms(rng, BATCH_SIZE, n_visible, n_hidden, np.dtype(dtype))
        # Warm-up call: any lazily compiled or allocated path is taken before timing.
        self.time_cd1_step(backend_name, dtype)

    def time_cd1_step(self, backend_name: str, dtype: str) -> None:
        self.backend.cd1(self.W, self.hidden_bias, self.visible_bias, self.v0, self.uniforms)
