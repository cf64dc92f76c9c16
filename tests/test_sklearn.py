"""rbmperf.sklearn: scikit-learn's own estimator checks, and what they do not cover."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import structured_data
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neural_network import BernoulliRBM
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import (
    check_methods_subset_invariance,
    parametrize_with_checks,
)

import rbmperf
from rbmperf.sklearn import DBNClassifier, InputRangeWarning, RBMTransformer
from rbmperf.sklearn import _input as sklearn_input
from rbmperf.sklearn._pseudo_likelihood import log_conditionals

# Small, quick instances for the checks: every check fits a few times on tiny data.
CHECK_TRANSFORMER = RBMTransformer(n_components=8, n_iter=3, random_state=0)
CHECK_CLASSIFIER = DBNClassifier(
    (16,), pretrain_epochs=5, softmax_epochs=30, finetune_epochs=30, batch_size=20, random_state=0
)


def expected_failed_checks(estimator: object) -> dict[str, str]:
    """Checks each estimator is expected to fail, by name, with the reason.

    None. (scikit-learn's BernoulliRBM fails check_methods_sample_order_invariance and
    check_methods_subset_invariance because its score_samples flips a random feature per
    row; RBMTransformer's score_samples is the exact, deterministic sum: see
    test_bernoulli_rbm_fails_the_invariance_check_that_rbm_transformer_passes.)
    scikit-learn itself skips check_array_api_input unless SCIPY_ARRAY_API=1 is set
    before scipy is imported; that skip is its own, not ours.
    """
    return {}


# The checks feed values outside [0, 1] on purpose: the warning is what we promise then.
@pytest.mark.filterwarnings("ignore::rbmperf.sklearn.InputRangeWarning")
@parametrize_with_checks(
    [CHECK_TRANSFORMER, CHECK_CLASSIFIER], expected_failed_checks=expected_failed_checks
)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.filterwarnings("ignore::rbmperf.sklearn.InputRangeWarning")
def test_bernoulli_rbm_fails_the_invariance_check_that_rbm_transformer_passes():
    # The control for the check above: the same check does catch a random score_samples.
    with pytest.raises(AssertionError):
        check_methods_subset_invariance("BernoulliRBM", BernoulliRBM(n_iter=2, random_state=0))
    check_methods_subset_invariance("RBMTransformer", clone(CHECK_TRANSFORMER))


# ---------------------------------------------------------------------------------------------
# Same training as rbmperf's own
# ---------------------------------------------------------------------------------------------


def test_fit_trains_exactly_like_train_rbm(backend_name):
    # 300 × 64 float64 is one chunk, so every backend sees the same calls as train_rbm.
    # The transformer's defaults: the data values in the positive phase, momentum 0.7.
    X = structured_data(300)
    model = RBMTransformer(16, n_iter=4, batch_size=50, backend=backend_name, random_state=3)
    model.fit(X)
    reference = rbmperf.train_rbm(
        X,
        16,
        backend=backend_name,
        epochs=4,
        batch_size=50,
        seed=3,
        learning_rate=0.1,
        momentum=0.7,
        sample_data=False,
    )
    np.testing.assert_array_equal(model.components_, reference.W)
    np.testing.assert_array_equal(model.intercept_hidden_, reference.hidden_bias)
    np.testing.assert_array_equal(model.intercept_visible_, reference.visible_bias)
    np.testing.assert_array_equal(model.transform(X), reference.transform(X))


def test_sampled_data_states_train_exactly_like_train_rbms_defaults(backend_name):
    # sample_data=True and momentum=0.9: rbmperf's (and the blog's) CD-1, train_rbm's
    # defaults. On this grey data that is a different model from the transformer's default.
    X = structured_data(300)
    settings = dict(n_iter=4, batch_size=50, backend=backend_name, random_state=3)
    model = RBMTransformer(16, momentum=0.9, sample_data=True, **settings).fit(X)
    reference = rbmperf.train_rbm(X, 16, backend=backend_name, epochs=4, batch_size=50, seed=3)
    np.testing.assert_array_equal(model.components_, reference.W)
    np.testing.assert_array_equal(model.intercept_visible_, reference.visible_bias)
    values = RBMTransformer(16, momentum=0.9, **settings).fit(X)
    assert not np.allclose(values.components_, model.components_)


_FIT_COMPILES_ONLY_IN_PREPARE = """
import json, numba, numpy as np
import rbmperf
from rbmperf.backends import binary, numba_jit, sparse_data
from rbmperf.sklearn import RBMTransformer

