"""How any code's cost grows with its input size: :func:`time_growth` and :func:`compare_growth`.

The sweep (:mod:`.sweep`) answers "does this backend's epoch grow linearly?"; these answer
the same question for any callable, with the same estimator (:func:`.growth.fit_growth`)
and the same time budget (:func:`.sweep.predict_seconds`).

How a size is measured
----------------------
1. Sizes ascend. ``setup(n)`` builds the argument (untimed, once per size, shared by every
   kernel and repeat); without a setup the kernel receives ``n`` itself.
2. At the first size each kernel gets one untimed warm-up call, which pays for
   just-in-time compilation, lazy imports and first-touch page faults.
3. Before each size, each kernel's time per call there is predicted from the sizes it has
   measured (:func:`.sweep.predict_seconds`, on wall time: the budget is about waiting).
   With a `budget`, a size whose first repeat is predicted to exceed it is recorded as
   skipped with its prediction, and so is every larger size of that kernel; a size that
   fits only with fewer repeats gets fewer (at least one). A kernel with fewer than the
   sizes a verdict needs may spend up to :data:`.sweep.VERDICT_ALLOWANCE` times the budget
   on one repeat of its next size, as in the sweep.
4. A repeat is one timed region of ``calls_per_repeat`` back-to-back calls (one, unless a
   call is predicted to take less than :data:`MIN_REPEAT_SECONDS`, as :mod:`timeit` loops
   short statements), with the garbage collector paused, as :mod:`timeit` pauses it. No
   collection is forced between sizes: the memory it frees makes the next call pay for
   fresh pages (measured here: +25 % on the first repeat of a 0.2 ms loop). Both CPU time
   (of the whole process, all threads) and wall time are recorded, per call; `clock`
   picks the one the fit uses. Repeats are interleaved across kernels (A B C A B C …), so
   slow drift of the machine hits every kernel alike.
5. With several kernels, their outputs at each size must agree (`check`), and the first
   disagreement stops the run with :class:`DisagreementError`.
6. Ctrl-C (:class:`KeyboardInterrupt`) stops the run and returns what was measured so far,
   marked ``interrupted_at``.

Measurement returns plain data (:class:`GrowthResult`, :class:`ComparisonResult`); their
``plot`` and text / HTML representations are thin shells over :mod:`rbmperf.codegrowth.text`.
"""

from __future__ import annotations

import gc
import math
import numbers
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from ..engine.budget import VERDICT_ALLOWANCE, predict_seconds
from ..engine.clocks import CLOCKS, blas_threads, timed
from ..errors import InputError, InputTypeError
from ..stats.growth import MIN_SIZES, GrowthFit, fit_growth

# A repeat shorter than this is timer noise more than work: short calls are looped.
MIN_REPEAT_SECONDS = 2e-3
_MAX_CALLS_PER_REPEAT = 1_000_000


class SetupError(RuntimeError):
    """``setup(n)`` raised; :attr:`n` is the size, ``__cause__`` the original error."""

    def __init__(self, n: int, error: BaseException):
        super().__init__(f"setup({n}) raised {type(error).__name__}: {error}")
        self.n = n


class DisagreementError(ValueError):
    """Two kernels returned different outputs at one size."""

    def __init__(self, reference: str, other: str, n: int, detail: str = ""):
        message = f"kernels {reference!r} and {other!r} disagree at n={n:,}"
        super().__init__(message + (f": {detail}" if detail else ""))
        self.kernels = (reference, other)
        self.n = n


