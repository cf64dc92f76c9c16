"""Slice-based, vectorised CD-1 in numpy with preallocated work buffers."""

from __future__ import annotations

import itertools

import numpy as np

from ..activations import logistic
from .base import Backend, Gradient, TrainingState, Uniforms, Workspace, slice_batches


def _cd1_into(
    work: Workspace,
    W: np.ndarray,
    hidden_bias: np.ndarray,
    visible_bias: np.ndarray,
    v0: np.ndarray,
    uniforms: Uniforms,
    sample_data: bool = True,
) -> None:
    """Compute the CD-1 gradient into the workspace's ``dW`` and bias-gradient buffers.

    With `sample_data` False the data values are the positive phase's visible states.
    """
    rows = v0.shape[0]
    u_v0, u_h0, u_v1 = uniforms
    v0_states = work.right[:rows]
    v1_states = work.right[rows : 2 * rows]
    h0_states = work.left[:rows]
    h1_probs = work.left[rows : 2 * rows]
    hidden_pre = work.hidden_pre[:rows]
    v1_probs = work.visible_pre[:rows]

    if sample_data:
        np.greater(v0, u_v0, out=v0_states)
    else:
        # Into the stacked buffer all the same: the fused product needs [v0 ; v1] together.
        np.copyto(v0_states, v0)
    np.matmul(v0_states, W.T, out=hidden_pre)
    hidden_pre += hidden_bias
    logistic(hidden_pre, out=hidden_pre)
    np.greater(hidden_pre, u_h0, out=h0_states)

    np.matmul(h0_states, W, out=v1_probs)
    v1_probs += visible_bias
    logistic(v1_probs, out=v1_probs)
    np.greater(v1_probs, u_v1, out=v1_states)

    np.matmul(v1_states, W.T, out=h1_probs)
    h1_probs += hidden_bias
    logistic(h1_probs, out=h1_probs)

    scale = 1.0 / rows
    np.sum(v0, axis=0, out=work.d_visible_bias)
    work.d_visible_bias -= v1_probs.sum(axis=0)
    work.d_visible_bias *= scale

    h0_states *= scale
    h1_probs *= -scale
    left = work.left[: 2 * rows]
    right = work.right[: 2 * rows]
    # left = [h0 / B ; −h1 / B], so its column sums are the hidden-bias gradient.
    np.sum(left, axis=0, out=work.d_hidden_bias)
    np.matmul(left.T, right, out=work.dW)


# Momentum on W streams four passes over three (n_hidden, n_visible) arrays; in chunks of
# about this many bytes per array the later passes hit the L2 cache (float64 W: 425 -> 245
# µs here; float32 gains nothing, so small arrays stay whole).
_CHUNK_BYTES = 256 * 1024


def _chunks(*arrays: np.ndarray) -> list[tuple[np.ndarray, ...]]:
    """Matching contiguous 1-D chunks of equally shaped C-contiguous arrays."""
    flat = [a.reshape(-1) for a in arrays]
    n_chunks = max(1, round(arrays[0].nbytes / _CHUNK_BYTES))
    if arrays[0].dtype.itemsize < 8:
        n_chunks = 1
    edges = np.linspace(0, flat[0].size, n_chunks + 1).astype(int)
    return [tuple(f[a:b] for f in flat) for a, b in itertools.pairwise(edges)]


def _momentum_into(param: np.ndarray, speed: np.ndarray, grad: np.ndarray, lr: float, m: float):
    speed *= m
    speed += grad
    # grad's buffer is free once added to speed: reuse it for lr * speed (no temporary).
    np.multiply(speed, lr, out=grad)
    param += grad


class NumpyBackend(Backend):
    """Vectorised numpy CD-1 over contiguous row slices; no allocation per mini-batch."""

    name = "numpy"
    description = "slice-based, vectorised numpy; preallocated buffers; numpy Generator RNG"

    def cd1(
        self,
        W: np.ndarray,
        hidden_bias: np.ndarray,
        visible_bias: np.ndarray,
        v0: np.ndarray,
        uniforms: Uniforms,
        *,
        sample_data: bool = True,
    ) -> Gradient:
        work = Workspace(v0.shape[0], W.shape[1], W.shape[0], W.dtype)
        _cd1_into(work, W, hidden_bias, visible_bias, v0, uniforms, sample_data)
        return work.dW, work.d_hidden_bias, work.d_visible_bias

    def run_epoch(
        self,
        state: TrainingState,
        X: np.ndarray,
        batch_size: int,
        learning_rate: float,
        momentum: float,
        rng: np.random.Generator,
        *,
        sample_data: bool = True,
    ) -> None:
        n_hidden, n_visible = state.W.shape
        rows_max = min(batch_size, X.shape[0])
        work = self.workspace(rows_max, n_visible, n_hidden, X.dtype)
        weight_chunks = _chunks(state.W, state.W_speed, work.dW)
        for batch in slice_batches(X, batch_size):
            uniforms = work.uniforms(batch.shape[0])
            # All three are drawn whether or not u_v0 is used: the same stream either way.
            for buffer in uniforms:
                rng.random(out=buffer, dtype=X.dtype)
            _cd1_into(
                work, state.W, state.hidden_bias, state.visible_bias, batch, uniforms, sample_data
            )
            for param, speed, grad in weight_chunks:
                _momentum_into(param, speed, grad, learning_rate, momentum)
            _momentum_into(
                state.hidden_bias, state.hidden_speed, work.d_hidden_bias, learning_rate, momentum
            )
            _momentum_into(
                state.visible_bias,
                state.visible_speed,
                work.d_visible_bias,
                learning_rate,
                momentum,
            )


BACKEND = NumpyBackend
