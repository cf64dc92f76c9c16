"""The data products that skip zeros (rbmperf.backends.sparse_data) and their DBN user."""

from __future__ import annotations

import copy

import numpy as np
import pytest

pytest.importorskip("numba")

from rbmperf.backends.sparse_data import DataLists
from rbmperf.data import synthetic_mnist
from rbmperf.dbn import backprop, fused
from rbmperf.dbn.backprop import gradient_descent
from rbmperf.dbn.fused import _descend_numpy, descend
from rbmperf.dbn.network import DeepNetwork
from rbmperf.dbn.split_data import SplitBatches

TOLERANCE = {np.float64: 1e-12, np.float32: 1e-5}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_products_equal_the_dense_ones_to_rounding(dtype):
    rng = np.random.default_rng(0)
    X = np.where(rng.random((50, 70)) < 0.2, rng.random((50, 70)), 0.0).astype(dtype)
    X[3] = 0.0  # an empty row
    X[7] = rng.random(70)  # a full row (the 4-row passes and their remainders)
    X[:, 5] = 0.0  # an empty column
    order = rng.permutation(50)
    source = rng.standard_normal((70, 33)).astype(dtype)
    errors = rng.standard_normal((20, 33)).astype(dtype)
    lists = DataLists(20, 70, dtype)
    for start in (0, 20, 40):
        rows = min(20, 50 - start)
        batch = X[order[start : start + rows]]
        assert lists.fill(X, order, start, rows) == np.count_nonzero(batch)
        forward = np.full((20, 33), np.nan, dtype=dtype)
        lists.times(source, forward, 33)
        np.testing.assert_allclose(forward[:rows], batch @ source, rtol=0, atol=TOLERANCE[dtype])
        gradient = np.full((70, 33), np.nan, dtype=dtype)
        lists.transposed_times(errors[:rows], gradient, 33)
        expected = batch.T @ errors[:rows]
        np.testing.assert_allclose(gradient, expected, rtol=0, atol=TOLERANCE[dtype] * 10)
        assert not gradient[5].any()


def test_width_leaves_the_padding_alone():
    X = np.eye(3)
    lists = DataLists(3, 3, X.dtype)
    lists.fill(X, np.arange(3), 0, 3)
    out = np.full((3, 5), -1.0)
    lists.times(np.ones((3, 5)), out, 4)
    np.testing.assert_array_equal(out[:, :4], 1.0)
    np.testing.assert_array_equal(out[:, 4], -1.0)


def _network(dtype, seed=0):
    rng = np.random.default_rng(seed)
    return DeepNetwork(
        [
            (0.05 * rng.standard_normal((30, 784))).astype(dtype),
            (0.05 * rng.standard_normal((20, 30))).astype(dtype),
        ],
        [np.zeros(30, dtype), np.zeros(20, dtype)],
        (0.01 * rng.standard_normal((10, 20))).astype(dtype),
        np.zeros(10, dtype),
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_backprop_with_sparse_data_products_equals_the_dense_path(dtype):
    X, y = synthetic_mnist(450, seed=3)  # 4 full batches and a partial one
    X = X.astype(dtype)
    trained = {}
    for limit in (1.0, -1.0):
        network = _network(dtype)
        losses = gradient_descent(
            X, y.astype(np.intp), network, epochs=2, batch_size=100, learning_rate=0.1,
            momentum=0.9, rng=np.random.default_rng(1), data_density_limit=limit,
        )  # fmt: skip
        trained[limit] = network, losses
    sparse, dense = trained[1.0][0], trained[-1.0][0]
    tolerance = {np.float64: 1e-12, np.float32: 1e-5}[dtype]
    for a, b in zip(sparse.parameters, dense.parameters, strict=True):
        assert a.dtype == dtype and a.shape == b.shape and a.flags.c_contiguous
        np.testing.assert_allclose(a, b, rtol=0, atol=tolerance)
    np.testing.assert_allclose(trained[1.0][1], trained[-1.0][1], rtol=1e-5)
    assert not np.array_equal(sparse.weights[0], _network(dtype).weights[0])  # it trained


def test_backprop_takes_the_sparse_path_by_measured_density(monkeypatch):
    calls = {"sparse": 0}
    original = backprop.SplitBatches.sparse_times

    def counting(self, *args):
        calls["sparse"] += 1
        return original(self, *args)

    monkeypatch.setattr(backprop.SplitBatches, "sparse_times", counting)
    X, y = synthetic_mnist(200, seed=1)  # about 20% non-zero
    run = dict(epochs=1, batch_size=100, learning_rate=0.1, momentum=0.9)
    gradient_descent(
        X, y.astype(np.intp), _network(np.float64), rng=np.random.default_rng(0), **run
    )
    assert calls["sparse"] == 2
    dense = np.where(X > 0, X, 0.5)  # no zeros at all: every column dense, BLAS
    gradient_descent(
        dense, y.astype(np.intp), _network(np.float64), rng=np.random.default_rng(0), **run
    )
    assert calls["sparse"] == 2


def test_backprop_refuses_a_limit_that_is_not_a_number():
    X, y = synthetic_mnist(20)
    with pytest.raises(ValueError, match="data_density_limit must be a number"):
        gradient_descent(
            X, y.astype(np.intp), _network(np.float64), epochs=1, batch_size=10,
            learning_rate=0.1, momentum=0.9, rng=np.random.default_rng(0),
            data_density_limit="dense",
        )  # fmt: skip


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_momentum_step_is_bitwise_numpys(dtype):
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal(1000).astype(dtype) for _ in range(3)]
    fused = [a.copy() for a in arrays]
    plain = [a.copy() for a in arrays]
    descend(*fused, dtype(0.1), dtype(0.9))
    _descend_numpy(*plain, dtype(0.1), dtype(0.9))
    for a, b in zip(fused[:2], plain[:2], strict=True):
        np.testing.assert_array_equal(a, b)


