"""The evaluation set of functions of known growth and ``scripts/growth_eval.py``.

Cheap checks only: every case runs, the registry is consistent, the load starts and stops,
the scoring and the table are right on hand-made verdicts. No timing is asserted.
"""

from __future__ import annotations

import importlib.util
import json
import math
import pickle
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rbmperf.codegrowth import known

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "growth_eval.py"


@pytest.fixture(scope="module")
def growth_eval():
    """The evaluation script, imported by its path."""
    spec = importlib.util.spec_from_file_location("growth_eval_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


@pytest.mark.parametrize("case", known.CASES, ids=lambda case: case.name)
def test_case_runs_at_its_smallest_size(case):
    argument = case.setup(case.sizes[0])
    first = case.func(argument)
    again = case.func(case.setup(case.sizes[0]))  # the same data gives the same answer
    if isinstance(first, np.ndarray | float):
        assert np.allclose(first, again)
    else:
        assert first == again


@pytest.mark.parametrize("case", known.CASES, ids=lambda case: case.name)
def test_case_is_well_formed(case):
    assert case.kind in known.KINDS
    assert case.memory is None or case.memory in known.MEMORY_CLASSES
    assert case.note
    n0 = case.sizes[0]
    assert case.sizes == tuple(n0 * 2**i for i in range(5))  # five sizes over ×16
    assert math.isfinite(case.true_exponent) and 0.5 < case.true_exponent <= 2.0
    if case.kind == "superlinear":
        assert case.true_exponent >= 1.4
    if case.kind in ("linear", "bend"):
        assert case.true_exponent == 1.0
    # Module-level, importable by name, so that a child process can run them.
    for function in (case.func, case.setup):
        assert getattr(known, function.__qualname__) is function
        assert pickle.loads(pickle.dumps(function)) is function


def test_registry_covers_every_kind_with_unique_names():
    assert len(known.BY_NAME) == len(known.CASES)
    kinds = {case.kind for case in known.CASES}
    assert kinds == set(known.KINDS)
    linear = [case for case in known.CASES if case.kind == "linear"]
    superlinear = [case for case in known.CASES if case.kind == "superlinear"]
    assert len(linear) >= 5 and len(superlinear) >= 5
    assert any(case.true_exponent == 1.5 for case in superlinear)
    assert known.select(["sum_list", "nested_loops"]) == (
        known.BY_NAME["sum_list"],
        known.BY_NAME["nested_loops"],
    )
    assert known.select() == known.CASES
    with pytest.raises(KeyError, match="no known case 'nope'"):
        known.select(["nope"])


def test_known_case_refuses_an_unknown_kind_or_memory_class():
    with pytest.raises(ValueError, match="kind"):
        known.KnownCase("x", known.sum_list, known.shuffled_ints, (2, 4), 1.0, "cubic", "")
    with pytest.raises(ValueError, match="memory"):
        known.KnownCase("x", known.sum_list, known.shuffled_ints, (2, 4), 1.0, "linear", "", "x")


@pytest.mark.parametrize(
    ("kind", "verdict", "expected"),
    [
        ("linear", "linear", "right"),
        ("linear", "superlinear", "wrong"),
        ("linear", "sublinear", "wrong"),
        ("linear", "inconclusive", "abstained"),
        ("bend", "linear", "right"),
        ("bend", "superlinear", "wrong"),
        ("bend", "inconclusive", "abstained"),
        ("superlinear", "superlinear", "right"),
        ("superlinear", "linear", "wrong"),
        ("superlinear", "sublinear", "wrong"),
        ("superlinear", "inconclusive", "abstained"),
        ("nlogn", "linear", None),
        ("nlogn", "superlinear", None),
        ("nlogn", "inconclusive", None),
    ],
)
def test_score(kind, verdict, expected):
    assert known.score(kind, verdict) == expected


def test_score_refuses_unknown_kinds_and_verdicts():
    with pytest.raises(ValueError, match="kind"):
        known.score("quadratic", "linear")
    with pytest.raises(ValueError, match="verdict"):
        known.score("linear", "maybe")


def test_expected_verdict_follows_the_kind():
    assert known.BY_NAME["cumsum"].expected_verdict == "linear"
    assert known.BY_NAME["nested_loops"].expected_verdict == "superlinear"
    assert known.BY_NAME["sorted_shuffled"].expected_verdict is None


def test_bursty_load_starts_and_stops_cleanly(growth_eval):
    load = growth_eval.BurstyLoad(seed=3, spell=(0.01, 0.02))
    with load:
        workers = list(load.workers)
        assert len(workers) == 2 and load.alive == 2
        time.sleep(0.1)  # a few busy and idle spells
        assert all(worker.is_alive() for worker in workers)
    assert load.workers == [] and load.alive == 0
    assert not any(worker.is_alive() for worker in workers)
    assert all(worker.exitcode == 0 for worker in workers)  # they stopped when asked


def test_bursty_load_stops_when_the_body_raises(growth_eval):
    with pytest.raises(KeyboardInterrupt), growth_eval.load_context("bursty") as load:
        workers = list(load.workers)
        raise KeyboardInterrupt
    assert not any(worker.is_alive() for worker in workers)


def test_bursty_load_refuses_bad_settings(growth_eval):
    with pytest.raises(ValueError, match="processes"):
        growth_eval.BurstyLoad(processes=0)
    with pytest.raises(ValueError, match="spell"):
        growth_eval.BurstyLoad(spell=(0.4, 0.05))
    with pytest.raises(ValueError, match="load"), growth_eval.load_context("heavy"):
        pass


def test_the_script_uses_the_known_set_beside_it(growth_eval):
    assert Path(growth_eval.known.__file__).resolve() == Path(known.__file__).resolve()
    assert list(growth_eval.known.BY_NAME) == list(known.BY_NAME)


def _fake_tool(verdicts):
    """A tool that answers `verdicts[case name]` in turn, without timing anything."""

    def tool(case, kwargs):
        verdict = verdicts[case.name].pop(0)
        exponent = {"linear": 1.0, "superlinear": 2.0}.get(verdict, math.nan)
        return (verdict, exponent, exponent - 0.1, exponent + 0.1, 0.5, f"said {verdict}")

    return tool


def test_evaluate_and_table_count_hand_made_verdicts(growth_eval, monkeypatch):
    verdicts = {
        "sum_list": ["linear", "inconclusive", "superlinear"],
        "nested_loops": ["superlinear", "superlinear", "linear"],
        "sorted_shuffled": ["linear", "superlinear", "linear"],
    }
    fake = _fake_tool(verdicts)
    monkeypatch.setitem(
        growth_eval.TOOLS, "time", lambda case, kw: growth_eval.Outcome(*fake(case, kw))
    )
    cases = growth_eval.known.select(["sum_list", "nested_loops", "sorted_shuffled"])
    records = growth_eval.evaluate(cases, 3, "none", "time", {"budget": 2})
    assert len(records) == 9
    assert [r["case"] for r in records[:3]] == ["sum_list", "nested_loops", "sorted_shuffled"]
    first = records[0]
    assert first["score"] == "right" and first["reason"] == "said linear"
    assert first["interval"] == [pytest.approx(0.9), pytest.approx(1.1)]
    assert records[3]["exponent"] is None  # NaN is kept as null for JSON
    scores = {
        name: [r["score"] for r in records if r["case"] == name]
        for name in ("sum_list", "nested_loops", "sorted_shuffled")
    }
    assert scores == {
        "sum_list": ["right", "abstained", "wrong"],
        "nested_loops": ["right", "right", "wrong"],
        "sorted_shuffled": [None, None, None],
    }
    text = growth_eval.table(records, cases)
    lines = text.splitlines()
    assert lines[0] == "load none (3 runs)"
    sum_row = next(line for line in lines if line.startswith("sum_list"))
    assert sum_row.split()[3:6] == ["1", "1", "1"]
    sorted_row = next(line for line in lines if line.startswith("sorted_shuffled"))
    assert "lin 2" in sorted_row and "sup 1" in sorted_row
    total = next(line for line in lines if line.startswith("total scored"))
    assert total.split()[2:5] == ["3", "2", "1"] and "(6 verdicts" in total


def test_main_writes_every_record_as_json(growth_eval, monkeypatch, tmp_path, capsys):
    fake = _fake_tool({"sum_list": ["linear", "inconclusive"]})
    monkeypatch.setitem(
        growth_eval.TOOLS, "time", lambda case, kw: growth_eval.Outcome(*fake(case, kw))
    )
    path = tmp_path / "eval.json"
    argv = ["--runs", "2", "--cases", "sum_list", "--json", str(path), "-q"]
    argv += ["--kwargs", '{"budget": 2}']
    assert growth_eval.main(argv) == 0
    saved = json.loads(path.read_text())
    assert saved["meta"]["kwargs"] == {"budget": 2}
    assert saved["meta"]["blocks"][0]["load"] == "none"
    assert {"cpu", "avx512f", "blas"} <= set(saved["meta"]["machine"])
    assert [r["verdict"] for r in saved["records"]] == ["linear", "inconclusive"]
    keys = {"case", "run", "load", "verdict", "exponent", "interval", "seconds", "reason"}
    assert keys <= set(saved["records"][0])
    out = capsys.readouterr().out
    assert "machine:" in out and "load none (2 runs)" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--runs", "0"], "positive integer"),
        (["--load", "heavy"], "none, bursty"),
        (["--cases", "sum_list,nope"], "unknown case 'nope'"),
        (["--kwargs", "[1]"], "JSON object"),
        (["--kwargs", "{bad"], "not JSON"),
        (["--kwargs", '{"nope": 1}'], "do not fit the time tool"),
        (["--tool", "nope"], "invalid choice"),
        (["--tool", "assert", "--kwargs", '{"time": 1.3}'], "do not fit the assert tool"),
        (["--tool", "memory", "--kwargs", '{"memory": "constant"}'], "do not fit the memory"),
        (["--tool", "instructions", "--kwargs", '{"clock": "cpu"}'], "do not fit the instr"),
    ],
)
def test_bad_options_give_one_clear_error(growth_eval, argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        growth_eval.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err.strip().splitlines()[-1]


def test_the_time_tool_returns_a_verdict(growth_eval):
    outcome = growth_eval.tool_time(known.BY_NAME["set_from_items"], {})
    assert outcome.verdict in known.VERDICTS
    assert outcome.seconds > 0 and isinstance(outcome.reason, str)


# --- the assert, memory and instructions tools (hand-made outcomes, no timing) ----------


@pytest.mark.parametrize(
    ("kind", "outcome", "expected"),
    [
        ("linear", "pass", "right"),
        ("linear", "fail", "wrong"),  # a false failure
        ("linear", "undecided", "abstained"),
        ("bend", "pass", "right"),
        ("bend", "fail", "wrong"),
        ("superlinear", "fail", "right"),  # detected
        ("superlinear", "pass", "wrong"),  # missed
        ("superlinear", "undecided", "abstained"),
        ("nlogn", "pass", None),
        ("nlogn", "fail", None),
    ],
)
def test_score_assert(growth_eval, kind, outcome, expected):
    assert growth_eval.score_assert(kind, outcome) == expected


@pytest.mark.parametrize(
    ("memory", "outcome", "expected"),
    [
        ("constant", "pass", "right"),
        ("constant", "fail", "wrong"),
        ("linear", "pass", "right"),
        ("linear", "fail", "wrong"),
        ("linear", "undecided", "abstained"),
        ("quadratic", "fail", "right"),
        ("quadratic", "pass", "wrong"),
        ("quadratic", "undecided", "abstained"),
        (None, "pass", None),
    ],
)
def test_score_memory(growth_eval, memory, outcome, expected):
    assert growth_eval.score_memory(memory, outcome) == expected


def test_check_scores_refuse_unknown_classes_and_outcomes(growth_eval):
    with pytest.raises(ValueError, match="outcome"):
        growth_eval.score_assert("linear", "linear")  # a verdict, not a check's outcome
    with pytest.raises(ValueError, match="class"):
        growth_eval.score_assert("quadratic", "pass")
    with pytest.raises(ValueError, match="class"):
        growth_eval.score_memory("superlinear", "fail")


def test_each_tool_scores_with_its_own_rule_and_class(growth_eval):
    assert growth_eval.TOOL_SCORES["time"] is growth_eval.known.score
    assert growth_eval.TOOL_SCORES["instructions"] is growth_eval.known.score
    pairwise = growth_eval.known.BY_NAME["pairwise_outer"]
    nested = growth_eval.known.BY_NAME["nested_loops"]
    assert growth_eval.case_class("assert", pairwise) == "superlinear"
    assert growth_eval.case_class("memory", pairwise) == "quadratic"
    assert growth_eval.case_class("memory", nested) == "constant"
    assert growth_eval.class_exponent("memory", pairwise) == 2.0
    assert growth_eval.class_exponent("instructions", nested) == 2.0


def _outcome_tool(growth_eval, outcomes):
    """A tool that answers `outcomes[case name]` in turn, without measuring anything."""

    def tool(case, kwargs):
        verdict = outcomes[case.name].pop(0)
        k = {"pass": 1.0, "linear": 1.0, "fail": 2.0, "superlinear": 2.0}.get(verdict, math.nan)
        return growth_eval.Outcome(verdict, k, k - 0.1, k + 0.1, 2.0, f"said {verdict}")

    return tool


def _records(growth_eval, monkeypatch, tool, outcomes, loads=("none", "bursty")):
    monkeypatch.setitem(growth_eval.TOOLS, tool, _outcome_tool(growth_eval, outcomes))
    monkeypatch.setattr(growth_eval, "load_context", lambda load, seed=0: _no_load())
    cases = growth_eval.known.select(list(outcomes))
    runs = len(next(iter(outcomes.values()))) // len(loads)
    records = []
    for load in loads:
        growth_eval.evaluate(cases, runs, load, tool, records=records)
    return records, cases


class _no_load:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return None


def test_assert_tool_table_reads_false_failures_detections_and_abstentions(
    growth_eval, monkeypatch
):
    outcomes = {  # two runs quiet, then two under the load
        "sum_list": ["pass", "pass", "fail", "undecided"],
        "cumsum": ["pass", "undecided", "pass", "pass"],
        "sorted_shuffled": ["fail", "pass", "fail", "fail"],
        "nested_loops": ["fail", "fail", "fail", "pass"],
        "loop_n_sqrt_n": ["fail", "fail", "undecided", "fail"],
    }
    records, cases = _records(growth_eval, monkeypatch, "assert", outcomes)
    assert [r["score"] for r in records if r["case"] == "sum_list"] == [
        "right", "right", "wrong", "abstained",
    ]  # fmt: skip
    assert {r["class"] for r in records if r["case"] == "cumsum"} == {"bend"}
    quiet = growth_eval.target_counts([r for r in records if r["load"] == "none"], "assert")
    assert quiet == {
        "passing": 4, "false_failures": 0, "abstained": 1, "other_wrong": 0,
        "failing": 4, "detected": 4, "missed": 0, "failing_abstained": 0, "seconds": 20.0,
    }  # fmt: skip
    bursty = growth_eval.target_counts([r for r in records if r["load"] == "bursty"], "assert")
    assert (bursty["false_failures"], bursty["abstained"]) == (1, 1)
    assert (bursty["detected"], bursty["missed"], bursty["failing_abstained"]) == (2, 1, 1)
    text = growth_eval.table(records, cases)
    lines = text.splitlines()
    assert lines.count("load none (2 runs)") == 1 and "load bursty (2 runs)" in lines
    sorted_row = next(line for line in lines if line.startswith("sorted_shuffled"))
    assert "fail 1" in sorted_row and "pass 1" in sorted_row  # nlogn: counted, not scored
    targets = lines[lines.index(next(x for x in lines if x.startswith("issue-19 targets"))) :]
    assert 'tool assert: time="linear"' in targets[0] and "≤ 1%" in targets[0]
    assert "false fail" in targets[1] and "detected" in targets[1]
    quiet_row, bursty_row = targets[2].split(), targets[3].split()
    assert quiet_row[:4] == ["quiet", "4", "0", "(0.0%)"]
    assert bursty_row[:6] == ["bursty", "4", "1", "(25.0%)", "1", "(25.0%)"]
    assert bursty_row[7:12] == ["4", "2", "(50.0%)", "1", "1"]
    assert quiet_row[-1] == "20.0"  # seconds


def test_memory_tool_table_scores_against_memory_classes(growth_eval, monkeypatch):
    outcomes = {
        "sum_list": ["pass"],  # constant memory
        "insert_front": ["fail"],  # linear memory: a false failure
        "pairwise_outer": ["fail"],  # quadratic memory: detected
        "nested_loops": ["undecided"],  # constant memory: abstained
    }
    records, cases = _records(growth_eval, monkeypatch, "memory", outcomes, loads=("none",))
    assert [r["class"] for r in records] == ["constant", "linear", "quadratic", "constant"]
    assert records[2]["kind"] == "superlinear"  # the time class is kept
    counts = growth_eval.target_counts(records, "memory")
    assert (counts["passing"], counts["false_failures"], counts["abstained"]) == (3, 1, 1)
    assert (counts["failing"], counts["detected"]) == (1, 1)
    lines = growth_eval.table(records, cases).splitlines()
    assert lines[1].split()[:2] == ["case", "memory"]
    assert next(x for x in lines if x.startswith("pairwise_outer")).split()[1:3] == [
        "quadratic", "2.00",
    ]  # fmt: skip
    assert any(x.startswith("quadratic (1 case)") for x in lines)
    assert any("constant/linear n" in x and "quadratic n" in x for x in lines)


def test_instructions_tool_counts_sublinear_as_other_wrong(growth_eval, monkeypatch):
    outcomes = {"sum_list": ["sublinear"], "python_loop": ["superlinear"]}
    records, _ = _records(growth_eval, monkeypatch, "instructions", outcomes, loads=("none",))
    counts = growth_eval.target_counts(records, "instructions")
    assert (counts["false_failures"], counts["other_wrong"], counts["abstained"]) == (1, 1, 0)


def test_the_time_tool_prints_no_targets_table(growth_eval, monkeypatch):
    records, cases = _records(
        growth_eval, monkeypatch, "time", {"sum_list": ["linear"]}, loads=("none",)
    )
    assert "issue-19" not in growth_eval.table(records, cases)


def test_the_instructions_tool_counts_the_packaged_cases(growth_eval):
    case = growth_eval.importable_case(growth_eval.known.BY_NAME["sum_list"])
    assert case.func is known.sum_list and case.setup is known.shuffled_ints


def test_a_tool_that_cannot_run_here_is_one_clear_error(growth_eval, monkeypatch, capsys):
    monkeypatch.setitem(growth_eval.TOOL_PREFLIGHT, "instructions", lambda: "no valgrind here")
    with pytest.raises(SystemExit) as exit_info:
        growth_eval.main(["--tool", "instructions", "--runs", "1"])
    assert exit_info.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert "the instructions tool cannot run here: no valgrind here" in last


def test_main_keeps_the_targets_in_the_json(growth_eval, monkeypatch, tmp_path):
    monkeypatch.setitem(
        growth_eval.TOOLS, "memory", _outcome_tool(growth_eval, {"pairwise_outer": ["fail"]})
    )
    path = tmp_path / "memory.json"
    argv = ["--tool", "memory", "--cases", "pairwise_outer", "--runs", "1", "-q"]
    assert growth_eval.main([*argv, "--json", str(path)]) == 0
    saved = json.loads(path.read_text())
    assert saved["meta"]["targets"]["none"]["detected"] == 1
    assert saved["records"][0]["class"] == "quadratic" and saved["records"][0]["score"] == "right"
