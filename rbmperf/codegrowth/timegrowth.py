"""How any code's cost grows with its input size: :func:`time_growth` and :func:`compare_growth`.

The sweep (:mod:`.sweep`) answers "does this backend's epoch grow linearly?"; these answer
the same question for any callable, with the same estimator (:func:`.growth.fit_growth`)
and the same time budget (:func:`.sweep.predict_seconds`).

How it is measured
------------------
By the engine, :func:`rbmperf.engine.measure.measure` (its docstring has the design): a
first round over the sizes ascending, with one untimed warm-up call and the budget rule;
then rounds that revisit every size, alternately descending and ascending, so that drift
cancels; after ``repeats`` rounds, more rounds only while the verdict is undecided and
the budget (seconds per kernel, 2 by default) allows. With several kernels, their outputs
at each size must agree (`check`), and the first disagreement stops the run with
:class:`DisagreementError`. Ctrl-C (:class:`KeyboardInterrupt`) returns what was measured
so far, marked ``interrupted_at``.

Measurement returns plain data (:class:`GrowthResult`, :class:`ComparisonResult`); their
``plot`` and text / HTML representations are thin shells over :mod:`rbmperf.codegrowth.text`.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from ..engine.clocks import CLOCKS, TIMED_CLOCKS
from ..engine.defaults import DEFAULT_BUDGET_SECONDS, DEFAULT_MIN_ROUNDS
from ..engine.measure import (
    Measurement,
    Series,
    SetupError,
    SkippedSize,
    Step,
    fit_series,
    measure,
)
from ..engine.memory import MemoryGrowth, memory_growth
from ..errors import InputError, InputTypeError
from ..stats.growth import LINEAR_BAND, GrowthFit
from ..validation import (
    check_callable,
    check_clock,
    check_measure_options,
    check_sizes,
    parse_sizes,
)

__all__ = [
    "ComparisonResult",
    "DisagreementError",
    "GrowthResult",
    "SetupError",
    "SkippedSize",
    "compare_growth",
    "outputs_agree",
    "parse_sizes",
    "time_growth",
]


class DisagreementError(ValueError):
    """Two kernels returned different outputs at one size."""

    def __init__(self, reference: str, other: str, n: int, detail: str = ""):
        message = f"kernels {reference!r} and {other!r} disagree at n={n:,}"
        super().__init__(message + (f": {detail}" if detail else ""))
        self.kernels = (reference, other)
        self.n = n


@dataclass(frozen=True)
class GrowthResult:
    """What :func:`time_growth` measured for one kernel, and the growth fitted to it.

    Attributes
    ----------
    label : str
        The kernel's name.
    clock : {"cpu", "wall"}
        The clock :attr:`times` and :attr:`growth` use.
    sizes : tuple of int
        The sizes measured (at least one repeat), ascending.
    times : tuple of tuple of float
        Seconds per call of every repeat at each size, on :attr:`clock`.
    cpu_times, wall_times : tuple of tuple of float
        The same on each clock.
    calls_per_repeat : tuple of int
        Calls in each timed region, per size.
    skipped : tuple of SkippedSize
        Sizes the budget left out.
    requested : tuple of int
        The sizes asked for.
    interrupted_at : int or None
        The size at which Ctrl-C stopped the run.
    warmup_seconds : float or None
        Wall time of the untimed warm-up call (None without one).
    threads : int or None
        BLAS threads during the measurement (None: as they were).
    rounds : int
        Rounds the engine ran (the repeats at most sizes).
    steps : tuple of Step
        What the engine added and why (first round, more rounds, a wider range, the stop).
    spent_seconds : float
        Wall seconds the whole measurement took (set-ups and warm-up included).
    budget : float or None
        The seconds it was allowed (None: no limit; fixed rounds).
    peaks : tuple of int
        With ``memory=True``: peak traced bytes of one call at each size (empty without).
    """

    label: str
    clock: str
    sizes: tuple[int, ...]
    times: tuple[tuple[float, ...], ...]
    cpu_times: tuple[tuple[float, ...], ...]
    wall_times: tuple[tuple[float, ...], ...]
    calls_per_repeat: tuple[int, ...]
    skipped: tuple[SkippedSize, ...] = ()
    requested: tuple[int, ...] = ()
    interrupted_at: int | None = None
    warmup_seconds: float | None = None
    threads: int | None = None
    rounds: int = 0
    steps: tuple[Step, ...] = ()
    spent_seconds: float = math.nan
    budget: float | None = None
    peaks: tuple[int, ...] = ()

    @cached_property
    def memory_growth(self) -> MemoryGrowth | None:
        """The growth of :attr:`peaks` (``.fit``; ``.constant`` when every peak is tiny),
        or None when memory was not measured."""
        if not self.peaks:
            return None
        return memory_growth(self.sizes[: len(self.peaks)], self.peaks)

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """Every repeat as a ``(size, seconds)`` point: the arrays :attr:`growth` fits."""
        sizes = [n for n, repeat in zip(self.sizes, self.times, strict=True) for _ in repeat]
        seconds = [t for repeat in self.times for t in repeat]
        return np.asarray(sizes, dtype=np.int64), np.asarray(seconds, dtype=np.float64)

    @cached_property
    def growth(self) -> GrowthFit:
        """:func:`~rbmperf.fit_growth` over every repeat: exponent, interval, verdict, reason."""
        sizes, seconds = self.points()
        timed_something = seconds > 0
        if not timed_something.any():
            why = "nothing was measured" if seconds.size == 0 else f"the {self.clock} clock saw 0 s"
            return no_fit(why)
        return fit_series(sizes[timed_something], seconds[timed_something])

    def median_seconds(self) -> tuple[float, ...]:
        """Median seconds per call at each size."""
        return tuple(float(np.median(repeat)) for repeat in self.times)

    def plot(self, ax: Any = None) -> Any:
        """Log-log time per call against size with the fitted line; returns the Axes."""
        from .text import plot_growth

        return plot_growth(self, ax=ax)

    def summary_line(self) -> str:
        """The verdict in one line, as ``%growth`` prints it."""
        from .text import verdict_line

        return verdict_line(self)

    def __repr__(self) -> str:
        from .text import growth_text

        return growth_text(self)

    def _repr_html_(self) -> str:
        from .text import growth_html

        return growth_html(self)


@dataclass(frozen=True)
class ComparisonResult:
    """What :func:`compare_growth` measured: one :class:`GrowthResult` per kernel."""

    results: dict[str, GrowthResult]
    checked: bool
    interrupted_at: int | None = None

    def __getitem__(self, label: str) -> GrowthResult:
        return self.results[label]

    def __iter__(self):
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    @property
    def growth(self) -> dict[str, GrowthFit]:
        """Each kernel's fit, by label."""
        return {label: result.growth for label, result in self.results.items()}

    def plot(self, ax: Any = None) -> Any:
        """Every kernel on one log-log Axes, each with its fitted line; returns the Axes."""
        from .text import plot_comparison

        return plot_comparison(self, ax=ax)

    def __repr__(self) -> str:
        from .text import comparison_text

        return comparison_text(self)

    def _repr_html_(self) -> str:
        from .text import comparison_html

        return comparison_html(self)