def test_softmax_only_network_still_trains():
    network = copy.deepcopy(_network(np.float64)).softmax_layer()
    features = np.random.default_rng(0).random((50, 20))
    losses = gradient_descent(
        features, np.arange(50) % 10, network, epochs=3, batch_size=25, learning_rate=0.5,
        momentum=0.5, rng=np.random.default_rng(0),
    )  # fmt: skip
    assert losses[-1] < losses[0]


def test_lists_by_column_only_at_most_the_limit():
    X = np.array([[0.0, 0.5, 0.0, 0.0], [1.0, 0.0, 0.25, 0.0]])  # 3 of 8 non-zero
    lists = DataLists(2, 4, X.dtype)
    assert lists.fill(X, np.arange(2), 0, 2, 0.375) == 3 and lists.by_column
    assert lists.fill(X, np.arange(2), 0, 2, 0.25) == 3 and not lists.by_column
    with pytest.raises(RuntimeError, match="not listed by column"):
        lists.transposed_times(np.ones((2, 3)), np.empty((4, 3)), 3)
    assert lists.fill(X, np.arange(2), 0, 2, -1.0) == 3 and not lists.by_column


# ---------------------------------------------------------------------------------------------
# The first layer's columns split into dense (BLAS) and sparse (gathered) ones
# ---------------------------------------------------------------------------------------------


