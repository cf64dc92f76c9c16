"""Reports from recorded results: summary numbers, tables, figures, HTML and Markdown."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from rbmperf.errors import ResultsWarning
from rbmperf.figures import pyplot
from rbmperf.report import plots, tables, write_report
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


def console_rows(text: str) -> dict[tuple[str, str], list[str]]:
    """The console summary's table rows by (series, dtype), split back into their cells."""
    rows = {}
    for line in text.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) >= 8 and cells[1] in ("float32", "float64"):
            rows[(cells[0], cells[1])] = cells
    return rows


def test_console_summary_lists_verdicts_and_skips():
    text = summary_text(summarize(fake_sweep()))
    header = re.split(r"\s{2,}", text.splitlines()[1].strip())
    assert header == [
        "series", "dtype", "N max", "median epoch (min–max)", "× floor", "k [95% CI]",
        "verdict", "spent (epochs)", "timed as",
    ]  # fmt: skip
    rows = console_rows(text)
    # The exact verdict ("linear" must not pass for "superlinear") and floor multiple.
    assert rows[("floor", "float32")][4:7] == ["1.00", "1.00 [0.99, 1.01]", "linear"]
    assert rows[("numpy", "float32")][4:7] == ["1.20", "1.00 [0.99, 1.01]", "linear"]
    assert rows[("naive", "float32")][4:7] == ["8.00", "2.00 [1.99, 2.01]", "superlinear"]
    # What each verdict spent: the wall time of its 12 timed epochs (3 repeats × 4 sizes).
    assert rows[("numpy", "float32")][7] == "5.40 s (12)"
    # Older results record no protocol: a backend reads as fresh, said to be assumed.
    assert rows[("numpy", "float32")][8] == "fresh model (assumed: not recorded)"
    assert rows[("floor", "float32")][8] == "—"
    assert "naive float32 N=16,000 predicted 25.60 s" in text


def test_console_summary_says_each_protocol_and_names_a_bend():
    records = fake_sweep(protocols=True, cpu_factor=0.5)
    for record in records:  # numpy's data leave a cache at N = 4,000: 3× slower per row
        if record.get("name") == "numpy" and record["kind"] == "epoch" and record["n"] >= 4000:
            record["seconds"] *= 3
            record["cpu_seconds"] *= 3
    summary = summarize(records)
    bend = summary.fits[("numpy", "float32")].bend
    assert bend is not None and (bend.below, bend.above) == (2000, 4000)
    text = summary_text(summary)
    rows = console_rows(text)
    assert rows[("binary", "float32")][6:] == [
        "linear", "2.25 s (12)", "steady state after 16,000 rows; h0 31%→12%",
    ]  # fmt: skip
    assert rows[("numpy", "float32")][8] == "fresh model"
    lines = text.splitlines()
    numpy_row = next(k for k, line in enumerate(lines) if line.startswith("numpy "))
    assert lines[numpy_row + 1] == f"    {bend.describe()}"
    assert sum(bend.describe() in line for line in lines) == 1  # only numpy bends
    assert "'steady state after R rows' from parameters already trained" in " ".join(text.split())


def test_verdict_rows_say_the_protocol_what_it_spent_and_any_bend():
    records = fake_sweep(protocols=True)
    for record in records:
        if record.get("name") == "numpy" and record["kind"] == "epoch" and record["n"] >= 4000:
            record["seconds"] *= 3
            record["cpu_seconds"] *= 3
    summary = summarize(records)
    header, rows = tables.verdict_table(summary)
    by_series = {(row[0], row[1]): dict(zip(header, row, strict=True)) for row in rows}
    binary = by_series[("binary", "float32")]
    assert binary["protocol"] == "steady state after 16,000 rows; h0 31%→12%"
    assert binary["spent"] == "2.25 s, 12 epochs"
    assert binary["verdict"] == "**linear**"
    numpy = by_series[("numpy", "float32")]
    assert numpy["protocol"] == "fresh model"
    assert numpy["why"].startswith(summary.fits[("numpy", "float32")].bend.describe())
    assert "bends" not in binary["why"]
    assert by_series[("floor", "float32")]["protocol"] == "—"
    # The columns that were there keep their order and meaning.
    assert header[:6] == ["series", "dtype", "exponent k", "95% CI", "verdict", "why"]
    assert header[-2:] == ["AIC best", "sizes used"]


def test_the_report_explains_both_protocols_and_flags_results_that_record_none(tmp_path):
    new = write_report(fake_sweep(protocols=True), tmp_path / "new")
    markdown = new.markdown.read_text()
    assert "a *fresh model* is timed from freshly initialised parameters" in markdown
    assert "is timed at *steady state after R rows*: from parameters already trained" in markdown
    assert "| steady state after 16,000 rows; h0 31%→12% | 2.25 s, 12 epochs |" in markdown
    assert "not record" not in markdown
    page = new.html.read_text()
    assert "<em>steady state after R rows</em>" in page
    assert "<td>steady state after 16,000 rows; h0 31%→12%</td><td>2.25 s, 12 epochs</td>" in page
    old = write_report(fake_sweep(), tmp_path / "old")
    markdown = old.markdown.read_text()
    assert "| fresh model (assumed: not recorded) |" in markdown
    assert (
        "2 backend series do not record their protocol (results of an older rbmperf): "
        "read as timed from a fresh model." in markdown
    )


def test_the_scaling_figure_has_one_panel_per_dtype_with_its_own_legend():
    records = fake_sweep(protocols=True)
    records += [
        {**r, "dtype": "float64", "seconds": 2 * r["seconds"], "cpu_seconds": 2 * r["cpu_seconds"]}
        for r in records
        if r["kind"] == "epoch" and r["name"] != "naive"
    ]
    summary = summarize(records)
    figure = plots.scaling_panels(summary)
    try:
        panels = figure.axes
        assert [axes.get_title() for axes in panels] == ["float32", "float64"]
        assert panels[0].get_shared_y_axes().joined(panels[0], panels[1])
        legends = [[t.get_text() for t in axes.get_legend().get_texts()] for axes in panels]
        assert legends[0] == [
            plots.legend_text(summary, name, "float32")
            for name in ("floor", "binary", "naive", "numpy")
        ]
        assert [text.split(":")[0] for text in legends[1]] == ["floor", "binary", "numpy"]
        assert legends[0][1].endswith("; steady")
        # Every point of a panel is of its dtype: float64's are twice float32's.
        float32_n, float32_t = np.array(panels[0].lines[0].get_data(), dtype=float)
        float64_n, float64_t = np.array(panels[1].lines[0].get_data(), dtype=float)
        assert list(float32_n) == list(float64_n) == list(SIZES)
        assert np.allclose(float64_t, 2 * float32_t)
    finally:
        pyplot().close(figure)


def test_load_records_skips_bad_lines_with_a_warning_and_keeps_every_good_one(tmp_path):
    path = tmp_path / "results.jsonl"
    good = [json.dumps(r) for r in fake_sweep()[:3]]
    path.write_text(f"{good[0]}\nnot json\n{good[1]}\n{good[2]}\n" + '{"kind": "ep')
    with pytest.warns(ResultsWarning, match=r"skipped 2 unusable lines of 5 \(lines 2, 5\)"):
        assert load_records(path) == fake_sweep()[:3]
    with pytest.raises(FileNotFoundError):
        load_records(tmp_path / "missing.jsonl")
