"""Deep belief nets: greedy RBM pre-training, then a fine-tuned deep network with softmax.

The pipeline follows the seed (Hinton's recipe, as in his Coursera course):

1. **Greedy pre-training.** RBM 1 is trained with CD-1 on the data; RBM ``k`` is trained on
   the hidden probabilities of RBM ``k − 1``. Any registered backend trains the RBMs (this is
   the part the backends are benchmarked on).
2. **A deep network from the RBMs.** Each RBM becomes a logistic layer
   ``h = logistic(v Wᵀ + b_hidden)``; its reverse (visible) biases are dropped because the
   network only runs forwards. A softmax layer maps the top features to the classes.
3. **Softmax first.** With the RBM layers frozen, the softmax layer alone is trained on the
   top features (multinomial logistic regression): the "DBN without fine-tuning".
4. **Backprop.** Every layer is then trained with momentum mini-batch gradient descent on the
   mean cross-entropy, using the same momentum rule as pre-training:
   ``speed = momentum * speed - gradient; param += learning_rate * speed``.

Epoch counts. The seed used 30 pre-training epochs per layer, 10 softmax epochs and 10
backprop epochs on 42,000 MNIST images with mini-batches of 100, i.e. 420 updates per epoch.
A small data set gets far fewer updates per epoch (the 1,257 training digits of the
scikit-learn set give 13), so by default each phase gets the seed's epoch count scaled by
``420 / updates_per_epoch``, never less than the seed's count and capped at 10 times it.
On 42,000 samples or more that is exactly the seed's configuration; on the digits set it is
300 / 100 / 100. See :func:`default_epochs`. Every count can be set explicitly.

Computation stays in the model's dtype (float32 models never touch float64 arrays), the
fine-tuning loop writes into buffers allocated once per call, and the softmax is shifted by
its row maximum, so neither exp nor log can overflow.
"""

from __future__ import annotations

import json
import math
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .activations import logistic
from .model import RBM
from .training import train_rbm
from .validation import check_data, check_dtype, check_float, check_int

__all__ = ["DBN", "default_epochs"]

# The seed's configuration: 42,000 samples, batches of 100 → 420 updates per epoch.
SEED_SAMPLES = 42_000
SEED_BATCH_SIZE = 100
SEED_PRETRAIN_EPOCHS = 30
SEED_SOFTMAX_EPOCHS = 10
SEED_FINETUNE_EPOCHS = 10
# Small data sets get at most this many times the seed's epochs.
EPOCH_CAP_MULTIPLE = 10

_FORMAT = "rbmperf.DBN"
_FORMAT_VERSION = 1


def default_epochs(seed_epochs: int, n_samples: int, batch_size: int = SEED_BATCH_SIZE) -> int:
    """Scale one of the seed's epoch counts to a data set of `n_samples` rows.

    The count is chosen so the number of mini-batch updates matches the seed's
    (``seed_epochs × 420``), but it is never below `seed_epochs` and never above
    ``10 × seed_epochs``.

    Parameters
    ----------
    seed_epochs : int
        The seed's count for this phase (30 pre-training, 10 softmax, 10 backprop).
    n_samples : int
        Training rows.
    batch_size : int, default 100

    Returns
    -------
    int

    Examples
    --------
    >>> default_epochs(30, 42_000), default_epochs(30, 1_257), default_epochs(10, 5_000)
    (30, 300, 84)
    """
    seed_updates = seed_epochs * math.ceil(SEED_SAMPLES / SEED_BATCH_SIZE)
    updates_per_epoch = math.ceil(n_samples / batch_size)
    scaled = round(seed_updates / updates_per_epoch)
    return int(min(max(scaled, seed_epochs), EPOCH_CAP_MULTIPLE * seed_epochs))


