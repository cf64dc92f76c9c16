"""The edges of timed regions: device synchronisation and times a child reports."""

from __future__ import annotations

import numpy as np
from conftest import structured_data

from rbmperf.backends.numpy_slice import NumpyBackend
from rbmperf.engine.clocks import timed
from rbmperf.engine.regions import ReportedTimes, synchronized_epoch
from rbmperf.sweep.runners import BackendRunner, EpochSettings


class CountingBackend(NumpyBackend):
    """numpy's epochs, with a synchronize that records when it is called."""

    name = "counting"
    device = "cuda"  # pretends to be on a device, so the runner synchronises it

    def __init__(self):
        super().__init__()
        self.events: list[str] = []

    def synchronize(self) -> None:
        self.events.append("synchronize")

    def run_epoch(self, *args, **kwargs) -> None:
        self.events.append("epoch")
        super().run_epoch(*args, **kwargs)


def test_synchronized_epoch_waits_before_the_clock_and_inside_the_region():
    events = []
    run = synchronized_epoch(lambda: events.append("epoch"), lambda: events.append("sync"))
    assert events == ["sync"]
    run()
    run()
    assert events == ["sync", "epoch", "sync", "epoch", "sync"]


def test_backend_runner_synchronises_at_the_region_edges():
    backend = CountingBackend()
    runner = BackendRunner(backend)
    epoch = runner.setup(structured_data(40), EpochSettings(n_hidden=4, batch_size=20))
    assert backend.events == ["synchronize"]  # set-up ends with the device idle
    timed(epoch)
    assert backend.events == ["synchronize", "epoch", "synchronize"]


def test_host_backends_do_nothing_to_synchronise():
    assert NumpyBackend().synchronize() is None
    assert NumpyBackend().device == "cpu" and NumpyBackend().device_name() is None


def test_host_backend_epochs_are_not_wrapped():
    # No extra frame or call in the timed region of a host backend (profiles start at it).
    class Host(CountingBackend):
        device = "cpu"

    backend = Host()
    runner = BackendRunner(backend)
    epoch = runner.setup(structured_data(40), EpochSettings(n_hidden=4, batch_size=20))
    timed(epoch)
    assert backend.events == ["epoch"]


def test_timed_takes_reported_times_at_their_word():
    assert timed(lambda: ReportedTimes(2.5, 1.25)) == (2.5, 1.25)
    wall, cpu = timed(lambda: np.ones(200_000).cumsum().sum())
    assert wall > 0 and cpu > 0
