"""Densities of the sampled states per point, and the density sweep (issue 10's integration)."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from rbmperf.backends import TrainingState, get_backend
from rbmperf.bench import density_results_path, run_bench
from rbmperf.cli import main
from rbmperf.data import synthetic_mnist
from rbmperf.errors import InputError
from rbmperf.report import write_report
from rbmperf.report.writers import _intro
from rbmperf.sweep.floor import PRODUCTS
from rbmperf.sweep.results import record_problem
from rbmperf.sweep.run import run_sweep
from rbmperf.sweep.summary import summarize
from rbmperf.training import initial_rbm

SMALL = {"n_hidden": 8, "batch_size": 20}


def epochs(records):
    return [r for r in records if r["kind"] == "epoch"]


def _epoch(backend, X, n_hidden=30, seed=0):
    start = initial_rbm(X.shape[1], n_hidden, dtype=X.dtype, seed=seed)
    state = TrainingState.starting_from(start.W, start.hidden_bias, start.visible_bias)
    backend.run_epoch(state, X, 100, 0.1, 0.9, np.random.default_rng(seed))


def test_binary_counts_the_ones_of_its_states_per_epoch_and_per_thread():
    backend = get_backend("binary")
    X = synthetic_mnist(1000, seed=3, dtype="float32")[0]
    _epoch(backend, X)
    found = backend.epoch_densities()
    assert set(found) == {"v0", "h0", "v1"}
    # v0 = X > u: its fraction of ones has expectation mean(X); 784,000 draws, σ ≈ 0.0004.
    assert found["v0"] == pytest.approx(float(X.mean()), abs=0.003)
    assert 0.0 < found["h0"] < 1.0 and 0.0 < found["v1"] < 1.0
    # Another thread has run no epoch: it sees none of this thread's.
    seen = []
    worker = threading.Thread(target=lambda: seen.append(backend.epoch_densities()))
    worker.start()
    worker.join()
    assert seen == [None]
    # Denser data, denser v0: the counts follow the data.
    dense = synthetic_mnist(1000, seed=3, dtype="float32", density=0.5)[0]
    _epoch(backend, dense)
    assert backend.epoch_densities()["v0"] == pytest.approx(float(dense.mean()), abs=0.003)


def test_sweep_records_state_densities_outside_the_timed_region():
    X = synthetic_mnist(200, seed=0)[0]
    records = run_sweep(["numpy", "binary"], [100, 200], repeats=1, data=X, **SMALL)
    by_name = {}
    for record in epochs(records):
        by_name.setdefault(record["name"], []).append(record)
    for record in by_name["binary"]:
        assert record["density_source"] == "states"
        assert all(0 < record[f"{s}_density"] < 1 for s in ("v0", "h0", "v1"))
        assert record["v0_density"] == pytest.approx(X[: record["n"]].mean(), abs=0.01)
    for record in by_name["numpy"]:
        # Not counted by the backend: v0's expectation, the mean of the data; h0, v1 unknown.
        assert record["density_source"] == "data"
        assert record["v0_density"] == pytest.approx(X[: record["n"]].mean(), rel=1e-9)
        assert record["h0_density"] is None and record["v1_density"] is None
    assert not any("v0_density" in r for r in by_name["floor"])
    points = {(p.name, p.n): p for p in summarize(records).points}
    assert points[("numpy", 200)].densities["h0"] is None
    assert points[("binary", 200)].density_source == "states"
    assert points[("floor", 200)].densities == {}


def test_a_density_is_part_of_the_sweep_settings(tmp_path):
    path = tmp_path / "results.jsonl"
    first = run_sweep(["numpy"], [40], repeats=1, density=0.3, results_path=path, **SMALL)
    assert first[0]["settings"]["data"] == "synthetic_mnist(seed=0, density=0.3)"
    assert first[0]["density"] == 0.3
    X = synthetic_mnist(40, seed=0, density=0.3)[0]
    assert epochs(first)[-1]["v0_density"] == pytest.approx(X.mean())
    other = run_sweep(["numpy"], [40], repeats=1, density=0.5, results_path=path, **SMALL)
    assert other[0]["settings_key"] != first[0]["settings_key"]
    # The default sweep's settings are unchanged by the option.
    plain = run_sweep(["numpy"], [40], repeats=1, **SMALL)
    assert plain[0]["settings"]["data"] == "synthetic_mnist(seed=0)"
    assert "density" not in plain[0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"density": 0.0}, "density must lie in"),
        ({"density": 1.5}, "density must lie in"),
        ({"density": 0.3, "data": np.zeros((40, 4))}, "not both"),
    ],
)
def test_bad_densities_are_named(kwargs, message):
    with pytest.raises(InputError, match=message):
        run_sweep(["numpy"], [40], repeats=1, **kwargs)


def test_density_fields_are_validated_on_reading():
    epoch = {
        "kind": "epoch",
        "run_id": "r",
        "sweep_id": "s",
        "settings_key": "k",
        "name": "binary",
        "role": "backend",
        "dtype": "float32",
        "n": 100,
        "repeat": 0,
        "seconds": 0.1,
        "n_batches": 1,
    }
    assert record_problem({**epoch, "v0_density": 0.2, "h0_density": None}) is None
    assert "v0_density" in record_problem({**epoch, "v0_density": 1.5})
    assert "h0_density" in record_problem({**epoch, "h0_density": "half"})


def test_report_intro_says_the_floor_is_dense_from_the_products_it_times():
    records = run_sweep(["numpy"], [40], repeats=1, **SMALL)
    intro = _intro(summarize(records))
    assert len(PRODUCTS) == 5 and "five matrix products" in intro
    assert all(product in intro for product in PRODUCTS)
    assert "*dense* floor" in intro and "multiple below 1" in intro


def test_density_sweep_reports_binary_against_numba_by_density(tmp_path):
    result = run_bench(
        tmp_path,
        backends=["numba", "binary"],
        peers=(),
        sizes=[100, 200],
        dtypes=["float32"],
        repeats=1,
        densities=[0.05, 0.5],
        profile_n=0,
        **SMALL,
    )
    files = [tmp_path / "results.density-0.05.jsonl", tmp_path / "results.density-0.5.jsonl"]
    assert list(result.results_paths) == files and result.results_path == files[0]
    assert density_results_path(tmp_path / "results.jsonl", 0.5) == files[1]
    assert not (tmp_path / "results.jsonl").exists()
    summary = result.report.summary
    assert summary.densities == {"5% non-zero": 0.05, "50% non-zero": 0.5}
    assert {p.name for p in summary.points} >= {"binary @ 5% non-zero", "numba @ 50% non-zero"}
    markdown = result.report.markdown.read_text()
    assert "## Density sweep: time ÷ numba's" in markdown
    assert "| binary ÷ numba | float32 |" in markdown
    assert "v0 ones (measured)" in markdown
    # Rerun: each density's sweep is finished, so each starts anew in its own file; the
    # report reads the files back and recognises the density sweep by itself.
    again = write_report(files, tmp_path / "again")
    assert again.summary.densities == summary.densities
    with pytest.raises(InputError, match="2 densities for 1"):
        write_report(files[:1], tmp_path / "x", densities=[0.05, 0.5])


def test_bench_command_rejects_a_bad_density(tmp_path, capsys):
    assert main(["bench", "--density", "0.05,2", "--out", str(tmp_path)]) == 2
    assert "--density must be comma-separated fractions in (0, 1]" in capsys.readouterr().err


def test_run_record_density_survives_the_file(tmp_path):
    path = tmp_path / "r.jsonl"
    run_sweep(["numpy"], [40], repeats=1, density=0.15, results_path=path, **SMALL)
    run = json.loads(path.read_text().splitlines()[0])
    assert run["kind"] == "run" and run["density"] == 0.15
