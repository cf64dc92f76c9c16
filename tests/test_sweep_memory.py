"""Peak memory of an epoch in the sweep: records, resuming, what grows, the report."""

from __future__ import annotations

import itertools
import json
from collections import Counter

import numpy as np
import pytest
from test_report import SIZES, fake_sweep

from rbmperf.engine.memory import TINY_PEAK_BYTES
from rbmperf.errors import ResultsWarning
from rbmperf.report import tables, write_report
from rbmperf.report.console import summary_text
from rbmperf.sweep import run as sweep_module
from rbmperf.sweep.peers import SklearnPeer, TorchPeer
from rbmperf.sweep.r_peer import RPeer
from rbmperf.sweep.results import append_record, load_records, read_records, record_problem
from rbmperf.sweep.run import memory_untraced, run_sweep
from rbmperf.sweep.runners import BackendRunner, FloorRunner
from rbmperf.sweep.summary import summarize

SMALL = {"n_hidden": 8, "batch_size": 20}
N_VISIBLE = 16
TINY_SIZES = [40, 80, 160, 320]


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    rng = np.random.default_rng(0)
    return (rng.random((4000, N_VISIBLE)) < 0.3) * rng.random((4000, N_VISIBLE))


@pytest.fixture(scope="module")
def swept(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("memory") / "results.jsonl"
    records = run_sweep(
        ["numpy", "naive"], TINY_SIZES, repeats=2, data=data, results_path=path, **SMALL
    )
    return path, records


def memory_records(records):
    return [r for r in records if r["kind"] == "memory"]


def peaks_of(records, name):
    return {r["n"]: r["peak_bytes"] for r in memory_records(records) if r["name"] == name}


def test_one_memory_record_per_backend_and_size_written_after_the_timed_epochs(swept):
    path, records = swept
    assert records == load_records(path)
    memory = memory_records(records)
    # Two backends × 4 sizes; the floor gets none.
    assert Counter((r["name"], r["n"]) for r in memory) == {
        (name, n): 1 for name in ("numpy", "naive") for n in TINY_SIZES
    }
    for record in memory:
        assert record["role"] == "backend" and record["dtype"] == "float32"
        assert isinstance(record["peak_bytes"], int) and record["peak_bytes"] > 0
        assert record["traced_seconds"] > 0
        assert "reason" not in record
    # In round 0, right after each size's timed epochs and before the next size's: the
    # kinds in order at each size of round 0 are its 3 epochs, then its 2 memory records.
    round0 = [
        (r["kind"], r["n"])
        for r in records
        if r["kind"] == "memory" or (r["kind"] == "epoch" and r["repeat"] == 0)
    ]
    expected = []
    for n in TINY_SIZES:
        expected += [("epoch", n)] * 3 + [("memory", n)] * 2
    assert round0 == expected


def test_naive_memory_grows_with_n_because_every_batch_is_the_whole_data(swept):
    # naive's "mini-batch" is the whole data set: each CD-1 step draws uniforms for all N
    # rows (N × (2V + H) values) and allocates N × V and N × H states and probabilities,
    # freed before the next step. So its peak is affine in N, a + b·N, with b at least
    # the uniforms' bytes per row; numpy's batches are B rows whatever N is.
    _, records = swept
    naive = peaks_of(records, "naive")
    per_row = [
        (naive[large] - naive[small]) / (large - small)
        for small, large in itertools.pairwise(TINY_SIZES)
    ]
    uniform_bytes = (2 * N_VISIBLE + SMALL["n_hidden"]) * np.dtype("float32").itemsize
    assert min(per_row) >= uniform_bytes
    assert max(per_row) <= 1.1 * min(per_row)  # the same bytes per row at every size
    assert naive[320] >= 4 * naive[40]


def test_numpy_memory_stays_flat(swept):
    _, records = swept
    numpy = peaks_of(records, "numpy")
    # The peaks here are a few KB, so one stray allocation moves them by a quarter (the
    # whole suite under load once measured 7.5 KB at one size; tracemalloc counts every
    # thread's allocations): allowed up to the floor below which the engine reads memory
    # as constant.
    assert max(numpy.values()) <= 1.25 * min(numpy.values()) + TINY_PEAK_BYTES
    # Far less than one copy of the data at the largest size.
    assert max(numpy.values()) < 320 * N_VISIBLE * 4
    summary = summarize(records)
    growth = summary.memory[("numpy", "float32")].growth
    assert growth.constant or abs(growth.fit.exponent) < 0.15
    naive = summary.memory[("naive", "float32")]
    assert naive.growth.fit.exponent > 0.7
    assert naive.largest_n == 320 and naive.largest_peak == peaks_of(records, "naive")[320]


def test_a_resumed_sweep_measures_each_memory_point_once(tmp_path, monkeypatch, data):
    path = tmp_path / "results.jsonl"
    real = sweep_module.peak_bytes
    calls = {"count": 0}

    def interrupt_third(func, argument):
        if calls["count"] == 2:
            raise KeyboardInterrupt
        calls["count"] += 1
        return real(func, argument)

    plan = {"backends": ["numpy"], "sizes": TINY_SIZES, "repeats": 2, "data": data}
    monkeypatch.setattr(sweep_module, "peak_bytes", interrupt_third)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(results_path=path, **plan, **SMALL)
    kept = load_records(path)
    assert [r["n"] for r in memory_records(kept)] == [40, 80]
    # The third point's timed epoch is there; its memory epoch was cut off.
    assert any(r["kind"] == "epoch" and r["name"] == "numpy" and r["n"] == 160 for r in kept)

    traced = []
    monkeypatch.setattr(
        sweep_module, "peak_bytes", lambda func, arg: traced.append(1) or real(func, arg)
    )
    records = run_sweep(results_path=path, **plan, **SMALL)
    memory = memory_records(records)
    assert sorted(r["n"] for r in memory) == TINY_SIZES  # each once, none twice
    assert len(traced) == 2  # only N = 160 and 320 traced again
    first_run = kept[0]["run_id"]
    assert {r["n"] for r in memory if r["run_id"] == first_run} == {40, 80}


def test_a_point_whose_timed_epoch_took_over_two_seconds_is_not_traced(monkeypatch, data):
    real = sweep_module.timed_epoch

    def slow_naive_at_320(runner, X, settings):
        wall, cpu = real(runner, X, settings)
        return (2.5, 2.5) if runner.name == "naive" and X.shape[0] == 320 else (wall, cpu)

    monkeypatch.setattr(sweep_module, "timed_epoch", slow_naive_at_320)
    records = run_sweep(["numpy", "naive"], TINY_SIZES, repeats=1, data=data, **SMALL)
    skipped = [r for r in memory_records(records) if r["peak_bytes"] is None]
    assert [(r["name"], r["n"]) for r in skipped] == [("naive", 320)]
    assert "its timed epoch took 2.50 s, over the 2 s limit" in skipped[0]["reason"]
    assert "traced_seconds" not in skipped[0]
    summary = summarize(records)
    naive = summary.memory[("naive", "float32")]
    assert naive.sizes == (40, 80, 160) and naive.untraced == ((320, skipped[0]["reason"]),)
    text = summary_text(summary)
    row = next(line for line in text.splitlines() if line.startswith("naive "))
    assert " at N=160, k " in row  # the peak shown is the largest traced, and says where
    assert "naive float32 N=320: its timed epoch took 2.50 s" in text
    header, rows = tables.timing_table(summary)
    cells = {(row[0], row[2]): row[header.index("peak memory")] for row in rows}
    assert cells[("naive", "320")].startswith("not traced: its timed epoch took 2.50 s")
    assert cells[("floor", "320")] == "—"


class _DeviceRunner(BackendRunner):
    def __init__(self) -> None:
        super().__init__("numpy")
        self.name, self.device = "on-a-gpu", "cuda"


def test_only_what_tracemalloc_can_see_is_traced():
    assert memory_untraced(BackendRunner("numpy")) is None
    assert memory_untraced(BackendRunner("naive")) is None
    assert memory_untraced(SklearnPeer()) is None
    assert "yardstick" in memory_untraced(FloorRunner())
    assert "tracemalloc sees host memory only" in memory_untraced(_DeviceRunner())
    assert "torch" in memory_untraced(TorchPeer())
    assert "Rscript" in memory_untraced(RPeer())


def test_the_torch_backend_on_the_cpu_is_not_traced():
    pytest.importorskip("torch")
    assert "own allocator" in memory_untraced(BackendRunner("torch"))


# --- the results file ------------------------------------------------------------------------


def a_memory_record(**fields):
    base = {"run_id": "r1", "sweep_id": "s1", "settings_key": "k", "kind": "memory"}
    return {
        **base,
        "name": "naive",
        "role": "backend",
        "dtype": "float32",
        "n": 1000,
        "peak_bytes": 123_456,
        "traced_seconds": 0.01,
        **fields,
    }


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"peak_bytes": "lots"}, "memory with a bad 'peak_bytes'"),
        ({"peak_bytes": -1}, "memory with a bad 'peak_bytes'"),
        ({"peak_bytes": True}, "memory with a bad 'peak_bytes'"),
        ({"peak_bytes": 1.5}, "memory with a bad 'peak_bytes'"),
        ({"n": 0}, "memory with a bad 'n'"),
        ({"traced_seconds": -2.0}, "memory with a bad 'traced_seconds'"),
        ({"peak_bytes": None}, "memory without a peak and without a 'reason'"),
    ],
)
def test_a_damaged_memory_record_is_refused(fields, reason):
    assert record_problem(a_memory_record()) is None
    assert record_problem(a_memory_record(peak_bytes=None, reason="too slow")) is None
    assert reason in record_problem(a_memory_record(**fields))
    broken = a_memory_record()
    del broken["peak_bytes"]
    assert "memory without 'peak_bytes'" in record_problem(broken)


