"""Community pages show only the user's scope and go through the services."""

from datetime import date

import pytest
from django.urls import reverse

from wangge.community import services
from wangge.community.models import CadreAssessment, ProgressUpdate


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


def test_pipeline_shows_only_the_instructors_villages(client, data):
    client.force_login(data.instructor)
    body = client.get(reverse("community:cadres")).content.decode()
    assert "张峻瑜" in body and "李春燕" not in body


def test_town_leader_sees_every_cadre(client, data):
    client.force_login(data.leader)
    body = client.get(reverse("community:cadres")).content.decode()
    assert "张峻瑜" in body and "李春燕" in body


def test_cadre_outside_scope_is_404(client, data):
    client.force_login(data.instructor)
    assert client.get(reverse("community:cadre", args=[data.cadre_b.pk])).status_code == 404
    assert client.get(reverse("community:cadre", args=[data.cadre_a.pk])).status_code == 200


def test_grid_worker_cannot_open_the_register(client, data):
    client.force_login(data.grid_worker)
    assert client.get(reverse("community:cadres")).status_code == 403
    assert client.get(reverse("community:projects")).status_code == 200


def test_assess_form(client, data):
    client.force_login(data.instructor)
    scores = {
        "politics": "19",
        "ability": "18",
        "results": "18",
        "conduct": "19",
        "recognition": "18",
    }
    client.post(
        reverse("community:assess", args=[data.cadre_a.pk]), {**scores, "comment": "表现突出"}
    )
    assert CadreAssessment.objects.get().total == 92
    response = client.post(
        reverse("community:assess", args=[data.cadre_a.pk]),
        {**scores, "ability": "25", "comment": "x"},
        follow=True,
    )
    assert CadreAssessment.objects.count() == 1
    assert response.status_code == 200


def test_progress_form_refuses_decrease(client, data):
    client.force_login(data.grid_leader)
    target = data.project.targets.get()
    url = reverse("community:report", args=[target.pk])
    client.post(url, {"on": "2025-02-20", "cumulative": "30"})
    response = client.post(url, {"on": "2025-02-25", "cumulative": "20"}, follow=True)
    assert ProgressUpdate.objects.count() == 1
    assert "30" in response.content.decode()
    body = client.get(reverse("community:project", args=[data.project.pk])).content.decode()
    assert "71%" in body


def test_project_outside_scope_is_404(client, data):
    client.force_login(data.grid_worker_b1)
    assert client.get(reverse("community:project", args=[data.project.pk])).status_code == 404
