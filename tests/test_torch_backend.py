"""The PyTorch backends: availability, the device path (tested on the CPU), and CUDA.

The shared contract (``test_backend_contract.py``) runs on ``torch`` wherever torch is
installed. The CUDA tests below skip, with the reason, where no CUDA device is usable; the
device path they rely on (the data moved once, the state copied in and out, the step fed
through its input buffer) is also run on the CPU, by ``TorchCudaBackend(device="cpu")``.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from conftest import structured_data
from reference import reference_cd1
from test_backend_contract import random_problem, relative_error

import rbmperf
from rbmperf.backends import TrainingState, backend_status, register_backend
from rbmperf.backends import torch_backend as tb

TORCH_MISSING = importlib.util.find_spec("torch") is None
needs_torch = pytest.mark.skipif(TORCH_MISSING, reason="torch is not installed")
CUDA_REASON = None if TORCH_MISSING else tb.cuda_unavailable_reason()
# Without torch CUDA_REASON is None too: there is no device to test then either.
needs_cuda = pytest.mark.skipif(
    TORCH_MISSING or CUDA_REASON is not None,
    reason=f"no usable CUDA device: {CUDA_REASON or 'torch is not installed'}",
)


def status_of(name: str):
    return {s.name: s for s in backend_status()}[name]


# --- availability ----------------------------------------------------------------------------


def test_both_torch_backends_are_registered():
    names = [s.name for s in backend_status()]
    assert "torch" in names and "torch-cuda" in names


def test_without_torch_the_reason_says_how_to_install(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "torch" else real_find_spec(name, *a),
    )
    reason = tb.torch_unavailable_reason()
    assert "rbmperf[torch]" in reason and "not installed" in reason
    assert tb.cuda_unavailable_reason() == reason
    with pytest.raises(rbmperf.backends.BackendUnavailable, match=r"rbmperf\[torch\]"):
        tb.TorchBackend()


@pytest.mark.skipif(CUDA_REASON is None, reason="a CUDA device is usable here")
def test_torch_cuda_is_listed_unavailable_with_the_reason():
    status = status_of("torch-cuda")
    assert not status.available
    assert status.reason == CUDA_REASON
    assert "cuda" in status.reason.lower() or "torch" in status.reason.lower()
    assert "torch-cuda" not in rbmperf.available_backends()
    with pytest.raises(ValueError, match=r"torch-cuda.*not available"):
        rbmperf.get_backend("torch-cuda")


def test_backend_unavailable_reason_is_listed_as_given(monkeypatch, tmp_path):
    module = tmp_path / "rbmperf_test_absent_device.py"
    module.write_text(
        "from rbmperf.backends import BackendUnavailable\n"
        "class Absent:\n"
        "    def __init__(self):\n"
        "        raise BackendUnavailable('needs a device that is not here')\n"
        "BACKEND = Absent\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    register_backend("absent-device", "rbmperf_test_absent_device")
    try:
        status = status_of("absent-device")
        assert not status.available
        assert status.reason == "needs a device that is not here"
    finally:
        from rbmperf import backends

        backends._REGISTERED.pop("absent-device")
        backends._failures.pop("absent-device", None)


# --- the CPU backend -----------------------------------------------------------------------


@needs_torch
def test_prepare_follows_the_blas_thread_limit():
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    try:
        # Checked inside: leaving threadpoolctl's context restores OpenMP, and torch with it.
        with threadpool_limits(1, user_api="blas"):
            rbmperf.get_backend("torch").prepare(np.dtype("float64"))
            assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


@needs_torch
def test_float32_products_run_in_full_precision_and_the_setting_is_restored():
    import torch

    before = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("medium")
    try:
        with tb._FullFloat32Products():
            assert torch.get_float32_matmul_precision() == "highest"
        assert torch.get_float32_matmul_precision() == "medium"
    finally:
        torch.set_float32_matmul_precision(before)


@needs_torch
def test_cpu_epoch_updates_the_state_in_place():
    X = structured_data(120)
    start = rbmperf.initial_rbm(64, 8)
    state = TrainingState.starting_from(start.W, start.hidden_bias, start.visible_bias)
    W = state.W
    rbmperf.get_backend("torch").run_epoch(state, X, 50, 0.1, 0.9, np.random.default_rng(0))
    assert state.W is W
    assert not np.array_equal(state.W, start.W)
    assert state.W_speed.any() and state.hidden_speed.any() and state.visible_speed.any()


# --- the device path, run on the CPU --------------------------------------------------------


def device_path_backend():
    return tb.TorchCudaBackend(device="cpu")


def fresh_state(n_visible=64, n_hidden=8, dtype="float64"):
    start = rbmperf.initial_rbm(n_visible, n_hidden, dtype=dtype)
    return TrainingState.starting_from(start.W, start.hidden_bias, start.visible_bias)


@needs_torch
@pytest.mark.parametrize(("dtype", "tolerance"), [("float64", 1e-12), ("float32", 1e-5)])
def test_device_path_cd1_matches_reference(dtype, tolerance):
    problem = random_problem(dtype=np.dtype(dtype))
    gradient = device_path_backend().cd1(*problem)
    for actual, wanted in zip(gradient, reference_cd1(*problem), strict=True):
        assert actual.dtype == np.dtype(dtype)
        assert relative_error(actual.astype(np.float64), wanted) <= tolerance


@needs_torch
@pytest.mark.parametrize("sample_data", [True, False], ids=["sampled", "values"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_device_path_gives_the_cpu_backends_weights(dtype, sample_data):
    # Same generator, same seed, same operations: the state copied to a device and back
    # and the batch fed through the step's input buffer change nothing.
    X = structured_data(230).astype(dtype)
    on_device, on_cpu = fresh_state(dtype=dtype), fresh_state(dtype=dtype)
    device, cpu = device_path_backend(), rbmperf.get_backend("torch")
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    for _ in range(2):
        device.run_epoch(on_device, X, 50, 0.1, 0.9, rng_a, sample_data=sample_data)
        cpu.run_epoch(on_cpu, X, 50, 0.1, 0.9, rng_b, sample_data=sample_data)
    for name in ("W", "hidden_bias", "visible_bias", "W_speed", "hidden_speed"):
        np.testing.assert_array_equal(getattr(on_device, name), getattr(on_cpu, name))


@needs_torch
def test_device_path_moves_the_data_once():
    backend = device_path_backend()
    X = structured_data(300)
    backend.run_epoch(fresh_state(), X, 100, 0.1, 0.9, np.random.default_rng(0))
    moved = backend._data_cache[2]
    backend.run_epoch(fresh_state(), X, 100, 0.1, 0.9, np.random.default_rng(1))
    assert backend._data_cache[2] is moved, "the same data were moved again"
    backend.run_epoch(fresh_state(), X[:200], 100, 0.1, 0.9, np.random.default_rng(1))
    assert backend._data_cache[2] is moved, "a prefix of the data on the device was moved again"
    other = X.copy()
    backend.run_epoch(fresh_state(), other, 100, 0.1, 0.9, np.random.default_rng(1))
    assert backend._data_cache[2] is not moved, "new data were not moved"


@needs_torch
def test_device_path_is_reproducible_per_seed():
    X = structured_data(230)
    first = rbmperf.train_rbm(X, 16, backend=device_path_backend(), epochs=2, batch_size=50)
    again = rbmperf.train_rbm(X, 16, backend=device_path_backend(), epochs=2, batch_size=50)
    other = rbmperf.train_rbm(X, 16, backend=device_path_backend(), epochs=2, batch_size=50, seed=1)
    np.testing.assert_array_equal(first.W, again.W)
    assert not np.array_equal(first.W, other.W)


@needs_torch
def test_step_call_is_one_step_of_an_epoch():
    X = structured_data(100)
    backend = device_path_backend()
    by_epoch, by_step = fresh_state(), fresh_state()
    backend.run_epoch(by_epoch, X, 100, 0.1, 0.9, np.random.default_rng(7))
    seed = int(np.random.default_rng(7).integers(0, 2**63 - 1))
    other = device_path_backend()
    other.step_call(by_step, X, 0.1, 0.9, seed=seed)()
    assert not np.array_equal(by_step.W, by_epoch.W)  # the call leaves `state` alone
    other._state_back(other._device_state(by_step), by_step)
    np.testing.assert_array_equal(by_step.W, by_epoch.W)
    np.testing.assert_array_equal(by_step.visible_speed, by_epoch.visible_speed)


@needs_torch
def test_device_path_names_its_device_and_synchronises_without_a_gpu():
    backend = device_path_backend()
    assert "cpu" in backend.device_name()
    backend.synchronize()  # nothing queued, nothing to wait for
    assert rbmperf.get_backend("torch").device_name() is None


# --- on a CUDA device (skipped here without one) ---------------------------------------------


@needs_cuda
@pytest.mark.parametrize(("dtype", "tolerance"), [("float64", 1e-10), ("float32", 1e-4)])
def test_cuda_cd1_matches_reference(dtype, tolerance):
    problem = random_problem(n_visible=784, n_hidden=300, batch=100, dtype=np.dtype(dtype))
    gradient = rbmperf.get_backend("torch-cuda").cd1(*problem)
    for actual, wanted in zip(gradient, reference_cd1(*problem), strict=True):
        assert relative_error(actual.astype(np.float64), wanted) <= tolerance


@needs_cuda
def test_cuda_epoch_is_captured_reproducible_and_never_synchronises():
    backend = tb.TorchCudaBackend()
    backend.sync_debug_mode = "error"  # any host synchronisation inside the steps raises
    X = structured_data(1050).astype(np.float32)
    states = [fresh_state(dtype="float32") for _ in range(2)]
    for state in states:
        backend.run_epoch(state, X, 100, 0.1, 0.9, np.random.default_rng(3))
    assert set(backend.graph_status.values()) == {"captured"}, backend.graph_status
    assert len(backend.graph_status) == 2  # the full batches and the 50-row tail
    np.testing.assert_array_equal(states[0].W, states[1].W)
    assert np.isfinite(states[0].W).all() and not np.array_equal(states[0].W, fresh_state().W)


@needs_cuda
def test_cuda_graphs_are_captured_per_sample_data_setting():
    # A graph replays what it captured: the data values' step must not replay the sampled
    # step's graph. One backend runs both settings; each equals a fresh backend's run.
    X = structured_data(300).astype(np.float32)
    shared = tb.TorchCudaBackend()
    results = {}
    for sample_data in (True, False):
        state, fresh = fresh_state(dtype="float32"), fresh_state(dtype="float32")
        shared.run_epoch(state, X, 100, 0.1, 0.9, np.random.default_rng(2), sample_data=sample_data)
        tb.TorchCudaBackend().run_epoch(
            fresh, X, 100, 0.1, 0.9, np.random.default_rng(2), sample_data=sample_data
        )
        np.testing.assert_array_equal(state.W, fresh.W)
        results[sample_data] = state.W
    assert len(shared.graph_status) == 2
    assert set(shared.graph_status.values()) == {"captured"}
    assert not np.array_equal(results[True], results[False])