@dataclass(frozen=True)
class SkippedSize:
    """A size the budget left out, with the wall time per call it predicted there."""

    n: int
    predicted_seconds: float | None
    reason: str


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
        return fit_growth(sizes[timed_something], seconds[timed_something])

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
    repeats: int = 3,
    clock: str = "cpu",
    budget: float | None = None,
    warmup: bool = True,
    label: str | None = None,
    threads: int | None = 1,
) -> GrowthResult:
    """Time `func` at each size and fit how its cost grows.

    See the module docstring for how each size is measured.

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
        Timed repeats per size; every repeat is a point of the fit.
    clock : {"cpu", "wall"}, default "cpu"
        ``"cpu"``: CPU time of this process (all its threads), which other processes on a
        shared machine barely move; it does not count sleeping, waiting or child processes.
        ``"wall"``: elapsed time.
    budget : float, optional
        Most predicted seconds of one size's repeats; larger sizes are skipped and recorded
        with their prediction. None: no limit.
    warmup : bool, default True
        One untimed call at the first size first (just-in-time compilation).
    label : str, optional
        Name in text and plots; default ``func.__name__``.
    threads : int or None, default 1
        BLAS threads during the measurement (threadpoolctl), one by default as everywhere
        in rbmperf: a second thread on a shared machine is noise, and idle BLAS workers
        that spin would be counted by the CPU clock. None leaves them as they are.

    Returns
    -------
    GrowthResult

    Raises
    ------
    ValueError
        On fewer than two sizes, sizes that do not increase, or bad options (before
        anything runs).
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
    results, _ = _measure(
        {name: func}, sizes, setup=setup, repeats=repeats, clock=clock, budget=budget,
        warmup=warmup, check=None, threads=threads,
    )  # fmt: skip
    return results[name]


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
    repeats: int = 3,
    clock: str = "cpu",
    budget: float | None = None,
    warmup: bool = True,
    threads: int | None = 1,
) -> ComparisonResult:
    """Time several kernels on the same data at each size and fit each one's growth.

    Parameters
    ----------
    kernels : mapping of str to callable
        Label -> kernel, each called as ``kernel(setup(n))`` (or ``kernel(n)``).
    sizes, setup, repeats, clock, budget, warmup, threads
        As in :func:`time_growth`; one setup call per size serves every kernel, and the
        repeats are interleaved across kernels.
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
        threads=threads,
    )  # fmt: skip
    return ComparisonResult(results, checked=check is not None, interrupted_at=interrupted_at)


def check_sizes(sizes: object) -> tuple[int, ...]:
    """Return `sizes` as a tuple of ints: at least two, each > 1, strictly increasing.

    Raises
    ------
    ValueError
        Saying which size is wrong.
    """
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence | np.ndarray):
        raise InputError(f"sizes must be a sequence of integers; got {sizes!r}")
    checked = []
    for position, size in enumerate(sizes):
        if isinstance(size, bool) or not isinstance(size, numbers.Integral):
            raise InputError(f"sizes must be integers; got {size!r} at position {position}")
        if size < 2:
            raise InputError(f"sizes must be > 1 (the fit takes logarithms); got {size}")
        if checked and size <= checked[-1]:
            raise InputError(
                f"sizes must increase; {int(size):,} follows {checked[-1]:,} (position {position})"
            )
        checked.append(int(size))
    if len(checked) < 2:
        raise InputError(f"a growth needs at least two sizes; got {len(checked)}")
    return tuple(checked)


def parse_sizes(text: str) -> tuple[int, ...]:
    """Sizes from text: a list ``"500,1000,2000"`` or a geometric range ``"500:16000:x2"``
    (from 500, multiplying by 2, up to and including 16000; factors may be fractional:
    ``"1000:8000:x1.5"``, rounded and without repeats). Checked by :func:`check_sizes`."""
    text = text.strip().replace("_", "")
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3 or not parts[2].lower().startswith("x"):
            raise InputError(f"a size range is START:STOP:xFACTOR, e.g. 500:16000:x2; got {text!r}")
        try:
            start, stop, factor = int(parts[0]), int(parts[1]), float(parts[2][1:])
        except ValueError as error:
            raise InputError(f"cannot read the size range {text!r}: {error}") from error
        if factor <= 1:
            raise InputError(f"the factor of a size range must be > 1; got {factor:g}")
        if start < 2 or stop < start:
            raise InputError(f"a size range needs 2 <= START <= STOP; got {text!r}")
        sizes: list[int] = []
        value = float(start)
        while round(value) <= stop:
            if not sizes or round(value) > sizes[-1]:
                sizes.append(round(value))
            value *= factor
        return check_sizes(sizes)
    try:
        return check_sizes([int(part) for part in text.split(",") if part.strip()])
    except ValueError as error:
        if "invalid literal" in str(error):
            raise InputError(f"sizes must be integers like 500,1000,2000; got {text!r}") from None
        raise


