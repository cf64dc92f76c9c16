"""The sweep: what it records, interleaving, the budget, resuming, the floor, peers."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from rbmperf.engine.budget import predict_seconds
from rbmperf.errors import ResultsWarning
from rbmperf.stats.growth import fit_growth
from rbmperf.sweep import run as sweep_module
from rbmperf.sweep.floor import FloorBuffers, floor_epoch, floor_step
from rbmperf.sweep.results import epoch_key, load_records
from rbmperf.sweep.run import run_sweep
from rbmperf.sweep.summary import growth_fits

SMALL = {"n_hidden": 8, "batch_size": 20}


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    rng = np.random.default_rng(0)
    return (rng.random((4000, 16)) < 0.3) * rng.random((4000, 16))


def epochs(records):
    return [r for r in records if r["kind"] == "epoch"]


# --- prediction ------------------------------------------------------------------------------


def test_predict_follows_a_measured_power_law():
    points = [(n, 1e-6 * n**2) for n in (100, 200, 400)]
    assert predict_seconds(points, 800) == pytest.approx(1e-6 * 800**2)


def test_predict_never_assumes_sublinear_growth():
    flat = [(100, 1.0), (200, 1.0), (400, 1.0)]
    assert predict_seconds(flat, 800) == pytest.approx(2.0)


def test_predict_from_one_size_assumes_quadratic_and_from_none_gives_none():
    assert predict_seconds([(100, 1.0), (100, 3.0)], 300) == pytest.approx(1.0 * 9)
    assert predict_seconds([], 300) is None


# --- the sweep ---------------------------------------------------------------------------------


def test_sweep_records_every_point_interleaved(tmp_path, data):
    path = tmp_path / "results.jsonl"
    records = run_sweep(
        ["numpy", "naive"],
        [40, 80, 160, 320],
        ["float32", "float64"],
        repeats=2,
        data=data,
        results_path=path,
        **SMALL,
        decide=False,
    )
    assert records == load_records(path)
    kinds = Counter(r["kind"] for r in records)
    # floor + 2 backends, 2 dtypes, 4 sizes, 2 repeats
    assert kinds["epoch"] == 3 * 2 * 4 * 2
    assert kinds["compile"] == 3 * 2
    assert kinds["run"] == 1 and kinds["finished"] == 1
    assert records[-1]["kind"] == "finished"
    run = records[0]
    assert run["settings"]["threads"] == 1
    assert any(pool["user_api"] == "blas" for pool in run["machine"]["blas"])
    assert {"cpu", "cores", "versions", "git_commit", "date"} <= set(run["machine"])
    for record in epochs(records):
        # One BLAS thread: the process's CPU time over the epoch cannot much exceed its wall
        # time (it is less when another process takes the core). 1.5x + 2 ms is generous for
        # clock granularity: epochs here take 0.05-5 ms, measured cpu/wall 0.2-1.09.
        assert record["seconds"] > 0 and record["cpu_seconds"] > 0
        assert record["cpu_seconds"] <= 1.5 * record["seconds"] + 2e-3
        assert record["n_batches"] == -(-record["n"] // SMALL["batch_size"])
        assert record["threads"] == 1
    # Interleaved: at each size every series' repeat 0 comes before any repeat 1.
    for n in (40, 80, 160, 320):
        repeats = [r["repeat"] for r in epochs(records) if r["n"] == n]
        assert repeats == sorted(repeats)
        assert len(set(repeats[:6])) == 1
    assert {(r["name"], r["role"]) for r in epochs(records)} == {
        ("floor", "floor"),
        ("numpy", "backend"),
        ("naive", "backend"),
    }
    # Rounds: round 0 ascends, round 1 descends (drift cancels in pairs of rounds).
    visits = [(r["repeat"], r["n"]) for r in epochs(records)]
    visits = [v for i, v in enumerate(visits) if i == 0 or v != visits[i - 1]]
    assert visits == [(0, 40), (0, 80), (0, 160), (0, 320), (1, 320), (1, 160), (1, 80), (1, 40)]
    # A backend whose cost does not depend on its state is timed from fresh parameters.
    assert {r["protocol"] for r in epochs(records) if r["role"] == "backend"} == {"fresh"}


def test_a_state_dependent_backend_is_timed_at_steady_state(monkeypatch, data):
    from rbmperf.sweep import runners

    pytest.importorskip("numba")
    monkeypatch.setattr(runners, "STEADY_STATE_ROWS", 400)
    seen = []
    binary = runners.get_backend("binary")
    original = type(binary).run_epoch

    def counting(self, state, X, *args, **kwargs):
        seen.append(X.shape[0])
        return original(self, state, X, *args, **kwargs)

    monkeypatch.setattr(type(binary), "run_epoch", counting)
    records = run_sweep(
        ["binary"], [40, 80, 160, 320], repeats=2, floor=False, data=data, **SMALL, decide=False
    )
    timed = epochs(records)
    assert {r["protocol"] for r in timed} == {"steady"}
    # Untimed warm-up epochs reach 400 rows at every size: 10 × 40, 5 × 80, 3 × 160, 2 × 320.
    assert {r["n"]: r["warmup_rows"] for r in timed} == {40: 400, 80: 400, 160: 480, 320: 640}
    # Warmed once per size (the repeats and the memory epoch start from a copy): per size
    # its warm-up epochs, two timed ones and one traced for memory, plus, at the first
    # size, the compile step's warm-up epoch.
    for n, warm in ((40, 10 + 1), (80, 5), (160, 3), (320, 2)):
        assert seen.count(n) == warm + 2 + 1, (n, seen)


def test_epoch_records_hold_the_clocks_readings(monkeypatch, data):
    # A fake clock whose readings differ for every series, size and clock: each record must
    # carry its own epoch's wall and CPU seconds, unswapped and unrounded.
    def fake_clock(name, dtype, n):
        wall = (
            n * 1e-3 + {"numpy": 0.1, "naive": 0.2}[name] + {"float32": 0.0, "float64": 0.01}[dtype]
        )
        return wall, wall / 3 + 1e-7

    def fake_epoch(runner, X, settings):
        return fake_clock(runner.name, str(X.dtype), X.shape[0])

    monkeypatch.setattr(sweep_module, "timed_epoch", fake_epoch)
    records = run_sweep(
        ["numpy", "naive"], [40, 80], ["float32", "float64"], repeats=2, floor=False, data=data
    )
    assert len(epochs(records)) == 2 * 2 * 2 * 2
    for record in epochs(records):
        wall, cpu = fake_clock(record["name"], record["dtype"], record["n"])
        assert (record["seconds"], record["cpu_seconds"]) == (wall, cpu)


def test_points_over_budget_are_skipped_with_their_prediction(data):
    records = run_sweep(
        ["naive"], [40, 80, 160], repeats=1, budget_seconds=1e-9, data=data, **SMALL
    )
    measured = {(r["name"], r["n"]) for r in epochs(records)}
    # The first size has nothing to predict from, so it is measured; the rest are predicted
    # (from one size: quadratic) far over a nanosecond budget, even doubled for a series
    # that has fewer than 4 sizes.
    assert measured == {("floor", 40), ("naive", 40)}
    skips = [r for r in records if r["kind"] == "skip"]
    assert {(r["name"], r["n"]) for r in skips} == {
        (name, n) for name in ("floor", "naive") for n in (80, 160)
    }
    for skip in skips:
        assert skip["predicted_seconds"] > skip["budget_seconds"] == 2e-9
        assert "budget" in skip["reason"]


def test_a_single_large_size_is_predicted_from_probes(data):
    # Without probes nothing would predict N = 4,000; with them the naive backend's
    # quadratic cost is seen before it can hang the sweep.
    records = run_sweep(["naive"], [4000], repeats=1, budget_seconds=1e-6, data=data, **SMALL)
    probes = [r for r in records if r["kind"] == "probe"]
    assert Counter((r["name"], r["n"]) for r in probes) == {
        (name, n): 2 for name in ("floor", "naive") for n in (500, 1000, 2000)
    }
    assert not epochs(records)
    assert {(r["name"], r["n"]) for r in records if r["kind"] == "skip"} == {
        ("floor", 4000),
        ("naive", 4000),
    }


def test_fewer_repeats_when_only_some_fit_the_budget(monkeypatch, data):
    # Fake clock: every epoch takes 1 s. Predictions: N=80 from one size, quadratic: 4 s
    # (over the 2.5 s budget, within the doubled one of a series short of 4 sizes: one
    # repeat); larger sizes: a flat curve extrapolated as linear, 2 s: one repeat fits.
    monkeypatch.setattr(sweep_module, "timed_epoch", lambda runner, X, settings: (1.0, 1.0))
    records = run_sweep(
        ["numpy"],
        [40, 80, 160, 320, 640],
        repeats=3,
        budget_seconds=2.5,
        floor=False,
        data=data,
        **SMALL,
    )
    per_size = Counter(r["n"] for r in epochs(records))
    assert per_size == {40: 3, 80: 1, 160: 1, 320: 1, 640: 1}
    # With 4.5 s, two 2 s repeats fit.
    records = run_sweep(
        ["numpy"],
        [40, 80, 160, 320, 640],
        repeats=3,
        budget_seconds=4.5,
        floor=False,
        data=data,
        **SMALL,
    )
    per_size = Counter(r["n"] for r in epochs(records))
    assert per_size == {40: 3, 80: 1, 160: 2, 320: 2, 640: 2}


def test_a_series_short_of_four_sizes_may_spend_twice_the_budget(monkeypatch, data):
    # Fake clock, quadratic: 1, 4, 16, 64 s at N = 40, 80, 160, 320. With a 10 s budget the
    # 16 s point is allowed (the series has only 2 sizes, and 16 < 2 × 10); 64 s is not.
    def quadratic(runner, X, settings):
        seconds = (X.shape[0] / 40) ** 2
        return seconds, seconds

    monkeypatch.setattr(sweep_module, "timed_epoch", quadratic)
    records = run_sweep(
        ["naive"], [40, 80, 160, 320], repeats=2, budget_seconds=10, floor=False, data=data
    )
    assert Counter(r["n"] for r in epochs(records)) == {40: 2, 80: 2, 160: 1}
    [skip] = [r for r in records if r["kind"] == "skip"]
    assert skip["n"] == 320 and skip["predicted_seconds"] == pytest.approx(64.0)
    assert skip["budget_seconds"] == 20.0


def test_interrupted_sweep_resumes_without_remeasuring(tmp_path, monkeypatch, data):
    path = tmp_path / "results.jsonl"
    real = sweep_module.timed_epoch
    calls = {"count": 0}

    def interrupt_after_five(runner, X, settings):
        if calls["count"] == 5:
            raise KeyboardInterrupt
        calls["count"] += 1
        return real(runner, X, settings)

    plan = {"backends": ["numpy"], "sizes": [40, 80, 160, 320], "repeats": 2, "data": data}
    monkeypatch.setattr(sweep_module, "timed_epoch", interrupt_after_five)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(results_path=path, **plan, **SMALL, decide=False)
    kept = load_records(path)
    assert len(epochs(kept)) == 5
    assert not any(r["kind"] == "finished" for r in kept)

    monkeypatch.setattr(sweep_module, "timed_epoch", real)
    records = run_sweep(results_path=path, **plan, **SMALL, decide=False)
    keys = [epoch_key(r) for r in epochs(records)]
    assert len(keys) == len(set(keys)) == 2 * 4 * 2  # floor + numpy, 4 sizes, 2 repeats
    assert len({r["sweep_id"] for r in records}) == 1
    assert len({r["run_id"] for r in records}) == 2
    second_run = records[-1]["run_id"]
    assert sum(r["run_id"] == second_run for r in epochs(records)) == 16 - 5

    # A finished sweep is not resumed: the next run measures afresh.
    again = run_sweep(results_path=path, **plan, **SMALL, decide=False)
    assert len(epochs(again)) == 16
    assert {r["sweep_id"] for r in again}.isdisjoint({r["sweep_id"] for r in records})


def test_a_line_cut_short_by_a_kill_is_left_alone_and_never_continued(tmp_path, monkeypatch, data):
    path = tmp_path / "results.jsonl"
    plan = {"backends": ["numpy"], "sizes": [40, 80], "repeats": 1, "data": data}
    real = sweep_module.timed_epoch
    calls = {"count": 0}

    def interrupt_after_two(runner, X, settings):
        if calls["count"] == 2:
            raise KeyboardInterrupt
        calls["count"] += 1
        return real(runner, X, settings)

    monkeypatch.setattr(sweep_module, "timed_epoch", interrupt_after_two)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(results_path=path, **plan, **SMALL, decide=False)
    with open(path, "a") as stream:
        stream.write('{"kind": "epoch", "na')  # what a SIGKILL mid-write leaves
    before = path.read_bytes()
    monkeypatch.setattr(sweep_module, "timed_epoch", real)
    with pytest.warns(ResultsWarning, match="skipped 1 unusable line"):
        records = run_sweep(results_path=path, **plan, **SMALL, decide=False)
    # The file only grew: the fragment keeps its own line, every record a whole one.
    assert path.read_bytes().startswith(before)
    fragment = '{"kind": "epoch", "na'
    lines = path.read_text().splitlines()
    assert lines.count(fragment) == 1
    assert all(line[0] + line[-1] == "{}" for line in lines if line != fragment)
    with pytest.warns(ResultsWarning):
        assert load_records(path) == records
    assert len(epochs(records)) == 4


def test_other_data_is_never_resumed(tmp_path, monkeypatch, data):
    path = tmp_path / "results.jsonl"
    real = sweep_module.timed_epoch
    monkeypatch.setattr(sweep_module, "timed_epoch", _raise_interrupt)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(["numpy"], [40], repeats=1, data=data, results_path=path)
    monkeypatch.setattr(sweep_module, "timed_epoch", real)
    first = load_records(path)[0]
    records = run_sweep(["numpy"], [40], repeats=1, data=data[::-1], results_path=path)
    assert records[0]["sweep_id"] != first["sweep_id"]
    assert records[0]["settings"]["data"].startswith("user data 4000x16 sha1:")
    assert records[0]["settings"]["data"] != first["settings"]["data"]


def _raise_interrupt(*args):
    raise KeyboardInterrupt


def test_resume_false_starts_a_new_sweep(tmp_path, monkeypatch, data):
    path = tmp_path / "results.jsonl"
    path.write_text(
        json.dumps({"kind": "run", "run_id": "a", "sweep_id": "a", "settings_key": "x"}) + "\n"
    )
    records = run_sweep(["numpy"], [40], repeats=1, data=data, results_path=path, resume=False)
    assert records[0]["sweep_id"] != "a"


def test_naive_grows_faster_than_numpy():
    # One run, generous margins: naive is O(N²) by construction, numpy O(N). Exponents are
    # fitted on CPU time (one thread), so another process on the machine does not move
    # them much; 1.6 and 1.4 leave ±0.4 around the true values.
    rng = np.random.default_rng(1)
    X = rng.random((3200, 100))
    records = run_sweep(
        ["naive", "numpy"], [400, 800, 1600, 3200], repeats=2, data=X, n_hidden=50, floor=False
    )
    fits = growth_fits(records)
    assert fits[("naive", "float32")].exponent > 1.6
    assert fits[("numpy", "float32")].exponent < 1.4


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"backends": ["nope"]}, "unknown backend 'nope'"),
        ({"sizes": []}, "at least one data size"),
        ({"sizes": [1]}, "size must be >= 2"),
        ({"sizes": ["x"]}, "sizes must be integers"),
        ({"dtypes": ["int8"]}, "dtype must be one of"),
        ({"repeats": 0}, "repeats must be >= 1"),
        ({"budget_seconds": 0}, "budget_seconds must be > 0"),
        ({"sizes": [8000]}, "data has 4000 rows"),
        ({"peers": ["matlab"]}, "unknown peer"),
        ({"backends": [], "peers": []}, "nothing to measure"),
        ({"momentum": 1.0}, "momentum must be < 1"),
    ],
)
def test_bad_input_is_named(kwargs, message, data):
    arguments = {"backends": ["numpy"], "sizes": [40], "data": data, **kwargs}
    with pytest.raises(ValueError, match=message):
        run_sweep(**arguments)


# --- the floor -------------------------------------------------------------------------------


def test_floor_draws_the_steps_uniforms_from_the_generator():
    B, V, H = 20, 16, 8
    W = np.ones((H, V))
    X = np.random.default_rng(0).random((50, V))
    rng = np.random.default_rng(7)
    floor_epoch(W, X, B, rng)
    reference = np.random.default_rng(7)
    rows = [20, 20, 10]  # three mini-batches, the last partial
    reference.random(sum(b * (2 * V + H) for b in rows))
    assert rng.random() == reference.random()


def test_floor_step_computes_the_five_products():
    rng = np.random.default_rng(0)
    W = rng.random((3, 5))
    batch = rng.random((4, 5))
    buffers = FloorBuffers(4, 5, 3, np.float64)
    floor_step(W, batch, np.random.default_rng(1), buffers)
    hidden = batch @ W.T
    visible = hidden @ W
    again = visible @ W.T
    np.testing.assert_allclose(buffers.hidden, hidden)
    np.testing.assert_allclose(buffers.visible, visible)
    np.testing.assert_allclose(buffers.outer, hidden.T @ batch)
    np.testing.assert_allclose(buffers.outer_again, again.T @ visible)


# --- peers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("peer", ["sklearn", "torch"])
def test_peers_run_in_the_sweep_when_installed(peer, data):
    pytest.importorskip(peer)
    records = run_sweep(
        ["numpy"], [40, 80], peers=[peer], repeats=1, floor=False, data=data, **SMALL
    )
    # The torch peer is recorded as "torch-loop", apart from the torch backend.
    assert {(r["name"], r["role"]) for r in epochs(records)} == {
        ("numpy", "backend"),
        ({"torch": "torch-loop"}.get(peer, peer), "peer"),
    }


def test_growth_fits_from_records_match_fit_growth(data):
    records = run_sweep(["numpy"], [40, 80, 160, 320], repeats=2, data=data, **SMALL)
    numpy_epochs = [r for r in epochs(records) if r["name"] == "numpy"]
    expected = fit_growth([r["n"] for r in numpy_epochs], [r["cpu_seconds"] for r in numpy_epochs])
    assert growth_fits(records)[("numpy", "float32")] == expected


def test_an_undecided_series_gets_more_rounds_and_a_decided_one_rests(monkeypatch, data):
    # Fake clocks: numpy's epochs are noisy (±30%), the floor's exact; after the two fixed
    # rounds numpy is undecided and gets up to two more, the floor (decided) none.
    rng = np.random.default_rng(0)

    def fake_timed_epoch(runner, X, settings):
        noise = float(np.exp(0.3 * rng.standard_normal())) if runner.name == "numpy" else 1.0
        seconds = 1e-6 * X.shape[0] * noise
        return seconds, seconds

    monkeypatch.setattr(sweep_module, "timed_epoch", fake_timed_epoch)
    records = run_sweep(["numpy"], [40, 80, 160, 320], repeats=2, data=data, **SMALL)
    repeats = {name: Counter(r["repeat"] for r in epochs(records) if r["name"] == name)
               for name in ("floor", "numpy")}  # fmt: skip
    assert set(repeats["floor"]) == {0, 1}
    assert set(repeats["numpy"]) >= {0, 1, 2} and max(repeats["numpy"]) <= 3
    fit = growth_fits(records)[("numpy", "float32")]
    assert fit.verdict == "linear" or max(repeats["numpy"]) == 3, fit


def test_deciding_leaves_alone_a_series_whose_clock_saw_no_time(monkeypatch, data):
    # A child process's epoch (the R peer) has no CPU time in this process: 0 s. Deciding
    # must skip such a series, not fail on it (fit_growth refuses times of 0).
    def fake_timed_epoch(runner, X, settings):
        wall = 1e-6 * X.shape[0]
        return wall, (0.0 if runner.name == "numpy" else wall)

    monkeypatch.setattr(sweep_module, "timed_epoch", fake_timed_epoch)
    records = run_sweep(["numpy"], [40, 80, 160, 320], repeats=2, data=data, **SMALL)
    assert {r["repeat"] for r in epochs(records) if r["name"] == "numpy"} == {0, 1}
