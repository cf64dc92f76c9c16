"""The budget rule: predict a size's cost from the sizes measured, and skip what won't fit.

One rule for every client of the engine (the backend sweep, ``time_growth``,
``profile_growth``, ``rbmperf growth``): before each size, its cost is predicted from the
sizes already measured (:func:`predict_seconds`); a size predicted to exceed the budget is
skipped with its prediction, and so is every larger size; a series that has fewer sizes
than a growth verdict needs may spend up to :data:`VERDICT_ALLOWANCE` times the budget on
its next size, so that a quadratic kernel still gets its verdict.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

# A series with fewer sizes than a growth verdict needs may spend up to this multiple of the
# budget on its next point, so that a quadratic backend still gets its verdict.
VERDICT_ALLOWANCE = 2.0


def predict_seconds(points: Sequence[tuple[int, float]], n: int) -> float | None:
    """Predict the seconds of one epoch at size `n` from measured ``(size, seconds)`` points.

    A power law through the fastest time at each of the (up to) three largest measured
    sizes (the fastest, because another process on the machine only ever adds time),
    extrapolated from the largest. The exponent is never taken below 1 (extrapolating a
    flat start would under-predict); with a single size, growth is assumed quadratic, the
    worst any backend here shows. Returns None with no points.
    """
    if not points:
        return None
    by_size: dict[int, list[float]] = {}
    for size, seconds in points:
        by_size.setdefault(int(size), []).append(float(seconds))
    sizes = sorted(by_size)[-3:]
    fastest = [min(by_size[s]) for s in sizes]
    if len(sizes) == 1:
        exponent = 2.0
    else:
        slope = np.polyfit(np.log(sizes), np.log(np.maximum(fastest, 1e-9)), 1)[0]
        exponent = max(float(slope), 1.0)
    return fastest[-1] * (n / sizes[-1]) ** exponent


def plan_size(
    predicted_repeat: float | None,
    wanted_repeats: int,
    allowance: float | None,
    measured_sizes: int,
    min_sizes: int,
) -> tuple[int, str | None]:
    """How many repeats a size gets under the budget rule: ``(repeats, None)``, or
    ``(0, reason)`` when it is skipped.

    Parameters
    ----------
    predicted_repeat : float or None
        Predicted seconds of one repeat at this size (None: nothing to predict from yet,
        so the size is measured).
    wanted_repeats : int
        Repeats the caller would like here.
    allowance : float or None
        Seconds this size's repeats may take together; None: no limit.
    measured_sizes : int
        Sizes of this series measured so far. With fewer than `min_sizes` (the sizes a
        verdict needs), one repeat may take up to :data:`VERDICT_ALLOWANCE` × `allowance`.
    min_sizes : int
        Sizes a growth verdict needs.

    Examples
    --------
    >>> plan_size(1.0, 3, 10.0, 5, 4)
    (3, None)
    >>> plan_size(4.0, 3, 10.0, 5, 4)
    (2, None)
    >>> plan_size(15.0, 3, 10.0, 2, 4)
    (1, None)
    >>> plan_size(15.0, 3, 10.0, 5, 4)[0]
    0
    """
    if allowance is None or predicted_repeat is None or predicted_repeat <= 0:
        return wanted_repeats, None
    limit = allowance if measured_sizes >= min_sizes else VERDICT_ALLOWANCE * allowance
    if predicted_repeat > limit:
        reason = f"predicted {predicted_repeat:.3g} s per repeat > budget {allowance:.3g} s"
        if limit > allowance:
            reason += f" (×{VERDICT_ALLOWANCE:g}: fewer than {min_sizes} sizes measured)"
        return 0, reason
    # The allowance buys a series its verdict size, not extra repeats.
    return max(1, min(wanted_repeats, math.floor(allowance / predicted_repeat))), None
