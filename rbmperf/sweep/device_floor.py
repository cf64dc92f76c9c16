"""The floor on an accelerator: the five CD-1 products and the draws, on the device.

A backend that computes on a GPU is compared with what the GPU cannot avoid, not with the
host's floor: per mini-batch, the same five matrix products as :mod:`.floor`
(``v0·Wᵀ``, ``h0·W``, ``v1·Wᵀ``, ``h0ᵀ·v0``, ``h1ᵀ·v1``) and the ``B·(2V + H)`` uniforms,
drawn on the device, into preallocated tensors. On CUDA the step is captured once per
shape as a CUDA graph, like the ``torch-cuda`` backend's, so that the floor pays no more
launch overhead than the backend does. The data are moved to the device while the epoch is
set up (untimed), and every timed region starts and ends with the device idle
(:func:`~rbmperf.engine.regions.synchronized_epoch`).

A sweep adds this runner, named ``floor-<device>``, when a backend on that device is in it,
and records the backend's epochs with ``floor: floor-<device>`` so that the report divides
by the floor of the same device (:func:`rbmperf.sweep.summary.summarize`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine.regions import synchronized_epoch
from ..training import initial_rbm
from .runners import EpochSettings, Runner


def floor_name(device: str) -> str:
    """The series name of the floor measured on `device` (``"floor"`` on the host)."""
    return "floor" if device == "cpu" else f"floor-{device}"


class DeviceFloorBuffers:
    """Inputs and outputs of the floor's step on a device, for `rows` rows."""

    def __init__(self, rows: int, n_visible: int, n_hidden: int, dtype: Any, device: Any):
        import torch

        options = {"dtype": dtype, "device": device}
        self.key = (rows, n_visible, n_hidden, dtype, str(device))
        self.batch = torch.zeros(rows, n_visible, **options)
        self.uniforms = torch.zeros(rows * (2 * n_visible + n_hidden), **options)
        self.hidden = torch.zeros(rows, n_hidden, **options)
        self.visible = torch.zeros(rows, n_visible, **options)
        self.hidden_again = torch.zeros(rows, n_hidden, **options)
        self.outer = torch.zeros(n_hidden, n_visible, **options)
        self.outer_again = torch.zeros(n_hidden, n_visible, **options)


def device_floor_step(
    W: Any, buffers: DeviceFloorBuffers, generator: Any, *, draws: bool = True
) -> None:
    """The five products (and, with `draws`, the uniforms) of one step on the device."""
    import torch

    b = buffers
    if draws:
        b.uniforms.uniform_(generator=generator)
    torch.mm(b.batch, W.t(), out=b.hidden)  # v0·Wᵀ
    torch.mm(b.hidden, W, out=b.visible)  # h0·W
    torch.mm(b.visible, W.t(), out=b.hidden_again)  # v1·Wᵀ
    torch.mm(b.hidden.t(), b.batch, out=b.outer)  # h0ᵀ·v0
    torch.mm(b.hidden_again.t(), b.visible, out=b.outer_again)  # h1ᵀ·v1


