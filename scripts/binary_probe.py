"""Probe the binary backend against the floor and the numba backend, in process CPU time.

Run with BLAS at one thread and OpenBLAS's core type left to auto-detection::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python scripts/binary_probe.py
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python scripts/binary_probe.py \
        --data half --dtypes float32           # 50% ones: the dense fallback against numba
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python scripts/binary_probe.py --stages

Data: ``mnist`` is :func:`rbmperf.data.synthetic_mnist` (grey values; about 12% of the
sampled data states are on); ``half`` is 0/1 data made by thresholding uniforms at 0.5
(50% ones, up to sampling noise); ``ones=P`` the same at a fraction P of ones.

Each backend's model is first trained for ``--warm-epochs`` untimed epochs over the probe's
rows, so the reconstructions v1 have the density of a model in training (a fresh model's
zero visible biases make v1 about 50% ones; on synthetic MNIST that lasts only the first few
mini-batches); ``--warm-epochs 0`` starts the timed epochs from a fresh model.
Then each repeat times, in turn, one floor epoch and one epoch of every backend (interleaved,
F A B F A B ...) in **process CPU time** (BLAS at one thread, so the process's CPU time is
the work done, whatever else the machine runs). The report gives medians over repeats of
ms per mini-batch and of per-repeat ratios (× floor, and binary ÷ numba), with min–max.
``--stages`` prints a per-stage profile of one binary step instead (microseconds, median of
200 runs). ``--load NAME=FILE`` registers the backend module in FILE (say, the
``binary.py`` of an earlier commit, from ``git show COMMIT:rbmperf/backends/binary.py``) as
backend NAME, so versions can be timed side by side in one run (add NAME to
``--backends``).
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import statistics
import sys
import time
from collections import Counter

import numpy as np
import threadpoolctl

import rbmperf
from rbmperf.backends import binary, register_backend
from rbmperf.backends.base import TrainingState
from rbmperf.data import synthetic_mnist
from rbmperf.sweep.floor import floor_epoch


def probe_data(kind: str, n_rows: int, n_visible: int, seed: int = 0) -> np.ndarray:
    """``mnist`` (synthetic MNIST), ``half`` or ``ones=P`` (0/1, uniforms thresholded at P)."""
    if kind == "mnist":
        if n_visible != 784:
            raise SystemExit("--data mnist has 784 visible units")
        return synthetic_mnist(n_rows, seed=seed)[0]
    fraction = 0.5 if kind == "half" else None
    if kind.startswith("ones="):
        fraction = float(kind.removeprefix("ones="))
    if fraction is not None:
        rng = np.random.default_rng(seed)
        return (rng.random((n_rows, n_visible)) < fraction).astype(np.float64)
    raise SystemExit(f"unknown --data {kind!r}: mnist, half or ones=FRACTION")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _epoch_cpu_seconds(backend, state, X, batch_size, seed):
    start = time.process_time()
    backend.run_epoch(state, X, batch_size, 0.1, 0.9, np.random.default_rng(seed))
    return time.process_time() - start


def probe(names, dtype, X, n_hidden, batch_size, repeats, warm_epochs):
    """Return ``{"floor": [s per batch...], name: [...], "compile": {...}, "paths": {...}}``."""
    n_visible = X.shape[1]
    n_batches = -(-X.shape[0] // batch_size)
    record = {"floor": [], "compile": {}, "paths": {}}
    engines, states = {}, {}
    for name in names:
        engine = rbmperf.get_backend(name)
        record["compile"][name] = engine.prepare(dtype)
        init = rbmperf.initial_rbm(n_visible, n_hidden, dtype=dtype.name)
        states[name] = TrainingState.starting_from(init.W, init.hidden_bias, init.visible_bias)
        engines[name] = engine
        record[name] = []
        engine.run_epoch(
            states[name], X[: 4 * batch_size], batch_size, 0.1, 0.9, np.random.default_rng(0)
        )
        for epoch in range(warm_epochs):
            engine.run_epoch(states[name], X, batch_size, 0.1, 0.9, np.random.default_rng(epoch))
    if "binary" in engines:
        engines["binary"].paths.clear()
    W = rbmperf.initial_rbm(n_visible, n_hidden, dtype=dtype.name).W
    floor_rng = np.random.default_rng(2)
    buffers = floor_epoch(W, X[: 4 * batch_size], batch_size, floor_rng, None)
    for repeat in range(repeats):
        start = time.process_time()
        buffers = floor_epoch(W, X, batch_size, floor_rng, buffers)
        record["floor"].append((time.process_time() - start) / n_batches)
        for name in names:
            seconds = _epoch_cpu_seconds(engines[name], states[name], X, batch_size, 100 + repeat)
            record[name].append(seconds / n_batches)
    if "binary" in engines:
        record["paths"] = dict(engines["binary"].paths)
    record["states"] = states
    return record


def _ratio_row(label, numerators, denominators):
    ratios = [a / b for a, b in zip(numerators, denominators, strict=True)]
    return f"{label:22} {statistics.median(ratios):6.3f} ({min(ratios):.3f}–{max(ratios):.3f})"


def report(dtype_name, record, names):
    print(f"--- {dtype_name}")
    floors = record["floor"]
    print(f"{'floor':22} {1e3 * statistics.median(floors):8.3f} ms/batch")
    for name in names:
        print(f"{name:22} {1e3 * statistics.median(record[name]):8.3f} ms/batch")
    for name in names:
        print(_ratio_row(f"{name} × floor", record[name], floors))
    if "binary" in names and "numba" in names:
        print(_ratio_row("binary ÷ numba", record["binary"], record["numba"]))
    if record["paths"]:
        paths = Counter(record["paths"])
        summary = ", ".join(
            f"{product}: {paths[product, 'binary']}b/{paths[product, 'dense']}d"
            for product in ("v0 W.T", "h0 W", "v1 W.T", "h0.T v0", "h1_probs.T v1")
        )
        print(f"binary paths (batches): {summary}")
    compile_s = ", ".join(f"{k} {v:.2f} s" for k, v in record["compile"].items())
    print(f"prepare: {compile_s}")


def densities(state, X, batch_size, dtype):
    """Fraction of ones of v0 and v1 over the first few batches, for the report."""
    rng = np.random.default_rng(0)
    Xb = X[: 10 * batch_size].astype(dtype)
    v0 = Xb > rng.random(Xb.shape)
    h = 1 / (1 + np.exp(-(v0 @ state.W.T + state.hidden_bias)))
    h0 = h > rng.random(h.shape)
    v1p = 1 / (1 + np.exp(-(h0 @ state.W + state.visible_bias)))
    v1 = v1p > rng.random(v1p.shape)
    return v0.mean(), h0.mean(), v1.mean()


def stages(dtype, X, n_hidden, batch_size, repeats=200):
    """Median µs of each stage of one binary step (trained model, auto limits)."""
    from rbmperf.backends.base import TrainingState as State

    engine = binary.BinaryBackend()
    engine.prepare(dtype)
    n_visible = X.shape[1]
    init = rbmperf.initial_rbm(n_visible, n_hidden, dtype=dtype.name)
    state = State.starting_from(init.W, init.hidden_bias, init.visible_bias)
    engine.run_epoch(state, X, batch_size, 0.1, 0.9, np.random.default_rng(0))
    work = engine._workspace
    work.load(state.W, state.W_speed)
    batch = np.ascontiguousarray(X[:batch_size])
    rows, H = batch.shape[0], n_hidden
    key = np.uint64(7)
    scale = dtype.type(1.0 / rows)
    W = work.W_view
    hb, vb = state.hidden_bias, state.visible_bias
    timings = {}

    def clock(label, fn):
        fn()
        samples = []
        for _ in range(repeats):
            start = time.process_time()
            fn()
            samples.append(time.process_time() - start)
        timings[label] = 1e6 * statistics.median(samples)

    clock(
        "sample v0",
        lambda: binary._sample_states(
            batch, vb, False, n_visible, rows, None, work.v0_flags, work.visible_sums, key, 0
        ),
    )
    clock(
        "pack v0 bits",
        lambda: binary._pack_bits(
            work.v0_flags,
            work.v0_flag_words,
            rows,
            n_visible,
            work.v0_row_bits,
            work.v0_column_bits,
        ),
    )
    pre = work.hidden_pre
    clock(
        "P1 gather",
        lambda: binary._gather_rows(
            work.W_rows, work.v0_row_bits, rows, H, pre, work.indices, work.v0_row_bits, False
        ),
    )
    clock("P1 dense (BLAS)", lambda: np.matmul(batch, W, out=pre[:rows, :H]))
    binary._gather_rows(
        work.W_rows, work.v0_row_bits, rows, H, pre, work.indices, work.v0_row_bits, False
    )
    p1 = pre.copy()
    clock(
        "hidden states",
        lambda: binary._sample_states(
            pre, hb, True, H, rows, None, work.h0_flags, work.prob_sums, key, 0
        ),
    )
    clock(
        "pack h0 bits",
        lambda: binary._pack_bits(
            work.h0_flags, work.h0_flag_words, rows, H, work.h0_row_bits, work.h0_column_bits
        ),
    )
    h0 = work.h0_states[:rows]
    clock("h0 to floats", lambda: np.copyto(h0, work.h0_flags[:rows, :H]))
    vis = work.visible_pre
    clock("P2 dense (BLAS)", lambda: np.matmul(h0, W.T, out=vis[:rows]))
    clock(
        "W rows for P2 (numpy copy)",
        lambda: np.copyto(work.W_hidden_rows[:H, :n_visible], W.T),
    )
    clock(
        "P2 gather",
        lambda: binary._gather_rows(
            work.W_hidden_rows,
            work.h0_row_bits,
            rows,
            n_visible,
            vis,
            work.indices,
            work.h0_row_bits,
            False,
        ),
    )
    clock(
        "reconstruction",
        lambda: binary._sample_states(
            vis, vb, True, n_visible, rows, None, work.v1_flags, work.prob_sums, key, 0
        ),
    )
    clock(
        "pack v1 bits",
        lambda: binary._pack_bits(
            work.v1_flags,
            work.v1_flag_words,
            rows,
            n_visible,
            work.v1_row_bits,
            work.v1_column_bits,
        ),
    )
    clock(
        "P3 gather",
        lambda: binary._gather_rows(
            work.W_rows, work.v1_row_bits, rows, H, pre, work.indices, work.v1_row_bits, False
        ),
    )

    def p3_from_p1():
        np.copyto(pre, p1)
        binary._gather_rows(
            work.W_rows, work.v1_row_bits, rows, H, pre, work.indices, work.v0_row_bits, True
        )

    clock("copy of P1 (for the next)", lambda: np.copyto(pre, p1))
    clock("P3 from P1 (incl. copy)", p3_from_p1)
    clock(
        "negative hidden",
        lambda: binary._negative_hidden(
            pre,
            hb,
            H,
            rows,
            work.h0_states,
            work.h1_probs,
            work.d_hidden_bias,
            scale,
            work.prob_sums,
        ),
    )
    clock(
        "P5 gather",
        lambda: (
            np.copyto(work.v1_columns, work.v1_column_bits.T),
            binary._gather_rows(
                work.h1_rows,
                work.v1_columns,
                n_visible,
                H,
                work.dW_t,
                work.indices,
                work.v1_columns,
                False,
            ),
        ),
    )
    clock(
        "P5 dense (BLAS)",
        lambda: np.matmul(work.v1_states[:rows].T, work.h1_probs[:rows, :H], out=work.dW_t[:, :H]),
    )
    clock(
        "P4 popcount + combine",
        lambda: binary._weight_gradient(
            work.v0_column_bits,
            work.h0_column_bits,
            work.dW_t,
            rows,
            scale,
            work.counts,
        ),
    )
    both = np.concatenate([batch, batch])
    both_h = np.concatenate([h0, h0])
    clock("P4+P5 fused BLAS (numba)", lambda: np.matmul(both.T, both_h, out=work.positive[:, :H]))
    hb2, hs2, vb2, vs2 = hb.copy(), state.hidden_speed.copy(), vb.copy(), state.visible_speed.copy()
    for label, keep_rows in (("momentum", False), ("momentum + W rows for P2", True)):
        clock(
            label,
            lambda keep_rows=keep_rows: binary._momentum(
                work.W_t, work.W_speed_t, work.dW_t, work.W_hidden_rows, keep_rows, H,
                hb2, hs2, work.d_hidden_bias, vb2, vs2, work.d_visible_bias,
                dtype.type(0.0), dtype.type(0.9),
            ),
        )  # fmt: skip
    v0_ones = sum(int(x).bit_count() for x in work.v0_row_bits[:rows].ravel())
    v1_ones = sum(int(x).bit_count() for x in work.v1_row_bits[:rows].ravel())
    v0_density, v1_density = v0_ones / batch.size, v1_ones / batch.size
    print(f"--- stages, {dtype.name}, µs (ones: v0 {v0_density:.3f}, v1 {v1_density:.3f})")
    for label, micro in timings.items():
        print(f"{label:28} {micro:8.1f}")


def load_backend_file(spec: str) -> str:
    """Register the backend module in FILE (``NAME=FILE``) as backend NAME; return NAME."""
    name, _, path = spec.partition("=")
    if not name or not path:
        raise SystemExit(f"--load wants NAME=FILE, got {spec!r}")
    # Inside rbmperf.backends, so the file's relative imports (.base, .numba_jit) resolve.
    module_name = f"rbmperf.backends._probe_{name}"
    module_spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_name] = module
    module_spec.loader.exec_module(module)
    register_backend(name, module_name)
    return name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="numba,binary")
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--data", default="mnist", help="mnist, half or ones=FRACTION")
    parser.add_argument("--rows", type=int, default=3000, help="rows per timed epoch")
    parser.add_argument("--visible", type=int, default=784)
    parser.add_argument("--hidden", type=int, default=300)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--warm-epochs", type=int, default=1)
    parser.add_argument("--stages", action="store_true", help="per-stage profile only")
    parser.add_argument(
        "--load", action="append", default=[], metavar="NAME=FILE", help="extra backend file"
    )
    args = parser.parse_args()
    for spec in args.load:
        load_backend_file(spec)
    names = [b for b in args.backends.split(",") if b]
    data = probe_data(args.data, args.rows, args.visible)
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        blas = [
            (i["internal_api"], i.get("architecture"), i["num_threads"], i["version"])
            for i in threadpoolctl.threadpool_info()
            if i["user_api"] == "blas"
        ]
        print(f"CPU: {cpu_model()}; BLAS: {blas}")
        print(
            f"data={args.data} V={args.visible} H={args.hidden} B={args.batch} "
            f"rows/epoch={args.rows} repeats={args.repeats} warm-epochs={args.warm_epochs} "
            "clock=process CPU time"
        )
        for dtype_name in (d for d in args.dtypes.split(",") if d):
            dtype = np.dtype(dtype_name)
            X = np.ascontiguousarray(data, dtype=dtype)
            if args.stages:
                stages(dtype, X, args.hidden, args.batch)
                continue
            record = probe(names, dtype, X, args.hidden, args.batch, args.repeats, args.warm_epochs)
            report(dtype_name, record, names)
            for name, state in record["states"].items():
                v0, h0, v1 = densities(state, X, args.batch, dtype)
                print(f"densities after the run ({name}): v0 {v0:.3f}, h0 {h0:.3f}, v1 {v1:.3f}")


if __name__ == "__main__":
    main()
