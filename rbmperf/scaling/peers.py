"""Peers: what a user would pick instead of rbmperf, timed in the same sweep when installed.

- ``sklearn``: scikit-learn's ``BernoulliRBM`` with ``n_iter=1`` (one epoch per ``fit``),
  the same batch size and learning rate. It trains by *persistent* CD (the negative chain
  carries over between mini-batches) **without momentum**, and uses the data's
  probabilities rather than sampled states, so it does a little less work per step than
  CD-1 with momentum; ``fit`` also validates and copies the data and initialises the
  weights, which is part of what a user pays per epoch.
- ``torch``: a plain PyTorch CD-1 loop with momentum, written the way a user would write it
  (allocating tensors, ``torch.rand`` draws), on CPU with ``torch.set_num_threads`` set to
  the sweep's thread count.

Neither is a dependency: :func:`available_peers` lists those importable here.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable

import numpy as np

from ..errors import InputError
from .timing import EpochSettings, Runner


class SklearnPeer(Runner):
    """scikit-learn's BernoulliRBM, one ``fit`` with ``n_iter=1`` per epoch."""

    name = "sklearn"
    role = "peer"
    description = "scikit-learn BernoulliRBM, n_iter=1 (persistent CD, no momentum)"

    def setup(self, X: np.ndarray, settings: EpochSettings) -> Callable[[], object]:
        from sklearn.neural_network import BernoulliRBM

        model = BernoulliRBM(
            n_components=settings.n_hidden,
            learning_rate=settings.learning_rate,
            batch_size=settings.batch_size,
            n_iter=1,
            random_state=settings.seed,
        )
        return lambda: model.fit(X)


class TorchPeer(Runner):
    """A plain PyTorch CD-1 loop with momentum, on CPU."""

    name = "torch"
    role = "peer"
    description = "plain PyTorch CD-1 loop with momentum (CPU)"

    def __init__(self, threads: int = 1):
        self.threads = threads

    def prepare(self, dtype: np.dtype) -> float:
        began = time.perf_counter()
        import torch

        torch.set_num_threads(self.threads)
        return time.perf_counter() - began

    def setup(self, X: np.ndarray, settings: EpochSettings) -> Callable[[], object]:
        import torch

        data = torch.from_numpy(X)
        dtype = data.dtype
        generator = torch.Generator().manual_seed(settings.seed)
        weights = 0.01 * torch.randn(
            settings.n_hidden, X.shape[1], generator=generator, dtype=torch.float64
        )
        W = weights.to(dtype)
        hidden_bias = torch.zeros(settings.n_hidden, dtype=dtype)
        visible_bias = torch.zeros(X.shape[1], dtype=dtype)
        speeds = [
            torch.zeros_like(W),
            torch.zeros_like(hidden_bias),
            torch.zeros_like(visible_bias),
        ]
        batch_size, lr, momentum = settings.batch_size, settings.learning_rate, settings.momentum

        def epoch() -> None:
            with torch.no_grad():
                for start in range(0, data.shape[0], batch_size):
                    v0_probs = data[start : start + batch_size]
                    rows = v0_probs.shape[0]
                    v0 = (
                        v0_probs > torch.rand(v0_probs.shape, generator=generator, dtype=dtype)
                    ).to(dtype)
                    h0_probs = torch.sigmoid(v0 @ W.T + hidden_bias)
                    h0 = (
                        h0_probs > torch.rand(h0_probs.shape, generator=generator, dtype=dtype)
                    ).to(dtype)
                    v1_probs = torch.sigmoid(h0 @ W + visible_bias)
                    v1 = (
                        v1_probs > torch.rand(v1_probs.shape, generator=generator, dtype=dtype)
                    ).to(dtype)
                    h1_probs = torch.sigmoid(v1 @ W.T + hidden_bias)
                    gradients = (
                        (h0.T @ v0 - h1_probs.T @ v1) / rows,
                        (h0 - h1_probs).mean(0),
                        (v0_probs - v1_probs).mean(0),
                    )
                    for param, speed, grad in zip(
                        (W, hidden_bias, visible_bias), speeds, gradients, strict=True
                    ):
                        speed.mul_(momentum).add_(grad)
                        param.add_(speed, alpha=lr)

        return epoch


_PEERS = {"sklearn": ("sklearn", SklearnPeer), "torch": ("torch", TorchPeer)}


def available_peers() -> list[str]:
    """Names of the peers whose library is installed here."""
    return [name for name, (module, _) in _PEERS.items() if importlib.util.find_spec(module)]


def peer_names() -> list[str]:
    """Every peer rbmperf knows, installed or not."""
    return list(_PEERS)


def get_peer(name: str, *, threads: int = 1) -> Runner:
    """Return the peer runner called `name`.

    Raises
    ------
    ValueError
        If `name` is not a known peer or its library is not installed.
    """
    if name not in _PEERS:
        raise InputError(f"unknown peer {name!r}; known peers: {', '.join(_PEERS)}")
    module, cls = _PEERS[name]
    if importlib.util.find_spec(module) is None:
        raise InputError(f"peer {name!r} needs {module}, which is not installed")
    return cls(threads=threads) if cls is TorchPeer else cls()