def signatures():
    return {
        f"{module.__name__.rsplit('.', 1)[1]}.{name}": len(kernel.signatures)
        for module in (numba_jit, binary, sparse_data)
        for name, kernel in vars(module).items()
        if isinstance(kernel, numba.core.dispatcher.Dispatcher)
    }

engine = rbmperf.get_backend("binary")  # the object the estimator gets
log = []
real_prepare, real_epoch = engine.prepare, engine.run_epoch

def prepare(dtype, **kw):
    seconds = real_prepare(dtype, **kw)
    log.append({"call": "prepare", "kw": kw, "signatures": signatures()})
    return seconds

def run_epoch(*args, **kw):
    before = signatures()
    real_epoch(*args, **kw)
    grown = {k: n for k, n in signatures().items() if n != before[k]}
    log.append({"call": "epoch", "kw": kw, "grown": grown})

engine.prepare, engine.run_epoch = prepare, run_epoch
rng = np.random.default_rng(0)
X = rng.random((300, 64)) * (rng.random((300, 64)) < 0.2)
for sample_data in (True, None):  # None: the estimator's default (the data's values)
    settings = {} if sample_data is None else {"sample_data": sample_data}
    RBMTransformer(16, n_iter=2, batch_size=50, backend="binary", **settings).fit(X)
