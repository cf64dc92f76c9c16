"""Plain JSON values from the numpy scalars, arrays and paths that records and metadata hold."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

__all__ = ["to_jsonable"]


def to_jsonable(value: Any) -> Any:
    """Return `value` rebuilt from values :func:`json.dumps` can write.

    Dicts (keys become strings), lists and tuples (both become lists) are converted item by
    item; numpy arrays become nested lists and numpy scalars Python scalars; paths become
    strings. Any other object that JSON has no type for is written as its ``str()``, so a
    results record or a model's metadata never fails to save over one odd value.

    Parameters
    ----------
    value : object

    Returns
    -------
    object
        Built only of dict, list, str, int, float, bool and None.

    Examples
    --------
    >>> import numpy as np
    >>> to_jsonable({"seconds": np.float32(0.5), 1: (np.arange(2), None)})
    {'seconds': 0.5, '1': [[0, 1], None]}
    """
    if isinstance(value, dict):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(item) for item in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return str(value)
