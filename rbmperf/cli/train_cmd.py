"""``rbmperf train``: pre-train and fine-tune a DBN, report its accuracy, save it and its pictures.

The data are split into a stratified training and test set (70/30 by default, shuffled with
the run's seed). Epoch counts default to the seed's 30 / 10 / 10 scaled to the training-set
size (see :func:`rbmperf.dbn.default_epochs`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from ..backends import available_backends
from . import UsageError


def parse_layers(text: str) -> tuple[int, ...]:
    """Parse ``"300,300"`` into ``(300, 300)``; reject anything else with a clear message."""
    try:
        layers = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise UsageError(
            f"--layers must be comma-separated positive integers like 300,300; got {text!r}"
        ) from None
    if not layers or min(layers) < 1:
        raise UsageError(f"--layers must be comma-separated positive integers; got {text!r}")
    return layers


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``--data`` / ``--labels`` / ``--n`` options shared by ``train`` and ``viz``."""
    parser.add_argument(
        "--data",
        default="digits",
        metavar="{synthetic,digits,PATH}",
        help="'synthetic' (MNIST-like, made in-process), 'digits' (scikit-learn's 8×8 "
        "digits), a Kaggle CSV file, or an MNIST IDX images file (default: digits)",
    )
    parser.add_argument(
        "--labels", metavar="PATH", help="IDX labels file to go with an IDX images file"
    )
    parser.add_argument(
        "--n",
        type=int,
        default=10_000,
        help="samples to draw with --data synthetic (default: 10000)",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a DBN (pre-training, softmax, backprop) and report test accuracy",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_data_arguments(parser)
    parser.add_argument(
        "--backend",
        default="numpy",
        help=f"backend for RBM pre-training: {', '.join(available_backends())} (default: numpy)",
    )
    parser.add_argument(
        "--layers", default="300,300", help="hidden units per layer (default: 300,300)"
    )
    parser.add_argument(
        "--epochs",
        type=int,
        help="pre-training epochs per layer (default: the seed's 30, scaled to the data size)",
    )
    parser.add_argument(
        "--softmax-epochs", type=int, help="softmax-layer epochs (default: 10, scaled)"
    )
    parser.add_argument("--finetune-epochs", type=int, help="backprop epochs (default: 10, scaled)")
    parser.add_argument(
        "--batch-size", type=int, default=100, help="mini-batch rows (default: 100)"
    )
    parser.add_argument(
        "--learning-rate", type=float, default=0.1, help="learning rate of every phase (0.1)"
    )
    parser.add_argument("--momentum", type=float, default=0.9, help="momentum (default: 0.9)")
    parser.add_argument(
        "--dtype", default="float64", choices=("float32", "float64"), help="(default: float64)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of everything (default: 0)")
    parser.add_argument(
        "--test-fraction",
        type=float,
        default=0.3,
        help="fraction held out for testing, stratified (default: 0.3)",
    )
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="also report logistic regression on the raw pixels, on the same split",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS threads (default: 1, for steady timings on a shared or busy machine)",
    )
    parser.add_argument("--out", default="dbn-out", help="output directory (default: dbn-out)")
    parser.add_argument("--no-pictures", action="store_true", help="do not draw the pictures")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(handler=run)


