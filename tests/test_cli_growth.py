"""``rbmperf growth -- CMD {n}``: an external command's growth, wall clock, start-up reported."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from rbmperf.cli import build_parser, main
from rbmperf.codegrowth.command import (
    CommandError,
    command_argv,
    command_growth,
    command_instruction_growth,
    command_memory,
    startup_argv,
)
from rbmperf.engine import instructions

pytestmark = pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")

# A shell loop of n iterations: linear, ~3 ms per 1,000 iterations in dash on the loaded
# 2-core box, next to a start of ~1-5 ms (the shell's), so the larger sizes are mostly loop.
LOOP = ["sh", "-c", 'i=0; while [ "$i" -lt "$1" ]; do i=$((i+1)); done', "loop", "{n}"]
SIZES = "1000:8000:x2"


def test_growth_times_a_command_and_reports_the_process_start(capsys):
    assert main(["growth", "--sizes", SIZES, "--repeats", "2", "--", *LOOP]) == 0
    captured = capsys.readouterr()
    assert "wall time per run, process start included" in captured.err
    out = captured.out
    assert out.startswith("GrowthResult 'sh': wall time per call")
    assert "8,000" in out and "k = " in out
    assert "process start (" in out and "included in every time" in out


def test_a_shell_loop_grows_linearly():
    sizes = (4000, 8000, 16000, 32000, 64000)  # about 1 s
    measured = command_growth(LOOP, sizes, repeats=2)
    result = measured.result
    assert result.clock == "wall" and result.sizes == sizes
    # Tolerance: k within 1 ± 0.3 (wall clock on a loaded machine; the start-up flattens
    # the smallest size, which the fit leaves out).
    assert 0.7 <= result.growth.exponent <= 1.3, result
    assert len(measured.startup_seconds) == 5 and measured.startup_median > 0


def test_the_placeholder_is_replaced_in_every_argument():
    assert command_argv(["prog", "--n={n}", "{n}x{n}"], 12) == ["prog", "--n=12", "12x12"]


def test_a_failing_command_names_the_size(capsys):
    fails = ["sh", "-c", 'if [ "$1" -ge 400 ]; then echo "too big: $1" >&2; exit 3; fi', "x", "{n}"]
    assert main(["growth", "--sizes", "100,200,400,800", "--", *fails]) == 1
    err = capsys.readouterr().err
    assert "failed at n=400 (exit status 3)" in err and "too big: 400" in err
    with pytest.raises(CommandError) as caught:
        command_growth(fails, [100, 400])
    assert caught.value.n == 400 and caught.value.status == 3


def test_a_command_without_the_placeholder_warns():
    with pytest.warns(UserWarning, match=r"does not use \{n\}"):
        command_growth(["true"], [10, 20], repeats=1)


def test_bad_input_is_refused_before_anything_runs(capsys):
    assert main(["growth", "--sizes", "400,200", "--", "true", "{n}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rbmperf growth: error: ") and "must increase" in err
    assert main(["growth", "--sizes", "100,200"]) == 2
    assert "give the command after --" in capsys.readouterr().err
    assert main(["growth", "--sizes", "100,200", "--", "no-such-program-rbmperf", "{n}"]) == 2


def test_plot_writes_a_png(tmp_path, capsys):
    path = tmp_path / "growth.png"
    quick = ["sh", "-c", "exit 0", "x", "{n}"]
    argv = ["growth", "--sizes", "10,20,40,80", "--repeats", "1", "--plot", str(path), "--", *quick]
    assert main(argv) == 0
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_the_growth_command_is_listed_and_its_parser_imports_nothing_heavy():
    assert "growth" in build_parser().format_help()
    code = (
        "import sys, argparse; from rbmperf.cli import growth_cmd; "
        "p = argparse.ArgumentParser(); growth_cmd.register(p.add_subparsers()); "
        "heavy = [m for m in ('numba', 'IPython', 'matplotlib', 'rbmperf.codegrowth.timegrowth') "
        "if m in sys.modules]; assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# A Python child that allocates n bytes: isolated (-I: no working folder on its path) and
# without site (-S), so that its start-up is small and its counts repeat exactly.
ALLOCATES = [sys.executable, "-I", "-S", "-c", "import sys; b = bytearray(int(sys.argv[1]))", "{n}"]
SORTS = [sys.executable, "-I", "-S", "-c", "import sys; sorted(list(range(int(sys.argv[1]))))"]


def test_the_startup_keeps_the_interpreters_options():
    assert startup_argv(ALLOCATES) == [sys.executable, "-I", "-S", "-c", "pass"]
    assert startup_argv(["python3", "-W", "error", "f.py", "{n}"]) == [
        "python3", "-W", "error", "-c", "pass",
    ]  # fmt: skip
    assert startup_argv(["sh", "-c", "x"])[0].endswith("true")
    assert startup_argv(["prog"], ["prog", "--version"]) == ["prog", "--version"]


def test_memory_prints_peak_rss_after_the_time_table(capsys):
    argv = ["growth", "--memory", "--sizes", "2000000:16000000:x2", "--repeats", "1"]
    assert main([*argv, "--", *ALLOCATES]) == 0
    captured = capsys.readouterr()
    assert "peak RSS of one more run a size" in captured.err
    out = captured.out
    assert out.index("process start (") < out.index("peak RSS per run") < out.index("memory: k")
    assert "fitted: peak minus the start-up's" in out and "-I -S -c pass): peak RSS" in out


def test_memory_of_a_bytearray_grows_linearly_above_the_startup():
    measured = command_memory(ALLOCATES, [2_000_000, 4_000_000, 8_000_000, 16_000_000])
    assert measured.startup_command == (sys.executable, "-I", "-S", "-c", "pass")
    above = measured.growth.peaks
    assert above == tuple(max(p - measured.startup_peak, 0) for p in measured.peaks)
    # Tolerance: the part above the start-up is n bytes plus a few hundred kB of pages.
    assert 0.85 * 16_000_000 <= above[-1] <= 16_000_000 + 2_000_000, measured
    assert 0.9 <= measured.growth.fit.exponent <= 1.1, measured


def test_memory_that_does_not_grow_reads_constant():
    idle = [sys.executable, "-I", "-S", "-c", "pass", "{n}"]
    measured = command_memory(idle, [10, 100, 1000])
    assert measured.growth.constant, measured


def test_instructions_without_valgrind_is_one_line_and_exit_2(monkeypatch, capsys):
    reason = "valgrind is not installed (instruction counts need it: apt-get install valgrind)"
    monkeypatch.setattr(instructions, "valgrind_status", lambda: reason)
    assert main(["growth", "--clock", "instructions", "--", "true", "{n}"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"rbmperf growth: error: {reason}\n"
    with pytest.raises(ValueError, match="valgrind is not installed"):
        command_instruction_growth(["true", "{n}"], [10, 20])


def test_a_missing_program_is_refused_before_any_start_up_run(capsys):
    for option in ("--memory", "--clock=instructions"):
        argv = ["growth", option, "--sizes", "10,20", "--", "no-such-program-rbmperf", "{n}"]
        assert main(argv) == 2
        assert capsys.readouterr().err == (
            "rbmperf growth: error: no program 'no-such-program-rbmperf' (not a file, nor on "
            "the PATH)\n"
        )
    with pytest.raises(FileNotFoundError):
        command_memory(["no-such-program-rbmperf", "{n}"], [10, 20])


@pytest.mark.skipif(
    bool(instructions.valgrind_status()), reason=str(instructions.valgrind_status())
)
def test_instruction_counts_give_the_same_exponent_twice(capsys):
    # Each run is a child under valgrind (~2-4 s): 3 sizes and the start-up, twice.
    sizes = [50_000, 100_000, 200_000]
    argv = ["growth", "--clock", "instructions", "--sizes", "50000:200000:x2", "--", *SORTS, "{n}"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("GrowthResult 'python")
    assert "instructions per call" in out and "subtracted from every count above" in out
    printed = float(out.split("k = ")[1].split()[0])
    again = command_instruction_growth([*SORTS, "{n}"], sizes)
    assert again.subtracted and again.result.sizes == tuple(sizes)
    # Counts repeat to about 1e-3 here, not to the instruction (even `python -c pass` moves
    # by ~40 k of its 26 M between runs, with PYTHONHASHSEED=0 and ASLR off); over 15-60 M
    # instructions of work the exponent moves by up to ~0.006 between runs (issue 19), and
    # the printed k is rounded to 0.01 (±0.005): 0.0067 apart was seen once.
    exponent = again.result.growth.exponent
    assert abs(exponent - printed) < 0.012, (printed, again.result)
    assert 0.9 <= exponent <= 1.1, again.result
