"""Hostile and damaged model files: every refusal is an InputError naming the file and why."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from rbmperf.data import synthetic_mnist
from rbmperf.dbn import DBN
from rbmperf.dbn.persistence import arrays_digest
from rbmperf.errors import InputError


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    X, y = synthetic_mnist(60, seed=1)
    X = X[:, ::49]  # 16 features: tiny and quick
    model = DBN((6, 4), pretrain_epochs=1, softmax_epochs=1, finetune_epochs=1).fit(X, y)
    return model.save(tmp_path_factory.mktemp("model") / "model.npz")


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as archive:
        return {key: archive[key] for key in archive.files}


def _metadata(path: Path) -> dict:
    return json.loads(str(_arrays(path)["metadata"]))


def _write(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _with(saved: Path, target: Path, *, metadata: dict | None = None, **arrays) -> Path:
    """A copy of `saved` with some arrays (and perhaps the metadata) replaced."""
    members = _members(saved)
    for name, array in arrays.items():
        members[f"{name}.npy"] = array if isinstance(array, bytes) else _npy(array)
    if metadata is not None:
        members["metadata.npy"] = _npy(np.array(json.dumps(metadata)))
    return _write(target, members)


def _refused(path: Path, message: str) -> str:
    with pytest.raises(InputError, match=message) as caught:
        DBN.load(path)
    assert str(path) in str(caught.value)
    return str(caught.value)


def test_a_saved_model_holds_a_manifest_and_a_digest(saved):
    metadata = _metadata(saved)
    arrays = {k: v for k, v in _arrays(saved).items() if k != "metadata"}
    assert metadata["version"] == 2
    assert metadata["digest"] == arrays_digest(arrays)
    assert metadata["arrays"]["rbm0_W"] == {"shape": [6, 16], "dtype": "<f8"}
    DBN.load(saved)


class _Trap:
    """Unpickling this creates a file: the proof that loading never unpickles."""

    marker: Path

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_pickled_objects_are_never_unpickled(saved, tmp_path):
    _Trap.marker = tmp_path / "unpickled"
    trap = np.array([_Trap()], dtype=object)
    metadata = _metadata(saved)
    metadata["arrays"]["classes"] = {"shape": [1], "dtype": "|O"}
    pickled = r"pickled data\), which are never loaded"
    _refused(_with(saved, tmp_path / "a.npz", classes=trap), f"classes: .*{pickled}")
    path = _with(saved, tmp_path / "a2.npz", metadata=metadata, classes=trap)
    _refused(path, "classes is object, expected integers")
    members = _members(saved)
    members["metadata.npy"] = _npy(trap)
    _refused(_write(tmp_path / "b.npz", members), f"metadata: .*{pickled}")
    # An object array whose header is all that the manifest would let through.
    size = len(_members(saved)["classes.npy"])
    padded = _npy(trap)
    _refused(_with(saved, tmp_path / "c.npz", classes=padded[:size]), "classes")
    assert not _Trap.marker.exists()


def _patch_declared_size(path: Path, member: str, size: int) -> None:
    """Rewrite the central directory's uncompressed size of `member` (what a bomb lies in)."""
    data = bytearray(path.read_bytes())
    start = 0
    while (start := data.find(b"PK\x01\x02", start)) >= 0:
        name_length = struct.unpack_from("<H", data, start + 28)[0]
        if data[start + 46 : start + 46 + name_length] == member.encode():
            struct.pack_into("<I", data, start + 24, size)
        start += 4
    path.write_bytes(bytes(data))


