"""How a cost grows with the data: the exponent of ``t ∝ Nᵏ``, its interval and a verdict.

Model
-----
The time of one training epoch on ``N`` samples is modelled as a power law with
multiplicative noise,

    t = c · Nᵏ · exp(ε),    so    log t = log c + k · log N + ε,

where ``ε`` is measurement noise (timer jitter, other processes, frequency changes) with a
median of zero. On log-log axes the curve is a straight line of slope ``k``: ``k = 1`` is
linear growth, ``k = 2`` quadratic. A constant per-epoch overhead bends the line at small
``N``, so only the larger sizes are used (by default the largest ``max(4, ⌈2n/3⌉)`` of the
``n`` distinct sizes).

Estimator
---------
The slope is the Theil–Sen estimator [1]_ [2]_: the median of the slopes
``(log tⱼ − log tᵢ) / (log Nⱼ − log Nᵢ)`` over every pair of points at different sizes.
It ignores up to ~29% of wild points (a timing hit by another process), where least squares
would be dragged by one. Every repeat is a point, so sizes repeat; pairs at the same size have
no slope and are left out.

The confidence interval is Sen's distribution-free interval [2]_: with ``M`` pairwise slopes
sorted, it runs from the ``(M − C)/2``-th to the ``(M + C)/2``-th, where
``C = z · sd(S)`` and ``sd(S)`` is the standard deviation of Kendall's S under no
association, corrected for ties in ``N`` (the repeats):
``var(S) = [n(n−1)(2n+5) − Σ t(t−1)(2t+5)] / 18`` over groups of ``t`` tied sizes. This is the
interval scipy's ``theilslopes`` returns [3]_. It needs no assumption about the noise's
distribution, only that the points are independent.

Why not call ``scipy.stats.theilslopes``: it computes exactly this (slope and interval
agreed to 1e-12 on 300 random log-log data sets with repeated sizes; a test keeps them
agreeing), but ``fit_growth`` runs inside timing processes (the asv suite's growth
exponent, the CI ratio checks, growth budgets that fit between sizes), where importing
``scipy.stats`` took 1.9–2.7 s on the 2-core machines here and loads scipy's own OpenBLAS
beside numpy's (``threadpoolctl`` then lists two BLAS pools); mixing the two pools cost
14–87 ms per call pair in measurements on these machines. Twenty lines of numpy avoid both.

Decision rule
-------------
With the interval ``[lo, hi]`` at the requested confidence (95% by default):

- ``linear``        when ``0.85 ≤ lo`` and ``hi ≤ 1.15``;
- ``superlinear``   when ``lo > 1.15``;
- ``sublinear``     when ``hi < 0.85``;
- ``inconclusive``  otherwise (the interval straddles a boundary: more sizes, a wider
  range or less noise would decide), and always when fewer than 4 distinct sizes were
  measured, whatever the numbers say.

The band ±0.15 is the practical question "does doubling the data roughly double the time?":
an exponent of 1.15 makes 32× more data cost 49× more time instead of 32×.

Bends
-----
With at least 4 distinct sizes, the local slope between each pair of neighbouring sizes,
``sᵢ = Δ median(log t) / Δ log N``, is compared with the median of the others. Its standard
error comes from the spread of the repeats: each size's median has a standard error of
``1.2533 · σ / √m`` for ``m`` repeats, with ``σ`` the pooled standard deviation of
``log t`` within sizes (wild points inflate it, which can hide a bend but never invent
one); with a single point a size, the scaled median absolute deviation of the residuals
about the overall Theil–Sen line. The curve *bends* between two neighbouring sizes
when their local slope differs from the median of the others by more than
:data:`BEND_MIN_CHANGE` (a practical size, as the linear band is) and by more than
``z₀.₉₉₉ = 3.09`` standard errors (a strict level, because the largest of several
deviations is tested). The result then names the bend (:class:`Bend`), fits each side
separately, and the verdict becomes the one at the largest sizes: the fit over the sizes
above the bend, when it has at least 3 sizes, else ``inconclusive`` (a range that extends
further would decide). Data leaving a cache shows up this way: a steep step between two
sizes, the same slope on each side.

Second opinion
--------------
Three named models, ``c·N``, ``c·N log N`` and ``c·N²``, each with one free constant, are
fitted by least squares on ``log t`` and compared by Akaike's information criterion
``AIC = n · ln(RSS / n) + 2`` [4]_ (lower is better; with equal parameter counts this
ranks by residual sum of squares). ``best_model`` names the winner; ``aic`` holds all three.
This is the approach of the big_O package [5]_.

Known limits
------------
- ``N log N`` cannot be told from ``N^1.1`` (or from ``N`` with a little noise) over
  practical ranges: between N = 2,000 and 16,000, ``log N`` grows by only 27%, which moves
  the fitted exponent by about 0.1. An ``N log N`` cost therefore usually reads ``linear``
  here, and the AIC second opinion picks it only when the noise is a few per cent or less.
- Repeats at one size share that size's systematic effects (cache fits, page faults), so
  treating them as independent points makes the interval somewhat too narrow when such
  effects dominate the timer noise. Drift over a run is reduced by interleaving backends,
  not removed.
- A power law is a local description. A curve whose slope changes inside the range (data
  falling out of a cache) is caught only when the change is larger than the noise and
  than :data:`BEND_MIN_CHANGE` (next section); a gentler bend is summarised by an average
  slope.

References
----------
.. [1] H. Theil, "A rank-invariant method of linear and polynomial regression analysis",
   Proc. KNAW 53 (1950).
.. [2] P. K. Sen, "Estimates of the regression coefficient based on Kendall's tau",
   J. Amer. Statist. Assoc. 63 (1968) 1379–1389.
.. [3] ``scipy.stats.theilslopes``, https://docs.scipy.org/doc/scipy/reference/generated/scipy.stats.theilslopes.html
.. [4] H. Akaike, "A new look at the statistical model identification", IEEE Trans.
   Automat. Control 19 (1974) 716–723.
.. [5] P. Berkes, big_O, https://github.com/pberkes/big_O
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

from ..errors import InputError

LINEAR_BAND = (0.85, 1.15)
MIN_SIZES = 4
# A bend is a change of local slope at least this large (and beyond the noise).
BEND_MIN_CHANGE = 0.25
# Sizes above a bend that the verdict at the largest sizes needs.
MIN_SIZES_ABOVE_BEND = 3
_BEND_Z = 3.09
# Sizes with at least this many repeats are fitted on their faster half (faster_half).
FASTER_HALF_MIN_REPEATS = 4
DEFAULT_CONFIDENCE = 0.95
VERDICTS = ("linear", "superlinear", "sublinear", "inconclusive")

# Each candidate of the second opinion: name -> log f(N). Adding a model is adding a line.
_MODELS = {
    "N": lambda log_n: log_n,
    "N log N": lambda log_n: log_n + np.log(log_n),
    "N^2": lambda log_n: 2.0 * log_n,
}


@dataclass(frozen=True)
class Bend:
    """Where a growth curve's local slope changes beyond noise (see the module docstring).

    Attributes
    ----------
    below, above : int
        The neighbouring sizes between which the slope changes.
    local_slope : float
        The slope between `below` and `above`.
    slope_below, slope_above : float
        Theil–Sen slopes over the sizes up to `below` and from `above` on (NaN where that
        side has a single size).
    sizes_below, sizes_above : int
        Distinct sizes on each side.
    """

    below: int
    above: int
    local_slope: float
    slope_below: float
    slope_above: float
    sizes_below: int
    sizes_above: int

    def describe(self) -> str:
        """``bends between N = 4,000 and 8,000 (local k 1.9): k 1.01 below, 0.99 above``."""

        def side(slope: float) -> str:
            return "n/a" if math.isnan(slope) else f"{slope:.2f}"

        return (
            f"bends between N = {self.below:,} and {self.above:,} (local k "
            f"{self.local_slope:.2f}): k {side(self.slope_below)} below, "
            f"{side(self.slope_above)} above"
        )


@dataclass(frozen=True)
class GrowthFit:
    """The result of :func:`fit_growth`.

    Attributes
    ----------
    exponent : float
        Theil–Sen estimate of ``k`` in ``t ∝ Nᵏ`` (NaN with fewer than two sizes).
    ci_low, ci_high : float
        Sen's confidence interval for ``k`` (NaN with fewer than two sizes).
    verdict : str
        One of ``"linear"``, ``"superlinear"``, ``"sublinear"``, ``"inconclusive"``.
    reason : str
        Why that verdict, in words.
    n_sizes : int
        Distinct sizes used in the fit.
    best_model : str or None
        The AIC winner among ``"N"``, ``"N log N"``, ``"N^2"`` (None with fewer than two
        sizes).
    aic : dict of str to float
        AIC of each model (empty with fewer than two sizes).
    coefficient : float
        ``c`` of the fitted line ``t = c · N**exponent`` (for drawing it).
    sizes_used : tuple of int
        The distinct sizes the fit used, ascending.
    confidence : float
        Confidence level of the interval.
    bend : Bend or None
        Where the curve bends beyond noise, if it does; the verdict is then the one at the
        largest sizes (module docstring).
    decidable : bool
        Whether the interval may be judged at all: enough sizes were measured (4, or 3
        above a bend) and no bend leaves the largest sizes unknown. When False the verdict
        is ``inconclusive`` whatever the interval says, and so is any bound's judgement.
    """

    exponent: float
    ci_low: float
    ci_high: float
    verdict: str
    reason: str
    n_sizes: int
    best_model: str | None
    aic: dict[str, float] = field(default_factory=dict)
    coefficient: float = math.nan
    sizes_used: tuple[int, ...] = ()
    confidence: float = DEFAULT_CONFIDENCE
    bend: Bend | None = None
    decidable: bool = True

    def predict(self, n: float) -> float:
        """Return the fitted time at size `n`: ``coefficient * n ** exponent``."""
        return float(self.coefficient * n**self.exponent)

    def describe(self) -> str:
        """One line: ``k = 1.02 [0.98, 1.06] linear``."""
        if math.isnan(self.exponent):
            return f"k = n/a, {self.verdict}"
        return f"k = {self.exponent:.2f} [{self.ci_low:.2f}, {self.ci_high:.2f}] {self.verdict}"


def fit_growth(
    sizes: object,
    seconds: object,
    *,
    confidence: float = DEFAULT_CONFIDENCE,
    largest: int | None = None,
) -> GrowthFit:
    """Fit ``t ∝ Nᵏ`` to measured times and say whether growth is linear.

    See the module docstring for the model, the estimator, the decision rule and its
    limits.

    Parameters
    ----------
    sizes : array_like of int or float, shape (n_points,)
        Data size ``N`` of each measurement (> 1). Repeats of one size may appear as separate
        points.
    seconds : array_like of float, shape (n_points,)
        Measured time of each point (> 0, finite).
    confidence : float, default 0.95
        Level of the interval for the exponent, in (0, 1).
    largest : int, optional
        Use only the `largest` biggest distinct sizes. Default: ``max(4, ⌈2n/3⌉)`` of the
        ``n`` distinct sizes, which drops the smallest sizes, where fixed overheads bend the
        curve.

    Returns
    -------
    GrowthFit

    Raises
    ------
    ValueError
        If the arrays differ in length, are empty, or hold non-finite, non-positive or
        (for sizes) ≤ 1 values.

    Examples
    --------
    >>> import numpy as np
    >>> from rbmperf import fit_growth
    >>> n = np.array([1000, 2000, 4000, 8000, 16000])
    >>> fit_growth(n, 3e-6 * n**2).verdict
    'superlinear'
    >>> fit_growth(n, 1e-4 * n).verdict
    'linear'
    """
    size_array, time_array = _check_points(sizes, seconds)
    if not 0.0 < float(confidence) < 1.0:
        raise InputError(f"confidence must be between 0 and 1; got {confidence}")
    distinct = np.unique(size_array)
    if largest is None:
        largest = max(MIN_SIZES, math.ceil(2 * len(distinct) / 3))
    elif isinstance(largest, bool) or not isinstance(largest, int) or largest < 2:
        raise InputError(f"largest must be an integer >= 2; got {largest!r}")
    used_sizes = distinct[-largest:]
    keep = np.isin(size_array, used_sizes)
    log_n = np.log(size_array[keep])
    log_t = np.log(time_array[keep])
    n_sizes = len(used_sizes)
    used = tuple(int(s) if float(s).is_integer() else float(s) for s in used_sizes)

    if n_sizes < 2:
        return GrowthFit(
            exponent=math.nan,
            ci_low=math.nan,
            ci_high=math.nan,
            verdict="inconclusive",
            reason=f"only {n_sizes} size measured (need at least {MIN_SIZES})",
            n_sizes=n_sizes,
            best_model=None,
            aic={},
            sizes_used=used,
            confidence=float(confidence),
            decidable=False,
        )

    bend = _find_bend(size_array, time_array)
    if bend is not None and bend.sizes_above >= MIN_SIZES_ABOVE_BEND:
        # The verdict at the largest sizes: the fit beyond the bend.
        keep = size_array >= bend.above
        log_n, log_t = np.log(size_array[keep]), np.log(time_array[keep])
        used_sizes = np.unique(size_array[keep])
        n_sizes = len(used_sizes)
        used = tuple(int(s) if float(s).is_integer() else float(s) for s in used_sizes)
    exponent, ci_low, ci_high = _theil_sen(log_n, log_t, float(confidence))
    coefficient = float(np.exp(np.median(log_t - exponent * log_n)))
    aic = _aic(log_n, log_t)
    best_model = min(aic, key=aic.__getitem__)
    decidable = n_sizes >= MIN_SIZES
    if bend is None:
        verdict, reason = _decide(exponent, ci_low, ci_high, n_sizes, float(confidence))
    elif bend.sizes_above < MIN_SIZES_ABOVE_BEND:
        verdict, reason = _decide(exponent, ci_low, ci_high, n_sizes, float(confidence))
        low, high = LINEAR_BAND
        # Too few sizes above the bend for a verdict there. The range's verdict stands only
        # when the slope below the bend and at it say the same (a curve that steepens from
        # superlinear is superlinear); otherwise the largest sizes are not known.
        same_side = (
            verdict == "superlinear" and min(bend.slope_below, bend.local_slope) > high
        ) or (verdict == "sublinear" and max(bend.slope_below, bend.local_slope) < low)
        if same_side:
            reason = f"{bend.describe()}; {verdict} below and at it: {reason}"
        else:
            decidable = False
            verdict = "inconclusive"
            reason = (
                f"{bend.describe()}; too few sizes above it for a verdict at the largest sizes "
                f"(need {MIN_SIZES_ABOVE_BEND}: larger sizes would decide)"
            )
    else:
        verdict, reason = _decide(
            exponent, ci_low, ci_high, n_sizes, float(confidence), MIN_SIZES_ABOVE_BEND
        )
        decidable = True
        reason = f"{bend.describe()}; at the largest sizes: {reason}"
    return GrowthFit(
        exponent=exponent,
        ci_low=ci_low,
        ci_high=ci_high,
        verdict=verdict,
        reason=reason,
        n_sizes=n_sizes,
        best_model=best_model,
        aic=aic,
        coefficient=coefficient,
        sizes_used=used,
        confidence=float(confidence),
        bend=bend,
        decidable=decidable,
    )


def faster_half(
    sizes: np.ndarray, seconds: np.ndarray, min_repeats: int = FASTER_HALF_MIN_REPEATS
) -> tuple[np.ndarray, np.ndarray]:
    """The points at or below their size's median time, at sizes with at least
    `min_repeats` repeats (every point elsewhere).

    Another process on the machine only ever adds time, and it adds more where a call
    touches more memory (its caches are shared): under load the slower repeats of the
    larger sizes are inflated most, which tilts the slope upwards. The faster half of each
    size's repeats is the machine as the function would have it alone (the reason
    :mod:`timeit` reports the minimum), while keeping half the points for the interval.

    Examples
    --------
    >>> n = np.array([10, 10, 10, 10, 20, 20, 20, 20])
    >>> t = np.array([1.0, 1.1, 5.0, 1.2, 2.0, 9.0, 2.1, 2.2])
    >>> faster_half(n, t)[1].tolist()
    [1.0, 1.1, 2.0, 2.1]
    """
    sizes = np.asarray(sizes)
    seconds = np.asarray(seconds, dtype=np.float64)
    keep = np.ones(sizes.shape, dtype=bool)
    for size in np.unique(sizes):
        at = np.flatnonzero(sizes == size)
        if len(at) >= min_repeats:
            order = at[np.argsort(seconds[at], kind="stable")]
            keep[order[(len(at) + 1) // 2 :]] = False
    return sizes[keep], seconds[keep]


def interval_label(confidence: float = DEFAULT_CONFIDENCE) -> str:
    """``"95% CI"`` for a confidence of 0.95: the column heading of an interval."""
    return f"{confidence:.0%} CI"


def rule_text(confidence: float = DEFAULT_CONFIDENCE) -> str:
    """The decision rule in words, from this module's constants (for reports and help).

    Examples
    --------
    >>> rule_text()
    "Sen's 95% interval; linear iff the interval lies within [0.85, 1.15]"
    """
    low, high = LINEAR_BAND
    return f"Sen's {confidence:.0%} interval; linear iff the interval lies within [{low}, {high}]"


def _check_points(sizes: object, seconds: object) -> tuple[np.ndarray, np.ndarray]:
    try:
        size_array = np.asarray(sizes, dtype=np.float64).ravel()
        time_array = np.asarray(seconds, dtype=np.float64).ravel()
    except (TypeError, ValueError) as error:
        raise InputError(f"sizes and seconds must be numbers: {error}") from error
    if size_array.size == 0:
        raise InputError("fit_growth needs at least one measurement; got none")
    if size_array.shape != time_array.shape:
        raise InputError(
            f"sizes and seconds must have the same length; got {size_array.size} sizes "
            f"and {time_array.size} times"
        )
    bad = ~np.isfinite(size_array) | (size_array <= 1)
    if bad.any():
        first = int(np.argmax(bad))
        raise InputError(f"sizes must be finite and > 1; got {size_array[first]} at {first}")
    bad = ~np.isfinite(time_array) | (time_array <= 0)
    if bad.any():
        first = int(np.argmax(bad))
        raise InputError(f"seconds must be finite and > 0; got {time_array[first]} at {first}")
    return size_array, time_array


def _theil_sen(x: np.ndarray, y: np.ndarray, confidence: float) -> tuple[float, float, float]:
    """Median pairwise slope and Sen's interval (ties in x allowed, as in scipy)."""
    i, j = np.triu_indices(len(x), k=1)
    dx = x[j] - x[i]
    distinct = dx != 0
    slopes = np.sort((y[j] - y[i])[distinct] / dx[distinct])
    estimate = float(np.median(slopes))
    n = len(x)
    _, tie_counts = np.unique(x, return_counts=True)
    variance = (
        n * (n - 1) * (2 * n + 5) - np.sum(tie_counts * (tie_counts - 1) * (2 * tie_counts + 5))
    ) / 18.0
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    spread = z * math.sqrt(max(variance, 0.0))
    count = len(slopes)
    lower = max(round((count - spread) / 2.0) - 1, 0)
    upper = min(round((count + spread) / 2.0), count - 1)
    return estimate, float(slopes[lower]), float(slopes[upper])