def no_fit(why: str) -> GrowthFit:
    return GrowthFit(
        exponent=math.nan,
        ci_low=math.nan,
        ci_high=math.nan,
        verdict="inconclusive",
        reason=why,
        n_sizes=0,
        best_model=None,
    )


def time_growth(
    func: Callable[[Any], object],
    sizes: Sequence[int],
    *,
    setup: Callable[[int], object] | None = None,
    repeats: int = DEFAULT_MIN_ROUNDS,
    clock: str = "cpu",
    budget: float | None = DEFAULT_BUDGET_SECONDS,
    warmup: bool = True,
    label: str | None = None,
    threads: int | None = 1,
    thresholds: Sequence[float] = LINEAR_BAND,
    extend: bool = False,
    memory: bool = False,
) -> GrowthResult:
    """Time `func` at each size and fit how its cost grows, measuring until it decides.

    See the module docstring, and :mod:`rbmperf.engine.measure` for the design.

    Parameters
    ----------
    func : callable
        Called as ``func(setup(n))``, or ``func(n)`` without a setup. It must not change
        its argument in a way that changes the next call's cost (the argument is built once
        per size and shared by the repeats).
    sizes : sequence of int
        At least two sizes, each > 1, strictly increasing.
    setup : callable, optional
        ``setup(n)`` returns the argument for size `n`; untimed.
    repeats : int, default 3
        Rounds before deciding starts: every size gets at least this many repeats (those
        the budget affords); every repeat is a point of the fit.
    clock : {"cpu", "wall", "instructions"}, default "cpu"
        ``"cpu"``: CPU time of this process (all its threads), which other processes on a
        shared machine barely move; it does not count sleeping, waiting or child processes.
        ``"wall"``: elapsed time. ``"instructions"``: instructions per call, counted by
        valgrind's cachegrind in child processes (:mod:`rbmperf.engine.instructions`: the
        interpreter's start-up, the imports, the setup and a warm-up call are subtracted),
        the same on every run; `func` and `setup` must then be importable module-level
        functions, and `budget`, `repeats`, `thresholds` and `extend` do not apply (one
        count a size).
    budget : float or None, default 2.0
        Seconds of measuring (set-ups included) this function may take. Sizes whose
        `repeats` rounds would not fit are skipped and recorded with their prediction;
        what is left after those rounds buys more rounds until the verdict is decided.
        None: no limit and no deciding: exactly `repeats` rounds.
    warmup : bool, default True
        One untimed call at the first size first (just-in-time compilation).
    label : str, optional
        Name in text and plots; default ``func.__name__``.
    threads : int or None, default 1
        BLAS threads during the measurement (threadpoolctl), one by default as everywhere
        in rbmperf: a second thread on a shared machine is noise, and idle BLAS workers
        that spin would be counted by the CPU clock. None leaves them as they are.
    thresholds : sequence of float, default (0.85, 1.15)
        Measuring stops once the exponent's interval lies wholly on one side of each: by
        default the linear band's edges, i.e. once the verdict is linear, superlinear or
        sublinear. :func:`rbmperf.assert_growth` passes its bound.
    extend : bool, default False
        Allow sizes beyond the largest (at the ratio of the last two) when more rounds
        would not decide (a bend with too few sizes above it, or twice `repeats` rounds).
    memory : bool, default False
        Also measure the peak traced bytes (:mod:`tracemalloc`) of one call at each size,
        in calls apart from the timed ones: ``result.peaks`` and ``result.memory_growth``.

    Returns
    -------
    GrowthResult
        Its ``steps`` say what the engine added and why; ``spent_seconds`` what it cost.

    Raises
    ------
    ValueError, TypeError
        On fewer than two sizes, sizes that do not increase, or bad options (before
        anything runs): :class:`~rbmperf.errors.InputError` /
        :class:`~rbmperf.errors.InputTypeError`.
    SetupError
        If ``setup(n)`` raises; it names the size.

    Examples
    --------
    >>> from rbmperf import time_growth
    >>> result = time_growth(lambda n: sum(range(n)), [20_000, 40_000, 80_000, 160_000])
    >>> result.growth.verdict  # doctest: +SKIP
    'linear'
    """
    name = label if label is not None else getattr(func, "__name__", "func")
    check_callable(func, "func")
    if check_clock(clock, CLOCKS) == "instructions":
        return _count_instructions(func, sizes, setup, name, memory)
    results, _ = _measure(
        {name: func}, sizes, setup=setup, repeats=repeats, clock=clock, budget=budget,
        warmup=warmup, check=None, threads=threads, thresholds=thresholds, extend=extend,
        memory=memory,
    )  # fmt: skip
    return results[name]


