"""CD-1 in PyTorch: the ``torch`` backend (CPU) and the ``torch-cuda`` backend (a CUDA GPU).

Both run the same step, written once over preallocated tensors so that no mini-batch
allocates:

1. the step's ``B·(2V + H)`` uniforms are drawn on the device into one buffer, from a
   ``torch.Generator`` on that device seeded, once per epoch, from the numpy ``Generator``
   the epoch is given (so a seed gives the same weights on a rerun on the same device; the
   stream is torch's, not numpy's, so the weights differ from the numpy backends');
2. the forward sampling: ``torch.addmm`` fuses each bias into its matrix product, the
   logistic and the comparisons write into the buffers in place;
3. the gradient is never materialised: with ``left = [h0 ; −h1_probs]`` (2B × H) and
   ``right = [v0 ; v1]`` (2B × V), the momentum update of W is one matrix product,
   ``W_speed ← momentum·W_speed + (1/B)·leftᵀ·right`` (``addmm_`` with ``beta`` and
   ``alpha``), and the biases' updates are matrix-vector products against a vector of ones.

That is the five products of the floor (the two outer products fused into one), three
bias-fused products' worth of element-wise work, and four small updates.

The CPU backend works on the numpy arrays' own memory (``torch.from_numpy`` shares it): the
training state is updated in place, the data never copied. Its intra-op threads follow the
BLAS thread limit in force when it is prepared (threadpoolctl), so one ``--threads`` setting
means the same for it as for numpy's BLAS.

The CUDA backend keeps the epoch on the device:

- the data are moved to the device once and kept there while the same array is trained on
  (the cache holds a reference to the array, so its memory cannot be reused by another;
  like ``train_rbm``, it trusts that the data are not modified between epochs);
- the training state is copied to the device at the start of an epoch and back at its
  end; in between nothing waits for the device: each step is a copy of the mini-batch into
  the step's input buffer and a replay of the step, captured once per shape (rows, V, H,
  dtype) as a CUDA graph, so the host only queues work;
- float32 matrix products run in full float32 (TF32 off: ``torch.backends.cuda.matmul``
  precision "highest"), so the gradient matches the reference within 1e-4 (float64: 1e-10).

Timing is not done here: :meth:`TorchCudaBackend.synchronize` waits for the device, and
the timing code (:mod:`rbmperf.engine.regions`) calls it at the edges of timed regions.
"""

from __future__ import annotations

import ctypes
import importlib.util
import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from ..validation import check_bool, check_dtype
from .base import Backend, BackendUnavailable, Gradient, PerThread, TrainingState, Uniforms

if TYPE_CHECKING:  # pragma: no cover
    import torch

INSTALL_HINT = "pip install 'rbmperf[torch]' (torch==2.13.0 is the CPU wheel)"


def torch_unavailable_reason() -> str | None:
    """Why torch cannot be used here (None if it can), without importing it."""
    if importlib.util.find_spec("torch") is None:
        return f"needs torch, which is not installed: {INSTALL_HINT}"
    return None


def _cuda_driver_found() -> bool:
    """Whether the NVIDIA driver's library loads: a cheap test before importing torch."""
    names = {"win32": ("nvcuda.dll",), "darwin": ()}.get(
        sys.platform, ("libcuda.so.1", "libcuda.so")
    )
    for name in names:
        try:
            ctypes.CDLL(name)
        except OSError:
            continue
        return True
    return False


def cuda_unavailable_reason() -> str | None:
    """Why the ``torch-cuda`` backend cannot run here, or None if a CUDA device is usable.

    Checks, cheapest first: torch installed; the NVIDIA driver present (without importing
    torch, so machines without a GPU pay nothing); torch built with CUDA; a device visible.
    """
    reason = torch_unavailable_reason()
    if reason is not None:
        return reason
    if not _cuda_driver_found():
        return "needs an NVIDIA GPU: no CUDA driver found here (libcuda does not load)"
    import torch

    if torch.version.cuda is None:
        return (
            f"needs a CUDA build of torch; torch {torch.__version__} is built without CUDA "
            "(the CPU wheel)"
        )
    if not torch.cuda.is_available():
        return f"torch {torch.__version__} (CUDA {torch.version.cuda}) sees no CUDA device"
    return None


