"""``RBMTransformer.fit`` per backend, next to scikit-learn's ``BernoulliRBM.fit``.

What a scikit-learn user pays for one epoch on the suite's MNIST-like data (V = 784,
H = 300, B = 100, float32): input validation, chunking and the epoch itself. The
``sklearn`` row is ``BernoulliRBM`` with the same sizes, batch size and learning rate (it
trains by persistent CD without momentum), so the ratio of the rows is the speed-up a user
gets by switching estimators.
"""

from __future__ import annotations

import time

from .common import BATCH_SIZE, LEARNING_RATE, MOMENTUM, N_HIDDEN, backend_or_skip, mnist_like

N_SAMPLES = 4000


class TransformerFit:
    """One ``fit`` with ``n_iter=1`` on 4,000 × 784 float32 rows."""

    params = (["numpy", "numba", "sklearn"],)
    param_names = ("estimator",)
    number = 1
    repeat = (3, 7, 6.0)
    # CPU time, as in bench_epoch: robust to other processes on the machine.
    timer = time.process_time
    warmup_time = 0.0
    timeout = 120

    def setup(self, estimator: str) -> None:
        self.X = mnist_like(N_SAMPLES, "float32")
        if estimator == "sklearn":
            from sklearn.neural_network import BernoulliRBM

            self.model = BernoulliRBM(
                n_components=N_HIDDEN,
                learning_rate=LEARNING_RATE,
                batch_size=BATCH_SIZE,
                n_iter=1,
                random_state=0,
            )
        else:
            try:
                from rbmperf.sklearn import RBMTransformer
            except ImportError as error:
                raise NotImplementedError(f"no rbmperf.sklearn at this commit: {error}") from None
            backend_or_skip(estimator)
            self.model = RBMTransformer(
                n_components=N_HIDDEN,
                learning_rate=LEARNING_RATE,
                batch_size=BATCH_SIZE,
                n_iter=1,
                momentum=MOMENTUM,
                backend=estimator,
                random_state=0,
            )
        # An untimed fit: numba's compile (or cache load), first-touch page faults.
        self.model.fit(self.X)

    def time_fit(self, estimator: str) -> None:
        self.model.fit(self.X)