def _check_labels(y: object, n_samples: int) -> np.ndarray:
    labels = np.asarray(y)
    if labels.ndim != 1:
        raise ValueError(f"y must be 1-D (one label per sample); got shape {labels.shape}")
    if len(labels) != n_samples:
        raise ValueError(f"y has {len(labels):,} labels but X has {n_samples:,} samples")
    if not np.issubdtype(labels.dtype, np.integer):
        if np.issubdtype(labels.dtype, np.floating) and np.all(labels == np.round(labels)):
            labels = labels.astype(np.int64)
        else:
            raise TypeError(f"y must hold integer class labels; got dtype {labels.dtype}")
    return labels.astype(np.int64, copy=False)


class DBN:
    """A deep belief net pre-trained greedily, then fine-tuned as a classifier.

    Parameters
    ----------
    layers : sequence of int, default (300, 300)
        Hidden units of each RBM, bottom first (the seed's two layers of 300).
    backend : str, default "numpy"
        Backend that trains the RBMs (see :func:`rbmperf.available_backends`).
        Fine-tuning is plain numpy / BLAS whatever the backend.
    dtype : {"float64", "float32"}, default "float64"
        Precision of every parameter and of all computation.
    seed : int, default 0
        Seeds the RBMs (layer ``k`` uses ``seed + k``), the softmax initialisation and the
        order of mini-batches in the supervised phases.
    batch_size : int, default 100
    pretrain_epochs, softmax_epochs, finetune_epochs : int or None
        Epochs per phase. ``None`` (the default) means the seed's 30 / 10 / 10 scaled to the
        training-set size by :func:`default_epochs`.
    pretrain_learning_rate : float, default 0.1
    softmax_learning_rate : float, default 0.1
    finetune_learning_rate : float, default 0.1
    momentum : float, default 0.9
        Momentum of every phase, in [0, 1).

    Attributes
    ----------
    rbms : list of RBM
        The pre-trained RBMs (unchanged by fine-tuning).
    weights, biases : list of ndarray
        The deep network's hidden layers; ``weights[k]`` has shape (n_hidden_k, n_inputs_k).
    output_weights, output_bias : ndarray
        The softmax layer, (n_classes, n_top) and (n_classes,).
    classes : ndarray
        The class labels, sorted; output unit ``c`` stands for ``classes[c]``.
    info : dict
        Settings and seconds per phase: ``pretrain_seconds`` (one entry per layer),
        ``softmax_seconds``, ``finetune_seconds``, ``total_seconds``, the epoch counts used,
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

    def __init__(
        self,
        layers: Sequence[int] = (300, 300),
        *,
        backend: str = "numpy",
        dtype: object = "float64",
        seed: int = 0,
        batch_size: int = 100,
        pretrain_epochs: int | None = None,
        softmax_epochs: int | None = None,
        finetune_epochs: int | None = None,
        pretrain_learning_rate: float = 0.1,
        softmax_learning_rate: float = 0.1,
        finetune_learning_rate: float = 0.1,
        momentum: float = 0.9,
    ) -> None:
        if isinstance(layers, (int, np.integer)) or not isinstance(layers, Sequence):
            raise TypeError(f"layers must be a sequence of ints; got {layers!r}")
        if len(layers) == 0:
            raise ValueError("layers must name at least one hidden layer")
        self.layers = tuple(check_int(n, "each layer size", minimum=1) for n in layers)
        self.backend = str(backend)
        self.dtype = check_dtype(dtype)
        self.seed = check_int(seed, "seed", minimum=0)
        self.batch_size = check_int(batch_size, "batch_size", minimum=1)
        for name, value in (
            ("pretrain_epochs", pretrain_epochs),
            ("softmax_epochs", softmax_epochs),
            ("finetune_epochs", finetune_epochs),
        ):
            if value is not None:
                check_int(value, name, minimum=0)
        self.pretrain_epochs = pretrain_epochs
        self.softmax_epochs = softmax_epochs
        self.finetune_epochs = finetune_epochs
        self.pretrain_learning_rate = check_float(
            pretrain_learning_rate, "pretrain_learning_rate", minimum=0.0
        )
        self.softmax_learning_rate = check_float(
            softmax_learning_rate, "softmax_learning_rate", minimum=0.0
        )
        self.finetune_learning_rate = check_float(
            finetune_learning_rate, "finetune_learning_rate", minimum=0.0
        )
        self.momentum = check_float(momentum, "momentum", minimum=0.0)
        if self.momentum >= 1.0:
            raise ValueError(f"momentum must be < 1; got {self.momentum}")

        self.rbms: list[RBM] = []
        self.weights: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []
        self.output_weights: np.ndarray | None = None
        self.output_bias: np.ndarray | None = None
        # The softmax layer as it was before backprop: with `rbms`, the un-fine-tuned model.
        self.pretrained_output_weights: np.ndarray | None = None
        self.pretrained_output_bias: np.ndarray | None = None
        self.classes: np.ndarray | None = None
        self.info: dict[str, Any] = {}

    # -----------------------------------------------------------------------------------------
    # Settings
    # -----------------------------------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        """The constructor arguments, as plain Python values (saved with the model)."""
        return {
            "layers": list(self.layers),
            "backend": self.backend,
            "dtype": self.dtype.name,
            "seed": self.seed,
            "batch_size": self.batch_size,
            "pretrain_epochs": self.pretrain_epochs,
            "softmax_epochs": self.softmax_epochs,
            "finetune_epochs": self.finetune_epochs,
            "pretrain_learning_rate": self.pretrain_learning_rate,
            "softmax_learning_rate": self.softmax_learning_rate,
            "finetune_learning_rate": self.finetune_learning_rate,
            "momentum": self.momentum,
        }

    def epochs_for(self, n_samples: int) -> dict[str, int]:
        """Epochs each phase will run on `n_samples` rows (explicit settings win)."""

        def pick(value: int | None, seed_epochs: int) -> int:
            if value is not None:
                return value
            return default_epochs(seed_epochs, n_samples, self.batch_size)

        return {
            "pretrain": pick(self.pretrain_epochs, SEED_PRETRAIN_EPOCHS),
            "softmax": pick(self.softmax_epochs, SEED_SOFTMAX_EPOCHS),
            "finetune": pick(self.finetune_epochs, SEED_FINETUNE_EPOCHS),
        }

    def __repr__(self) -> str:
        return (
            f"DBN(layers={self.layers}, backend={self.backend!r}, dtype={self.dtype.name!r}, "
            f"seed={self.seed})"
        )

    # -----------------------------------------------------------------------------------------
    # Training
    # -----------------------------------------------------------------------------------------

    def pretrain(self, X: object, *, progress: bool = False) -> DBN:
        """Greedily train the stack of RBMs on `X` (no labels needed).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Values in [0, 1].
        progress : bool, default False
            Show a progress bar per layer (epoch time and reconstruction error).

        Returns
        -------
        DBN
            `self`, with :attr:`rbms` set and the pre-training entries of :attr:`info`.
        """
        self._pretrain(check_data(X, dtype=self.dtype), progress)
        return self

    def _pretrain(self, data: np.ndarray, progress: bool) -> np.ndarray:
        """Train the RBMs on trusted `data`; return the top layer's hidden probabilities."""
        epochs = self.epochs_for(len(data))["pretrain"]
        self.rbms = []
        seconds: list[float] = []
        errors: list[float] = []
        layer_input = data
        for index, n_hidden in enumerate(self.layers):
            began = time.perf_counter()
            rbm = train_rbm(
                layer_input,
                n_hidden,
                backend=self.backend,
                epochs=epochs,
                batch_size=self.batch_size,
                learning_rate=self.pretrain_learning_rate,
                momentum=self.momentum,
                dtype=self.dtype,
                seed=self.seed + index,
                progress=progress,
            )
            # The next layer learns from this layer's hidden probabilities.
            next_input = rbm.hidden_probabilities(layer_input)
            seconds.append(time.perf_counter() - began)
            # Reconstruction error on at most 2,000 rows: a check, not a measurement.
            errors.append(rbm.reconstruction_error(layer_input[:2000]))
            self.rbms.append(rbm)
            layer_input = next_input
        self.info.update(
            {
                "n_samples": len(data),
                "pretrain_epochs": epochs,
                "pretrain_seconds": seconds,
                "pretrain_compile_seconds": [rbm.info["prepare_seconds"] for rbm in self.rbms],
                "reconstruction_errors": errors,
            }
        )
        return layer_input

    def fit(self, X: object, y: object, *, progress: bool = False) -> DBN:
        """Pre-train the RBMs, train the softmax layer, then fine-tune everything.

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
        labels = _check_labels(y, len(data))
        self.classes, targets = np.unique(labels, return_inverse=True)
        if len(self.classes) < 2:
            raise ValueError(f"y must hold at least two classes; got only {self.classes[0]}")
        targets = targets.astype(np.intp)
        epochs = self.epochs_for(len(data))
        self.info = {"settings": self.settings()}

        top = self._pretrain(data, progress)

        # The deep network starts as copies of the RBMs' forward weights and hidden biases.
        self.weights = [rbm.W.copy() for rbm in self.rbms]
        self.biases = [rbm.hidden_bias.copy() for rbm in self.rbms]
        rng = np.random.default_rng([self.seed, 2])
        n_classes = len(self.classes)
        self.output_weights = (0.01 * rng.standard_normal((n_classes, self.layers[-1]))).astype(
            self.dtype
        )
        self.output_bias = np.zeros(n_classes, dtype=self.dtype)

        phase = time.perf_counter()
        softmax_loss = _gradient_descent(
            top,
            targets,
            [],
            [],
            self.output_weights,
            self.output_bias,
            epochs=epochs["softmax"],
            batch_size=self.batch_size,
            learning_rate=self.softmax_learning_rate,
            momentum=self.momentum,
            rng=np.random.default_rng([self.seed, 3]),
            label="softmax" if progress else None,
        )
        self.info["softmax_seconds"] = time.perf_counter() - phase
        self.pretrained_output_weights = self.output_weights.copy()
        self.pretrained_output_bias = self.output_bias.copy()

        phase = time.perf_counter()
        finetune_loss = _gradient_descent(
            data,
            targets,
            self.weights,
            self.biases,
            self.output_weights,
            self.output_bias,
            epochs=epochs["finetune"],
            batch_size=self.batch_size,
            learning_rate=self.finetune_learning_rate,
            momentum=self.momentum,
            rng=np.random.default_rng([self.seed, 4]),
            label="backprop" if progress else None,
        )
        self.info["finetune_seconds"] = time.perf_counter() - phase
        self.info.update(
            {
                "softmax_epochs": epochs["softmax"],
                "finetune_epochs": epochs["finetune"],
                "softmax_loss": softmax_loss,
                "finetune_loss": finetune_loss,
                "total_seconds": time.perf_counter() - began,
            }
        )
        return self

    # -----------------------------------------------------------------------------------------
    # Prediction
    # -----------------------------------------------------------------------------------------

    def _require_fitted(self) -> None:
        if self.output_weights is None or self.classes is None:
            raise ValueError("this DBN is not fitted yet: call fit(X, y) or DBN.load(path)")

    def _check_input(self, X: object) -> np.ndarray:
        self._require_fitted()
        return check_data(X, dtype=self.dtype, n_features=self.weights[0].shape[1])

    def transform(self, X: object, *, fine_tuned: bool = True) -> np.ndarray:
        """Top-layer features of `X` (the input to the softmax layer).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        fine_tuned : bool, default True
            Use the fine-tuned network; ``False`` uses the pre-trained RBMs.

        Returns
        -------
        ndarray of shape (n_samples, layers[-1])
        """
        activations = self._check_input(X)
        if fine_tuned:
            for weights, bias in zip(self.weights, self.biases, strict=True):
                activations = logistic(activations @ weights.T + bias)
            return activations
        for rbm in self.rbms:
            activations = rbm.hidden_probabilities(activations)
        return activations

    def predict_proba(self, X: object, *, fine_tuned: bool = True) -> np.ndarray:
        """Class probabilities for `X`.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        fine_tuned : bool, default True
            ``False`` gives the DBN without fine-tuning: the pre-trained RBMs with the softmax
            layer as it was before backprop.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Rows sum to 1; column ``c`` is the probability of ``classes[c]``.
        """
        top = self.transform(X, fine_tuned=fine_tuned)
        if fine_tuned:
            weights, bias = self.output_weights, self.output_bias
        else:
            if self.pretrained_output_weights is None:
                raise ValueError("this DBN has no record of its softmax layer before fine-tuning")
            weights, bias = self.pretrained_output_weights, self.pretrained_output_bias
        scores = top @ weights.T + bias
        return _softmax_inplace(scores)

    def predict(self, X: object, *, fine_tuned: bool = True) -> np.ndarray:
        """Most probable class of each row of `X` (see :meth:`predict_proba`)."""
        return self.classes[np.argmax(self.predict_proba(X, fine_tuned=fine_tuned), axis=1)]

    def score(self, X: object, y: object, *, fine_tuned: bool = True) -> float:
        """Accuracy of :meth:`predict` on `X` against labels `y`.

        Returns
        -------
        float
            Fraction of rows classified correctly.
        """
        data = self._check_input(X)
        labels = _check_labels(y, len(data))
        return float(np.mean(self.predict(data, fine_tuned=fine_tuned) == labels))

    # -----------------------------------------------------------------------------------------
    # Saving
    # -----------------------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the fitted model to an ``.npz`` file (numpy's zip of arrays).

        The file holds every RBM (weights and both biases), the fine-tuned network, the
        softmax layer before and after backprop, the class labels, and a JSON metadata record
        (format and version, layer sizes, dtype, backend, seed, training settings and
        ``info``). Loading it needs no pickle.

        Returns
        -------
        Path
            The path written (``.npz`` is appended if missing, as numpy does).
        """
        self._require_fitted()
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        arrays: dict[str, np.ndarray] = {
            "classes": self.classes,
            "output_weights": self.output_weights,
            "output_bias": self.output_bias,
            "pretrained_output_weights": self.pretrained_output_weights,
            "pretrained_output_bias": self.pretrained_output_bias,
        }
        for index, rbm in enumerate(self.rbms):
            arrays[f"rbm{index}_W"] = rbm.W
            arrays[f"rbm{index}_hidden_bias"] = rbm.hidden_bias
            arrays[f"rbm{index}_visible_bias"] = rbm.visible_bias
            arrays[f"layer{index}_weights"] = self.weights[index]
            arrays[f"layer{index}_bias"] = self.biases[index]
        metadata = {
            "format": _FORMAT,
            "version": _FORMAT_VERSION,
            "settings": self.settings(),
            "n_features": int(self.weights[0].shape[1]),
            "info": _jsonable(self.info),
        }
        arrays["metadata"] = np.array(json.dumps(metadata))
        np.savez(path, **arrays)
        return path

    @classmethod
    def load(cls, path: str | Path) -> DBN:
        """Read a model written by :meth:`save`.

        Raises
        ------
        ValueError
            If the file is missing, not an ``.npz`` file, not an rbmperf DBN, of an unknown
            format version, or its arrays are missing or inconsistent.
        """
        path = Path(path)
        name = str(path)
        if not path.is_file():
            raise ValueError(f"model file {name!r} does not exist")
        try:
            with np.load(path, allow_pickle=False) as archive:
                arrays = {key: archive[key] for key in archive.files}
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
            raise ValueError(f"model file {name!r} is not a readable .npz file ({error})") from None
        if "metadata" not in arrays:
            raise ValueError(f"model file {name!r} is not an rbmperf DBN (no metadata record)")
        try:
            metadata = json.loads(str(arrays["metadata"]))
        except json.JSONDecodeError:
            raise ValueError(f"model file {name!r} has a corrupt metadata record") from None
        if not isinstance(metadata, dict) or metadata.get("format") != _FORMAT:
            raise ValueError(f"model file {name!r} is not an rbmperf DBN (format mismatch)")
        if metadata.get("version") != _FORMAT_VERSION:
            raise ValueError(
                f"model file {name!r} has format version {metadata.get('version')!r}; "
                f"this rbmperf reads version {_FORMAT_VERSION}"
            )
        if not isinstance(metadata.get("settings"), dict):
            raise ValueError(f"model file {name!r} has no training settings in its metadata")
        try:
            model = cls(**metadata["settings"])
            layers = model.layers
            model.rbms = [
                RBM(
                    arrays[f"rbm{k}_W"],
                    arrays[f"rbm{k}_hidden_bias"],
                    arrays[f"rbm{k}_visible_bias"],
                )
                for k in range(len(layers))
            ]
            model.weights = [arrays[f"layer{k}_weights"] for k in range(len(layers))]
            model.biases = [arrays[f"layer{k}_bias"] for k in range(len(layers))]
            model.output_weights = arrays["output_weights"]
            model.output_bias = arrays["output_bias"]
            model.pretrained_output_weights = arrays["pretrained_output_weights"]
            model.pretrained_output_bias = arrays["pretrained_output_bias"]
            model.classes = arrays["classes"]
        except KeyError as error:
            raise ValueError(f"model file {name!r} lacks the array {error.args[0]!r}") from None
        except (TypeError, ValueError) as error:
            raise ValueError(f"model file {name!r} has inconsistent contents: {error}") from None
        model._check_consistency(name)
        model.info = metadata.get("info", {})
        return model

    def _check_consistency(self, name: str) -> None:
        n_inputs = self.rbms[0].n_visible
        for k, (rbm, weights, bias) in enumerate(
            zip(self.rbms, self.weights, self.biases, strict=True)
        ):
            expected = (self.layers[k], n_inputs)
            if rbm.W.shape != expected or weights.shape != expected or bias.shape != expected[:1]:
                raise ValueError(
                    f"model file {name!r}: layer {k} has shape {weights.shape}, expected {expected}"
                )
            if weights.dtype != self.dtype or rbm.W.dtype != self.dtype:
                raise ValueError(
                    f"model file {name!r}: layer {k} is {weights.dtype}, expected {self.dtype}"
                )
            n_inputs = self.layers[k]
        n_classes = len(self.classes)
        for label, array in (
            ("output_weights", self.output_weights),
            ("pretrained_output_weights", self.pretrained_output_weights),
        ):
            if array.shape != (n_classes, n_inputs):
                raise ValueError(
                    f"model file {name!r}: {label} has shape {array.shape}, expected "
                    f"{(n_classes, n_inputs)}"
                )


