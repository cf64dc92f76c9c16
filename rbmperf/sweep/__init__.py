"""The RBM sweep: one training epoch per backend (and peer, and the floor) × dtype × size,
its results store and its summary. A client of :mod:`rbmperf.engine`."""
