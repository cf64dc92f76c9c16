"""Pseudo-likelihood of a binary RBM, exactly and without overflow.

The pseudo-likelihood of a row ``v`` is ``sum_i log P(v_i | v_-i)``: each feature's
probability given all the others, which needs no partition function. scikit-learn's
``BernoulliRBM.score_samples`` estimates it from one random feature per row; here every
feature is summed, which is that estimator's expected value, deterministic, at about
``n_features`` times the cost of computing the hidden probabilities.
"""

from __future__ import annotations

import numpy as np

__all__ = ["log_conditionals"]


def _log1p_exp_negative_abs(z: np.ndarray) -> np.ndarray:
    """``log(1 + exp(-|z|))``: never overflows, and is exact where exp underflows."""
    return np.log1p(np.exp(-np.abs(z)))


def log_conditionals(
    V: np.ndarray, W: np.ndarray, hidden_bias: np.ndarray, visible_bias: np.ndarray
) -> np.ndarray:
    """``log P(v_i | v_-i)`` for every row of `V` and every feature ``i``.

    With the free energy ``F(v) = -v·visible_bias - sum_j softplus(a_j)``, where
    ``a = v Wᵀ + hidden_bias``, and ``v'`` the row with feature ``i`` flipped
    (``v'_i = 1 - v_i``, as in BernoulliRBM), ``log P(v_i | v_-i) = log logistic(F(v') - F(v))``.
    Flipping feature ``i`` shifts every pre-activation by ``s_ij = (1 - 2 v_i) W_ji``, and

    ``softplus(a + s) - softplus(a) = [max(a + s, 0) - max(a, 0)] + t(a + s) - t(a)``,
    ``t(z) = log(1 + exp(-|z|))``,

    whose bracket is written without subtracting large numbers (``max(s, -a)`` where
    ``a ≥ 0``). Every exponential has a non-positive argument, so nothing overflows
    however large the weights or pre-activations are.

    Parameters
    ----------
    V : ndarray of shape (n_samples, n_features)
        Visible values in [0, 1], float64.
    W : ndarray of shape (n_hidden, n_features)
    hidden_bias : ndarray of shape (n_hidden,)
    visible_bias : ndarray of shape (n_features,)

    Returns
    -------
    ndarray of shape (n_samples, n_features)
    """
    pre = V @ W.T + hidden_bias  # (n, H)
    flip = 1.0 - 2.0 * V  # (n, F): how far each feature moves when flipped
    shift = flip[:, :, None] * W.T[None, :, :]  # (n, F, H)
    flipped = pre[:, None, :] + shift
    pre_b = pre[:, None, :]
    bracket = np.where(pre_b >= 0, np.maximum(shift, -pre_b), np.maximum(flipped, 0.0))
    softplus_change = (
        bracket.sum(axis=2)
        + _log1p_exp_negative_abs(flipped).sum(axis=2)
        - _log1p_exp_negative_abs(pre).sum(axis=1, keepdims=True)
    )
    # F(v') - F(v) = -flip_i visible_bias_i - sum_j [softplus(a'_j) - softplus(a_j)]
    free_energy_gain = -flip * visible_bias - softplus_change
    # log logistic(x) = -log(1 + exp(-x)), written with a non-positive exponent.
    return -(np.maximum(-free_energy_gain, 0.0) + _log1p_exp_negative_abs(free_energy_gain))
