"""Tests for ``rbmperf train`` and ``rbmperf viz``: end to end on small data, and bad input."""

from __future__ import annotations

import gzip
import json
import struct
from pathlib import Path

import numpy as np
import pytest

from rbmperf.cli import main
from rbmperf.data import load_digits
from rbmperf.dbn import DBN

SMALL = ["--layers", "16,8", "--epochs", "2", "--softmax-epochs", "2", "--finetune-epochs", "2"]
# Enough training to learn the digits in about 2 s: 2 epochs each (SMALL) leave the DBN at
# chance (0.10); 10 each gave 0.84 fine-tuned / 0.64 without fine-tuning (seeds 0-3: 0.79-0.86
# and 0.64-0.69).
LEARNS = ["--layers", "16,8", "--epochs", "10", "--softmax-epochs", "10", "--finetune-epochs", "10"]


def _error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err


def test_train_digits_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    status = main(["train", "--data", "digits", *LEARNS, "--quiet", "--out", str(out)])
    assert status == 0
    printed = capsys.readouterr().out
    assert "1,257 training and 540 test samples" in printed
    assert "pre-train RBM 2" in printed
    for name in ("model.npz", "summary.json", "reconstructions.png", "probes_layer2.png"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_test"] == 540
    # Ten balanced classes: chance is 0.10. Measured 0.79-0.86 fine-tuned and 0.64-0.69
    # without (seeds 0-3); 0.5 and 0.3 fail for a pipeline that does not learn.
    assert summary["test_accuracy"] > 0.5
    assert summary["test_accuracy_without_finetuning"] > 0.3
    model = DBN.load(out / "model.npz")
    assert model.layers == (16, 8)
    assert model.info["finetune_epochs"] == 10

    # The reported accuracies are the saved model's on the command's own test split:
    # scikit-learn's stratified split at the default fraction 0.3, shuffled with seed 0.
    from sklearn.model_selection import train_test_split

    X, y = load_digits()
    _, X_test, _, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    assert len(y_test) == 540
    assert summary["test_accuracy"] == model.score(X_test, y_test)
    without = model.score(X_test, y_test, fine_tuned=False)
    assert summary["test_accuracy_without_finetuning"] == without
    assert f"test accuracy, fine-tuned DBN:              {summary['test_accuracy']:.4f}" in printed
    assert f"test accuracy, DBN without fine-tuning:     {without:.4f}" in printed

    # `rbmperf viz` redraws the pictures from the saved model.
    pictures = tmp_path / "pictures"
    assert main(["viz", str(out / "model.npz"), "--data", "digits", "--out", str(pictures)]) == 0
    assert (pictures / "probes_layer1.png").is_file()


def _idx(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def test_train_from_idx_files_with_progress_and_baseline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from rbmperf.data import synthetic_mnist

    X, y = synthetic_mnist(200, seed=2)
    images = tmp_path / "images.idx.gz"
    images.write_bytes(gzip.compress(_idx((X * 255).round().reshape(-1, 28, 28))))
    labels = tmp_path / "labels.idx"
    labels.write_bytes(_idx(y))
    out = tmp_path / "out"
    args = ["train", "--data", str(images), "--labels", str(labels), *SMALL, "--baseline"]
    assert main([*args, "--dtype", "float32", "--no-pictures", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "logistic regression (raw)" in captured.out
    assert "backprop" in captured.err  # the progress bars
    assert not (out / "reconstructions.png").exists()
    assert DBN.load(out / "model.npz").dtype == np.float32


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--layers", "300,x"], "--layers must be comma-separated positive integers"),
        (["--layers", "300,0"], "--layers must be comma-separated positive integers"),
        (["--backend", "fortran"], "unknown or unavailable backend 'fortran'"),
        (["--epochs", "-2"], "--epochs must be >= 0"),
        (["--data", "synthetic", "--n", "0"], "--n must be >= 1"),
        (["--test-fraction", "1.5"], "--test-fraction must lie strictly between 0 and 1"),
        (["--data", "/nonexistent/train.csv"], "does not exist"),
        (["--data", "/nonexistent/images.idx"], "--data file '/nonexistent/images.idx' does not"),
        (["--data", "digits", "--labels", "x.idx"], "a labels file only goes with an IDX"),
        (["--batch-size", "0"], "batch_size must be >= 1"),
        (["--threads", "0"], "--threads must be >= 1"),
    ],
)
def test_train_bad_arguments_exit_2_with_one_line(
    arguments: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["train", *arguments, "--quiet", "--out", str(tmp_path / "o")])
    assert status == 2
    line = _error_line(capsys)
    assert line.startswith("rbmperf train: error:")
    assert message in line


def test_train_unlabelled_data_is_refused(tmp_path: Path, capsys) -> None:
    images = tmp_path / "images.idx"
    images.write_bytes(_idx(np.zeros((4, 8, 8))))
    assert main(["train", "--data", str(images), "--quiet", "--out", str(tmp_path / "o")]) == 2
    assert "has no labels" in _error_line(capsys)


def test_viz_bad_inputs_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.npz"
    junk.write_text("junk")
    assert main(["viz", str(junk), "--out", str(tmp_path / "p")]) == 2
    assert "not a readable .npz" in _error_line(capsys)

    rng = np.random.default_rng(0)
    X, y = rng.random((40, 64)).round(), rng.integers(0, 2, 40)
    model = DBN((6,), pretrain_epochs=1, softmax_epochs=1, finetune_epochs=1).fit(X, y)
    path = model.save(tmp_path / "digits-model.npz")
    status = main(["viz", str(path), "--data", "synthetic", "--n", "5", "--out", str(tmp_path)])
    assert status == 2
    assert "the data have 784 features but the model" in _error_line(capsys)


@pytest.mark.parametrize("command", ["train", "viz"])
def test_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "--data" in capsys.readouterr().out
