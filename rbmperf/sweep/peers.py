"""Peers: what a user would pick instead of rbmperf, timed in the same sweep when installed.

- ``sklearn``: scikit-learn's ``BernoulliRBM`` with ``n_iter=1`` (one epoch per ``fit``),
  the same batch size and learning rate. It trains by *persistent* CD (the negative chain
  carries over between mini-batches) **without momentum**, and uses the data's
  probabilities rather than sampled states, so it does a little less work per step than
  CD-1 with momentum; ``fit`` also validates and copies the data and initialises the
  weights, which is part of what a user pays per epoch.
- ``torch``: a plain PyTorch CD-1 loop with momentum, written the way a user would write it
  (allocating tensors, ``torch.rand`` draws), on CPU with ``torch.set_num_threads`` set to
  the sweep's thread count. It is recorded as ``torch-loop`` (``--peers torch`` and
  ``--peers torch-loop`` both select it), so that it never shares a series name with the
  ``torch`` backend.
- ``r``: the blog's R port, a plain vectorised R CD-1 epoch run by ``Rscript`` in a child
  process that times its own epochs (:mod:`rbmperf.sweep.r_peer`); float64 only.

None is a dependency: :func:`available_peers` lists those usable here, :func:`peer_status`
says why the others are not.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable

import numpy as np

from ..errors import InputError
from . import r_peer
from .runners import EpochSettings, Runner


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

    name = "torch-loop"
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
# Peers that are programs rather than Python libraries: name -> (why not here, runner).
_PROGRAM_PEERS = {"r": (r_peer.r_unavailable_reason, r_peer.RPeer)}
# Series names that differ from the peer's name, accepted as names too.
_ALIASES = {"torch-loop": "torch"}


def _canonical(name: str) -> str:
    return _ALIASES.get(name, name)


def peer_unavailable_reason(name: str) -> str | None:
    """Why the peer called `name` cannot run here (None if it can)."""
    name = _canonical(name)
    if name in _PROGRAM_PEERS:
        return _PROGRAM_PEERS[name][0]()
    module = _PEERS[name][0]
    if importlib.util.find_spec(module) is None:
        return f"needs {module}, which is not installed"
    return None


def available_peers() -> list[str]:
    """Names of the peers usable here (library installed, program on the PATH)."""
    return [name for name in peer_names() if peer_unavailable_reason(name) is None]


def peer_names() -> list[str]:
    """Every peer rbmperf knows, installed or not."""
    return [*_PEERS, *_PROGRAM_PEERS]


def is_peer_name(name: str) -> bool:
    """Whether `name` names a peer (its own name or its series name, such as ``torch-loop``)."""
    return _canonical(name) in peer_names()


def peer_status() -> list[tuple[str, str | None]]:
    """``(name, reason)`` for every peer; the reason is None where it is usable."""
    return [(name, peer_unavailable_reason(name)) for name in peer_names()]


def get_peer(name: str, *, threads: int = 1) -> Runner:
    """Return the peer runner called `name`.

    Raises
    ------
    ValueError
        If `name` is not a known peer or it cannot run here (the message says why).
    """
    name = _canonical(name)
    if name not in peer_names():
        raise InputError(f"unknown peer {name!r}; known peers: {', '.join(peer_names())}")
    reason = peer_unavailable_reason(name)
    if reason is not None:
        raise InputError(f"peer {name!r} is not available here: {reason}")
    if name in _PROGRAM_PEERS:
        return _PROGRAM_PEERS[name][1](threads=threads)
    cls = _PEERS[name][1]
    return cls(threads=threads) if cls is TorchPeer else cls()
