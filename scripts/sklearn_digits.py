"""scikit-learn's RBM digits example on rbmperf, next to scikit-learn's own, in one run.

Three comparisons, each of two contenders measured in this one process with BLAS at one
thread (run it without the OpenBLAS overrides some machines set)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python scripts/sklearn_digits.py
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python scripts/sklearn_digits.py \
        --seeds 5 --skip-speed --skip-dbn       # the digits pipelines over 5 random_states

1. **The digits pipeline.** scikit-learn's example ``plot_rbm_logistic_classification``:
   the 8×8 digits as float32, "nudged" to five times as many by 1-pixel shifts, min-max
   scaled, split 80/20 with ``random_state=0``; ``Pipeline(BernoulliRBM(n_components=100,
   learning_rate=0.06, n_iter=10), LogisticRegression(solver="newton-cg", C=6000))``
   against the same pipeline on ``RBMTransformer(n_components=100, learning_rate=0.1,
   momentum=0.7, batch_size=100, n_iter=10)`` with its default backend, ``"auto"`` (its default
   ``sample_data=False``: the data values in the positive phase). The example's ``tol=1``
   is left out: with scikit-learn 1.9 it stops newton-cg before its first iteration
   (accuracy 0.097 for both). Test accuracy, the pipeline's fit time and the RBM step's own
   fit time (CPU seconds, which other processes on a shared machine barely move; wall in
   brackets).
2. **Fit speed at MNIST size.** ``fit`` of ``BernoulliRBM`` and ``RBMTransformer``
   (its default backend ``"auto"``, and ``"numba"`` and ``"numpy"``) with the same
   ``n_components`` (300), ``batch_size=100``, ``learning_rate=0.1`` and ``n_iter`` (1) on
   ``synthetic_mnist`` (8,000 × 784, float64 by default); repeats interleaved, the median
   wall and CPU seconds, after an untimed warm-up fit of each (numba's compile).
3. **DBNClassifier with its defaults** on ``rbmperf.data.load_digits`` split 70/30
   stratified with seed 0, as ``rbmperf train --data digits`` does.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import threadpoolctl
from sklearn import datasets
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import BernoulliRBM
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import minmax_scale

import rbmperf
from rbmperf.data import load_digits, synthetic_mnist
from rbmperf.sklearn import DBNClassifier, RBMTransformer


def nudged_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's example data: the digits plus their 1-pixel shifts, scaled to [0, 1].

    The shifts up, left, right and down, zero-filled, in that order: the same rows in the
    same order as the example's ``nudge_dataset`` (its ``scipy.ndimage.convolve`` with
    one-hot kernels), so ``train_test_split`` draws the same split.
    """
    X, y = datasets.load_digits(return_X_y=True)
    X = np.asarray(X, "float32")
    images = np.pad(X.reshape(-1, 8, 8), ((0, 0), (1, 1), (1, 1)))
    shifts = [(1, 0), (0, 1), (0, -1), (-1, 0)]
    moved = [images[:, 1 + dy : 9 + dy, 1 + dx : 9 + dx].reshape(-1, 64) for dy, dx in shifts]
    return minmax_scale(np.concatenate([X, *moved]), feature_range=(0, 1)), np.tile(y, 5)


def digits_rbms(seed: int) -> dict[str, object]:
    return {
        "BernoulliRBM": BernoulliRBM(
            n_components=100, learning_rate=0.06, n_iter=10, random_state=seed
        ),
        "RBMTransformer (default backend)": RBMTransformer(
            n_components=100,
            learning_rate=0.1,
            momentum=0.7,
            batch_size=100,
            n_iter=10,
            random_state=seed,
        ),
    }


def logistic() -> LogisticRegression:
    return LogisticRegression(solver="newton-cg", C=6000)


def compare_pipelines(seeds: int) -> list[dict[str, object]]:
    X, y = nudged_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
    rows = []
    for seed in range(seeds):
        for name, rbm in digits_rbms(seed).items():
            began = time.process_time()
            rbm.fit(X_train)
            rbm_seconds = time.process_time() - began
            pipeline = Pipeline([("rbm", rbm), ("logistic", logistic())])
            began, wall_began = time.process_time(), time.perf_counter()
            pipeline.fit(X_train, y_train)
            rows.append(
                {
                    "model": name,
                    "seed": seed,
                    "accuracy": pipeline.score(X_test, y_test),
                    "pipeline_seconds": time.process_time() - began,
                    "pipeline_wall": time.perf_counter() - wall_began,
                    "rbm_seconds": rbm_seconds,
                }
            )
    return rows


