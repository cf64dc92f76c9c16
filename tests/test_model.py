"""The RBM container: shapes, dtypes, stable logistic, reconstruction."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import structured_data

import rbmperf
from rbmperf.activations import logistic, softmax


def test_logistic_is_stable_and_correct():
    x = np.array([-1000.0, -30.0, -1.0, 0.0, 1.0, 30.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = logistic(x)
        values32 = logistic(x.astype(np.float32))
    # The tanh form is exact to within one float64 ulp of 1 in absolute terms (it loses
    # relative precision only for probabilities below ~1e-13, which no sampling can see).
    expected = 1.0 / (1.0 + np.exp(-x.clip(-700, 700)))
    np.testing.assert_allclose(values, expected, rtol=1e-12, atol=2e-16)
    assert values[0] == 0.0 and values[-1] == 1.0
    assert values32.dtype == np.float32


def test_softmax_rows_sum_to_one_even_for_huge_scores():
    z = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])
    probabilities = softmax(z)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert probabilities[0, 0] == pytest.approx(1.0)


def test_shapes_and_methods():
    X = structured_data(50)
    model = rbmperf.train_rbm(X, 10, epochs=1, dtype="float32")
    assert model.W.shape == (10, 64)
    assert model.hidden_bias.shape == (10,)
    assert model.visible_bias.shape == (64,)
    assert model.dtype == np.float32
    assert model.transform(X).shape == (50, 10)
    reconstruction = model.reconstruct(X)
    assert reconstruction.shape == X.shape
    assert reconstruction.min() >= 0.0 and reconstruction.max() <= 1.0
    expected = np.mean((reconstruction.astype(np.float64) - X.astype(np.float32)) ** 2)
    assert model.reconstruction_error(X) == pytest.approx(expected, rel=1e-5)


def test_initial_model_is_small_random_with_zero_biases():
    model = rbmperf.initial_rbm(100, 50, seed=0)
    assert 0.005 < model.W.std() < 0.015
    assert not model.hidden_bias.any() and not model.visible_bias.any()
    np.testing.assert_array_equal(model.W, rbmperf.initial_rbm(100, 50, seed=0).W)
    assert not np.array_equal(model.W, rbmperf.initial_rbm(100, 50, seed=1).W)


def test_inconsistent_parameters_are_rejected():
    with pytest.raises(ValueError, match=r"hidden_bias must have shape \(3,\)"):
        rbmperf.RBM(np.zeros((3, 4)), np.zeros(4), np.zeros(4))
