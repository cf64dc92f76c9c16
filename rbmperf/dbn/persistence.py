"""Saving and loading a fitted DBN as an ``.npz`` file (numpy's zip of arrays, no pickle).

The file holds every RBM (weights and both biases), the fine-tuned network, the softmax
layer before and after backprop, the class labels, and a ``metadata`` array holding one JSON
string: format name and version, the constructor settings, the number of input features,
the training ``info``, a manifest of the arrays (shape and dtype of each) and a SHA-256
digest of their contents.

A model file may come from anywhere, so loading trusts nothing in it, and refuses with an
:class:`~rbmperf.errors.InputError` naming the file and the problem:

- nothing is ever unpickled: an object array is refused, not loaded;
- before a byte of an array is read, each archive member's declared size is checked
  against what the archive can hold (at most :data:`MAX_EXPANSION` times its compressed
  size, which no deflate stream exceeds, and no more compressed bytes than the file has)
  and against the manifest, so a zip bomb is refused unread; the metadata member is
  limited to :data:`MAX_METADATA_BYTES`;
- the members must be exactly the arrays the settings call for, each with the shape that
  the layer sizes, the number of features and the number of classes give, the model's
  floating dtype (integer labels), and finite values;
- the digest of the arrays read must equal the one in the metadata.

The digest catches damage and edits to the arrays; it is not a signature (whoever
rewrites the arrays can rewrite the metadata too). What makes a hostile file harmless is
the rest: no pickle, bounded sizes, checked shapes.
"""

from __future__ import annotations

import hashlib
import json
import math
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..jsonvalues import to_jsonable
from ..model import RBM
from .network import DeepNetwork

# The estimator class is passed in (`build`), not imported: the estimator imports this
# module, and persistence needs only the attributes a fitted model has.
FittedModel = Any

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MAX_EXPANSION",
    "MAX_METADATA_BYTES",
    "load_dbn",
    "save_dbn",
]

FORMAT = "rbmperf.DBN"
# Raise it whenever the arrays or the metadata change meaning; older files are then refused.
# 2: the metadata holds the arrays' manifest and digest.
FORMAT_VERSION = 2
# Deflate expands at most about 1,032-fold; a member that claims more is lying.
MAX_EXPANSION = 1_100
MAX_METADATA_BYTES = 16 * 2**20
# Room for a .npy header (numpy pads it to 64 bytes; long shapes take a little more).
_HEADER_ALLOWANCE = 64 * 2**10


def _array_names(n_layers: int) -> list[str]:
    names = [
        "classes",
        "output_weights",
        "output_bias",
        "pretrained_output_weights",
        "pretrained_output_bias",
    ]
    for k in range(n_layers):
        names += [
            f"rbm{k}_W",
            f"rbm{k}_hidden_bias",
            f"rbm{k}_visible_bias",
            f"layer{k}_weights",
            f"layer{k}_bias",
        ]
    return names