def torch_dtype(dtype: np.dtype) -> torch.dtype:
    """The torch dtype of a numpy float dtype."""
    import torch

    return {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}[
        np.dtype(dtype)
    ]


def _blas_threads_in_force() -> int | None:
    """The smallest thread count of the BLAS libraries threadpoolctl sees (None if none)."""
    from threadpoolctl import threadpool_info

    counts = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    return min(counts) if counts else None


class _FullFloat32Products:
    """Within: float32 matrix products in full float32 (no TF32, no bfloat16); restored after."""

    def __enter__(self) -> None:
        import torch

        self._previous = torch.get_float32_matmul_precision()
        torch.set_float32_matmul_precision("highest")

    def __exit__(self, *exc: object) -> None:
        import torch

        torch.set_float32_matmul_precision(self._previous)


class StepBuffers:
    """Every tensor one CD-1 step of up to `rows` rows writes, on one device.

    ``uniforms`` is one buffer of ``rows·(2V + H)`` values, filled by one draw per step;
    ``u_v0``, ``u_h0``, ``u_v1`` are views of it. ``right = [v0 ; v1]`` holds the sampled
    visible states, ``left = [h0 ; −h1_probs]`` the hidden ones, so that ``leftᵀ·right``
    is B times the weight gradient and ``leftᵀ·1`` B times the hidden-bias gradient.
    ``batch`` is the step's input, for graph replays (a CUDA graph reads fixed addresses).
    """

    def __init__(self, rows: int, n_visible: int, n_hidden: int, dtype: Any, device: Any):
        import torch

        options = {"dtype": dtype, "device": device}
        self.key = (rows, n_visible, n_hidden, dtype, str(device))
        self.rows = rows
        self.uniforms = torch.zeros(rows * (2 * n_visible + n_hidden), **options)
        v_size, h_size = rows * n_visible, rows * n_hidden
        self.u_v0 = self.uniforms[:v_size].view(rows, n_visible)
        self.u_h0 = self.uniforms[v_size : v_size + h_size].view(rows, n_hidden)
        self.u_v1 = self.uniforms[v_size + h_size :].view(rows, n_visible)
        self.batch = torch.zeros(rows, n_visible, **options)
        self.right = torch.zeros(2 * rows, n_visible, **options)
        self.left = torch.zeros(2 * rows, n_hidden, **options)
        self.v0 = self.right[:rows]
        self.v1 = self.right[rows:]
        self.h0 = self.left[:rows]
        self.h1 = self.left[rows:]
        self.hidden_pre = torch.zeros(rows, n_hidden, **options)
        self.v1_probs = torch.zeros(rows, n_visible, **options)
        self.ones = torch.ones(2 * rows, **options)


def sample_chain(
    buffers: StepBuffers,
    W: torch.Tensor,
    hidden_bias: torch.Tensor,
    visible_bias: torch.Tensor,
    batch: torch.Tensor,
    sample_data: bool = True,
) -> None:
    """The sampling half of CD-1 on `batch`, with the uniforms already in `buffers`.

    Leaves ``right = [v0 ; v1]``, ``left = [h0 ; −h1_probs]`` and ``v1_probs`` filled. With
    `sample_data` False v0 is `batch` itself (``u_v0`` drawn but unused).
    """
    import torch

    b = buffers
    if sample_data:
        torch.gt(batch, b.u_v0, out=b.v0)
    else:
        b.v0.copy_(batch)
    torch.addmm(hidden_bias, b.v0, W.t(), out=b.hidden_pre)
    torch.sigmoid(b.hidden_pre, out=b.hidden_pre)
    torch.gt(b.hidden_pre, b.u_h0, out=b.h0)
    torch.addmm(visible_bias, b.h0, W, out=b.v1_probs)
    torch.sigmoid(b.v1_probs, out=b.v1_probs)
    torch.gt(b.v1_probs, b.u_v1, out=b.v1)
    torch.addmm(hidden_bias, b.v1, W.t(), out=b.h1)
    # −sigmoid(x): h1 is stored negated so that leftᵀ·right is h0ᵀv0 − h1ᵀv1 in one product.
    torch.sigmoid(b.h1, out=b.h1)
    b.h1.neg_()


