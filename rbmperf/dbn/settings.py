"""A DBN's settings: validated once, when the model is made, and saved with it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass, fields
from typing import Any

import numpy as np

from ..errors import InputError, InputTypeError
from ..validation import check_dtype, check_float, check_int, check_momentum
from .schedule import phase_epochs

__all__ = ["DBNSettings"]


@dataclass(eq=False, repr=False)
class DBNSettings:
    """The constructor arguments of :class:`rbmperf.DBN`, checked at the public boundary.

    Each field is documented on :class:`rbmperf.DBN`. After construction `layers` is a tuple
    of ints and `dtype` a numpy dtype; everything else keeps the type it was given.

    Examples
    --------
    >>> DBNSettings((20, 10), finetune_epochs=5).epochs_for(42_000)
    {'pretrain': 30, 'softmax': 10, 'finetune': 5}
    """

    layers: Sequence[int] = (300, 300)
    _: KW_ONLY
    backend: str = "auto"
    dtype: Any = "float64"
    seed: int = 0
    batch_size: int = 100
    pretrain_epochs: int | None = None
    softmax_epochs: int | None = None
    finetune_epochs: int | None = None
    pretrain_learning_rate: float = 0.1
    softmax_learning_rate: float = 0.1
    finetune_learning_rate: float = 0.1
    momentum: float = 0.9

    def __post_init__(self) -> None:
        layers = self.layers
        if isinstance(layers, (int, np.integer)) or not isinstance(layers, Sequence):
            raise InputTypeError(f"layers must be a sequence of ints; got {layers!r}")
        if len(layers) == 0:
            raise InputError("layers must name at least one hidden layer")
        self.layers = tuple(check_int(n, "each layer size", minimum=1) for n in layers)
        self.backend = str(self.backend)
        self.dtype = check_dtype(self.dtype)
        self.seed = check_int(self.seed, "seed", minimum=0)
        self.batch_size = check_int(self.batch_size, "batch_size", minimum=1)
        for name in ("pretrain_epochs", "softmax_epochs", "finetune_epochs"):
            if getattr(self, name) is not None:
                check_int(getattr(self, name), name, minimum=0)
        for name in ("pretrain_learning_rate", "softmax_learning_rate", "finetune_learning_rate"):
            setattr(self, name, check_float(getattr(self, name), name, minimum=0.0))
        self.momentum = check_momentum(self.momentum)

    def settings(self) -> dict[str, Any]:
        """The constructor arguments, as plain Python values (saved with the model)."""
        values = {field.name: getattr(self, field.name) for field in fields(DBNSettings)}
        return values | {"layers": list(self.layers), "dtype": self.dtype.name}

    def epochs_for(self, n_samples: int) -> dict[str, int]:
        """Epochs each phase will run on `n_samples` rows (explicit settings win)."""
        return phase_epochs(
            n_samples,
            self.batch_size,
            pretrain=self.pretrain_epochs,
            softmax=self.softmax_epochs,
            finetune=self.finetune_epochs,
        )

    @property
    def resolved_backend(self) -> str:
        """The backend that trains the RBMs: `backend` itself, or what ``"auto"`` picks here."""
        from ..backends import AUTO, auto_backend

        return auto_backend() if self.backend == AUTO else self.backend

    def __repr__(self) -> str:
        backend = repr(self.backend)
        if self.backend == "auto":
            backend += f" ({self.resolved_backend})"
        return (
            f"{type(self).__name__}(layers={self.layers}, backend={backend}, "
            f"dtype={self.dtype.name!r}, seed={self.seed})"
        )
