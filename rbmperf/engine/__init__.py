"""The measuring engine: clocks, timed regions, interleaving, the sizes loop and the budget
rule. Every timing in rbmperf goes through it; it knows nothing of RBMs or of reports."""
