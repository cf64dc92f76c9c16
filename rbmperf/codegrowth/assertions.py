"""Growth you can assert in a test: :func:`assert_growth` and the rule that judges it.

``assert_growth(func, sizes, time="linear")`` measures how `func`'s cost grows with the
size (:func:`rbmperf.time_growth`, and :mod:`rbmperf.engine.memory` for memory), fits
``cost ∝ nᵏ`` (:func:`rbmperf.fit_growth`: Theil–Sen's exponent and Sen's 95% interval)
and compares the interval with the bound the caller states.

Bounds
------
A bound is an upper limit ``u`` on the exponent ``k``:

============  =====  ==============================================
bound         ``u``  reads
============  =====  ==============================================
"constant"    0.15   the cost does not grow (within noise)
"sublinear"   0.85   doubling the size less than doubles the cost
"linear"      1.15   doubling the size about doubles the cost, at most
a number x    x      ``k`` at most x (``time=1.3``)
============  =====  ==============================================

The limits are those of :func:`rbmperf.fit_growth`'s verdicts (the linear band is
``[0.85, 1.15]``), so a function the fit calls ``linear`` passes ``time="linear"``.

Decision rule (:func:`judge`)
-----------------------------
With the fit's interval ``[lo, hi]``:

- **pass** when ``hi ≤ u``: the whole interval lies at or below the bound;
- **fail** when ``lo > u``: the whole interval lies above it, a confident violation
  (:class:`GrowthAssertionError`);
- **undecided** otherwise, and whenever fewer than 4 sizes were measured (the budget ran
  out) or nothing could be fitted (:class:`GrowthUndecided`, whose message says what more
  would decide).

An undecided check is not a pass: a test cannot hold an answer the measurement did not
give. Each side has its error rate: a function that truly grows at ``k = u`` fails with
probability about 2.5% (one tail of a 95% interval), and one above the bound passes with
about the same probability at most.

Memory
------
Memory is the peak bytes traced during one call at each size (:func:`.memory.peak_bytes`),
measured in calls of their own after the timed ones, fitted the same way and judged by the
same rule. Bytes are counted exactly, so the interval is narrow, but small peaks are not
the function's own: the interpreter adds a few hundred bytes here and there. So:

- every peak under :data:`TINY_PEAK_BYTES` (4 KiB): the memory reads **constant** and
  passes any bound, without a fit;
- otherwise peaks under 4 KiB are read as 4 KiB before the fit. Raising the small peaks
  only lowers pairwise slopes that start from them (or raises negative ones to at most 0),
  so every order statistic of the slopes, the interval's ends included, is at most what it
  was or 0: as bounds are ≥ 0.15, this can turn a failure into undecided, never a pass into
  a failure.

Known limits
------------
- The decision is only as good as the interval: :func:`rbmperf.fit_growth` treats the
  repeats at one size as independent, which makes the interval somewhat too narrow when
  the machine's slow drift dominates the timer noise.
- Memory is what Python and NumPy allocate (tracemalloc); a C library's own buffers are
  not seen (:mod:`rbmperf.engine.memory`).
"""

from __future__ import annotations

import math
import numbers
import time as _time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..engine.defaults import DEFAULT_BUDGET_SECONDS
from ..engine.measure import call_setup
from ..engine.memory import TINY_PEAK_BYTES, MemoryGrowth, memory_growth, peak_bytes
from ..errors import InputError
from ..stats.growth import MIN_SIZES, GrowthFit
from ..validation import check_budget, check_callable, check_sizes
from .timegrowth import GrowthResult, time_growth

#: The upper limit on the exponent of each named bound.
BOUNDS = {"constant": 0.15, "sublinear": 0.85, "linear": 1.15}

Outcome = Literal["pass", "fail", "undecided"]
Bound = str | float | int


