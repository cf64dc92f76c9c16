"""CI's backend comparison: ratios measured in one interleaved run, and growth checks.

No absolute time is asserted anywhere: the machine, its load and its BLAS differ between
runs, but within one interleaved run the backends share them, so ratios between backends
hold. Epochs are timed in process CPU time, which other processes' load barely moves
(:mod:`rbmperf.sweep.runners`). Every available backend in the registry is checked, so a
new backend is checked with no edit here. The margins are several times the noise measured
here:

- at N = 4,000 every backend but the naive one is at least 10× faster than the naive one
  (the naive epoch is O(N²); the measured ratio is about 30–55×);
- numba is no slower than 1.3× numpy (measured 0.8–1.1×);
- binary is at least 10% faster than numba on the MNIST-like data (≤ 0.9× its time;
  measured 0.55–0.65×);
- in a separate small interleaved measurement at N = 4,000 on data with 50% non-zero
  pixels (``synthetic_mnist(..., density=0.5)``: v0 about 30% ones, above binary's gather
  limits), binary is no more than 15% slower than numba (≤ 1.15×; measured 0.89–1.06×;
  the issue's 10% is the target, the margin is for one noisy CI run).

The growth checks use rbmperf's own pytest plugin (the ``growth`` fixture, which marks
them ``growth``; its summary table closes the run): one epoch of a backend is timed at
each size from the state the sweep times it in (:class:`rbmperf.sweep.runners.BackendRunner`:
fresh parameters, or steady state for binary), and

- every backend but the naive one passes ``time="linear"`` (the interval of its exponent
  lies at or below 1.15);
- the naive one fails it with :class:`rbmperf.GrowthAssertionError` (its interval lies
  wholly above 1.15: the epoch is O(N²), k ≈ 2); an undecided check fails the test too.

Each check measures until its interval lies on one side of the bound, within its own
budget (:data:`FAST_BUDGET`, :data:`NAIVE_BUDGET`; ``--growth-budget`` does not apply).

A backend made 20× slower fails the first check (or the ratio checks, for numba and binary).

These run in CI (``.ci/run``) and on request; the plain test run skips them (they take
about a minute): set ``RBMPERF_RATIO_CHECKS=1``. ``-m growth`` runs only the growth checks,
``-m "not growth"`` only the ratios.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import rbmperf
from rbmperf.data import synthetic_mnist
from rbmperf.sweep.runners import (
    EpochSettings,
    as_runner,
    interleaved_epoch_seconds,
    median_at,
    prepare_runner,
)

pytestmark = pytest.mark.skipif(
    os.environ.get("RBMPERF_RATIO_CHECKS") != "1",
    reason="backend ratio checks run in CI; set RBMPERF_RATIO_CHECKS=1 to run them",
)

DTYPE = "float32"
REFERENCE = "naive"
RATIO_SIZE = 4000
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

# Sizes of the growth checks. The fit uses the largest four of five sizes, so a fast
# backend's exponent comes from 2,000–16,000 rows, where fixed per-epoch costs do not bend
# the curve (the smallest size is cheap and steadies the budget's predictions). A round
# of every size costs about 1.3 s for numpy, numba and torch here, 0.3 s for binary.
FAST_SIZES = (1000, 2000, 4000, 8000, 16000)
# The naive epoch is O(N²): about 1.2 s at 1,600 rows, so a round costs about 2.4 s. Its
# fixed costs flatten the smallest sizes (k ≈ 1.7 from 200 to 400 rows, 2 above): the fit
# may find a bend there and judge only the sizes above it, so seven sizes leave four or more
# above a bend at the small end (with 250–2,000 a bend once left three, too few for the
# rule of the time: undecided). Multiples of the batch of 100, so that every epoch's N/100
# steps are whole.
NAIVE_SIZES = (200, 300, 400, 600, 800, 1200, 1600)
# Seconds each check may spend (set-ups included: binary's steady-state warm-up). The budget
# rule skips a size whose three rounds would not fit, so each is about 3× a round under
# load, with room for the rounds that decide; a check stops as soon as it is decided
# (about 4 s for a fast backend, 7 s for naive, here).
FAST_BUDGET = 10.0
NAIVE_BUDGET = 20.0

FAST_BACKENDS = [name for name in rbmperf.available_backends() if name != REFERENCE]


@pytest.fixture(scope="module")
def epoch_seconds() -> dict[str, tuple[list[int], list[float]]]:
    """One interleaved measurement of every available backend at N = RATIO_SIZE, shared by
    the ratio checks below."""
    if REFERENCE not in rbmperf.available_backends():
        pytest.fail(f"the reference backend {REFERENCE!r} is not available")
    data = synthetic_mnist(RATIO_SIZE, seed=0, dtype=DTYPE)[0]
    names = [REFERENCE, *FAST_BACKENDS]
    sizes = dict.fromkeys(names, (RATIO_SIZE,))
    repeats = {REFERENCE: NAIVE_REPEATS, **dict.fromkeys(FAST_BACKENDS, FAST_REPEATS)}
    with threadpool_limits(1, user_api="blas"):
        return interleaved_epoch_seconds({name: name for name in names}, sizes, repeats, data)


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


@pytest.fixture(scope="module")
def growth_data() -> np.ndarray:
    """The MNIST-like rows the growth checks take their sizes from (the top `n` rows)."""
    return synthetic_mnist(max(FAST_SIZES), seed=0, dtype=DTYPE)[0]


def _median(epoch_seconds, name: str) -> float:
    return median_at(*epoch_seconds[name], RATIO_SIZE)


def run_epoch(epoch: Callable[[], object]) -> object:
    """One epoch: the call a runner's setup built (what the growth fixture times)."""
    return epoch()


def epoch_setup(backend_name: str, data: np.ndarray) -> Callable[[int], Callable[[], object]]:
    """Compile `backend_name` and warm it up (untimed, one BLAS thread), then return the
    growth check's setup: ``setup(n)`` builds one epoch on the first `n` rows of `data`
    from the state the sweep times it in, untimed; repeats of it keep training that model."""
    runner = as_runner(backend_name)
    settings = EpochSettings()
    with threadpool_limits(1, user_api="blas"):
        prepare_runner(runner, data.dtype, data, settings)

    def setup(n: int) -> Callable[[], object]:
        return runner.setup(data[:n], settings)

    return setup


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


@pytest.mark.growth
def test_naive_growth_fails_a_linear_bound(growth, growth_data) -> None:
    # The check is "naive grows at most linearly"; it must fail with a confident violation
    # (the interval wholly above 1.15, as fit_growth's "superlinear"). An undecided check
    # raises GrowthUndecided, which this does not catch: the test fails.
    if REFERENCE not in rbmperf.available_backends():
        pytest.fail(f"the reference backend {REFERENCE!r} is not available")
    setup = epoch_setup(REFERENCE, growth_data)
    with pytest.raises(rbmperf.GrowthAssertionError) as violation:
        growth(run_epoch, NAIVE_SIZES, setup=setup, time="linear", budget=NAIVE_BUDGET)
    print(f"{REFERENCE}: {violation.value.check.time_reason}")


@pytest.mark.growth
@pytest.mark.parametrize("backend_name", FAST_BACKENDS)
def test_fast_backend_growth_is_linear(growth, growth_data, backend_name: str) -> None:
    setup = epoch_setup(backend_name, growth_data)
    check = growth(run_epoch, FAST_SIZES, setup=setup, time="linear", budget=FAST_BUDGET)
    print(f"{backend_name}: {check.time_reason}")
