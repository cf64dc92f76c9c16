"""The ``torch-cuda`` backend: PyTorch CD-1 on a CUDA GPU (see :mod:`.torch_backend`).

Both PyTorch backends live in :mod:`.torch_backend`; this module only names the CUDA one
for the registry, which takes one ``BACKEND`` per module.
"""

from __future__ import annotations

from .torch_backend import TorchCudaBackend

BACKEND = TorchCudaBackend
