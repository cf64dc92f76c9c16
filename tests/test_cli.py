"""The command line as a whole: building the parser is cheap and imports no backend."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Runs --help in a fresh interpreter and prints which heavy modules it imported.
_PROBE = """
import sys
from rbmperf.cli import main
try:
    main({argv!r})
except SystemExit:
    pass
heavy = [name for name in ("numba", "rbmperf.backends.numba_jit", "matplotlib", "sklearn",
         "rbmperf.sweep.run", "rbmperf.dbn")
         if name in sys.modules]
print("HEAVY:", ",".join(heavy))
"""


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["report", "--help"], ["bench", "--help"], ["train", "--help"]],
)
def test_help_imports_no_backend(argv: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE.format(argv=argv)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "usage: rbmperf" in result.stdout
    heavy = result.stdout.rsplit("HEAVY:", 1)[1].strip()
    assert heavy == "", f"`rbmperf {' '.join(argv)}` imported {heavy}"


def test_cli_modules_do_not_import_each_other() -> None:
    import ast
    from pathlib import Path

    import rbmperf.cli

    folder = Path(rbmperf.cli.__file__).parent
    for path in folder.glob("*_cmd.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
                assert not node.module.endswith("_cmd"), f"{path.name} imports {node.module}"


def test_help_states_the_engines_own_default_sizes(capsys) -> None:
    # One definition of the default sizes: the sweep, `rbmperf bench` and `rbmperf growth`.
    from rbmperf.cli import main
    from rbmperf.engine.defaults import DEFAULT_SIZES
    from rbmperf.sweep.run import run_sweep

    assert run_sweep.__defaults__[1] == DEFAULT_SIZES
    for command in ("bench", "growth"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        help_text = " ".join(capsys.readouterr().out.split())
        assert "500,1000,2000,4000,8000,16000" in help_text, command
