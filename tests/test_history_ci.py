""".ci/benchmarks puts base-against-head growth in the job summary, next to asv compare.

The script runs in a scratch copy of the repository layout (``.ci/benchmarks`` and an
``asv.conf.json`` whose ``results_dir`` holds results written in asv's format), with a
stand-in ``asv`` on PATH, so no benchmark runs: what is tested is the growth section and
that it never changes the gate's exit status.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from test_history import commit_hash, planted_results

ROOT = Path(__file__).parents[1]

_FAKE_ASV = """#!/usr/bin/env bash
case "$1" in
    machine) exit 0 ;;
    compare) echo "| Change | Before | After | Ratio | Benchmark |"; exit 0 ;;
    continuous) echo "BENCHMARKS NOT SIGNIFICANTLY CHANGED."; exit 0 ;;
esac
"""


def _run_gate(project: Path) -> tuple[subprocess.CompletedProcess, str]:
    (project / ".ci").mkdir()
    shutil.copy(ROOT / ".ci" / "benchmarks", project / ".ci" / "benchmarks")
    (project / "asv.conf.json").write_text(
        json.dumps({"version": 1, "repo": ".", "results_dir": "results"})
    )
    fake = project / "bin" / "asv"
    fake.parent.mkdir()
    fake.write_text(_FAKE_ASV)
    fake.chmod(0o755)
    summary = project / "summary.md"
    env = {
        **os.environ,
        "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHON": sys.executable,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    done = subprocess.run(
        ["bash", str(project / ".ci" / "benchmarks"), commit_hash(2), commit_hash(3)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done, summary.read_text()


def test_growth_of_base_and_head_goes_in_the_summary(tmp_path):
    planted_results(tmp_path)  # tmp_path/results: numpy's epoch quadratic from commit 3
    done, summary = _run_gate(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    compare = summary.index("| Change | Before | After | Ratio | Benchmark |")
    growth = summary.index(f"## Growth: {commit_hash(2)[:12]} (base) against")
    assert compare < growth < summary.index("**Verdict: no regression**")
    section = summary[growth:]
    assert "bench.Epoch.time_epoch(backend='numba')" in section
    assert "change: bench.Epoch.time_epoch(backend='numpy') on box" in section
    assert "::warning::growth changed: bench.Epoch.time_epoch(backend='numpy')" in done.stdout


def test_no_results_is_one_line_and_the_verdict_stands(tmp_path):
    done, summary = _run_gate(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Growth not available: rbmperf history: error: asv results folder" in summary
    assert "**Verdict: no regression**" in summary
