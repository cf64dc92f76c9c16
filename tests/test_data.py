"""Tests for rbmperf.data: synthetic digits, scikit-learn digits, IDX and Kaggle CSV readers."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from rbmperf.data import load_digits, load_idx, load_kaggle_csv, synthetic_mnist

# ---------------------------------------------------------------------------------------------
# synthetic_mnist
# ---------------------------------------------------------------------------------------------


def test_synthetic_shapes_range_and_dtype() -> None:
    X, y = synthetic_mnist(300, seed=3)
    assert X.shape == (300, 784)
    assert X.dtype == np.float64
    assert y.shape == (300,)
    assert y.dtype == np.int64
    assert X.min() >= 0.0
    assert X.max() <= 1.0
    assert set(np.unique(y)) <= set(range(10))
    X32, y32 = synthetic_mnist(300, seed=3, dtype="float32")
    assert X32.dtype == np.float32
    np.testing.assert_array_equal(y32, y)
    np.testing.assert_allclose(X32, X, atol=1e-6)


def test_synthetic_is_deterministic_and_seed_dependent() -> None:
    X1, y1 = synthetic_mnist(500, seed=7)
    X2, y2 = synthetic_mnist(500, seed=7)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    X3, _ = synthetic_mnist(500, seed=8)
    assert not np.array_equal(X1, X3)


def test_synthetic_prefix_does_not_depend_on_n() -> None:
    # Chunks have their own random streams, so a larger request extends a smaller one.
    small, small_labels = synthetic_mnist(2500, seed=1)
    large, large_labels = synthetic_mnist(4100, seed=1)
    np.testing.assert_array_equal(large[:2500], small)
    np.testing.assert_array_equal(large_labels[:2500], small_labels)


def test_synthetic_has_mnist_like_sparsity_and_all_classes() -> None:
    X, y = synthetic_mnist(4000, seed=0)
    # MNIST has about 19% non-zero pixels; the generator is tuned to that. 4,000 images
    # average ~600,000 pixels each way, so ±3 points is far beyond sampling noise.
    assert 0.16 < np.mean(X > 0) < 0.22
    # Background is exactly 0 (as in MNIST), so the border rows are almost always empty.
    images = X.reshape(-1, 28, 28)
    assert np.mean(images[:, 0, :] > 0) < 0.01
    counts = np.bincount(y, minlength=10)
    # Uniform labels: each class expects 400; 4 standard deviations is about ±76.
    assert counts.min() > 300
    assert counts.max() < 500


def test_synthetic_classes_are_learnable_but_not_identical() -> None:
    # Nearest class mean on held-out samples: far above chance (0.1) shows class structure;
    # below 1.0 shows the deformation makes samples of a class differ.
    X, y = synthetic_mnist(3000, seed=0)
    train, test = slice(0, 2000), slice(2000, 3000)
    means = np.stack([X[train][y[train] == k].mean(axis=0) for k in range(10)])
    distances = ((X[test][:, None, :] - means[None, :, :]) ** 2).sum(axis=2)
    accuracy = np.mean(distances.argmin(axis=1) == y[test])
    assert 0.6 < accuracy < 0.99
    within = np.mean([X[y == k].std(axis=0).mean() for k in range(10)])
    assert within > 0.05


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n": 0}, ValueError, "n must be >= 1"),
        ({"n": 2.5}, TypeError, "n must be an integer"),
        ({"n": 5, "seed": -1}, ValueError, "seed must be >= 0"),
        ({"n": 5, "dtype": "int32"}, ValueError, "dtype must be one of"),
    ],
)
def test_synthetic_rejects_bad_arguments(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        synthetic_mnist(**kwargs)


# ---------------------------------------------------------------------------------------------
# load_digits
# ---------------------------------------------------------------------------------------------


def test_load_digits() -> None:
    X, y = load_digits()
    assert X.shape == (1797, 64)
    assert X.min() == 0.0
    assert X.max() == 1.0
    assert y.dtype == np.int64
    np.testing.assert_array_equal(np.unique(y), np.arange(10))
    X32, _ = load_digits(dtype="float32")
    assert X32.dtype == np.float32


# ---------------------------------------------------------------------------------------------
# IDX
# ---------------------------------------------------------------------------------------------


def _idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def _write(path: Path, data: bytes, *, compress: bool = False) -> Path:
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


@pytest.fixture
def idx_pair() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (12, 5, 5)).astype(np.uint8), rng.integers(0, 10, 12)


@pytest.mark.parametrize("compress", [False, True])
def test_load_idx_round_trip(tmp_path: Path, idx_pair, compress: bool) -> None:
    pixels, labels = idx_pair
    images_path = _write(tmp_path / "images.idx", _idx_bytes(pixels), compress=compress)
    labels_path = _write(tmp_path / "labels.idx", _idx_bytes(labels), compress=compress)
    X, y = load_idx(images_path, labels_path)
    assert X.shape == (12, 25)
    np.testing.assert_allclose(X, pixels.reshape(12, 25) / 255.0)
    np.testing.assert_array_equal(y, labels)
    assert y.dtype == np.int64
    X_only, no_labels = load_idx(str(images_path), dtype="float32")
    assert no_labels is None
    assert X_only.dtype == np.float32


def test_load_idx_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"images file .*nothing\.idx.* does not exist"):
        load_idx(tmp_path / "nothing.idx")


def test_load_idx_truncated(tmp_path: Path, idx_pair) -> None:
    pixels, _ = idx_pair
    path = _write(tmp_path / "images.idx", _idx_bytes(pixels)[:-7])
    with pytest.raises(ValueError, match=r"images\.idx.*truncated.*300 bytes.*293 bytes follow"):
        load_idx(path)


def test_load_idx_trailing_bytes(tmp_path: Path, idx_pair) -> None:
    pixels, _ = idx_pair
    path = _write(tmp_path / "images.idx", _idx_bytes(pixels) + b"\x00\x01")
    with pytest.raises(ValueError, match="2 unexpected bytes"):
        load_idx(path)


def test_load_idx_bad_magic_and_dimensions(tmp_path: Path, idx_pair) -> None:
    pixels, labels = idx_pair
    not_idx = _write(tmp_path / "photo.png", b"\x89PNG\r\n\x1a\n" + bytes(40))
    with pytest.raises(ValueError, match=r"photo\.png.*not an IDX file"):
        load_idx(not_idx)
    # A labels file given as the images file: 1 dimension instead of 3.
    swapped = _write(tmp_path / "labels.idx", _idx_bytes(labels))
    with pytest.raises(ValueError, match="has 1 dimensions; expected 3"):
        load_idx(swapped)
    wrong_type = bytearray(_idx_bytes(pixels))
    wrong_type[2] = 0x0D  # float
    path = _write(tmp_path / "float.idx", bytes(wrong_type))
    with pytest.raises(ValueError, match="IDX type 0x0d"):
        load_idx(path)


def test_load_idx_count_mismatch(tmp_path: Path, idx_pair) -> None:
    pixels, labels = idx_pair
    images_path = _write(tmp_path / "images.idx", _idx_bytes(pixels))
    labels_path = _write(tmp_path / "labels.idx", _idx_bytes(labels[:11]))
    with pytest.raises(ValueError, match=r"labels file .* has 11 items, images file .* has 12"):
        load_idx(images_path, labels_path)


def test_load_idx_damaged_gzip(tmp_path: Path, idx_pair) -> None:
    pixels, _ = idx_pair
    path = _write(tmp_path / "images.gz", gzip.compress(_idx_bytes(pixels))[:30])
    with pytest.raises(ValueError, match="damaged gzip"):
        load_idx(path)


# ---------------------------------------------------------------------------------------------
# Kaggle CSV
# ---------------------------------------------------------------------------------------------


def _csv(pixels: np.ndarray, labels: np.ndarray | None) -> str:
    columns = [f"pixel{i}" for i in range(pixels.shape[1])]
    lines = [",".join((["label"] if labels is not None else []) + columns)]
    for index, row in enumerate(pixels):
        values = [str(v) for v in row]
        if labels is not None:
            values.insert(0, str(labels[index]))
        lines.append(",".join(values))
    return "\n".join(lines) + "\n"


def test_load_kaggle_csv_train_and_test(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    pixels = rng.integers(0, 256, (6, 16))
    labels = rng.integers(0, 10, 6)
    train = tmp_path / "train.csv"
    train.write_text(_csv(pixels, labels))
    X, y = load_kaggle_csv(train)
    np.testing.assert_allclose(X, pixels / 255.0)
    np.testing.assert_array_equal(y, labels)
    test = tmp_path / "test.csv.gz"
    test.write_bytes(gzip.compress(_csv(pixels, None).encode()))
    X_test, y_test = load_kaggle_csv(test, dtype="float32")
    assert y_test is None
    assert X_test.dtype == np.float32
    np.testing.assert_allclose(X_test, pixels / 255.0, rtol=1e-6)


def test_load_kaggle_csv_errors(tmp_path: Path) -> None:
    pixels = np.zeros((3, 4), dtype=int)
    text = _csv(pixels, np.array([1, 2, 3]))

    with pytest.raises(ValueError, match=r"CSV file .*absent\.csv.* does not exist"):
        load_kaggle_csv(tmp_path / "absent.csv")

    bad_header = tmp_path / "header.csv"
    bad_header.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(ValueError, match=r"header\.csv.*does not have the Kaggle header"):
        load_kaggle_csv(bad_header)

    ragged = tmp_path / "ragged.csv"
    lines = text.splitlines()
    lines[2] = lines[2] + ",0"
    ragged.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"ragged\.csv.*line 3: 6 values, expected 5"):
        load_kaggle_csv(ragged)

    # Every row one value short of the header: np.loadtxt reads that as a regular table of
    # 4 columns, so only the width check after it can tell.
    short = tmp_path / "short.csv"
    lines = text.splitlines()
    short.write_text("\n".join([lines[0]] + [line.rsplit(",", 1)[0] for line in lines[1:]]) + "\n")
    with pytest.raises(ValueError, match=r"CSV file .*short\.csv.* has 4 columns, expected 5$"):
        load_kaggle_csv(short)

    not_number = tmp_path / "text.csv"
    lines = text.splitlines()
    lines[3] = "1,0,x,0,0"
    not_number.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"line 4: 'x' is not an integer"):
        load_kaggle_csv(not_number)

    out_of_range = tmp_path / "range.csv"
    lines = text.splitlines()
    lines[1] = "1,0,0,300,0"
    out_of_range.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"line 2: pixel2 = 300 is outside 0\.\.255"):
        load_kaggle_csv(out_of_range)

    header_only = tmp_path / "empty.csv"
    header_only.write_text(text.splitlines()[0] + "\n")
    with pytest.raises(ValueError, match="no data rows"):
        load_kaggle_csv(header_only)

    empty = tmp_path / "zero.csv"
    empty.write_text("")
    with pytest.raises(ValueError, match="is empty"):
        load_kaggle_csv(empty)
