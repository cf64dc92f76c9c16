"""The %growth magic in an IPython shell (no kernel: nothing is displayed, only printed)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

pytest.importorskip("IPython")

from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from rbmperf.codegrowth.profile import ProfileGrowthResult
from rbmperf.codegrowth.timegrowth import GrowthResult
from rbmperf.engine import instructions
from rbmperf.engine.memory import ChildFailedError

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
    _result, printed = run("r = %growth -o -q -r 2 --budget inf --wall -n 50:400:x2 nested(n)")
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


def test_memory_prints_the_memory_line(shell, run):
    result, printed = run("%growth --memory -n 10000:80000:x2 bytearray(n)")
    assert result.success, printed
    memory_line = printed.split("\nmemory: ")[1]
    assert re.match(
        r"k = (0\.99|1\.0\d) \[.*\] linear \(peak 10\.\d kB … 80\.\d kB per call\)", memory_line
    )
    result, printed = run("r = %growth -o -q --memory -n 10000:80000:x2 bytearray(n)")
    growth = shell.user_ns["r"]
    assert len(growth.peaks) == 4 and growth.memory_growth.fit.verdict == "linear"
    # Tolerance: n bytes, the object's header and the statement's frame (~200 bytes).
    within = [n <= peak <= n + 500 for n, peak in zip(growth.sizes, growth.peaks, strict=True)]
    assert all(within), growth.peaks


def test_clock_option(shell, run):
    run("r = %growth -o -q --clock wall -n 50,100 nested(n)")
    assert shell.user_ns["r"].clock == "wall"
    for line, message in [
        ("%growth --clock gpu -n 50,100 nested(n)", "--clock must be cpu, wall or instructions"),
        ("%growth --wall --clock cpu -n 50,100 nested(n)", "ask for two clocks"),
        ("%growth -p --clock instructions -n 50,100 nested(n)", "cannot take --clock instr"),
        ("%growth -p --memory -n 50,100 nested(n)", "cannot take --memory"),
    ]:
        result, _printed = run(line)
        assert isinstance(result.error_in_exec, UsageError), line
        assert message in str(result.error_in_exec), (line, result.error_in_exec)


def test_instructions_refuse_what_a_child_cannot_rebuild_before_anything_runs(
    shell, run, monkeypatch
):
    def must_not_run(*args, **kwargs):
        raise AssertionError("counted")

    monkeypatch.setattr(instructions, "count_calls", must_not_run)
    shell.user_ns["data"] = [1, 2, 3]
    line = (
        "%growth --clock instructions -n 10,20 -s 'x = fails_at_400(n)' "
        "nested(n) + len(data) + x + no_such_name + (lambda y: y)(1)"
    )
    result, printed = run(line)
    error = str(result.error_in_exec)
    assert isinstance(result.error_in_exec, UsageError), printed
    assert "data (data: list)" in error and "fails_at_400 (defined in this session)" in error
    assert "no_such_name (not defined)" in error
    assert "define it in a module, or build it in -s SETUP" in error
    for carried in ("nested", "len", "lambda", " y ", " x "):  # imported, built-in or bound
        assert carried not in error.split("rebuild")[1], error


def _count_in_a_plain_child(func, sizes, *, setup=None, calls=3, timeout=None):
    """count_calls without valgrind: the child imports func and setup by reference (as the
    real one does) and runs them; the count is the child's output, len of the result."""
    module, name = instructions.callable_reference(func, "func")
    setup_module, setup_name = instructions.callable_reference(setup, "setup")
    assert module == setup_module
    code = (
        "import importlib, json, sys; sys.path[:] = json.loads(sys.argv[1]); "
        f"m = importlib.import_module({module!r}); "
        f"ns = m.{setup_name}(int(sys.argv[2])); m.{name}(ns); print(ns['out'])"
    )
    counts = []
    for n in sizes:
        done = subprocess.run(
            [sys.executable, "-c", code, json.dumps(sys.path), str(n)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        value = int(done.stdout)
        counts.append(instructions.InstructionCount(n, value, 0, value * calls, calls))
    return tuple(counts)


def test_instructions_send_the_statement_setup_and_imports_to_a_child(shell, run, monkeypatch):
    monkeypatch.setattr(instructions, "count_calls", _count_in_a_plain_child)
    run("import growth_functions as gf\nfrom growth_functions import sum_to\nimport math")
    path_before, modules_before = list(sys.path), set(sys.modules)
    line = (
        "r = %growth -o --clock instructions -n 1000,2000,4000 "
        "-s 'x = list(range(n))' out = len(sorted(x)) + gf.sum_to(0) + sum_to(0) + math.floor(0)"
    )
    result, printed = run(line)
    assert result.success, printed
    growth = shell.user_ns["r"]
    assert growth.clock == "instructions" and growth.times == ((1000.0,), (2000.0,), (4000.0,))
    assert "instructions per call" in printed and "k = 1.00" in printed, printed
    assert sys.path == path_before  # the module's folder and the module are gone
    assert not [m for m in set(sys.modules) - modules_before if "rbmperf_growth" in m]


def test_instructions_without_valgrind_is_a_usage_error(shell, run, monkeypatch):
    reason = "valgrind is not installed (instruction counts need it: apt-get install valgrind)"
    monkeypatch.setattr(instructions, "valgrind_status", lambda: reason)
    result, _printed = run("%growth --clock instructions -n 10,20 nested(n)")
    assert isinstance(result.error_in_exec, UsageError)
    assert str(result.error_in_exec) == f"%growth: {reason}"


def test_an_error_in_the_child_shows_its_traceback_from_the_users_code(shell, run, monkeypatch):
    monkeypatch.setattr(instructions, "valgrind_status", lambda: None)

    def fails(argv, **kwargs):  # as _count_together reports a child that raised
        raise ChildFailedError(
            argv,
            1,
            'Traceback (most recent call last):\n  File "<string>", line 17, in <module>\n'
            '  File "<%growth setup 9>", line 1, in <module>\nZeroDivisionError: division by zero',
        )

    monkeypatch.setattr(instructions, "_count_together", lambda commands, **kw: fails(commands[0]))
    result, printed = run("%growth --clock instructions -n 10,20 -s 'x = 1 / 0' sorted([n])")
    assert isinstance(result.error_in_exec, UsageError)
    assert "raised in the child process" in str(result.error_in_exec)
    assert 'File "<%growth setup 9>"' in printed and "ZeroDivisionError" in printed
    assert '<string>"' not in printed


@pytest.mark.skipif(
    bool(instructions.valgrind_status()), reason=str(instructions.valgrind_status())
)
def test_instructions_under_valgrind(shell, run):
    # Two children under valgrind a size, side by side (~3-8 s a size on a loaded machine).
    line = "r = %growth -o --clock instructions -n 20000,80000 -s 'x = list(range(n))' sorted(x)"
    result, printed = run(line)
    assert result.success, printed
    growth = shell.user_ns["r"]
    assert growth.clock == "instructions" and "instructions per call" in printed
    # Tolerance: sorting a sorted list is one pass; ~4x the instructions at 4x n.
    ratio = growth.times[1][0] / growth.times[0][0]
    assert 3.5 <= ratio <= 4.5, growth.times
