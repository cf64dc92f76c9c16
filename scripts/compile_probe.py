"""Cold and cached compile time of just-in-time backends, each in a fresh process.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python scripts/compile_probe.py
    .venv/bin/python scripts/compile_probe.py --backends binary --dtypes float32 --kernels
    .venv/bin/python scripts/compile_probe.py --backends numba,binary,old \
        --register old=rbmperf.backends._old_copy     # A/B against a copy of an old version
    .venv/bin/python scripts/compile_probe.py --sample-data true,false  # both settings

For each repeat, dtype, ``sample_data`` setting and backend (interleaved in that order), a
new interpreter runs ``get_backend(name).prepare(dtype, sample_data=...)`` (plain
``prepare(dtype)`` for the default, True, and for an old version without the keyword, which
then compiles whatever it did) with ``NUMBA_CACHE_DIR`` pointing at a new empty folder
(*cold*: what a user's first run costs), then a second new interpreter does the same with
that folder now filled (*cached*). Printed per run, in CPU seconds: ``prepare`` (the CPU
time of the ``prepare`` call inside the child) and ``process`` (the child's whole CPU time:
also starting Python and importing numpy, numba and rbmperf). ``--kernels`` also lists the
seconds numba spent compiling each function of the cold run (numba's ``numba:compile``
events; nested functions count inside their callers too). At the end, each other backend's
cold ``prepare`` divided by the first backend's of the same repeat, dtype and setting
(median over the repeats, and the range).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile

_CHILD = r"""
import inspect, json, sys, time
from numba.core import event
listening = event.install_recorder("numba:compile")
recorder = listening.__enter__()
import numpy as np
import rbmperf
from rbmperf.backends import register_backend
for pair in sys.argv[4:]:
    name, module = pair.split("=", 1)
    register_backend(name, module)
backend = rbmperf.get_backend(sys.argv[1])
began = time.process_time()
# Plain prepare(dtype) for the default, or for an old version without the keyword.
if sys.argv[3] == "true" or "sample_data" not in inspect.signature(backend.prepare).parameters:
    backend.prepare(np.dtype(sys.argv[2]))
else:
    backend.prepare(np.dtype(sys.argv[2]), sample_data=False)
seconds = time.process_time() - began
listening.__exit__(None, None, None)
starts, kernels = {}, {}
for stamp, ev in recorder.buffer:
    name = str(ev.data["dispatcher"].py_func.__qualname__) + str(ev.data["args"])
    if ev.is_start:
        starts[name] = stamp
    elif name in starts:
        kernels[name] = kernels.get(name, 0.0) + stamp - starts.pop(name)
print(json.dumps({"prepare": seconds, "kernels": kernels}))
"""


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(
    backend: str, dtype: str, sample_data: str, cache_dir: str, register: list[str]
) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    before = _child_cpu()
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, backend, dtype, sample_data, *register],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["process"] = _child_cpu() - before
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="numba,binary")
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument(
        "--sample-data",
        default="true",
        help="prepare(..., sample_data=...) settings, comma-separated: true, false or both",
    )
    parser.add_argument("--kernels", action="store_true", help="per-function compile seconds")
    parser.add_argument(
        "--register",
        action="append",
        default=[],
        metavar="NAME=MODULE",
        help="register another backend module first (an old version, side by side)",
    )
    args = parser.parse_args()
    backends = args.backends.split(",")
    dtypes = args.dtypes.split(",")
    settings = args.sample_data.split(",")
    if not set(settings) <= {"true", "false"}:
        parser.error("--sample-data takes true, false or true,false")
    table: dict[tuple[str, str, str, str], list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="rbmperf-compile-") as root:
        for repeat in range(args.repeats):
            # The backends of one dtype and setting next to each other: their ratio sees
            # the same load from other jobs.
            for dtype, sample, backend in itertools.product(dtypes, settings, backends):
                cache = os.path.join(root, f"{backend}-{dtype}-{sample}-{repeat}")
                cold = run_once(backend, dtype, sample, cache, args.register)
                cached = run_once(backend, dtype, sample, cache, args.register)
                table.setdefault((backend, dtype, sample, "cold"), []).append(cold)
                table.setdefault((backend, dtype, sample, "cached"), []).append(cached)
                print(
                    f"repeat {repeat} {backend:7} {dtype} sample_data={sample:5}: cold "
                    f"prepare {cold['prepare']:.2f} s (process {cold['process']:.2f} s); "
                    f"cached prepare {cached['prepare']:.2f} s "
                    f"(process {cached['process']:.2f} s)",
                    flush=True,
                )
                if args.kernels:
                    ranked = sorted(cold["kernels"].items(), key=lambda kv: -kv[1])
                    for name, seconds in ranked:
                        print(f"    {seconds:6.2f} s  {name[:110]}")
    print("\nmedian CPU seconds (prepare / whole process):")
    for (backend, dtype, sample, kind), runs in table.items():
        prepare = statistics.median(r["prepare"] for r in runs)
        process = statistics.median(r["process"] for r in runs)
        where = f"{backend:7} {dtype} sample_data={sample:5} {kind:6}"
        print(f"  {where}: {prepare:.2f} / {process:.2f}")
    reference = backends[0]
    print(f"\ncold prepare / {reference}'s of the same repeat: median (range)")
    for backend in backends[1:]:
        for dtype in dtypes:
            for sample in settings:
                ratios = [
                    run["prepare"] / base["prepare"]
                    for run, base in zip(
                        table[backend, dtype, sample, "cold"],
                        table[reference, dtype, sample, "cold"],
                        strict=True,
                    )
                ]
                print(
                    f"  {backend:7} {dtype} sample_data={sample:5}: "
                    f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})"
                )


if __name__ == "__main__":
    main()
