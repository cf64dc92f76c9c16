"""The edges of a timed region: what makes a time honest on a device or in another process.

A sweep times a call (:func:`rbmperf.sweep.runners.timed`) with the host's clocks. Two
kinds of runner need more than that:

- **A backend on an accelerator** (``Backend.device`` other than ``"cpu"``, e.g.
  ``torch-cuda``) queues work and returns before the device has done it. Its region must
  start with the device idle and end only when the device has finished:
  :func:`synchronized_epoch` calls ``Backend.synchronize()`` before the clocks start
  (while the epoch is set up, untimed) and as the last thing inside the region. On the
  CPU ``synchronize`` does nothing, so every backend goes through the same path.
  The CPU time of such a region is the host's time spent driving the device (waiting
  spins), not the device's work: sweeps with a device series report wall time (see
  :func:`rbmperf.sweep.results.resolved_clock`).
- **A peer in a child process** (the R peer) times its own epochs, so that the child's
  start-up, compilation and data loading stay outside. Its call returns
  :class:`ReportedTimes`, and the sweep records those instead of the host's clocks (which
  would time the pipe round trip, and whose CPU clock does not count the child).

Backends never time themselves: the hooks are a no-op method on the contract and a return
value; the clocks stay here, on the scaling side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ReportedTimes:
    """Times a runner measured itself, around exactly one epoch.

    Attributes
    ----------
    wall_seconds : float
        Elapsed time of the epoch.
    cpu_seconds : float
        CPU time (user + system) of the process that ran it, over the epoch.
    """

    wall_seconds: float
    cpu_seconds: float


def synchronized_epoch(
    epoch: Callable[[], object], synchronize: Callable[[], None]
) -> Callable[[], object]:
    """Wrap `epoch` so that a timed call of it ends with the device idle.

    Calls `synchronize` once now (the device finishes the set-up work before any clock
    starts) and once at the end of every call (the device's work is inside the region).

    Examples
    --------
    >>> calls = []
    >>> run = synchronized_epoch(lambda: calls.append("epoch"), lambda: calls.append("sync"))
    >>> run(); calls
    ['sync', 'epoch', 'sync']
    """
    synchronize()

    def timed_epoch() -> object:
        result = epoch()
        synchronize()
        return result

    return timed_epoch