def _aic(log_n: np.ndarray, log_t: np.ndarray) -> dict[str, float]:
    """AIC of each one-constant model fitted to log t by least squares."""
    n = len(log_t)
    result = {}
    for name, log_f in _MODELS.items():
        residual = log_t - log_f(log_n)
        rss = float(np.sum((residual - residual.mean()) ** 2))
        # An exact fit has RSS 0; a tiny floor keeps the AIC finite and the ranking intact.
        result[name] = n * math.log(max(rss, 1e-300) / n) + 2.0
    return result


def _decide(
    exponent: float,
    ci_low: float,
    ci_high: float,
    n_sizes: int,
    confidence: float,
    min_sizes: int = MIN_SIZES,
) -> tuple[str, str]:
    low, high = LINEAR_BAND
    interval = f"{interval_label(confidence)} [{ci_low:.2f}, {ci_high:.2f}]"
    if n_sizes < min_sizes:
        return (
            "inconclusive",
            f"only {n_sizes} sizes measured (need at least {min_sizes}); k ≈ {exponent:.2f}",
        )
    if low <= ci_low and ci_high <= high:
        return "linear", f"{interval} lies within [{low}, {high}]"
    if ci_low > high:
        return "superlinear", f"{interval} lies above {high}"
    if ci_high < low:
        return "sublinear", f"{interval} lies below {low}"
    return "inconclusive", f"{interval} straddles the linear band [{low}, {high}]"


