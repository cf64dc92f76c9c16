"""The sizes loop for callables: a first round, then rounds spent where they decide.

:func:`measure` is the engine behind :func:`rbmperf.time_growth`,
:func:`rbmperf.compare_growth`, :func:`rbmperf.profile_growth` and ``rbmperf growth``. It
times one or more *kernels* (callables) at each size on the same argument, and returns the
raw seconds; fitting and presenting them is for its clients.

Design
------
1. **First round.** Sizes ascend. ``setup(n)`` builds the argument once per size (untimed,
   kept for later rounds and shared by every kernel); at the first size each kernel gets
   one untimed warm-up call (just-in-time compilation, lazy imports, first-touch page
   faults). Before each size its cost is predicted from the smaller ones
   (:func:`.budget.predict_seconds`) and the budget rule (:func:`.budget.plan_size`)
   skips it, and every larger size, when one repeat would not fit the kernel's share of
   the budget for one round (``budget / min_rounds`` less what the round already costs).
2. **A repeat** is one timed region of ``calls`` back-to-back calls with the garbage
   collector paused, as :mod:`timeit` does; ``calls`` is 1 unless a call is shorter than
   :data:`MIN_REPEAT_SECONDS` (set from the first round's times). CPU and wall time are
   both recorded, per call.
3. **Rounds** revisit every size measured, alternately descending and ascending
   (:mod:`.rounds`: drift cancels in pairs of rounds), kernels interleaved at each size.
   ``min_rounds`` rounds always run (3 by default: three repeats a size).
4. **Deciding.** After that, each kernel's points are fitted (:func:`rbmperf.fit_growth`)
   after every round. A kernel is *decided* when its interval lies wholly on one side of
   every one of ``thresholds`` (by default the edges 0.85 and 1.15 of the linear band, so
   decided means a verdict of linear, superlinear or sublinear; an assertion passes its own
   bound). Undecided kernels get another round while the round's predicted cost fits
   what is left of the budget; decided ones rest. With ``extend=True`` a wider range is
   tried instead of another round when only a wider range can decide (a bend with too few
   sizes above it) or when twice the minimum rounds have not: one size beyond the largest,
   at the same ratio as the last two, at most :data:`MAX_EXTENSIONS` times.
5. Every choice is recorded as a :class:`Step` (what was added and why), with the seconds
   spent, so a result can say what its verdict cost.

The statistics behind stopping
------------------------------
Looking at the interval after every round and stopping once it excludes the thresholds
is a sequential test: each look is another chance for a wrong interval, so the chance of
a wrong verdict grows with the number of looks. Two things keep it small in practice: the
thresholds sit 0.15 from the exponents that matter (a linear kernel has k ≈ 1, so an
interval must be wrong by more than 0.15 to call it superlinear), and Sen's interval is
conservative with many tied sizes. The evaluation in ``docs/measuring.md`` measures the
error rates that result, quiet and under load; alpha-spending rules (Pocock, O'Brien and
Fleming [1]_) would widen every interval to hold the error rate exactly, at the price of
more abstentions.

References
----------
.. [1] C. Jennison and B. W. Turnbull, *Group Sequential Methods with Applications to
   Clinical Trials*, Chapman & Hall/CRC (2000), ch. 2.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..stats.growth import LINEAR_BAND, MIN_SIZES, GrowthFit, faster_half, fit_growth
from .budget import plan_size, predict_seconds
from .clocks import blas_threads, timed
from .defaults import DEFAULT_BUDGET_SECONDS, DEFAULT_MIN_ROUNDS
from .memory import peak_bytes
from .rounds import round_order

#: A repeat shorter than this is timer noise more than work: short calls are looped.
MIN_REPEAT_SECONDS = 2e-3
#: Times a range may be widened with ``extend=True``.
MAX_EXTENSIONS = 3
_MAX_CALLS_PER_REPEAT = 1_000_000
_MAX_ROUNDS = 500

#: ``run_repeat(func, argument, calls, n) -> (wall, cpu, output)``: one timed repeat.
RepeatRunner = Callable[[Callable[[Any], object], object, int, int], tuple[float, float, object]]


class SetupError(RuntimeError):
    """``setup(n)`` raised; :attr:`n` is the size, ``__cause__`` the original error."""

    def __init__(self, n: int, error: BaseException):
        super().__init__(f"setup({n}) raised {type(error).__name__}: {error}")
        self.n = n


@dataclass(frozen=True)
class SkippedSize:
    """A size the budget left out, with the wall time per call it predicted there."""

    n: int
    predicted_seconds: float | None
    reason: str


@dataclass(frozen=True)
class Step:
    """One choice the engine made: ``action`` at ``round`` (0-based), and why.

    Actions: ``"first round"``, ``"round"`` (another round for the kernels named),
    ``"wider range"`` (a size added beyond the largest), ``"stop"``.
    """

    round: int
    action: str
    detail: str
    spent_seconds: float


@dataclass
class Series:
    """One kernel's measurements so far (mutable while measuring)."""

    label: str
    func: Callable[[Any], object]
    samples: dict[int, list[tuple[float, float]]] = field(default_factory=dict)
    calls: dict[int, int] = field(default_factory=dict)
    skipped: list[SkippedSize] = field(default_factory=list)
    warmup_seconds: float | None = None
    stopped: bool = False
    decided: bool = False
    peaks: dict[int, int] = field(default_factory=dict)

    @property
    def sizes(self) -> list[int]:
        """Sizes with at least one repeat, ascending."""
        return sorted(n for n, repeats in self.samples.items() if repeats)

    def points(self, clock: str) -> tuple[np.ndarray, np.ndarray]:
        """Every repeat as ``(size, seconds per call)`` on `clock` (``"cpu"`` or ``"wall"``)."""
        column = 0 if clock == "cpu" else 1
        sizes = [n for n in self.sizes for _ in self.samples[n]]
        seconds = [repeat[column] for n in self.sizes for repeat in self.samples[n]]
        return np.asarray(sizes, dtype=np.int64), np.asarray(seconds, dtype=np.float64)

    def predicted_call(self, n: int) -> float | None:
        """Wall seconds of one call at `n`, from the sizes measured (or the warm-up)."""
        points = [(m, wall) for m in self.sizes for _, wall in self.samples[m]]
        if points:
            return predict_seconds(points, n)
        return self.warmup_seconds  # an over-estimate: it includes compilation

    def repeat_seconds(self, n: int) -> float:
        """Median wall seconds of one repeat at a measured size."""
        walls = [wall for _, wall in self.samples[n]]
        return float(np.median(walls)) * self.calls[n]

    def round_seconds(self) -> float:
        """Predicted wall seconds of one more round over the sizes measured."""
        return sum(self.repeat_seconds(n) for n in self.sizes)

    def record(self, n: int, cpu: float, wall: float, calls: int) -> None:
        self.samples.setdefault(n, []).append((cpu / calls, wall / calls))
        self.calls[n] = calls

    def skip(self, n: int, predicted: float | None, reason: str) -> None:
        self.stopped = True
        self.skipped.append(SkippedSize(n, predicted, reason))