def test_a_member_claiming_an_absurd_size_is_refused_unread(saved, tmp_path):
    bomb = tmp_path / "bomb.npz"
    bomb.write_bytes(saved.read_bytes())
    _patch_declared_size(bomb, "rbm0_W.npy", 0xFFFF0000)
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def spy(archive, member, *args, **kwargs):
        opened.append(getattr(member, "filename", member))
        return real_open(archive, member, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(zipfile.ZipFile, "open", spy)
        message = _refused(bomb, r"member 'rbm0_W.npy' declares 4,294,901,760 bytes")
    assert "a zip bomb?" in message and "nothing was read" in message
    assert "rbm0_W.npy" not in opened, f"the bomb's member was opened: {opened}"


def test_a_real_deflate_bomb_is_refused_unread(saved, tmp_path):
    members = _members(saved)
    members["rbm0_W.npy"] = bytes(64 * 2**20)  # 64 MiB of zeros deflate to about 64 kB
    bomb = _write(tmp_path / "deflated.npz", members, zipfile.ZIP_DEFLATED)
    assert bomb.stat().st_size < 2**20
    _refused(bomb, r"member rbm0_W\.npy declares 67,108,864 bytes; its \(6, 16\) float64")


def test_a_huge_metadata_member_is_refused(saved, tmp_path):
    members = _members(saved)
    members["metadata.npy"] = _npy(np.array(" " * (5 * 2**20)))  # 20 MiB as UTF-32
    _refused(_write(tmp_path / "m.npz", members, zipfile.ZIP_DEFLATED), "metadata declares")


def test_edited_arrays_do_not_match_the_digest(saved, tmp_path):
    W = _arrays(saved)["rbm0_W"].copy()
    W[0, 0] += 1e-9
    _refused(_with(saved, tmp_path / "e.npz", rbm0_W=W), "do not match the digest")


def test_non_finite_values_are_refused(saved, tmp_path):
    arrays = {k: v for k, v in _arrays(saved).items() if k != "metadata"}
    arrays["layer1_bias"] = arrays["layer1_bias"].copy()
    arrays["layer1_bias"][2] = np.nan
    metadata = _metadata(saved) | {"digest": arrays_digest(arrays)}  # a careful forger
    path = _with(saved, tmp_path / "n.npz", metadata=metadata, layer1_bias=arrays["layer1_bias"])
    _refused(path, "layer1_bias has 1 NaN or infinite values")


def test_dtypes_and_shapes_are_checked_against_the_settings(saved, tmp_path):
    arrays = _arrays(saved)
    metadata = _metadata(saved)
    single = arrays["rbm0_W"].astype(np.float32)
    metadata["arrays"]["rbm0_W"]["dtype"] = "<f4"
    _refused(_with(saved, tmp_path / "d.npz", metadata=metadata, rbm0_W=single), "is float32")

    metadata = _metadata(saved)
    metadata["arrays"]["layer0_bias"]["shape"] = [7]
    _refused(_with(saved, tmp_path / "s.npz", metadata=metadata), r"has shape \(7,\), expected")

    # Same bytes, another shape in the .npy header than in the manifest.
    reshaped = arrays["rbm0_W"].reshape(16, 6)
    _refused(_with(saved, tmp_path / "h.npz", rbm0_W=reshaped), "stored as")

    metadata = _metadata(saved)
    metadata["settings"]["layers"] = [10**12, 4]  # would allocate terabytes if believed
    _refused(_with(saved, tmp_path / "l.npz", metadata=metadata), "expected")


def test_members_missing_extra_or_twice(saved, tmp_path):
    members = _members(saved)
    del members["layer1_weights.npy"]
    _refused(_write(tmp_path / "missing.npz", members), "lacks the array 'layer1_weights'")
    members = _members(saved) | {"evil.npy": _npy(np.zeros(2))}
    _refused(_write(tmp_path / "extra.npz", members), "do not call for: 'evil.npy'")
    twice = tmp_path / "twice.npz"
    _write(twice, _members(saved))
    with zipfile.ZipFile(twice, "a") as archive, pytest.warns(UserWarning, match="Duplicate"):
        archive.writestr("rbm0_W.npy", _members(saved)["rbm0_W.npy"])
    _refused(twice, "holds the member 'rbm0_W.npy' twice")


def test_settings_and_versions(saved, tmp_path):
    metadata = _metadata(saved)
    metadata["settings"]["shell"] = "rm -rf /"
    _refused(_with(saved, tmp_path / "k.npz", metadata=metadata), "bad training settings")
    metadata = _metadata(saved) | {"version": 1}
    _refused(_with(saved, tmp_path / "v.npz", metadata=metadata), "save the model again")
    metadata = _metadata(saved)
    del metadata["digest"]
    _refused(_with(saved, tmp_path / "g.npz", metadata=metadata), "no manifest or digest")


def test_an_unknown_compression_method_is_damage(saved, tmp_path):
    data = bytearray(saved.read_bytes())
    start = data.find(b"PK\x01\x02")
    struct.pack_into("<H", data, start + 10, 99)  # the first member's method: unknown
    damaged = tmp_path / "method.npz"
    damaged.write_bytes(bytes(data))
    _refused(damaged, "damaged|not a readable")
