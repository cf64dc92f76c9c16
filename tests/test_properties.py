"""Property-based tests: arbitrary arrays and mutated files get a clear refusal, nothing else.

Each property states what must hold for *every* input hypothesis can make: the validation
layer accepts an array as valid data or refuses it with an :class:`RbmperfError` and a
message; the IDX, Kaggle CSV, results and model readers return something valid or raise an
:class:`InputError` naming the file; never a numpy, zipfile or json exception.

Runs are bounded and derandomised (the same examples every run, so CI is reproducible and
fast; about 15 s here). ``RBMPERF_HYPOTHESIS=explore`` draws fresh random examples, ten
times as many, to hunt for new failures locally.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as npst
from test_report import fake_sweep

from rbmperf.data import load_idx, load_kaggle_csv
from rbmperf.dbn import DBN
from rbmperf.errors import InputError, RbmperfError
from rbmperf.sweep.results import read_records, record_line, record_problem
from rbmperf.validation import check_data, check_labels

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "explore", parent=settings.get_profile("ci"), derandomize=False, max_examples=1_000
)
settings.load_profile(os.environ.get("RBMPERF_HYPOTHESIS", "ci"))


def examples(count: int) -> settings:
    """`count` examples in CI; ten times that (at least) when exploring."""
    if os.environ.get("RBMPERF_HYPOTHESIS") == "explore":
        count *= 10
    return settings(max_examples=count)


# ---------------------------------------------------------------------------------------------
# The validation layer on arbitrary arrays
# ---------------------------------------------------------------------------------------------

_OBJECTS = st.one_of(
    st.none(), st.integers(), st.floats(), st.text(max_size=3), st.lists(st.integers(), max_size=2)
)
_DTYPES = st.one_of(
    npst.boolean_dtypes(),
    npst.integer_dtypes(),
    npst.unsigned_integer_dtypes(),
    npst.floating_dtypes(),
    npst.complex_number_dtypes(),
    npst.datetime64_dtypes(),
    npst.unicode_string_dtypes(max_len=3),
    st.just(np.dtype(object)),
)
_SHAPES = npst.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)


@st.composite
def arbitrary_arrays(draw) -> np.ndarray:
    dtype = draw(_DTYPES)
    elements = _OBJECTS if dtype.kind == "O" else None
    return draw(npst.arrays(dtype, draw(_SHAPES), elements=elements))


def _refused_clearly(error: BaseException) -> None:
    assert isinstance(error, RbmperfError), f"{type(error).__name__}: {error}"
    assert str(error).strip()


@examples(400)
@given(
    st.one_of(
        arbitrary_arrays(),
        st.recursive(st.floats() | st.integers(), lambda inner: st.lists(inner, max_size=3)),
        st.text(max_size=4),
        st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    ),
    st.booleans(),
)
def test_check_data_accepts_valid_data_or_refuses_clearly(value, unit_interval):
    try:
        checked = check_data(value, unit_interval=unit_interval)
    except Exception as error:
        _refused_clearly(error)
        return
    assert checked.ndim == 2 and min(checked.shape) >= 1
    assert checked.dtype in (np.float32, np.float64) and checked.flags.c_contiguous
    assert np.isfinite(checked).all()
    if unit_interval:
        assert checked.min() >= 0 and checked.max() <= 1


@examples(200)
@given(arbitrary_arrays(), st.integers(0, 5))
def test_check_labels_accepts_integer_labels_or_refuses_clearly(value, n_samples):
    try:
        labels = check_labels(value, n_samples)
    except Exception as error:
        _refused_clearly(error)
        return
    assert labels.dtype == np.int64 and labels.shape == (n_samples,)


# ---------------------------------------------------------------------------------------------
# Mutated files
# ---------------------------------------------------------------------------------------------


@st.composite
def mutated(draw, original: bytes, header: int = 16) -> bytes:
    """`original` with a few edits: cut short, bytes changed (often in the header),
    random bytes inserted; or random bytes altogether; sometimes gzipped (and cut)."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=64))
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["cut", "set", "set-header", "insert", "delete"]))
        if not data:
            break
        position = draw(st.integers(0, len(data) - 1))
        if action == "cut":
            del data[position:]
        elif action == "set":
            data[position] = draw(st.integers(0, 255))
        elif action == "set-header":
            data[min(position, header - 1, len(data) - 1)] = draw(st.integers(0, 255))
        elif action == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=8))
        else:
            del data[position : position + draw(st.integers(1, 8))]
    result = bytes(data)
    if draw(st.integers(0, 4)) == 0:
        result = gzip.compress(result, mtime=0)
        if draw(st.booleans()):
            result = result[: draw(st.integers(0, len(result)))]
    return result


