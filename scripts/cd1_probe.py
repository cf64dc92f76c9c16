"""Micro-benchmark of one CD-1 mini-batch: the floor and each backend, as floor multiples.

Run with BLAS at one thread and OpenBLAS's core type left to auto-detection::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python scripts/cd1_probe.py
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python scripts/cd1_probe.py \
        --rows 42000 --repeats 5            # one full epoch at N = 42,000 per repeat

The **floor** is what the hardware must do for one CD-1 step no matter how it is written:
the five matrix products (v0·Wᵀ, h0·W, v1·Wᵀ, h0ᵀ·v0, h1ᵀ·v1) into preallocated buffers plus
the step's random draws with numpy's default Generator (B·(2V+H) uniforms). Everything is
timed by ``rbmperf.sweep.runners``, the path ``rbmperf bench`` uses: each repeat times, in
turn, a floor epoch and one epoch of every backend over the same ``--rows`` rows of
``synthetic_mnist`` (interleaved: F A B F A B ...), in process CPU time, so slow phases of
the shared machine hit every contender alike; the report is the median over repeats of
each backend's seconds per mini-batch divided by the floor of the same repeat.
"""

from __future__ import annotations

import argparse
import statistics

import threadpoolctl

import rbmperf
from rbmperf.data import synthetic_mnist
from rbmperf.sweep.machine import blas_description
from rbmperf.sweep.runners import EpochSettings, interleaved_epoch_seconds


def probe(backends, dtypes, n_rows, n_hidden, batch_size, repeats, density=None):
    """Return ``{dtype: {"floor": [s per batch...], name: [...], "compile": {...}}}``."""
    results = {}
    settings = EpochSettings(batch_size=batch_size, n_hidden=n_hidden)
    for dtype in dtypes:
        X = synthetic_mnist(n_rows, seed=0, dtype=dtype, density=density)[0]
        n_batches = -(-n_rows // batch_size)
        compile_seconds = {name: rbmperf.get_backend(name).prepare(X.dtype) for name in backends}
        contenders = {"floor": "floor", **{name: name for name in backends}}
        seconds = interleaved_epoch_seconds(
            contenders,
            {name: [n_rows] for name in contenders},
            dict.fromkeys(contenders, repeats),
            X,
            settings=settings,
        )
        record = {name: [s / n_batches for s in seconds[name][1]] for name in contenders}
        record["compile"] = compile_seconds
        results[dtype] = record
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
    parser.add_argument("--hidden", type=int, default=300)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--density", type=float, help="fraction of non-zero pixels")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads")
    args = parser.parse_args()
    backends = [b for b in args.backends.split(",") if b]
    dtypes = [d for d in args.dtypes.split(",") if d]
    with threadpoolctl.threadpool_limits(args.threads, user_api="blas"):
        blas = blas_description()
        results = probe(
            backends, dtypes, args.rows, args.hidden, args.batch, args.repeats, args.density
        )
    print(f"BLAS: {blas}")
    print(
        f"V=784 H={args.hidden} B={args.batch} rows/epoch={args.rows} "
        f"repeats={args.repeats} threads={args.threads} density={args.density or 'natural'}"
    )
    print(f"{'dtype':8} {'backend':8} {'ms/batch':>9} {'x floor':>8} {'min':>6} {'max':>6}")
    for dtype_name, name, ms, multiple, low, high in summarise(results, backends):
        print(f"{dtype_name:8} {name:8} {ms:9.3f} {multiple:8.2f} {low:6.2f} {high:6.2f}")
    for dtype_name, record in results.items():
        compile_s = ", ".join(f"{k} {v:.2f} s" for k, v in record["compile"].items())
        print(f"prepare ({dtype_name}): {compile_s}")


if __name__ == "__main__":
    main()
