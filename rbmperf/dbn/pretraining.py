"""Greedy layer-wise pre-training: a stack of RBMs, each trained on the one below.

RBM 1 is trained with CD-1 on the data; RBM ``k`` is trained on the hidden probabilities of
RBM ``k − 1``. Any registered backend trains the RBMs, through :func:`rbmperf.train_rbm`:
this is the part of a DBN the backends are benchmarked on.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..model import RBM
from ..training import train_rbm

__all__ = ["pretrain_stack"]

# Each RBM's reconstruction error is recorded on at most this many rows: a sanity check,
# not a measurement, so it should cost little beside the training.
_ERROR_SAMPLE_ROWS = 2000


def pretrain_stack(
    data: np.ndarray,
    layers: Sequence[int],
    *,
    backend: str,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    momentum: float,
    seed: int,
    progress: bool = False,
) -> tuple[list[RBM], np.ndarray, dict[str, Any]]:
    """Train one RBM per entry of `layers`, bottom first, each on the previous one's output.

    Parameters
    ----------
    data : ndarray of shape (n_samples, n_features)
        Trusted training rows in [0, 1]; their dtype is the RBMs' dtype.
    layers : sequence of int
        Hidden units of each RBM.
    backend : str
        Backend that trains the RBMs.
    epochs, batch_size : int
        The same for every layer.
    learning_rate, momentum : float
    seed : int
        Layer ``k`` is trained with seed ``seed + k``.
    progress : bool, default False
        A progress bar per layer.

    Returns
    -------
    rbms : list of RBM
    top_features : ndarray of shape (n_samples, layers[-1])
        The top RBM's hidden probabilities of `data`.
    info : dict
        ``n_samples``, ``pretrain_epochs``, ``pretrain_seconds`` and
        ``pretrain_compile_seconds`` (one entry per layer each) and ``reconstruction_errors``.
    """
    rbms: list[RBM] = []
    seconds: list[float] = []
    errors: list[float] = []
    layer_input = data
    for index, n_hidden in enumerate(layers):
        began = time.perf_counter()
        rbm = train_rbm(
            layer_input,
            n_hidden,
            backend=backend,
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            momentum=momentum,
            dtype=data.dtype,
            seed=seed + index,
            progress=progress,
        )
        next_input = rbm.hidden_probabilities(layer_input)
        # A layer's time includes computing its output: the next layer cannot start without it.
        seconds.append(time.perf_counter() - began)
        errors.append(rbm.reconstruction_error(layer_input[:_ERROR_SAMPLE_ROWS]))
        rbms.append(rbm)
        layer_input = next_input
    info = {
        "n_samples": len(data),
        "pretrain_epochs": epochs,
        "pretrain_seconds": seconds,
        "pretrain_compile_seconds": [rbm.info["prepare_seconds"] for rbm in rbms],
        "reconstruction_errors": errors,
    }
    return rbms, layer_input, info
