"""The floor on a device, and how a sweep compares a device backend with it.

Runs on the CPU (torch's CPU device, no graphs): the sweep mechanics are tested with a
stand-in backend whose ``device`` is not the host. The CUDA floor itself runs in
``scripts/gpu_check.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import structured_data

from rbmperf.backends.numpy_slice import NumpyBackend
from rbmperf.sweep import run as sweep_module
from rbmperf.sweep.results import resolved_clock
from rbmperf.sweep.runners import EpochSettings
from rbmperf.sweep.summary import summarize

torch = pytest.importorskip("torch", reason="the device floor needs torch")

from rbmperf.sweep.device_floor import DeviceFloorRunner, floor_name  # noqa: E402


def test_floor_names():
    assert floor_name("cpu") == "floor"
    assert floor_name("cuda") == "floor-cuda"
    assert DeviceFloorRunner("cpu", draws=False).name == "floor-products"


@pytest.mark.parametrize("draws", [True, False])
def test_device_floor_does_the_five_products_and_the_draws(draws):
    X = structured_data(50)
    runner = DeviceFloorRunner("cpu", draws=draws)
    settings = EpochSettings(n_hidden=6, batch_size=50)
    runner.setup(X, settings)()
    (buffers,) = runner._buffers.values()
    (W,) = runner._weight_tensors.values()
    batch, W = torch.from_numpy(X), W
    hidden = batch @ W.T
    visible = hidden @ W
    torch.testing.assert_close(buffers.hidden, hidden)
    torch.testing.assert_close(buffers.outer, hidden.T @ batch)
    torch.testing.assert_close(buffers.outer_again, (visible @ W.T).T @ visible)
    assert bool(buffers.uniforms.any()) == draws


def test_step_call_runs_one_floor_step():
    X = structured_data(30)
    runner = DeviceFloorRunner("cpu")
    runner.step_call(X, EpochSettings(n_hidden=5))()
    (buffers,) = runner._buffers.values()
    (W,) = runner._weight_tensors.values()
    torch.testing.assert_close(buffers.hidden, torch.from_numpy(X) @ W.T)


class StandInGpuBackend(NumpyBackend):
    """numpy's epochs, claiming to run on a device: exercises the sweep's device path."""

    name = "stand-in-gpu"
    device = "standin"


def test_sweep_compares_a_device_backend_with_the_floor_of_its_device(monkeypatch, tmp_path):
    def stand_in_floor(device):
        runner = DeviceFloorRunner("cpu")
        runner.name, runner.device = f"floor-{device}", device
        return runner

    monkeypatch.setattr(sweep_module, "device_floor_runner", stand_in_floor)
    rng = np.random.default_rng(0)
    data = (rng.random((200, 16)) < 0.3) * rng.random((200, 16))
    records = sweep_module.run_sweep(
        [StandInGpuBackend(), "numpy"],
        [40, 80],
        repeats=1,
        data=data,
        n_hidden=8,
        batch_size=20,
    )
    epochs = [r for r in records if r["kind"] == "epoch"]
    by_name = {r["name"]: r for r in epochs}
    assert set(by_name) == {"floor", "floor-standin", "stand-in-gpu", "numpy"}
    assert by_name["stand-in-gpu"]["device"] == "standin"
    assert by_name["stand-in-gpu"]["floor"] == "floor-standin"
    assert "device" not in by_name["numpy"] and "floor" not in by_name["numpy"]
    assert by_name["floor-standin"]["role"] == "floor"
    assert resolved_clock(records) == "wall"  # a device series: the host's CPU time is not it

    summary = summarize(records)
    point = {(p.name, p.n): p for p in summary.points}
    device_floor = point[("floor-standin", 80)]
    host_floor = point[("floor", 80)]
    assert point[("stand-in-gpu", 80)].floor_seconds == device_floor.median
    assert point[("numpy", 80)].floor_seconds == host_floor.median
    assert device_floor.floor_multiple == 1.0

    from rbmperf.report import write_report

    text = write_report(records, tmp_path).markdown.read_text()
    assert "## What each series is" in text
    assert "five CD-1 matrix products + B·(2V+H) uniforms per mini-batch on cpu" in text
    assert "Times are wall-clock time per epoch." in text