class _CheckFailure(AssertionError):
    """An assertion about growth that did not pass; :attr:`check` holds what was measured."""

    def __init__(self, message: str, check: GrowthCheck):
        super().__init__(message)
        self.check = check


class GrowthAssertionError(_CheckFailure):
    """A confident violation: the whole interval of the exponent lies above the bound.

    Attributes
    ----------
    check : GrowthCheck
        Everything measured.
    """


class GrowthUndecided(_CheckFailure):
    """The measurement could not decide: the interval straddles the bound, or too few
    sizes were measured. The message says what more would decide.

    Attributes
    ----------
    check : GrowthCheck
        Everything measured.
    """


@dataclass(frozen=True)
class GrowthCheck:
    """What :func:`check_growth` measured and how each side was judged.

    Attributes
    ----------
    label : str
        The function's name.
    sizes : tuple of int
        The sizes asked for.
    time_bound, memory_bound : str, float or None
        The bounds checked (None: not checked).
    time : GrowthResult or None
        The timing, with its fit in ``time.growth``.
    memory : MemoryGrowth or None
        The peaks and their fit.
    time_outcome, memory_outcome : {"pass", "fail", "undecided"} or None
        Each side's judgement (None: not checked).
    time_reason, memory_reason : str
        Why, in words.
    budget : float or None
        The time budget given to the measurement.
    seconds : float
        Wall time the whole check took.
    """

    label: str
    sizes: tuple[int, ...]
    time_bound: Bound | None
    memory_bound: Bound | None
    time: GrowthResult | None
    memory: MemoryGrowth | None
    time_outcome: Outcome | None
    memory_outcome: Outcome | None
    time_reason: str
    memory_reason: str
    budget: float | None
    seconds: float

    @property
    def outcome(self) -> Outcome:
        """``"fail"`` if a side failed, else ``"undecided"`` if one is, else ``"pass"``."""
        outcomes = {self.time_outcome, self.memory_outcome}
        if "fail" in outcomes:
            return "fail"
        if "undecided" in outcomes:
            return "undecided"
        return "pass"

    @property
    def time_fit(self) -> GrowthFit | None:
        return None if self.time is None else self.time.growth

    def message(self) -> str:
        """The verdict with each side's exponent, interval, sizes and bound."""
        lines = [f"{self.label}: growth check {self.outcome}"]
        if self.time_outcome is not None:
            lines.append(f"  time:   {self.time_outcome}: {self.time_reason}")
        if self.memory_outcome is not None:
            lines.append(f"  memory: {self.memory_outcome}: {self.memory_reason}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.message()


def bound_limit(bound: object, what: str = "bound") -> float:
    """The upper limit ``u`` on the exponent that `bound` states.

    Parameters
    ----------
    bound : {"constant", "sublinear", "linear"} or float
        A named bound or the largest exponent allowed (> 0).
    what : str
        The argument's name, for the error message.

    Raises
    ------
    InputError
        If `bound` is neither.

    Examples
    --------
    >>> bound_limit("linear"), bound_limit(1.3)
    (1.15, 1.3)
    """
    if isinstance(bound, str) and bound in BOUNDS:
        return BOUNDS[bound]
    if isinstance(bound, numbers.Real) and not isinstance(bound, bool):
        value = float(bound)
        if math.isfinite(value) and value > 0:
            return value
    names = ", ".join(repr(name) for name in BOUNDS)
    raise InputError(
        f"{what} must be one of {names} or a number > 0 (the largest exponent allowed); "
        f"got {bound!r}"
    )


def judge(fit: GrowthFit | None, bound: Bound) -> Outcome:
    """Judge a fitted growth against a bound: the decision rule (see the module docstring).

    Parameters
    ----------
    fit : GrowthFit or None
        The fit; None stands for a memory that reads constant (every peak tiny): it passes.
    bound : {"constant", "sublinear", "linear"} or float
        The bound.

    Returns
    -------
    {"pass", "fail", "undecided"}
        ``"pass"`` when the interval's upper end is at or below the bound, ``"fail"`` when
        its lower end is above it, ``"undecided"`` otherwise or with fewer than 4 sizes.

    Examples
    --------
    >>> from rbmperf import fit_growth
    >>> n = [1000, 2000, 4000, 8000]
    >>> judge(fit_growth(n, [3e-9 * x**2 for x in n]), "linear")
    'fail'
    >>> judge(fit_growth(n, [3e-6 * x for x in n]), "linear")
    'pass'
    """
    limit = bound_limit(bound)
    if fit is None:
        return "pass"
    if not fit.decidable or math.isnan(fit.ci_low) or math.isnan(fit.ci_high):
        return "undecided"
    if fit.ci_high <= limit:
        return "pass"
    if fit.ci_low > limit:
        return "fail"
    return "undecided"


def check_growth(
    func: Callable[[Any], object],
    sizes: Sequence[int],
    *,
    setup: Callable[[int], object] | None = None,
    time: Bound | None = "linear",
    memory: Bound | None = None,
    budget: float | None = DEFAULT_BUDGET_SECONDS,
    clock: str = "cpu",
    label: str | None = None,
) -> GrowthCheck:
    """Measure `func`'s growth and judge it against the bounds, without raising on the
    verdict. :func:`assert_growth` is this plus the raise; the pytest plugin uses it to
    record every check for its summary.

    Parameters and errors on bad input are those of :func:`assert_growth`.

    Returns
    -------
    GrowthCheck
    """
    time_limit = None if time is None else bound_limit(time, "time")
    memory_limit = None if memory is None else bound_limit(memory, "memory")
    if time is None and memory is None:
        raise InputError("nothing to check: give a time bound, a memory bound or both")
    check_callable(func, "func")
    if setup is not None:
        check_callable(setup, "setup")
    requested = check_sizes(sizes)
    if len(requested) < MIN_SIZES:
        raise InputError(f"a growth verdict needs at least {MIN_SIZES} sizes; got {len(requested)}")
    budget = check_budget(budget)
    name = label if label is not None else getattr(func, "__name__", "func")

    began = _time.perf_counter()
    timing = None
    time_outcome = None
    time_reason = ""
    if time_limit is not None:
        timing = _measure_time(func, requested, setup, budget, clock, name, time_limit)
        time_outcome = judge(timing.growth, time_limit)
        time_reason = _time_reason(timing, time, time_limit, time_outcome, budget)
    peaks = None
    memory_outcome = None
    memory_reason = ""
    if memory_limit is not None:
        peaks = measure_memory(func, requested, setup=setup, warmup=timing is None)
        memory_outcome = judge(peaks.fit, memory_limit)
        memory_reason = _memory_reason(peaks, memory, memory_limit, memory_outcome)
    return GrowthCheck(
        label=name,
        sizes=requested,
        time_bound=time,
        memory_bound=memory,
        time=timing,
        memory=peaks,
        time_outcome=time_outcome,
        memory_outcome=memory_outcome,
        time_reason=time_reason,
        memory_reason=memory_reason,
        budget=None if budget is None else float(budget),
        seconds=_time.perf_counter() - began,
    )


def assert_growth(
    func: Callable[[Any], object],
    sizes: Sequence[int],
    *,
    setup: Callable[[int], object] | None = None,
    time: Bound | None = "linear",
    memory: Bound | None = None,
    budget: float | None = DEFAULT_BUDGET_SECONDS,
    clock: str = "cpu",
) -> GrowthCheck:
    """Assert that `func`'s cost grows no faster than a bound, in time, memory or both.

    See the module docstring for the bounds and the decision rule.

    Parameters
    ----------
    func : callable
        Called as ``func(setup(n))``, or ``func(n)`` without a setup.
    sizes : sequence of int
        At least 4 sizes, each > 1, increasing. The wider their range, the narrower the
        interval.
    setup : callable, optional
        ``setup(n)`` builds the argument for size `n` (not measured).
    time : {"constant", "sublinear", "linear"}, float or None, default "linear"
        The bound on the time's exponent; None checks memory only.
    memory : {"constant", "sublinear", "linear"}, float or None, default None
        The bound on the exponent of the peak memory of one call; None: not checked.
    budget : float or None, default 2.0
        Seconds the timing may spend deciding (:func:`rbmperf.time_growth`'s `budget`:
        after three rounds of repeats, more rounds until the interval lies wholly on one
        side of the bound or the budget is spent). None: exactly three rounds.
    clock : str, default "cpu"
        The clock the time is fitted on (:func:`rbmperf.time_growth`'s `clock`).

    Returns
    -------
    GrowthCheck
        What was measured, when every side passed.

    Raises
    ------
    GrowthAssertionError
        When a side's interval lies wholly above its bound (an :class:`AssertionError`);
        the message gives the exponent, the interval, the sizes and the bound.
    GrowthUndecided
        When a side could not be decided (also an :class:`AssertionError`); the message
        says what more would decide: a larger budget, a wider size range.
    InputError
        Before anything is measured: an unknown bound, a budget ≤ 0, neither `time` nor
        `memory`, fewer than 4 sizes or sizes that do not increase.

    Examples
    --------
    >>> from rbmperf.codegrowth.assertions import assert_growth
    >>> def total(n):
    ...     return sum(range(n))
    >>> assert_growth(total, [20_000, 40_000, 80_000, 160_000, 320_000])  # doctest: +SKIP
    """
    check = check_growth(
        func, sizes, setup=setup, time=time, memory=memory, budget=budget, clock=clock
    )
    raise_for(check)
    return check


def raise_for(check: GrowthCheck) -> None:
    """Raise :class:`GrowthAssertionError` or :class:`GrowthUndecided` for a check that did
    not pass; nothing for one that did."""
    if check.outcome == "fail":
        raise GrowthAssertionError(check.message(), check)
    if check.outcome == "undecided":
        raise GrowthUndecided(check.message(), check)


def measure_memory(
    func: Callable[[Any], object],
    sizes: Sequence[int],
    *,
    setup: Callable[[int], object] | None = None,
    warmup: bool = True,
) -> MemoryGrowth:
    """Peak traced bytes of one call of `func` at each size, and their fit.

    Parameters
    ----------
    func, sizes, setup
        As in :func:`assert_growth` (`sizes` trusted: checked by the caller).
    warmup : bool, default True
        One unmeasured call at the first size first, so that what a first call allocates
        once (compiled code, caches) is not read as the first size's peak. Not needed after
        a timing, which made that call.

    Returns
    -------
    MemoryGrowth
    """
    peaks = []
    for index, n in enumerate(sizes):
        argument = call_setup(setup, n)
        if index == 0 and warmup:
            func(argument)
        peaks.append(peak_bytes(func, argument))
        del argument
    return memory_growth(sizes, peaks)


def interval_text(fit: GrowthFit | None) -> str:
    """``"1.02 [0.98, 1.06]"``; ``"n/a"`` with no fit."""
    if fit is None or math.isnan(fit.exponent):
        return "n/a"
    return f"{fit.exponent:.2f} [{fit.ci_low:.2f}, {fit.ci_high:.2f}]"


def _measure_time(func, sizes, setup, budget, clock, label, limit) -> GrowthResult:
    # The engine spends its budget until the interval lies wholly on one side of the bound.
    return time_growth(
        func, sizes, setup=setup, budget=budget, clock=clock, label=label, thresholds=(limit,)
    )


def _bound_text(bound: Bound, limit: float) -> str:
    return f"{bound} (k ≤ {limit:g})" if isinstance(bound, str) else f"k ≤ {limit:g}"


def _sizes_text(sizes: Sequence[int]) -> str:
    return ", ".join(str(n) for n in sizes)


def _fit_text(fit: GrowthFit, limit: float) -> str:
    # Two decimals, or more (up to four) where fewer would round an end onto the bound:
    # "[0.96, 1.15] straddles 1.15" reads as a contradiction, "[0.962, 1.1503]" does not.
    digits = 2
    while digits < 4 and any(
        end != limit and round(end, digits) == round(limit, digits)
        for end in (fit.ci_low, fit.ci_high)
    ):
        digits += 1
    return (
        f"k = {fit.exponent:.{digits}f}, {fit.confidence:.0%} CI "
        f"[{fit.ci_low:.{digits}f}, {fit.ci_high:.{digits}f}]"
    )


def _time_reason(
    timing: GrowthResult, bound: Bound, limit: float, outcome: str, budget: float | None
) -> str:
    fit = timing.growth
    bound_text = _bound_text(bound, limit)
    measured = f"sizes {_sizes_text(timing.sizes)}" if timing.sizes else "no size measured"
    skipped = [s.n for s in timing.skipped]
    if skipped:
        measured += f" (budget skipped {_sizes_text(skipped)})"
    if outcome == "pass":
        return f"{_fit_text(fit, limit)} lies at or below {bound_text}; {measured}"
    if outcome == "fail":
        return f"{_fit_text(fit, limit)} lies above {bound_text}; {measured}"
    budget_text = "no limit" if budget is None else f"{budget:g} s"
    if fit.n_sizes < MIN_SIZES or math.isnan(fit.exponent):
        return (
            f"only {fit.n_sizes} of the {MIN_SIZES} sizes a verdict needs were measured "
            f"against {bound_text}; {measured}. More would decide: a larger budget "
            f"(now {budget_text}) or sizes that cost less"
        )
    first, last = timing.sizes[0], timing.sizes[-1]
    more = f"a larger budget (now {budget_text}: more repeats narrow the interval)"
    if budget is None:
        more = "more repeats or a quieter machine (the budget is unlimited)"
    elif skipped:
        more = f"a larger budget (now {budget_text}: it skipped the largest sizes)"
    return (
        f"{_fit_text(fit, limit)} straddles {bound_text}; {measured}. More would decide: {more}, "
        f"or a wider size range (now {first}…{last}, {last / first:.3g}×)"
    )


def _memory_reason(peaks: MemoryGrowth, bound: Bound, limit: float, outcome: str) -> str:
    bound_text = _bound_text(bound, limit)
    listed = ", ".join(
        f"{_bytes_text(p)} at n={n}" for n, p in zip(peaks.sizes, peaks.peaks, strict=True)
    )
    fit = peaks.fit
    if fit is None:
        return (
            f"constant: every peak is under {TINY_PEAK_BYTES:,} bytes ({listed}), "
            f"within {bound_text}"
        )
    if outcome == "pass":
        return f"{_fit_text(fit, limit)} lies at or below {bound_text}; peaks {listed}"
    if outcome == "fail":
        return f"{_fit_text(fit, limit)} lies above {bound_text}; peaks {listed}"
    first, last = peaks.sizes[0], peaks.sizes[-1]
    tiny = [n for n, p in zip(peaks.sizes, peaks.peaks, strict=True) if p < TINY_PEAK_BYTES]
    more = f"a wider size range (now {first}…{last}, {last / first:.3g}×)"
    if tiny:
        more = (
            f"larger sizes: peaks under {TINY_PEAK_BYTES:,} bytes (at n={_sizes_text(tiny)}) "
            f"are too small to tell from the interpreter's own; or {more}"
        )
    return (
        f"{_fit_text(fit, limit)} straddles {bound_text}; peaks {listed}. More would decide: {more}"
    )


def _bytes_text(count: int) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= size:
            return f"{count / size:.3g} {unit}"
    return f"{count} B"
