"""rbmperf: RBM / DBN training behind interchangeable backends, and the tools to time them.

The public API: :class:`RBM`, :func:`train_rbm`, :func:`available_backends`,
:func:`get_backend`, :func:`backend_status`.
"""

from .backends import available_backends, backend_status, get_backend, register_backend
from .model import RBM
from .training import initial_rbm, train_rbm

__all__ = [
    "RBM",
    "available_backends",
    "backend_status",
    "get_backend",
    "initial_rbm",
    "register_backend",
    "train_rbm",
]

__version__ = "0.1.0"
