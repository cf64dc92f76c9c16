"""The R peer: availability, the R script's mathematics, its self-timed epochs in a sweep.

Tests that run R skip, with the reason, where ``Rscript`` is not on the PATH (CI installs
``r-base-core`` where it can).
"""

from __future__ import annotations

import shutil
import time

import numpy as np
import pytest
from conftest import structured_data
from reference import reference_cd1
from test_backend_contract import random_problem, relative_error

import rbmperf
from rbmperf.engine.regions import ReportedTimes
from rbmperf.sweep import peers, r_peer
from rbmperf.sweep.run import run_sweep
from rbmperf.sweep.runners import EpochSettings

R_REASON = r_peer.r_unavailable_reason()
needs_r = pytest.mark.skipif(R_REASON is not None, reason=f"R peer unavailable: {R_REASON}")


@pytest.fixture(scope="module")
def session():
    started = r_peer.RSession()
    yield started
    started.close()


# --- availability ----------------------------------------------------------------------------


def test_without_rscript_the_peer_is_listed_with_the_reason(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    reason = r_peer.r_unavailable_reason()
    assert "Rscript is not on the PATH" in reason and "apt-get install r-base-core" in reason
    assert "r" in peers.peer_names()
    assert "r" not in peers.available_peers()
    assert dict(peers.peer_status())["r"] == reason
    with pytest.raises(ValueError, match="peer 'r' is not available here: needs R"):
        peers.get_peer("r")


def test_the_r_script_ships_with_the_package():
    assert r_peer.R_SCRIPT.is_file()
    assert "cd1_epoch <- function" in r_peer.R_SCRIPT.read_text()


# --- the R script ---------------------------------------------------------------------------


@needs_r
def test_r_session_reports_its_version_and_blas(session):
    assert int(session.r_version.split(".")[0]) >= 3
    assert session.blas


@needs_r
@pytest.mark.parametrize("batch", [17, 1])
def test_r_cd1_matches_reference(session, batch):
    problem = random_problem(batch=batch)
    for actual, wanted in zip(
        r_peer.r_cd1(session, *problem), reference_cd1(*problem), strict=True
    ):
        assert actual.shape == wanted.shape
        assert relative_error(actual, wanted) <= 1e-12


@needs_r
def test_r_errors_are_reported_in_words(session):
    with pytest.raises(RuntimeError, match="unknown command 'fly'"):
        session.request("fly")
    assert session.alive


@needs_r
def test_r_epochs_train_and_are_timed_by_r():
    X = structured_data(600)
    runner = peers.get_peer("r")
    try:
        runner.prepare(np.dtype("float64"))
        settings = EpochSettings(batch_size=20, n_hidden=32, seed=4)
        epoch = runner.setup(X, settings)
        for _ in range(5):
            began = time.perf_counter()
            times = epoch()
            host_wall = time.perf_counter() - began
            assert isinstance(times, ReportedTimes)
            # R's clocks tick in milliseconds: a short epoch may read 0.
            assert 0 <= times.wall_seconds <= host_wall + 1e-3
            assert times.cpu_seconds >= 0
        W, hidden_bias, visible_bias = runner.trained_parameters(32, X.shape[1])
        model = rbmperf.RBM(W, hidden_bias, visible_bias)
        numpy_model = rbmperf.train_rbm(X, 32, epochs=5, batch_size=20, seed=4)
        untrained = rbmperf.initial_rbm(X.shape[1], 32).reconstruction_error(X)
        error = model.reconstruction_error(X)
        assert error < 0.5 * untrained, "R's epochs did not reduce the reconstruction error"
        # Another random stream, the same quality (the contract's 5%, widened to 10%).
        assert abs(error - numpy_model.reconstruction_error(X)) <= 0.10 * error
    finally:
        runner.close()
    assert runner.session is None


@needs_r
def test_r_session_closes_and_cleans_up():
    started = r_peer.RSession()
    folder, process = started.folder, started.process
    started.close()
    assert process.poll() is not None
    assert not folder.exists()


@needs_r
def test_r_peer_refuses_float32_data():
    runner = peers.get_peer("r")
    try:
        with pytest.raises(ValueError, match="float64 only"):
            runner.setup(structured_data(20).astype(np.float32), EpochSettings(n_hidden=4))
    finally:
        runner.close()


# --- in a sweep -----------------------------------------------------------------------------


@needs_r
def test_sweep_records_r_times_for_float64_only():
    rng = np.random.default_rng(0)
    data = (rng.random((200, 16)) < 0.3) * rng.random((200, 16))
    records = run_sweep(
        ["numpy"],
        [40, 80],
        ["float32", "float64"],
        peers=["r"],
        repeats=1,
        data=data,
        n_hidden=8,
        batch_size=20,
    )
    r_epochs = [r for r in records if r["kind"] == "epoch" and r["name"] == "r"]
    assert {(r["dtype"], r["n"], r["role"]) for r in r_epochs} == {
        ("float64", 40, "peer"),
        ("float64", 80, "peer"),
    }
    # The times are R's own (proc.time(), whole milliseconds), not the host's clocks.
    for record in r_epochs:
        for key in ("seconds", "cpu_seconds"):
            assert record[key] >= 0
            assert abs(record[key] * 1000 - round(record[key] * 1000)) < 1e-6
    (compile_record,) = [r for r in records if r["kind"] == "compile" and r["name"] == "r"]
    assert compile_record["description"].startswith("plain vectorised R CD-1 epoch (R ")
    assert compile_record["seconds"] > 0  # R's start-up, outside every epoch