class DeviceFloorRunner(Runner):
    """The floor on a torch device: five products + draws per mini-batch, graph-replayed.

    Parameters
    ----------
    device : str, default "cuda"
        The torch device. A CPU device runs the same code without graphs (for tests).
    draws : bool, default True
        Include the uniforms; without them this is the products-only time
        (``scripts/gpu_check.py`` measures both).
    """

    role = "floor"

    def __init__(self, device: str = "cuda", *, draws: bool = True):
        import torch

        self.device = device
        self.torch_device = torch.device(device)
        self.draws = draws
        self.name = floor_name(device) + ("" if draws else "-products")
        what = "five CD-1 matrix products" + (" + B·(2V+H) uniforms" if draws else " only")
        self.description = f"{what} per mini-batch on {device} (torch; CUDA graph per shape)"
        self._buffers: dict[tuple, DeviceFloorBuffers] = {}
        self._graphs: dict[tuple, Any] = {}
        self._weight_tensors: dict[tuple, Any] = {}
        self._generator: Any = None
        self.graph_status: dict[tuple, str] = {}

    def _on_cuda(self) -> bool:
        return self.torch_device.type == "cuda"

    def synchronize(self) -> None:
        if self._on_cuda():
            import torch

            torch.cuda.synchronize(self.torch_device)

    def prepare(self, dtype: np.dtype) -> float:
        import time

        began = time.perf_counter()
        import torch

        if self._generator is None:
            self._generator = torch.Generator(device=self.torch_device)
        return time.perf_counter() - began

    def _step(self, W: Any, rows: int, n_visible: int, n_hidden: int, dtype: Any):
        """The buffers and the call (a replayed graph on CUDA) for steps of `rows` rows."""
        from ..backends.torch_backend import capture_cuda_graph

        key = (rows, n_visible, n_hidden, dtype, W.data_ptr())
        if key not in self._buffers:
            self._buffers[key] = DeviceFloorBuffers(
                rows, n_visible, n_hidden, dtype, self.torch_device
            )
        buffers = self._buffers[key]

        def eager() -> None:
            device_floor_step(W, buffers, self._generator, draws=self.draws)

        if not self._on_cuda():
            return buffers, eager
        if key not in self.graph_status:
            try:
                graph = capture_cuda_graph(eager, self.torch_device, generators=(self._generator,))
            except Exception as error:
                self.graph_status[key] = f"eager: capture failed ({error})"
            else:
                self.graph_status[key] = "captured"
                self._graphs[key] = graph
        graph = self._graphs.get(key)
        return buffers, (graph.replay if graph is not None else eager)

    def step_call(self, batch: np.ndarray, settings: EpochSettings) -> Callable[[], None]:
        """One floor step on `batch`, as an epoch queues it (copy in, replay); no sync.

        For timing single steps with device events (``scripts/gpu_check.py``).
        """
        import torch

        from ..backends.torch_backend import _FullFloat32Products, torch_dtype

        if self._generator is None:
            self.prepare(batch.dtype)
        dtype = torch_dtype(batch.dtype)
        start = initial_rbm(batch.shape[1], settings.n_hidden, dtype=batch.dtype)
        W = self._weights(start.W, dtype)
        data = torch.from_numpy(batch).to(self.torch_device)
        with _FullFloat32Products():
            buffers, step = self._step(W, batch.shape[0], batch.shape[1], settings.n_hidden, dtype)

        def call() -> None:
            with _FullFloat32Products():
                buffers.batch.copy_(data)
                step()

        return call

    def setup(self, X: np.ndarray, settings: EpochSettings) -> Callable[[], object]:
        import torch

        from ..backends.torch_backend import _FullFloat32Products, torch_dtype

        if self._generator is None:
            self.prepare(X.dtype)
        dtype = torch_dtype(X.dtype)
        start = initial_rbm(X.shape[1], settings.n_hidden, dtype=X.dtype, seed=settings.seed)
        # One weight tensor per shape and dtype: graphs captured on it stay valid.
        W = self._weights(start.W, dtype)
        data = torch.from_numpy(X).to(self.torch_device)
        self._generator.manual_seed(settings.seed)
        steps = []
        with _FullFloat32Products():
            for first in range(0, X.shape[0], settings.batch_size):
                batch = data[first : first + settings.batch_size]
                buffers, call = self._step(W, batch.shape[0], X.shape[1], settings.n_hidden, dtype)
                steps.append((buffers.batch, batch, call))

        def epoch() -> None:
            with torch.no_grad(), _FullFloat32Products():
                for static_input, batch, call in steps:
                    static_input.copy_(batch)
                    call()

        return synchronized_epoch(epoch, self.synchronize)

    def _weights(self, W: np.ndarray, dtype: Any) -> Any:
        import torch

        key = (W.shape, dtype)
        if key not in self._weight_tensors:
            self._weight_tensors[key] = torch.empty(W.shape, dtype=dtype, device=self.torch_device)
        self._weight_tensors[key].copy_(torch.from_numpy(W))
        return self._weight_tensors[key]


def device_floor_runner(device: str) -> Runner:
    """The floor runner for backends that compute on `device` (not ``"cpu"``)."""
    return DeviceFloorRunner(device)
