"""The statistics of growth: the exponent of ``t ∝ Nᵏ``, its interval and a verdict.
Pure functions over numbers; nothing here measures, prints or draws."""