def arrays_digest(arrays: dict[str, np.ndarray]) -> str:
    """``"sha256:…"`` over every array's name, dtype, shape and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}\0{array.dtype.str}\0{array.shape}\0".encode())
        digest.update(array.tobytes())
    return "sha256:" + digest.hexdigest()


def save_dbn(model: FittedModel, path: str | Path) -> Path:
    """Write the fitted `model` to `path`; ``.npz`` is appended if missing, as numpy does.

    Returns
    -------
    Path
        The path written.
    """
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    network, pretrained = model.network, model.pretrained_network
    arrays: dict[str, np.ndarray] = {
        "classes": model.classes,
        "output_weights": network.output_weights,
        "output_bias": network.output_bias,
        "pretrained_output_weights": pretrained.output_weights,
        "pretrained_output_bias": pretrained.output_bias,
    }
    for index, rbm in enumerate(model.rbms):
        arrays[f"rbm{index}_W"] = rbm.W
        arrays[f"rbm{index}_hidden_bias"] = rbm.hidden_bias
        arrays[f"rbm{index}_visible_bias"] = rbm.visible_bias
        arrays[f"layer{index}_weights"] = network.weights[index]
        arrays[f"layer{index}_bias"] = network.biases[index]
    arrays = {name: np.ascontiguousarray(array) for name, array in arrays.items()}
    metadata = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "settings": model.settings(),
        "n_features": int(network.weights[0].shape[1]),
        "info": to_jsonable(model.info),
        "arrays": {
            name: {"shape": list(array.shape), "dtype": array.dtype.str}
            for name, array in arrays.items()
        },
        "digest": arrays_digest(arrays),
    }
    arrays["metadata"] = np.array(json.dumps(metadata))
    np.savez(path, **arrays)
    return path


def load_dbn(path: str | Path, build: Callable[..., FittedModel]) -> FittedModel:
    """Read a model written by :func:`save_dbn`, trusting nothing in the file.

    Parameters
    ----------
    path : str or Path
    build : callable
        Makes the unfitted model from the saved settings (the DBN class itself).

    Raises
    ------
    InputError
        (a ValueError) If the file is missing, not an ``.npz`` file, not an rbmperf DBN, of
        an unknown format version, or holds an object array, a member of absurd declared
        size, arrays missing, extra, of the wrong shape or dtype or not finite, or arrays
        that do not match their digest. The message names the file and the problem.
    """
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise InputError(f"model file {name!r} does not exist")
    try:
        with zipfile.ZipFile(path) as archive:
            members = _checked_members(archive, path.stat().st_size, name)
            metadata = _read_metadata(archive, members, name)
            model = _build(build, metadata, name)
            expected = _expected_arrays(model, metadata, members, name)
            arrays = {
                key: _read_array(archive, members[f"{key}.npy"], shape, dtype, f"{name!r}: {key}")
                for key, (shape, dtype) in expected.items()
            }
    except (OSError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile) as error:
        # Not a zip, or a damaged one: a bad CRC, a member cut short.
        raise InputError(f"model file {name!r} is not a readable .npz file ({error})") from None
    except (zlib.error, RuntimeError, NotImplementedError, UnicodeDecodeError) as error:
        # A corrupt deflate stream, an encrypted member, an unknown compression method, a
        # member name flagged UTF-8 that is not.
        raise InputError(f"model file {name!r} is damaged ({error})") from None
    if arrays_digest(arrays) != metadata.get("digest"):
        raise InputError(
            f"model file {name!r}: its arrays do not match the digest in its metadata "
            "(the file was damaged or edited)"
        )
    try:
        n_layers = len(model.layers)
        model.rbms = [
            RBM(arrays[f"rbm{k}_W"], arrays[f"rbm{k}_hidden_bias"], arrays[f"rbm{k}_visible_bias"])
            for k in range(n_layers)
        ]
        model.network = DeepNetwork(
            [arrays[f"layer{k}_weights"] for k in range(n_layers)],
            [arrays[f"layer{k}_bias"] for k in range(n_layers)],
            arrays["output_weights"],
            arrays["output_bias"],
        )
        model.pretrained_network = DeepNetwork.of_rbms(
            model.rbms, arrays["pretrained_output_weights"], arrays["pretrained_output_bias"]
        )
        model.classes = arrays["classes"]
    except (TypeError, ValueError) as error:
        raise InputError(f"model file {name!r} has inconsistent contents: {error}") from None
    _check_consistency(model, name)
    info = metadata.get("info", {})
    model.info = info if isinstance(info, dict) else {}
    return model


def _checked_members(archive: zipfile.ZipFile, file_size: int, name: str) -> dict:
    """The archive's members by name, each of a size the file can really hold."""
    members: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        if info.filename in members:
            raise InputError(f"model file {name!r} holds the member {info.filename!r} twice")
        capacity = MAX_EXPANSION * max(info.compress_size, 1) + _HEADER_ALLOWANCE
        if info.compress_size > file_size or info.file_size > capacity:
            raise InputError(
                f"model file {name!r}: member {info.filename!r} declares {info.file_size:,} "
                f"bytes from {info.compress_size:,} compressed, more than a {file_size:,}-byte "
                "archive can hold (a zip bomb?); nothing was read"
            )
        members[info.filename] = info
    return members


