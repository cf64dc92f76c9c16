"""scikit-learn estimators over rbmperf: use its backends in a ``Pipeline``.

- :class:`RBMTransformer`: RBM features, a drop-in for ``BernoulliRBM`` trained by any
  rbmperf backend.
- :class:`DBNClassifier`: the fine-tuned deep belief net of ``rbmperf train``.

Both are thin wrappers: the training is :func:`rbmperf.train_rbm`'s building blocks
(:func:`rbmperf.initial_rbm`, the backends' ``run_epoch``) and :class:`rbmperf.DBN`. Both
pass scikit-learn's ``parametrize_with_checks``, clone, pickle, and work in ``Pipeline``,
``GridSearchCV`` and ``cross_val_score``. They need scikit-learn ≥ 1.6 (its
``validate_data`` and ``__sklearn_tags__``).

Input values outside [0, 1] are clipped into it, with an :class:`InputRangeWarning` at
``fit``: see :mod:`rbmperf.sklearn._input` for why.
"""

from __future__ import annotations

from ._input import InputRangeWarning
from .classifier import DBNClassifier
from .transformer import RBMTransformer

__all__ = ["DBNClassifier", "InputRangeWarning", "RBMTransformer"]
