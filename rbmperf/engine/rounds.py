"""The order in which sizes are measured: rounds that visit every size.

A measurement is a sequence of *rounds*; each round times every size once (every series
at a size back to back, interleaved: A B C at N₁, A B C at N₂, …). The first round
ascends, so that the budget rule can predict each size from the smaller ones before it
is timed (:mod:`.budget`). Later rounds alternate direction: descending, ascending,
descending, …

Why rounds, and why alternate. The machine's speed drifts (frequency, other processes,
thermal state). Timing all repeats of one size before moving to the next — sizes ascending,
repeats at each — turns any drift over the run into a tilt of the slope: a machine that
slows down by a few per cent over the run adds that to the largest sizes only, and the
exponent reads too high. Rounds spread every size over the whole run. Within a round a
linear drift still tilts the slope, by the drift over one round; a descending round tilts
it the other way by the same amount, so pairs of rounds cancel it. ``docs/measuring.md``
has the effect measured on this machine.
"""

from __future__ import annotations

from collections.abc import Sequence


def round_order(sizes: Sequence[int], round_index: int) -> list[int]:
    """The sizes in the order round `round_index` (0-based) visits them.

    Round 0 ascends; later rounds alternate: odd rounds descend, even rounds ascend.

    Examples
    --------
    >>> round_order([1, 2, 4], 0), round_order([1, 2, 4], 1), round_order([1, 2, 4], 2)
    ([1, 2, 4], [4, 2, 1], [1, 2, 4])
    """
    ordered = sorted(sizes)
    return ordered[::-1] if round_index % 2 else ordered
