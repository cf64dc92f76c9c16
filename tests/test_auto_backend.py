"""``backend="auto"``: the fastest available backend, the default of every training entry."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys

import pytest
from conftest import structured_data

import rbmperf
from rbmperf import backends
from rbmperf.backends import AUTO, auto_backend, get_backend
from rbmperf.sklearn import DBNClassifier, RBMTransformer


@pytest.fixture
def without(monkeypatch):
    """Make the named backends fail to load, as when numba is not installed."""

    def hide(*names: str) -> None:
        for name in names:
            monkeypatch.delitem(backends._instances, name, raising=False)
            monkeypatch.setitem(backends._failures, name, "cannot import: No module named 'numba'")

    return hide


def test_auto_is_binary_where_numba_imports():
    pytest.importorskip("numba")
    assert auto_backend() == "binary"
    assert get_backend(AUTO) is get_backend("binary")
    assert get_backend(AUTO).name == "binary"


def test_auto_falls_back_to_numpy_without_numba(without):
    without("binary", "numba")
    assert auto_backend() == "numpy"
    assert get_backend("auto").name == "numpy"
    model = rbmperf.train_rbm(structured_data(40), 4, epochs=1, batch_size=20)
    assert model.info["backend"] == "numpy"
    assert model.info["backend_requested"] == "auto"


def test_auto_takes_numba_when_only_binary_fails(without):
    pytest.importorskip("numba")
    without("binary")
    assert auto_backend() == "numba"


def test_auto_is_an_alias_not_a_listed_backend():
    assert AUTO not in rbmperf.available_backends()
    assert AUTO not in backends.registered_backends()
    assert AUTO not in {status.name for status in backends.backend_status()}
    with pytest.raises(ValueError, match=r"unknown backend 'nope'; .*\(or 'auto'\)"):
        get_backend("nope")


def test_auto_is_the_default_of_every_entry_point():
    assert inspect.signature(rbmperf.train_rbm).parameters["backend"].default == AUTO
    assert rbmperf.DBN().backend == AUTO
    assert RBMTransformer().get_params()["backend"] == AUTO
    assert DBNClassifier().get_params()["backend"] == AUTO
    from rbmperf.cli import build_parser

    args = build_parser().parse_args(["train"])
    assert args.backend == AUTO


def test_the_resolved_backend_is_named_in_info_and_attributes():
    X = structured_data(60)
    expected = auto_backend()
    rbm = rbmperf.train_rbm(X, 4, epochs=1, batch_size=30)
    assert rbm.info["backend"] == expected
    transformer = RBMTransformer(4, n_iter=1, batch_size=30, random_state=0).fit(X)
    assert transformer.backend_ == expected
    assert transformer.get_params()["backend"] == AUTO
    explicit = RBMTransformer(4, n_iter=1, batch_size=30, random_state=0, backend="numpy")
    assert explicit.fit(X).backend_ == "numpy"


def test_a_dbn_names_what_auto_picked(without):
    without("binary", "numba")
    X = structured_data(60)
    y = (X[:, 0] > 0.5).astype(int)
    model = rbmperf.DBN(
        (6,), pretrain_epochs=1, softmax_epochs=1, finetune_epochs=1, batch_size=30
    ).fit(X, y)
    assert model.info["backend"] == "numpy"
    assert model.rbms[0].info["backend"] == "numpy"
    assert "backend='auto' (numpy)" in repr(model)
    assert model.settings()["backend"] == AUTO  # what was asked for is what is saved
    classifier = DBNClassifier(
        (6,), pretrain_epochs=1, softmax_epochs=1, finetune_epochs=1, random_state=0
    ).fit(X, y)
    assert classifier.backend_ == "numpy"


def test_auto_without_numba_in_a_fresh_interpreter():
    # The real case: numba cannot be imported at all.
    code = (
        "import sys; sys.modules['numba'] = None\n"
        "import numpy as np, rbmperf\n"
        "from rbmperf.backends import auto_backend\n"
        "X = (np.random.default_rng(0).random((40, 8)) > 0.5).astype(float)\n"
        "rbm = rbmperf.train_rbm(X, 3, epochs=1, batch_size=20)\n"
        "print(auto_backend(), rbm.info['backend'], rbmperf.available_backends())\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout.split(maxsplit=2)
    assert out[:2] == ["numpy", "numpy"]
    assert "binary" not in out[2] and "numba" not in out[2]


def test_train_command_accepts_auto_and_prints_the_pick(tmp_path, capsys):
    from rbmperf.cli import main

    status = main(
        [
            "train", "--data", "digits", "--n", "200", "--layers", "6", "--epochs", "1",
            "--softmax-epochs", "1", "--finetune-epochs", "1", "--out", str(tmp_path / "out"),
            "--no-pictures", "--quiet",
        ]
    )  # fmt: skip
    assert status == 0
    out = capsys.readouterr().out
    assert f"backend auto ({auto_backend()}: the fastest available here)" in out
    summary = (tmp_path / "out" / "summary.json").read_text()
    assert f'"backend": "{auto_backend()}"' in summary


def test_the_backends_command_says_what_auto_picks_here(capsys):
    from rbmperf.backends import auto_backend
    from rbmperf.cli import main

    assert main(["backends"]) == 0
    assert f"auto       = {auto_backend()} here" in capsys.readouterr().out
