"""How the order of measurement turns drift into a tilted slope: blocks against rounds.

A linear kernel (``sum`` over a list of n floats) is timed at 5 sizes over a ×16 range,
5 repeats a size, in two orders:

- ``blocks``: sizes ascending, all repeats of a size before the next (the old order);
- ``rounds``: every size once per round, the first round ascending, then alternately
  descending and ascending (:mod:`rbmperf.engine.rounds`, the engine's order).

Each run is done quiet and under a *ramp*: two busy processes (this machine has 2 cores,
so with this one three compete) whose duty cycle rises from 0 to 100% over the run: a slow
change of the machine's speed as this process sees it, the drift the order must not turn
into a slope. The exponent is fitted with :func:`rbmperf.fit_growth` on both clocks.
Prints mean and spread of k per order, clock and condition, and the CPU it ran on.

Usage::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python scripts/drift_order.py --runs 10
"""

from __future__ import annotations

import argparse
import multiprocessing
import platform
import statistics
import time

from rbmperf.engine.clocks import timed
from rbmperf.engine.rounds import round_order
from rbmperf.stats.growth import fit_growth

SIZES = (20_000, 40_000, 80_000, 160_000, 320_000)
REPEATS = 5
CALLS = 40  # calls per timed region: 10-160 ms of work, a run of about 2 s


def _ramp(seconds: float, stop: multiprocessing.Event) -> None:
    """Busy for a growing share of each 50 ms slice: 0% at the start, 100% at the end."""
    began = time.perf_counter()
    while not stop.is_set():
        elapsed = time.perf_counter() - began
        duty = min(1.0, elapsed / seconds)
        slice_end = time.perf_counter() + 0.05
        busy_until = time.perf_counter() + 0.05 * duty
        while time.perf_counter() < busy_until:
            pass
        while time.perf_counter() < slice_end and not stop.is_set():
            time.sleep(0.005)


def _order(kind: str) -> list[int]:
    if kind == "blocks":
        return [n for n in SIZES for _ in range(REPEATS)]
    return [n for r in range(REPEATS) for n in round_order(SIZES, r)]


def _one_run(kind: str, data: dict[int, list[float]]) -> dict[str, float]:
    points: list[tuple[int, float, float]] = []
    for n in _order(kind):
        values = data[n]
        wall, cpu = timed(lambda values=values: [sum(values) for _ in range(CALLS)])
        points.append((n, wall / CALLS, cpu / CALLS))
    sizes = [p[0] for p in points]
    return {
        "wall": fit_growth(sizes, [p[1] for p in points]).exponent,
        "cpu": fit_growth(sizes, [p[2] for p in points]).exponent,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="runs per order and condition")
    args = parser.parse_args()
    data = {n: [float(i % 7) for i in range(n)] for n in SIZES}
    _one_run("rounds", data)  # warm-up
    duration = statistics.median([timed(lambda: _one_run("blocks", data))[0] for _ in range(2)])
    results: dict[tuple[str, str, str], list[float]] = {}
    for condition in ("quiet", "ramp"):
        for _ in range(args.runs):
            for kind in ("blocks", "rounds"):
                stop = multiprocessing.Event()
                loads = []
                if condition == "ramp":
                    loads = [
                        multiprocessing.Process(target=_ramp, args=(duration, stop))
                        for _ in range(2)
                    ]
                    for load in loads:
                        load.start()
                try:
                    fitted = _one_run(kind, data)
                finally:
                    stop.set()
                    for load in loads:
                        load.join(timeout=2)
                        if load.is_alive():
                            load.terminate()
                for clock, k in fitted.items():
                    results.setdefault((condition, kind, clock), []).append(k)
    cpu_model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            lines = info.read().splitlines()
        cpu_model = next(line.split(":", 1)[1].strip() for line in lines if "model name" in line)
        avx512 = any("avx512f" in line for line in lines if line.startswith("flags"))
    except (OSError, StopIteration):
        avx512 = False
    print(f"CPU: {cpu_model} (avx512f: {'yes' if avx512 else 'no'}); run ≈ {duration:.2f} s")
    print(
        f"{'condition':<9} {'order':<7} {'clock':<5} {'mean k':>7} {'sd':>6} {'min':>6} {'max':>6}"
    )
    for (condition, kind, clock), values in sorted(results.items()):
        print(
            f"{condition:<9} {kind:<7} {clock:<5} {statistics.mean(values):7.3f} "
            f"{statistics.stdev(values) if len(values) > 1 else 0:6.3f} "
            f"{min(values):6.3f} {max(values):6.3f}"
        )


if __name__ == "__main__":
    main()
