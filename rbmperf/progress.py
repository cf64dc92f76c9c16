"""The one progress-bar factory: every training loop shows its epochs the same way."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tqdm import tqdm

__all__ = ["progress_bar"]


def progress_bar(total: int, description: str, *, enabled: bool = True) -> tqdm | None:
    """Return a bar counting `total` epochs, or None when `enabled` is false.

    tqdm is imported only when a bar is shown, so that ``import rbmperf`` stays light and
    quiet runs never touch it; ``tqdm.auto`` picks a notebook widget when there is one.

    Parameters
    ----------
    total : int
        Epochs the loop will run.
    description : str
        Label on the left of the bar.
    enabled : bool, default True
        False returns None, so callers write ``if bar is not None`` instead of two code paths.

    Returns
    -------
    tqdm or None
        The caller calls ``set_postfix``, ``update(1)`` per epoch and ``close()`` at the end.

    Examples
    --------
    >>> progress_bar(10, "softmax", enabled=False) is None
    True
    """
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=description, unit="epoch", leave=True)
