"""Training loops: momentum mini-batch gradient descent for one RBM."""

from __future__ import annotations

import time

import numpy as np

from .backends import TrainingState, get_backend
from .backends.base import Backend
from .model import RBM
from .progress import progress_bar
from .validation import (
    check_bool,
    check_data,
    check_dtype,
    check_float,
    check_int,
    check_momentum,
)

# Progress bars estimate the reconstruction error on at most this many rows, so that
# showing progress costs a small fraction of an epoch.
_PROGRESS_SAMPLE_ROWS = 1000


def initial_rbm(n_visible: int, n_hidden: int, *, dtype: object = "float64", seed: int = 0) -> RBM:
    """Return an untrained RBM: small random weights (N(0, 0.01²)), biases at zero.

    The weights are drawn in float64 from ``default_rng(seed)`` and then cast, so float32 and
    float64 models with the same seed start from the same point.
    """
    dtype = check_dtype(dtype)
    rng = np.random.default_rng(seed)
    W = (0.01 * rng.standard_normal((n_hidden, n_visible))).astype(dtype)
    return RBM(W, np.zeros(n_hidden, dtype=dtype), np.zeros(n_visible, dtype=dtype))


def train_rbm(
    X: object,
    n_hidden: int,
    *,
    backend: str | Backend = "auto",
    epochs: int = 10,
    batch_size: int = 100,
    learning_rate: float = 0.1,
    momentum: float = 0.9,
    sample_data: bool = True,
    dtype: object = "float64",
    seed: int = 0,
    progress: bool = False,
) -> RBM:
    """Train a binary RBM on `X` with CD-1 and momentum mini-batch gradient descent.

    Mini-batches are taken in data order (no shuffling), the last partial batch kept. After
    each mini-batch every parameter is updated with the blog's momentum rule:
    ``speed = momentum * speed + gradient; param += learning_rate * speed``.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_visible)
        Training data, samples × features, values in [0, 1].
    n_hidden : int
        Number of hidden units (≥ 1).
    backend : str or Backend, default "auto"
        Which implementation computes the epochs; see :func:`available_backends`. ``"auto"``
        takes the fastest one available here (:func:`rbmperf.backends.auto_backend`:
        ``binary`` where numba imports, else ``numpy``); ``info["backend"]`` names it.
    epochs : int, default 10
        Passes over the data (≥ 0; 0 returns the initial model).
    batch_size : int, default 100
        Rows per mini-batch (≥ 1; larger than ``n_samples`` means one batch).
    learning_rate : float, default 0.1
    momentum : float, default 0.9
        In [0, 1).
    sample_data : bool, default True
        Sample the data's visible states in the positive phase (the blog's CD-1). False uses
        the data values themselves there, as Hinton's practical guide recommends for
        grey-level data and as scikit-learn's ``BernoulliRBM`` does; for 0/1 data the two
        are the same. See :mod:`rbmperf.backends.base` for the mathematics.
    dtype : {"float64", "float32"}, default "float64"
        Precision of the parameters and the computation.
    seed : int, default 0
        Seeds the initial weights and the sampling. The same seed gives bitwise-identical
        weights on a rerun with the same backend.
    progress : bool, default False
        Show a progress bar with each epoch's time and reconstruction error (estimated on at
        most 1,000 rows).

    Returns
    -------
    RBM
        The trained model. ``rbm.info`` records the backend (the real one, also when
        `backend` was ``"auto"``; ``info["backend_requested"]`` keeps what was asked for),
        settings, seconds per epoch and
        the backend's preparation (compile) seconds, which are not part of the epoch times.

    Examples
    --------
    >>> import numpy as np
    >>> from rbmperf import train_rbm
    >>> X = (np.random.default_rng(1).random((200, 20)) > 0.5).astype(float)
    >>> rbm = train_rbm(X, n_hidden=10, epochs=3, batch_size=50, seed=0)
    >>> rbm.W.shape
    (10, 20)
    """
    dtype = check_dtype(dtype)
    n_hidden = check_int(n_hidden, "n_hidden", minimum=1)
    epochs = check_int(epochs, "epochs", minimum=0)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    learning_rate = check_float(learning_rate, "learning_rate", minimum=0.0)
    momentum = check_momentum(momentum)
    sample_data = check_bool(sample_data, "sample_data")
    engine = get_backend(backend)
    data = check_data(X, dtype=dtype)

    start = initial_rbm(data.shape[1], n_hidden, dtype=dtype, seed=seed)
    state = TrainingState.starting_from(start.W, start.hidden_bias, start.visible_bias)
    # One stream for the weights, another for sampling: independent of how many draws the
    # initialisation made.
    rng = np.random.default_rng([seed, 1])
    # Compiles for the setting the epochs use, so that no timed epoch compiles.
    prepare_seconds = engine.prepare(dtype, sample_data=sample_data)

    epoch_seconds: list[float] = []
    bar = progress_bar(epochs, f"RBM ({engine.name})", enabled=progress)
    for _ in range(epochs):
        began = time.perf_counter()
        engine.run_epoch(
            state, data, batch_size, learning_rate, momentum, rng, sample_data=sample_data
        )
        epoch_seconds.append(time.perf_counter() - began)
        if bar is not None:
            sample = data[:_PROGRESS_SAMPLE_ROWS]
            error = RBM(state.W, state.hidden_bias, state.visible_bias).reconstruction_error(sample)
            bar.set_postfix(seconds=f"{epoch_seconds[-1]:.3f}", recon_error=f"{error:.5f}")
            bar.update(1)
    if bar is not None:
        bar.close()

    info = {
        "backend": engine.name,
        "backend_requested": backend if isinstance(backend, str) else engine.name,
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "momentum": momentum,
        "sample_data": sample_data,
        "dtype": dtype.name,
        "seed": seed,
        "epoch_seconds": epoch_seconds,
        "prepare_seconds": prepare_seconds,
    }
    return RBM(state.W, state.hidden_bias, state.visible_bias, info=info)
