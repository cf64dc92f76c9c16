"""A DBN: the accuracy of a short run on real digits, and the time of a fine-tuning epoch."""

from __future__ import annotations

import itertools
import time

import numpy as np

from .common import DATA_SEED, mnist_centred

# 1,797 digits: a seeded two-thirds / one-third split.
TRAIN_FRACTION = 2 / 3


class DigitsAccuracy:
    """Test accuracy of ``DBN(layers=(100,))`` with 10 + 10 + 10 epochs (numpy, float64).

    A correctness tracker, not a speed one: it catches a change that keeps training fast
    but breaks learning. asv counts a rising track value as a regression, so regression
    gates exclude ``track_*`` (``-b '^(?!.*track_)'``); read it on the published graphs.
    """

    unit = "accuracy"
    timeout = 120

    def setup(self) -> None:
        try:
            from rbmperf import DBN
            from rbmperf.data import load_digits
        except ImportError as error:
            raise NotImplementedError(f"no DBN or digits data at this commit: {error}") from None
        X, y = load_digits()
        order = np.random.default_rng(DATA_SEED).permutation(len(X))
        n_train = int(TRAIN_FRACTION * len(X))
        self.train, self.test = order[:n_train], order[n_train:]
        self.X, self.y = X, y
        self.model = DBN(
            layers=(100,),
            backend="numpy",
            dtype="float64",
            seed=0,
            pretrain_epochs=10,
            softmax_epochs=10,
            finetune_epochs=10,
        )

    def track_digits_accuracy(self) -> float:
        self.model.fit(self.X[self.train], self.y[self.train])
        return float(self.model.score(self.X[self.test], self.y[self.test]))


# The blog's network under fine-tuning: 784-300-300-10.
FINE_TUNE_LAYERS = (784, 300, 300, 10)
FINE_TUNE_ROWS = 4200


class FineTuneEpoch:
    """One epoch of back-propagation fine-tuning, 784-300-300-10, B = 100, 4,200 rows.

    On :func:`~benchmarks.common.mnist_centred` data (19% non-zero, dense at the centre),
    so that the first layer's split of the data's columns into BLAS and gathers meets
    MNIST's shape. The network's weights are seeded random, as after pre-training (the
    cost does not depend on their values); each timed call is one ``gradient_descent``
    call of one epoch, so it includes the call's own setup, as a one-epoch ``fit`` would.
    """

    params = (["float32", "float64"],)
    param_names = ("dtype",)
    number = 1
    repeat = (3, 7, 6.0)
    timer = time.process_time  # see bench_epoch._TimedEpoch: CPU time, one BLAS thread
    warmup_time = 0.0
    timeout = 120

    def setup(self, dtype: str) -> None:
        try:
            from rbmperf.dbn.backprop import gradient_descent
            from rbmperf.dbn.network import DeepNetwork
        except ImportError as error:
            raise NotImplementedError(f"no back-propagation at this commit: {error}") from None
        rng = np.random.default_rng(DATA_SEED + 2)
        sizes = FINE_TUNE_LAYERS
        weights = [
            (0.05 * rng.standard_normal((n_out, n_in))).astype(dtype)
            for n_in, n_out in itertools.pairwise(sizes[:-1])
        ]
        biases = [np.zeros(n, dtype=dtype) for n in sizes[1:-1]]
        output = (0.01 * rng.standard_normal((sizes[-1], sizes[-2]))).astype(dtype)
        self.network = DeepNetwork(weights, biases, output, np.zeros(sizes[-1], dtype=dtype))
        self.X = mnist_centred(FINE_TUNE_ROWS, dtype)
        self.targets = rng.integers(0, sizes[-1], FINE_TUNE_ROWS).astype(np.intp)
        self.rng = np.random.default_rng(DATA_SEED + 3)
        self.train = gradient_descent
        # One untimed epoch: compiles the passes (or loads them from numba's cache).
        self.time_epoch(dtype)

    def time_epoch(self, dtype: str) -> None:
        self.train(
            self.X, self.targets, self.network, epochs=1, batch_size=100,
            learning_rate=0.1, momentum=0.9, rng=self.rng,
        )  # fmt: skip
