"""Bad input is rejected at the boundary with a message naming the argument and problem."""

from __future__ import annotations

import numpy as np
import pytest

import rbmperf
from rbmperf.validation import check_data, check_labels, check_momentum

GOOD = np.full((10, 6), 0.5)


def test_not_2d():
    with pytest.raises(ValueError, match=r"X must be 2-D .* got 1-D"):
        rbmperf.train_rbm(np.zeros(6), 3)


def test_empty():
    with pytest.raises(ValueError, match=r"X is empty: shape \(0, 6\)"):
        rbmperf.train_rbm(np.zeros((0, 6)), 3)


def test_nan_reports_count_and_first_position():
    X = GOOD.copy()
    X[3, 4] = np.nan
    X[7, 1] = np.nan
    with pytest.raises(ValueError, match=r"X has 2 NaN values \(first at row 3, column 4\)"):
        rbmperf.train_rbm(X, 3)


def test_inf():
    X = GOOD.copy()
    X[2, 0] = -np.inf
    with pytest.raises(ValueError, match=r"X has 1 infinite values \(first at row 2, column 0\)"):
        rbmperf.train_rbm(X, 3)


def test_out_of_range_reports_first_position_and_value():
    X = GOOD.copy()
    X[5, 2] = 255.0
    with pytest.raises(ValueError, match=r"outside \[0, 1\] \(first at row 5, column 2: 255"):
        rbmperf.train_rbm(X, 3)


def test_non_numeric():
    with pytest.raises(TypeError, match="X must be numeric"):
        rbmperf.train_rbm([["a", "b"], ["c", "d"]], 3)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n_hidden": 0}, ValueError, "n_hidden must be >= 1"),
        ({"n_hidden": 2.5}, TypeError, "n_hidden must be an integer"),
        ({"batch_size": 0}, ValueError, "batch_size must be >= 1"),
        ({"epochs": -1}, ValueError, "epochs must be >= 0"),
        ({"dtype": "float16"}, ValueError, "dtype must be one of float32, float64"),
        ({"dtype": "banana"}, ValueError, "dtype must be one of"),
        ({"momentum": 1.0}, ValueError, "momentum must be < 1"),
        ({"learning_rate": float("nan")}, ValueError, "learning_rate must be finite"),
        ({"sample_data": 0}, TypeError, "sample_data must be True or False; got int 0"),
        ({"sample_data": "no"}, TypeError, "sample_data must be True or False; got str 'no'"),
        ({"sample_data": None}, TypeError, "sample_data must be True or False; got NoneType"),
    ],
)
def test_bad_settings(kwargs, error, message):
    arguments = {"n_hidden": 3, **kwargs}
    with pytest.raises(error, match=message):
        rbmperf.train_rbm(GOOD, **arguments)


def test_sample_data_errors_are_rbmperfs_input_type_error():
    from rbmperf.errors import InputTypeError

    with pytest.raises(InputTypeError, match="sample_data"):
        rbmperf.train_rbm(GOOD, 3, sample_data=1)
    # numpy's bool is a bool.
    model = rbmperf.train_rbm(GOOD, 3, epochs=1, sample_data=np.bool_(False))
    assert model.info["sample_data"] is False


def test_unknown_backend_lists_available_ones():
    with pytest.raises(ValueError, match=r"unknown backend 'cuda'; available backends: .*numpy"):
        rbmperf.train_rbm(GOOD, 3, backend="cuda")


def test_width_mismatch_with_model():
    model = rbmperf.train_rbm(GOOD, 3, epochs=1)
    with pytest.raises(ValueError, match=r"X has 5 features .* the model expects 6"):
        model.transform(np.zeros((4, 5)))
    with pytest.raises(ValueError, match="X has 5 features"):
        model.reconstruction_error(np.zeros((4, 5)))


def test_errors_come_before_any_backend_runs(monkeypatch):
    backend = rbmperf.get_backend("numpy")

    def fail(*args, **kwargs):
        raise AssertionError("backend ran on invalid input")

    monkeypatch.setattr(backend, "run_epoch", fail)
    monkeypatch.setattr(backend, "prepare", fail)
    with pytest.raises(ValueError):
        rbmperf.train_rbm(np.full((4, 3), 2.0), 3)


def test_check_data_converts_integers_and_keeps_float32():
    assert check_data(np.ones((2, 2), dtype=np.uint8)).dtype == np.float64
    assert check_data(np.ones((2, 2), dtype=np.float32)).dtype == np.float32
    assert check_data(np.ones((2, 2)), dtype=np.dtype(np.float32)).dtype == np.float32


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (1.0, ValueError, "momentum must be < 1; got 1.0"),
        (-0.1, ValueError, "momentum must be >= 0.0"),
        (float("inf"), ValueError, "momentum must be finite"),
        ("0.9", TypeError, "momentum must be a real number"),
    ],
)
def test_check_momentum_rejects_values_outside_zero_to_one(value, error, message):
    with pytest.raises(error, match=message):
        check_momentum(value)
    assert check_momentum(0) == 0.0


def test_check_labels_accepts_whole_floats_and_names_the_problem():
    np.testing.assert_array_equal(check_labels(np.array([2.0, 0.0]), 2), [2, 0])
    assert check_labels([1, 2], 2).dtype == np.int64
    with pytest.raises(ValueError, match=r"y must be 1-D .* got shape \(2, 1\)"):
        check_labels(np.zeros((2, 1)), 2)
    with pytest.raises(ValueError, match="y has 1 labels but X has 2 samples"):
        check_labels([1], 2)
    with pytest.raises(TypeError, match="integer class labels; got dtype float64"):
        check_labels([0.5, 1.0], 2)