def capture_cuda_graph(step, device: Any, generators: tuple = ()) -> Any:
    """Capture `step` (a call that only queues CUDA work on fixed tensors) as a CUDA graph.

    `step` runs twice first, on a side stream, as graph capture requires (it creates
    cuBLAS's handles and workspaces outside the capture), so whatever it writes changes.
    Generators other than the default one must be registered with the graph, so that each
    replay advances them (and a seed set between replays takes effect).
    """
    import torch

    graph = torch.cuda.CUDAGraph()
    for generator in generators:
        graph.register_generator_state(generator)
    side = torch.cuda.Stream(device)
    side.wait_stream(torch.cuda.current_stream(device))
    with torch.cuda.stream(side):
        for _ in range(2):
            step()
    torch.cuda.current_stream(device).wait_stream(side)
    with torch.cuda.graph(graph):
        step()
    return graph


class DeviceState:
    """The training state's tensors on the device (CPU: views of the numpy arrays)."""

    def __init__(self, tensors: list[torch.Tensor]):
        self.W, self.hidden_bias, self.visible_bias = tensors[:3]
        self.W_speed, self.hidden_speed, self.visible_speed = tensors[3:]
        self.tensors = tensors


def _state_arrays(state: TrainingState) -> list[np.ndarray]:
    return [
        state.W,
        state.hidden_bias,
        state.visible_bias,
        state.W_speed,
        state.hidden_speed,
        state.visible_speed,
    ]


def momentum_update(
    buffers: StepBuffers,
    params: DeviceState,
    batch: torch.Tensor,
    learning_rate: float,
    momentum: float,
) -> None:
    """The blog's momentum rule with the CD-1 gradient folded into the speed updates.

    ``speed ← momentum·speed + gradient`` is one ``addmm_`` / ``addmv_`` per parameter
    (``beta`` = momentum, ``alpha`` = 1/B), then ``param ← param + learning_rate·speed``.
    """
    b, p = buffers, params
    rows = batch.shape[0]
    scale = 1.0 / rows
    p.W_speed.addmm_(b.left.t(), b.right, beta=momentum, alpha=scale)
    p.W.add_(p.W_speed, alpha=learning_rate)
    p.hidden_speed.addmv_(b.left.t(), b.ones, beta=momentum, alpha=scale)
    p.hidden_bias.add_(p.hidden_speed, alpha=learning_rate)
    ones = b.ones[:rows]
    p.visible_speed.addmv_(batch.t(), ones, beta=momentum, alpha=scale)
    p.visible_speed.addmv_(b.v1_probs.t(), ones, alpha=-scale)
    p.visible_bias.add_(p.visible_speed, alpha=learning_rate)


