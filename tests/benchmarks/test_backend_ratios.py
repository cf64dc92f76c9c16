"""CI's backend comparison: ratios and growth verdicts measured in one run.

No absolute time is asserted anywhere: the machine, its load and its BLAS differ between
runs, but within one interleaved run the backends share them, so ratios between backends
hold. Epochs are timed in process CPU time, which other processes' load barely moves
(:mod:`rbmperf.sweep.runners`). Every available backend in the registry is checked, so a
new backend is checked with no edit here. The margins are several times the noise measured
here:

- at N = 4,000 every backend but the naive one is at least 10× faster than the naive one
  (the naive epoch is O(N²); the measured ratio is about 30–55×);
- the naive backend's growth verdict is "superlinear" (its fitted exponent is about 2) and
  every other backend's "linear" (:func:`rbmperf.fit_growth`'s decision rule), or at
  least "inconclusive" with its exponent inside the linear band (a noisy run);
- numba is no slower than 1.3× numpy (measured 0.8–1.1×);
- binary is at least 10% faster than numba on the MNIST-like data (≤ 0.9× its time;
  measured 0.55–0.65×);
- in a separate small interleaved measurement at N = 4,000 on data with 50% non-zero
  pixels (``synthetic_mnist(..., density=0.5)``: v0 about 30% ones, above binary's gather
  limits), binary is no more than 15% slower than numba (≤ 1.15×; measured 0.89–1.06×;
  the issue's 10% is the target, the margin is for one noisy CI run).

A backend made 20× slower fails the first check (or the ratio checks, for numba and binary).

These run in CI (``.ci/run``) and on request; the plain test run skips them (they take
about a minute): set ``RBMPERF_RATIO_CHECKS=1``.
"""

from __future__ import annotations

import os

import pytest
from threadpoolctl import threadpool_limits

import rbmperf
from rbmperf.data import synthetic_mnist
from rbmperf.stats.growth import LINEAR_BAND
from rbmperf.sweep.runners import interleaved_epoch_seconds, median_at

pytestmark = pytest.mark.skipif(
    os.environ.get("RBMPERF_RATIO_CHECKS") != "1",
    reason="backend ratio checks run in CI; set RBMPERF_RATIO_CHECKS=1 to run them",
)

DTYPE = "float32"
REFERENCE = "naive"
RATIO_SIZE = 4000
# Sizes of the growth sweeps. The fast backends start at 2,000 so that fixed per-epoch costs
# do not bend the curve (the fit uses the largest four sizes); the naive one stops at
# 4,000 (about 4 s an epoch).
LINEAR_SIZES = (2000, 4000, 8000, 16000, 32000)
NAIVE_SIZES = (500, 1000, 2000, 4000)
FAST_REPEATS = 5
NAIVE_REPEATS = 3

MIN_SPEEDUP_OVER_NAIVE = 10.0
# (backend, reference, most time allowed as a multiple of the reference's)
MAX_TIME_RATIOS = [("numba", "numpy", 1.3), ("binary", "numba", 0.9)]
# The same at 50% non-zero pixels: where the binary backend's kernels stop paying, it must
# cost no more than the dense path it falls back to.
DENSE_DATA_DENSITY = 0.5
DENSE_DATA_REPEATS = 9
# The issue asks for ≤ 1.1; measured 0.89–1.06 over five runs here, with per-epoch CPU time
# varying ±20% on the AMD machine at the time. 1.15 keeps a single CI run from failing on
# noise while still catching a binary path that stays on at high density (≈ 1.5× numba).
DENSE_DATA_RATIOS = [("binary", "numba", 1.15)]

FAST_BACKENDS = [name for name in rbmperf.available_backends() if name != REFERENCE]


@pytest.fixture(scope="module")
def epoch_seconds() -> dict[str, tuple[list[int], list[float]]]:
    """One interleaved measurement of every available backend, shared by all checks below."""
    if REFERENCE not in rbmperf.available_backends():
        pytest.fail(f"the reference backend {REFERENCE!r} is not available")
    data = synthetic_mnist(max(LINEAR_SIZES), seed=0, dtype=DTYPE)[0]
    sizes = {REFERENCE: NAIVE_SIZES, **{name: LINEAR_SIZES for name in FAST_BACKENDS}}
    repeats = {REFERENCE: NAIVE_REPEATS, **{name: FAST_REPEATS for name in FAST_BACKENDS}}
    with threadpool_limits(1, user_api="blas"):
        return interleaved_epoch_seconds({name: name for name in sizes}, sizes, repeats, data)


