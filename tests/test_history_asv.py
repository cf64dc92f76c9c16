"""rbmperf.history on results written by asv itself, and on asv's own example results.

The planted project: a git repository of six commits whose benchmark suite holds the code
under test (``benchmarks/work.py``, linear at commits 1–3, quadratic from commit 4 on: an
"optimisation" that adds a nested loop), timed by ``asv run -E existing:PYTHON
--set-commit-hash SHA --record-samples`` at each commit (the existing-environment trick of
NOTES.md: no build, no new environment).

Why the test passes 10 of 10 runs by construction: the benchmark's ``timer`` is a step
clock, not a wall or CPU clock. The code under test advances it by the number of inner
steps it takes, times a seeded log-normal factor (10% spread, seeded by the commit, the
size and the call number), so asv records exactly the same samples on every run and every
machine, and load on the shared cores cannot change them. Everything else (discovery,
parameters, repeats, the samples, medians and quartiles, the results files, their names,
``benchmarks.json``) is asv's own doing. How the change detection fares with random
noise is tested on seeded simulations in test_history.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from rbmperf.cli import main
from rbmperf.errors import ResultsWarning
from rbmperf.history import build_history, write_history

pytest.importorskip("asv")

EXAMPLE_RESULTS = Path(__file__).parent / "data_history" / "asv_example_results"
SIZES = [100, 200, 400, 800]

_ASV_CONF = {
    "version": 1,
    "project": "planted",
    "repo": ".",
    "branches": ["main"],
    "dvcs": "git",
    "environment_type": "existing",
    "benchmark_dir": "benchmarks",
    "results_dir": "results",
    "html_dir": "html",
}

_BENCHMARK = f"""
import random

from .work import REVISION, work

_clock = [0.0]
_calls = [0]


def step_clock():
    return _clock[0]


def _tick(steps):
    _calls[0] += 1
    rng = random.Random(f"{{REVISION}}-{{steps}}-{{_calls[0]}}")
    _clock[0] += 1e-7 * steps * rng.lognormvariate(0.0, 0.1)


class Work:
    params = ({SIZES!r}, ["'list'", "'tuple'"])
    param_names = ("n", "container")
    timer = staticmethod(step_clock)
    number = 1
    repeat = 5
    rounds = 1
    warmup_time = 0.0

    def time_work(self, n, container):
        work(n, _tick)


def time_unsized():
    pass
"""

_LINEAR = '''REVISION = {revision}


def work(n, tick):
    """Sum of the first n integers, one step each."""
    total = 0
    for i in range(n):
        total += i
    tick(n)
    return total
'''

_QUADRATIC = '''REVISION = {revision}


def work(n, tick):
    """Sum of the first n integers, "checked" against every other one: n steps per row."""
    total = 0
    for i in range(n):
        total += i
        tick(n)
    return total
'''


def _git(project: Path, *args: str, date: str | None = None) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org"}
    env.update({"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"})
    if date:
        env.update({"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date})
    done = subprocess.run(
        ["git", "-C", str(project), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _asv(project: Path, home: Path, *args: str) -> None:
    # HOME points at a scratch folder: asv keeps its machine file in ~/.asv-machine.json.
    env = {**os.environ, "HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-m", "asv", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> tuple[Path, list[str]]:
    """Six commits timed by asv; the fourth makes work() quadratic."""
    project = tmp_path_factory.mktemp("planted")
    home = tmp_path_factory.mktemp("home")
    (project / "benchmarks").mkdir()
    (project / "benchmarks" / "__init__.py").write_text("")
    (project / "benchmarks" / "bench_work.py").write_text(_BENCHMARK)
    (project / "asv.conf.json").write_text(json.dumps(_ASV_CONF, indent=1))
    _git(project, "init", "-q", "-b", "main")
    commits = []
    for revision in range(6):
        source = _QUADRATIC if revision >= 3 else _LINEAR
        (project / "benchmarks" / "work.py").write_text(source.format(revision=revision))
        _git(project, "add", "-A")
        _git(project, "commit", "-q", "-m", f"revision {revision}",
             date=f"2026-01-0{revision + 1}T12:00:00+00:00")  # fmt: skip
        commits.append(_git(project, "rev-parse", "HEAD"))
    _asv(project, home, "machine", "--yes", "--machine", "planted-box")
    for commit in commits:
        _git(project, "checkout", "-q", commit)
        _asv(project, home, "run", "-E", f"existing:{sys.executable}", "--set-commit-hash",
             commit, "--machine", "planted-box", "--record-samples")  # fmt: skip
    _git(project, "checkout", "-q", "main")
    return project, commits


def test_planted_change_is_flagged_at_its_commit_and_nowhere_else(planted):
    project, commits = planted
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = build_history(project / "results", repo=project)
    assert history.order == "git" and history.commit_order == commits
    assert len(history.series) == 2  # container = 'list' and 'tuple'
    assert {c.commit for c in history.changes} == {commits[3]}
    for change in history.changes:
        assert change.before.commit == commits[2]
        assert (change.verdict_before, change.after.verdict) == ("linear", "superlinear")
        assert change.before.exponent == pytest.approx(1.0, abs=0.1)
        assert change.after.exponent == pytest.approx(2.0, abs=0.1)
    for series in history.series:
        assert series.size_param == "n" and len(series.fits) == 6
        assert all(fit.source == "samples" and fit.n_sizes == 4 for fit in series.fits)
        assert [fit.verdict for fit in series.fits] == ["linear"] * 3 + ["superlinear"] * 3
    # The unsized benchmark is named in a warning, not fitted.
    assert any("bench_work.time_unsized" in str(w.message) for w in caught)


def test_without_the_repository_the_dates_give_the_same_order(planted):
    project, commits = planted
    with pytest.warns(ResultsWarning, match="time_unsized"):
        history = build_history(project / "results")
    assert history.order == "dates" and history.commit_order == commits
    assert {c.commit for c in history.changes} == {commits[3]}


def test_cli_in_the_project_folder_writes_the_page(planted, tmp_path, monkeypatch, capsys):
    project, commits = planted
    monkeypatch.chdir(project)
    assert main(["history", "--out", str(tmp_path / "page")]) == 0
    out = capsys.readouterr().out
    assert "6 commits (git history), 2 series, 2 change(s)" in out
    assert out.count(f"at {commits[3][:8]} (verdict and step)") == 2
    html = (tmp_path / "page" / "index.html").read_text()
    assert "<script" not in html and html.count("<svg") == 1 + 2


def test_asv_example_results(tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = build_history(EXAMPLE_RESULTS)
    messages = [str(w.message) for w in caught if issubclass(w.category, ResultsWarning)]
    assert any("aaaaaaaa" in m and "not JSON" in m for m in messages)
    assert any("bbbbbbbb" in m and "commit_hash" in m for m in messages)
    assert any("fcf8c079" in m and "fewer than 2 sizes" in m for m in messages)
    assert history.order == "dates" and len(history.commit_order) == 38
    (series,) = history.series
    assert series.benchmark == "time_other.time_parameterized" and series.machine == "cheetah"
    # Values [1, 2, 3] → sizes 2 and 3 only (a size must be > 1): two sizes, no verdict.
    exponents = {fit.commit[:8]: fit.exponent for fit in series.fits if fit.has_exponent}
    assert exponents == {"8a997b01": pytest.approx(-0.7095, abs=1e-3), "22b920c6": 1.0}
    assert all(fit.verdict == "inconclusive" for fit in series.fits)
    assert history.changes == []
    paths = write_history(history, tmp_path / "out")
    assert "aaaaaaaa" in paths["markdown"].read_text()  # the skipped input is listed