def test_a_damaged_memory_record_is_skipped_with_the_others_warning(tmp_path):
    path = tmp_path / "results.jsonl"
    records = fake_sweep()
    for record in records[:-1]:
        append_record(path, record)
    good = a_memory_record(n=SIZES[-1], run_id="r1")
    append_record(path, good)
    with path.open("a") as handle:
        handle.write(json.dumps(a_memory_record(n=SIZES[0], peak_bytes=-5)) + "\n")
    append_record(path, records[-1])
    found = read_records(path)
    assert [s.number for s in found.skipped] == [len(records) + 1]
    with pytest.warns(ResultsWarning, match=r"skipped 1 unusable line .*memory with a bad"):
        kept = load_records(path)
    assert [r["n"] for r in memory_records(kept)] == [SIZES[-1]]
    assert summarize(kept).memory[("naive", "float32")].peaks == (123_456,)


def test_results_without_memory_records_still_read_and_report(tmp_path):
    summary = summarize(fake_sweep())
    assert summary.memory == {}
    assert all(p.peak_bytes is None and p.memory_note is None for p in summary.points)
    files = write_report(fake_sweep(), tmp_path)
    assert "| — | — |" in files.markdown.read_text()  # peak memory, memory k


# --- the report ------------------------------------------------------------------------------