def _count_instructions(
    func: Callable[[Any], object],
    sizes: Sequence[int],
    setup: Callable[[int], object] | None,
    name: str,
    memory: bool,
) -> GrowthResult:
    """``time_growth(clock="instructions")``: one count a size, in children."""
    from ..engine.instructions import count_calls

    requested = check_sizes(sizes)
    if setup is not None:
        check_callable(setup, "setup")
    began = time.perf_counter()
    counts = count_calls(func, requested, setup=setup)
    per_call = tuple((float(c.per_call),) for c in counts)
    peaks: tuple[int, ...] = ()
    if memory:
        from ..engine.memory import peak_bytes

        peaks = tuple(peak_bytes(func, setup(n) if setup else n) for n in requested)
    spent = time.perf_counter() - began
    return GrowthResult(
        label=name,
        clock="instructions",
        sizes=requested,
        times=per_call,
        cpu_times=(),
        wall_times=(),
        calls_per_repeat=tuple(c.calls for c in counts),
        requested=requested,
        rounds=1,
        steps=(
            Step(0, "instructions", "counted by valgrind's cachegrind, two children a size", spent),
        ),
        spent_seconds=spent,
        budget=None,
        peaks=peaks,
    )


def outputs_agree(a: object, b: object) -> bool:
    """Whether two kernels' outputs agree: :func:`numpy.allclose` on numbers and arrays
    (NaNs equal, shapes must match), element-wise through tuples, lists and dicts, ``==``
    for anything else. The default `check` of :func:`compare_growth`."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(outputs_agree(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(outputs_agree(x, y) for x, y in zip(a, b, strict=True))
    try:
        left, right = np.asarray(a), np.asarray(b)
    except Exception:  # objects numpy cannot hold
        return bool(a == b)
    if left.dtype.kind in "biufc" and right.dtype.kind in "biufc":
        return left.shape == right.shape and bool(np.allclose(left, right, equal_nan=True))
    if left.dtype == object or right.dtype == object:
        return bool(a == b)
    return left.shape == right.shape and bool(np.array_equal(left, right))


def compare_growth(
    kernels: Mapping[str, Callable[[Any], object]],
    sizes: Sequence[int],
    *,
    setup: Callable[[int], object] | None = None,
    check: Callable[[object, object], bool] | None = outputs_agree,
    repeats: int = DEFAULT_MIN_ROUNDS,
    clock: str = "cpu",
    budget: float | None = DEFAULT_BUDGET_SECONDS,
    warmup: bool = True,
    threads: int | None = 1,
    thresholds: Sequence[float] = LINEAR_BAND,
    extend: bool = False,
) -> ComparisonResult:
    """Time several kernels on the same data at each size and fit each one's growth.

    Parameters
    ----------
    kernels : mapping of str to callable
        Label -> kernel, each called as ``kernel(setup(n))`` (or ``kernel(n)``).
    sizes, setup, repeats, clock, budget, warmup, threads, thresholds, extend
        As in :func:`time_growth`; one setup call per size serves every kernel, the
        repeats are interleaved across kernels, the budget is per kernel, and a kernel
        that has decided rests while the others go on.
    check : callable or None, default :func:`outputs_agree`
        ``check(reference_output, output)`` -> bool, applied at each size to every kernel's
        output against the first kernel's (from the first repeat). None: no check.

    Returns
    -------
    ComparisonResult
        One :class:`GrowthResult` per kernel, in the order given.

    Raises
    ------
    DisagreementError
        If a kernel's output disagrees with the first kernel's; it names both and the size.
    ValueError, SetupError
        As in :func:`time_growth`.
    """
    if not isinstance(kernels, Mapping) or not kernels:
        raise InputError("kernels must be a non-empty mapping of label -> callable")
    for label, func in kernels.items():
        check_callable(func, f"kernel {label!r}")
    if check is not None and not callable(check):
        raise InputTypeError(f"check must be callable or None; got {type(check).__name__}")
    results, interrupted_at = _measure(
        {str(label): func for label, func in kernels.items()}, sizes, setup=setup,
        repeats=repeats, clock=clock, budget=budget, warmup=warmup, check=check,
        threads=threads, thresholds=thresholds, extend=extend,
    )  # fmt: skip
    return ComparisonResult(results, checked=check is not None, interrupted_at=interrupted_at)


def _measure(
    kernels: dict[str, Callable[[Any], object]],
    sizes: Sequence[int],
    *,
    setup: Callable[[int], object] | None,
    repeats: int,
    clock: str,
    budget: float | None,
    warmup: bool,
    check: Callable[[object, object], bool] | None,
    threads: int | None,
    thresholds: Sequence[float] = LINEAR_BAND,
    extend: bool = False,
    memory: bool = False,
) -> tuple[dict[str, GrowthResult], int | None]:
    requested = check_sizes(sizes)
    repeats, clock, budget, threads = check_measure_options(
        repeats, clock, budget, threads, TIMED_CLOCKS
    )
    thresholds = _check_thresholds(thresholds)
    if setup is not None:
        check_callable(setup, "setup")
    agreement = None if check is None else (lambda outputs, n: _check_agreement(outputs, check, n))
    measurement = measure(
        kernels, requested, setup=setup, clock=clock, budget=budget, min_rounds=repeats,
        warmup=warmup, check=agreement, threads=threads, thresholds=thresholds, extend=extend,
        memory=memory,
    )  # fmt: skip
    results = {}
    for s in measurement.series.values():
        _warn_if_clock_saw_nothing(s, clock)
        results[s.label] = _result(s, measurement, clock, requested, threads)
    return results, measurement.interrupted_at


def _check_thresholds(thresholds: object) -> tuple[float, ...]:
    try:
        values = tuple(float(t) for t in thresholds)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise InputTypeError(
            f"thresholds must be a sequence of numbers; got {thresholds!r}"
        ) from None
    if not values or not all(math.isfinite(v) for v in values):
        raise InputError(f"thresholds must be finite exponents, at least one; got {thresholds!r}")
    return values


def _result(
    s: Series,
    measurement: Measurement,
    clock: str,
    requested: tuple[int, ...],
    threads: int | None,
) -> GrowthResult:
    sizes = s.sizes
    cpu = tuple(tuple(c for c, _ in s.samples[n]) for n in sizes)
    wall = tuple(tuple(w for _, w in s.samples[n]) for n in sizes)
    return GrowthResult(
        label=s.label,
        clock=clock,
        sizes=tuple(sizes),
        times=cpu if clock == "cpu" else wall,
        cpu_times=cpu,
        wall_times=wall,
        calls_per_repeat=tuple(s.calls[n] for n in sizes),
        skipped=tuple(s.skipped),
        requested=requested,
        interrupted_at=measurement.interrupted_at,
        warmup_seconds=s.warmup_seconds,
        threads=threads,
        rounds=measurement.rounds,
        steps=measurement.steps,
        spent_seconds=measurement.spent_seconds,
        budget=measurement.budget,
        peaks=tuple(s.peaks[n] for n in sizes if n in s.peaks),
    )


def _warn_if_clock_saw_nothing(series: Series, clock: str) -> None:
    if clock != "cpu":
        return
    empty = [n for n in series.sizes if min(c for c, _ in series.samples[n]) <= 0]
    if empty:
        warnings.warn(
            f"{series.label!r}: the CPU clock measured no time at n={empty[0]:,}; a call that "
            "sleeps, waits or runs another process needs clock='wall'",
            UserWarning,
            stacklevel=4,
        )


def _check_agreement(
    outputs: dict[str, object], check: Callable[[object, object], bool], n: int
) -> None:
    labels = list(outputs)
    if len(labels) < 2:
        return
    reference = labels[0]
    name = getattr(check, "__name__", "check")
    for other in labels[1:]:
        try:
            agree = bool(check(outputs[reference], outputs[other]))
            detail = f"{name}(…) returned False"
        except Exception as error:
            agree = False
            detail = f"{name}(…) raised {type(error).__name__}: {error}"
        if not agree:
            raise DisagreementError(reference, other, n, detail)