class TorchBackend(Backend):
    """CD-1 in PyTorch on the CPU, over the numpy arrays' own memory."""

    name = "torch"
    description = (
        "PyTorch on the CPU: preallocated tensors, bias-fused addmm, gradient folded into "
        "the momentum update; torch Generator RNG"
    )
    device = "cpu"

    # Buffers per step shape and the device generator, one set per thread: the backend
    # object is shared by every thread of the process.
    _buffers = PerThread(dict)
    _generator = PerThread()

    def __init__(self) -> None:
        reason = self._unavailable_reason()
        if reason is not None:
            raise BackendUnavailable(reason)

    # --- what differs between devices ------------------------------------------------------

    def _unavailable_reason(self) -> str | None:
        return torch_unavailable_reason()

    def _torch_device(self) -> Any:
        import torch

        return torch.device("cpu")

    def _state_on_device(self, state: TrainingState) -> DeviceState:
        import torch

        return DeviceState([torch.from_numpy(array) for array in _state_arrays(state)])

    def _state_back(self, params: DeviceState, state: TrainingState) -> None:
        """Nothing to do on the CPU: the tensors are the state's own memory."""

    def _data_on_device(self, X: np.ndarray) -> torch.Tensor:
        import torch

        return torch.from_numpy(X)

    def _run_steps(
        self, steps: list[tuple[StepBuffers, torch.Tensor]], params, lr, m, sample_data
    ) -> None:
        for buffers, batch in steps:
            buffers.uniforms.uniform_(generator=self._generator)
            sample_chain(
                buffers, params.W, params.hidden_bias, params.visible_bias, batch, sample_data
            )
            momentum_update(buffers, params, batch, lr, m)

    # --- the contract -----------------------------------------------------------------------

    def prepare(self, dtype: np.dtype, *, sample_data: bool = True) -> float:
        import time

        check_dtype(dtype)
        check_bool(sample_data, "sample_data")
        began = time.perf_counter()
        import torch

        threads = _blas_threads_in_force()
        if threads is not None:
            torch.set_num_threads(threads)
        return time.perf_counter() - began

    def _step_buffers(self, rows: int, n_visible: int, n_hidden: int, dtype: Any) -> StepBuffers:
        key = (rows, n_visible, n_hidden, dtype, str(self._torch_device()))
        if key not in self._buffers:
            self._buffers[key] = StepBuffers(rows, n_visible, n_hidden, dtype, key[-1])
        return self._buffers[key]

    def _generator_from(self, rng: np.random.Generator) -> Any:
        import torch

        if self._generator is None:
            self._generator = torch.Generator(device=self._torch_device())
        self._generator.manual_seed(int(rng.integers(0, 2**63 - 1)))
        return self._generator

    def cd1(
        self,
        W: np.ndarray,
        hidden_bias: np.ndarray,
        visible_bias: np.ndarray,
        v0: np.ndarray,
        uniforms: Uniforms,
        *,
        sample_data: bool = True,
    ) -> Gradient:
        import torch

        device = self._torch_device()

        def put(array: np.ndarray) -> torch.Tensor:
            return torch.from_numpy(np.ascontiguousarray(array)).to(device)

        rows, n_visible = v0.shape
        dtype = torch_dtype(W.dtype)
        with torch.no_grad(), _FullFloat32Products():
            buffers = StepBuffers(rows, n_visible, W.shape[0], dtype, device)
            views = (buffers.u_v0, buffers.u_h0, buffers.u_v1)
            for view, given in zip(views, uniforms, strict=True):
                view.copy_(put(given.astype(W.dtype, copy=False)))
            W_t, hidden_t, visible_t, batch = (
                put(a) for a in (W, hidden_bias, visible_bias, v0.astype(W.dtype, copy=False))
            )
            sample_chain(buffers, W_t, hidden_t, visible_t, batch, sample_data)
            scale = 1.0 / rows
            dW = torch.mm(buffers.left.t(), buffers.right).mul_(scale)
            d_hidden = buffers.left.sum(0).mul_(scale)
            d_visible = (batch.sum(0) - buffers.v1_probs.sum(0)).mul_(scale)
            return tuple(t.cpu().numpy().copy() for t in (dW, d_hidden, d_visible))

    def run_epoch(
        self,
        state: TrainingState,
        X: np.ndarray,
        batch_size: int,
        learning_rate: float,
        momentum: float,
        rng: np.random.Generator,
        *,
        sample_data: bool = True,
    ) -> None:
        import torch

        n_hidden, n_visible = state.W.shape
        n_rows = X.shape[0]
        if n_rows == 0:
            return
        dtype = torch_dtype(X.dtype)
        with torch.no_grad(), _FullFloat32Products():
            data = self._data_on_device(X)
            self._generator_from(rng)
            steps = []
            for start in range(0, n_rows, batch_size):
                batch = data[start : start + batch_size]
                rows = batch.shape[0]
                steps.append((self._step_buffers(rows, n_visible, n_hidden, dtype), batch))
            params = self._state_on_device(state)
            self._run_steps(steps, params, learning_rate, momentum, sample_data)
            self._state_back(params, state)


