"""Pictures of what a stack of RBMs learned, as in the blog.

Computation and drawing are separate: :func:`reconstruct_through`, :func:`bias_probe` and
:func:`unit_probes` return arrays; the ``plot_*`` functions draw them into PNG files with
matplotlib's Agg backend (no display needed), and :func:`write_pictures` writes the whole set.

- **Reconstructions**: an input is passed up through one (or two) RBMs as hidden
  probabilities and back down through the same RBMs. An untrained model gives grey noise; a
  trained one gives back the digit — the blog's first check that the code is right.
- **Reverse-bias probe**: every hidden unit of a layer off, passed down to the pixels. It
  shows what the model expects with no evidence at all, and resembles the mean image.
- **Unit probes**: one hidden unit on (all others off), passed down, minus the bias probe.
  It shows what that unit draws: localised strokes in layer 1, larger parts in layer 2.

Images may be any square size (8×8 digits, 28×28 MNIST). Dark means a high value, as in the
blog's ``gray_r`` plots.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InputError, InputTypeError
from .figures import pyplot
from .model import RBM
from .validation import check_data, check_int

__all__ = [
    "bias_probe",
    "image_shape",
    "plot_bias_probes",
    "plot_reconstructions",
    "plot_unit_probes",
    "reconstruct_through",
    "unit_probes",
    "write_pictures",
]


def image_shape(n_features: int) -> tuple[int, int]:
    """The square image shape of `n_features` pixels, e.g. 784 → (28, 28).

    Raises
    ------
    ValueError
        If `n_features` is not a perfect square.
    """
    side = math.isqrt(int(n_features))
    if side * side != n_features:
        raise InputError(
            f"cannot draw {n_features} features as a square image ({side}² = {side * side})"
        )
    return side, side


def _stack(model: Any) -> list[RBM]:
    """The RBMs of a DBN, or a sequence of RBMs as given."""
    rbms = getattr(model, "rbms", model)
    if isinstance(rbms, RBM):
        rbms = [rbms]
    rbms = list(rbms)
    if not rbms or not all(isinstance(rbm, RBM) for rbm in rbms):
        raise InputTypeError("expected a fitted DBN, an RBM or a sequence of RBMs")
    return rbms


def _down(rbms: Sequence[RBM], hidden: np.ndarray) -> np.ndarray:
    """Pass `hidden` (of the last RBM in `rbms`) down to the pixels, as probabilities."""
    values = hidden
    for rbm in reversed(rbms):
        values = rbm.visible_probabilities(values)
    return values


def reconstruct_through(model: Any, X: object, depth: int) -> np.ndarray:
    """Reconstruct `X` through the bottom `depth` RBMs: up as probabilities, then down.

    Parameters
    ----------
    model : DBN, RBM or sequence of RBM
    X : array_like of shape (n_samples, n_pixels)
    depth : int
        How many layers to go up (1 ≤ depth ≤ number of RBMs).

    Returns
    -------
    ndarray of shape (n_samples, n_pixels)
    """
    rbms = _stack(model)
    depth = check_int(depth, "depth", minimum=1)
    if depth > len(rbms):
        raise InputError(f"depth must be <= {len(rbms)} (the number of RBMs); got {depth}")
    values = check_data(X, dtype=rbms[0].dtype, n_features=rbms[0].n_visible)
    for rbm in rbms[:depth]:
        values = rbm.hidden_probabilities(values)
    return _down(rbms[:depth], values)


def bias_probe(model: Any, layer: int) -> np.ndarray:
    """Pixels produced with every hidden unit of `layer` off (layer 1 is the bottom RBM).

    Returns
    -------
    ndarray of shape (n_pixels,)
    """
    rbms = _stack(model)
    layer = _check_layer(layer, rbms)
    zeros = np.zeros((1, rbms[layer - 1].n_hidden), dtype=rbms[0].dtype)
    return _down(rbms[:layer], zeros)[0]


def unit_probes(model: Any, layer: int, units: Sequence[int] | None = None) -> np.ndarray:
    """Pixels drawn by single hidden units of `layer`, minus the bias probe.

    Parameters
    ----------
    model : DBN, RBM or sequence of RBM
    layer : int
        1 for the bottom RBM, 2 for the one above it, ...
    units : sequence of int, optional
        Which hidden units; all of them by default.

    Returns
    -------
    ndarray of shape (len(units), n_pixels)
        Row ``i``: the pixels with only unit ``units[i]`` on, minus those with all off.
    """
    rbms = _stack(model)
    layer = _check_layer(layer, rbms)
    n_hidden = rbms[layer - 1].n_hidden
    chosen = np.arange(n_hidden) if units is None else np.asarray(units, dtype=np.intp)
    if chosen.size and (chosen.min() < 0 or chosen.max() >= n_hidden):
        raise InputError(f"units must lie in 0..{n_hidden - 1}")
    one_hot = np.zeros((len(chosen), n_hidden), dtype=rbms[0].dtype)
    one_hot[np.arange(len(chosen)), chosen] = 1.0
    return _down(rbms[:layer], one_hot) - bias_probe(rbms, layer)


def _check_layer(layer: int, rbms: Sequence[RBM]) -> int:
    layer = check_int(layer, "layer", minimum=1)
    if layer > len(rbms):
        raise InputError(f"layer must be <= {len(rbms)} (the number of RBMs); got {layer}")
    return layer


# ---------------------------------------------------------------------------------------------
# Drawing
# ---------------------------------------------------------------------------------------------


def _show(axis: Any, pixels: np.ndarray, shape: tuple[int, int], **limits: float) -> None:
    axis.imshow(pixels.reshape(shape), cmap="gray_r", interpolation="nearest", **limits)
    axis.set_xticks([])
    axis.set_yticks([])


def plot_reconstructions(model: Any, X: object, path: str | Path, *, n_examples: int = 10) -> Path:
    """Draw inputs (top row) above their reconstructions through 1, 2, ... layers.

    Parameters
    ----------
    model : DBN, RBM or sequence of RBM
    X : array_like of shape (n_samples, n_pixels)
        The first `n_examples` rows are drawn.
    path : path
        PNG file to write.
    n_examples : int, default 10

    Returns
    -------
    Path
    """
    rbms = _stack(model)
    data = check_data(X, dtype=rbms[0].dtype, n_features=rbms[0].n_visible)[:n_examples]
    shape = image_shape(data.shape[1])
    rows = [("input", data)] + [
        (f"{depth} layer{'s' if depth > 1 else ''}", reconstruct_through(rbms, data, depth))
        for depth in range(1, len(rbms) + 1)
    ]
    plt = pyplot()
    figure, axes = plt.subplots(
        len(rows), len(data), figsize=(1.1 * len(data), 1.2 * len(rows)), squeeze=False
    )
    for row, (title, images) in enumerate(rows):
        for column, image in enumerate(images):
            _show(axes[row, column], image, shape, vmin=0.0, vmax=1.0)
        axes[row, 0].set_ylabel(title, fontsize=9)
    figure.suptitle("Inputs and their reconstructions through the RBMs", fontsize=10)
    return _save(figure, path)


def plot_bias_probes(model: Any, X: object, path: str | Path) -> Path:
    """Draw the mean image beside the reverse-bias probe of every layer.

    Parameters
    ----------
    model : DBN, RBM or sequence of RBM
    X : array_like of shape (n_samples, n_pixels)
        Data whose mean image is drawn (the training data, ideally).
    path : path
        PNG file to write.

    Returns
    -------
    Path
    """
    rbms = _stack(model)
    data = check_data(X, dtype=rbms[0].dtype, n_features=rbms[0].n_visible)
    shape = image_shape(data.shape[1])
    panels = [("Mean image", data.mean(axis=0))] + [
        (f"Rev bias {layer}", bias_probe(rbms, layer)) for layer in range(1, len(rbms) + 1)
    ]
    plt = pyplot()
    figure, axes = plt.subplots(1, len(panels), figsize=(2.4 * len(panels), 2.7), squeeze=False)
    for axis, (title, image) in zip(axes[0], panels, strict=True):
        _show(axis, image, shape)
        axis.set_title(title, fontsize=10)
    return _save(figure, path)


def plot_unit_probes(
    model: Any, layer: int, path: str | Path, *, grid: tuple[int, int] = (6, 12)
) -> Path:
    """Draw the probes of the first ``rows × columns`` hidden units of `layer`.

    Each panel is scaled on its own (as in the blog), so weak and strong units are both
    visible, but symmetrically about zero: mid-grey is no change, dark is where the unit
    raises the pixel's probability and light where it lowers it.

    Parameters
    ----------
    model : DBN, RBM or sequence of RBM
    layer : int
        1 for the bottom RBM.
    path : path
        PNG file to write.
    grid : (int, int), default (6, 12)
        Rows and columns of panels (fewer panels if the layer has fewer units).

    Returns
    -------
    Path
    """
    rbms = _stack(model)
    layer = _check_layer(layer, rbms)
    rows, columns = grid
    count = min(rows * columns, rbms[layer - 1].n_hidden)
    rows = math.ceil(count / columns)
    probes = unit_probes(rbms, layer, range(count))
    shape = image_shape(probes.shape[1])
    plt = pyplot()
    figure, axes = plt.subplots(
        rows, columns, figsize=(0.9 * columns, 0.9 * rows + 0.4), squeeze=False
    )
    for index, axis in enumerate(axes.flat):
        if index < count:
            # Symmetric limits: zero change is mid-grey in every panel, dark raises a pixel.
            limit = float(np.abs(probes[index]).max()) or 1.0
            _show(axis, probes[index], shape, vmin=-limit, vmax=limit)
        else:
            axis.set_axis_off()
    figure.suptitle(f"Single hidden units of layer {layer} (bias probe subtracted)", fontsize=10)
    return _save(figure, path)


def _save(figure: Any, path: str | Path) -> Path:
    plt = pyplot()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(figure)
    return path


def write_pictures(model: Any, X: object, out_dir: str | Path) -> list[Path]:
    """Write every picture for `model` into `out_dir`; return the files written.

    Files: ``reconstructions.png``, ``bias_probes.png`` and ``probes_layer<k>.png`` for
    every layer.

    Parameters
    ----------
    model : DBN, RBM or sequence of RBM
    X : array_like of shape (n_samples, n_pixels)
        Data for the reconstructions (first 10 rows) and the mean image.
    out_dir : path
        Directory (created if needed).
    """
    rbms = _stack(model)
    image_shape(rbms[0].n_visible)  # fail before drawing anything
    out = Path(out_dir)
    written = [
        plot_reconstructions(rbms, X, out / "reconstructions.png"),
        plot_bias_probes(rbms, X, out / "bias_probes.png"),
    ]
    for layer in range(1, len(rbms) + 1):
        written.append(plot_unit_probes(rbms, layer, out / f"probes_layer{layer}.png"))
    return written