def split(
    X: np.ndarray, y: np.ndarray, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stratified train / test split (scikit-learn's, shuffled with `seed`)."""
    from sklearn.model_selection import train_test_split

    if not 0.0 < test_fraction < 1.0:
        raise UsageError(f"--test-fraction must lie strictly between 0 and 1; got {test_fraction}")
    counts = np.bincount(np.unique(y, return_inverse=True)[1])
    if counts.min() < 2:
        raise UsageError("every class needs at least two samples for a stratified split")
    try:
        return tuple(train_test_split(X, y, test_size=test_fraction, stratify=y, random_state=seed))  # type: ignore[return-value]
    except ValueError as error:
        raise UsageError(f"cannot split the data: {error}") from None


def logistic_regression_accuracy(
    X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray
) -> float:
    """Test accuracy of scikit-learn's logistic regression on the raw pixels."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(max_iter=2000)
    model.fit(X_train, y_train)
    return float(model.score(X_test, y_test))


def format_phase_table(info: dict) -> str:
    """A small text table of seconds per phase from ``DBN.info``."""
    lines = [f"{'phase':<24}{'epochs':>8}{'seconds':>10}"]
    for layer, seconds in enumerate(info["pretrain_seconds"], start=1):
        lines.append(f"{f'pre-train RBM {layer}':<24}{info['pretrain_epochs']:>8}{seconds:>10.2f}")
    lines.append(
        f"{'softmax layer':<24}{info['softmax_epochs']:>8}{info['softmax_seconds']:>10.2f}"
    )
    lines.append(
        f"{'backprop (fine-tune)':<24}{info['finetune_epochs']:>8}{info['finetune_seconds']:>10.2f}"
    )
    lines.append(f"{'total':<24}{'':>8}{info['total_seconds']:>10.2f}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from ..data import load_dataset
    from ..dbn import DBN

    layers = parse_layers(args.layers)
    if args.backend not in available_backends():
        raise UsageError(
            f"unknown or unavailable backend {args.backend!r}; "
            f"choose from {', '.join(available_backends())}"
        )
    for name in ("epochs", "softmax_epochs", "finetune_epochs"):
        value = getattr(args, name)
        if value is not None and value < 0:
            raise UsageError(f"--{name.replace('_', '-')} must be >= 0; got {value}")
    if args.n < 1:
        raise UsageError(f"--n must be >= 1; got {args.n}")
    if args.threads < 1:
        raise UsageError(f"--threads must be >= 1; got {args.threads}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {str(out)!r} exists and is not a directory")

    X, y = load_dataset(args.data, labels=args.labels, n=args.n, seed=args.seed, dtype=args.dtype)
    if y is None:
        raise UsageError(
            f"{args.data!r} has no labels: training a classifier needs them "
            "(give --labels for IDX images, or use a labelled Kaggle train.csv)"
        )
    X_train, X_test, y_train, y_test = split(X, y, args.test_fraction, args.seed)

    model = DBN(
        layers,
        backend=args.backend,
        dtype=args.dtype,
        seed=args.seed,
        batch_size=args.batch_size,
        pretrain_epochs=args.epochs,
        softmax_epochs=args.softmax_epochs,
        finetune_epochs=args.finetune_epochs,
        pretrain_learning_rate=args.learning_rate,
        softmax_learning_rate=args.learning_rate,
        finetune_learning_rate=args.learning_rate,
        momentum=args.momentum,
    )
    epochs = model.epochs_for(len(X_train))
    print(
        f"data: {args.data} — {len(X_train):,} training and {len(X_test):,} test samples, "
        f"{X.shape[1]} features, {len(np.unique(y))} classes"
    )
    print(
        f"DBN {'-'.join(map(str, layers))}, backend {args.backend}, {args.dtype}, seed "
        f"{args.seed}; epochs: pre-training {epochs['pretrain']} per layer, softmax "
        f"{epochs['softmax']}, backprop {epochs['finetune']}"
    )
    sys.stdout.flush()
    from threadpoolctl import threadpool_limits

    with threadpool_limits(args.threads, user_api="blas"):
        model.fit(X_train, y_train, progress=not args.quiet)

    accuracy = model.score(X_test, y_test)
    accuracy_pretrained = model.score(X_test, y_test, fine_tuned=False)
    print()
    print(format_phase_table(model.info))
    print()
    print(f"test accuracy, fine-tuned DBN:              {accuracy:.4f}")
    print(f"test accuracy, DBN without fine-tuning:     {accuracy_pretrained:.4f}")
    summary = {
        "data": str(args.data),
        "n_train": len(X_train),
        "n_test": len(X_test),
        "test_accuracy": accuracy,
        "test_accuracy_without_finetuning": accuracy_pretrained,
        "settings": model.settings(),
        "epochs": epochs,
        "seconds": {
            "pretrain": model.info["pretrain_seconds"],
            "softmax": model.info["softmax_seconds"],
            "finetune": model.info["finetune_seconds"],
            "total": model.info["total_seconds"],
        },
    }
    if args.baseline:
        began = time.perf_counter()
        baseline = logistic_regression_accuracy(X_train, y_train, X_test, y_test)
        print(
            f"test accuracy, logistic regression (raw):  {baseline:.4f}  "
            f"({time.perf_counter() - began:.1f} s)"
        )
        summary["test_accuracy_logistic_regression"] = baseline

    out.mkdir(parents=True, exist_ok=True)
    model_path = model.save(out / "model.npz")
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"\nmodel: {model_path}")
    if not args.no_pictures:
        from ..viz import image_shape, write_pictures

        try:
            image_shape(X.shape[1])
        except ValueError as error:
            print(f"pictures skipped: {error}")
        else:
            for path in write_pictures(model, X_test, out):
                print(f"picture: {path}")
    return 0
