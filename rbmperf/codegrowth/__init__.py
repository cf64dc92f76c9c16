"""Growth of any code: :func:`time_growth`, :func:`compare_growth`, :func:`profile_growth`,
the ``%growth`` magic and ``rbmperf growth -- CMD``, all clients of :mod:`rbmperf.engine`."""
