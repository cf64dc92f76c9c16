"""How each backend's epoch time grows with N: the fitted exponent k of ``t ∝ Nᵏ``."""

from __future__ import annotations

from .common import backend_names, backend_or_skip, epoch_samples

# The naive backend is O(N²), so its sweep stays small; the others start at 2,000 so that
# fixed per-epoch costs do not bend the curve.
NAIVE_SIZES = [500, 1000, 1500, 2000]
LINEAR_SIZES = [2000, 4000, 8000, 16000]
REPEATS = 3


class GrowthExponent:
    """Growth exponent from a small sweep (float32, 3 repeats per size), via fit_growth.

    About 1 for numpy and numba (linear), about 2 for the naive backend (the blog's
    quadratic epoch). asv counts a rising track value as a regression; a falling exponent
    of the naive backend (someone "fixing" it) shows up as an improvement.
    """

    params = backend_names()
    param_names = ("backend",)
    unit = "exponent"
    timeout = 180

    def setup(self, backend_name: str) -> None:
        try:
            from rbmperf import fit_growth
        except ImportError as error:
            raise NotImplementedError(f"no fit_growth at this commit: {error}") from None
        self.fit_growth = fit_growth
        self.backend = backend_or_skip(backend_name)

    def track_growth_exponent(self, backend_name: str) -> float:
        sizes, seconds = epoch_samples(
            self.backend,
            NAIVE_SIZES if backend_name == "naive" else LINEAR_SIZES,
            "float32",
            REPEATS,
        )
        return float(self.fit_growth(sizes, seconds).exponent)
