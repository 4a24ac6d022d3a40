"""Bad input on the community pages and services: a clear message, nothing changed,
never a server error."""

from datetime import date

import pytest
from django.urls import reverse

from wangge.community import services
from wangge.community.errors import InvalidInput
from wangge.community.models import CadreAssessment, ProgressUpdate

SCORES = {"politics": "19", "ability": "18", "results": "18", "conduct": "19", "recognition": "18"}


@pytest.fixture
def data(town):
    t = town
    t.cadre_a = services.register_cadre(
        t.grid_leader,
        t.va,
        name="张峻瑜",
        gender="male",
        birth_year=1994,
        education="vocational",
        background="village_official",
        registered_on=date(2025, 3, 1),
    )
    t.cadre_b = services.register_cadre(
        t.admin,
        t.vb,
        name="李春燕",
        gender="female",
        birth_year=1990,
        education="senior",
        background="entrepreneur",
        registered_on=date(2025, 3, 1),
    )
    t.project = services.create_project(
        t.grid_leader,
        t.va,
        title="杨村整顿",
        started_on=date(2025, 2, 10),
        due_on=date(2025, 3, 10),
        targets=[("拆除违建", "间", 42)],
    )
    return t


@pytest.mark.parametrize("village", ["²", "9" * 25, "-3", "0", "abc", ""])
def test_pipeline_ignores_a_village_filter_that_cannot_be_an_id(client, data, village):
    client.force_login(data.leader)
    response = client.get(reverse("community:cadres"), {"village": village})
    assert response.status_code == 200
    body = response.content.decode()
    assert "张峻瑜" in body and "李春燕" in body


def test_pipeline_village_filter_still_filters(client, data):
    client.force_login(data.leader)
    body = client.get(reverse("community:cadres"), {"village": data.va.pk}).content.decode()
    assert "张峻瑜" in body and "李春燕" not in body


@pytest.mark.parametrize(
    "bad", ["²", "--5", "1.5", "+-1", "١٢", pytest.param("9" * 5000, id="5000-digits")]
)
def test_assess_refuses_scores_that_are_not_whole_numbers(data, bad):
    with pytest.raises(InvalidInput) as error:
        services.assess(
            data.instructor, data.cadre_a, scores={**SCORES, "politics": bad}, comment="好"
        )
    assert error.value.field == "politics"
    assert not CadreAssessment.objects.exists()


@pytest.mark.parametrize(
    "bad", ["²", "--5", "-", "1e3", pytest.param("9" * 5000, id="5000-digits")]
)
def test_progress_refuses_amounts_that_are_not_whole_numbers(data, bad):
    target = data.project.targets.get()
    with pytest.raises(InvalidInput) as error:
        services.report_progress(data.grid_leader, target, on=date(2025, 2, 20), cumulative=bad)
    assert error.value.field == "cumulative"
    assert not ProgressUpdate.objects.exists()


def test_progress_still_takes_thousands_separators(data):
    target = data.project.targets.get()
    services.report_progress(data.grid_leader, target, on=date(2025, 2, 20), cumulative=" 3,0 ")
    assert ProgressUpdate.objects.get().cumulative == 30


def test_progress_form_with_a_strange_amount_says_why(client, data):
    client.force_login(data.grid_leader)
    target = data.project.targets.get()
    response = client.post(
        reverse("community:report", args=[target.pk]),
        {"on": "2025-02-20", "cumulative": "²"},
        follow=True,
    )
    assert response.status_code == 200
    assert "累计完成量须为整数。" in response.content.decode()
    assert not ProgressUpdate.objects.exists()


def test_assess_form_with_a_strange_score_says_why(client, data):
    client.force_login(data.instructor)
    response = client.post(
        reverse("community:assess", args=[data.cadre_a.pk]),
        {**SCORES, "politics": "²", "comment": "表现突出"},
        follow=True,
    )
    assert response.status_code == 200
    assert "须为0至20之间的整数" in response.content.decode()
    assert not CadreAssessment.objects.exists()


@pytest.mark.parametrize("bad", ["2025-13-45", "yesterday", "2025-02-30"])
def test_assess_form_refuses_an_invalid_date_instead_of_using_today(client, data, bad):
    client.force_login(data.instructor)
    response = client.post(
        reverse("community:assess", args=[data.cadre_a.pk]),
        {**SCORES, "comment": "表现突出", "assessed_on": bad},
        follow=True,
    )
    assert response.status_code == 200
    assert "日期无效。" in response.content.decode()
    assert not CadreAssessment.objects.exists()


def test_assess_form_without_a_date_means_today(client, data):
    client.force_login(data.instructor)
    client.post(
        reverse("community:assess", args=[data.cadre_a.pk]),
        {**SCORES, "comment": "表现突出", "assessed_on": ""},
    )
    assert CadreAssessment.objects.get().total == 92
