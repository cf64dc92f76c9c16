"""Functions of known growth, shared by the growth tests (time, profile, magic)."""

from __future__ import annotations

import numpy as np


def sum_to(n: int) -> int:
    """Linear: n Python-level additions. Each adds 1, so that the total stays a one-digit
    Python int and every addition costs the same (a total past 2**30 costs more per
    addition, which bends a long range upwards by ~0.1)."""
    total = 0
    for _ in range(n):
        total += 1
    return total


def nested(n: int) -> int:
    """Quadratic: a loop in a loop."""
    total = 0
    for _ in range(n):
        for _ in range(n):
            total += 1
    return total


def per_item(i: int) -> int:
    """Constant cost, called once per item by :func:`outer`."""
    return i * 2


def hidden(n: int) -> int:
    """Quadratic, called once: n · n/8 additions."""
    total = 0
    for _ in range(n):
        for j in range(n // 8):
            total += j
    return total


def outer(n: int) -> int:
    """Linear in its own body (n calls of a constant helper), but it calls the quadratic
    :func:`hidden` once; from n ≈ 1,000 on the helper is most of the time."""
    total = 0
    for i in range(n):
        total += per_item(i)
    return total + hidden(n)


def step(batch: np.ndarray) -> float:
    """One "mini-batch step": its cost is proportional to the rows it is handed."""
    return float(np.sqrt(batch @ np.ones(batch.shape[1])).sum())


def epoch_whole_data(data: np.ndarray, batch_size: int = 50) -> float:
    """The blog's bug in miniature: N/B steps, each handed the whole data set."""
    return sum(step(data) for _ in range(0, data.shape[0], batch_size))
