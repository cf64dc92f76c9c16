"""CI's backend comparison: ratios and growth verdicts measured in one run.

No absolute time is asserted anywhere: the machine, its load and its BLAS differ between
runs, but within one interleaved run the backends share them, so ratios between backends
hold. Epochs are timed in process CPU time, which other processes' load barely moves (see
``backend_timing``). The margins are several times the noise measured here:

- at N = 4,000 the numpy and numba backends are each at least 10× faster than the naive one
  (the naive epoch is O(N²); the measured ratio is about 30–45×);
- the naive backend's growth verdict is "superlinear" (its fitted exponent is about 2) and
  the others' "linear" (exponent within [0.85, 1.15] at 95% confidence);
- numba is no slower than 1.3× numpy (measured 0.8–1.1×).

A backend made 20× slower fails the first check (for numpy or numba) or the last (numba).

These run in CI (``.ci/run``) and on request; the plain test run skips them (they take
about a minute): set ``RBMPERF_RATIO_CHECKS=1``.
"""

from __future__ import annotations

import os

import pytest
from backend_timing import DTYPE, EpochRunner, digits, interleaved_epoch_seconds, median_at
from threadpoolctl import threadpool_limits

import rbmperf

pytestmark = pytest.mark.skipif(
    os.environ.get("RBMPERF_RATIO_CHECKS") != "1",
    reason="backend ratio checks run in CI; set RBMPERF_RATIO_CHECKS=1 to run them",
)

RATIO_SIZE = 4000
# Sizes of the growth sweeps. The fast backends start at 2,000 so that fixed per-epoch costs
# do not bend the curve (the fit uses the largest four sizes); the naive one stops at
# 4,000 (about 4 s an epoch).
LINEAR_SIZES = (2000, 4000, 8000, 16000, 32000)
NAIVE_SIZES = (500, 1000, 2000, 4000)
FAST_REPEATS = 5
NAIVE_REPEATS = 3

MIN_SPEEDUP_OVER_NAIVE = 10.0
MAX_NUMBA_OVER_NUMPY = 1.3


@pytest.fixture(scope="module")
def epoch_seconds() -> dict[str, tuple[list[int], list[float]]]:
    """One interleaved measurement of every backend, shared by all checks below."""
    missing = {"naive", "numpy", "numba"} - set(rbmperf.available_backends())
    if missing:
        pytest.fail(f"backends not available: {sorted(missing)}")
    data = digits(max(LINEAR_SIZES), DTYPE)
    sizes = {"naive": NAIVE_SIZES, "numpy": LINEAR_SIZES, "numba": LINEAR_SIZES}
    repeats = {"naive": NAIVE_REPEATS, "numpy": FAST_REPEATS, "numba": FAST_REPEATS}
    with threadpool_limits(1, user_api="blas"):
        runners = {name: EpochRunner(name, DTYPE, data[: min(sizes[name])]) for name in sizes}
        return interleaved_epoch_seconds(runners, sizes, repeats, data)


def _median(epoch_seconds, name: str) -> float:
    return median_at(*epoch_seconds[name], RATIO_SIZE)


@pytest.mark.parametrize("fast", ["numpy", "numba"])
def test_fast_backends_beat_naive_tenfold(epoch_seconds, fast: str) -> None:
    speedup = _median(epoch_seconds, "naive") / _median(epoch_seconds, fast)
    print(f"N = {RATIO_SIZE:,}: {fast} is {speedup:.1f}× faster than naive")
    assert speedup >= MIN_SPEEDUP_OVER_NAIVE, (
        f"{fast} is only {speedup:.1f}× faster than naive at N = {RATIO_SIZE:,} "
        f"(need ≥ {MIN_SPEEDUP_OVER_NAIVE:g}×)"
    )


def test_numba_no_slower_than_numpy(epoch_seconds) -> None:
    ratio = _median(epoch_seconds, "numba") / _median(epoch_seconds, "numpy")
    print(f"N = {RATIO_SIZE:,}: numba / numpy time = {ratio:.2f}")
    assert ratio <= MAX_NUMBA_OVER_NUMPY, (
        f"numba takes {ratio:.2f}× numpy's time at N = {RATIO_SIZE:,} "
        f"(allowed ≤ {MAX_NUMBA_OVER_NUMPY:g}×)"
    )


@pytest.mark.parametrize(
    ("backend_name", "expected"),
    [("naive", "superlinear"), ("numpy", "linear"), ("numba", "linear")],
)
def test_growth_verdict(epoch_seconds, backend_name: str, expected: str) -> None:
    fit = rbmperf.fit_growth(*epoch_seconds[backend_name])
    print(f"{backend_name}: {fit.describe()}")
    assert fit.verdict == expected, (
        f"{backend_name}: expected {expected} growth, got {fit.verdict} "
        f"(k = {fit.exponent:.2f}, CI [{fit.ci_low:.2f}, {fit.ci_high:.2f}]; {fit.reason})"
    )
