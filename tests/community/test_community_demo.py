"""The community demo on the small town: cadres with assessments, 杨村's project."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from wangge.community import demo
from wangge.community.models import (
    CadreAssessment,
    ProjectStatus,
    RectificationProject,
    RectificationTarget,
    ReserveCadre,
)
from wangge.dashboard.metrics.community import rectification_progress, reserve_cadre_pipeline

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def built(town):
    return demo.build(town.town, seed=1, now=NOW)


def test_fifty_two_reserve_cadres_with_assessments(town, built):
    assert ReserveCadre.objects.count() == 52
    assert ReserveCadre.objects.filter(
        name="张峻瑜", village=town.va, target_post="村党支部书记"
    ).exists()
    assessed = set(CadreAssessment.objects.values_list("cadre__village_id", flat=True))
    # Only 杨村 has an instructor in the small town.
    assert assessed == {town.va.pk}
    assert all(a.assessor == town.instructor for a in CadreAssessment.objects.all())
    rows = {label: (n, brief) for label, n, brief in built}
    assert (52, "52") in rows.values()


def test_yangcun_project_meets_the_brief(town, built):
    project = RectificationProject.objects.get(village=town.va)
    assert project.status == ProjectStatus.COMPLETED
    done = dict(RectificationTarget.objects.filter(project=project).values_list("name", "done"))
    assert done["拆除违建"] == 42 and done["栽植雪松、桃树等花木"] == 45000
    assert done["粉刷墙面"] == 6500 and done["加宽道路"] == 754


def test_dashboard_figures(town, built):
    from wangge.dashboard.metrics import Scope

    scope = Scope("town", town.town.pk, town.town.name, town.town.pk)
    projects = rectification_progress(scope)
    assert {p["village"] for p in projects} == {"杨村", "庄科村"}
    yang = next(p for p in projects if p["village"] == "杨村")
    assert yang["percent"] == 100 and len(yang["targets"]) == 7
    other = next(p for p in projects if p["village"] == "庄科村")
    assert 0 < other["percent"] < 100
    pipeline = reserve_cadre_pipeline(scope)
    assert pipeline["total"] == 52 and sum(pipeline["by_stage"].values()) == 52
    village_b = Scope("village", town.vb.pk, town.vb.name, town.town.pk)
    assert [p["village"] for p in rectification_progress(village_b)] == ["庄科村"]
