"""The bench, report and profile commands, end to end on small sweeps."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rbmperf.cli import main
from rbmperf.sweep.results import load_records

SMALL = [
    "--backends", "numpy",
    "--peers", "none",
    "--sizes", "100,200,400,800",
    "--dtypes", "float32",
    "--repeats", "1",
    "--n-hidden", "8",
    "--no-progress",
]  # fmt: skip


def test_bench_prints_verdicts_and_writes_the_report(tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["bench", *SMALL, "--out", str(out), "--profile-n", "100"]) == 0
    printed = capsys.readouterr().out
    assert "verdict" in printed and "numpy" in printed and "floor" in printed
    assert "wall time:" in printed
    for name in ("results.jsonl", "scaling.png", "floor.png", "index.html", "REPORT.md"):
        assert (out / name).is_file(), name
    assert (out / "profiles" / "profile_numpy_float32_N100.txt").is_file()
    assert "profiles/profile_numpy_float32_N100.txt" in (out / "REPORT.md").read_text()
    records = load_records(out / "results.jsonl")
    # The fixed round (floor and numpy × 4 sizes × 1 repeat); an undecided series may get
    # up to one more round (repeat 1), never more.
    assert sum(r["kind"] == "epoch" and r["repeat"] == 0 for r in records) == 2 * 4
    assert max(r["repeat"] for r in records if r["kind"] == "epoch") <= 1


def test_report_command_rewrites_the_report_from_results(tmp_path, capsys):
    out = tmp_path / "report"
    main(["bench", *SMALL, "--out", str(out), "--profile-n", "0"])
    (out / "index.html").unlink()
    capsys.readouterr()
    assert main(["report", str(out / "results.jsonl"), "--out", str(tmp_path / "again")]) == 0
    assert (tmp_path / "again" / "index.html").is_file()
    assert "verdict" in capsys.readouterr().out


def test_profile_command_prints_and_writes(tmp_path, capsys):
    argv = ["profile", "--backend", "numpy", "--n", "200", "--lines", "5", "--out", str(tmp_path)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "Ordered by: internal time" in printed
    assert (tmp_path / "profiles" / "profile_numpy_float64_N200.txt").is_file()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bench", "--sizes", "ten,20"], "--sizes must be comma-separated integers"),
        (["bench", "--backends", "nope", "--sizes", "100"], "unknown backend 'nope'"),
        (["bench", "--dtypes", "int8", "--sizes", "100"], "dtype must be one of"),
        (["bench", "--peers", "matlab", "--sizes", "100"], "unknown peer 'matlab'"),
        (["report", "no/such/results.jsonl"], "'no/such/results.jsonl' does not exist"),
        (["profile", "--backend", "nope"], "unknown backend 'nope'"),
    ],
)
def test_bad_arguments_give_one_line_errors(argv, message, tmp_path, capsys):
    assert main([*argv, "--out", str(tmp_path)] if argv[0] != "report" else argv) == 2
    error = capsys.readouterr().err
    assert message in error
    assert "Traceback" not in error


def _epochs(path: Path) -> list[dict]:
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    return [r for r in records if r.get("kind") == "epoch"]


@pytest.mark.parametrize(
    ("signum", "status", "said"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated (SIGTERM)")],
    ids=["SIGINT", "SIGTERM"],
)
def test_interrupting_bench_and_rerunning_resumes(tmp_path, signum, status, said):
    # A real process, interrupted with Ctrl-C (SIGINT) or stopped with SIGTERM (what a
    # CI runner's cancel, systemd or `timeout` send) once it has measured a few points.
    # The naive backend's quadratic epochs at N = 2,000 and 4,000 (seconds each) keep the
    # sweep busy long enough to be interrupted mid-way on any machine.
    out = tmp_path / "report"
    results = out / "results.jsonl"
    argv = [
        sys.executable, "-m", "rbmperf", "bench",
        "--backends", "naive", "--peers", "none",
        "--sizes", "500,1000,2000,4000", "--dtypes", "float64",
        "--repeats", "1", "--budget", "600", "--profile-n", "0",
        "--no-progress", "--out", str(out),
    ]  # fmt: skip
    # A job started without job control (as CI runners and nohup may start us) inherits
    # SIGINT as ignored, and Python then keeps ignoring it: give the child the default
    # disposition so that it sees Ctrl-C the way a user's terminal delivers it.
    process = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while len(_epochs(results)) < 3 and time.monotonic() < deadline:
        if process.poll() is not None:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the sweep ended before it could be interrupted"
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == status, stderr
    assert said in stderr and "Traceback" not in stderr

    kept = load_records(results)
    assert not any(r["kind"] == "finished" for r in kept)
    measured = {(r["name"], r["n"]) for r in kept if r["kind"] == "epoch"}
    assert len(measured) >= 3
    # Rerun over the sizes both series finished: everything is already there.
    done_sizes = sorted(
        n for n in (500, 1000, 2000, 4000) if {("floor", n), ("naive", n)} <= measured
    )
    assert done_sizes
    rerun = [*argv[:9], ",".join(map(str, done_sizes)), *argv[10:]]
    env = {**os.environ}
    finished = subprocess.run(rerun, capture_output=True, text=True, timeout=300, env=env)
    assert finished.returncode == 0, finished.stderr
    assert "resumed:" in finished.stderr
    records = load_records(results)
    assert len(_epochs(results)) == len([r for r in kept if r["kind"] == "epoch"])
    assert records[-1]["kind"] == "finished"
    assert len({r["sweep_id"] for r in records}) == 1
