"""to_jsonable: the one converter behind results records and saved model metadata."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from rbmperf.jsonvalues import to_jsonable


def test_numpy_values_paths_and_odd_objects_become_plain_json() -> None:
    record = {
        "seconds": np.float64(0.25),
        "n": np.int32(7),
        "flag": np.bool_(True),
        "losses": np.array([1.5, 0.5], dtype=np.float32),
        "scalar_array": np.array(3),
        "path": Path("runs") / "a.jsonl",
        "nested": ({"k": np.int64(1)}, [None, "x"]),
        "odd": {1, 2},
        5: "int key",
    }
    converted = to_jsonable(record)
    assert json.loads(json.dumps(converted)) == converted
    assert converted["seconds"] == 0.25 and type(converted["seconds"]) is float
    assert type(converted["n"]) is int and converted["flag"] is True
    assert converted["losses"] == [1.5, 0.5]
    assert converted["scalar_array"] == 3
    assert converted["path"] == str(Path("runs") / "a.jsonl")
    assert converted["nested"] == [{"k": 1}, [None, "x"]]
    assert converted["odd"] == "{1, 2}"
    assert converted["5"] == "int key"
