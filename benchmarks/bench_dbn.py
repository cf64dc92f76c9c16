"""Accuracy of a short DBN run on scikit-learn's real handwritten digits."""

from __future__ import annotations

import numpy as np

from .common import DATA_SEED

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
