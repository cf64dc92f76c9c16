"""The DBN estimator: the order of the training phases, and prediction through the network.

Settings live in :mod:`.settings`, the phases in :mod:`.pretraining` and :mod:`.backprop`,
the network in :mod:`.network` and files in :mod:`.persistence`; this class composes them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..model import RBM
from ..validation import check_data, check_labels
from .backprop import gradient_descent, prepare_gradient_descent
from .network import DeepNetwork
from .persistence import load_dbn, save_dbn
from .pretraining import pretrain_stack
from .settings import DBNSettings

__all__ = ["DBN"]


@dataclass(eq=False, repr=False)
class DBN(DBNSettings):
    """A deep belief net pre-trained greedily, then fine-tuned as a classifier.

    Parameters
    ----------
    layers : sequence of int, default (300, 300)
        Hidden units of each RBM, bottom first (the blog's two layers of 300).
    backend : str, default "auto"
        Backend that trains the RBMs (see :func:`rbmperf.available_backends`). ``"auto"``
        takes the fastest available here (``binary`` where numba imports, else ``numpy``);
        ``info["backend"]`` and the repr name it.
        Fine-tuning is plain numpy / BLAS whatever the backend.
    dtype : {"float64", "float32"}, default "float64"
        Precision of every parameter and of all computation.
    seed : int, default 0
        Seeds the RBMs (layer ``k`` uses ``seed + k``), the softmax initialisation and the
        order of mini-batches in the supervised phases.
    batch_size : int, default 100
    pretrain_epochs, softmax_epochs, finetune_epochs : int or None
        Epochs per phase. ``None`` (the default) means the blog's 30 / 10 / 10 scaled to the
        training-set size by :func:`default_epochs`.
    pretrain_learning_rate, softmax_learning_rate, finetune_learning_rate : float, default 0.1
    momentum : float, default 0.9
        Momentum of every phase, in [0, 1).

    Attributes
    ----------
    rbms : list of RBM
        The pre-trained RBMs (unchanged by fine-tuning).
    network : DeepNetwork or None
        The fine-tuned network; :attr:`weights`, :attr:`biases`, :attr:`output_weights` and
        :attr:`output_bias` are its arrays (``weights[k]`` has shape (n_hidden_k, n_inputs_k),
        the softmax layer (n_classes, n_top) and (n_classes,)).
    pretrained_network : DeepNetwork or None
        The DBN without fine-tuning: the RBMs under the softmax layer as it was before
        backprop (:attr:`pretrained_output_weights`, :attr:`pretrained_output_bias`).
    classes : ndarray
        The class labels, sorted; output unit ``c`` stands for ``classes[c]``.
    info : dict
        ``backend``: the backend that trained the RBMs (what ``"auto"`` picked). Settings
        and seconds per phase: ``pretrain_seconds`` (one entry per layer),
        ``softmax_seconds``, ``finetune_seconds``, ``total_seconds``, the epoch counts used,
        the seconds spent compiling apart from the phases (``pretrain_compile_seconds`` per
        layer, inside its phase's seconds; ``finetune_compile_seconds``, before the two
        supervised phases and outside theirs; 0 once compiled in this process),
        the reconstruction error of each RBM and the mean training cross-entropy per
        fine-tuning epoch.

    Examples
    --------
    >>> from rbmperf import DBN
    >>> from rbmperf.data import synthetic_mnist
    >>> X, y = synthetic_mnist(300)
    >>> model = DBN((32, 32), pretrain_epochs=2, softmax_epochs=2, finetune_epochs=2).fit(X, y)
    >>> model.predict(X[:5]).shape
    (5,)
    """

    rbms: list[RBM] = field(default_factory=list, init=False)
    network: DeepNetwork | None = field(default=None, init=False)
    pretrained_network: DeepNetwork | None = field(default=None, init=False)
    classes: np.ndarray | None = field(default=None, init=False)
    info: dict[str, Any] = field(default_factory=dict, init=False)

    def pretrain(self, X: object, *, progress: bool = False) -> DBN:
        """Greedily train the stack of RBMs on `X` (no labels needed); return `self`.

        `X` holds values in [0, 1]; `progress` shows a bar per layer. Sets :attr:`rbms` and
        the pre-training entries of :attr:`info`.
        """
        self._pretrain(check_data(X, dtype=self.dtype), progress)
        return self

    def _pretrain(self, data: np.ndarray, progress: bool) -> np.ndarray:
        backend = self.resolved_backend
        self.rbms, top, info = pretrain_stack(
            data,
            self.layers,
            backend=backend,
            epochs=self.epochs_for(len(data))["pretrain"],
            batch_size=self.batch_size,
            learning_rate=self.pretrain_learning_rate,
            momentum=self.momentum,
            seed=self.seed,
            progress=progress,
        )
        self.info.update(info, backend=backend)
        return top

    def fit(self, X: object, y: object, *, progress: bool = False) -> DBN:
        """Pre-train the RBMs, train the softmax layer alone, then fine-tune everything.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Training data, values in [0, 1].
        y : array_like of shape (n_samples,)
            Integer class labels (any integers; at least two classes).
        progress : bool, default False
            Show progress bars for every phase.

        Returns
        -------
        DBN
            `self`, fitted. ``info`` holds the seconds of each phase.
        """
        began = time.perf_counter()
        data = check_data(X, dtype=self.dtype)
        labels = check_labels(y, len(data))
        self.classes, targets = np.unique(labels, return_inverse=True)
        if len(self.classes) < 2:
            raise InputError(f"y must hold at least two classes; got only {self.classes[0]}")
        targets = targets.astype(np.intp)
        epochs = self.epochs_for(len(data))
        self.info = {"settings": self.settings()}
        top = self._pretrain(data, progress)
        # One random stream per use (softmax initialisation, softmax batches, backprop
        # batches), as before the split, so that the same seed gives the same model.
        rng = np.random.default_rng([self.seed, 2])
        self.network = DeepNetwork.from_rbms(self.rbms, len(self.classes), rng)

        def train(phase: str, inputs: np.ndarray, network: DeepNetwork, stream: int, label: str):
            phase_began = time.perf_counter()
            self.info[f"{phase}_loss"] = gradient_descent(
                inputs,
                targets,
                network,
                epochs=epochs[phase],
                batch_size=self.batch_size,
                learning_rate=getattr(self, f"{phase}_learning_rate"),
                momentum=self.momentum,
                rng=np.random.default_rng([self.seed, stream]),
                progress_label=label if progress else None,
            )
            self.info[f"{phase}_seconds"] = time.perf_counter() - phase_began
            self.info[f"{phase}_epochs"] = epochs[phase]

        self.info["finetune_compile_seconds"] = prepare_gradient_descent(data.dtype)
        train("softmax", top, self.network.softmax_layer(), 3, "softmax")
        self.pretrained_network = DeepNetwork.of_rbms(
            self.rbms, self.network.output_weights.copy(), self.network.output_bias.copy()
        )
        train("finetune", data, self.network, 4, "backprop")
        self.info["total_seconds"] = time.perf_counter() - began
        return self

    def _fitted_network(self, fine_tuned: bool) -> DeepNetwork:
        if self.network is None or self.classes is None:
            raise InputError("this DBN is not fitted yet: call fit(X, y) or DBN.load(path)")
        if fine_tuned:
            return self.network
        if self.pretrained_network is None:
            raise InputError("this DBN has no record of its softmax layer before fine-tuning")
        return self.pretrained_network

    def _check_input(self, X: object) -> np.ndarray:
        n_features = self._fitted_network(True).weights[0].shape[1]
        return check_data(X, dtype=self.dtype, n_features=n_features)

    def transform(self, X: object, *, fine_tuned: bool = True) -> np.ndarray:
        """Top-layer features of `X`, shape (n_samples, layers[-1]): the softmax layer's input.

        ``fine_tuned=False`` uses the pre-trained RBMs instead of the fine-tuned layers.
        """
        data = self._check_input(X)
        return self._fitted_network(fine_tuned).features(data)

    def predict_proba(self, X: object, *, fine_tuned: bool = True) -> np.ndarray:
        """Class probabilities for `X`, shape (n_samples, n_classes); rows sum to 1.

        Column ``c`` is the probability of ``classes[c]``. ``fine_tuned=False`` gives the DBN
        without fine-tuning: the pre-trained RBMs under the softmax layer before backprop.
        """
        data = self._check_input(X)
        return self._fitted_network(fine_tuned).probabilities(data)

    def predict(self, X: object, *, fine_tuned: bool = True) -> np.ndarray:
        """Most probable class of each row of `X` (see :meth:`predict_proba`)."""
        return self.classes[np.argmax(self.predict_proba(X, fine_tuned=fine_tuned), axis=1)]

    def score(self, X: object, y: object, *, fine_tuned: bool = True) -> float:
        """Accuracy of :meth:`predict` on `X` against labels `y`: the fraction right."""
        data = self._check_input(X)
        labels = check_labels(y, len(data))
        return float(np.mean(self.predict(data, fine_tuned=fine_tuned) == labels))

    def save(self, path: str | Path) -> Path:
        """Write the fitted model to an ``.npz`` file; see :mod:`rbmperf.dbn.persistence`."""
        self._fitted_network(True)
        return save_dbn(self, path)

    @classmethod
    def load(cls, path: str | Path) -> DBN:
        """Read a model written by :meth:`save`; raises ValueError naming any problem."""
        return load_dbn(path, cls)

    # The fine-tuned network's arrays, and the pre-trained softmax layer's, under the
    # attribute names they had before the network became an object of its own.
    weights = property(lambda self: self.network.weights if self.network else [])
    biases = property(lambda self: self.network.biases if self.network else [])
    output_weights = property(lambda self: getattr(self.network, "output_weights", None))
    output_bias = property(lambda self: getattr(self.network, "output_bias", None))
    pretrained_output_weights = property(
        lambda self: getattr(self.pretrained_network, "output_weights", None)
    )
    pretrained_output_bias = property(
        lambda self: getattr(self.pretrained_network, "output_bias", None)
    )
