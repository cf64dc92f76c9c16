"""GPU check of the torch-cuda backend: equivalence on the device, then every GPU target.

One run, a few minutes at most on one GPU (about one on an H200). It prints each check and
target with its figure and PASS / FAIL, writes them all as JSON with ``--json``, and exits 1
if anything failed.

Checks (correctness, on the device):

- ``cd1`` with injected uniforms matches the float64 reference (``tests/reference.py``):
  float64 ≤ 1e-10, float32 ≤ 1e-4 (TF32 off), at the contract's shapes and the blog's;
- an epoch with host synchronisation forbidden (``torch.cuda.set_sync_debug_mode("error")``)
  inside its steps; every step shape captured as a CUDA graph;
- the same seed gives bitwise-identical weights, another seed other weights;
- the reconstruction error after training is within 5% of the numpy backend's.

Targets (issue 13), all float32, all measured in this one run, interleaved, medians:

1. blog shapes (V 784, H 300, B 100): a training step ≤ 1.5× the products-only time per
   step (the five CD-1 products alone, graph-replayed like the step);
2. V 784, H = B = 4096: the step's rate (10·B·V·H flop) ≥ 70% of the float32 peak, the
   best of large square matrix products (TF32 off) measured here;
3. one epoch at N = 42,000 (H 300, B 100) ≤ 0.15 s, wall time with the device
   synchronised at both edges, after a warm-up epoch (graph capture, data moved).

Per-step times are CUDA-event times over many back-to-back steps, each queued exactly as an
epoch queues it (``step_call``: the mini-batch copied into the step's input, the graph
replayed). Also printed, for context: the floor (products + draws), the eager step, and the
same figures in float64.

Usage::

    python scripts/gpu_check.py --json "$OUT/gpu_check.json"
    python scripts/gpu_check.py --device cpu --quick   # rehearse the script without a GPU

``--device cpu`` runs the same code on torch's CPU device with small sizes and no graphs:
its figures mean nothing, it only shows the script runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import rbmperf  # noqa: E402
from rbmperf.backends import TrainingState  # noqa: E402
from rbmperf.backends.torch_backend import (  # noqa: E402
    TorchCudaBackend,
    _FullFloat32Products,
    cuda_unavailable_reason,
)
from rbmperf.sweep.device_floor import DeviceFloorRunner  # noqa: E402
from rbmperf.sweep.runners import BackendRunner, EpochSettings  # noqa: E402

LEARNING_RATE, MOMENTUM = 0.1, 0.9
STEP_TO_PRODUCTS_MAX = 1.5
PEAK_FRACTION_MIN = 0.70
EPOCH_SECONDS_MAX = 0.15


class Timer:
    """Milliseconds per call of back-to-back calls: CUDA events on a GPU, else wall."""

    def __init__(self, device):
        import torch

        self.torch = torch
        self.device = device
        self.cuda = device.type == "cuda"

    def synchronize(self) -> None:
        if self.cuda:
            self.torch.cuda.synchronize(self.device)

    def ms_per_call(self, call, calls: int) -> float:
        self.synchronize()
        if self.cuda:
            start = self.torch.cuda.Event(enable_timing=True)
            end = self.torch.cuda.Event(enable_timing=True)
            start.record()
            for _ in range(calls):
                call()
            end.record()
            end.synchronize()
            return start.elapsed_time(end) / calls
        began = time.perf_counter()
        for _ in range(calls):
            call()
        return (time.perf_counter() - began) * 1e3 / calls


def interleaved(timer: Timer, calls: dict, per_round: int, rounds: int) -> dict[str, float]:
    """Median ms per call of each named call, rounds interleaved (A B C A B C ...)."""
    for call in calls.values():  # warm-up: first replays, lazy initialisation
        timer.ms_per_call(call, 3)
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            samples[name].append(timer.ms_per_call(call, per_round))
    return {name: statistics.median(values) for name, values in samples.items()}


def fresh_state(n_visible: int, n_hidden: int, dtype: str) -> TrainingState:
    start = rbmperf.initial_rbm(n_visible, n_hidden, dtype=dtype)
    return TrainingState.starting_from(start.W, start.hidden_bias, start.visible_bias)


def batch_of(rows: int, n_visible: int, dtype: str) -> np.ndarray:
    rng = np.random.default_rng(0)
    return ((rng.random((rows, n_visible)) < 0.19) * rng.random((rows, n_visible))).astype(dtype)


class Report:
    def __init__(self):
        self.items: list[dict] = []

    def add(self, kind: str, name: str, passed: bool | None, text: str, **figures) -> None:
        passed = None if passed is None else bool(passed)
        verdict = "    " if passed is None else ("PASS" if passed else "FAIL")
        print(f"[{verdict}] {kind:6s} {name}: {text}", flush=True)
        self.items.append({"kind": kind, "name": name, "passed": passed, "text": text, **figures})

    @property
    def failed(self) -> bool:
        return any(item["passed"] is False for item in self.items)


def check_equivalence(report: Report, device: str) -> None:
    from reference import reference_cd1
    from test_backend_contract import random_problem, relative_error

    backend = TorchCudaBackend(device)
    for shape in ((40, 24, 17), (784, 300, 100)):
        for dtype, tolerance in (("float64", 1e-10), ("float32", 1e-4)):
            problem = random_problem(*shape, dtype=np.dtype(dtype))
            errors = [
                relative_error(actual.astype(np.float64), wanted)
                for actual, wanted in zip(
                    backend.cd1(*problem), reference_cd1(*problem), strict=True
                )
            ]
            worst = max(errors)
            report.add(
                "check",
                f"cd1 {dtype} V={shape[0]} H={shape[1]} B={shape[2]}",
                worst <= tolerance,
                f"largest relative error {worst:.2e} (≤ {tolerance:g})",
                error=worst,
            )


def check_epochs(report: Report, device: str) -> None:
    from conftest import structured_data

    backend = TorchCudaBackend(device)
    if backend._on_cuda():
        backend.sync_debug_mode = "error"
    X = structured_data(1050).astype(np.float32)
    states = [fresh_state(64, 16, "float32") for _ in range(3)]
    seeds = (3, 3, 4)
    try:
        for state, seed in zip(states, seeds, strict=True):
            backend.run_epoch(state, X, 100, LEARNING_RATE, MOMENTUM, np.random.default_rng(seed))
        no_sync = True, "no host synchronisation inside the steps (sync debug mode 'error')"
    except RuntimeError as error:
        no_sync = False, f"an epoch synchronised with the host: {error}"
    report.add("check", "epoch without host synchronisation", *no_sync)
    statuses = sorted(set(backend.graph_status.values())) or ["no graphs (not a CUDA device)"]
    report.add(
        "check",
        "steps captured as CUDA graphs",
        statuses == ["captured"] if backend._on_cuda() else None,
        f"{len(backend.graph_status)} step shapes: {', '.join(statuses)}",
    )
    same = np.array_equal(states[0].W, states[1].W)
    other = not np.array_equal(states[0].W, states[2].W)
    report.add(
        "check",
        "reproducible per seed",
        same and other,
        f"same seed identical: {same}; another seed differs: {other}",
    )
    data = structured_data(600)
    model = rbmperf.train_rbm(data, 32, backend=TorchCudaBackend(device), epochs=5, batch_size=20)
    reference = rbmperf.train_rbm(data, 32, backend="numpy", epochs=5, batch_size=20)
    error, wanted = model.reconstruction_error(data), reference.reconstruction_error(data)
    report.add(
        "check",
        "trains like the numpy backend",
        abs(error - wanted) <= 0.05 * error,
        f"reconstruction error {error:.5f} vs numpy {wanted:.5f} (within 5%)",
    )


def step_figures(timer: Timer, device: str, n_visible, n_hidden, rows, dtype, per_round, rounds):
    """Median ms per step: graph step, eager step, products only, floor (products + draws)."""
    settings = EpochSettings(batch_size=rows, n_hidden=n_hidden)
    batch = batch_of(rows, n_visible, dtype)
    calls = {
        "step": TorchCudaBackend(device).step_call(
            fresh_state(n_visible, n_hidden, dtype), batch, LEARNING_RATE, MOMENTUM
        ),
        "eager step": TorchCudaBackend(device, graphs=False).step_call(
            fresh_state(n_visible, n_hidden, dtype), batch, LEARNING_RATE, MOMENTUM
        ),
        "products": DeviceFloorRunner(device, draws=False).step_call(batch, settings),
        "floor": DeviceFloorRunner(device).step_call(batch, settings),
    }
    return interleaved(timer, calls, per_round, rounds)


def matmul_peak(timer: Timer, sizes, dtype: str, flop_per_sample: float) -> tuple[float, int]:
    """Best TFLOP/s of square products (full precision) over `sizes`, and its size."""
    import torch

    best = (0.0, 0)
    torch_type = {"float32": torch.float32, "float64": torch.float64}[dtype]
    with _FullFloat32Products():
        for size in sizes:
            a = torch.rand(size, size, dtype=torch_type, device=timer.device)
            b = torch.rand(size, size, dtype=torch_type, device=timer.device)
            out = torch.empty_like(a)
            calls = max(2, int(flop_per_sample // (2 * size**3)))
            ms = statistics.median(
                timer.ms_per_call(lambda a=a, b=b, out=out: torch.mm(a, b, out=out), calls)
                for _ in range(3)
            )
            best = max(best, (2 * size**3 / (ms * 1e-3) / 1e12, size))
            del a, b, out
    return best


def epoch_seconds(timer: Timer, device: str, n: int, repeats: int) -> dict[str, float]:
    """Median wall seconds of one epoch (device synchronised at both edges), and the floor's."""
    from rbmperf.data import synthetic_mnist

    X = synthetic_mnist(n, seed=0, dtype="float32")[0]
    settings = EpochSettings()
    runners = {
        "epoch": BackendRunner(TorchCudaBackend(device)),
        "floor epoch": DeviceFloorRunner(device),
    }
    for runner in runners.values():  # warm-up: graph capture, data moved to the device
        runner.prepare(np.dtype("float32"))
        runner.setup(X, settings)()
    samples: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(repeats):
        for name, runner in runners.items():
            epoch = runner.setup(X, settings)  # ends with the device idle
            began = time.perf_counter()
            epoch()  # ends with a synchronize
            samples[name].append(time.perf_counter() - began)
    return {name: statistics.median(values) for name, values in samples.items()}


