"""rbmperf.sweep.summary: how each series was timed, what it sampled, what it spent."""

from __future__ import annotations

import pytest
from test_report import H0_DENSITY, SIZES, fake_sweep

from rbmperf.sweep.summary import Point, series_protocols, summarize, summarize_machines


def test_each_series_names_its_protocol_its_densities_and_what_its_verdict_cost():
    # CPU time is half the wall time here: the report's clock is CPU, but what a verdict
    # cost is the wall time its epochs took.
    records = fake_sweep(protocols=True, cpu_factor=0.5)
    summary = summarize(records)
    assert summary.clock == "cpu"

    binary = summary.protocols[("binary", "float32")]
    assert (binary.protocol, binary.recorded, binary.role) == ("steady", True, "backend")
    assert binary.warmup_rows == (16_000, 16_000)
    assert (binary.smallest_n, binary.largest_n) == (SIZES[0], SIZES[-1])
    # Medians over the three repeats (their densities wobble by ±1%).
    assert binary.densities_smallest["h0"] == pytest.approx(H0_DENSITY[SIZES[0]])
    assert binary.densities_largest["h0"] == pytest.approx(H0_DENSITY[SIZES[-1]])
    assert binary.densities_largest["v1"] == pytest.approx(0.14)
    assert binary.density_source == "states"
    wall = [r["seconds"] for r in records if r.get("name") == "binary" and r["kind"] == "epoch"]
    assert binary.timed_epochs == 3 * len(SIZES) == len(wall)
    assert binary.spent_seconds == pytest.approx(sum(wall))

    numpy = summary.protocols[("numpy", "float32")]
    assert (numpy.protocol, numpy.recorded, numpy.warmup_rows) == ("fresh", True, None)
    assert numpy.density_source == "data"
    assert numpy.densities_largest == {"v0": pytest.approx(0.13), "h0": None, "v1": None}
    # A floor trains no model: it has no protocol.
    floor = summary.protocols[("floor", "float32")]
    assert floor.protocol is None and floor.densities_smallest == {}
    assert floor.spent_seconds == pytest.approx(sum(1e-4 * n * 3 for n in SIZES))


def test_results_without_a_protocol_read_as_fresh_and_not_recorded():
    summary = summarize(fake_sweep())  # as an older rbmperf wrote them
    numpy = summary.protocols[("numpy", "float32")]
    assert (numpy.protocol, numpy.recorded) == ("fresh", False)
    assert numpy.densities_smallest == {} and numpy.density_source is None
    assert numpy.timed_epochs == 12


def test_a_peer_is_fresh_by_design_and_a_malformed_protocol_field_is_ignored():
    records = fake_sweep(protocols=True)
    for record in records:
        if record.get("name") == "naive":
            record["name"], record["role"] = "sklearn", "peer"
            for field in ("protocol", "v0_density", "h0_density", "v1_density"):
                record.pop(field, None)
        if record.get("name") == "numpy":
            record["protocol"], record["warmup_rows"] = 5, "many"
    summary = summarize(records)
    peer = summary.protocols[("sklearn", "float32")]
    assert (peer.protocol, peer.recorded, peer.role) == ("fresh", False, "peer")
    numpy = summary.protocols[("numpy", "float32")]
    assert (numpy.protocol, numpy.recorded, numpy.warmup_rows) == ("fresh", False, None)


def test_warm_up_rows_vary_with_the_size_and_the_largest_sizes_name_the_protocol():
    def point(n, protocol, warmup):
        return Point("binary", "backend", "float32", n, (1.0, 2.0), 1, None, {}, None,
                     protocol, warmup, (1.5, 2.5))  # fmt: skip

    found = series_protocols(
        [point(3000, "steady", 18_000), point(500, None, None), point(1000, "steady", 16_000)]
    )[("binary", "float32")]
    assert (found.protocol, found.recorded) == ("steady", True)
    assert found.warmup_rows == (16_000, 18_000)
    assert (found.smallest_n, found.largest_n) == (500, 3000)
    assert found.spent_seconds == pytest.approx(12.0)  # the wall times, not `seconds`
    assert found.timed_epochs == 6


def test_merged_machines_keep_each_machines_protocols():
    merged = summarize_machines([fake_sweep(protocols=True), fake_sweep()], ["new", "old"])
    assert merged.protocols[("binary @ new", "float32")].protocol == "steady"
    assert merged.protocols[("numpy @ new", "float32")].recorded
    old = merged.protocols[("numpy @ old", "float32")]
    assert (old.protocol, old.recorded) == ("fresh", False)
