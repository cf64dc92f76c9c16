"""``RBMTransformer``: rbmperf's RBM training as a scikit-learn transformer."""

from __future__ import annotations

import numbers
import time
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_scalar
from sklearn.utils.validation import check_is_fitted, validate_data

import rbmperf
from rbmperf.backends import TrainingState

from ._input import (
    InputRangeWarning,
    as_rows,
    chunk_rows,
    chunks,
    clipping_message,
    model_dtype,
    resolve_seed,
)
from ._pseudo_likelihood import log_conditionals

__all__ = ["RBMTransformer"]

# The verbose report's reconstruction error is measured on at most this many rows.
_VERBOSE_ROWS = 1000
# score_samples works on (rows, n_features, n_components) blocks of about this many values.
_SCORE_BLOCK = 2**21


class RBMTransformer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Binary RBM features, trained by rbmperf's backends (CD-1 with momentum).

    A drop-in for scikit-learn's :class:`~sklearn.neural_network.BernoulliRBM` in a
    ``Pipeline``: the parameters that mean the same have the same names, and the fitted
    attributes the same names and layout. What differs: training is CD-1 (not persistent CD)
    with the momentum rule of :func:`rbmperf.train_rbm`, on any rbmperf backend. Like
    BernoulliRBM's, its positive phase takes the data values as they are (see
    `sample_data`).

    Parameters
    ----------
    n_components : int, default 256
        Number of hidden units.
    learning_rate : float, default 0.1
        Step size of the momentum rule ``speed = momentum * speed + gradient;
        param += learning_rate * speed`` (the gradient is a mini-batch mean). With momentum
        the steady-state step is ``learning_rate / (1 - momentum)``: ``momentum=0`` gives
        BernoulliRBM's plain rule.
    batch_size : int, default 100
        Rows per mini-batch, taken in data order; the last one may be shorter.
    n_iter : int, default 10
        Epochs (passes over the training data) of ``fit``. ``partial_fit`` runs one.
    momentum : float, default 0.7
        In [0, 1). With ``learning_rate=0.1`` the steady-state step is 0.33. On the [0, 1]
        grey levels of scikit-learn's digits example (these defaults, the features fed to
        logistic regression, means over 5 seeds) 0.7 scored 0.966 and
        :func:`rbmperf.train_rbm`'s 0.9, a step of 1.0, 0.942.
    sample_data : bool, default False
        Whether the positive phase samples binary visible states from the data (``True``:
        rbmperf's and the blog's CD-1, :func:`rbmperf.train_rbm`'s default) or uses the
        data values themselves (``False``, as BernoulliRBM does). Hinton's "A practical
        guide to training restricted Boltzmann machines" (2010, sections 3.2–3.4)
        recommends the values: for grey-level data, sampling them throws information
        away. On the digits example with 100 components, logistic regression on the
        features scored 0.945 with the values and 0.929 with sampled states (means over
        5 seeds). For 0/1 data the two are the same model.
    backend : str, default "auto"
        The rbmperf backend that trains: see :func:`rbmperf.available_backends`.
        ``"auto"`` takes the fastest available here (:func:`rbmperf.backends.auto_backend`):
        ``binary`` where numba imports (it compiles on first use, cached on disk
        afterwards), else ``numpy``. The fitted attribute ``backend_`` names it.
    verbose : int, default 0
        Print each epoch's time and reconstruction error (on at most 1,000 rows).
    random_state : int, RandomState instance or None, default None
        Seeds the initial weights and the sampling. An int is rbmperf's seed itself: the
        same int gives the same model on a rerun, and ``RBMTransformer(random_state=7)``
        starts and samples like ``rbmperf.train_rbm(X, seed=7)`` with the same settings
        (``momentum=0.7, sample_data=False`` for the defaults): the very same model with the
        numpy backend, and with any backend when ``X`` fits in one chunk (numba keys its
        generator per ``run_epoch`` call). ``None`` or a ``RandomState`` draw the seed from
        numpy's global state or from that instance.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Weights (rbmperf's ``RBM.W``).
    intercept_hidden_ : ndarray of shape (n_components,)
        Hidden biases.
    intercept_visible_ : ndarray of shape (n_features,)
        Visible biases.
    n_features_in_ : int
        Number of features seen during ``fit``.
    backend_ : str
        The backend that trained (what ``backend="auto"`` resolved to).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when ``X`` had string column names (a DataFrame).

    Notes
    -----
    *Input.* Dense arrays, or sparse CSR / CSC matrices, which are densified one chunk of
    whole mini-batches (about 8 MiB) at a time, never whole; chunked and dense runs give
    identical models. ``X`` is never modified. float32 input gives a float32 model and
    float32 output, float64 stays float64, anything else (integers, booleans) is float64.
    Values outside [0, 1] are clipped into it everywhere (they are probabilities); ``fit``
    and ``partial_fit`` warn with :class:`~rbmperf.sklearn.InputRangeWarning` when they clip.
    NaN or infinite values, an empty matrix or the wrong number of features raise
    ``ValueError``.

    *Threads.* Backends keep buffers between calls: fit one estimator per process at a
    time (``GridSearchCV(n_jobs=...)`` uses processes and is fine).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from rbmperf.data import load_digits
    >>> from rbmperf.sklearn import RBMTransformer
    >>> X, y = load_digits()
    >>> model = make_pipeline(
    ...     RBMTransformer(n_components=64, n_iter=5, random_state=0),
    ...     LogisticRegression(max_iter=1000),
    ... ).fit(X[:1000], y[:1000])
    >>> bool(model.score(X[1000:], y[1000:]) > 0.75)
    True
    """

    def __init__(
        self,
        n_components: int = 256,
        *,
        learning_rate: float = 0.1,
        batch_size: int = 100,
        n_iter: int = 10,
        momentum: float = 0.7,
        sample_data: bool = False,
        backend: str = "auto",
        verbose: int = 0,
        random_state: object = None,
    ) -> None:
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.momentum = momentum
        self.sample_data = sample_data
        self.backend = backend
        self.verbose = verbose
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    @property
    def _n_features_out(self) -> int:
        return self.components_.shape[0]

    # -----------------------------------------------------------------------------------------
    # Training
    # -----------------------------------------------------------------------------------------

    def fit(self, X: object, y: object = None) -> RBMTransformer:
        """Train the RBM on `X` for ``n_iter`` epochs, starting afresh.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, values in [0, 1] (others are clipped into it).
        y : ignored

        Returns
        -------
        RBMTransformer
            The fitted estimator.
        """
        engine = self._check_params()
        data = self._validate(X, reset=True)
        self._initialise(data.shape[1], model_dtype(data.dtype))
        self._train(engine, data, self.n_iter)
        return self

    def partial_fit(self, X: object, y: object = None) -> RBMTransformer:
        """Train for one epoch over `X`, continuing from the current state.

        The parameters, their momentum speeds and the random stream carry over from the
        previous call, so ``partial_fit`` over consecutive pieces of the data (each a whole
        number of chunks of whole mini-batches) trains exactly like one epoch of ``fit``.
        The first call initialises the model as ``fit`` does.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        RBMTransformer
            The updated estimator.
        """
        engine = self._check_params()
        first_call = not hasattr(self, "components_")
        data = self._validate(X, reset=first_call)
        if first_call:
            self._initialise(data.shape[1], model_dtype(data.dtype))
        self._train(engine, data, 1)
        return self

    def _check_params(self) -> rbmperf.backends.Backend:
        check_scalar(self.n_components, "n_components", numbers.Integral, min_val=1)
        check_scalar(self.learning_rate, "learning_rate", numbers.Real, min_val=0.0)
        check_scalar(self.batch_size, "batch_size", numbers.Integral, min_val=1)
        check_scalar(self.n_iter, "n_iter", numbers.Integral, min_val=0)
        check_scalar(
            self.momentum,
            "momentum",
            numbers.Real,
            min_val=0.0,
            max_val=1.0,
            include_boundaries="left",
        )
        check_scalar(self.sample_data, "sample_data", (bool, np.bool_))
        return rbmperf.get_backend(self.backend)

    def _validate(self, X: object, *, reset: bool) -> object:
        data = validate_data(self, X, accept_sparse=("csr", "csc"), dtype="numeric", reset=reset)
        return as_rows(data)

    def _initialise(self, n_features: int, dtype: np.dtype) -> None:
        """Start as :func:`rbmperf.train_rbm` does: same weights, same sampling stream."""
        seed = resolve_seed(self.random_state)
        start = rbmperf.initial_rbm(n_features, self.n_components, dtype=dtype, seed=seed)
        self.components_ = start.W
        self.intercept_hidden_ = start.hidden_bias
        self.intercept_visible_ = start.visible_bias
        self._speeds = tuple(
            np.zeros_like(p) for p in (start.W, start.hidden_bias, start.visible_bias)
        )
        self._training_rng = np.random.default_rng([seed, 1])
        self._sampling_rng = np.random.default_rng([seed, 2])

    def _train(self, engine: rbmperf.backends.Backend, data: object, epochs: int) -> None:
        dtype = self.components_.dtype
        # The fitted attributes are the training state: the backend updates them in place.
        state = TrainingState(
            self.components_, self.intercept_hidden_, self.intercept_visible_, *self._speeds
        )
        sample_data = bool(self.sample_data)
        # Compiles for this setting (the data's values by default), so no epoch compiles.
        engine.prepare(dtype, sample_data=sample_data)
        self.backend_ = engine.name
        rows = chunk_rows(data.shape[1], dtype, multiple=self.batch_size)
        learning_rate, momentum = float(self.learning_rate), float(self.momentum)
        for epoch in range(epochs):
            began = time.perf_counter()
            n_clipped = 0
            first_block = None
            for _, block, clipped in chunks(data, rows, dtype, writeable=True):
                n_clipped += clipped
                if first_block is None:
                    first_block = block[:_VERBOSE_ROWS]
                engine.run_epoch(
                    state, block, self.batch_size, learning_rate, momentum, self._training_rng,
                    sample_data=sample_data,
                )  # fmt: skip
            if epoch == 0 and n_clipped:
                warnings.warn(
                    clipping_message(type(self).__name__, n_clipped), InputRangeWarning, 3
                )
            if self.verbose:
                error = self._rbm().reconstruction_error(first_block)
                print(
                    f"[{type(self).__name__}] Iteration {epoch + 1}, reconstruction error = "
                    f"{error:.5f}, time = {time.perf_counter() - began:.2f}s"
                )

    # -----------------------------------------------------------------------------------------
    # Using the model
    # -----------------------------------------------------------------------------------------

    def _rbm(self) -> rbmperf.RBM:
        return rbmperf.RBM(self.components_, self.intercept_hidden_, self.intercept_visible_)

    def _fitted_input(self, X: object) -> object:
        check_is_fitted(self)
        return self._validate(X, reset=False)

    def transform(self, X: object) -> np.ndarray:
        """Hidden-unit probabilities ``logistic(X @ components_.T + intercept_hidden_)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            In the model's dtype.
        """
        data = self._fitted_input(X)
        rbm = self._rbm()
        out = np.empty((data.shape[0], rbm.n_hidden), dtype=rbm.dtype)
        for where, block, _ in chunks(data, chunk_rows(data.shape[1], rbm.dtype), rbm.dtype):
            out[where] = rbm.hidden_probabilities(block)
        return out

    def gibbs(self, v: object) -> np.ndarray:
        """One Gibbs step from `v`: sample the hidden units, then the visible units.

        Each call continues the estimator's own random stream (seeded by
        ``random_state`` at ``fit``), so repeated calls give fresh samples.

        Parameters
        ----------
        v : {array-like, sparse matrix} of shape (n_samples, n_features)
            Visible values to start from.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            Sampled visible states, 0 or 1, in the model's dtype (BernoulliRBM returns
            booleans).
        """
        data = self._fitted_input(v)
        rbm = self._rbm()
        rng = self._sampling_rng
        out = np.empty(data.shape, dtype=rbm.dtype)
        for where, block, _ in chunks(data, chunk_rows(data.shape[1], rbm.dtype), rbm.dtype):
            hidden_p = rbm.hidden_probabilities(block)
            hidden = (hidden_p > rng.random(hidden_p.shape, dtype=rbm.dtype)).astype(rbm.dtype)
            visible_p = rbm.visible_probabilities(hidden)
            out[where] = visible_p > rng.random(visible_p.shape, dtype=rbm.dtype)
        return out

    def score_samples(self, X: object) -> np.ndarray:
        """Pseudo-likelihood of each row: ``sum_i log P(x_i | x_-i)`` over every feature.

        scikit-learn's BernoulliRBM estimates this sum from one randomly chosen feature per
        row (``n_features × log P(x_i | x_-i)``); this is the exact sum, that estimator's
        expected value. It is deterministic, but costs about ``n_features`` times a
        ``transform``. Computed in float64 in the log domain (see
        :func:`rbmperf.sklearn._pseudo_likelihood.log_conditionals`): no clipping of
        exponents, no overflow.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,), float64
            Log pseudo-likelihoods (≤ 0).
        """
        data = self._fitted_input(X)
        W = self.components_.astype(np.float64)
        hidden_bias = self.intercept_hidden_.astype(np.float64)
        visible_bias = self.intercept_visible_.astype(np.float64)
        rows = max(1, _SCORE_BLOCK // W.size)
        out = np.empty(data.shape[0], dtype=np.float64)
        for where, block, _ in chunks(data, rows, np.dtype(np.float64)):
            out[where] = log_conditionals(block, W, hidden_bias, visible_bias).sum(axis=1)
        return out
