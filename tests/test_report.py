"""Reports from recorded results: summary numbers, tables, figures, HTML and Markdown."""

from __future__ import annotations

import json

import pytest

from rbmperf.errors import ResultsWarning
from rbmperf.report import write_report
from rbmperf.report.console import summary_text
from rbmperf.sweep.results import append_record, epoch_seconds, load_records
from rbmperf.sweep.summary import summarize

SIZES = (1000, 2000, 4000, 8000)


# binary's h0 density (fraction of ones) at each size, as a fresh model learning during
# the timed epoch would show it: 31% at the smallest N, 12% at the largest.
H0_DENSITY = dict(zip(SIZES, (0.31, 0.25, 0.18, 0.12), strict=True))


def fake_sweep(
    *,
    threads: int = 1,
    finished: bool = True,
    cpu_factor: float = 1.0,
    protocols: bool = False,
):
    """Records of a sweep with exactly known times: numpy is 1.2 × floor, naive quadratic.

    With `protocols`, as the current sweep writes them: backends name their protocol and
    densities, and a binary backend (0.5 × floor) is timed at steady state after 16,000
    rows; without, as an older rbmperf wrote them (no protocol, no densities).
    """
    base = {"run_id": "r1", "sweep_id": "s1", "settings_key": "k"}
    records = [
        {
            **base,
            "kind": "run",
            "settings": {"batch_size": 100, "n_hidden": 300, "threads": threads, "seed": 0},
            "machine": {
                "cpu": "Test CPU",
                "cores": 2,
                "usable_cores": 2,
                "blas": [{"user_api": "blas", "internal_api": "openblas", "num_threads": threads}],
                "versions": {"numpy": "2.4"},
                "git_commit": "abc123",
                "date": "2026-11-27T00:00:00+00:00",
            },
        }
    ]
    for name, role in (("floor", "floor"), ("numpy", "backend"), ("naive", "backend")):
        records.append(
            {
                **base,
                "kind": "compile",
                "name": name,
                "role": role,
                "dtype": "float32",
                "seconds": 0.5,
            }
        )
    for n in SIZES:
        for repeat, wobble in enumerate((1.0, 1.01, 0.99)):
            for name, role, seconds in (
                ("floor", "floor", 1e-4 * n),
                ("numpy", "backend", 1.2e-4 * n),
                ("naive", "backend", 1e-7 * n**2),
            ):
                record = {
                    **base,
                    "kind": "epoch",
                    "name": name,
                    "role": role,
                    "dtype": "float32",
                    "n": n,
                    "repeat": repeat,
                    "seconds": seconds * wobble,
                    "cpu_seconds": seconds * wobble * cpu_factor,
                    "threads": threads,
                    "n_batches": n // 100,
                }
                if protocols and role == "backend":
                    record.update(
                        protocol="fresh",
                        v0_density=0.13,
                        h0_density=None,
                        v1_density=None,
                        density_source="data",
                    )
                records.append(record)
            if protocols:
                records.append(
                    {
                        **base,
                        "kind": "epoch",
                        "name": "binary",
                        "role": "backend",
                        "dtype": "float32",
                        "n": n,
                        "repeat": repeat,
                        "seconds": 0.5e-4 * n * wobble,
                        "cpu_seconds": 0.5e-4 * n * wobble * cpu_factor,
                        "threads": threads,
                        "n_batches": n // 100,
                        "protocol": "steady",
                        "warmup_rows": n * -(-16_000 // n),
                        "v0_density": 0.13,
                        "h0_density": H0_DENSITY[n] * wobble,
                        "v1_density": 0.14 * wobble,
                        "density_source": "states",
                    }
                )
    records.append(
        {
            **base,
            "kind": "skip",
            "name": "naive",
            "role": "backend",
            "dtype": "float32",
            "n": 16000,
            "predicted_seconds": 25.6,
            "budget_seconds": 10.0,
            "reason": "predicted 25.6 s per epoch > budget 10 s",
        }
    )
    if finished:
        records.append({**base, "kind": "finished"})
    return records


def test_summary_numbers():
    summary = summarize(fake_sweep())
    numpy_points = [p for p in summary.points if p.name == "numpy"]
    assert [p.n for p in numpy_points] == list(SIZES)
    for point in numpy_points:
        assert point.floor_multiple == pytest.approx(1.2)
        assert point.median == pytest.approx(1.2e-4 * point.n)
        assert point.minimum == pytest.approx(0.99 * 1.2e-4 * point.n)
        assert point.seconds_per_batch == pytest.approx(1.2e-4 * 100)
    assert summary.fits[("numpy", "float32")].verdict == "linear"
    assert summary.fits[("naive", "float32")].verdict == "superlinear"
    assert summary.fits[("naive", "float32")].exponent == pytest.approx(2.0, abs=0.02)
    assert [r["n"] for r in summary.skipped] == [16000]
    assert summary.series[0] == ("floor", "float32")


def test_clock_auto_uses_cpu_time_for_one_thread_and_wall_time_otherwise():
    one = summarize(fake_sweep(threads=1, cpu_factor=0.5))
    assert one.clock == "cpu"
    assert one.points[0].median == pytest.approx(0.5 * 1e-4 * SIZES[0])
    two = summarize(fake_sweep(threads=2, cpu_factor=0.5))
    assert two.clock == "wall"
    assert two.points[0].median == pytest.approx(1e-4 * SIZES[0])
    assert summarize(fake_sweep(cpu_factor=0.5), clock="wall").clock == "wall"
    with pytest.raises(ValueError, match="clock must be one of"):
        epoch_seconds({"seconds": 1.0}, "sundial")


def test_only_the_latest_sweep_is_summarized():
    old = fake_sweep()
    for record in old:
        record["sweep_id"] = "old"
    summary = summarize(old + fake_sweep(finished=False))
    assert summary.ignored_records == len(old)
    assert not summary.finished


def test_no_run_is_an_error():
    with pytest.raises(ValueError, match="no sweep found"):
        summarize([{"kind": "epoch"}])


def test_write_report_files(tmp_path):
    results = tmp_path / "results.jsonl"
    for record in fake_sweep():
        append_record(results, record)
    profiles = tmp_path / "out" / "profiles"
    profiles.mkdir(parents=True)
    (profiles / "profile_numpy_float32_N2000.txt").write_text("table\n")
    files = write_report(results, tmp_path / "out")
    for path in (files.scaling_png, files.floor_png):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = files.html.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert '<img src="scaling.png"' in page and '<img src="floor.png"' in page
    assert '<span class="superlinear">superlinear</span>' in page
    assert '<span class="linear">linear</span>' in page
    assert 'href="profiles/profile_numpy_float32_N2000.txt"' in page
    assert "Test CPU" in page and "abc123" in page
    assert "<em>floor</em>" in page and "<code>rbmperf.fit_growth</code>" in page
    markdown = files.markdown.read_text()
    assert "![seconds per epoch against N](scaling.png)" in markdown
    assert "| numpy | float32 | 1.00 | [" in markdown
    assert "lies within [0.85, 1.15]" in markdown
    assert "| naive | float32 | 16,000 | 25.60 s | 10 s |" in markdown
    assert "[profile_numpy_float32_N2000](profiles/profile_numpy_float32_N2000.txt)" in markdown
    # numpy's floor multiple, 1.2 at every size (the "1.20" alone is also in its times).
    assert "| numpy | float32 | 1.20 | 1.20 | 1.20 | 1.20 |" in markdown
    assert "| numpy | float32 | 1.00 | [0.99, 1.01] | **linear** |" in markdown
    assert "| naive | float32 | 2.00 | [1.99, 2.01] | **superlinear** |" in markdown


def test_peers_are_labelled(tmp_path):
    records = fake_sweep()
    for record in records:
        if record.get("name") == "numpy":
            record["name"], record["role"] = "sklearn", "peer"
    files = write_report(records, tmp_path)
    assert "sklearn (peer)" in files.markdown.read_text()
    assert "sklearn (peer)" in summary_text(files.summary)


def test_report_with_nothing_measured_is_an_error(tmp_path):
    records = [r for r in fake_sweep() if r["kind"] != "epoch"]
    with pytest.raises(ValueError, match="no measured epoch"):
        write_report(records, tmp_path)


def test_console_summary_lists_verdicts_and_skips():
    text = summary_text(summarize(fake_sweep()))
    rows = {line.split()[0]: line.split() for line in text.splitlines() if line[:1].isalpha()}
    # The last column is the exact verdict ("linear" must not pass for "superlinear"), the
    # fifth from last the floor multiple.
    assert rows["floor"][-1] == "linear" and rows["floor"][-5] == "1.00"
    assert rows["numpy"][-1] == "linear" and rows["numpy"][-5] == "1.20"
    assert rows["naive"][-1] == "superlinear" and rows["naive"][-5] == "8.00"
    assert "naive float32 N=16,000 predicted 25.60 s" in text


def test_load_records_skips_bad_lines_with_a_warning_and_keeps_every_good_one(tmp_path):
    path = tmp_path / "results.jsonl"
    good = [json.dumps(r) for r in fake_sweep()[:3]]
    path.write_text(f"{good[0]}\nnot json\n{good[1]}\n{good[2]}\n" + '{"kind": "ep')
    with pytest.warns(ResultsWarning, match=r"skipped 2 unusable lines of 5 \(lines 2, 5\)"):
        assert load_records(path) == fake_sweep()[:3]
    with pytest.raises(FileNotFoundError):
        load_records(tmp_path / "missing.jsonl")