@dataclass(frozen=True)
class Measurement:
    """What :func:`measure` returns: every kernel's series and the engine's choices."""

    series: dict[str, Series]
    steps: tuple[Step, ...]
    rounds: int
    spent_seconds: float
    interrupted_at: int | None
    budget: float | None
    thresholds: tuple[float, ...]


def calls_for(seconds_per_call: float | None) -> int:
    """Calls in one repeat so that it lasts at least :data:`MIN_REPEAT_SECONDS`."""
    if seconds_per_call is None or seconds_per_call <= 0:
        return 1
    return max(1, min(_MAX_CALLS_PER_REPEAT, math.ceil(MIN_REPEAT_SECONDS / seconds_per_call)))


def call_setup(setup: Callable[[int], object] | None, n: int) -> object:
    """``setup(n)``, or `n` without a setup; a failure raises :class:`SetupError`."""
    if setup is None:
        return n
    try:
        return setup(n)
    except Exception as error:
        raise SetupError(n, error) from error


def add_note(error: BaseException, note: str) -> None:
    """Attach `note` to `error`'s traceback display (Python 3.11+; nothing before)."""
    if hasattr(error, "add_note"):
        error.add_note(note)


def timed_calls(func: Callable[[Any], object], argument: object, calls: int, n: int):
    """The default repeat: `calls` calls of ``func(argument)`` with the collector paused;
    ``(wall, cpu, last output)``."""
    output = None

    def run() -> None:
        nonlocal output
        for _ in range(calls):
            output = func(argument)

    gc.disable()
    try:
        wall, cpu = timed(run)
    finally:
        gc.enable()
    return wall, cpu, output