class TorchCudaBackend(TorchBackend):
    """CD-1 in PyTorch on a CUDA GPU: the epoch stays on the device, each step a graph replay.

    Parameters
    ----------
    device : str, default "cuda"
        The torch device. Anything but a CUDA device is for testing the device path (the
        data cache and the state's copies in and out) where no GPU is present.
    graphs : bool, default True
        Capture each step shape as a CUDA graph (CUDA devices only). Without graphs, or if
        a capture fails (the reason is kept in :attr:`graph_status`), steps run eagerly.
    """

    name = "torch-cuda"
    description = (
        "PyTorch on a CUDA GPU: data moved once, uniforms drawn on the device, each step a "
        "replayed CUDA graph, float32 without TF32"
    )
    device = "cuda"

    # The data on the device, device states and captured graphs: per thread, as the buffers.
    _data_cache = PerThread()
    _device_states = PerThread(dict)
    _captured = PerThread(dict)

    def __init__(self, device: str = "cuda", *, graphs: bool = True):
        self._device_string = device
        super().__init__()
        import torch

        self._device = torch.device(device)
        self.graphs = graphs and self._device.type == "cuda"
        # Per step shape: "captured" or "eager: <why>"; read by scripts/gpu_check.py.
        self.graph_status: dict[tuple, str] = {}
        # scripts/gpu_check.py sets "error": any host synchronisation inside the steps of an
        # epoch then raises (torch.cuda.set_sync_debug_mode).
        self.sync_debug_mode: str | None = None

    def _unavailable_reason(self) -> str | None:
        if self._device_string.startswith("cuda"):
            return cuda_unavailable_reason()
        return torch_unavailable_reason()

    def _torch_device(self) -> Any:
        return self._device

    def _on_cuda(self) -> bool:
        return self._device.type == "cuda"

    def synchronize(self) -> None:
        if self._on_cuda():
            import torch

            torch.cuda.synchronize(self._device)

    def device_name(self) -> str | None:
        import torch

        if not self._on_cuda():
            return f"torch device {self._device} (testing the device path)"
        properties = torch.cuda.get_device_properties(self._device)
        return (
            f"{properties.name}, {properties.total_memory / 2**30:.0f} GiB "
            f"(CUDA {torch.version.cuda}, torch {torch.__version__})"
        )

    def _data_on_device(self, X: np.ndarray) -> Any:
        """`X` on the device, moved once while the same array (or a prefix of it) is used."""
        import torch

        key = (X.__array_interface__["data"][0], X.shape, X.strides, X.dtype.str)
        if self._data_cache is not None:
            _, cached_key, tensor = self._data_cache
            same_start = cached_key[0] == key[0] and cached_key[2:] == key[2:]
            if same_start and cached_key[1][1:] == key[1][1:] and cached_key[1][0] >= key[1][0]:
                return tensor[: X.shape[0]]
        self._data_cache = None  # free the old copy before making the new one
        tensor = torch.from_numpy(X).to(self._device)
        # Holding X keeps its memory from being reused by another array with this address.
        self._data_cache = (X, key, tensor)
        return tensor

    def _device_state(self, state: TrainingState) -> DeviceState:
        """Persistent device tensors for this state's shapes (graphs read fixed addresses)."""
        import torch

        arrays = _state_arrays(state)
        key = (state.W.shape, state.W.dtype.str)
        if key not in self._device_states:
            self._device_states[key] = DeviceState(
                [
                    torch.empty(a.shape, dtype=torch_dtype(a.dtype), device=self._device)
                    for a in arrays
                ]
            )
        return self._device_states[key]

    def _state_on_device(self, state: TrainingState) -> DeviceState:
        import torch

        params = self._device_state(state)
        for tensor, array in zip(params.tensors, _state_arrays(state), strict=True):
            tensor.copy_(torch.from_numpy(array))
        return params

    def _state_back(self, params: DeviceState, state: TrainingState) -> None:
        import torch

        for tensor, array in zip(params.tensors, _state_arrays(state), strict=True):
            torch.from_numpy(array).copy_(tensor)

    def _step(
        self, buffers: StepBuffers, params: DeviceState, lr: float, m: float, sample_data: bool
    ):
        def step() -> None:
            buffers.uniforms.uniform_(generator=self._generator)
            sample_chain(
                buffers, params.W, params.hidden_bias, params.visible_bias, buffers.batch,
                sample_data,
            )  # fmt: skip
            momentum_update(buffers, params, buffers.batch, lr, m)

        return step

    def _graph(
        self, buffers: StepBuffers, params: DeviceState, lr: float, m: float, sample_data: bool
    ):
        """The step of this shape as a CUDA graph, captured on first use; None if eager.

        Capturing runs the step twice first (on a side stream, as CUDA graphs need: that
        creates cuBLAS's handles and workspaces), which changes the device state's values;
        callers capture before they copy the state in.
        """
        if not self.graphs:
            return None
        # A graph replays the operations it captured: sampling v0 or copying it is part of it.
        key = (*buffers.key, lr, m, sample_data)
        if key in self.graph_status:
            return self._captured.get(key)
        step = self._step(buffers, params, lr, m, sample_data)
        try:
            graph = capture_cuda_graph(step, self._device, generators=(self._generator,))
        except Exception as error:  # a capture that fails leaves the step eager
            self.graph_status[key] = f"eager: capture failed ({type(error).__name__}: {error})"
            return None
        self.graph_status[key] = "captured"
        self._captured[key] = graph
        return graph

    def _run_steps(self, steps, params, lr, m, sample_data) -> None:
        import torch

        # Capture first (it runs the step), then seed and copy the state in.
        graphs = {
            id(buffers): self._graph(buffers, params, lr, m, sample_data) for buffers, _ in steps
        }
        plans = [(buffers, batch, graphs[id(buffers)]) for buffers, batch in steps]
        eager = {id(b): self._step(b, params, lr, m, sample_data) for b, _, g in plans if g is None}
        debug = self.sync_debug_mode if self._on_cuda() else None
        if debug is not None:
            torch.cuda.set_sync_debug_mode(debug)
        try:
            for buffers, batch, graph in plans:
                buffers.batch.copy_(batch)
                if graph is not None:
                    graph.replay()
                else:
                    eager[id(buffers)]()
        finally:
            if debug is not None:
                torch.cuda.set_sync_debug_mode("default")

    def step_call(
        self,
        state: TrainingState,
        batch: np.ndarray,
        learning_rate: float,
        momentum: float,
        seed: int = 0,
        *,
        sample_data: bool = True,
    ):
        """One training step on `batch`, exactly as :meth:`run_epoch` queues each step.

        Returns a call that copies the mini-batch into the step's input buffer and replays
        the step's graph (or runs it eagerly). The call only queues work on the device and
        updates the device's copy of `state` (never `state` itself): for measuring single
        steps (``scripts/gpu_check.py``), which is done by the caller, not here.
        """
        import torch

        n_hidden, n_visible = state.W.shape
        dtype = torch_dtype(batch.dtype)
        with torch.no_grad(), _FullFloat32Products():
            data = self._data_on_device(batch)
            if self._generator is None:
                self._generator = torch.Generator(device=self._device)
            buffers = self._step_buffers(batch.shape[0], n_visible, n_hidden, dtype)
            params = self._device_state(state)
            graph = self._graph(buffers, params, learning_rate, momentum, sample_data)
            self._generator.manual_seed(seed)
            params = self._state_on_device(state)
        eager = self._step(buffers, params, learning_rate, momentum, sample_data)

        def call() -> None:
            buffers.batch.copy_(data)
            if graph is not None:
                graph.replay()
            else:
                with torch.no_grad(), _FullFloat32Products():
                    eager()

        return call

    def run_epoch(
        self,
        state: TrainingState,
        X: np.ndarray,
        batch_size: int,
        learning_rate: float,
        momentum: float,
        rng: np.random.Generator,
        *,
        sample_data: bool = True,
    ) -> None:
        import torch

        n_hidden, n_visible = state.W.shape
        if X.shape[0] == 0:
            return
        dtype = torch_dtype(X.dtype)
        with torch.no_grad(), _FullFloat32Products():
            data = self._data_on_device(X)
            seed = int(rng.integers(0, 2**63 - 1))
            if self._generator is None:
                self._generator = torch.Generator(device=self._device)
            steps = []
            for start in range(0, X.shape[0], batch_size):
                batch = data[start : start + batch_size]
                buffers = self._step_buffers(batch.shape[0], n_visible, n_hidden, dtype)
                steps.append((buffers, batch))
            params = self._device_state(state)
            # Graphs first: capturing runs the step, which changes the device state.
            for buffers in {id(b): b for b, _ in steps}.values():
                self._graph(buffers, params, learning_rate, momentum, sample_data)
            self._generator.manual_seed(seed)
            params = self._state_on_device(state)
            self._run_steps(steps, params, learning_rate, momentum, sample_data)
            self._state_back(params, state)


BACKEND = TorchBackend