print(json.dumps({"log": log, "sparse_steps": engine.paths["v0 W.T", "sparse"]}))
"""


def test_fit_compiles_in_prepare_only_and_only_its_setting():
    # The fit's epochs (what its verbose lines and a user's timing see) compile nothing:
    # the estimator prepares the binary backend for the sample_data it trains with. With
    # sample_data=True no sparse-data kernel compiles at all; the default (the data's
    # values, which take the sparse path on 20% non-zero data) compiles them in prepare.
    # In a fresh process: compiled signatures (or loaded from numba's cache) per kernel.
    pytest.importorskip("numba")
    done = subprocess.run(
        [sys.executable, "-c", _FIT_COMPILES_ONLY_IN_PREPARE],
        env={k: v for k, v in os.environ.items() if k != "NUMBA_DISABLE_JIT"},
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout.splitlines()[-1])
    log = result["log"]
    assert [entry["call"] for entry in log] == ["prepare", "epoch", "epoch"] * 2
    assert [e["kw"].get("sample_data", True) for e in log] == [True] * 3 + [False] * 3
    assert all(not entry["grown"] for entry in log if entry["call"] == "epoch"), log
    sampled, values = log[0]["signatures"], log[3]["signatures"]
    for kernel in ("sparse_data.list_rows", "sparse_data.lists_times_rows"):
        assert sampled[kernel] == 0 and values[kernel] == 1, kernel
    assert result["sparse_steps"] > 0  # the default's epochs did take the sparse kernels


def test_sample_data_defaults_to_the_data_values_and_is_a_parameter():
    model = RBMTransformer()
    assert model.get_params()["sample_data"] is False
    assert model.get_params()["momentum"] == 0.7
    assert clone(model.set_params(sample_data=True)).sample_data is True


def test_chunked_numpy_fit_trains_exactly_like_train_rbm(monkeypatch):
    # numpy's backend draws its uniforms batch by batch, so chunking changes nothing at all.
    monkeypatch.setattr(sklearn_input, "CHUNK_BYTES", 64 * 8 * 40)  # 40-row chunks
    X = structured_data(330)
    model = RBMTransformer(16, n_iter=3, batch_size=20, random_state=1, backend="numpy").fit(X)
    reference = rbmperf.train_rbm(
        X, 16, epochs=3, batch_size=20, seed=1, momentum=0.7, sample_data=False, backend="numpy"
    )
    np.testing.assert_array_equal(model.components_, reference.W)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_trains_like_dense_input(backend_name, fmt, monkeypatch):
    monkeypatch.setattr(sklearn_input, "CHUNK_BYTES", 64 * 8 * 60)  # 60-row chunks
    X = structured_data(250)
    X[X < 0.5] = 0.0
    settings = dict(n_components=12, n_iter=3, batch_size=30, backend=backend_name)
    dense = RBMTransformer(**settings, random_state=5).fit(X)
    sparse = RBMTransformer(**settings, random_state=5).fit(sp.csr_matrix(X).asformat(fmt))
    np.testing.assert_array_equal(sparse.components_, dense.components_)
    np.testing.assert_array_equal(sparse.intercept_visible_, dense.intercept_visible_)
    np.testing.assert_array_equal(sparse.transform(sp.csr_array(X)), dense.transform(X))
    np.testing.assert_array_equal(
        sparse.score_samples(sp.csc_matrix(X[:20])), dense.score_samples(X[:20])
    )


def test_sparse_input_is_densified_a_chunk_at_a_time(monkeypatch):
    monkeypatch.setattr(sklearn_input, "CHUNK_BYTES", 64 * 8 * 60)
    X = sp.random(250, 64, density=0.2, format="csr", random_state=0)
    rows = sklearn_input.chunk_rows(64, np.dtype(np.float64), multiple=30)
    assert rows == 60
    blocks = [block for _, block, _ in sklearn_input.chunks(X, rows, np.dtype(np.float64))]
    assert [len(block) for block in blocks] == [60, 60, 60, 60, 10]
    np.testing.assert_array_equal(np.concatenate(blocks), X.toarray())


def test_partial_fit_over_pieces_equals_one_epoch_of_fit(backend_name, monkeypatch):
    monkeypatch.setattr(sklearn_input, "CHUNK_BYTES", 64 * 8 * 50)  # 50-row chunks
    X = structured_data(320)
    settings = dict(n_components=10, batch_size=25, backend=backend_name, random_state=2)
    whole = RBMTransformer(**settings, n_iter=1).fit(X)
    pieces = RBMTransformer(**settings)
    for start in range(0, len(X), 100):  # pieces of two chunks; the last one shorter
        pieces.partial_fit(X[start : start + 100])
    np.testing.assert_array_equal(pieces.components_, whole.components_)
    np.testing.assert_array_equal(pieces.intercept_hidden_, whole.intercept_hidden_)
    # And further calls continue the momentum and the random stream: as a second epoch.
    twice = RBMTransformer(**settings, n_iter=2).fit(X)
    pieces.partial_fit(X)
    np.testing.assert_array_equal(pieces.components_, twice.components_)


def test_fit_starts_afresh_after_partial_fit():
    X = structured_data(200)
    model = RBMTransformer(8, n_iter=2, random_state=0).partial_fit(X).partial_fit(X)
    fresh = RBMTransformer(8, n_iter=2, random_state=0).fit(X)
    np.testing.assert_array_equal(model.fit(X).components_, fresh.components_)


# ---------------------------------------------------------------------------------------------
# Input handling
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("input_dtype", "expected"),
    [
        (np.float32, np.float32),
        (np.float64, np.float64),
        (np.int64, np.float64),
        (bool, np.float64),
    ],
)
def test_model_dtype_follows_the_input(input_dtype, expected):
    X = (structured_data(120, 16) > 0.5).astype(input_dtype)
    model = RBMTransformer(6, n_iter=2, random_state=0).fit(X)
    for array in (model.components_, model.intercept_hidden_, model.intercept_visible_):
        assert array.dtype == expected
    assert model.transform(X).dtype == expected
    assert model.gibbs(X).dtype == expected
    assert model.score_samples(X).dtype == np.float64


def test_integer_input_trains_like_the_same_values_as_float64():
    X = (structured_data(150, 16) > 0.5).astype(np.int32)
    from_int = RBMTransformer(6, n_iter=2, random_state=0).fit(X)
    from_float = RBMTransformer(6, n_iter=2, random_state=0).fit(X.astype(np.float64))
    np.testing.assert_array_equal(from_int.components_, from_float.components_)


def test_x_is_never_modified():
    rng = np.random.default_rng(0)
    X = rng.normal(0.5, 1.0, (150, 12))  # out of range: the clipping path
    X_f = np.asfortranarray(X)
    X_sparse = sp.csr_matrix(np.where(X > 0.8, X, 0.0))
    copies = [X.copy(), X_f.copy(), X_sparse.copy()]
    model = RBMTransformer(5, n_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputRangeWarning)
        for data in (X, X_f, X_sparse):
            model.fit(data).partial_fit(data)
            model.transform(data), model.gibbs(data), model.score_samples(data)
    np.testing.assert_array_equal(X, copies[0])
    np.testing.assert_array_equal(X_f, copies[1])
    np.testing.assert_array_equal(X_sparse.toarray(), copies[2].toarray())


def test_values_outside_the_unit_interval_are_clipped_with_a_warning_at_fit():
    rng = np.random.default_rng(1)
    X = rng.normal(0.5, 0.8, (200, 10))
    clipped = np.clip(X, 0, 1)
    n_outside = int(np.count_nonzero((X < 0) | (X > 1)))
    with pytest.warns(InputRangeWarning, match=f"X has {n_outside:,} values outside"):
        model = RBMTransformer(6, n_iter=3, random_state=0).fit(X)
    reference = RBMTransformer(6, n_iter=3, random_state=0).fit(clipped)
    np.testing.assert_array_equal(model.components_, reference.components_)
    np.testing.assert_array_equal(model.intercept_visible_, reference.intercept_visible_)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # transform and the rest clip silently
        np.testing.assert_array_equal(model.transform(X), model.transform(clipped))
        huge = X * 1e6
        np.testing.assert_array_equal(model.transform(huge), model.transform(np.clip(huge, 0, 1)))
        np.testing.assert_array_equal(model.score_samples(X), model.score_samples(clipped))
        RBMTransformer(6, n_iter=1).fit(clipped)  # in-range data: no warning


# ---------------------------------------------------------------------------------------------
# score_samples and gibbs
# ---------------------------------------------------------------------------------------------


def _free_energy(V, W, hidden_bias, visible_bias):
    return -V @ visible_bias - np.logaddexp(0.0, V @ W.T + hidden_bias).sum(axis=1)


def _reference_log_conditionals(V, W, hidden_bias, visible_bias):
    """log P(v_i | v_-i) straight from the free energy, one feature at a time."""
    energy = _free_energy(V, W, hidden_bias, visible_bias)
    out = np.empty_like(V)
    for i in range(V.shape[1]):
        flipped = V.copy()
        flipped[:, i] = 1.0 - flipped[:, i]
        gain = _free_energy(flipped, W, hidden_bias, visible_bias) - energy
        out[:, i] = -np.logaddexp(0.0, -gain)
    return out


def test_score_samples_is_the_exact_pseudo_likelihood():
    X = structured_data(80, 20)
    model = RBMTransformer(7, n_iter=5, random_state=0).fit(X)
    params = (model.components_, model.intercept_hidden_, model.intercept_visible_)
    expected = _reference_log_conditionals(X, *params).sum(axis=1)
    np.testing.assert_allclose(model.score_samples(X), expected, rtol=1e-12)
    assert np.all(model.score_samples(X) <= 0)


def test_score_samples_is_the_expectation_of_bernoulli_rbms_estimate():
    # BernoulliRBM scores n_features × log P(v_i | v_-i) at one random feature i per row;
    # with the same parameters and its random indices, that is exactly our term.
    X = structured_data(60, 12)
    model = RBMTransformer(5, n_iter=3, random_state=0).fit(X)
    theirs = BernoulliRBM(n_components=5, n_iter=1, random_state=0).fit(X)
    theirs.components_ = model.components_
    theirs.intercept_hidden_ = model.intercept_hidden_
    theirs.intercept_visible_ = model.intercept_visible_
    picked = np.random.RandomState(7).randint(0, X.shape[1], X.shape[0])
    terms = log_conditionals(
        X, model.components_, model.intercept_hidden_, model.intercept_visible_
    )
    np.testing.assert_allclose(
        theirs.set_params(random_state=7).score_samples(X),
        X.shape[1] * terms[np.arange(len(X)), picked],
        rtol=1e-10,
    )
    np.testing.assert_allclose(model.score_samples(X), terms.sum(axis=1), rtol=1e-12)


def test_score_samples_is_stable_for_huge_pre_activations():
    # Weights of ±1e4 over 30 features: pre-activations reach 1e5, where exp overflows.
    rng = np.random.default_rng(3)
    X = (rng.random((40, 30)) < 0.5).astype(np.float64)
    model = RBMTransformer(6, n_iter=1, random_state=0).fit(X)
    model.components_ = 1e4 * rng.standard_normal(model.components_.shape)
    model.intercept_hidden_ = 1e3 * rng.standard_normal(6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any overflow or invalid value fails the test
        scores = model.score_samples(X)
    params = (model.components_, model.intercept_hidden_, model.intercept_visible_)
    # The reference subtracts free energies of size 1e6: good to about 1e-9 absolute.
    np.testing.assert_allclose(scores, _reference_log_conditionals(X, *params).sum(1), atol=1e-6)
    assert np.all(np.isfinite(scores)) and np.all(scores <= 0)
    assert np.min(scores) < -1e3  # saturated units give large, finite penalties


def test_gibbs_samples_binary_states_from_the_model():
    rng = np.random.default_rng(0)
    X = (rng.random((500, 6)) < 0.5).astype(np.float64)
    model = RBMTransformer(4, n_iter=1, random_state=0).fit(X)
    # Visible units 0-2 strongly on, 3-5 strongly off whatever the hidden states are.
    model.components_ = np.zeros_like(model.components_)
    model.intercept_visible_ = np.array([30.0, 30.0, 30.0, -30.0, -30.0, -30.0])
    sample = model.gibbs(X)
    np.testing.assert_array_equal(sample, np.tile([1.0, 1, 1, 0, 0, 0], (500, 1)))
    # Unbiased units: half on. 3,000 draws, standard error 0.009: 5 sigma is 0.045.
    model.intercept_visible_ = np.zeros(6)
    first, second = model.gibbs(X), model.gibbs(X)
    assert abs(first.mean() - 0.5) < 0.045
    assert not np.array_equal(first, second)  # the stream advances between calls


# ---------------------------------------------------------------------------------------------
# random_state, names, errors
# ---------------------------------------------------------------------------------------------


def test_random_state_follows_scikit_learn_conventions():
    X = structured_data(100, 16)

    def weights(random_state):
        return RBMTransformer(4, n_iter=1, random_state=random_state).fit(X).components_

    np.testing.assert_array_equal(weights(11), weights(11))
    np.testing.assert_array_equal(
        weights(np.random.RandomState(4)), weights(np.random.RandomState(4))
    )
    shared = np.random.RandomState(4)
    assert not np.array_equal(weights(shared), weights(shared))  # an instance advances
    # None means numpy's global RandomState: the legacy seed is what is under test.
    np.random.seed(8)  # noqa: NPY002
    from_global = weights(None)
    np.random.seed(8)  # noqa: NPY002
    np.testing.assert_array_equal(weights(None), from_global)
    with pytest.raises(ValueError):
        weights(-1)


def test_feature_names():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(structured_data(60, 5), columns=[f"pixel{i}" for i in range(5)])
    model = RBMTransformer(3, n_iter=1, random_state=0).fit(X)
    assert list(model.feature_names_in_) == list(X.columns)
    assert list(model.get_feature_names_out()) == [f"rbmtransformer{i}" for i in range(3)]
    assert model.n_features_in_ == 5


def test_bad_input_raises_scikit_learn_style_errors():
    X = structured_data(50, 8)
    model = RBMTransformer(4, n_iter=1, random_state=0)
    with pytest.raises(NotFittedError):
        model.transform(X)
    bad = X.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        model.fit(bad)
    bad[3, 2] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        model.fit(bad)
    with pytest.raises(ValueError, match="0 sample"):
        model.fit(np.empty((0, 8)))
    with pytest.raises(ValueError, match="0 feature"):
        model.fit(np.empty((5, 0)))
    model.fit(X)
    with pytest.raises(ValueError, match="X has 7 features, but RBMTransformer is expecting 8"):
        model.transform(X[:, :7])
    with pytest.raises(ValueError, match="X has 9 features, but RBMTransformer is expecting 8"):
        model.partial_fit(np.hstack([X, X[:, :1]]))
    with pytest.raises(ValueError, match="unknown backend 'fortran'; available backends: "):
        RBMTransformer(backend="fortran").fit(X)
    with pytest.raises(ValueError, match="n_components == 0, must be >= 1"):
        RBMTransformer(0).fit(X)
    with pytest.raises(ValueError, match=r"momentum == 1\.0, must be < 1"):
        RBMTransformer(momentum=1.0).fit(X)
    for not_a_bool in (0, "False", None):
        with pytest.raises(
            TypeError, match=r"sample_data must be an instance of \{bool, .*\}, not "
        ):
            RBMTransformer(sample_data=not_a_bool).fit(X)
    RBMTransformer(4, n_iter=1, sample_data=np.bool_(True)).fit(X)  # numpy's bool is a bool
    classifier = DBNClassifier((4,), pretrain_epochs=1, softmax_epochs=1, finetune_epochs=1)
    with pytest.raises(NotFittedError):
        classifier.predict(X)
    with pytest.raises(ValueError, match="unknown backend 'fortran'"):
        classifier.set_params(backend="fortran").fit(X, np.arange(50) % 2)
    with pytest.raises(ValueError, match="only one class"):
        classifier.set_params(backend="numpy").fit(X, np.zeros(50))


# ---------------------------------------------------------------------------------------------
# scikit-learn's tools
# ---------------------------------------------------------------------------------------------


def test_pickle_keeps_the_training_state():
    X = structured_data(200, 16)
    model = RBMTransformer(6, n_iter=2, random_state=0).fit(X)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.transform(X), model.transform(X))
    # Momentum speeds and the random stream travel too: training continues identically.
    np.testing.assert_array_equal(
        restored.partial_fit(X).components_, model.partial_fit(X).components_
    )


def _digits(n: int = 600):
    from rbmperf.data import load_digits

    X, y = load_digits()
    return X[:n], y[:n]


def test_pipeline_grid_search_in_two_processes_and_cross_validation():
    X, y = _digits()
    pipeline = Pipeline(
        [
            (
                "rbm",
                RBMTransformer(32, n_iter=10, batch_size=20, learning_rate=0.05, random_state=0),
            ),
            ("logistic", LogisticRegression(max_iter=500)),
        ]
    )
    search = GridSearchCV(pipeline, {"rbm__n_components": [16, 32]}, cv=2, n_jobs=2)
    search.fit(X, y)
    assert search.best_params_["rbm__n_components"] in (16, 32)
    assert search.best_estimator_.named_steps["rbm"].components_.shape[1] == 64
    scores = cross_val_score(clone(pipeline), X, y, cv=3)
    # Logistic regression on 32 RBM features of 400 digits, 200 test rows a fold: well above
    # chance (0.1). This seeded run scores 0.76-0.87.
    assert scores.min() > 0.6


def test_dbn_classifier_is_a_thin_wrapper_over_dbn():
    X, y = _digits(400)
    settings = dict(pretrain_epochs=3, softmax_epochs=5, finetune_epochs=5)
    ours = DBNClassifier((20,), random_state=4, **settings).fit(X, y)
    reference = rbmperf.DBN((20,), seed=4, **settings).fit(X, y)
    # Its pre-training keeps the contract's CD-1 (sampled data states), unlike RBMTransformer.
    assert [rbm.info["sample_data"] for rbm in ours.dbn_.rbms] == [True]
    np.testing.assert_array_equal(ours.predict_proba(X), reference.predict_proba(X))
    np.testing.assert_array_equal(ours.predict(X), reference.predict(X))


def test_dbn_classifier_takes_any_labels_and_keeps_float32():
    X, y = _digits(400)
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight"])
    keep = y < 9
    X, labels = X[keep].astype(np.float32), names[y[keep]]
    model = DBNClassifier(
        (32,), pretrain_epochs=5, softmax_epochs=20, finetune_epochs=20, random_state=0
    ).fit(X, labels)
    assert list(model.classes_) == sorted(names)
    assert model.n_features_in_ == 64
    proba = model.predict_proba(X)
    assert proba.dtype == np.float32 and model.dbn_.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(model.predict(X), model.classes_[proba.argmax(axis=1)])
    assert model.score(X, labels) > 0.9  # training accuracy of a small net on 9 digits
    restored = pickle.loads(pickle.dumps(clone(model).fit(X, labels)))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))


def test_dbn_classifier_clips_out_of_range_input_with_a_warning():
    X, y = _digits(300)
    shifted = X * 3 - 1
    settings = dict(pretrain_epochs=2, softmax_epochs=3, finetune_epochs=3, random_state=0)
    with pytest.warns(InputRangeWarning, match="DBNClassifier clips them"):
        model = DBNClassifier((8,), **settings).fit(shifted, y)
    reference = DBNClassifier((8,), **settings).fit(np.clip(shifted, 0, 1), y)
    np.testing.assert_array_equal(
        model.predict_proba(shifted), reference.predict_proba(np.clip(shifted, 0, 1))
    )
