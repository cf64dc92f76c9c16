"""Parameter containers for a restricted Boltzmann machine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .activations import logistic
from .errors import InputError
from .validation import check_data


@dataclass
class RBM:
    """A binary restricted Boltzmann machine.

    Parameters
    ----------
    W : ndarray of shape (n_hidden, n_visible)
        Weights; row ``j`` connects hidden unit ``j`` to every visible unit.
    hidden_bias : ndarray of shape (n_hidden,)
        Biases of the hidden units (the blog's "forward bias").
    visible_bias : ndarray of shape (n_visible,)
        Biases of the visible units (the blog's "reverse bias").
    info : dict
        Free-form training record (backend, timings, settings); not used in computation.

    Examples
    --------
    >>> import numpy as np
    >>> from rbmperf import train_rbm
    >>> X = np.random.default_rng(0).random((50, 16)).round()
    >>> rbm = train_rbm(X, n_hidden=8, epochs=2, batch_size=10)
    >>> rbm.transform(X).shape
    (50, 8)
    """

    W: np.ndarray
    hidden_bias: np.ndarray
    visible_bias: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.W.ndim != 2:
            raise InputError(f"W must be 2-D (n_hidden, n_visible); got shape {self.W.shape}")
        n_hidden, n_visible = self.W.shape
        if self.hidden_bias.shape != (n_hidden,):
            raise InputError(
                f"hidden_bias must have shape ({n_hidden},); got {self.hidden_bias.shape}"
            )
        if self.visible_bias.shape != (n_visible,):
            raise InputError(
                f"visible_bias must have shape ({n_visible},); got {self.visible_bias.shape}"
            )

    @property
    def n_hidden(self) -> int:
        """Number of hidden units."""
        return int(self.W.shape[0])

    @property
    def n_visible(self) -> int:
        """Number of visible units (features)."""
        return int(self.W.shape[1])

    @property
    def dtype(self) -> np.dtype:
        """Floating dtype of the parameters."""
        return self.W.dtype

    def _check(self, X: object) -> np.ndarray:
        return check_data(X, dtype=self.dtype, n_features=self.n_visible)

    def hidden_probabilities(self, visible: np.ndarray) -> np.ndarray:
        """Hidden probabilities for trusted visible values (no validation)."""
        return logistic(visible @ self.W.T + self.hidden_bias)

    def visible_probabilities(self, hidden: np.ndarray) -> np.ndarray:
        """Visible probabilities for trusted hidden values (no validation)."""
        return logistic(hidden @ self.W + self.visible_bias)

    def transform(self, X: object) -> np.ndarray:
        """Return the hidden-unit probabilities for `X`.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_visible)
            Values in [0, 1].

        Returns
        -------
        ndarray of shape (n_samples, n_hidden)
        """
        return self.hidden_probabilities(self._check(X))

    def reconstruct(self, X: object) -> np.ndarray:
        """Return visible probabilities after one deterministic up-down pass.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_visible)

        Returns
        -------
        ndarray of shape (n_samples, n_visible)
        """
        return self.visible_probabilities(self.hidden_probabilities(self._check(X)))

    def reconstruction_error(self, X: object) -> float:
        """Mean squared difference between `X` and its reconstruction.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_visible)

        Returns
        -------
        float
        """
        data = self._check(X)
        difference = self.visible_probabilities(self.hidden_probabilities(data)) - data
        return float(np.mean(np.square(difference, dtype=np.float64)))