def check_callable(func: object, what: str) -> None:
    if not callable(func):
        raise InputTypeError(f"{what} must be callable; got {type(func).__name__}")


def check_options(
    repeats: object, clock: object, budget: object, threads: object = None
) -> float | None:
    if threads is not None and (
        isinstance(threads, bool) or not isinstance(threads, numbers.Integral) or threads < 1
    ):
        raise InputError(f"threads must be an integer >= 1, or None; got {threads!r}")
    if isinstance(repeats, bool) or not isinstance(repeats, numbers.Integral) or repeats < 1:
        raise InputError(f"repeats must be an integer >= 1; got {repeats!r}")
    if clock not in CLOCKS:
        raise InputError(f"clock must be one of {', '.join(CLOCKS)}; got {clock!r}")
    if budget is None:
        return None
    if isinstance(budget, bool) or not isinstance(budget, numbers.Real) or not budget > 0:
        raise InputError(f"budget must be a number of seconds > 0, or None; got {budget!r}")
    if not math.isfinite(budget):
        return None
    return float(budget)


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


class KernelSeries:
    """One kernel's measurements so far, and its budget decisions (also used by
    :mod:`.profile_growth`)."""

    def __init__(self, label: str, func: Callable[[Any], object], clock: str):
        self.label = label
        self.func = func
        self.clock = clock
        self.sizes: list[int] = []
        self.cpu: list[list[float]] = []
        self.wall: list[list[float]] = []
        self.calls: list[int] = []
        self.skipped: list[SkippedSize] = []
        self.stopped = False
        self.warmup_seconds: float | None = None

    def wall_points(self) -> list[tuple[int, float]]:
        return [(n, t) for n, repeat in zip(self.sizes, self.wall, strict=True) for t in repeat]

    def predicted_call(self, n: int) -> float | None:
        points = self.wall_points()
        if points:
            return predict_seconds(points, n)
        return self.warmup_seconds  # an over-estimate: it includes compilation

    def plan(self, n: int, repeats: int, budget: float | None) -> tuple[int, int]:
        """``(repeats, calls_per_repeat)`` at size `n`; ``(0, 0)`` if skipped."""
        predicted = self.predicted_call(n)
        calls = 1
        if predicted is not None and predicted > 0:
            wanted = math.ceil(MIN_REPEAT_SECONDS / predicted)
            calls = max(1, min(_MAX_CALLS_PER_REPEAT, wanted))
        if budget is None or predicted is None or not self.sizes:
            return repeats, calls
        one_repeat = predicted * calls
        limit = budget if len(self.sizes) >= MIN_SIZES else VERDICT_ALLOWANCE * budget
        if self.stopped or one_repeat > limit:
            if self.stopped:
                reason = f"a smaller size was skipped (predicted {one_repeat:.3g} s per repeat)"
            else:
                reason = f"predicted {one_repeat:.3g} s per repeat > budget {budget:g} s"
                if limit > budget:
                    reason += f" (×{VERDICT_ALLOWANCE:g}: fewer than {MIN_SIZES} sizes measured)"
            self.stopped = True
            self.skipped.append(SkippedSize(n, predicted, reason))
            return 0, 0
        # The allowance buys a kernel its verdict size, not extra repeats.
        return max(1, min(repeats, math.floor(budget / one_repeat))), calls

    def time_once(self, argument: object, n: int, calls: int, first: bool) -> object:
        func = self.func
        output = None

        def run() -> None:
            nonlocal output
            for _ in range(calls):
                output = func(argument)

        gc.disable()
        try:
            wall, cpu = timed(run)
        except Exception as error:
            add_note(error, f"raised by {self.label!r} at n={n:,}")
            raise
        finally:
            gc.enable()
        self.record(n, cpu / calls, wall / calls, calls, first=first)
        return output

    def record(self, n: int, cpu: float, wall: float, calls: int, *, first: bool) -> None:
        """Add one repeat's seconds per call; `first` opens size `n`."""
        if first:
            self.sizes.append(n)
            self.cpu.append([])
            self.wall.append([])
            self.calls.append(calls)
        self.cpu[-1].append(cpu)
        self.wall[-1].append(wall)

    def warm_up(self, argument: object, n: int) -> None:
        try:
            wall, _ = timed(lambda: self.func(argument))
        except Exception as error:
            add_note(error, f"raised by {self.label!r} in its warm-up call at n={n:,}")
            raise
        self.warmup_seconds = wall

    def result(
        self, requested: tuple[int, ...], interrupted_at: int | None, threads: int | None
    ) -> GrowthResult:
        # Ctrl-C may land between two appends of one record: keep what every list holds.
        done = min(len(self.sizes), len(self.cpu), len(self.wall), len(self.calls))
        kept = [min(len(self.cpu[i]), len(self.wall[i])) for i in range(done)]
        cpu = tuple(tuple(self.cpu[i][: kept[i]]) for i in range(done))
        wall = tuple(tuple(self.wall[i][: kept[i]]) for i in range(done))
        return GrowthResult(
            label=self.label,
            clock=self.clock,
            sizes=tuple(self.sizes[:done]),
            times=cpu if self.clock == "cpu" else wall,
            cpu_times=cpu,
            wall_times=wall,
            calls_per_repeat=tuple(self.calls[:done]),
            skipped=tuple(self.skipped),
            requested=requested,
            interrupted_at=interrupted_at,
            warmup_seconds=self.warmup_seconds,
            threads=threads,
        )


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
) -> tuple[dict[str, GrowthResult], int | None]:
    requested = check_sizes(sizes)
    budget = check_options(repeats, clock, budget, threads)
    if setup is not None:
        check_callable(setup, "setup")
    series = [KernelSeries(label, func, clock) for label, func in kernels.items()]
    interrupted_at = None
    n = requested[-1]
    try:
        with blas_threads(threads):
            interrupted_at = _sizes_loop(series, requested, setup, repeats, budget, warmup, check)
    except KeyboardInterrupt:  # while the limits were being set or restored
        measured = {size for s in series for size in s.sizes}
        interrupted_at = next((size for size in requested if size not in measured), n)
    for s in series:
        _warn_if_clock_saw_nothing(s)
    results = {s.label: s.result(requested, interrupted_at, threads) for s in series}
    return results, interrupted_at


