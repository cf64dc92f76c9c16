"""``rbmperf growth -- CMD {n}``: an external command's growth, wall clock, start-up reported."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from rbmperf.cli import build_parser, main
from rbmperf.codegrowth.command import CommandError, command_argv, command_growth

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
    assert "must increase" in capsys.readouterr().err
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
