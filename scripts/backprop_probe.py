"""Time the DBN's back-propagation epoch against a plain numpy one, interleaved.

The plain epoch is ``rbmperf/dbn/backprop.py`` as it was before the sparse data products
(commit 0103762 by default, read with ``git show``): BLAS for every product, numpy for the
momentum rule. Both train copies of the same 784-300-300-10 network (random weights, as
after pre-training, which does not change the cost) on synthetic MNIST, one epoch each in
turn (A B A B ...), after one untimed epoch of each; BLAS at one thread, process CPU time
(the work done, whatever else the machine runs). Prints the median seconds per epoch and
the ratio new ÷ plain of each repeat (median, min, max). ``--epochs-per-call E`` times calls
of E epochs (per epoch: the call's seconds ÷ E), as a DBN's fine-tuning makes one call for
all its epochs and pays the per-call setup (the split of the data's columns) once::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python scripts/backprop_probe.py
    ... scripts/backprop_probe.py --rows 42000 --repeats 5 --dtypes float32,float64
    ... scripts/backprop_probe.py --rows 42000 --repeats 3 --epochs-per-call 5
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import itertools
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

import rbmperf.dbn
from rbmperf.data import synthetic_mnist
from rbmperf.dbn.backprop import gradient_descent
from rbmperf.dbn.network import DeepNetwork

ROOT = Path(__file__).resolve().parent.parent


def reference_trainer(commit: str):
    """``gradient_descent`` of `commit`'s backprop module, imported inside rbmperf.dbn."""
    source = subprocess.run(
        ["git", "show", f"{commit}:rbmperf/dbn/backprop.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    name = "rbmperf.dbn._reference_backprop"
    spec = importlib.util.spec_from_loader(name, loader=None)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = rbmperf.dbn.__name__
    sys.modules[name] = module
    exec(compile(source, f"{commit}:rbmperf/dbn/backprop.py", "exec"), module.__dict__)
    return module.gradient_descent


def network(dtype: np.dtype, sizes: tuple[int, ...], seed: int = 0) -> DeepNetwork:
    rng = np.random.default_rng(seed)
    weights = [
        (0.05 * rng.standard_normal((n_out, n_in))).astype(dtype)
        for n_in, n_out in itertools.pairwise(sizes[:-1])
    ]
    biases = [np.zeros(n, dtype=dtype) for n in sizes[1:-1]]
    output = (0.01 * rng.standard_normal((sizes[-1], sizes[-2]))).astype(dtype)
    return DeepNetwork(weights, biases, output, np.zeros(sizes[-1], dtype=dtype))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=12000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--reference", default="0103762", help="commit of the plain epoch")
    parser.add_argument(
        "--epochs-per-call",
        type=int,
        default=1,
        help="epochs per timed call of each trainer (a DBN's fit makes one call for all of "
        "its fine-tuning epochs, so per-call setup is paid once); seconds are per epoch",
    )
    args = parser.parse_args()

    if args.epochs_per_call < 1:
        parser.error(f"--epochs-per-call must be at least 1; got {args.epochs_per_call}")
    per_call = args.epochs_per_call
    plain = reference_trainer(args.reference)
    X, y = synthetic_mnist(args.rows)
    targets = y.astype(np.intp)
    print(
        f"CPU: {platform.processor() or platform.machine()}; rows {args.rows}; "
        f"{per_call} epoch(s) per timed call"
    )
    print(f"non-zero fraction of the data: {np.count_nonzero(X) / X.size:.3f}")
    with threadpool_limits(1, user_api="blas"):
        blas = [
            (i["internal_api"], i.get("architecture"), i["num_threads"]) for i in threadpool_info()
        ]
        print(f"BLAS: {blas}")
        for dtype_name in args.dtypes.split(","):
            dtype = np.dtype(dtype_name)
            data = X.astype(dtype)
            start = network(dtype, (784, 300, 300, 10))
            trainers = {"new": gradient_descent, "plain": plain}
            models = {name: copy.deepcopy(start) for name in trainers}
            rngs = {name: np.random.default_rng(1) for name in trainers}
            seconds: dict[str, list[float]] = {name: [] for name in trainers}
            for repeat in range(args.repeats + 1):
                for name, train in trainers.items():
                    began = time.process_time()
                    train(
                        data, targets, models[name], epochs=per_call, batch_size=100,
                        learning_rate=0.1, momentum=0.9, rng=rngs[name],
                    )  # fmt: skip
                    if repeat > 0:  # the first call is the untimed warm-up
                        seconds[name].append((time.process_time() - began) / per_call)
            ratios = np.array(seconds["new"]) / np.array(seconds["plain"])
            drift = max(
                float(np.abs(a - b).max())
                for a, b in zip(models["new"].parameters, models["plain"].parameters, strict=True)
            )
            print(
                f"{dtype_name}: new {np.median(seconds['new']):.3f} s, plain "
                f"{np.median(seconds['plain']):.3f} s per epoch; new / plain median "
                f"{np.median(ratios):.3f} (min {ratios.min():.3f}, max {ratios.max():.3f}); "
                f"largest parameter difference after {(args.repeats + 1) * per_call} epochs "
                f"{drift:.2e}"
            )


if __name__ == "__main__":
    main()
