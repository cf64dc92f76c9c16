"""Functions of known growth that import nothing, for children counted under valgrind.

A child imports the function's module by name (:mod:`rbmperf.engine.instructions`), and
under valgrind every import costs seconds (NumPy: about 2 s): these stay free of imports.
"""

from __future__ import annotations


def total(n: int) -> int:
    """Linear: n Python-level additions of 1."""
    result = 0
    for _ in range(n):
        result += 1
    return result


def pairs(n: int) -> int:
    """Quadratic: a loop in a loop."""
    result = 0
    for _ in range(n):
        for _ in range(n):
            result += 1
    return result


def broken(n: int) -> int:
    """Raises, to show how a failing child reads."""
    raise ValueError(f"broken at n={n}")


class Counter:
    """A class whose method and instances a child cannot import by name."""

    def count(self, n: int) -> int:
        return n

    def __call__(self, n: int) -> int:
        return n
