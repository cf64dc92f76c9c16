"""Deep belief nets: greedy RBM pre-training, then a fine-tuned deep network with softmax.

The pipeline follows the blog post (Hinton's recipe, as in his Coursera course):

1. **Greedy pre-training** (:mod:`.pretraining`). RBM 1 is trained with CD-1 on the data;
   RBM ``k`` is trained on the hidden probabilities of RBM ``k − 1``. Any registered backend
   trains the RBMs (this is the part the backends are benchmarked on).
2. **A deep network from the RBMs** (:mod:`.network`). Each RBM becomes a logistic layer
   ``h = logistic(v Wᵀ + b_hidden)``; its reverse (visible) biases are dropped because the
   network only runs forwards. A softmax layer maps the top features to the classes.
3. **Softmax first** (:mod:`.backprop`). With the RBM layers frozen, the softmax layer alone
   is trained on the top features (multinomial logistic regression): the "DBN without
   fine-tuning".
4. **Backprop** (:mod:`.backprop`). Every layer is then trained with momentum mini-batch
   gradient descent on the mean cross-entropy, using the same momentum rule as pre-training:
   ``speed = momentum * speed - gradient; param += learning_rate * speed``.

Epoch counts default to the blog's 30 / 10 / 10, scaled to the data size
(:mod:`.schedule`, :func:`default_epochs`). :class:`DBN` (:mod:`.estimator`) composes the
phases; :mod:`.persistence` saves and loads fitted models as ``.npz`` files.
"""

from __future__ import annotations

from .estimator import DBN
from .network import DeepNetwork
from .schedule import (
    BLOG_BATCH_SIZE,
    BLOG_FINETUNE_EPOCHS,
    BLOG_PRETRAIN_EPOCHS,
    BLOG_SAMPLES,
    BLOG_SOFTMAX_EPOCHS,
    default_epochs,
)
from .settings import DBNSettings

__all__ = [
    "BLOG_BATCH_SIZE",
    "BLOG_FINETUNE_EPOCHS",
    "BLOG_PRETRAIN_EPOCHS",
    "BLOG_SAMPLES",
    "BLOG_SOFTMAX_EPOCHS",
    "DBN",
    "DBNSettings",
    "DeepNetwork",
    "default_epochs",
]
