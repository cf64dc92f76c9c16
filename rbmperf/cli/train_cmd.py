"""``rbmperf train``: pre-train and fine-tune a DBN, report its accuracy, save it and its pictures.

The data are split into a stratified training and test set (70/30 by default, shuffled with
the run's seed). Epoch counts default to the blog's 30 / 10 / 10 scaled to the training-set
size (see :func:`rbmperf.dbn.default_epochs`). From Python: :mod:`rbmperf.evaluation`.
"""

from __future__ import annotations

import argparse
import sys

from . import UsageError, options
from .options import check_data_paths


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a DBN (pre-training, softmax, backprop) and report test accuracy",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    options.add_data_options(parser)
    parser.add_argument(
        "--backend",
        default="auto",
        help=(
            "backend for RBM pre-training (see `rbmperf backends`; default: auto, the "
            "fastest available: binary where numba imports, else numpy)"
        ),
    )
    parser.add_argument(
        "--layers", default="300,300", help="hidden units per layer (default: 300,300)"
    )
    parser.add_argument(
        "--epochs",
        type=int,
        help="pre-training epochs per layer (default: the blog's 30, scaled to the data size)",
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
    options.add_threads_option(parser, ", for steady timings on a shared or busy machine")
    parser.add_argument("--out", default="dbn-out", help="output directory (default: dbn-out)")
    parser.add_argument("--no-pictures", action="store_true", help="do not draw the pictures")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(handler=run)


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
    if info.get("finetune_compile_seconds"):
        lines.append(f"{'compiling backprop':<24}{'':>8}{info['finetune_compile_seconds']:>10.2f}")
    lines.append(f"{'total':<24}{'':>8}{info['total_seconds']:>10.2f}")
    return "\n".join(lines)


def _check_arguments(args: argparse.Namespace) -> tuple[int, ...]:
    """Refuse bad options and paths before any work (a bad --out fails in a second)."""
    from ..paths import check_output_file, prepare_output_dir

    # The paths before anything slow (importing numba to list the backends takes a second).
    check_data_paths(args)
    out = prepare_output_dir(args.out, "--out")
    check_output_file(out / "model.npz", "model file")
    check_output_file(out / "summary.json", "summary file")

    from ..backends import AUTO, available_backends

    layers = options.layers(args.layers)
    if args.backend != AUTO and args.backend not in available_backends():
        raise UsageError(
            f"unknown or unavailable backend {args.backend!r}; "
            f"choose from {', '.join(available_backends())} or {AUTO}"
        )
    for name in ("epochs", "softmax_epochs", "finetune_epochs"):
        options.at_least(getattr(args, name), f"--{name.replace('_', '-')}", 0)
    options.at_least(args.n, "--n", 1)
    options.at_least(args.threads, "--threads", 1)
    if not 0.0 < args.test_fraction < 1.0:
        raise UsageError(
            f"--test-fraction must lie strictly between 0 and 1; got {args.test_fraction}"
        )
    return layers


def run(args: argparse.Namespace) -> int:
    layers = _check_arguments(args)

    import numpy as np

    from ..data import load_dataset
    from ..dbn import DBN
    from ..evaluation import save_evaluation, stratified_split, train_and_evaluate

    X, y = load_dataset(args.data, labels=args.labels, n=args.n, seed=args.seed, dtype=args.dtype)
    if y is None:
        raise UsageError(
            f"{args.data!r} has no labels: training a classifier needs them "
            "(give --labels for IDX images, or use a labelled Kaggle train.csv)"
        )
    split = stratified_split(X, y, args.test_fraction, args.seed)
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
    epochs = model.epochs_for(len(split.X_train))
    backend = model.resolved_backend
    if args.backend == "auto":
        backend = f"auto ({backend}: the fastest available here)"
    print(
        f"data: {args.data} — {len(split.X_train):,} training and {len(split.X_test):,} test "
        f"samples, {X.shape[1]} features, {len(np.unique(y))} classes"
    )
    print(
        f"DBN {'-'.join(map(str, layers))}, backend {backend}, {args.dtype}, seed "
        f"{args.seed}; epochs: pre-training {epochs['pretrain']} per layer, softmax "
        f"{epochs['softmax']}, backprop {epochs['finetune']}"
    )
    sys.stdout.flush()
    evaluation = train_and_evaluate(
        model,
        split,
        baseline=args.baseline,
        threads=args.threads,
        progress=not args.quiet,
        data=str(args.data),
    )
    print()
    print(format_phase_table(model.info))
    print()
    print(f"test accuracy, fine-tuned DBN:              {evaluation.test_accuracy:.4f}")
    print(
        "test accuracy, DBN without fine-tuning:     "
        f"{evaluation.test_accuracy_without_finetuning:.4f}"
    )
    if evaluation.baseline_accuracy is not None:
        print(
            f"test accuracy, logistic regression (raw):  {evaluation.baseline_accuracy:.4f}  "
            f"({evaluation.baseline_seconds:.1f} s)"
        )
    model_path, _ = save_evaluation(evaluation, args.out)
    print(f"\nmodel: {model_path}")
    if not args.no_pictures:
        from ..viz import image_shape, write_pictures

        try:
            image_shape(X.shape[1])
        except ValueError as error:
            print(f"pictures skipped: {error}")
        else:
            for path in write_pictures(model, split.X_test, args.out):
                print(f"picture: {path}")
    return 0