def _sizes_loop(series, requested, setup, repeats, budget, warmup, check) -> int | None:
    """Measure every size in turn; return the size Ctrl-C stopped at, if any."""
    n = requested[0]
    try:
        for index, n in enumerate(requested):
            plans = {s.label: s.plan(n, repeats, budget) for s in series}
            active = [s for s in series if plans[s.label][0] > 0]
            if not active:
                continue
            argument = call_setup(setup, n)
            if index == 0 and warmup:
                for s in active:
                    s.warm_up(argument, n)
                plans = {s.label: s.plan(n, repeats, budget) for s in series}
            outputs: dict[str, object] = {}
            for repeat in range(max(plans[s.label][0] for s in active)):
                for s in active:
                    planned_repeats, calls = plans[s.label]
                    if repeat < planned_repeats:
                        output = s.time_once(argument, n, calls, first=repeat == 0)
                        if repeat == 0 and check is not None:
                            outputs[s.label] = output
                        del output
            if check is not None:
                _check_agreement(outputs, check, n)
            del argument, outputs
    except KeyboardInterrupt:
        return n
    return None


def _warn_if_clock_saw_nothing(series: KernelSeries) -> None:
    if series.clock != "cpu":
        return
    empty = [n for n, repeat in zip(series.sizes, series.cpu, strict=True) if min(repeat) <= 0]
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
