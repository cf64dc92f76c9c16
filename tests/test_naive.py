"""The naive backend reproduces the blog's generator bug, and only that."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import structured_data

import rbmperf
from rbmperf.backends.naive import extract_mini_batch


def test_generator_yields_the_whole_data_set_every_time():
    X = np.arange(35.0).reshape(7, 5)
    batches = [batch["data"] for batch in extract_mini_batch({"data": X}, 2)]
    assert len(batches) == math.ceil(7 / 2)
    for batch in batches:
        assert batch is X


@pytest.mark.parametrize(("n_samples", "batch_size"), [(120, 50), (90, 30)])
def test_one_naive_epoch_equals_full_batch_numpy_epochs(n_samples, batch_size):
    X = structured_data(n_samples)
    naive = rbmperf.train_rbm(X, 12, backend="naive", epochs=1, batch_size=batch_size, seed=5)
    numpy = rbmperf.train_rbm(
        X,
        12,
        backend="numpy",
        epochs=math.ceil(n_samples / batch_size),
        batch_size=n_samples,
        seed=5,
    )
    np.testing.assert_allclose(naive.W, numpy.W, rtol=0, atol=1e-10)
    np.testing.assert_allclose(naive.hidden_bias, numpy.hidden_bias, rtol=0, atol=1e-10)
    np.testing.assert_allclose(naive.visible_bias, numpy.visible_bias, rtol=0, atol=1e-10)
    # and it is not what proper mini-batches would give
    sliced = rbmperf.train_rbm(X, 12, backend="numpy", epochs=1, batch_size=batch_size, seed=5)
    assert np.max(np.abs(sliced.W - naive.W)) > 1e-6
