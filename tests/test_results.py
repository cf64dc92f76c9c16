"""The results store: schema versions, skipped lines, locked appends, concurrent sweeps, merging."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from test_report import fake_sweep

from rbmperf.cli import main
from rbmperf.errors import InputError, ResultsWarning
from rbmperf.report import write_report
from rbmperf.sweep import results as results_module
from rbmperf.sweep.results import (
    SCHEMA,
    SweepPresence,
    append_record,
    load_records,
    read_records,
    record_problem,
)


def _write(path: Path, records: list[dict]) -> None:
    for record in records:
        append_record(path, record)


def test_every_line_carries_the_schema_version_and_reads_back_without_it(tmp_path):
    path = tmp_path / "results.jsonl"
    _write(path, fake_sweep())
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert {line["schema"] for line in lines} == {SCHEMA}
    assert load_records(path) == fake_sweep()


def test_lines_older_than_the_schema_field_are_read(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in fake_sweep()))
    assert load_records(path) == fake_sweep()
    committed = Path(__file__).parents[1] / "reports" / "sample" / "results.jsonl"
    assert not read_records(committed).skipped


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("not json at all", "not JSON"),
        ('{"kind": "epoch", "name": "num', "not JSON"),
        ("[" * 100_000 + "]" * 100_000, "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"tool": "pytest-benchmark", "kind": "benchmark"}', "no known 'kind'"),
        ('{"kind": "finished", "run_id": "r", "settings_key": "k"}', "without 'sweep_id'"),
        (
            '{"kind": "finished", "run_id": "r", "sweep_id": 3, "settings_key": "k"}',
            "bad 'sweep_id'",
        ),
        ('{"schema": 99, "kind": "finished"}', "written by a newer rbmperf (schema 99"),
        ('{"schema": "1", "kind": "finished"}', "bad 'schema'"),
    ],
)
def test_unusable_lines_are_named_with_their_reason(tmp_path, line, reason):
    path = tmp_path / "results.jsonl"
    good = fake_sweep()
    path.write_text(json.dumps(good[0]) + "\n" + line + "\n" + json.dumps(good[1]) + "\n")
    found = read_records(path)
    assert found.records == good[:2]
    assert [s.number for s in found.skipped] == [2]
    assert reason in found.skipped[0].reason


@pytest.mark.parametrize(
    ("field", "value"),
    [("n", True), ("n", 0), ("seconds", float("nan")), ("seconds", -1.0), ("repeat", 1.5)],
)
def test_epoch_fields_of_the_wrong_type_or_range_are_refused(field, value):
    epoch = next(r for r in fake_sweep() if r["kind"] == "epoch")
    assert record_problem(epoch) is None
    assert f"bad {field!r}" in record_problem({**epoch, field: value})


def test_bytes_that_are_not_utf8_cost_only_their_line(tmp_path):
    path = tmp_path / "results.jsonl"
    good = [json.dumps(r).encode() for r in fake_sweep()[:2]]
    path.write_bytes(good[0] + b"\n\xff\xfe\x00garbage\n" + good[1] + b"\n")
    with pytest.warns(ResultsWarning, match=r"skipped 1 unusable line of 3 \(line 2\)"):
        assert load_records(path) == fake_sweep()[:2]


def test_the_warning_lists_at_most_ten_line_numbers(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text("junk\n" * 25)
    found = read_records(path)
    assert "skipped 25 unusable lines of 25 (lines 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, … (15 more))" in (
        found.describe_skipped()
    )


def test_report_uses_every_good_line_and_warns_about_the_bad(tmp_path, capsys):
    path = tmp_path / "results.jsonl"
    records = fake_sweep()
    broken = dict(records[5])
    del broken["sweep_id"]  # was a KeyError deep in the summary
    lines = [json.dumps(r) for r in records]
    lines.insert(5, json.dumps(broken))
    lines.insert(9, "\x00\x01 garbage")
    path.write_text("\n".join(lines) + "\n" + '{"kind": "epo')
    assert main(["report", str(path), "--out", str(tmp_path / "out")]) == 0
    error = capsys.readouterr().err
    assert error.startswith(f"rbmperf report: warning: results file {str(path)!r}: skipped 3")
    assert "(lines 6, 10, " in error and "epoch without 'sweep_id'" in error
    assert (tmp_path / "out" / "index.html").is_file()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "holds no usable rbmperf record: nothing to report"),
        (
            "garbage\n{}\n",
            "holds no usable rbmperf record (2 unusable lines skipped): nothing to report",
        ),
        (json.dumps(fake_sweep()[1]) + "\n", "holds no sweep (no 'run' record): nothing to report"),
    ],
)
def test_report_on_a_file_with_nothing_usable_is_a_clear_error(tmp_path, capsys, content, message):
    path = tmp_path / "results.jsonl"
    path.write_text(content)
    assert main(["report", str(path)]) == 2
    error = capsys.readouterr().err.splitlines()[-1]
    assert error == f"rbmperf report: error: results file {str(path)!r} {message}"


def test_an_append_is_one_write_under_an_exclusive_lock(tmp_path, monkeypatch):
    path = tmp_path / "results.jsonl"
    events = []
    real_write, real_flock = os.write, fcntl.flock

    def write(fd, data):
        events.append(("write", len(data)))
        return real_write(fd, data)

    def flock(fd, operation):
        events.append(("flock", operation))
        return real_flock(fd, operation)

    monkeypatch.setattr(results_module.os, "write", write)
    monkeypatch.setattr(results_module.fcntl, "flock", flock)
    huge = {**fake_sweep()[0], "machine": {"notes": "x" * 1_000_000}}  # far over any buffer
    append_record(path, huge)
    assert events == [
        ("flock", fcntl.LOCK_EX | fcntl.LOCK_NB),
        ("write", path.stat().st_size),
        ("flock", fcntl.LOCK_UN),
    ]
    assert load_records(path) == [huge]


def test_an_append_after_a_fragment_starts_a_line_of_its_own(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_bytes(b'{"kind": "ep')
    append_record(path, fake_sweep()[0])
    assert path.read_bytes().startswith(b'{"kind": "ep\n{')
    with pytest.warns(ResultsWarning, match=r"\(line 1\)"):
        assert load_records(path) == fake_sweep()[:1]


def test_a_lock_held_too_long_is_refused_naming_the_holder(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text("")
    with open(path) as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)  # another open file: conflicts like a process
        with pytest.raises(InputError, match=rf"locked by another .*holder pid: {os.getpid()}"):
            append_record(path, fake_sweep()[0], lock_timeout=0.05)
    assert path.read_text() == ""


def test_presence_tells_a_second_sweep_that_the_first_is_live(tmp_path):
    path = tmp_path / "results.jsonl"
    first, second, later = SweepPresence(path), SweepPresence(path), SweepPresence(path)
    assert first.enter() is None
    assert second.enter() == []  # our own pid is left out: the holder is this process
    first.leave()
    second.leave()
    assert later.enter() is None
    later.leave()


def test_a_live_sweep_is_not_resumed_by_a_second_run(tmp_path, monkeypatch):
    from rbmperf.sweep import run as sweep_module

    path = tmp_path / "results.jsonl"
    # An unfinished sweep with the same settings is in the file, and its writer is alive.
    session = sweep_module._Session(sweep_module.SweepSettings(), path, resume=True)
    session.start()
    try:
        with pytest.warns(ResultsWarning, match="another sweep is writing to results file"):
            second = sweep_module._Session(sweep_module.SweepSettings(), path, resume=True)
        assert second.sweep_id != session.sweep_id
        second.close()
    finally:
        session.close()
    third = sweep_module._Session(sweep_module.SweepSettings(), path, resume=True)
    assert third.sweep_id == session.sweep_id  # its writer gone: interrupted, so resumed
    third.close()


BENCH = [
    "--backends", "numpy", "--sizes", "200,400", "--repeats", "1", "--peers", "none",
    "--profile-n", "0", "--no-progress", "--dtypes", "float32", "--n-hidden", "8",
]  # fmt: skip


def test_two_bench_processes_on_one_results_file_lose_and_mix_nothing(tmp_path):
    out = tmp_path / "report"
    results = out / "results.jsonl"
    argv = [sys.executable, "-m", "rbmperf", "bench", *BENCH, "--out", str(out)]
    processes = [
        subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=300) for process in processes]
    for process, (_, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
    found = read_records(results)
    assert not found.skipped, found.describe_skipped()
    assert found.lines == 2 * 10
    by_run = Counter((r["run_id"], r["kind"]) for r in found.records)
    runs = {run_id for run_id, _ in by_run}
    assert len(runs) == 2
    for run_id in runs:
        # One run, a compile and 2 epochs for each of floor and numpy, a memory record for
        # each of numpy's 2 sizes, and its end.
        kinds = ("run", "compile", "epoch", "memory", "finished")
        assert [by_run[(run_id, k)] for k in kinds] == [1, 2, 4, 2, 1]
    assert len({r["sweep_id"] for r in found.records}) == 2  # never one joining the other
    page = (out / "index.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>\n")
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []  # no temporaries
    (tmp_path / "plain").write_text("")
    assert (out / "index.html").stat().st_mode == (tmp_path / "plain").stat().st_mode


def test_the_report_says_when_another_sweep_wrote_meanwhile():
    first, second = fake_sweep(), fake_sweep()
    for record in second:
        record["sweep_id"], record["run_id"] = "other", "r2"
    interleaved = [r for pair in zip(first, second, strict=False) for r in pair]
    interleaved += first[len(second) :] + second[len(first) :]
    from rbmperf.report.writers import markdown_report
    from rbmperf.sweep.summary import summarize

    summary = summarize(interleaved[: len(interleaved) - 1])  # the latest run: "other"
    assert summary.overlapping_records > 0
    assert "records of another sweep were written to the same file" in markdown_report(summary, [])
    assert summarize(first).overlapping_records == 0


def _machine_file(tmp_path: Path, name: str, host: str, factor: float) -> Path:
    records = fake_sweep()
    for record in records:
        if record["kind"] == "run":
            record["machine"] = {**record["machine"], "host": host, "cpu": f"{host} CPU"}
        if record["kind"] == "epoch":
            record["seconds"] *= factor
            record["cpu_seconds"] *= factor
    path = tmp_path / name / "results.jsonl"
    path.parent.mkdir()
    _write(path, records)
    return path


def test_several_machines_in_one_report(tmp_path, capsys):
    laptop = _machine_file(tmp_path, "laptop", "lap", 1.0)
    runner = _machine_file(tmp_path, "ci", "runner-7", 2.0)
    files = write_report([laptop, runner], tmp_path / "fleet")
    summary = files.summary
    assert set(summary.machines) == {"lap", "runner-7"}
    names = {name for name, _ in summary.series}
    assert {"numpy @ lap", "numpy @ runner-7", "floor @ lap", "naive @ runner-7"} <= names
    # Each series against its own machine's floor: twice as slow, same multiple.
    multiples = {p.name: p.floor_multiple for p in summary.points if p.n == 8000}
    assert multiples["numpy @ lap"] == pytest.approx(multiples["numpy @ runner-7"]) == 1.2
    markdown = files.markdown.read_text()
    assert "|  | lap | runner-7 |" in markdown
    assert "| CPU | lap CPU | runner-7 CPU |" in markdown
    assert "| numpy @ runner-7 | float32 | 1.00 |" in markdown
    assert "Results of 2 machines side by side" in markdown

    argv = ["report", str(laptop), str(runner), "--labels", "mine,ci", "--out", str(tmp_path)]
    assert main(argv) == 0
    assert "numpy @ ci" in capsys.readouterr().out
    assert main([*argv[:3], "--labels", "a", "--out", str(tmp_path)]) == 2
    assert "--labels needs one distinct label per results file (2)" in capsys.readouterr().err


def test_machines_with_the_same_name_are_told_apart_by_their_folder(tmp_path):
    one = _machine_file(tmp_path, "monday", "box", 1.0)
    two = _machine_file(tmp_path, "tuesday", "box", 1.0)
    summary = write_report([one, two], tmp_path / "out").summary
    assert set(summary.machines) == {"box (monday)", "box (tuesday)"}
