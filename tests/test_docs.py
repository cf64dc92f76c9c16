"""The documentation's code runs: every module's docstring examples and the README's Python.

(a) The doctests of every module under ``rbmperf/`` (found with :func:`pkgutil.walk_packages`,
run with :mod:`doctest`, ``ELLIPSIS | NORMALIZE_WHITESPACE``). A module whose import needs
an optional package that is not installed (torch, say) is skipped with that reason, and so is
``rbmperf.__main__``, whose import runs the command line.

(b) Each ```` ```python ```` block of README.md, in order, in one namespace, in one temporary
working directory (what a snippet writes lands there): one test per block, named by its line.
The shell blocks are not run. A block too slow for the suite is skipped with its reason unless
``RBMPERF_SLOW_DOCS=1``: one whose fence says so (```` ```python slow ````), or one listed in
``SLOW_BLOCKS``.
"""

from __future__ import annotations

import doctest
import importlib
import os
import pkgutil
import re
from pathlib import Path

import pytest

import rbmperf

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
RUN_SLOW = os.environ.get("RBMPERF_SLOW_DOCS") == "1"
# Text that marks a README block as too slow for the suite, and why (measured on the 2-core
# development machine).
SLOW_BLOCKS: dict[str, str] = {}


def _module_names() -> list[str]:
    names = [rbmperf.__name__]
    for info in pkgutil.walk_packages(rbmperf.__path__, prefix=f"{rbmperf.__name__}."):
        names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", _module_names())
def test_module_doctests(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if name.rsplit(".", 1)[-1] == "__main__":
        pytest.skip(f"{name} is the `python -m` entry point: importing it runs the CLI")
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name is not None and not error.name.startswith(rbmperf.__name__):
            pytest.skip(f"{name} needs {error.name!r}, which is not installed")
        raise
    monkeypatch.chdir(tmp_path)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report: list[str] = []
    for test in doctest.DocTestFinder().find(module, name):
        runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)


def test_doctests_are_found() -> None:
    # The finder must see the examples (a wrong `module` argument finds none and passes).
    from rbmperf.stats import growth

    tests = doctest.DocTestFinder().find(growth, growth.__name__)
    assert sum(len(test.examples) for test in tests) >= 2


def _readme_python_blocks() -> list[tuple[int, str, str]]:
    """``(line number, fence info, code)`` of every ```python fenced block, in order."""
    text = README.read_text(encoding="utf-8")
    pattern = r"^```python\b([^\n]*)\n(.*?)^```[ \t]*$"
    return [
        (text.count("\n", 0, match.start()) + 1, match.group(1).strip(), match.group(2))
        for match in re.finditer(pattern, text, re.M | re.S)
    ]


BLOCKS = _readme_python_blocks()


def test_readme_has_python_blocks() -> None:
    assert BLOCKS, "README.md has no ```python blocks"


@pytest.fixture(scope="module")
def readme_namespace(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One namespace and one working directory shared by the README's blocks, in order."""
    return {"namespace": {"__name__": "__readme__"}, "cwd": tmp_path_factory.mktemp("readme")}


@pytest.mark.parametrize(("line", "info", "code"), BLOCKS, ids=[f"line{b[0]}" for b in BLOCKS])
def test_readme_python_block(
    line: int, info: str, code: str, readme_namespace: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = [reason for marker, reason in SLOW_BLOCKS.items() if marker in code]
    if "slow" in info.split():
        slow.append("its fence says slow")
    if slow and not RUN_SLOW:
        pytest.skip(
            f"README.md block at line {line} is too slow for the suite ({slow[0]}); "
            "RBMPERF_SLOW_DOCS=1 runs it"
        )
    monkeypatch.chdir(readme_namespace["cwd"])
    exec(compile(code, f"README.md:{line}", "exec"), readme_namespace["namespace"])
