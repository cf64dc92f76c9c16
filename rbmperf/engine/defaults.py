"""The engine's defaults, in a module with no imports so that the command line's parsers
can show them without loading numpy."""

#: The sizes a growth measurement uses when none are given: the sweep's data sizes,
#: ``%growth``'s and ``rbmperf growth``'s ``n``.
DEFAULT_SIZES = (500, 1000, 2000, 4000, 8000, 16000)
#: Seconds of measuring one function may take by default (``time_growth`` and relatives).
DEFAULT_BUDGET_SECONDS = 2.0
#: Rounds that always run (repeats per size) before deciding starts.
DEFAULT_MIN_ROUNDS = 3


def sizes_text(sizes: tuple[int, ...] = DEFAULT_SIZES) -> str:
    """``"500,1000,…"``: sizes as the command line takes them."""
    return ",".join(str(n) for n in sizes)
