"""The asv benchmark suite of rbmperf (see docs/benchmarking.md)."""