def _read_metadata(archive: zipfile.ZipFile, members: dict, name: str) -> dict[str, Any]:
    info = members.get("metadata.npy")
    if info is None:
        raise InputError(f"model file {name!r} is not an rbmperf DBN (no metadata record)")
    if info.file_size > MAX_METADATA_BYTES:
        raise InputError(
            f"model file {name!r}: its metadata declares {info.file_size:,} bytes, over the "
            f"{MAX_METADATA_BYTES:,} allowed; nothing was read"
        )
    with archive.open(info) as stream:
        shape, _, dtype = _read_header(stream, f"{name!r}: metadata")
        if shape != () or dtype.kind != "U":
            raise InputError(f"model file {name!r} has a corrupt metadata record")
        raw = stream.read(dtype.itemsize)
    try:
        text = np.frombuffer(raw, dtype=dtype, count=1)[0]
        metadata = json.loads(str(text))
    except (ValueError, RecursionError):
        raise InputError(f"model file {name!r} has a corrupt metadata record") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise InputError(f"model file {name!r} is not an rbmperf DBN (format mismatch)")
    if metadata.get("version") != FORMAT_VERSION:
        raise InputError(
            f"model file {name!r} has format version {metadata.get('version')!r}; "
            f"this rbmperf reads version {FORMAT_VERSION} (older files hold no digest of "
            "their arrays: save the model again)"
        )
    if not isinstance(metadata.get("settings"), dict):
        raise InputError(f"model file {name!r} has no training settings in its metadata")
    if not isinstance(metadata.get("arrays"), dict) or not isinstance(metadata.get("digest"), str):
        raise InputError(f"model file {name!r} has no manifest or digest of its arrays")
    return metadata


def _build(build: Callable[..., FittedModel], metadata: dict[str, Any], name: str) -> Any:
    try:
        return build(**metadata["settings"])
    except (TypeError, ValueError) as error:
        raise InputError(f"model file {name!r} has bad training settings: {error}") from None


