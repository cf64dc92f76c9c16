"""The blog's configuration, and the epoch counts scaled from it to other data sizes.

The blog post trained on 42,000 MNIST images with mini-batches of 100, i.e. 420 updates per
epoch: 30 pre-training epochs per layer, 10 softmax epochs and 10 backprop epochs. A small
data set gets far fewer updates per epoch (the 1,257 training digits of the scikit-learn set
give 13), so by default each phase gets the blog's epoch count scaled by
``420 / updates_per_epoch``, never less than the blog's count and capped at 10 times it. On
42,000 samples or more that is exactly the blog's configuration; on the digits set it is
300 / 100 / 100. Every count can be set explicitly.
"""

from __future__ import annotations

import math

__all__ = [
    "BLOG_BATCH_SIZE",
    "BLOG_FINETUNE_EPOCHS",
    "BLOG_PRETRAIN_EPOCHS",
    "BLOG_SAMPLES",
    "BLOG_SOFTMAX_EPOCHS",
    "EPOCH_CAP_MULTIPLE",
    "default_epochs",
    "phase_epochs",
]

# The blog's configuration: 42,000 samples, batches of 100 → 420 updates per epoch.
BLOG_SAMPLES = 42_000
BLOG_BATCH_SIZE = 100
BLOG_PRETRAIN_EPOCHS = 30
BLOG_SOFTMAX_EPOCHS = 10
BLOG_FINETUNE_EPOCHS = 10
# Small data sets get at most this many times the blog's epochs.
EPOCH_CAP_MULTIPLE = 10


def default_epochs(blog_epochs: int, n_samples: int, batch_size: int = BLOG_BATCH_SIZE) -> int:
    """Scale one of the blog's epoch counts to a data set of `n_samples` rows.

    The count is chosen so the number of mini-batch updates matches the blog's
    (``blog_epochs × 420``), but it is never below `blog_epochs` and never above
    ``10 × blog_epochs``.

    Parameters
    ----------
    blog_epochs : int
        The blog's count for this phase (30 pre-training, 10 softmax, 10 backprop).
    n_samples : int
        Training rows.
    batch_size : int, default 100

    Returns
    -------
    int

    Examples
    --------
    >>> default_epochs(30, 42_000), default_epochs(30, 1_257), default_epochs(10, 5_000)
    (30, 300, 84)
    """
    blog_updates = blog_epochs * math.ceil(BLOG_SAMPLES / BLOG_BATCH_SIZE)
    updates_per_epoch = math.ceil(n_samples / batch_size)
    scaled = round(blog_updates / updates_per_epoch)
    return int(min(max(scaled, blog_epochs), EPOCH_CAP_MULTIPLE * blog_epochs))


def phase_epochs(
    n_samples: int,
    batch_size: int,
    *,
    pretrain: int | None = None,
    softmax: int | None = None,
    finetune: int | None = None,
) -> dict[str, int]:
    """Epochs of each phase on `n_samples` rows: the explicit counts, else the scaled defaults.

    Parameters
    ----------
    n_samples : int
        Training rows.
    batch_size : int
        Rows per mini-batch.
    pretrain, softmax, finetune : int or None
        Explicit counts; ``None`` takes :func:`default_epochs` of the blog's 30 / 10 / 10.

    Returns
    -------
    dict
        ``{"pretrain": ..., "softmax": ..., "finetune": ...}``.

    Examples
    --------
    >>> phase_epochs(1_257, 100, finetune=7)
    {'pretrain': 300, 'softmax': 100, 'finetune': 7}
    """

    def pick(explicit: int | None, blog_epochs: int) -> int:
        if explicit is not None:
            return explicit
        return default_epochs(blog_epochs, n_samples, batch_size)

    return {
        "pretrain": pick(pretrain, BLOG_PRETRAIN_EPOCHS),
        "softmax": pick(softmax, BLOG_SOFTMAX_EPOCHS),
        "finetune": pick(finetune, BLOG_FINETUNE_EPOCHS),
    }
