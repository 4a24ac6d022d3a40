"""Reserve cadres and their assessments; rectification projects and their progress."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from wangge.community import services
from wangge.community.errors import InvalidInput, NotAllowed, NotFound
from wangge.community.models import (
    CadreAssessment,
    ProgressUpdate,
    ProjectStatus,
    RectificationTarget,
    ReserveCadre,
    Stage,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SCORES = {"politics": 18, "ability": 17, "results": 16, "conduct": 19, "recognition": 18}


@pytest.fixture
def cadre(town):
    return services.register_cadre(
        town.grid_leader,
        town.va,
        name="张峻瑜",
        gender="male",
        birth_year=1994,
        education="vocational",
        background="village_official",
        resident=town.r_a2,
        party_member=True,
        current_post="村党支部副书记",
        target_post="村党支部书记",
        registered_on=date(2026, 3, 1),
        now=NOW,
    )


@pytest.fixture
def project(town):
    return services.create_project(
        town.grid_leader,
        town.va,
        title="杨村软弱涣散党组织整顿",
        started_on=date(2026, 2, 10),
        due_on=date(2026, 8, 25),
        targets=[("拆除违建", "间", 42), ("清理河道", "米", 300)],
    )


def test_instructor_assesses_a_cadre_of_their_village(town, cadre):
    a = services.assess(
        town.instructor, cadre, scores=SCORES, comment="政治过硬，群众认可", now=NOW
    )
    assert a.total == 88 and a.grade == "good" and a.assessor == town.instructor


def test_assessment_scores_are_checked(town, cadre):
    for bad in (21, -1, "x", None):
        with pytest.raises(InvalidInput) as error:
            services.assess(
                town.instructor, cadre, scores={**SCORES, "ability": bad}, comment="好", now=NOW
            )
        assert error.value.field == "ability"
    with pytest.raises(InvalidInput):
        services.assess(town.instructor, cadre, scores=SCORES, comment=" ", now=NOW)
    with pytest.raises(InvalidInput):
        services.assess(
            town.instructor,
            cadre,
            scores=SCORES,
            comment="好",
            assessed_on=date(2026, 12, 1),
            now=NOW,
        )
    assert not CadreAssessment.objects.exists()


def test_only_instructors_assess(town, cadre):
    for user in (town.grid_worker, town.grid_leader, town.police, town.dispatcher):
        with pytest.raises(NotAllowed):
            services.assess(user, cadre, scores=SCORES, comment="好", now=NOW)


def test_instructor_of_another_village_cannot_see_the_cadre(town, cadre):
    from wangge.staff.models import Role, User
    from wangge.staff.services import assign_role

    other = User.objects.create_user("instructor_b", password="x", town=town.town)
    assign_role(other, Role.GRID_INSTRUCTOR, grid=town.b1)
    assert not ReserveCadre.objects.visible_to(other).exists()
    with pytest.raises(NotFound):
        services.assess(other, cadre, scores=SCORES, comment="好", now=NOW)


def test_register_checks_input(town):
    base = dict(
        name="李想",
        gender="female",
        birth_year=1998,
        education="bachelor",
        background="graduate",
        now=NOW,
    )
    with pytest.raises(InvalidInput):
        services.register_cadre(town.grid_leader, town.va, **{**base, "birth_year": 2015})
    with pytest.raises(InvalidInput):
        services.register_cadre(town.grid_leader, town.va, **{**base, "education": "phd"})
    with pytest.raises(InvalidInput):  # the resident lives in another village
        services.register_cadre(town.admin, town.va, **base, resident=town.r_b1)
    with pytest.raises(NotFound):
        services.register_cadre(town.grid_leader, town.vb, **base)
    assert not ReserveCadre.objects.exists()


def test_pipeline_moves(town, cadre):
    services.move_stage(town.instructor, cadre, Stage.ON_TRIAL)
    assert ReserveCadre.objects.get(pk=cadre.pk).stage == Stage.ON_TRIAL
    with pytest.raises(InvalidInput):
        services.move_stage(town.instructor, cadre, "elected")


def test_progress_is_cumulative_and_never_goes_down(town, project):
    removed = project.targets.get(name="拆除违建")
    services.report_progress(
        town.grid_leader, removed, on=date(2026, 2, 20), cumulative=15, now=NOW
    )
    services.report_progress(town.grid_leader, removed, on=date(2026, 3, 1), cumulative=30, now=NOW)
    with pytest.raises(InvalidInput) as error:
        services.report_progress(
            town.grid_leader, removed, on=date(2026, 3, 5), cumulative=20, now=NOW
        )
    assert "30" in str(error.value.message)
    with pytest.raises(InvalidInput):  # later report says 30: cannot have been 35 earlier
        services.report_progress(
            town.grid_leader, removed, on=date(2026, 2, 25), cumulative=35, now=NOW
        )
    for bad in (-1, "abc", 85):
        with pytest.raises(InvalidInput):
            services.report_progress(
                town.grid_leader, removed, on=date(2026, 3, 5), cumulative=bad, now=NOW
            )
    with pytest.raises(InvalidInput):
        services.report_progress(
            town.grid_leader, removed, on=date(2026, 2, 1), cumulative=31, now=NOW
        )
    with pytest.raises(InvalidInput):
        services.report_progress(
            town.grid_leader, removed, on=date(2026, 12, 1), cumulative=31, now=NOW
        )
    assert ProgressUpdate.objects.count() == 2
    removed.refresh_from_db()
    assert removed.done == 30 and removed.percent == 71


def test_project_completes_when_every_target_is_met(town, project):
    for target in project.targets.all():
        services.report_progress(
            town.grid_leader, target, on=date(2026, 3, 10), cumulative=target.target, now=NOW
        )
    project.refresh_from_db()
    assert project.status == ProjectStatus.COMPLETED
    assert all(t.percent == 100 for t in RectificationTarget.objects.filter(project=project))


def test_grid_worker_sees_but_cannot_report(town, project):
    target = project.targets.first()
    from wangge.community.models import RectificationProject

    assert RectificationProject.objects.visible_to(town.grid_worker).filter(pk=project.pk).exists()
    assert not RectificationProject.objects.visible_to(town.grid_worker_b1).exists()
    with pytest.raises(NotAllowed):
        services.report_progress(
            town.grid_worker, target, on=date(2026, 3, 1), cumulative=1, now=NOW
        )


def test_project_needs_sensible_targets(town):
    with pytest.raises(InvalidInput):
        services.create_project(
            town.grid_leader,
            town.va,
            title="整治",
            started_on=date(2026, 3, 1),
            due_on=date(2026, 2, 1),
            targets=[("拆除违建", "间", 42)],
        )
    with pytest.raises(InvalidInput):
        services.create_project(
            town.grid_leader,
            town.va,
            title="整治",
            started_on=date(2026, 3, 1),
            due_on=date(2026, 4, 1),
            targets=[("拆除违建", "间", 0)],
        )
