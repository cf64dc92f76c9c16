"""The blog's original implementation, slowdown included.

Why it is slow
--------------
The blog's mini-batch generator was::

    val[:, i:i+mini_batch_size] if len(np.shape(val)) > 2 and np.shape(val)[1] == data_len
    else val

and the post blamed the conditional expression ("the ternary operator breaks the ability of
the interpreter to compile this into efficient code"). That is not the cause. The data is a
2-D array, so ``len(np.shape(val)) > 2`` is never true, the slice is never taken, and every
"mini-batch" the generator yields is the *whole data set*. One epoch therefore runs
``ceil(N / B)`` CD-1 steps on all ``N`` samples: its cost grows as ``N²``, not ``N``.
Changing ``> 2`` to ``>= 2`` alone makes it linear; the conditional expression costs
nothing measurable.

This backend reproduces that generator faithfully (transposed to our samples × features
layout: the condition compares the row count) and a plain, allocating port of the blog's
``cd1``, so that its cost curve is the blog's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ..activations import logistic
from .base import Backend, Gradient, Uniforms


def extract_mini_batch(
    data: dict[str, Any], mini_batch_size: int = 100
) -> Iterator[dict[str, Any]]:
    """The blog's generator, faithfully: yields the whole data set ``ceil(N / B)`` times.

    The condition ``len(np.shape(val)) > 2`` is never true for a 2-D data matrix, so no
    value is ever sliced.
    """
    data_len = np.shape(data["data"])[0]
    return (
        {
            key: (
                val[i : i + mini_batch_size]
                if len(np.shape(val)) > 2 and np.shape(val)[0] == data_len
                else val
            )
            for key, val in data.items()
        }
        for i in range(0, data_len, mini_batch_size)
    )


def sample_bernoulli(probabilities: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """States that are on where the probability exceeds its uniform."""
    return (probabilities > uniforms).astype(probabilities.dtype)


class NaiveBackend(Backend):
    """The blog's generator mini-batcher and allocating CD-1 (quadratic epochs)."""

    name = "naive"
    description = "blog's generator mini-batcher: every batch is the whole data set (O(N²))"

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
        n_cases = v0.shape[0]
        vis_prob_0 = v0
        vis_states_0 = sample_bernoulli(vis_prob_0, uniforms[0]) if sample_data else vis_prob_0
        hid_prob_0 = logistic(vis_states_0 @ W.T + hidden_bias)
        hid_states_0 = sample_bernoulli(hid_prob_0, uniforms[1])
        vis_prob_n = logistic(hid_states_0 @ W + visible_bias)
        vis_states_n = sample_bernoulli(vis_prob_n, uniforms[2])
        hid_prob_n = logistic(vis_states_n @ W.T + hidden_bias)
        vh0 = hid_states_0.T @ vis_states_0 / n_cases
        vh1 = hid_prob_n.T @ vis_states_n / n_cases
        return (
            vh0 - vh1,
            np.mean(hid_states_0 - hid_prob_n, axis=0),
            np.mean(vis_prob_0 - vis_prob_n, axis=0),
        )

    def mini_batches(self, X: np.ndarray, batch_size: int) -> Iterator[np.ndarray]:
        for mini_batch in extract_mini_batch({"data": X}, batch_size):
            yield mini_batch["data"]


BACKEND = NaiveBackend