def fit_series(sizes: np.ndarray, seconds: np.ndarray) -> GrowthFit:
    """The fit every decision and every result of the engine uses: :func:`fit_growth` over
    the faster half of each size's repeats (:func:`rbmperf.stats.growth.faster_half`), once
    a size has 4 repeats or more.

    Another process only ever adds time, and more where a call touches more memory: on a
    loaded machine the slower repeats of the larger sizes tilt the slope upwards. Measured
    on the known-growth set (20 runs of each of 7 linear and 7 superlinear cases, quiet and
    under a bursty load, AMD EPYC; ``docs/measuring.md``): no wrong verdict either way, and
    5 / 18 abstentions on the linear cases (quiet / bursty) against 16 / 25 with every point.
    The price: the faster half's spread understates the noise, so intervals are narrower
    than Sen's interval over independent points would be, and a bend is found more readily
    (which can only make a verdict inconclusive, never wrong).
    """
    return fit_growth(*faster_half(sizes, seconds))


def settled(fit: GrowthFit, thresholds: Sequence[float]) -> bool:
    """Whether `fit` is decided against `thresholds`: a verdict was possible (enough sizes)
    and its interval lies wholly on one side of each threshold."""
    if not fit.decidable or math.isnan(fit.ci_low) or math.isnan(fit.ci_high):
        return False
    return all(fit.ci_high <= t or fit.ci_low >= t for t in thresholds)


def measure(
    kernels: Mapping[str, Callable[[Any], object]],
    sizes: Sequence[int],
    *,
    setup: Callable[[int], object] | None = None,
    clock: str = "cpu",
    budget: float | None = DEFAULT_BUDGET_SECONDS,
    min_rounds: int = DEFAULT_MIN_ROUNDS,
    warmup: bool = True,
    check: Callable[[dict[str, object], int], None] | None = None,
    threads: int | None = 1,
    thresholds: Sequence[float] = LINEAR_BAND,
    extend: bool = False,
    run_repeat: RepeatRunner = timed_calls,
    fixed_calls: bool = False,
    memory: bool = False,
) -> Measurement:
    """Time `kernels` at `sizes` in rounds, then spend the budget deciding (module docstring).

    Arguments are trusted: the public functions check them (:mod:`rbmperf.validation`).

    Parameters
    ----------
    kernels : mapping of str to callable
        Label -> kernel, each called as ``kernel(setup(n))``.
    sizes : sequence of int
        Strictly increasing sizes.
    setup : callable, optional
        ``setup(n)`` -> the argument; without it the kernels receive `n`.
    clock : {"cpu", "wall"}
        The clock the decisions fit.
    budget : float or None
        Seconds of measuring per kernel; None: exactly `min_rounds` rounds, nothing skipped.
    min_rounds : int
        Rounds before deciding starts (repeats per size).
    warmup : bool
        One untimed call per kernel at the first size.
    check : callable, optional
        ``check(outputs, n)`` with each kernel's first output at size `n`; raises to stop.
    threads : int or None
        BLAS threads while measuring (None: as they are).
    thresholds : sequence of float
        Exponents each kernel's interval must settle on one side of.
    extend : bool
        Allow sizes beyond the largest when only a wider range would decide.
    run_repeat : callable
        Runs one repeat (the default times plain calls; ``profile_growth`` profiles them).
    fixed_calls : bool
        One call per repeat whatever its length (a profiler's repeat).
    memory : bool
        After the rounds, the peak traced bytes of one more call per kernel and size
        (:func:`.memory.peak_bytes`, never a timed call), in each series' ``peaks``.

    Returns
    -------
    Measurement
        Ctrl-C returns what was measured, with ``interrupted_at`` set.
    """
    series = {label: Series(label, func) for label, func in kernels.items()}
    state = _Loop(series, list(sizes), setup, clock, budget, min_rounds, warmup, check,
                  tuple(thresholds), extend, run_repeat, fixed_calls)  # fmt: skip
    try:
        with blas_threads(threads):
            state.run()
            if memory:
                state.measure_peaks()
    except KeyboardInterrupt:
        state.interrupted_at = state.current or (sizes[0] if sizes else None)
    return Measurement(
        series=series,
        steps=tuple(state.steps),
        rounds=state.rounds_done,
        spent_seconds=state.spent(),
        interrupted_at=state.interrupted_at,
        budget=budget,
        thresholds=tuple(thresholds),
    )


