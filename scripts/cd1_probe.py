"""Micro-benchmark of one CD-1 mini-batch: the floor and each backend, as floor multiples.

Run with BLAS at one thread and OpenBLAS's core type left to auto-detection::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python scripts/cd1_probe.py
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python scripts/cd1_probe.py \
        --rows 42000 --repeats 5            # one full epoch at N = 42,000 per repeat

The **floor** is what the hardware must do for one CD-1 step no matter how it is written:
the five matrix products (v0·Wᵀ, h0·W, v1·Wᵀ, h0ᵀ·v0, h1ᵀ·v1) into preallocated buffers plus
the step's random draws with numpy's default Generator (B·(2V+H) uniforms): the very
``floor_epoch`` of ``rbmperf.scaling.floor`` that ``rbmperf bench`` uses (a local copy on
trees without it). Each repeat times, in turn, a floor epoch and one epoch of every backend
over the same ``--rows`` rows (interleaved: F A B F A B ...), so slow phases of the shared
machine hit every contender alike; the report is the median over repeats of each backend's
seconds per mini-batch divided by the floor of the same repeat.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import threadpoolctl

import rbmperf
from rbmperf.backends.base import TrainingState


def synthetic_data(n_rows: int, n_visible: int, seed: int = 0) -> np.ndarray:
    """MNIST-like sparsity: about 19% of pixels on, with grey values."""
    rng = np.random.default_rng(seed)
    return (rng.random((n_rows, n_visible)) < 0.19) * rng.random((n_rows, n_visible))


def _local_floor_epoch(W, X, batch_size, rng, buffers=None):
    """Same work as ``rbmperf.scaling.floor.floor_epoch``, for trees without it."""
    n_hidden, n_visible = W.shape
    rows = min(batch_size, X.shape[0])
    if buffers is None:
        buffers = [np.empty(shape, dtype=X.dtype) for shape in (
            (rows, n_hidden), (rows, n_visible), (rows, n_hidden), (n_hidden, n_visible),
            (n_hidden, n_visible), (rows, n_visible), (rows, n_hidden), (rows, n_visible),
        )]  # fmt: skip
    hidden, visible, again, outer, outer_again, u_v0, u_h0, u_v1 = buffers
    for start in range(0, X.shape[0], batch_size):
        batch = X[start : start + batch_size]
        r = batch.shape[0]
        rng.random(out=u_v0[:r], dtype=X.dtype)
        np.matmul(batch, W.T, out=hidden[:r])
        rng.random(out=u_h0[:r], dtype=X.dtype)
        np.matmul(hidden[:r], W, out=visible[:r])
        rng.random(out=u_v1[:r], dtype=X.dtype)
        np.matmul(visible[:r], W.T, out=again[:r])
        np.matmul(hidden[:r].T, batch, out=outer)
        np.matmul(again[:r].T, visible[:r], out=outer_again)
    return buffers


try:  # the definition `rbmperf bench` uses, when this tree has it
    from rbmperf.scaling.floor import floor_epoch
except ImportError:  # pragma: no cover - older trees
    floor_epoch = _local_floor_epoch


def floor_epoch_seconds(W, X, batch_size, rng, buffers):
    start = time.perf_counter()
    buffers = floor_epoch(W, X, batch_size, rng, buffers)
    return time.perf_counter() - start, buffers


def epoch_seconds(backend, state, X, batch_size, seed):
    start = time.perf_counter()
    backend.run_epoch(state, X, batch_size, 0.1, 0.9, np.random.default_rng(seed))
    return time.perf_counter() - start


def probe(backends, dtypes, n_rows, n_visible, n_hidden, batch_size, repeats):
    """Return ``{dtype: {"floor": [s...], name: [s per batch...], "compile": {...}}}``."""
    results = {}
    data = synthetic_data(n_rows, n_visible)
    for dtype_name in dtypes:
        dtype = np.dtype(dtype_name)
        X = np.ascontiguousarray(data, dtype=dtype)
        n_batches = -(-n_rows // batch_size)
        record = {"floor": [], "compile": {}}
        states = {}
        engines = {}
        for name in backends:
            engine = rbmperf.get_backend(name)
            record["compile"][name] = engine.prepare(dtype)
            init = rbmperf.initial_rbm(n_visible, n_hidden, dtype=dtype_name)
            states[name] = TrainingState.starting_from(init.W, init.hidden_bias, init.visible_bias)
            engines[name] = engine
            record[name] = []
            # untimed warm-up epoch (page faults, caches, workspace allocation)
            engine.run_epoch(
                states[name], X[: 4 * batch_size], batch_size, 0.1, 0.9, np.random.default_rng(0)
            )
        W = rbmperf.initial_rbm(n_visible, n_hidden, dtype=dtype_name).W
        floor_rng = np.random.default_rng(2)
        _, buffers = floor_epoch_seconds(W, X[: 4 * batch_size], batch_size, floor_rng, None)
        for repeat in range(repeats):
            seconds, buffers = floor_epoch_seconds(W, X, batch_size, floor_rng, buffers)
            record["floor"].append(seconds / n_batches)
            for name in backends:
                seconds = epoch_seconds(engines[name], states[name], X, batch_size, repeat)
                record[name].append(seconds / n_batches)
        results[dtype_name] = record
    return results


def summarise(results, backends):
    """Rows of (dtype, name, median ms per batch, median floor multiple, min, max)."""
    rows = []
    for dtype_name, record in results.items():
        floors = record["floor"]
        rows.append((dtype_name, "floor", 1e3 * statistics.median(floors), 1.0, 1.0, 1.0))
        for name in backends:
            multiples = [t / f for t, f in zip(record[name], floors, strict=True)]
            rows.append(
                (
                    dtype_name,
                    name,
                    1e3 * statistics.median(record[name]),
                    statistics.median(multiples),
                    min(multiples),
                    max(multiples),
                )
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="numpy,numba")
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--rows", type=int, default=3000, help="rows per timed epoch")
    parser.add_argument("--visible", type=int, default=784)
    parser.add_argument("--hidden", type=int, default=300)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads")
    args = parser.parse_args()
    backends = [b for b in args.backends.split(",") if b]
    dtypes = [d for d in args.dtypes.split(",") if d]
    with threadpoolctl.threadpool_limits(args.threads, user_api="blas"):
        blas = [
            (i["internal_api"], i.get("architecture"), i["num_threads"], i["version"])
            for i in threadpoolctl.threadpool_info()
            if i["user_api"] == "blas"
        ]
        results = probe(
            backends,
            dtypes,
            args.rows,
            args.visible,
            args.hidden,
            args.batch,
            args.repeats,
        )
    print(f"BLAS: {blas}")
    print(
        f"V={args.visible} H={args.hidden} B={args.batch} rows/epoch={args.rows} "
        f"repeats={args.repeats} threads={args.threads}"
    )
    print(f"{'dtype':8} {'backend':8} {'ms/batch':>9} {'x floor':>8} {'min':>6} {'max':>6}")
    for dtype_name, name, ms, multiple, low, high in summarise(results, backends):
        print(f"{dtype_name:8} {name:8} {ms:9.3f} {multiple:8.2f} {low:6.2f} {high:6.2f}")
    for dtype_name, record in results.items():
        compile_s = ", ".join(f"{k} {v:.2f} s" for k, v in record["compile"].items())
        print(f"prepare ({dtype_name}): {compile_s}")


if __name__ == "__main__":
    main()