# ---------------------------------------------------------------------------------------------
# The supervised phases
# ---------------------------------------------------------------------------------------------


def _softmax_inplace(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax written over `scores`; shifted by the row maximum (no overflow)."""
    scores -= scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1, keepdims=True)
    return scores


def _gradient_descent(
    X: np.ndarray,
    targets: np.ndarray,
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    output_weights: np.ndarray,
    output_bias: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    momentum: float,
    rng: np.random.Generator,
    label: str | None,
) -> list[float]:
    """Train a logistic-hidden, softmax-output network in place; return loss per epoch.

    `weights` / `biases` are the hidden layers (possibly none: then this is the softmax
    phase on precomputed features). Each epoch visits the rows in a fresh random order.
    Gradients are of the mean cross-entropy over a mini-batch; every array the loop touches
    is allocated once, before the first epoch, in the parameters' dtype.
    """
    n_samples = len(X)
    dtype = output_weights.dtype
    batch_size = min(batch_size, n_samples)
    params = [*weights, *biases, output_weights, output_bias]
    speeds = [np.zeros_like(p) for p in params]
    grads = [np.empty_like(p) for p in params]
    n_layers = len(weights)
    grad_w = grads[:n_layers]
    grad_b = grads[n_layers : 2 * n_layers]
    grad_out_w, grad_out_b = grads[-2], grads[-1]

    # Per-batch buffers: the input rows, each layer's activations and back-propagated errors.
    batch_input = np.empty((batch_size, X.shape[1]), dtype=dtype)
    activations = [np.empty((batch_size, w.shape[0]), dtype=dtype) for w in weights]
    errors = [np.empty((batch_size, w.shape[0]), dtype=dtype) for w in weights]
    slopes = [np.empty((batch_size, w.shape[0]), dtype=dtype) for w in weights]
    scores = np.empty((batch_size, output_weights.shape[0]), dtype=dtype)
    batch_targets = np.empty(batch_size, dtype=np.intp)
    rows = np.arange(batch_size)

    bar = None
    if label is not None and epochs:
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs, desc=label, unit="epoch", leave=True)

    losses: list[float] = []
    for _ in range(epochs):
        began = time.perf_counter()
        order = rng.permutation(n_samples)
        total_loss = 0.0
        for start in range(0, n_samples, batch_size):
            index = order[start : start + batch_size]
            size = len(index)
            inputs = batch_input[:size]
            np.take(X, index, axis=0, out=inputs)
            np.take(targets, index, out=batch_targets[:size])
            hit = (rows[:size], batch_targets[:size])

            # Forward.
            layer_in = inputs
            for k in range(n_layers):
                out = activations[k][:size]
                np.matmul(layer_in, weights[k].T, out=out)
                out += biases[k]
                logistic(out, out=out)
                layer_in = out
            top = layer_in
            probabilities = scores[:size]
            np.matmul(top, output_weights.T, out=probabilities)
            probabilities += output_bias
            _softmax_inplace(probabilities)
            # Cross-entropy from the (already normalised) probabilities; the floor keeps
            # log finite when a probability underflows to 0.
            total_loss -= float(np.log(np.maximum(probabilities[hit], 1e-30)).sum())

            # Backward: delta of the softmax + cross-entropy is (p - onehot) / size.
            delta = probabilities
            delta[hit] -= 1.0
            delta *= dtype.type(1.0 / size)
            np.matmul(delta.T, top, out=grad_out_w)
            np.sum(delta, axis=0, out=grad_out_b)
            upstream_delta, upstream_weights = delta, output_weights
            for k in range(n_layers - 1, -1, -1):
                error = errors[k][:size]
                np.matmul(upstream_delta, upstream_weights, out=error)
                slope = slopes[k][:size]
                out = activations[k][:size]
                np.subtract(1.0, out, out=slope)
                slope *= out
                error *= slope
                below = activations[k - 1][:size] if k > 0 else inputs
                np.matmul(error.T, below, out=grad_w[k])
                np.sum(error, axis=0, out=grad_b[k])
                upstream_delta, upstream_weights = error, weights[k]

            # The seed's momentum rule, descending: speed = m*speed - grad; p += lr*speed.
            for param, speed, grad in zip(params, speeds, grads, strict=True):
                speed *= momentum
                speed -= grad
                np.multiply(speed, learning_rate, out=grad)
                param += grad
        losses.append(total_loss / n_samples)
        if bar is not None:
            bar.set_postfix(seconds=f"{time.perf_counter() - began:.3f}", loss=f"{losses[-1]:.4f}")
            bar.update(1)
    if bar is not None:
        bar.close()
    return losses


def _jsonable(value: Any) -> Any:
    """Convert numpy scalars and arrays inside `value` into plain JSON values."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
