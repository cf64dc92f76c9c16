"""Where a benchmark's growth changed between commits.

Model
-----
At each commit ``c`` of one series (one benchmark at fixed other parameters, one machine,
one environment), :func:`rbmperf.stats.growth.fit_growth` gives the exponent ``k̂_c`` of
``t ∝ Nᵏ``, Sen's distribution-free interval ``I_c = [lo_c, hi_c]`` (95%) and a verdict
``v_c`` (``linear`` when ``I_c ⊂ [0.85, 1.15]``, ``superlinear`` when ``lo_c > 1.15``,
``sublinear`` when ``hi_c < 0.85``, else ``inconclusive``). The growth of the code is
assumed piecewise constant over the commit history: ``k`` stays put until a commit changes
the algorithm, and the fits scatter around it with the measurement noise.

Decision rule
-------------
Commits without an exponent (fewer than 2 sizes measured) are passed over. For each commit
``c`` with its predecessor ``p`` (the previous commit with an exponent), ``c`` is flagged
when either holds:

1. **Verdict change**: ``v_c`` is conclusive (not ``inconclusive``) and differs from the
   last conclusive verdict before ``c``. Since two different conclusive verdicts have
   disjoint intervals on either side of 0.85 or 1.15, this is a change the two intervals
   agree on. An ``inconclusive`` commit between them neither raises nor hides it.
2. **Step**: both fits used at least 4 sizes (with 2 or 3 points an interval is hardly
   one), ``|k̂_c − k̂_p| ≥ δ`` (``min_step``, default 0.15, the half-width of the linear
   band) *and* the two intervals are disjoint (``lo_c > hi_p`` or ``hi_c < lo_p``). The
   step size asks for a change that matters in practice (32× more data costing 49× instead
   of 32× more time is a step of 0.15); the disjoint intervals for one the noise of *both*
   commits does not explain. For two normal estimates with equal standard errors ``σ``,
   disjoint 95% intervals mean ``|k̂_c − k̂_p| > 3.92σ``, a two-sided test at about 0.6%
   per pair; "one estimate outside the other's interval" would be ``> 1.96σ``, about 16%.
   Asking instead for ``GrowthFit.decidable`` fits (which also refuses a fit whose bend
   leaves the largest sizes unknown) found fewer planted changes in the simulations below
   (183 instead of 195 of 200 with one value per size and 10% noise) and raised more false
   alarms (16 instead of 13).

Both at one commit are one change (``kinds`` lists which held). Each change is reported
with the commits on either side (``before`` = ``p``, ``commit`` = ``c``).

This is a pairwise rule between neighbours, not a segmentation of the whole history as
asv's ``step_detect`` does (a penalised least-squares fit of a piecewise-constant function,
after Friedrich et al. and Yao & Au [1]_ [2]_): a growth exponent already pools a commit's
whole sweep over sizes, and a history of a few dozen commits is short enough to show every
flagged pair with its evidence.

Noise and false alarms
----------------------
With medians only (one point per size) and 4 sizes, Sen's 95% interval is the whole range
of the pairwise slopes, so rule 2 fires only on a step wider than both commits' scatter
over sizes. With samples (``asv run --record-samples``) the intervals are narrower, and
``δ`` is what keeps small drifts (a machine warming up, another process) from being
flagged. Measured on seeded simulated histories (``tests/test_history.py``): 6 commits,
sizes 1,000–8,000 (4), log-normal noise per sample, 200 histories with ``k`` going from 1
to 2 at the fourth commit and 200 with ``k = 1`` throughout (1,800 neighbour pairs with no
change):

=================  ====================  ===============  ========================
noise per sample   fitted per size       planted found    false changes (of 1,800)
=================  ====================  ===============  ========================
10%                5 samples             200 of 200       0
10%                1 value (a median)    195 of 200       13 (0.7%)
20%                5 samples             200 of 200       6 (0.3%)
20%                1 value (a median)    144 of 200       22 (1.2%)
=================  ====================  ===============  ========================

With one value per size a planted change is sometimes missed: ``fit_growth`` then reads
the quadratic commit's noisy curve as bent and fits only the 3 sizes above the bend, which
gives no verdict and is too few for rule 2.

Known limits
------------
- Each pair is tested on its own, with no correction for the number of pairs: over
  ``S`` series and ``C`` commits there are ``S·(C−1)`` tests, so with heavy noise or few
  sizes an occasional false change is expected; check the curves shown with each change.
- A gradual drift of ``k`` by less than ``δ`` per commit is never flagged, however far it
  goes in total.
- A step smaller than ``δ`` is not flagged even when the intervals prove it; a verdict that
  crosses the band's edge (``k`` moving from 1.12 to 1.18 with tight intervals) is, since
  rule 1 needs no minimum step.
- Systematic effects shared by one commit's sizes (a busy machine for one run, a different
  CPU) move ``k̂_c`` without widening ``I_c``; results from different machines are kept in
  separate histories for this reason, but a machine name reused for another CPU is not
  detected.
- The order of commits is git's topological order (or the commit dates asv recorded when
  the repository is not available): on a branching history, "neighbours" are neighbours in
  that order, not necessarily parent and child.

References
----------
.. [1] F. Friedrich, A. Kempe, V. Liebscher, G. Winkler, "Complexity penalized
   M-estimation: fast computation", J. Comput. Graph. Stat. 17 (2008) 201–224.
.. [2] Y.-C. Yao, S. T. Au, "Least-squares estimation of a step function", Sankhyā A 51
   (1989) 370–381.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..stats.growth import MIN_SIZES
from .series import CommitFit, GrowthSeries

__all__ = ["DEFAULT_MIN_STEP", "Change", "find_changes"]

DEFAULT_MIN_STEP = 0.15


@dataclass(frozen=True)
class Change:
    """A commit where a series' growth changed.

    Attributes
    ----------
    series : GrowthSeries
        The series it happened in.
    before : CommitFit
        The previous commit with an exponent.
    after : CommitFit
        The flagged commit.
    kinds : tuple of str
        ``("verdict",)``, ``("step",)`` or ``("verdict", "step")``: which rule fired.
    verdict_before : str
        The last conclusive verdict before `after` (``before.verdict`` if none was).
    """

    series: GrowthSeries
    before: CommitFit
    after: CommitFit
    kinds: tuple[str, ...]
    verdict_before: str

    @property
    def commit(self) -> str:
        """The flagged commit's hash."""
        return self.after.commit

    def describe(self) -> str:
        """One line: ``label: k 1.00 [0.98, 1.02] linear → 2.01 [...] superlinear at abc``."""
        before = self.before.verdict
        if self.verdict_before != before:
            before += f" (last conclusive: {self.verdict_before})"
        return (
            f"{self.series.label} on {self.series.machine}: "
            f"k {_k(self.before)} {before} at {self.before.commit[:8]} → "
            f"{_k(self.after)} {self.after.verdict} at {self.after.commit[:8]} "
            f"({' and '.join(self.kinds)})"
        )


