"""The contract every registered backend must meet: same mathematics, same API."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import structured_data
from reference import reference_cd1

import rbmperf
from rbmperf.backends import TrainingState, draw_uniforms
from rbmperf.backends.base import momentum_step

# Both settings of the contract's `sample_data`: sampled data states (the blog's CD-1) and
# the data values themselves as the positive phase's visible states.
SAMPLE_DATA = pytest.mark.parametrize("sample_data", [True, False], ids=["sampled", "values"])


def random_problem(n_visible=40, n_hidden=24, batch=17, dtype=np.float64, seed=3):
    rng = np.random.default_rng(seed)
    # Weights large enough that the logistic is far from 0.5 and sampling decisions vary.
    W = rng.normal(0.0, 0.5, (n_hidden, n_visible)).astype(dtype)
    hidden_bias = rng.normal(0.0, 0.5, n_hidden).astype(dtype)
    visible_bias = rng.normal(0.0, 0.5, n_visible).astype(dtype)
    v0 = rng.random((batch, n_visible)).astype(dtype)
    uniforms = draw_uniforms(rng, batch, n_visible, n_hidden, np.dtype(dtype))
    return W, hidden_bias, visible_bias, v0, uniforms


def relative_error(actual, expected):
    """Largest absolute difference relative to the largest magnitude of the reference."""
    return np.max(np.abs(actual - expected)) / max(np.max(np.abs(expected)), 1e-300)


@SAMPLE_DATA
@pytest.mark.parametrize(
    ("dtype", "tolerance"), [(np.float64, 1e-12), (np.float32, 1e-5)], ids=["f64", "f32"]
)
def test_cd1_matches_reference(backend_name, dtype, tolerance, sample_data):
    backend = rbmperf.get_backend(backend_name)
    problem = random_problem(dtype=dtype)
    gradient = backend.cd1(*problem, sample_data=sample_data)
    expected = reference_cd1(*problem, sample_data=sample_data)
    for name, actual, wanted in zip(
        ("dW", "d_hidden", "d_visible"), gradient, expected, strict=True
    ):
        assert actual.dtype == dtype, name
        assert actual.shape == wanted.shape, name
        assert relative_error(actual.astype(np.float64), wanted) <= tolerance, name


def test_cd1_is_pure(backend_name):
    backend = rbmperf.get_backend(backend_name)
    problem = random_problem()
    copies = [np.copy(a) for a in problem[:4]] + [tuple(np.copy(u) for u in problem[4])]
    first = backend.cd1(*problem)
    second = backend.cd1(*problem)
    for before, after in zip(copies[:4], problem[:4], strict=True):
        np.testing.assert_array_equal(before, after)
    for before, after in zip(copies[4], problem[4], strict=True):
        np.testing.assert_array_equal(before, after)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    # Returned arrays are the caller's: a later call must not overwrite them.
    kept = [np.copy(a) for a in first]
    backend.cd1(*random_problem(seed=99))
    for a, b in zip(kept, first, strict=True):
        np.testing.assert_array_equal(a, b)


@SAMPLE_DATA
def test_cd1_single_row_batch(backend_name, sample_data):
    backend = rbmperf.get_backend(backend_name)
    problem = random_problem(batch=1)
    gradient = backend.cd1(*problem, sample_data=sample_data)
    expected = reference_cd1(*problem, sample_data=sample_data)
    for actual, wanted in zip(gradient, expected, strict=True):
        assert relative_error(actual, wanted) <= 1e-12


def test_cd1_with_data_values_differs_from_sampled_states_on_grey_data(backend_name):
    # random_problem's data are uniform in [0, 1): sampling them changes v0, so the gradient.
    backend = rbmperf.get_backend(backend_name)
    problem = random_problem()
    sampled = backend.cd1(*problem)
    values = backend.cd1(*problem, sample_data=False)
    for a, b in zip(sampled, values, strict=True):
        assert not np.allclose(a, b)


def _stream_uniforms(backend, rng, X, batch_size, n_hidden):
    """`backend`'s mini-batches of `X` and the uniforms its run_epoch draws from `rng` for each.

    The contract fixes the order (u_v0, u_h0, u_v1); each family of backends has its own
    generator: numpy's Generator (naive, numpy), the counter-based generator keyed from it
    (numba, binary) or a torch Generator seeded from it (torch, torch-cuda).
    """
    n_visible = X.shape[1]
    batches = list(backend.mini_batches(X, batch_size))
    shapes = [((len(b), n_visible), (len(b), n_hidden), (len(b), n_visible)) for b in batches]
    if backend.name in ("numba", "binary"):
        from rbmperf.backends.numba_jit import _FILL_UNIFORMS

        key = np.uint64(rng.integers(0, 2**63, dtype=np.int64))
        counter = np.uint64(0)
        triples = []
        for triple in shapes:
            drawn = []
            for shape in triple:
                drawn.append(np.empty(shape, dtype=X.dtype))
                counter = np.uint64(_FILL_UNIFORMS[X.dtype.name](drawn[-1], key, counter))
            triples.append(tuple(drawn))
        return batches, triples
    if backend.name.startswith("torch"):
        import torch

        generator = torch.Generator(device=backend._torch_device())
        generator.manual_seed(int(rng.integers(0, 2**63 - 1)))
        triples = []
        for v_shape, h_shape, _ in shapes:
            v_size, h_size = v_shape[0] * v_shape[1], h_shape[0] * h_shape[1]
            flat = torch.empty(
                2 * v_size + h_size, dtype=getattr(torch, X.dtype.name), device=generator.device
            ).uniform_(generator=generator)
            flat = flat.cpu().numpy()
            triples.append(
                (
                    flat[:v_size].reshape(v_shape),
                    flat[v_size : v_size + h_size].reshape(h_shape),
                    flat[v_size + h_size :].reshape(v_shape),
                )
            )
        return batches, triples
    return batches, [draw_uniforms(rng, v[0], v[1], h[1], X.dtype) for v, h, _ in shapes]


@SAMPLE_DATA
def test_run_epoch_is_the_reference_epoch_on_the_backends_stream(backend_name, sample_data):
    # Two epochs of 130-row batches and a 50-row tail, each backend against the plain
    # reference CD-1 fed with the uniforms of the backend's own generator: every backend
    # computes the contract's epoch, and backends that share a generator agree with each
    # other. float64: the products' rounding differs by ~1e-16, far from flipping a state.
    backend = rbmperf.get_backend(backend_name)
    X = structured_data(310)
    n_hidden = 20
    init = rbmperf.initial_rbm(X.shape[1], n_hidden)
    state = TrainingState.starting_from(init.W, init.hidden_bias, init.visible_bias)
    expected = TrainingState.starting_from(init.W, init.hidden_bias, init.visible_bias)
    for epoch in range(2):
        backend.run_epoch(
            state, X, 130, 0.1, 0.9, np.random.default_rng(epoch), sample_data=sample_data
        )
        rng = np.random.default_rng(epoch)
        batches, triples = _stream_uniforms(backend, rng, X, 130, n_hidden)
        for batch, uniforms in zip(batches, triples, strict=True):
            gradient = reference_cd1(
                expected.W,
                expected.hidden_bias,
                expected.visible_bias,
                batch,
                uniforms,
                sample_data=sample_data,
            )
            momentum_step(expected, gradient, 0.1, 0.9)
    for name in ("W", "hidden_bias", "visible_bias", "W_speed", "hidden_speed", "visible_speed"):
        actual, wanted = getattr(state, name), getattr(expected, name)
        assert relative_error(actual, wanted) <= 1e-12, name


def _bitwise_backend(backend_name):
    """The backend, with the binary one's products forced dense.

    Its gathers (P1, P3 and P5 over 0/1 operands) round differently from the BLAS products
    that the data values take, so only its dense products are bitwise comparable.
    """
    if backend_name == "binary":
        from rbmperf.backends.binary import BinaryBackend, DensityLimits

        return BinaryBackend(DensityLimits.never())
    return type(rbmperf.get_backend(backend_name))()


def _two_epochs(backend, X, sample_data):
    """The training state after two epochs (batches of 50) from the initial model."""
    init = rbmperf.initial_rbm(X.shape[1], 16, dtype=X.dtype)
    state = TrainingState.starting_from(init.W, init.hidden_bias, init.visible_bias)
    rng = np.random.default_rng([0, 1])
    for _ in range(2):
        backend.run_epoch(state, X, 50, 0.1, 0.9, rng, sample_data=sample_data)
    return state


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_data_values_and_sampled_states_train_bitwise_alike_on_binary_data(backend_name, dtype):
    # A 0/1 value compared with a uniform in [0, 1) is itself: the two settings are one.
    X = (structured_data(230) > 0.5).astype(dtype)
    backend = _bitwise_backend(backend_name)
    sampled, values = (_two_epochs(backend, X, sample_data) for sample_data in (True, False))
    for name in ("W", "hidden_bias", "visible_bias", "W_speed", "hidden_speed", "visible_speed"):
        np.testing.assert_array_equal(getattr(sampled, name), getattr(values, name), name)
    # On grey data they differ: structured_data has 10% grey values.
    grey = structured_data(230).astype(dtype)
    sampled, values = (_two_epochs(backend, grey, sample_data) for sample_data in (True, False))
    assert not np.allclose(sampled.W, values.W)


def test_train_rbm_passes_sample_data_to_the_backend(backend_name):
    # _two_epochs starts and samples as train_rbm(seed=0) does: the same model, either way.
    X = structured_data(230)
    backend = rbmperf.get_backend(backend_name)
    for sample_data in (True, False):
        model = rbmperf.train_rbm(
            X, 16, backend=backend, epochs=2, batch_size=50, sample_data=sample_data
        )
        assert model.info["sample_data"] is sample_data
        np.testing.assert_array_equal(model.W, _two_epochs(backend, X, sample_data).W)
    default = rbmperf.train_rbm(X, 16, backend=backend, epochs=2, batch_size=50)
    assert default.info["sample_data"] is True
    np.testing.assert_array_equal(default.W, _two_epochs(backend, X, True).W)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_same_seed_gives_bitwise_identical_weights(backend_name, dtype):
    X = structured_data(230)
    first = rbmperf.train_rbm(X, 16, backend=backend_name, epochs=2, batch_size=50, dtype=dtype)
    second = rbmperf.train_rbm(X, 16, backend=backend_name, epochs=2, batch_size=50, dtype=dtype)
    assert first.W.dtype == np.dtype(dtype)
    assert first.hidden_bias.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(first.W, second.W)
    np.testing.assert_array_equal(first.hidden_bias, second.hidden_bias)
    np.testing.assert_array_equal(first.visible_bias, second.visible_bias)
    different = rbmperf.train_rbm(
        X, 16, backend=backend_name, epochs=2, batch_size=50, dtype=dtype, seed=1
    )
    assert not np.array_equal(first.W, different.W)


def test_backends_reach_similar_reconstruction_error(backend_name):
    # Each backend samples with its own random stream, so the models differ; their quality
    # must not. 5% is the tolerance; runs with other seeds differed by under 2%.
    X = structured_data(600)
    reference = rbmperf.train_rbm(X, 32, backend="numpy", epochs=5, batch_size=20, seed=4)
    model = rbmperf.train_rbm(X, 32, backend=backend_name, epochs=5, batch_size=20, seed=4)
    untrained = rbmperf.initial_rbm(X.shape[1], 32).reconstruction_error(X)
    error = model.reconstruction_error(X)
    assert error < 0.5 * untrained, "training did not reduce the reconstruction error"
    assert abs(error - reference.reconstruction_error(X)) <= 0.05 * error


def _free_energy(model, V):
    """Mean free energy F(v) = -v·b_v - Σ_j softplus(W_j·v + b_h,j) of the rows of `V`."""
    pre = V @ model.W.T.astype(np.float64) + model.hidden_bias
    return float(np.mean(-V @ model.visible_bias - np.logaddexp(0.0, pre).sum(axis=1)))


def test_training_learns_and_records_info(backend_name):
    X = structured_data(300)
    settings = {"epochs": 4, "batch_size": 25, "learning_rate": 0.2, "momentum": 0.8}
    # A fresh instance (not the shared one, already prepared by other tests), whose prepare
    # is spied on: info must hold what prepare returned, from exactly one call.
    engine = type(rbmperf.get_backend(backend_name))()
    returned, settings_asked = [], []
    real_prepare = engine.prepare
    engine.prepare = lambda dtype, **kw: (
        settings_asked.append(kw) or returned.append(real_prepare(dtype, **kw)) or returned[-1]
    )
    model = rbmperf.train_rbm(X, 20, backend=engine, seed=2, **settings)
    untrained = rbmperf.initial_rbm(X.shape[1], 20, seed=2)

    # It learns: the reconstruction error falls well below the untrained model's, and the
    # model prefers the data to "noise" with the same pixel marginals (each column shuffled
    # on its own, which keeps every pixel's mean but destroys the prototypes). Measured on
    # every backend, seeds 2-5: error ratio 0.29 (0.287-0.299) and a free-energy gap of
    # 20-24 nats; the untrained model's gap is under 0.001. 0.5 and 10 nats leave room for
    # other seeds and still fail for a model that did not learn (3 epochs at a quarter of
    # this learning rate gave 0.71 and 0.2-0.4 nats).
    assert model.reconstruction_error(X) < 0.5 * untrained.reconstruction_error(X)
    rng = np.random.default_rng(0)
    noise = np.column_stack([rng.permutation(column) for column in X.T])
    assert _free_energy(model, noise) - _free_energy(model, X) > 10.0
    assert abs(_free_energy(untrained, noise) - _free_energy(untrained, X)) < 0.1

    # info records the settings it ran with, not defaults.
    info = model.info
    assert info["backend"] == backend_name
    assert {key: info[key] for key in settings} == settings
    assert info["dtype"] == "float64" and info["seed"] == 2
    assert len(info["epoch_seconds"]) == settings["epochs"]
    assert all(isinstance(s, float) and s > 0.0 for s in info["epoch_seconds"])
    assert len(returned) == 1 and info["prepare_seconds"] == returned[0]
    assert settings_asked == [{"sample_data": True}]  # prepared for the epochs' setting
    if backend_name == "numba":  # compiles (or loads numba's cache): measurably > 0
        assert info["prepare_seconds"] == engine.compile_seconds["float64"] > 0.0


def test_batch_larger_than_data_is_one_batch(backend_name):
    X = structured_data(30)
    big = rbmperf.train_rbm(X, 8, backend=backend_name, epochs=2, batch_size=1000)
    exact = rbmperf.train_rbm(X, 8, backend=backend_name, epochs=2, batch_size=30)
    np.testing.assert_array_equal(big.W, exact.W)


def test_last_partial_batch_is_used(backend_name):
    # 101 rows at batch 50: the third batch holds one row and must still update the model.
    X = structured_data(101)
    with_tail = rbmperf.train_rbm(X, 8, backend=backend_name, epochs=1, batch_size=50)
    without_tail = rbmperf.train_rbm(X[:100], 8, backend=backend_name, epochs=1, batch_size=50)
    assert not np.array_equal(with_tail.W, without_tail.W)


def test_zero_epochs_returns_initial_model(backend_name):
    X = structured_data(20)
    model = rbmperf.train_rbm(X, 8, backend=backend_name, epochs=0)
    np.testing.assert_array_equal(model.W, rbmperf.initial_rbm(64, 8).W)
    assert not model.hidden_bias.any() and not model.visible_bias.any()