def compare_fit_speed(
    n_samples: int, epochs: int, repeats: int, dtype: str = "float64", n_components: int = 300
) -> dict[str, dict[str, float]]:
    X, _ = synthetic_mnist(n_samples, dtype=dtype)
    settings = dict(n_components=n_components, learning_rate=0.1, batch_size=100, n_iter=epochs)
    default = RBMTransformer(**settings, random_state=0)
    models = {
        "BernoulliRBM": BernoulliRBM(**settings, random_state=0),
        f"RBMTransformer (default: auto = {rbmperf.get_backend('auto').name})": default,
        "RBMTransformer (numba)": RBMTransformer(**settings, backend="numba", random_state=0),
        "RBMTransformer (numpy)": RBMTransformer(**settings, backend="numpy", random_state=0),
    }
    for model in models.values():  # warm-up: numba's compile, first-touch page faults
        model.set_params(n_iter=1).fit(X[:1000])
        model.set_params(n_iter=epochs)
    cpu: dict[str, list[float]] = {name: [] for name in models}
    wall: dict[str, list[float]] = {name: [] for name in models}
    for _ in range(repeats):
        for name, model in models.items():
            cpu_began, wall_began = time.process_time(), time.perf_counter()
            model.fit(X)
            cpu[name].append(time.process_time() - cpu_began)
            wall[name].append(time.perf_counter() - wall_began)
    return {
        name: {"cpu": statistics.median(cpu[name]), "wall": statistics.median(wall[name])}
        for name in models
    }


def dbn_defaults() -> dict[str, float]:
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    began, wall_began = time.process_time(), time.perf_counter()
    model = DBNClassifier(random_state=0).fit(X_train, y_train)
    seconds, wall = time.process_time() - began, time.perf_counter() - wall_began
    return {"accuracy": model.score(X_test, y_test), "seconds": seconds, "wall": wall}


def machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    blas = [
        f"{info.get('internal_api')} {info.get('version')} {info.get('architecture')}, "
        f"{info.get('num_threads')} thread(s)"
        for info in threadpoolctl.threadpool_info()
        if info.get("user_api") == "blas"
    ]
    import sklearn

    return (
        f"CPU: {model}; BLAS: {'; '.join(blas)}; numpy {np.__version__}, "
        f"scikit-learn {sklearn.__version__}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1, help="random_states 0..N-1 (1)")
    parser.add_argument("--n", type=int, default=8_000, help="rows for the speed run (8,000)")
    parser.add_argument("--epochs", type=int, default=1, help="n_iter of the speed run (1)")
    parser.add_argument("--components", type=int, default=300, help="of the speed run (300)")
    parser.add_argument("--dtype", default="float64", help="of the speed run (float64)")
    parser.add_argument("--skip-pipelines", action="store_true")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats (3)")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-dbn", action="store_true")
    args = parser.parse_args()

    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        print(machine())
        print("\n## Digits: RBM features + logistic regression (scikit-learn's example)\n")
        print("| model | random_state | accuracy | pipeline fit CPU s (wall) | RBM fit CPU s |")
        print("|---|---|---|---|---|")
        rows = [] if args.skip_pipelines else compare_pipelines(args.seeds)
        for row in rows:
            print(
                f"| {row['model']} | {row['seed']} | {row['accuracy']:.4f} | "
                f"{row['pipeline_seconds']:.2f} ({row['pipeline_wall']:.2f}) | "
                f"{row['rbm_seconds']:.2f} |"
            )
        if args.seeds > 1 and rows:
            for name in digits_rbms(0):
                accuracies = [row["accuracy"] for row in rows if row["model"] == name]
                print(
                    f"\n{name}: mean accuracy {statistics.mean(accuracies):.4f} "
                    f"(min {min(accuracies):.4f}, max {max(accuracies):.4f})"
                )

        if not args.skip_speed:
            print(
                f"\n## fit on synthetic_mnist: {args.n:,} × 784 {args.dtype}, "
                f"n_components={args.components}, batch_size=100, n_iter={args.epochs}, "
                f"median of {args.repeats}\n"
            )
            speed = compare_fit_speed(
                args.n, args.epochs, args.repeats, args.dtype, args.components
            )
            reference = speed["BernoulliRBM"]
            print("| model | wall s | CPU s | BernoulliRBM ÷ this, wall | … CPU |")
            print("|---|---|---|---|---|")
            for name, seconds in speed.items():
                print(
                    f"| {name} | {seconds['wall']:.2f} | {seconds['cpu']:.2f} | "
                    f"{reference['wall'] / seconds['wall']:.2f}× | "
                    f"{reference['cpu'] / seconds['cpu']:.2f}× |"
                )

        if not args.skip_dbn:
            print("\n## DBNClassifier(random_state=0), defaults, digits 70/30 stratified\n")
            result = dbn_defaults()
            print(
                f"accuracy {result['accuracy']:.4f}, fit {result['seconds']:.1f} CPU s "
                f"({result['wall']:.1f} s wall)"
            )


if __name__ == "__main__":
    main()
