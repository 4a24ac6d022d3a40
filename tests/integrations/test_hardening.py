"""Review findings: a source reports to its own town only, phone numbers as the
register stores them, a reused event id, control characters, the SMS gateway and
the outbox never sending one notice twice."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import timezone

from wangge.cases.models import Case
from wangge.grids.models import Place, PlaceKind
from wangge.integrations import channels, outbox
from wangge.integrations.models import Camera, OutboxEntry, OutboxStatus, ReceivedEvent

from .conftest import NOW
from .test_hooks import alarm, directive, nothing_created, post_alarm, post_directive
from .test_outbox import FakeTransport, emergency, webhook

OUTSIDE = {"latitude": 34.105, "longitude": 112.105}  # in 大章镇's grid c1


# --- A source reports to its own town -----------------------------------------------


def test_a_directive_pointing_into_another_town_stays_in_the_sources_town(
    frozen, town, police_source, post_signed
):
    response = post_directive(post_signed, directive(id_number="", **OUTSIDE))
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert case.town == town.town
    assert case.grid is None and case.needs_placing
    assert "34.105" in case.description and "112.105" in case.description


def test_a_directive_pointing_into_its_own_town_is_still_located(
    frozen, town, police_source, post_signed
):
    post_directive(post_signed, directive(id_number="", latitude=34.105, longitude=112.003))
    case = Case.objects.get()
    assert (case.town, case.grid, case.needs_placing) == (town.town, town.a1, False)


@pytest.fixture
def outside_place(town):
    return Place.objects.create(
        town=town.other_town,
        village=town.vc,
        grid=town.c1,
        kind=PlaceKind.SEALED_ADIT,
        name="外村矿洞",
        latitude=34.105,
        longitude=112.105,
    )


def test_a_camera_at_a_place_of_another_town_is_refused(frozen, camera, outside_place, post_signed):
    Camera.objects.filter(pk=camera.pk).update(place=outside_place)
    response = post_alarm(post_signed)
    assert response.status_code == 422
    assert "同一" in response.json()["error"]
    assert nothing_created()


def test_a_camera_of_another_towns_source_is_refused(frozen, town, camera, post_signed):
    Camera.objects.filter(pk=camera.pk).update(town=town.other_town)
    assert post_alarm(post_signed).status_code == 422
    assert nothing_created()


def test_a_camera_with_its_own_point_in_another_town_stays_in_the_sources_town(
    frozen, town, camera, post_signed
):
    Camera.objects.filter(pk=camera.pk).update(place=None, **OUTSIDE)
    assert post_alarm(post_signed).status_code == 201
    case = Case.objects.get()
    assert case.town == town.town and case.needs_placing and case.grid is None


def test_the_camera_model_checks_its_town(town, camera, outside_place):
    camera.place = outside_place
    with pytest.raises(ValidationError) as refused:
        camera.full_clean()
    assert "place" in refused.value.message_dict
    camera.place = None
    camera.town = town.other_town
    with pytest.raises(ValidationError) as refused:
        camera.full_clean()
    assert "source" in refused.value.message_dict


# --- Phone numbers as the register stores them ------------------------------------------


@pytest.mark.parametrize("phone", ["138 3790 0001", "+86 13837900001", "（138）37900001"])
def test_a_directive_naming_a_formatted_phone_finds_the_resident(
    frozen, town, police_source, post_signed, phone
):
    post_directive(post_signed, directive(id_number="", phone=phone))
    assert Case.objects.get().grid == town.a1


def test_a_directive_naming_an_invalid_phone_is_422(frozen, police_source, post_signed):
    response = post_directive(post_signed, directive(id_number="", phone="12345"))
    assert response.status_code == 422
    assert response.json()["field"] == "phone"
    assert nothing_created()


# --- A reused event id --------------------------------------------------------------------


def test_an_event_id_reused_for_another_body_is_409(frozen, police_source, post_signed):
    post_directive(post_signed)
    response = post_directive(post_signed, directive(title="另一起警情"))
    assert response.status_code == 409
    assert "FZ-20261123-0001" in response.json()["error"]
    assert Case.objects.count() == 1
    assert ReceivedEvent.objects.get().replays == 0


def test_the_same_event_with_its_keys_in_another_order_is_a_replay(
    frozen, police_source, post_signed
):
    first = post_directive(post_signed)
    reordered = json.dumps(dict(reversed(list(directive().items())))).encode()
    again = post_directive(post_signed, reordered)
    assert again.status_code == 200 and again.json()["case"] == first.json()["case"]


# --- Control characters ------------------------------------------------------------------


@pytest.mark.parametrize(
    "field,value", [("event_id", "FZ-1\u0000"), ("title", "预警\u0007"), ("description", "\x1b[2J")]
)
def test_a_control_character_is_422_and_creates_nothing(
    frozen, police_source, post_signed, field, value
):
    response = post_directive(post_signed, directive(**{field: value}))
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert "控制字符" in response.json()["error"]
    assert nothing_created()


def test_a_video_alarm_with_nul_in_its_camera_id_is_422(frozen, camera, post_signed):
    response = post_alarm(post_signed, alarm(camera_id="410325-CAM-0031\u0000"))
    assert response.status_code == 422
    assert nothing_created()


# --- SMS ---------------------------------------------------------------------------------


def test_an_sms_channel_without_gateway_is_a_configuration_error(settings):
    settings.WANGGE_NOTICE_CHANNELS = [{"BACKEND": "wangge.integrations.channels.Sms"}]
    with pytest.raises(ImproperlyConfigured, match="GATEWAY"):
        channels.configured()


def test_the_console_gateway_masks_the_number(make_case, town, settings, caplog):
    town.police.phone = "13837901110"
    town.police.save()
    settings.WANGGE_NOTICE_CHANNELS = [
        "wangge.integrations.channels.InApp",
        {
            "BACKEND": "wangge.integrations.channels.Sms",
            "GATEWAY": "wangge.integrations.channels.ConsoleSmsGateway",
        },
    ]
    emergency(make_case, town)
    with caplog.at_level("INFO", logger="wangge.notices"):
        assert outbox.deliver_due(NOW).sent == 1
    assert "SMS to 138****1110" in caplog.text
    assert "13837901110" not in caplog.text


# --- The outbox sends each notice once ---------------------------------------------------


class SlowTransport(FakeTransport):
    """Its first call takes so long that the lease runs out and another worker sweeps."""

    def __call__(self, url, body, headers, timeout):
        first = not self.calls
        status = super().__call__(url, body, headers, timeout)
        if first:
            later = timezone.now() + outbox.lease() + timedelta(seconds=1)
            self.nested = outbox.deliver_due(later)
        return status


def test_a_sweep_that_lost_its_lease_sends_nothing_twice(make_case, town, settings):
    fake = SlowTransport()
    settings.WANGGE_NOTICE_CHANNELS = [webhook(fake, KINDS=["emergency"])]
    emergency(make_case, town)
    emergency(make_case, town)
    entries = OutboxEntry.objects.count()
    assert entries == 4  # two cases, each to the grid worker and the police
    report = outbox.deliver_due(NOW)

    keys = [headers["Idempotency-Key"] for _url, _body, headers in fake.calls]
    # Only the entry in flight when the lease ran out goes twice, with one key
    # for the receiver to drop; every other entry goes once.
    assert len(keys) == entries + 1
    assert keys.count(keys[0]) == 2
    assert len(set(keys)) == entries
    # Each entry is counted once, by the sweep that recorded it.
    assert report.sent + fake.nested.sent == entries
    assert report.sent == 0 and fake.nested.sent == entries
    assert set(OutboxEntry.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}


def test_the_lease_runs_from_the_wall_clock_not_from_the_sweeps_start(make_case, town, settings):
    settings.WANGGE_NOTICE_CHANNELS = [webhook(FakeTransport())]
    emergency(make_case, town)
    stale = timezone.now() - timedelta(minutes=10)  # the sweep began long ago
    OutboxEntry.objects.update(next_attempt_at=stale)
    claimed = outbox._claim(stale, 200)
    assert claimed
    entry = OutboxEntry.objects.get(pk=claimed[0].pk)
    assert entry.next_attempt_at > timezone.now() + outbox.lease() - timedelta(seconds=30)