@pytest.fixture(scope="module")
def dense_data_seconds() -> dict[str, tuple[list[int], list[float]]]:
    """One small interleaved measurement at N = RATIO_SIZE on 50%-density data."""
    names = sorted({name for pair in DENSE_DATA_RATIOS for name in pair[:2]})
    names = [name for name in names if name in rbmperf.available_backends()]
    data = synthetic_mnist(RATIO_SIZE, seed=0, dtype=DTYPE, density=DENSE_DATA_DENSITY)[0]
    sizes = {name: (RATIO_SIZE,) for name in names}
    repeats = dict.fromkeys(names, DENSE_DATA_REPEATS)
    with threadpool_limits(1, user_api="blas"):
        return interleaved_epoch_seconds({name: name for name in names}, sizes, repeats, data)


def _median(epoch_seconds, name: str) -> float:
    return median_at(*epoch_seconds[name], RATIO_SIZE)


@pytest.mark.parametrize("fast", FAST_BACKENDS)
def test_fast_backends_beat_naive_tenfold(epoch_seconds, fast: str) -> None:
    speedup = _median(epoch_seconds, REFERENCE) / _median(epoch_seconds, fast)
    print(f"N = {RATIO_SIZE:,}: {fast} is {speedup:.1f}× faster than {REFERENCE}")
    assert speedup >= MIN_SPEEDUP_OVER_NAIVE, (
        f"{fast} is only {speedup:.1f}× faster than {REFERENCE} at N = {RATIO_SIZE:,} "
        f"(need ≥ {MIN_SPEEDUP_OVER_NAIVE:g}×)"
    )


@pytest.mark.parametrize(("backend_name", "reference", "allowed"), MAX_TIME_RATIOS)
def test_time_ratio_within_allowance(epoch_seconds, backend_name, reference, allowed) -> None:
    if backend_name not in epoch_seconds or reference not in epoch_seconds:
        pytest.skip(f"{backend_name} or {reference} is not available here")
    ratio = _median(epoch_seconds, backend_name) / _median(epoch_seconds, reference)
    print(f"N = {RATIO_SIZE:,}: {backend_name} / {reference} time = {ratio:.2f}")
    assert ratio <= allowed, (
        f"{backend_name} takes {ratio:.2f}× {reference}'s time at N = {RATIO_SIZE:,} "
        f"(allowed ≤ {allowed:g}×)"
    )


@pytest.mark.parametrize(("backend_name", "reference", "allowed"), DENSE_DATA_RATIOS)
def test_time_ratio_on_dense_data_within_allowance(
    dense_data_seconds, backend_name, reference, allowed
) -> None:
    if backend_name not in dense_data_seconds or reference not in dense_data_seconds:
        pytest.skip(f"{backend_name} or {reference} is not available here")
    ratio = _median(dense_data_seconds, backend_name) / _median(dense_data_seconds, reference)
    where = f"N = {RATIO_SIZE:,}, {DENSE_DATA_DENSITY:.0%} non-zero pixels"
    print(f"{where}: {backend_name} / {reference} time = {ratio:.2f}")
    assert ratio <= allowed, (
        f"{backend_name} takes {ratio:.2f}× {reference}'s time at {where} (allowed ≤ {allowed:g}×)"
    )


def test_reference_growth_is_superlinear(epoch_seconds) -> None:
    fit = rbmperf.fit_growth(*epoch_seconds[REFERENCE])
    print(f"{REFERENCE}: {fit.describe()}")
    assert fit.verdict == "superlinear", (
        f"{REFERENCE}: expected superlinear growth, got {fit.verdict} "
        f"(k = {fit.exponent:.2f}, CI [{fit.ci_low:.2f}, {fit.ci_high:.2f}]; {fit.reason})"
    )


@pytest.mark.parametrize("backend_name", FAST_BACKENDS)
def test_fast_backend_growth_is_linear(epoch_seconds, backend_name: str) -> None:
    # "linear" needs the whole interval inside the band; on a shared CI machine a noisy
    # backend's interval can straddle its edge (torch: k = 1.03 [0.97, 1.17] once, with
    # other jobs on both cores). Such a run fails only if the growth is shown superlinear
    # (interval above the band) or the exponent itself leaves the band; a backend that
    # slides to the naive one's k ≈ 2 fails either way.
    fit = rbmperf.fit_growth(*epoch_seconds[backend_name])
    low, high = LINEAR_BAND
    print(f"{backend_name}: {fit.describe()}")
    consistent = fit.verdict == "inconclusive" and low <= fit.exponent <= high
    assert fit.verdict == "linear" or consistent, (
        f"{backend_name}: expected linear growth, got {fit.verdict} "
        f"(k = {fit.exponent:.2f}, CI [{fit.ci_low:.2f}, {fit.ci_high:.2f}]; {fit.reason})"
    )