def _k(fit: CommitFit) -> str:
    return f"{fit.exponent:.2f} [{fit.ci_low:.2f}, {fit.ci_high:.2f}]"


def find_changes(
    fits: list[CommitFit], *, min_step: float = DEFAULT_MIN_STEP
) -> list[tuple[CommitFit, CommitFit, tuple[str, ...], str]]:
    """Flag the commits of one series where its growth changed (rule in the module doc).

    Parameters
    ----------
    fits : list of CommitFit
        One series' fits in commit order.
    min_step : float, default 0.15
        Smallest step of the exponent that counts (``δ``).

    Returns
    -------
    list of (before, after, kinds, verdict_before)
        One entry per flagged commit `after`; `before` is the previous commit with an
        exponent, `kinds` which rules fired, `verdict_before` the last conclusive verdict
        before `after`.

    Examples
    --------
    >>> from rbmperf.history.series import CommitFit
    >>> def fit(c, k, lo, hi, v):
    ...     return CommitFit(c, None, k, lo, hi, v, "", 4, "samples", (), ())
    >>> found = find_changes([fit("a", 1.0, 0.98, 1.02, "linear"),
    ...                       fit("b", 2.0, 1.97, 2.03, "superlinear")])
    >>> [(after.commit, kinds) for _, after, kinds, _ in found]
    [('b', ('verdict', 'step'))]
    """
    found = []
    previous: CommitFit | None = None
    last_verdict: str | None = None
    for fit in fits:
        if math.isnan(fit.exponent):
            continue
        if previous is not None:
            kinds = []
            conclusive = fit.verdict != "inconclusive"
            if conclusive and last_verdict is not None and fit.verdict != last_verdict:
                kinds.append("verdict")
            if _stepped(previous, fit, min_step):
                kinds.append("step")
            if kinds:
                found.append((previous, fit, tuple(kinds), last_verdict or previous.verdict))
        if fit.verdict != "inconclusive":
            last_verdict = fit.verdict
        previous = fit
    return found


def _stepped(before: CommitFit, after: CommitFit, min_step: float) -> bool:
    if min(before.n_sizes, after.n_sizes) < MIN_SIZES:
        return False
    if abs(after.exponent - before.exponent) < min_step:
        return False
    return after.ci_low > before.ci_high or after.ci_high < before.ci_low


def series_changes(
    series: list[GrowthSeries], *, min_step: float = DEFAULT_MIN_STEP
) -> list[Change]:
    """Every change in every series, in the order of `series` then of commits.

    Parameters
    ----------
    series : list of GrowthSeries
    min_step : float, default 0.15

    Returns
    -------
    list of Change
    """
    changes = []
    for one in series:
        for before, after, kinds, verdict_before in find_changes(one.fits, min_step=min_step):
            changes.append(Change(one, before, after, kinds, verdict_before))
    return changes