def _half_dense(rng, rows=400, columns=40, dense=10, fraction=0.29):
    """Columns ``:dense`` never zero, the others about `fraction` non-zero."""
    X = rng.random((rows, columns)) * (rng.random((rows, columns)) < fraction)
    X[:, :dense] = rng.random((rows, dense)) + 0.1
    return X


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_split_lists_the_sparse_columns_and_copies_the_dense_ones(dtype):
    rng = np.random.default_rng(4)
    X = _half_dense(rng).astype(dtype)
    X[:, 12] = 0.0  # an empty sparse column
    X[7, 10:] = 0.0  # a row with no sparse non-zero
    split = SplitBatches(X, 30, 0.5)
    np.testing.assert_array_equal(split.dense_columns, np.arange(10))
    np.testing.assert_array_equal(split.sparse_columns, np.arange(10, 40))
    order = rng.permutation(len(X))
    where = int(np.flatnonzero(order == 7)[0])  # the row with no sparse non-zero ...
    order[[5, where]] = order[[where, 5]]  # ... goes into the first batch
    for start in (0, 30, 390):
        rows = min(30, len(X) - start)
        batch = X[order[start : start + rows]]
        assert split.fill(X, order, start, rows)  # about 0.29 ≤ 0.5 non-zero
        np.testing.assert_array_equal(split.block[:rows], batch[:, :10])
        sparse = batch[:, 10:]
        by_row = np.zeros_like(sparse)
        for r in range(rows):
            p, end = split.pointers[r], split.pointers[r + 1]
            by_row[r, split.indices[p:end]] = split.values[p:end]
        np.testing.assert_array_equal(by_row, sparse)
        by_column = np.zeros_like(sparse)
        for j in range(30):
            p, end = split.column_pointers[j], split.column_pointers[j + 1]
            by_column[split.row_indices[p:end], j] = split.column_values[p:end]
        np.testing.assert_array_equal(by_column, sparse)
        source = rng.standard_normal((30, 7)).astype(dtype)
        out = np.full((30, 7), np.nan, dtype=dtype)
        split.sparse_times(source, out)
        np.testing.assert_allclose(out[:rows], sparse @ source, rtol=0, atol=TOLERANCE[dtype])
    split.limit = 0.1  # the sparse columns now hold more than the limit of non-zeros
    assert not split.fill(X, order, 0, 30) and not split.by_column


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_backprop_with_split_columns_equals_the_dense_path(dtype, monkeypatch):
    # Batches of 10 rows of columns ~29% non-zero: some batches are above the limit 0.3
    # (BLAS for all their columns), others below (BLAS for the dense columns, gathers for
    # the rest); both must give what the dense path gives.
    rng = np.random.default_rng(6)
    X = _half_dense(rng).astype(dtype)
    targets = rng.integers(0, 3, len(X)).astype(np.intp)
    listed = []
    original = SplitBatches.fill

    def recording(self, *args):
        listed.append(original(self, *args))
        return listed[-1]

    monkeypatch.setattr(backprop.SplitBatches, "fill", recording)

    def network():
        rng = np.random.default_rng(0)
        return DeepNetwork(
            [
                (0.1 * rng.standard_normal((8, 40))).astype(dtype),
                (0.1 * rng.standard_normal((6, 8))).astype(dtype),
            ],
            [np.zeros(8, dtype), np.zeros(6, dtype)],
            (0.1 * rng.standard_normal((3, 6))).astype(dtype),
            np.zeros(3, dtype),
        )

    trained = {}
    for limit in (0.3, -1.0):
        trained[limit] = network()
        gradient_descent(
            X, targets, trained[limit], epochs=3, batch_size=10, learning_rate=0.1,
            momentum=0.9, rng=np.random.default_rng(1), data_density_limit=limit,
        )  # fmt: skip
    assert any(listed) and not all(listed)
    for a, b in zip(trained[0.3].parameters, trained[-1.0].parameters, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=TOLERANCE[dtype])
    assert not np.array_equal(trained[0.3].weights[0], network().weights[0])  # it trained


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_passes_equal_their_numpy_forms(dtype, monkeypatch):
    rng = np.random.default_rng(8)
    pre = rng.standard_normal((20, 33)).astype(dtype) * 4
    bias = rng.standard_normal(33).astype(dtype)
    scores = rng.standard_normal((20, 10)).astype(dtype) * 3
    scores[0, :3] = [-2000.0, -740.0, -95.0]  # exp underflows (float32: -95 to a subnormal)
    out_bias = rng.standard_normal(10).astype(dtype)
    targets = rng.integers(0, 10, 50).astype(np.intp)
    order = rng.permutation(50)
    error = rng.standard_normal((20, 33)).astype(dtype)
    activation = rng.random((20, 33)).astype(dtype)

    def passes():
        a = pre.copy()
        fused.activate(a, bias)
        s = scores.copy()
        gs = np.empty(10, dtype)
        loss = fused.softmax_error(s, out_bias, targets, order, 7, gs)
        e = error.copy()
        gb = np.empty(33, dtype)
        fused.back_through(e, activation, gb)
        return a, s, gs, loss, e, gb

    compiled = passes()
    monkeypatch.setattr(fused, "numba", None)
    plain = passes()
    assert all(x.dtype == dtype for x in compiled if isinstance(x, np.ndarray))
    ulps = {np.float64: 1e-15, np.float32: 3e-7}[dtype]
    np.testing.assert_allclose(compiled[0], plain[0], rtol=4 * ulps, atol=ulps)  # logistic
    for a, b in zip(compiled[1:], plain[1:], strict=True):  # exp, log: an ulp or two
        np.testing.assert_allclose(a, b, rtol=8 * ulps, atol=ulps)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gradient_descend_is_the_gradient_then_the_step_bitwise(dtype):
    rng = np.random.default_rng(9)
    X = np.where(rng.random((40, 50)) < 0.2, rng.random((40, 50)), 0.0).astype(dtype)
    lists = DataLists(40, 50, dtype)
    lists.fill(X, np.arange(40), 0, 40)
    error = rng.standard_normal((40, 33)).astype(dtype)
    param = rng.standard_normal((50, 33)).astype(dtype)
    speed = rng.standard_normal((50, 33)).astype(dtype)
    step, inertia = dtype(0.1), dtype(0.9)
    fused_param, fused_speed = param.copy(), speed.copy()
    fused.gradient_descend(
        lists, error, fused_param, fused_speed, step, inertia, np.empty(33, dtype)
    )
    grad = np.empty_like(param)
    lists.transposed_times(error, grad, 33)
    descend(param, speed, grad, step, inertia)
    np.testing.assert_array_equal(fused_param, param)
    np.testing.assert_array_equal(fused_speed, speed)
    lists.fill(X, np.arange(40), 0, 40, 0.1)  # not listed by column
    with pytest.raises(RuntimeError, match="not listed by column"):
        fused.gradient_descend(lists, error, param, speed, step, inertia, np.empty(33, dtype))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_backprop_without_numba_equals_the_compiled_path(dtype, monkeypatch):
    X, y = synthetic_mnist(250, seed=5)
    X = X.astype(dtype)
    trained = []
    for _ in range(2):
        network = _network(dtype)
        losses = gradient_descent(
            X, y.astype(np.intp), network, epochs=2, batch_size=100, learning_rate=0.1,
            momentum=0.9, rng=np.random.default_rng(1),
        )  # fmt: skip
        trained.append((network, losses))
        monkeypatch.setattr(fused, "numba", None)  # the second time: numpy only
        monkeypatch.setattr(backprop, "SplitBatches", None)
    for a, b in zip(trained[0][0].parameters, trained[1][0].parameters, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=TOLERANCE[dtype])
    np.testing.assert_allclose(trained[0][1], trained[1][1], rtol=1e-5)
