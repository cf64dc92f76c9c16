"""Train a DBN and measure it, callable from Python: what ``rbmperf train`` orchestrates.

A stratified train / test split, the fit, the test accuracy with and without fine-tuning,
an optional logistic-regression baseline on the raw pixels (same split), and the
``summary.json`` record. ``rbmperf train`` only parses its options, calls these and prints.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .dbn import DBN
from .errors import InputError, InputTypeError
from .jsonvalues import to_jsonable
from .validation import check_int

__all__ = [
    "Evaluation",
    "Split",
    "logistic_regression_accuracy",
    "save_evaluation",
    "stratified_split",
    "train_and_evaluate",
]


@dataclass(frozen=True)
class Split:
    """A training set and a test set, samples × features, with their labels."""

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray


def stratified_split(
    X: np.ndarray, y: np.ndarray, test_fraction: float = 0.3, seed: int = 0
) -> Split:
    """Stratified train / test split (scikit-learn's, shuffled with `seed`).

    Raises
    ------
    ValueError
        If `test_fraction` is not strictly between 0 and 1, a class has fewer than two
        samples, or the split is otherwise impossible.

    Examples
    --------
    >>> import numpy as np
    >>> split = stratified_split(np.eye(10), np.arange(10) % 2, test_fraction=0.4)
    >>> split.X_train.shape, split.X_test.shape, sorted(split.y_test.tolist())
    ((6, 10), (4, 10), [0, 0, 1, 1])
    """
    from sklearn.model_selection import train_test_split

    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2:
        raise InputError(f"X must be 2-D (samples × features); got shape {X.shape}")
    if y.ndim != 1 or len(y) != len(X):
        raise InputError(f"y must hold one label per row of X ({len(X):,}); got shape {y.shape}")
    if not 0.0 < test_fraction < 1.0:
        raise InputError(f"test_fraction must lie strictly between 0 and 1; got {test_fraction}")
    counts = np.bincount(np.unique(y, return_inverse=True)[1])
    if counts.min() < 2:
        raise InputError("every class needs at least two samples for a stratified split")
    try:
        parts = train_test_split(X, y, test_size=test_fraction, stratify=y, random_state=seed)
    except ValueError as error:
        raise InputError(f"cannot split the data: {error}") from None
    return Split(*parts)


def logistic_regression_accuracy(split: Split) -> float:
    """Test accuracy of scikit-learn's logistic regression on the raw pixels of `split`."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(max_iter=2000)
    model.fit(split.X_train, split.y_train)
    return float(model.score(split.X_test, split.y_test))


@dataclass
class Evaluation:
    """A fitted DBN and what it scored on the held-out split.

    Attributes
    ----------
    model : DBN
    split : Split
    test_accuracy, test_accuracy_without_finetuning : float
    baseline_accuracy : float or None
        Logistic regression on the raw pixels, when asked for.
    baseline_seconds : float or None
    data : str
        A name for the data, recorded in the summary.
    """

    model: DBN
    split: Split
    test_accuracy: float
    test_accuracy_without_finetuning: float
    baseline_accuracy: float | None = None
    baseline_seconds: float | None = None
    data: str = ""

    def summary(self) -> dict[str, Any]:
        """The ``summary.json`` record: data, sizes, accuracies, settings, epochs, seconds.

        ``backend`` is the backend that trained the RBMs (what ``"auto"`` picked);
        ``settings["backend"]`` what was asked for.
        """
        info = self.model.info
        record: dict[str, Any] = {
            "data": self.data,
            "n_train": len(self.split.X_train),
            "n_test": len(self.split.X_test),
            "test_accuracy": self.test_accuracy,
            "test_accuracy_without_finetuning": self.test_accuracy_without_finetuning,
            "settings": self.model.settings(),
            "backend": info.get("backend", self.model.backend),
            "epochs": self.model.epochs_for(len(self.split.X_train)),
            "seconds": {
                "pretrain": info["pretrain_seconds"],
                "softmax": info["softmax_seconds"],
                "finetune": info["finetune_seconds"],
                "finetune_compile": info.get("finetune_compile_seconds", 0.0),
                "total": info["total_seconds"],
            },
        }
        if self.baseline_accuracy is not None:
            record["test_accuracy_logistic_regression"] = self.baseline_accuracy
        return to_jsonable(record)


def train_and_evaluate(
    model: DBN,
    split: Split,
    *,
    baseline: bool = False,
    threads: int = 1,
    progress: bool = False,
    data: str = "",
) -> Evaluation:
    """Fit `model` on the training part of `split` and score it on the test part.

    Parameters
    ----------
    model : DBN
        An unfitted DBN with the settings to train.
    split : Split
        From :func:`stratified_split`.
    baseline : bool, default False
        Also score logistic regression on the raw pixels, on the same split.
    threads : int, default 1
        BLAS threads during the fit (one is steadier on a shared or busy machine: two
        threads made two small RBMs 30× slower on the 2-core machines here).
    progress : bool, default False
        Show progress bars.
    data : str, default ""
        A name for the data, for the summary.

    Returns
    -------
    Evaluation

    Examples
    --------
    >>> from rbmperf import DBN
    >>> from rbmperf.data import load_digits
    >>> from rbmperf.evaluation import stratified_split, train_and_evaluate
    >>> X, y = load_digits()
    >>> small = DBN((32,), pretrain_epochs=2, softmax_epochs=5, finetune_epochs=5)
    >>> result = train_and_evaluate(small, stratified_split(X, y), data="digits")
    >>> result.test_accuracy > 0.5
    True
    """
    from threadpoolctl import threadpool_limits

    if not isinstance(model, DBN):
        raise InputTypeError(f"model must be an rbmperf DBN; got {type(model).__name__}")
    if not isinstance(split, Split):
        raise InputTypeError(
            f"split must be a Split (see stratified_split); got {type(split).__name__}"
        )
    threads = check_int(threads, "threads", minimum=1)
    with threadpool_limits(threads, user_api="blas"):
        model.fit(split.X_train, split.y_train, progress=progress)
    evaluation = Evaluation(
        model=model,
        split=split,
        test_accuracy=model.score(split.X_test, split.y_test),
        test_accuracy_without_finetuning=model.score(split.X_test, split.y_test, fine_tuned=False),
        data=data,
    )
    if baseline:
        began = time.perf_counter()
        evaluation.baseline_accuracy = logistic_regression_accuracy(split)
        evaluation.baseline_seconds = time.perf_counter() - began
    return evaluation


def save_evaluation(evaluation: Evaluation, out: str | os.PathLike) -> tuple[Path, Path]:
    """Write ``model.npz`` and ``summary.json`` into `out`; return both paths."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    model_path = evaluation.model.save(folder / "model.npz")
    summary_path = folder / "summary.json"
    summary_path.write_text(json.dumps(evaluation.summary(), indent=2) + "\n")
    return model_path, summary_path
