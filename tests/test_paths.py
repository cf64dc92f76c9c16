"""Paths are checked before any work: each command's bad input or output path is one line, fast."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rbmperf.cli import main
from rbmperf.errors import InputError
from rbmperf.paths import check_input_file, check_output_file, prepare_output_dir


@pytest.fixture
def unwritable(tmp_path: Path) -> Path:
    """A folder in which no file can be created, even by root (who ignores mode bits)."""
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        (locked / "probe").touch()
    except PermissionError:
        yield locked
    else:
        (locked / "probe").unlink()
        # Root: /sys refuses new entries to everyone.
        if not Path("/sys").is_dir():  # pragma: no cover
            pytest.skip("no folder here refuses root")
        yield Path("/sys")
    finally:
        locked.chmod(0o700)


def test_check_input_file(tmp_path):
    good = tmp_path / "a.txt"
    good.write_text("x")
    assert check_input_file(good) == good
    with pytest.raises(InputError, match=r"'.*missing' does not exist"):
        check_input_file(tmp_path / "missing", "results file")
    with pytest.raises(InputError, match="is a directory, not a file"):
        check_input_file(tmp_path, "results file")
    with pytest.raises(InputError, match="is not a regular file"):
        check_input_file("/dev/null", "model file")


def test_prepare_output_dir(tmp_path, unwritable):
    made = prepare_output_dir(tmp_path / "new" / "deeper")
    assert made.is_dir() and not list(made.iterdir())  # the probe file is gone
    afile = tmp_path / "file"
    afile.write_text("x")
    with pytest.raises(InputError, match="exists and is not a directory"):
        prepare_output_dir(afile, "--out")
    with pytest.raises(InputError, match="cannot be created: Not a directory"):
        prepare_output_dir(afile / "sub", "--out")
    with pytest.raises(InputError, match=f"'{unwritable}/sub' cannot be created"):
        prepare_output_dir(unwritable / "sub", "--out")


def test_check_output_file(tmp_path, monkeypatch):
    target = tmp_path / "folder" / "results.jsonl"
    assert check_output_file(target) == target
    assert target.parent.is_dir() and not target.exists()
    with pytest.raises(InputError, match="is a directory, not a file"):
        check_output_file(tmp_path, "results file")
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match=r"results file '.*f/r\.jsonl': its folder"):
        check_output_file(tmp_path / "f" / "r.jsonl", "results file")


# Where each command's work begins: none of these may run before its paths are checked.
_WORK = [
    ("rbmperf.bench", "run_bench"),
    ("rbmperf.sweep.run", "run_sweep"),
    ("rbmperf.sweep.profiling", "profile_epoch"),
    ("rbmperf.report", "write_report"),
    ("rbmperf.data", "load_dataset"),
    ("rbmperf.evaluation", "train_and_evaluate"),
    ("rbmperf.dbn.persistence", "load_dbn"),
]


def _fails_fast(argv: list[str], message: str, capsys, monkeypatch) -> None:
    import importlib

    started: list[str] = []
    for module_name, function in _WORK:
        module = importlib.import_module(module_name)

        def refuse(*args, _name=f"{module_name}.{function}", **kwargs):
            started.append(_name)
            raise AssertionError(f"{_name} ran before the path check")

        monkeypatch.setattr(module, function, refuse)
    status = main(argv)
    error = capsys.readouterr().err
    assert status == 2, error
    assert error.count("\n") == 1 and "Traceback" not in error
    assert message in error
    assert started == [], f"work began before the bad path was refused: {started}"


def test_report_on_a_directory(tmp_path, capsys, monkeypatch):
    _fails_fast(["report", str(tmp_path)], "is a directory, not a file", capsys, monkeypatch)
    (tmp_path / "results.jsonl").write_text("")
    _fails_fast(["report", str(tmp_path)], "did you mean", capsys, monkeypatch)


SMALL_BENCH = ["--backends", "numpy", "--peers", "none", "--sizes", "200", "--no-progress"]


def test_bench_with_out_a_file(tmp_path, capsys, monkeypatch):
    afile = tmp_path / "file"
    afile.write_text("x")
    _fails_fast(
        ["bench", *SMALL_BENCH, "--out", str(afile)], "exists and is not a dir", capsys, monkeypatch
    )
    _fails_fast(
        ["bench", *SMALL_BENCH, "--out", str(tmp_path), "--results", str(tmp_path)],
        "is a directory, not a file",
        capsys,
        monkeypatch,
    )


def test_bench_with_profiles_a_file(tmp_path, capsys, monkeypatch):
    (tmp_path / "profiles").write_text("x")
    argv = ["bench", *SMALL_BENCH, "--out", str(tmp_path)]
    _fails_fast(argv, "profiles folder", capsys, monkeypatch)


def test_profile_with_out_a_file(tmp_path, capsys, monkeypatch):
    afile = tmp_path / "file"
    afile.write_text("x")
    _fails_fast(
        ["profile", "--n", "200", "--out", str(afile)], "exists and is not a", capsys, monkeypatch
    )


def test_train_with_out_unwritable_fails_before_training(tmp_path, unwritable, capsys, monkeypatch):
    argv = ["train", "--data", "digits", "--quiet", "--out", str(unwritable / "run")]
    _fails_fast(argv, "cannot be created", capsys, monkeypatch)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "model.npz").mkdir()
    argv = ["train", "--data", "digits", "--quiet", "--out", str(tmp_path / "run")]
    _fails_fast(argv, "model file", capsys, monkeypatch)


def test_train_and_viz_refuse_missing_or_folder_inputs(tmp_path, capsys, monkeypatch):
    _fails_fast(
        ["train", "--data", str(tmp_path), "--out", str(tmp_path / "o")],
        "--data file",
        capsys,
        monkeypatch,
    )
    idx = tmp_path / "images.idx"
    idx.write_bytes(b"")
    _fails_fast(
        ["train", "--data", str(idx), "--labels", str(tmp_path / "no"), "--out", str(tmp_path)],
        "--labels file",
        capsys,
        monkeypatch,
    )
    _fails_fast(
        ["viz", str(tmp_path), "--out", str(tmp_path / "p")], "model file", capsys, monkeypatch
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_input_file(tmp_path, capsys, monkeypatch):  # pragma: no cover - not as root
    secret = tmp_path / "results.jsonl"
    secret.write_text("")
    secret.chmod(0)
    _fails_fast(["report", str(secret)], "cannot be read", capsys, monkeypatch)


def test_a_real_train_process_refuses_an_unwritable_out_before_loading_any_data(
    tmp_path, unwritable
):
    # The whole process: interpreter, imports, the check. The data line is printed once
    # the data are loaded, before training; it must never appear.
    import subprocess
    import sys

    argv = [sys.executable, "-m", "rbmperf", "train", "--data", "digits", "--quiet"]
    done = subprocess.run(
        [*argv, "--out", str(unwritable / "run")], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("rbmperf train: error: --out ")
    assert "data:" not in done.stdout and "DBN" not in done.stdout, done.stdout