def _expected_arrays(
    model: FittedModel, metadata: dict[str, Any], members: dict, name: str
) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Shape and dtype of every array the settings call for, checked against the manifest."""
    n_layers = len(model.layers)
    if n_layers > len(members):  # before listing names a hostile "layers" could make many
        raise InputError(
            f"model file {name!r} has {len(members)} members, too few for {n_layers} layers"
        )
    names = _array_names(n_layers)
    wanted = {f"{key}.npy" for key in names} | {"metadata.npy"}
    missing = [key for key in names if f"{key}.npy" not in members]
    if missing:
        raise InputError(
            f"model file {name!r} lacks the array{'s' if len(missing) > 1 else ''} "
            f"{', '.join(map(repr, missing))}"
        )
    unexpected = sorted(set(members) - wanted)
    if unexpected:
        raise InputError(
            f"model file {name!r} holds members its settings do not call for: "
            f"{', '.join(map(repr, unexpected))}"
        )
    manifest = metadata["arrays"]
    n_features = metadata.get("n_features")
    classes = manifest.get("classes")
    if not (_is_count(n_features) and n_features >= 1 and isinstance(classes, dict)):
        raise InputError(f"model file {name!r} has a corrupt manifest")
    n_classes = _manifest_shape(classes, name, "classes")
    if len(n_classes) != 1:
        raise InputError(f"model file {name!r}: classes has shape {n_classes}, expected 1-D")
    dtype = model.dtype
    shapes: dict[str, tuple[int, ...]] = {"classes": n_classes}
    n_inputs = n_features
    for k, n_hidden in enumerate(model.layers):
        shapes |= {
            f"rbm{k}_W": (n_hidden, n_inputs),
            f"rbm{k}_hidden_bias": (n_hidden,),
            f"rbm{k}_visible_bias": (n_inputs,),
            f"layer{k}_weights": (n_hidden, n_inputs),
            f"layer{k}_bias": (n_hidden,),
        }
        n_inputs = n_hidden
    for prefix in ("", "pretrained_"):
        shapes[f"{prefix}output_weights"] = (n_classes[0], n_inputs)
        shapes[f"{prefix}output_bias"] = (n_classes[0],)
    expected: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
    for key in names:
        entry = manifest.get(key)
        if not isinstance(entry, dict):
            raise InputError(f"model file {name!r}: the manifest does not list {key!r}")
        shape = _manifest_shape(entry, name, key)
        if shape != shapes[key]:
            raise InputError(
                f"model file {name!r}: {key} has shape {shape}, expected {shapes[key]}"
            )
        try:
            declared = np.dtype(entry.get("dtype"))
        except TypeError:
            raise InputError(f"model file {name!r}: {key} has no valid dtype") from None
        wanted_kind = "iu" if key == "classes" else "f"
        if declared.kind not in wanted_kind or (key != "classes" and declared != dtype):
            raise InputError(
                f"model file {name!r}: {key} is {declared}, expected "
                f"{'integers' if key == 'classes' else dtype}"
            )
        nbytes = math.prod(shape) * declared.itemsize  # Python ints: no overflow
        declared_size = members[f"{key}.npy"].file_size
        if not nbytes <= declared_size <= nbytes + _HEADER_ALLOWANCE:
            raise InputError(
                f"model file {name!r}: member {key}.npy declares {declared_size:,} bytes; its "
                f"{shape} {declared} array needs {nbytes:,} (plus a header); nothing was read"
            )
        expected[key] = (shape, declared)
    return expected


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _manifest_shape(entry: dict, name: str, key: str) -> tuple[int, ...]:
    shape = entry.get("shape")
    if not isinstance(shape, list) or not all(_is_count(d) for d in shape):
        raise InputError(f"model file {name!r}: the manifest gives {key} no valid shape")
    return tuple(shape)


def _read_header(stream: Any, what: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """Shape, Fortran order and dtype from a ``.npy`` header, refusing object dtypes."""
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise InputError(f"model file {what}: unsupported .npy version {version}")
    except (ValueError, TypeError, SyntaxError, EOFError) as error:
        if isinstance(error, InputError):
            raise
        raise InputError(f"model file {what}: not a valid .npy header ({error})") from None
    if dtype.hasobject:
        raise InputError(
            f"model file {what}: holds Python objects (pickled data), which are never loaded"
        )
    return shape, fortran, dtype


def _read_array(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    shape: tuple[int, ...],
    dtype: np.dtype,
    what: str,
) -> np.ndarray:
    """One array, after its header has been checked against the manifest; finite."""
    with archive.open(info) as stream:
        found_shape, fortran, found_dtype = _read_header(stream, what)
        if found_shape != shape or found_dtype != dtype:
            raise InputError(
                f"model file {what} is stored as {found_shape} {found_dtype}, but its "
                f"manifest says {shape} {dtype}"
            )
        nbytes = math.prod(shape) * dtype.itemsize
        raw = stream.read(nbytes)
    if len(raw) != nbytes:
        raise InputError(f"model file {what} is truncated ({len(raw):,} of {nbytes:,} bytes)")
    stored = np.frombuffer(raw, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    array = np.array(stored, order="C")  # a writable copy of its own
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        bad = int(array.size - np.count_nonzero(np.isfinite(array)))
        raise InputError(f"model file {what} has {bad:,} NaN or infinite values")
    return array


def _check_consistency(model: FittedModel, name: str) -> None:
    """Refuse layers whose shapes do not chain or whose dtype is not the model's."""
    network = model.network
    n_inputs = model.rbms[0].n_visible
    for k, (rbm, weights, bias) in enumerate(
        zip(model.rbms, network.weights, network.biases, strict=True)
    ):
        expected = (model.layers[k], n_inputs)
        if rbm.W.shape != expected or weights.shape != expected or bias.shape != expected[:1]:
            raise InputError(
                f"model file {name!r}: layer {k} has shape {weights.shape}, expected {expected}"
            )
        if weights.dtype != model.dtype or rbm.W.dtype != model.dtype:
            raise InputError(
                f"model file {name!r}: layer {k} is {weights.dtype}, expected {model.dtype}"
            )
        n_inputs = model.layers[k]
    n_classes = len(model.classes)
    for label, array in (
        ("output_weights", network.output_weights),
        ("pretrained_output_weights", model.pretrained_network.output_weights),
    ):
        if array.shape != (n_classes, n_inputs):
            raise InputError(
                f"model file {name!r}: {label} has shape {array.shape}, expected "
                f"{(n_classes, n_inputs)}"
            )
