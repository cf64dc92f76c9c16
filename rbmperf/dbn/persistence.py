"""Saving and loading a fitted DBN as an ``.npz`` file (numpy's zip of arrays, no pickle).

The file holds every RBM (weights and both biases), the fine-tuned network, the softmax
layer before and after backprop, the class labels, and a ``metadata`` array holding one JSON
string: format name and version, the constructor settings, the number of input features and
the training ``info``. Loading checks each of these and names the file and the problem.
"""

from __future__ import annotations

import json
import zipfile
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

__all__ = ["FORMAT", "FORMAT_VERSION", "load_dbn", "save_dbn"]

FORMAT = "rbmperf.DBN"
# Raise it whenever the arrays or the metadata change meaning; older files are then refused.
FORMAT_VERSION = 1


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
    metadata = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "settings": model.settings(),
        "n_features": int(network.weights[0].shape[1]),
        "info": to_jsonable(model.info),
    }
    arrays["metadata"] = np.array(json.dumps(metadata))
    np.savez(path, **arrays)
    return path


def load_dbn(path: str | Path, build: Callable[..., FittedModel]) -> FittedModel:
    """Read a model written by :func:`save_dbn`.

    Parameters
    ----------
    path : str or Path
    build : callable
        Makes the unfitted model from the saved settings (the DBN class itself).

    Raises
    ------
    ValueError
        If the file is missing, not an ``.npz`` file, not an rbmperf DBN, of an unknown
        format version, or its arrays are missing or inconsistent.
    """
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise InputError(f"model file {name!r} does not exist")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise InputError(f"model file {name!r} is not a readable .npz file ({error})") from None
    metadata = _read_metadata(arrays, name)
    try:
        model = build(**metadata["settings"])
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
    except KeyError as error:
        raise InputError(f"model file {name!r} lacks the array {error.args[0]!r}") from None
    except (TypeError, ValueError) as error:
        raise InputError(f"model file {name!r} has inconsistent contents: {error}") from None
    _check_consistency(model, name)
    model.info = metadata.get("info", {})
    return model


def _read_metadata(arrays: dict[str, np.ndarray], name: str) -> dict[str, Any]:
    if "metadata" not in arrays:
        raise InputError(f"model file {name!r} is not an rbmperf DBN (no metadata record)")
    try:
        metadata = json.loads(str(arrays["metadata"]))
    except json.JSONDecodeError:
        raise InputError(f"model file {name!r} has a corrupt metadata record") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise InputError(f"model file {name!r} is not an rbmperf DBN (format mismatch)")
    if metadata.get("version") != FORMAT_VERSION:
        raise InputError(
            f"model file {name!r} has format version {metadata.get('version')!r}; "
            f"this rbmperf reads version {FORMAT_VERSION}"
        )
    if not isinstance(metadata.get("settings"), dict):
        raise InputError(f"model file {name!r} has no training settings in its metadata")
    return metadata


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
