"""``DBNClassifier``: rbmperf's deep belief net as a scikit-learn classifier."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_scalar
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

import rbmperf

from ..errors import InputError
from ._input import InputRangeWarning, clipping_message, model_dtype, resolve_seed

__all__ = ["DBNClassifier"]


class DBNClassifier(ClassifierMixin, BaseEstimator):
    """A deep belief net classifier: RBMs pre-trained greedily, then fine-tuned.

    A thin wrapper over :class:`rbmperf.DBN` (the pipeline of ``rbmperf train``): the RBMs
    are trained by an rbmperf backend, a softmax layer on their top features, then
    backprop through every layer. Labels may be of any type (strings too).

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default (300, 300)
        Hidden units of each RBM, bottom first.
    pretrain_epochs, softmax_epochs, finetune_epochs : int or None, default None
        Epochs of each phase. ``None`` means the blog's 30 / 10 / 10 scaled to the
        training-set size (300 / 100 / 100 on the digits): see
        :func:`rbmperf.dbn.default_epochs`.
    pretrain_learning_rate, softmax_learning_rate, finetune_learning_rate : float, default 0.1
    momentum : float, default 0.9
        Momentum of every phase, in [0, 1).
    batch_size : int, default 100
    backend : str, default "auto"
        The rbmperf backend that trains the RBMs; ``"auto"`` takes the fastest available
        here (``binary`` where numba imports, else ``numpy``), named by the fitted
        attribute ``backend_``. Fine-tuning is numpy (with numba's sparse data products
        where numba imports) whatever the backend.
    verbose : int, default 0
        Show a progress bar for every phase.
    random_state : int, RandomState instance or None, default None
        An int is :class:`rbmperf.DBN`'s ``seed``, so ``random_state=0`` reproduces
        ``rbmperf train``; ``None`` or a ``RandomState`` draw a seed.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        When ``X`` had string column names.
    dbn_ : rbmperf.DBN
        The fitted network; ``dbn_.info`` has the seconds and epochs of every phase.
    backend_ : str
        The backend that trained the RBMs (what ``backend="auto"`` resolved to).

    Notes
    -----
    Input as for :class:`~rbmperf.sklearn.RBMTransformer`: float32 gives a float32 network,
    anything else float64; values outside [0, 1] are clipped into it (``fit`` warns with
    :class:`~rbmperf.sklearn.InputRangeWarning`); ``X`` is never modified. Dense input only.

    Examples
    --------
    >>> from rbmperf.data import load_digits
    >>> from rbmperf.sklearn import DBNClassifier
    >>> X, y = load_digits()
    >>> model = DBNClassifier((64,), pretrain_epochs=5, softmax_epochs=20,
    ...                       finetune_epochs=20, random_state=0).fit(X[:1000], y[:1000])
    >>> bool(model.score(X[1000:], y[1000:]) > 0.8)
    True
    """

    def __init__(
        self,
        hidden_layer_sizes: int | Sequence[int] = (300, 300),
        *,
        pretrain_epochs: int | None = None,
        softmax_epochs: int | None = None,
        finetune_epochs: int | None = None,
        pretrain_learning_rate: float = 0.1,
        softmax_learning_rate: float = 0.1,
        finetune_learning_rate: float = 0.1,
        momentum: float = 0.9,
        batch_size: int = 100,
        backend: str = "auto",
        verbose: int = 0,
        random_state: object = None,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.pretrain_epochs = pretrain_epochs
        self.softmax_epochs = softmax_epochs
        self.finetune_epochs = finetune_epochs
        self.pretrain_learning_rate = pretrain_learning_rate
        self.softmax_learning_rate = softmax_learning_rate
        self.finetune_learning_rate = finetune_learning_rate
        self.momentum = momentum
        self.batch_size = batch_size
        self.backend = backend
        self.verbose = verbose
        self.random_state = random_state

    def _layers(self) -> tuple[int, ...]:
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = (sizes,)
        if not isinstance(sizes, Sequence) or len(sizes) == 0:
            raise InputError(
                "hidden_layer_sizes must be a positive int or a non-empty sequence of them; "
                f"got {self.hidden_layer_sizes!r}"
            )
        for size in sizes:
            check_scalar(size, "each of hidden_layer_sizes", numbers.Integral, min_val=1)
        return tuple(int(size) for size in sizes)

    def _check_params(self) -> tuple[int, ...]:
        layers = self._layers()
        for name in ("pretrain_epochs", "softmax_epochs", "finetune_epochs"):
            if getattr(self, name) is not None:
                check_scalar(getattr(self, name), name, numbers.Integral, min_val=0)
        for name in ("pretrain_learning_rate", "softmax_learning_rate", "finetune_learning_rate"):
            check_scalar(getattr(self, name), name, numbers.Real, min_val=0.0)
        check_scalar(
            self.momentum,
            "momentum",
            numbers.Real,
            min_val=0.0,
            max_val=1.0,
            include_boundaries="left",
        )
        check_scalar(self.batch_size, "batch_size", numbers.Integral, min_val=1)
        rbmperf.get_backend(self.backend)
        return layers

    def fit(self, X: object, y: object) -> DBNClassifier:
        """Pre-train, train the softmax layer, then fine-tune on `X` and labels `y`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Values in [0, 1] (others are clipped into it).
        y : array-like of shape (n_samples,)
            Class labels of any type; at least two classes.

        Returns
        -------
        DBNClassifier
            The fitted estimator.
        """
        layers = self._check_params()
        X, y = validate_data(self, X, y, dtype="numeric")
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise InputError(
                f"y has only one class ({self.classes_[0]!r}); DBNClassifier needs at "
                "least 2 classes"
            )
        data, n_clipped = _unit_interval(X, model_dtype(X.dtype))
        if n_clipped:
            warnings.warn(clipping_message(type(self).__name__, n_clipped), InputRangeWarning, 2)
        self.dbn_ = rbmperf.DBN(
            layers,
            backend=self.backend,
            dtype=data.dtype,
            seed=resolve_seed(self.random_state),
            batch_size=self.batch_size,
            pretrain_epochs=self.pretrain_epochs,
            softmax_epochs=self.softmax_epochs,
            finetune_epochs=self.finetune_epochs,
            pretrain_learning_rate=float(self.pretrain_learning_rate),
            softmax_learning_rate=float(self.softmax_learning_rate),
            finetune_learning_rate=float(self.finetune_learning_rate),
            momentum=float(self.momentum),
        ).fit(data, codes, progress=bool(self.verbose))
        self.backend_ = self.dbn_.info["backend"]
        return self

    def predict_proba(self, X: object) -> np.ndarray:
        """Class probabilities; column ``c`` is the probability of ``classes_[c]``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Rows sum to 1; in the network's dtype.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype="numeric", reset=False)
        data, _ = _unit_interval(X, self.dbn_.dtype)
        return self.dbn_.predict_proba(data)

    def predict(self, X: object) -> np.ndarray:
        """The most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def _unit_interval(X: np.ndarray, dtype: np.dtype) -> tuple[np.ndarray, int]:
    """`X` in `dtype`, C-contiguous, clipped into [0, 1] (a copy if anything changes)."""
    data = np.ascontiguousarray(X, dtype=dtype)
    outside = (data < 0) | (data > 1)
    n_clipped = int(np.count_nonzero(outside))
    if n_clipped:
        data = np.clip(data, 0, 1)
    return data, n_clipped
