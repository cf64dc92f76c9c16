"""matplotlib, headless: the one place rbmperf imports pyplot.

Both the report's figures and the DBN pictures are written to files, never shown, so
pyplot is imported lazily (``import rbmperf`` stays light) with the Agg backend, which
needs no display.
"""

from __future__ import annotations

from types import ModuleType


def pyplot() -> ModuleType:
    """Return :mod:`matplotlib.pyplot` with the non-interactive Agg backend selected."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
