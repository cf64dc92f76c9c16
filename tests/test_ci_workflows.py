"""The code-host workflows: what they run, on which Pythons, and the benchmark gate's verdicts.

`make lint` validates the workflow files against GitHub's schema and zizmor; these tests
check what a schema cannot: that CI runs .ci/run on the oldest and newest Python that
pyproject.toml supports, and that .ci/benchmarks tells a regression from a build failure
(with a stand-in ``asv`` on PATH, so no benchmark runs here).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
yaml = pytest.importorskip("ruamel.yaml")


def _load(name: str) -> dict:
    return yaml.YAML(typ="safe").load((WORKFLOWS / name).read_text())


def _supported_pythons() -> tuple[str, str]:
    text = (ROOT / "pyproject.toml").read_text()
    floor = re.search(r'requires-python = ">=(3\.\d+)"', text).group(1)
    minors = re.findall(r'"Programming Language :: Python :: 3\.(\d+)"', text)
    return floor, f"3.{max(map(int, minors))}"


def test_ci_runs_ci_run_on_the_oldest_and_newest_supported_python():
    workflow = _load("ci.yml")
    assert set(workflow["on"]) == {"push", "pull_request"}
    (job,) = workflow["jobs"].values()
    oldest, newest = _supported_pythons()
    assert job["strategy"]["matrix"]["python-version"] == [oldest, newest]
    assert any(step.get("run") == "bash .ci/run" for step in job["steps"])
    assert workflow["permissions"] == {"contents": "read"}


def test_the_benchmark_gate_runs_on_labelled_pull_requests_with_full_history():
    workflow = _load("benchmarks.yml")
    assert set(workflow["on"]) == {"pull_request"}
    assert "labeled" in workflow["on"]["pull_request"]["types"]
    (job,) = workflow["jobs"].values()
    assert job["if"] == "contains(github.event.pull_request.labels.*.name, 'benchmark')"
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    gate = next(s for s in job["steps"] if ".ci/benchmarks" in s.get("run", ""))
    assert gate["env"] == {
        "BASE_SHA": "${{ github.event.pull_request.base.sha }}",
        "HEAD_SHA": "${{ github.event.pull_request.head.sha }}",
    }


def test_make_lint_validates_both_workflows():
    makefile = (ROOT / "Makefile").read_text()
    assert "check-jsonschema --builtin-schema vendor.github-workflows $(WORKFLOWS)" in makefile
    assert "zizmor --offline" in makefile
    listed = re.search(r"WORKFLOWS := (.*)", makefile).group(1).split()
    assert sorted(listed) == sorted(str(p.relative_to(ROOT)) for p in WORKFLOWS.glob("*.yml"))


_FAKE_ASV = """#!/usr/bin/env bash
# A stand-in for asv: prints what the real one prints in each case.
echo "$@ OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS" >> "$FAKE_ASV_CALLS"
case "$1" in
    machine) exit 0 ;;
    compare) echo "| Change | Before | After | Ratio | Benchmark |"; exit 0 ;;
esac
case "$FAKE_ASV_MODE" in
    same) echo "BENCHMARKS NOT SIGNIFICANTLY CHANGED."; exit 0 ;;
    slower) echo "+  1.00s  2.00s  2.00  bench_epoch.time_epoch"
            echo "SOME BENCHMARKS HAVE CHANGED SIGNIFICANTLY."
            echo "PERFORMANCE DECREASED."; exit 1 ;;
    broken) echo "Error running python -m pip wheel: setup.py failed"
            echo "·· Failed to build the project."; exit 1 ;;
esac
"""


@pytest.mark.parametrize(
    ("mode", "status", "verdict"),
    [("same", 0, "no regression"), ("slower", 1, "regression"), ("broken", 2, "no comparison")],
)
def test_the_benchmark_gate_tells_a_regression_from_a_build_failure(
    tmp_path, mode, status, verdict
):
    fake = tmp_path / "bin" / "asv"
    fake.parent.mkdir()
    fake.write_text(_FAKE_ASV)
    fake.chmod(0o755)
    summary = tmp_path / "summary.md"
    calls = tmp_path / "calls"
    env = {
        **os.environ,
        "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}",
        "FAKE_ASV_MODE": mode,
        "FAKE_ASV_CALLS": str(calls),
        "GITHUB_STEP_SUMMARY": str(summary),
        "OPENBLAS_NUM_THREADS": "8",
    }
    done = subprocess.run(
        ["bash", str(ROOT / ".ci" / "benchmarks"), "base123", "head456"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == status, done.stdout + done.stderr
    text = summary.read_text()
    assert f"**Verdict: {verdict}**" in text
    assert "| Change | Before | After | Ratio | Benchmark |" in text  # the compare table
    if mode == "broken":
        assert "not a regression" in done.stdout and "Failed to build" in text
    logged = calls.read_text().splitlines()
    continuous = next(line for line in logged if line.startswith("continuous"))
    assert continuous == (
        "continuous --factor 1.5 -b ^(?!.*track_) base123 head456 OPENBLAS_NUM_THREADS=1"
    )