def _find_bend(sizes: np.ndarray, seconds: np.ndarray) -> Bend | None:
    """The neighbouring sizes between which the local slope departs from the others beyond
    :data:`BEND_MIN_CHANGE` and noise (module docstring), or None."""
    distinct = np.unique(sizes)
    if len(distinct) < MIN_SIZES:
        return None
    log_n = np.log(distinct)
    groups = [np.log(seconds[sizes == size]) for size in distinct]
    centres = np.array([np.median(group) for group in groups])
    repeats = np.array([len(group) for group in groups])
    if repeats.sum() > len(groups):
        # The pooled standard deviation within sizes: wild points (another process) inflate
        # it, which can only hide a bend, never invent one.
        within = sum(float(np.sum((group - group.mean()) ** 2)) for group in groups)
        sigma = math.sqrt(within / (repeats.sum() - len(groups)))
    else:
        # One point a size: the scatter about the overall line (a bend inflates it too).
        slope = _theil_sen(np.log(sizes), np.log(seconds), DEFAULT_CONFIDENCE)[0]
        residual = np.log(seconds) - slope * np.log(sizes)
        sigma = 1.4826 * float(np.median(np.abs(residual - np.median(residual))))
    errors = 1.2533 * sigma / np.sqrt(repeats)
    steps = np.diff(log_n)
    local = np.diff(centres) / steps
    local_errors = np.sqrt(errors[:-1] ** 2 + errors[1:] ** 2) / steps
    best, best_score = None, 0.0
    for i in range(len(local)):
        others = np.delete(local, i)
        change = abs(local[i] - float(np.median(others)))
        noise = math.hypot(local_errors[i], float(np.median(np.delete(local_errors, i))))
        if change > BEND_MIN_CHANGE and change > _BEND_Z * noise and change > best_score:
            best, best_score = i, change
    if best is None:
        return None

    def side_slope(keep: np.ndarray) -> float:
        if len(np.unique(sizes[keep])) < 2:
            return math.nan
        return _theil_sen(np.log(sizes[keep]), np.log(seconds[keep]), DEFAULT_CONFIDENCE)[0]

    below, above = distinct[best], distinct[best + 1]
    return Bend(
        below=int(below),
        above=int(above),
        local_slope=float(local[best]),
        slope_below=side_slope(sizes <= below),
        slope_above=side_slope(sizes >= above),
        sizes_below=best + 1,
        sizes_above=len(distinct) - best - 1,
    )
