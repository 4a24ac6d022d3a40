"""Review findings: the channels a device may claim, and control characters refused."""

import pytest

from wangge.cases.models import Case

REPORT = {"category": "MS01", "title": "村口自来水管破裂", "latitude": 34.105, "longitude": 112.003}


@pytest.mark.parametrize("channel", ["open311", "police_directive", "video_alarm", "telepathy"])
def test_a_device_cannot_claim_another_doors_channel(town, catalogue, api_as, channel):
    response = api_as(town.grid_worker).post("/cases", {**REPORT, "channel": channel})
    assert response.status_code == 422
    body = response.json()
    assert "channel" in body["fields"]
    assert "api" in body["fields"]["channel"][0]
    assert Case.objects.count() == 0


@pytest.mark.parametrize("channel", ["api", "patrol", "visit", "inspection", "hotline", "web"])
def test_a_device_may_claim_the_channels_it_can_hear(town, catalogue, api_as, channel):
    response = api_as(town.grid_worker).post("/cases", {**REPORT, "channel": channel})
    assert response.status_code == 201
    assert Case.objects.get().channel == channel


def test_the_channel_defaults_to_api(town, catalogue, api_as):
    assert api_as(town.grid_worker).post("/cases", REPORT).status_code == 201
    assert Case.objects.get().channel == "api"


@pytest.mark.parametrize(
    "field,value",
    [
        ("title", "漏水\u0000"),
        ("description", "漏\u0007水"),
        ("address", "村口\u001b"),
        ("title", "\ufffe"),
    ],
)
def test_control_characters_are_refused_with_a_clear_message(town, catalogue, api_as, field, value):
    response = api_as(town.grid_worker, "zh-hans").post("/cases", {**REPORT, field: value})
    assert response.status_code == 422
    assert "控制字符" in response.json()["fields"][field][0]
    assert Case.objects.count() == 0


def test_tabs_and_newlines_are_still_text(town, catalogue, api_as):
    response = api_as(town.grid_worker).post(
        "/cases", {**REPORT, "description": "第一行\n第二行\t完"}
    )
    assert response.status_code == 201
    assert Case.objects.get().description == "第一行\n第二行\t完"