def with_memory(records, peaks):
    """`records` with a memory record per (name, N) in `peaks` ({name: {n: bytes}})."""
    extra = [
        a_memory_record(name=name, n=n, peak_bytes=peak)
        for name, by_n in peaks.items()
        for n, peak in by_n.items()
    ]
    return records[:-1] + extra + records[-1:]


def test_the_report_shows_peak_memory_and_its_growth(tmp_path):
    peaks = {
        "naive": {n: 8 * 784 * n + 40_000 for n in SIZES},  # affine, k → 1 at large N
        "numpy": dict.fromkeys(SIZES, 900_000),  # flat
    }
    records = with_memory(fake_sweep(), peaks)
    summary = summarize(records)
    header, rows = tables.verdict_table(summary)
    by_series = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert by_series["naive"]["peak memory"] == "50.2 MB"
    assert by_series["naive"]["memory k"].endswith("linear")
    assert by_series["naive"]["memory k"].startswith("1.00 [")
    assert by_series["numpy"]["peak memory"] == "900 kB"
    assert by_series["numpy"]["memory k"] == "0.00 [0.00, 0.00] sublinear"
    assert by_series["floor"]["peak memory"] == "—" and by_series["floor"]["memory k"] == "—"
    assert header[-2:] == ["AIC best", "sizes used"]

    text = summary_text(summary)
    rows_text = {line.split()[0]: line for line in text.splitlines()[3:6]}
    assert "  50.2 MB, k 1.00 linear  " in rows_text["naive"]
    assert "  900 kB, k 0.00 sublinear  " in rows_text["numpy"]
    flat = " ".join(text.split())
    assert "Memory is tracemalloc's peak during one untimed epoch per series and N" in flat
    assert "not the data or the model" in flat

    files = write_report(records, tmp_path)
    markdown = files.markdown.read_text()
    assert "the buffers the epoch allocates, not the data or the model" in markdown
    assert "| 50.2 MB | 1.00 [" in markdown
    page = files.html.read_text()
    assert "<th>peak memory</th>\n<th>memory k</th>" in page
    assert "<td>900 kB</td><td>0.00 [0.00, 0.00] sublinear</td>" in page


def test_tiny_peaks_read_constant():
    records = with_memory(
        fake_sweep(), {"numpy": dict(zip(SIZES, (300, 280, 310, 300), strict=True))}
    )
    summary = summarize(records)
    assert summary.memory[("numpy", "float32")].growth.constant
    _, rows = tables.verdict_table(summary)
    numpy = next(row for row in rows if row[0] == "numpy")
    assert numpy[8:10] == ["300 B", "constant"]
    assert "  300 B, constant  " in summary_text(summary)