class _Loop:
    """The state of one :func:`measure` call."""

    def __init__(self, series, sizes, setup, clock, budget, min_rounds, warmup, check,
                 thresholds, extend, run_repeat, fixed_calls):  # fmt: skip
        self.series: dict[str, Series] = series
        self.sizes: list[int] = sizes
        self.setup = setup
        self.clock = clock
        self.budget = None if budget is None else float(budget) * len(series)
        self.share = budget
        self.min_rounds = min_rounds
        self.warmup = warmup
        self.check = check
        self.thresholds = thresholds
        self.extend = extend
        self.run_repeat = run_repeat
        self.fixed_calls = fixed_calls
        self.arguments: dict[int, object] = {}
        self.steps: list[Step] = []
        self.rounds_done = 0
        self.extensions = 0
        self.current: int | None = None
        self.interrupted_at: int | None = None
        self.began = time.perf_counter()

    def spent(self) -> float:
        """Seconds spent: the time elapsed, and never less than the repeats' own times (a
        repeat runner that reports times it did not take, as the tests' fakes do)."""
        timed_total = sum(
            wall * s.calls[n] for s in self.series.values() for n in s.samples
            for _, wall in s.samples[n]
        )  # fmt: skip
        return max(time.perf_counter() - self.began, timed_total)

    def note(self, round_index: int, action: str, detail: str) -> None:
        self.steps.append(Step(round_index, action, detail, self.spent()))

    # -- the first round -----------------------------------------------------------------
    def run(self) -> None:
        self.first_round()
        round_index = 1
        while round_index < _MAX_ROUNDS:
            chosen = self.next_round(round_index)
            if not chosen:
                return
            self.timed_round(round_index, chosen)
            round_index += 1

    def first_round(self) -> None:
        warmed = False
        for n in self.sizes:
            self.current = n
            active = []
            for s in self.series.values():
                if s.stopped:
                    s.skipped.append(SkippedSize(n, None, "a smaller size was skipped"))
                elif self.plan(s, n):
                    active.append(s)
            if not active:
                continue
            argument = self.argument(n)
            if self.warmup and not warmed:
                for s in active:
                    self.warm_up(s, argument, n)
                warmed = True
                active = [s for s in active if self.plan(s, n)]
            outputs = {}
            for s in active:
                calls = 1 if self.fixed_calls else calls_for(s.predicted_call(n))
                outputs[s.label] = self.time_once(s, argument, n, calls)
            if self.check is not None:
                self.check(outputs, n)
            del outputs
        self.current = None
        self.rounds_done = 1
        measured = sorted({n for s in self.series.values() for n in s.sizes})
        self.note(0, "first round", f"{len(measured)} sizes ascending ({_sizes_text(measured)})")
        if not self.fixed_calls:
            # Calls per repeat from what a call really took (the warm-up overestimates).
            for s in self.series.values():
                for n in s.sizes:
                    s.calls[n] = calls_for(float(np.median([w for _, w in s.samples[n]])))

    def plan(self, s: Series, n: int) -> bool:
        """Whether `n` fits `s`'s share of one round; records a skip if not."""
        if self.share is None:
            return True
        predicted_call = s.predicted_call(n)
        if predicted_call is None:
            return True
        calls = 1 if self.fixed_calls else calls_for(predicted_call)
        # Each round must fit: what one round costs so far leaves this size its allowance.
        round_share = self.share / self.min_rounds
        share_text = (
            f"a round's share ({round_share:.3g} s of the {self.share:g} s budget over "
            f"{self.min_rounds} rounds)"
        )
        allowance = round_share - (s.round_seconds() if s.sizes else 0.0)
        if allowance <= 0:
            s.skip(n, predicted_call, f"the smaller sizes fill {share_text}")
            return False
        predicted_repeat = predicted_call * calls
        repeats, _ = plan_size(predicted_repeat, 1, allowance, len(s.sizes), MIN_SIZES)
        if repeats == 0:
            reason = f"predicted {predicted_repeat:.3g} s per repeat > {allowance:.3g} s left of"
            s.skip(n, predicted_call, f"{reason} {share_text}")
            return False
        return True

    def argument(self, n: int) -> object:
        if n not in self.arguments:
            self.arguments[n] = call_setup(self.setup, n)
        return self.arguments[n]

    def warm_up(self, s: Series, argument: object, n: int) -> None:
        try:
            wall, _ = timed(lambda: s.func(argument))
        except Exception as error:
            add_note(error, f"raised by {s.label!r} in its warm-up call at n={n:,}")
            raise
        s.warmup_seconds = wall

    def time_once(self, s: Series, argument: object, n: int, calls: int) -> object:
        try:
            wall, cpu, output = self.run_repeat(s.func, argument, calls, n)
        except Exception as error:
            add_note(error, f"raised by {s.label!r} at n={n:,}")
            raise
        s.record(n, cpu, wall, calls)
        return output

    # -- later rounds --------------------------------------------------------------------
    def next_round(self, round_index: int) -> list[Series]:
        """The kernels the next round times (empty: stop), with the reason noted."""
        measured = [s for s in self.series.values() if s.sizes]
        if not measured:
            return []
        if round_index < self.min_rounds:
            return measured
        if self.budget is None:
            self.note(round_index, "stop", f"{self.min_rounds} rounds done (no budget to decide)")
            return []
        undecided = []
        reasons = []
        for s in measured:
            fit = fit_series(*s.points(self.clock))
            s.decided = settled(fit, self.thresholds)
            if not s.decided:
                undecided.append((s, fit))
                reasons.append(f"{s.label}: {fit.describe()}")
        if not undecided:
            self.note(round_index, "stop", f"decided after {round_index} rounds")
            return []
        if not self.extend and all(len(s.sizes) < MIN_SIZES for s, _ in undecided):
            self.note(
                round_index,
                "stop",
                f"fewer than {MIN_SIZES} sizes measured: more rounds cannot decide; "
                "more sizes (or extend=True) would",
            )
            return []
        if self.extend and self.extensions < MAX_EXTENSIONS and self.widen(round_index, undecided):
            return [s for s, _ in undecided]
        cost = sum(s.round_seconds() for s, _ in undecided)
        if self.spent() + cost > self.budget:
            self.note(
                round_index,
                "stop",
                f"budget spent ({self.spent():.2f} of {self.budget:g} s; another round "
                f"≈ {cost:.2f} s) undecided: " + "; ".join(reasons),
            )
            return []
        self.note(round_index, "round", "; ".join(reasons))
        return [s for s, _ in undecided]

    def widen(self, round_index: int, undecided: list[tuple[Series, GrowthFit]]) -> bool:
        """Add one size beyond the largest when only a wider range would decide."""
        bend_limited = any(fit.bend is not None and fit.n_sizes < 3 for _, fit in undecided)
        if not bend_limited and round_index < 2 * self.min_rounds:
            return False
        measured = sorted({n for s, _ in undecided for n in s.sizes})
        if len(measured) < 2 or any(s.stopped for s, _ in undecided):
            return False
        new = round(measured[-1] * measured[-1] / measured[-2])
        cost = 0.0
        for s, _ in undecided:
            predicted = s.predicted_call(new) or 0.0
            cost += self.min_rounds * predicted * calls_for(predicted)
        assert self.budget is not None
        if self.spent() + cost > self.budget:
            return False
        self.current = new
        argument = self.argument(new)
        for s, _ in undecided:
            calls = 1 if self.fixed_calls else calls_for(s.predicted_call(new))
            self.time_once(s, argument, new, calls)
        self.current = None
        self.sizes.append(new)
        self.extensions += 1
        why = "a bend with too few sizes above it" if bend_limited else "rounds did not decide"
        self.note(round_index, "wider range", f"N = {new:,} added ({why})")
        return True

    def measure_peaks(self) -> None:
        for s in self.series.values():
            for n in s.sizes:
                self.current = n
                s.peaks[n] = peak_bytes(s.func, self.arguments.get(n, n))
        self.current = None
        self.note(self.rounds_done, "memory", "peak traced bytes of one call per size")

    def timed_round(self, round_index: int, chosen: list[Series]) -> None:
        sizes = sorted({n for s in chosen for n in s.sizes})
        for n in round_order(sizes, round_index):
            self.current = n
            argument = self.arguments.get(n, n)
            for s in chosen:
                if n in s.samples:
                    self.time_once(s, argument, n, 1 if self.fixed_calls else s.calls[n])
        self.current = None
        self.rounds_done = round_index + 1


def _sizes_text(sizes: Sequence[int]) -> str:
    if len(sizes) <= 3:
        return ", ".join(f"{n:,}" for n in sizes)
    return f"{sizes[0]:,} … {sizes[-1]:,}"