def _idx(array: np.ndarray) -> bytes:
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return bytes([0, 0, 8, array.ndim]) + dims + array.astype(np.uint8).tobytes()


_IMAGES = _idx(np.arange(5 * 4 * 4).reshape(5, 4, 4) % 256)
_LABELS = _idx(np.array([0, 1, 2, 1, 0]))


@pytest.fixture(scope="module")
def folder():
    with tempfile.TemporaryDirectory(prefix="rbmperf-properties-") as name:
        yield Path(name)


@examples(250)
@given(images=mutated(_IMAGES), labels=st.none() | mutated(_LABELS, header=8))
def test_idx_loader_reads_or_names_the_file(folder, images, labels):
    image_path, label_path = folder / "images.idx", folder / "labels.idx"
    image_path.write_bytes(images)
    if labels is not None:
        label_path.write_bytes(labels)
    try:
        X, y = load_idx(image_path, label_path if labels is not None else None)
    except Exception as error:
        _refused_clearly(error)
        assert isinstance(error, InputError)
        assert str(image_path) in str(error) or str(label_path) in str(error)
        return
    assert X.ndim == 2 and X.min() >= 0 and X.max() <= 1
    assert y is None or len(y) == len(X)


_CSV = b"label,pixel0,pixel1,pixel2,pixel3\n1,0,255,3,4\n0,10,20,30,40\n7,0,0,0,1\n3,200,0,9,9\n"


@examples(250)
@given(mutated(_CSV, header=34))
def test_kaggle_csv_loader_reads_or_names_the_file(folder, content):
    path = folder / "train.csv"
    path.write_bytes(content)
    try:
        X, y = load_kaggle_csv(path)
    except Exception as error:
        _refused_clearly(error)
        assert isinstance(error, InputError) and str(path) in str(error)
        return
    assert X.ndim == 2 and X.min() >= 0 and X.max() <= 1
    assert y is None or len(y) == len(X)


_GOOD_LINES = [record_line(record) for record in fake_sweep()[:12]]


@st.composite
def results_files(draw) -> tuple[bytes, list[int]]:
    """Good lines, some of them mutated, maybe foreign lines: the file and the untouched."""
    lines, untouched = [], []
    for index in draw(st.lists(st.integers(0, len(_GOOD_LINES) - 1), max_size=12)):
        if draw(st.integers(0, 2)) == 0:
            # The line's content mutated; its newline kept (else it joins the next line).
            lines.append(draw(mutated(_GOOD_LINES[index][:-1], header=40)) + b"\n")
        else:
            untouched.append(len(lines))
            lines.append(_GOOD_LINES[index])
        if draw(st.integers(0, 5)) == 0:
            lines.append(
                json.dumps(draw(st.dictionaries(st.text(max_size=5), st.integers()))).encode()
                + b"\n"
            )
    return b"".join(lines), [lines[k] for k in untouched]


@examples(200)
@given(results_files())
def test_results_reader_keeps_every_good_line_and_never_raises(folder, made):
    content, untouched = made
    path = folder / "results.jsonl"
    path.write_bytes(content)
    found = read_records(path)
    assert all(record_problem(record) is None for record in found.records)
    # Every untouched good line is read back, in order (mutated ones may survive too).
    kept = iter(record_line(record) for record in found.records)
    assert all(any(line == got for got in kept) for line in untouched)
    nonblank = [line for line in content.decode("utf-8", "replace").split("\n") if line.strip()]
    assert len(found.records) + len(found.skipped) == len(nonblank)
    if found.skipped:
        assert str(path) in found.describe_skipped()


@functools.cache
def _model_bytes() -> bytes:
    """A tiny saved model (not a fixture: hypothesis would print all of it on a failure)."""
    rng = np.random.default_rng(0)
    X, y = rng.random((40, 9)).round(), np.arange(40) % 3
    model = DBN((4,), pretrain_epochs=1, softmax_epochs=1, finetune_epochs=1).fit(X, y)
    with tempfile.TemporaryDirectory() as name:
        return model.save(Path(name) / "good.npz").read_bytes()


@examples(250)
@given(data=st.data())
def test_model_loader_loads_or_names_the_file(folder, data):
    original = _model_bytes()
    content = data.draw(mutated(original, header=len(original)), label="mutated model file")
    path = folder / "mutated.npz"
    path.write_bytes(content)
    try:
        model = DBN.load(path)
    except Exception as error:
        _refused_clearly(error)
        assert isinstance(error, InputError) and str(path) in str(error)
        return
    assert all(np.isfinite(rbm.W).all() for rbm in model.rbms)
