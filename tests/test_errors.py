"""The error family and the command line's error path: input errors are one line, bugs are not."""

from __future__ import annotations

import ast
import signal
from pathlib import Path

import pytest

import rbmperf
from rbmperf.cli import describe_os_error, main
from rbmperf.cli import report_cmd as report_command
from rbmperf.errors import InputError, InputTypeError, RbmperfError

PACKAGE = Path(rbmperf.__file__).parent


def test_the_error_family_keeps_its_builtin_bases():
    assert issubclass(InputError, ValueError) and issubclass(InputError, RbmperfError)
    assert issubclass(InputTypeError, TypeError) and issubclass(InputTypeError, RbmperfError)
    assert not issubclass(RbmperfError, (ValueError, TypeError))


def _bare_raises(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(target, ast.Name) and target.id in ("ValueError", "TypeError"):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    return found


def test_rbmperf_raises_its_own_errors_never_a_bare_value_or_type_error():
    # The command line turns only RbmperfError into a one-line message: a bare ValueError
    # raised about the user's input would reach them as a traceback. Raise
    # rbmperf.errors.InputError / InputTypeError instead (they are ValueError / TypeError).
    offenders = [hit for path in sorted(PACKAGE.rglob("*.py")) for hit in _bare_raises(path)]
    assert not offenders, "raise InputError/InputTypeError here: " + ", ".join(offenders)


def _results_file(tmp_path: Path) -> Path:
    path = tmp_path / "results.jsonl"
    path.write_text("")
    return path


def test_a_type_error_from_a_bug_keeps_its_traceback(tmp_path, monkeypatch):
    def broken(args):
        return len(None)  # a programming slip, not the user's fault

    monkeypatch.setattr(report_command, "run", broken)
    with pytest.raises(TypeError, match="NoneType"):
        main(["report", str(_results_file(tmp_path))])


def test_a_value_error_from_deep_inside_keeps_its_traceback(tmp_path, monkeypatch):
    import numpy as np

    def broken(args):
        return np.zeros(3) + np.zeros(4)  # numpy's broadcasting ValueError: a bug

    monkeypatch.setattr(report_command, "run", broken)
    with pytest.raises(ValueError, match="broadcast"):
        main(["report", str(_results_file(tmp_path))])


@pytest.mark.parametrize("error", [InputError("bad thing"), InputTypeError("bad thing")])
def test_input_errors_are_one_line_with_status_2(error, tmp_path, monkeypatch, capsys):
    def refuses(args):
        raise error

    monkeypatch.setattr(report_command, "run", refuses)
    assert main(["report", str(_results_file(tmp_path))]) == 2
    assert capsys.readouterr().err == "rbmperf report: error: bad thing\n"


def test_an_os_error_is_one_line_naming_the_path(tmp_path, monkeypatch, capsys):
    def denied(args):
        raise PermissionError(13, "Permission denied", "/some/where/results.jsonl")

    monkeypatch.setattr(report_command, "run", denied)
    assert main(["report", str(_results_file(tmp_path))]) == 2
    error = capsys.readouterr().err
    assert error == "rbmperf report: error: '/some/where/results.jsonl': Permission denied\n"


def test_describe_os_error_names_both_paths_of_a_rename():
    error = OSError(18, "Invalid cross-device link", "a.tmp", None, "b")
    assert describe_os_error(error) == "'a.tmp' -> 'b': Invalid cross-device link"
    assert describe_os_error(OSError("plain")) == "plain"


def test_sigterm_unwinds_like_ctrl_c_and_the_handler_is_restored(tmp_path, monkeypatch, capsys):
    before = signal.getsignal(signal.SIGTERM)

    def terminated(args):
        signal.raise_signal(signal.SIGTERM)
        raise AssertionError("SIGTERM did not interrupt")  # pragma: no cover

    monkeypatch.setattr(report_command, "run", terminated)
    assert main(["report", str(_results_file(tmp_path))]) == 128 + signal.SIGTERM
    assert "terminated (SIGTERM)" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGTERM) is before