def measure_targets(report: Report, device: str, quick: bool) -> None:
    import torch

    timer = Timer(torch.device(device))
    per_round, rounds = (5, 3) if quick else (200, 7)

    for dtype in ("float32", "float64"):
        ms = step_figures(timer, device, 784, 300, 100, dtype, per_round, rounds)
        ratio = ms["step"] / ms["products"]
        report.add(
            "target" if dtype == "float32" else "info",
            f"blog shapes {dtype}: step / products-only",
            ratio <= STEP_TO_PRODUCTS_MAX if dtype == "float32" else None,
            f"step {ms['step']:.4f} ms, products {ms['products']:.4f} ms -> {ratio:.2f}× "
            f"(≤ {STEP_TO_PRODUCTS_MAX}); floor (products + draws) {ms['floor']:.4f} ms, "
            f"eager step {ms['eager step']:.4f} ms ({ms['eager step'] / ms['products']:.1f}×)",
            ms=ms,
            ratio=ratio,
        )

    big = 256 if quick else 4096
    ms = step_figures(timer, device, 784, big, big, "float32", max(2, per_round // 20), rounds)
    flop = 10 * big * 784 * big
    step_tflops = flop / (ms["step"] * 1e-3) / 1e12
    products_tflops = flop / (ms["products"] * 1e-3) / 1e12
    sizes = (256, 512) if quick else (4096, 8192, 16384)
    peak, peak_size = matmul_peak(timer, sizes, "float32", 2e9 if quick else 2e12)
    fraction = step_tflops / peak
    report.add(
        "target",
        f"V=784 H=B={big} float32: step rate / float32 peak",
        fraction >= PEAK_FRACTION_MIN,
        f"step {ms['step']:.3f} ms = {step_tflops:.1f} TFLOP/s; products alone "
        f"{products_tflops:.1f} TFLOP/s ({ms['step'] / ms['products']:.2f}×); peak "
        f"{peak:.1f} TFLOP/s ({peak_size}² products, TF32 off) -> {fraction:.0%} "
        f"(≥ {PEAK_FRACTION_MIN:.0%})",
        ms=ms,
        step_tflops=step_tflops,
        peak_tflops=peak,
        fraction=fraction,
    )

    n = 4200 if quick else 42000
    seconds = epoch_seconds(timer, device, n, 2 if quick else 5)
    report.add(
        "target",
        f"one epoch at N={n:,} float32",
        seconds["epoch"] <= EPOCH_SECONDS_MAX,
        f"{seconds['epoch']:.4f} s (≤ {EPOCH_SECONDS_MAX} s); device floor epoch "
        f"{seconds['floor epoch']:.4f} s -> {seconds['epoch'] / seconds['floor epoch']:.2f}× floor",
        seconds=seconds,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda", help="torch device (default cuda)")
    parser.add_argument("--quick", action="store_true", help="small sizes (rehearsal)")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)
    began = time.perf_counter()

    import torch

    if args.device.startswith("cuda"):
        reason = cuda_unavailable_reason()
        if reason is not None:
            print(f"gpu_check: torch-cuda is unavailable here: {reason}")
            return 2
        torch.cuda.init()
    device_name = TorchCudaBackend(args.device).device_name()
    print(f"gpu_check on {device_name}; torch {torch.__version__}; rbmperf {ROOT}")
    if not args.device.startswith("cuda"):
        print("(not a CUDA device: a rehearsal of the script; the figures mean nothing)")
        torch.set_num_threads(1)
    report = Report()
    check_equivalence(report, args.device)
    check_epochs(report, args.device)
    measure_targets(report, args.device, args.quick)
    seconds = time.perf_counter() - began
    print(f"gpu_check: {'FAILED' if report.failed else 'all passed'} in {seconds:.0f} s")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(
            json.dumps(
                {
                    "device": device_name,
                    "torch": torch.__version__,
                    "seconds": seconds,
                    "results": report.items,
                },
                indent=2,
                default=float,
            )
        )
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
