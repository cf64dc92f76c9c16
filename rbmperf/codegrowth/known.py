"""Functions of known growth: the evaluation set of the growth tools.

Every growth tool of rbmperf (``time_growth`` today; an assertion, memory growth and
instruction counts later) is judged on the same functions, whose growth is known from their
code: ``scripts/growth_eval.py`` runs a tool over them many times, quiet and under a bursty
load, and counts right, wrong and abstained verdicts.

The set
-------
Each :class:`KnownCase` carries its function, a ``setup(n)`` that builds the argument
(seeded: the same ``n`` always gives the same data), five sizes ``n₀ · (1, 2, 4, 8, 16)``, the
class of its time growth (`kind`), the exponent its cost model gives over those sizes, and
how the peak memory of one call grows (for issue 19's memory growth). Sizes were chosen on
the 2-vCPU AMD EPYC of 2026-12-04 (AVX-512, numpy's OpenBLAS on its SkylakeX kernel, one
BLAS thread) so that a call takes the time stated in its note; another CPU moves every
figure by a constant factor, not the exponents.

``linear`` — fast ones, 0.01–0.2 ms a call at the smallest size and 0.15–3.5 ms at the
largest (calls a growth tool must loop to time):

- ``dict_from_items``: ``dict`` of n ``(key, value)`` pairs (shuffled int keys).
- ``set_from_items``: ``set`` of n shuffled ints.
- ``sum_list``: ``sum`` over a list of n ints.
- ``list_comprehension``: ``[v + 1 for v in values]`` over n ints.
- ``str_join`` / ``bytes_join``: ``"".join`` of n 8-character strings, ``b"".join`` of n
  8-byte chunks.

Their ranges end below where the cost per item stops being flat on that CPU, measured
under ``time_growth`` from 1/8 to 32 times the smallest size. A set or dict of random int
keys costs 1.2–2.5× more per item once its hash table passes ~1 MiB (the L2), and at one
size or another its table is mapped fresh by glibc's ``malloc`` on every call: a set of
24,000 ints cost 15 or 28–60 ns an item from run to run, 60–80 ns with
``MALLOC_MMAP_THRESHOLD_=65536`` and a steady 15–20 ns with the threshold out of reach
(page faults cost about 1 ns a byte on that VM). A list comprehension cost 1.5× more from
80,000 items when its output was dropped between calls (pymalloc unmaps empty arenas);
the joins 1.5–7× more from 320,000 items. Only ``sum`` stayed flat (4.0–4.5 ns an item
from 25,000 to 3.2 M). So a dict or set build of 0.1 → 3 ms a call is *not* linear as
measured on that machine (k ≈ 1.1–1.4 over the range, varying with the allocator's
history), and is not in the set: a tool would be right to doubt it.

``linear`` — slower ones:

- ``python_loop``: n Python additions of 1 (a one-digit total: every addition costs the
  same), about 0.7 → 11 ms.

``bend`` — linear, but the cost per item changes halfway through the range; the verdict at
the largest sizes is what matters, and it is scored as linear:

- ``cumsum``: ``np.cumsum`` of n float64 (a new output each call), n = 1 M → 16 M. The
  middle size's output is 32 MiB: the L3 of that CPU, and the largest block glibc's
  ``malloc`` recycles (its adaptive mmap threshold stops at 32 MiB), so from there on
  every call also maps and zeroes fresh pages. Measured there: 3.4 ns an item up to 2 M,
  4.2–4.6 ns from 4 M on. (``np.cumsum`` into a preallocated output did *not* bend: 3.3 ns
  an item from 8 K to 8 M items, a serial dependence that no cache level slows.)

``nlogn`` — reported, not scored (n log n reads as k ≈ 1.1 over a ×16 range, between the
linear band and the superlinear side):

- ``sorted_shuffled``: ``sorted`` of a list of n shuffled ints.

``superlinear`` (k ≥ 1.4):

- ``nested_loops``: a loop in a loop, n² additions.
- ``hidden_quadratic``: a linear loop of n helper calls, then one call of a quadratic
  helper (n · n/8 additions) that dominates.
- ``insert_front``: ``list.insert(0, x)`` n times (each moves every item already there).
- ``list_membership``: ``x in values`` for each of n queries against a list of n ints.
- ``whole_data_batches``: the blog's bug in miniature: n/50 "mini-batch" steps, each handed
  the whole ``(n, 32)`` data set.
- ``loop_n_sqrt_n``: ``round(n ** 1.5)`` Python additions (k = 1.5 exactly).
- ``pairwise_outer``: ``(|xᵢ − xⱼ| < 0.01)`` over every pair with numpy, n² temporaries
  (memory quadratic too).

Every function is module-level (importable by name, so a child process can run it) and
deterministic. ``score`` turns a verdict into right / wrong / abstained for a kind.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

# Absolute, not relative: scripts/growth_eval.py loads this file by path (to measure an older
# rbmperf on the same set), where a relative import has no package to resolve against.
from rbmperf.errors import InputError

#: The classes of time growth a case can have.
KINDS = ("linear", "superlinear", "nlogn", "bend")
#: How the peak memory of one call grows (None on a case: not known).
MEMORY_CLASSES = ("constant", "linear", "quadratic")
#: The verdicts a growth tool gives.
VERDICTS = ("linear", "superlinear", "sublinear", "inconclusive")
#: What a verdict counts as: a right answer, a wrong one, or an abstention.
SCORES = ("right", "wrong", "abstained")

# The verdict that is right for each kind; nlogn is reported, not scored.
_EXPECTED = {"linear": "linear", "bend": "linear", "superlinear": "superlinear", "nlogn": None}
_SEED = 20261204


@dataclass(frozen=True)
class KnownCase:
    """One function of known growth, with what it takes to measure it.

    Attributes
    ----------
    name : str
        Short unique name (the evaluation script's ``--cases`` takes these).
    func : callable
        Module-level function, called as ``func(setup(n))``.
    setup : callable
        ``setup(n)`` builds the argument for size ``n`` (untimed, seeded, deterministic).
    sizes : tuple of int
        Five sizes, ``n₀ · (1, 2, 4, 8, 16)``.
    true_exponent : float
        The exponent of the cost model over these sizes (see `note` where it is not exact).
    kind : {"linear", "superlinear", "nlogn", "bend"}
        The class of its time growth.
    note : str
        What the function does and what a call takes at the smallest and largest size.
    memory : {"constant", "linear", "quadratic"} or None
        How the peak memory allocated during one call grows (the argument is not counted).
    """

    name: str
    func: Callable[[Any], object]
    setup: Callable[[int], Any]
    sizes: tuple[int, ...]
    true_exponent: float
    kind: str
    note: str
    memory: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InputError(f"kind must be one of {KINDS}; got {self.kind!r}")
        if self.memory is not None and self.memory not in MEMORY_CLASSES:
            raise InputError(f"memory must be one of {MEMORY_CLASSES} or None")

    @property
    def expected_verdict(self) -> str | None:
        """The verdict that scores as right (None: the kind is reported, not scored)."""
        return _EXPECTED[self.kind]


def score(kind: str, verdict: str) -> str | None:
    """Score one verdict on a case of `kind`.

    Parameters
    ----------
    kind : {"linear", "superlinear", "nlogn", "bend"}
        The case's class (``bend`` is scored as linear).
    verdict : {"linear", "superlinear", "sublinear", "inconclusive"}
        What the tool said.

    Returns
    -------
    {"right", "wrong", "abstained"} or None
        ``"abstained"`` for ``"inconclusive"``, ``"right"`` when the verdict is the kind's
        expected one, ``"wrong"`` otherwise; None for ``nlogn`` (reported, not scored).

    Raises
    ------
    ValueError
        On an unknown kind or verdict.

    Examples
    --------
    >>> score("linear", "superlinear"), score("bend", "linear"), score("nlogn", "linear")
    ('wrong', 'right', None)
    """
    if kind not in _EXPECTED:
        raise InputError(f"kind must be one of {KINDS}; got {kind!r}")
    if verdict not in VERDICTS:
        raise InputError(f"verdict must be one of {VERDICTS}; got {verdict!r}")
    expected = _EXPECTED[kind]
    if expected is None:
        return None
    if verdict == "inconclusive":
        return "abstained"
    return "right" if verdict == expected else "wrong"


def _geometric(n0: int) -> tuple[int, ...]:
    return tuple(n0 * 2**i for i in range(5))


def _rng(n: int, salt: int = 0) -> np.random.Generator:
    return np.random.default_rng([_SEED, salt, n])


# --- setups ---------------------------------------------------------------------------


def shuffled_ints(n: int) -> list[int]:
    """The ints ``0 … n−1`` in a seeded random order, as a Python list."""
    return _rng(n).permutation(n).tolist()


def key_value_pairs(n: int) -> list[tuple[int, int]]:
    """n ``(key, value)`` pairs with distinct shuffled int keys."""
    return [(key, 2 * key) for key in shuffled_ints(n)]


def words(n: int) -> list[str]:
    """n distinct 8-character strings."""
    return [f"{i:08x}" for i in shuffled_ints(n)]


def chunks(n: int) -> list[bytes]:
    """n distinct 8-byte chunks."""
    return [i.to_bytes(8, "little") for i in shuffled_ints(n)]


def identity(n: int) -> int:
    """The size itself, for functions that take ``n``."""
    return n


def floats(n: int) -> np.ndarray:
    """n uniform float64 in [0, 1)."""
    return _rng(n, 1).random(n)


def membership_problem(n: int) -> tuple[list[int], list[int]]:
    """A list of n ints and n queries, each present at a uniformly random position."""
    return shuffled_ints(n), random.Random(_SEED + n).sample(range(n), n)


def design_matrix(n: int) -> np.ndarray:
    """An ``(n, 32)`` float64 data set of uniforms."""
    return _rng(n, 2).random((n, 32))


# --- linear -------------------------------------------------------------------------


def dict_from_items(pairs: list[tuple[int, int]]) -> dict[int, int]:
    """Linear: a dict built from n pairs."""
    return dict(pairs)


def set_from_items(values: list[int]) -> set[int]:
    """Linear: a set built from n ints."""
    return set(values)


def sum_list(values: list[int]) -> int:
    """Linear: ``sum`` over a list of n ints."""
    return sum(values)


def list_comprehension(values: list[int]) -> list[int]:
    """Linear: a list comprehension over n ints."""
    return [v + 1 for v in values]


def str_join(parts: list[str]) -> str:
    """Linear: ``"".join`` of n strings."""
    return "".join(parts)


def bytes_join(parts: list[bytes]) -> bytes:
    """Linear: ``b"".join`` of n chunks."""
    return b"".join(parts)


def python_loop(n: int) -> int:
    """Linear: n Python additions of 1 (the total stays a small int, so each costs the
    same; a total past 2**30 costs more per addition)."""
    total = 0
    for _ in range(n):
        total += 1
    return total


def cumsum(x: np.ndarray) -> float:
    """Linear with a bend: ``np.cumsum`` of n floats into a new array."""
    return float(np.cumsum(x)[-1])


# --- n log n ------------------------------------------------------------------------


def sorted_shuffled(values: list[int]) -> list[int]:
    """n log n: ``sorted`` of n shuffled ints."""
    return sorted(values)


# --- superlinear ----------------------------------------------------------------------


def nested_loops(n: int) -> int:
    """Quadratic: a loop in a loop, n² additions."""
    total = 0
    for _ in range(n):
        for _ in range(n):
            total += 1
    return total


def _per_item(i: int) -> int:
    return i * 2


def _quadratic_helper(n: int) -> int:
    total = 0
    for _ in range(n):
        for j in range(n // 8):
            total += j
    return total


def hidden_quadratic(n: int) -> int:
    """Quadratic behind a linear body: n calls of a constant helper, then one call of a
    quadratic helper (n · n/8 additions), which is most of the time."""
    total = 0
    for i in range(n):
        total += _per_item(i)
    return total + _quadratic_helper(n)


def insert_front(n: int) -> int:
    """Quadratic: ``list.insert(0, x)`` n times; each insert moves every item already in."""
    items: list[int] = []
    for i in range(n):
        items.insert(0, i)
    return len(items)


def list_membership(problem: tuple[list[int], list[int]]) -> int:
    """Quadratic: n ``x in list`` tests against a list of n ints (each scans ~n/2)."""
    values, queries = problem
    return sum(1 for q in queries if q in values)


def _step(batch: np.ndarray) -> float:
    return float(np.sqrt(batch @ np.ones(batch.shape[1])).sum())


def whole_data_batches(data: np.ndarray, batch_size: int = 50) -> float:
    """Quadratic: the blog's bug, n/B "mini-batch" steps, each handed the whole data set."""
    return sum(_step(data) for _ in range(0, data.shape[0], batch_size))


def loop_n_sqrt_n(n: int) -> int:
    """k = 1.5: one Python loop of ``round(n ** 1.5)`` additions of 1."""
    total = 0
    for _ in range(round(n**1.5)):
        total += 1
    return total


def pairwise_outer(x: np.ndarray) -> int:
    """Quadratic in time and memory: close pairs among n floats through n × n arrays."""
    return int((np.abs(np.subtract.outer(x, x)) < 0.01).sum())


def _nlogn_exponent(sizes: tuple[int, ...]) -> float:
    """Slope of log(n log n) against log n between the ends of `sizes`."""
    lo, hi = sizes[0], sizes[-1]
    return math.log(hi * math.log(hi) / (lo * math.log(lo))) / math.log(hi / lo)


_SORT_SIZES = _geometric(10_000)

#: Every case, in the order the evaluation prints them.
CASES: tuple[KnownCase, ...] = (
    KnownCase(
        "dict_from_items", dict_from_items, key_value_pairs, _geometric(1_000), 1.0, "linear",
        "dict(pairs) of n (int, int) pairs; ~0.03 → 0.45 ms a call", "linear",
    ),
    KnownCase(
        "set_from_items", set_from_items, shuffled_ints, _geometric(750), 1.0, "linear",
        "set(values) of n shuffled ints; ~0.013 → 0.15 ms a call", "linear",
    ),
    KnownCase(
        "sum_list", sum_list, shuffled_ints, _geometric(50_000), 1.0, "linear",
        "sum(values) over n ints; ~0.2 → 3.3 ms a call", "constant",
    ),
    KnownCase(
        "list_comprehension", list_comprehension, shuffled_ints, _geometric(2_500), 1.0,
        "linear", "[v + 1 for v in values] over n ints; ~0.06 → 0.9 ms a call", "linear",
    ),
    KnownCase(
        "str_join", str_join, words, _geometric(10_000), 1.0, "linear",
        '"".join of n 8-character strings; ~0.045 → 0.7 ms a call', "linear",
    ),
    KnownCase(
        "bytes_join", bytes_join, chunks, _geometric(5_000), 1.0, "linear",
        'b"".join of n 8-byte chunks; ~0.03 → 0.5 ms a call', "linear",
    ),
    KnownCase(
        "python_loop", python_loop, identity, _geometric(25_000), 1.0, "linear",
        "n Python additions of 1; ~0.7 → 11 ms a call", "constant",
    ),
    KnownCase(
        "cumsum", cumsum, floats, _geometric(1 << 20), 1.0, "bend",
        "np.cumsum of n float64 into a new array; the output crosses 32 MiB (L3, glibc's "
        "largest recycled block) at the middle size; ~3.5 → 70 ms a call", "linear",
    ),
    KnownCase(
        "sorted_shuffled", sorted_shuffled, shuffled_ints, _SORT_SIZES,
        _nlogn_exponent(_SORT_SIZES), "nlogn",
        "sorted of n shuffled ints; ~0.9 → 22 ms a call; n log n is k = 1.09 over these sizes, "
        "measured 1.14–1.16 (comparisons chase ints scattered in memory)", "linear",
    ),
    KnownCase(
        "nested_loops", nested_loops, identity, _geometric(60), 2.0, "superlinear",
        "n² Python additions in a loop in a loop; ~0.07 → 22 ms a call", "constant",
    ),
    KnownCase(
        "hidden_quadratic", hidden_quadratic, identity, _geometric(200), 2.0, "superlinear",
        "n helper calls, then n · n/8 additions in a helper; ~0.13 → 31 ms a call, "
        "measured k ≈ 1.97 (the linear part shows at the smallest sizes)", "constant",
    ),
    KnownCase(
        "insert_front", insert_front, identity, _geometric(1_500), 2.0, "superlinear",
        "list.insert(0, x) n times; ~0.4 → 110 ms a call", "linear",
    ),
    KnownCase(
        "list_membership", list_membership, membership_problem, _geometric(200), 2.0,
        "superlinear", "n `x in list` tests against a list of n ints; ~0.2 → 47 ms a call",
        "constant",
    ),
    KnownCase(
        "whole_data_batches", whole_data_batches, design_matrix, _geometric(1_000), 2.0,
        "superlinear",
        "n/50 steps, each a product over the whole (n, 32) data; ~0.16 → 26 ms a call, "
        "measured k ≈ 1.82–1.85: each step's ~4 µs overhead is a linear term", "linear",
    ),
    KnownCase(
        "loop_n_sqrt_n", loop_n_sqrt_n, identity, _geometric(400), 1.5, "superlinear",
        "round(n ** 1.5) Python additions of 1; ~0.2 → 13 ms a call", "constant",
    ),
    KnownCase(
        "pairwise_outer", pairwise_outer, floats, _geometric(128), 2.0, "superlinear",
        "close pairs among n floats through n × n numpy temporaries; ~0.02 → 14 ms a "
        "call, measured k ≈ 2.3 (2.7 over the top ×4: the 32 MiB temporaries are mapped "
        "fresh each call)", "quadratic",
    ),
)  # fmt: skip

#: The cases by name.
BY_NAME: dict[str, KnownCase] = {case.name: case for case in CASES}


def select(names: Iterable[str] | None = None) -> tuple[KnownCase, ...]:
    """The cases named (all of them for None), in the order given.

    Raises
    ------
    KeyError
        Naming the unknown name and the known ones.
    """
    if names is None:
        return CASES
    chosen = []
    for name in names:
        if name not in BY_NAME:
            raise KeyError(f"no known case {name!r}; known: {', '.join(BY_NAME)}")
        chosen.append(BY_NAME[name])
    return tuple(chosen)
