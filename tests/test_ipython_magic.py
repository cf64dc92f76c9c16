"""The %growth magic in an IPython shell (no kernel: nothing is displayed, only printed)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("IPython")

from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from rbmperf.codegrowth.profile import ProfileGrowthResult
from rbmperf.codegrowth.timegrowth import GrowthResult

USER_CODE = """
from growth_functions import nested, outer, sum_to

def divide(x):
    return 1 / (x - 400)

def fails_at_400(n):
    return divide(n)

def interrupted_at_400(n):
    if n == 400:
        raise KeyboardInterrupt
    return nested(n)
"""


@pytest.fixture(scope="module")
def shell() -> InteractiveShell:
    ip = InteractiveShell.instance()
    ip.colors = "nocolor"
    ip.run_line_magic("load_ext", "rbmperf")
    ip.run_cell(USER_CODE)
    return ip


@pytest.fixture
def run(shell, capsys):
    """Run a cell; return (result, printed text)."""

    def run_cell(source: str):
        capsys.readouterr()
        result = shell.run_cell(source)
        out = capsys.readouterr()
        return result, out.out + out.err

    return run_cell


def test_load_ext_registers_a_line_and_cell_magic(shell):
    magics = shell.magics_manager.magics
    assert "growth" in magics["line"] and "growth" in magics["cell"]


def test_the_line_magic_prints_the_verdict_and_puts_n_back(shell, run):
    shell.user_ns["n"] = "the user's n"
    result, printed = run("%growth -n 50,100,200,400 nested(n)")
    assert result.success, printed
    assert printed.startswith("nested(n): k = ") and "superlinear" in printed
    assert "[4 sizes, n = 50…400, ≤3 repeats, CPU time per call, 1 BLAS thread]" in printed
    assert shell.user_ns["n"] == "the user's n"
    del shell.user_ns["n"]
    run("%growth -q -n 50,100 nested(n)")
    assert "n" not in shell.user_ns


def test_o_returns_the_result_and_q_prints_nothing(shell, run):
    _result, printed = run("r = %growth -o -q -r 2 --wall -n 50:400:x2 nested(n)")
    assert printed == ""
    growth = shell.user_ns["r"]
    assert isinstance(growth, GrowthResult)
    assert growth.sizes == (50, 100, 200, 400) and growth.clock == "wall"
    assert all(len(t) == 2 for t in growth.times)
    assert growth.label == "nested(n)"


def test_setup_statement_and_cell_mode(shell, run):
    result, printed = run('r = %growth -o -q -n 1000:8000:x2 -s "data = list(range(n))" len(data)')
    assert result.success, printed
    assert shell.user_ns["data"] == list(range(8000))  # the setup ran in the user's namespace
    result, printed = run("%%growth -n 1000:8000:x2 -o -q data = list(range(n))\nsorted(data)\n")
    assert result.success, printed
    assert result.result.sizes == (1000, 2000, 4000, 8000)


def test_budget_skips_and_says_so(shell, run):
    _result, printed = run("%growth --budget 0.005 -n 100:6400:x2 nested(n)")
    assert "skipped n = " in printed and "of the 0.005 s budget" in printed


def test_p_prints_the_per_function_table_with_the_hidden_helper_first(shell, run):
    result, printed = run("r = %growth -p -o -n 250:4000:x2 outer(n)")
    assert result.success, printed
    profile = shell.user_ns["r"]
    assert isinstance(profile, ProfileGrowthResult)
    assert profile.rows[0].function.endswith("(hidden)"), printed
    assert "growth from" in printed and "ipython_magic" not in printed
    assert "builtins.exec" not in printed  # the magic's own frames are hidden


def test_an_error_in_the_statement_shows_the_users_traceback(shell, run):
    result, printed = run("%growth -n 100,200,400,800 fails_at_400(n)")
    assert isinstance(result.error_in_exec, UsageError)
    assert "ZeroDivisionError" in printed
    assert "fails_at_400" in printed and "divide" in printed  # the user's frames
    for ours in ("code_growth.py", "ipython_magic.py", "runners.py", "interactiveshell.py"):
        assert ours not in printed, printed
    assert "the statement raised at n=400" in printed


def test_an_error_in_the_setup_names_the_size(shell, run):
    result, printed = run('%growth -n 100,200,400,800 -s "x = divide(n)" nested(10)')
    assert isinstance(result.error_in_exec, UsageError)
    assert "ZeroDivisionError" in printed and "the setup raised at n=400" in printed
    assert "code_growth.py" not in printed


def test_a_statement_without_n_warns(shell, run):
    with pytest.warns(UserWarning, match="does not use n"):
        run("%growth -q -n 10,20 sum_to(100)")


def test_ctrl_c_prints_the_result_so_far(shell, run):
    result, printed = run("r = %growth -o -n 100,200,400,800 interrupted_at_400(n)")
    assert result.success, printed
    assert "interrupted at n = 400" in printed
    assert shell.user_ns["r"].sizes == (100, 200)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("%growth -n 400,200 nested(n)", "must increase"),
        ("%growth -n 400 nested(n)", "at least two sizes"),
        ("%growth -n 1:10:x2 nested(n)", "2 <= START"),
        ("%growth -r 0 -n 10,20 nested(n)", "repeats"),
        ("%growth -n 10,20", "needs a statement"),
        ("%growth -n 10,20 nested(n", "cannot parse"),
    ],
)
def test_bad_input_is_a_usage_error_before_anything_runs(shell, run, line, message):
    result, _printed = run(line)
    assert isinstance(result.error_in_exec, UsageError)
    assert message in str(result.error_in_exec)


def test_import_rbmperf_does_not_import_ipython():
    code = (
        "import sys, rbmperf; rbmperf.time_growth; rbmperf.profile_growth; "
        "assert 'IPython' not in sys.modules, 'IPython imported'; "
        "assert 'rbmperf.codegrowth.magic' not in sys.modules; "
        "rbmperf.load_ipython_extension; assert 'IPython' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_threads_option(shell, run):
    result, printed = run("r = %growth -o -q --threads all -n 50,100 nested(n)")
    assert result.success, printed
    assert shell.user_ns["r"].threads is None
    result, _ = run("%growth --threads x -n 50,100 nested(n)")
    assert isinstance(result.error_in_exec, UsageError)
