"""The apps' parts of the demo are written all or nothing, so a rerun can finish them."""

import types
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from wangge.demo import more

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_a_failing_part_leaves_none_of_the_parts(town, catalogue, monkeypatch):
    def fail(town, **kwargs):
        raise RuntimeError("the disk is full")

    real = more.import_module
    monkeypatch.setattr(
        more,
        "import_module",
        lambda name: types.SimpleNamespace(build=fail) if name == "failing" else real(name),
    )
    monkeypatch.setattr(more, "BUILDERS", [("wangge.points.demo", "points"), ("failing", "x")])
    with pytest.raises(RuntimeError):
        more.build_more(town.town, seed=1, now=NOW)
    assert not more.built(town.town)

    monkeypatch.setattr(more, "BUILDERS", [("wangge.points.demo", "points")])
    rows = more.build_more(town.town, seed=1, now=NOW)
    assert rows and more.built(town.town)
