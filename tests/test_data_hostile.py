"""Data files as they arrive in the wild: gzip bombs, concatenated members, spreadsheet CSVs."""

from __future__ import annotations

import gzip
import zlib

import numpy as np
import pytest

from rbmperf.data import load_idx, load_kaggle_csv
from rbmperf.errors import InputError


def _idx(array: np.ndarray) -> bytes:
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return bytes([0, 0, 8, array.ndim]) + dims + array.astype(np.uint8).tobytes()


IMAGES = _idx(np.arange(5 * 4 * 4).reshape(5, 4, 4) % 256)


def test_a_gzip_bomb_is_refused_after_its_header_says_how_big_it_may_be(tmp_path):
    bomb = tmp_path / "images.gz"
    bomb.write_bytes(gzip.compress(IMAGES + bytes(64 * 2**20), compresslevel=9))
    assert bomb.stat().st_size < 2**20  # about 1,000 times smaller than it unpacks
    unpacked: list[int] = []
    real_decompressobj = zlib.decompressobj

    class CountingUnpacker:
        def __init__(self, *args, **kwargs):
            self._inner = real_decompressobj(*args, **kwargs)

        def decompress(self, data, max_length=0):
            out = self._inner.decompress(data, max_length)
            unpacked.append(len(out))
            return out

        def __getattr__(self, name):
            return getattr(self._inner, name)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(zlib, "decompressobj", CountingUnpacker)
        with pytest.raises(InputError, match=r"images\.gz' unpacks to more than the 65,632"):
            load_idx(bomb)
    # 64 MiB were never unpacked: no more than the header's size and a byte.
    assert 0 < sum(unpacked) <= 65_632 + 1


def test_concatenated_gzip_members_are_one_file(tmp_path):
    path = tmp_path / "images.gz"
    path.write_bytes(b"".join(gzip.compress(IMAGES[a:b]) for a, b in ((0, 3), (3, 50), (50, None))))
    X, _ = load_idx(path)
    assert X.shape == (5, 16)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (gzip.compress(IMAGES)[:-5], "damaged gzip file: it is cut short"),
        (gzip.compress(IMAGES) + b"junk", "damaged gzip file: bytes after its end"),
        (b"\x1f\x8b" + b"\x00" * 20, "damaged gzip file"),
    ],
)
def test_damaged_gzip_files_are_named(tmp_path, content, message):
    path = tmp_path / "images.gz"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        load_idx(path)


def test_a_csv_saved_by_a_spreadsheet_with_a_byte_order_mark_reads(tmp_path):
    path = tmp_path / "train.csv"
    path.write_bytes("\ufefflabel,pixel0,pixel1\n3,0,255\n".encode())
    X, y = load_kaggle_csv(path)
    assert y.tolist() == [3] and X.tolist() == [[0.0, 1.0]]
