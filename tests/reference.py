"""A plain, obviously-correct CD-1, written from the contract and nothing else."""

from __future__ import annotations

import numpy as np


def reference_cd1(W, hidden_bias, visible_bias, v0, uniforms, *, sample_data=True):
    """CD-1 gradient in float64 with the textbook logistic.

    With `sample_data` False the data values are the visible states of the positive phase
    (``u_v0`` is then unused).
    """
    W = W.astype(np.float64)
    hidden_bias = hidden_bias.astype(np.float64)
    visible_bias = visible_bias.astype(np.float64)
    v0 = v0.astype(np.float64)
    u_v0, u_h0, u_v1 = (u.astype(np.float64) for u in uniforms)

    def sigmoid(x):
        return 1.0 / (1.0 + np.exp(-x))

    v0_states = (v0 > u_v0).astype(np.float64) if sample_data else v0
    h0_probs = sigmoid(v0_states @ W.T + hidden_bias)
    h0_states = (h0_probs > u_h0).astype(np.float64)
    v1_probs = sigmoid(h0_states @ W + visible_bias)
    v1_states = (v1_probs > u_v1).astype(np.float64)
    h1_probs = sigmoid(v1_states @ W.T + hidden_bias)
    batch = v0.shape[0]
    dW = (h0_states.T @ v0_states - h1_probs.T @ v1_states) / batch
    return dW, (h0_states - h1_probs).mean(axis=0), (v0 - v1_probs).mean(axis=0)
