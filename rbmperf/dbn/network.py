"""The deep network a DBN becomes: logistic hidden layers, then a softmax layer.

Each pre-trained RBM becomes a logistic layer ``h = logistic(v Wᵀ + b_hidden)``; its reverse
(visible) biases are dropped because the network only runs forwards. A softmax layer maps the
top features to the classes. The container holds trusted arrays (validation happens in the
estimator) and computes in their dtype.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..activations import logistic, softmax
from ..model import RBM

__all__ = ["DeepNetwork"]


@dataclass
class DeepNetwork:
    """Logistic hidden layers followed by a softmax output layer.

    Parameters
    ----------
    weights : list of ndarray
        Hidden layers, bottom first; ``weights[k]`` has shape (n_hidden_k, n_inputs_k).
        May be empty: then the network is the softmax layer alone.
    biases : list of ndarray
        ``biases[k]`` has shape (n_hidden_k,).
    output_weights : ndarray of shape (n_classes, n_top)
    output_bias : ndarray of shape (n_classes,)

    Examples
    --------
    >>> import numpy as np
    >>> network = DeepNetwork([np.zeros((3, 4))], [np.zeros(3)], np.zeros((2, 3)), np.zeros(2))
    >>> network.probabilities(np.ones((1, 4)))
    array([[0.5, 0.5]])
    """

    weights: list[np.ndarray]
    biases: list[np.ndarray]
    output_weights: np.ndarray
    output_bias: np.ndarray

    @classmethod
    def from_rbms(
        cls, rbms: Sequence[RBM], n_classes: int, rng: np.random.Generator
    ) -> DeepNetwork:
        """Copy the RBMs' forward weights and hidden biases; draw a small softmax layer.

        The softmax weights are N(0, 0.01²), drawn in float64 from `rng` and then cast to
        the RBMs' dtype; its biases start at zero.
        """
        dtype = rbms[0].dtype
        output_weights = 0.01 * rng.standard_normal((n_classes, rbms[-1].n_hidden))
        return cls(
            [rbm.W.copy() for rbm in rbms],
            [rbm.hidden_bias.copy() for rbm in rbms],
            output_weights.astype(dtype),
            np.zeros(n_classes, dtype=dtype),
        )

    @classmethod
    def of_rbms(
        cls, rbms: Sequence[RBM], output_weights: np.ndarray, output_bias: np.ndarray
    ) -> DeepNetwork:
        """The network the RBMs themselves form (sharing their arrays) under a softmax layer."""
        return cls(
            [rbm.W for rbm in rbms], [rbm.hidden_bias for rbm in rbms], output_weights, output_bias
        )

    def softmax_layer(self) -> DeepNetwork:
        """The softmax layer alone, sharing this network's arrays (training it trains them)."""
        return DeepNetwork([], [], self.output_weights, self.output_bias)

    @property
    def parameters(self) -> list[np.ndarray]:
        """Every parameter array: hidden weights, hidden biases, output weights, output bias."""
        return [*self.weights, *self.biases, self.output_weights, self.output_bias]

    def features(self, X: np.ndarray) -> np.ndarray:
        """Top hidden layer's activations for rows `X` (the input to the softmax layer)."""
        activations = X
        for weights, bias in zip(self.weights, self.biases, strict=True):
            activations = logistic(activations @ weights.T + bias)
        return activations

    def probabilities(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities for rows `X`, shape (n_samples, n_classes); rows sum to 1."""
        scores = self.features(X) @ self.output_weights.T + self.output_bias
        return softmax(scores, out=scores)
