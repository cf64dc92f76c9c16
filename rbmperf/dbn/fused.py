"""The supervised phases' momentum step as one pass over each parameter (numba), or numpy.

``speed = momentum · speed − gradient; param += learning_rate · speed`` costs numpy four
passes over three arrays (``speed *= m``, ``speed -= g``, ``g = lr · speed``,
``param += g``); the compiled loop reads each array once and writes two. It rounds exactly
as the numpy passes do (each operation is the same IEEE operation, in the same order, with
no contraction into fused multiply-adds), so the two are bitwise the same and either may
run. Without numba the numpy passes run.
"""

from __future__ import annotations

import numpy as np

try:
    import numba
except ImportError:  # pragma: no cover - numba is installed wherever the tests run
    numba = None

__all__ = ["descend"]


def _descend_numpy(
    param: np.ndarray, speed: np.ndarray, grad: np.ndarray, learning_rate, momentum
) -> None:
    speed *= momentum
    speed -= grad
    np.multiply(speed, learning_rate, out=grad)
    param += grad


if numba is not None:

    @numba.njit(nogil=True, cache=True, error_model="numpy")
    def _descend_flat(param, speed, grad, learning_rate, momentum):
        for k in range(param.size):
            s = speed[k] * momentum - grad[k]
            speed[k] = s
            param[k] += s * learning_rate


def descend(
    param: np.ndarray,
    speed: np.ndarray,
    grad: np.ndarray,
    learning_rate: float,
    momentum: float,
) -> None:
    """One momentum step of `param` in place (`speed` updated, `grad` used as scratch).

    All three arrays C-contiguous, of one shape and dtype; `learning_rate` and `momentum`
    in the arrays' dtype, so that float32 stays float32.
    """
    if numba is None:
        _descend_numpy(param, speed, grad, learning_rate, momentum)
    else:
        _descend_flat(
            param.reshape(-1), speed.reshape(-1), grad.reshape(-1), learning_rate, momentum
        )
