"""rbmperf.evaluation: what `rbmperf train` orchestrates, callable from Python."""

from __future__ import annotations

import pytest


def test_bad_input_is_refused_in_words() -> None:
    import numpy as np

    from rbmperf.errors import InputError, InputTypeError
    from rbmperf.evaluation import stratified_split, train_and_evaluate

    X, y = np.eye(6), np.array([0, 0, 0, 1, 1, 1])
    with pytest.raises(InputError, match="one label per row of X"):
        stratified_split(X, y[:5])
    with pytest.raises(InputError, match="X must be 2-D"):
        stratified_split(y, y)
    with pytest.raises(InputTypeError, match="model must be an rbmperf DBN"):
        train_and_evaluate("model", stratified_split(X, y, 0.5))
    from rbmperf import DBN

    with pytest.raises(InputTypeError, match="split must be a Split"):
        train_and_evaluate(DBN((4,)), (X, y))
