"""Inbound alarms: signatures, replay window, idempotent event ids, and the cases they make."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from wangge.cases.models import Attachment, Case, Notice
from wangge.integrations import signing
from wangge.integrations.models import ReceivedEvent
from wangge.staff.models import Role
from wangge.staff.services import assign_role

from .conftest import NOW, POLICE_SECRET, VIDEO_SECRET, jpeg_bytes, snapshot_b64

POLICE_URL = "/hooks/police-directive"
VIDEO_URL = "/hooks/video-alarm"


def directive(**extra):
    return {
        "event_id": "FZ-20261123-0001",
        "title": "反诈预警：王秀英疑似正遭冒充公检法诈骗",
        "description": "县反诈中心监测到该居民正与涉诈号码通话，请立即上门劝阻。",
        "id_number": "410325196503120017",
        **extra,
    }


def post_directive(post_signed, payload=None, **kwargs):
    kwargs.setdefault("source", "song-police")
    kwargs.setdefault("secret", POLICE_SECRET)
    return post_signed(POLICE_URL, payload or directive(), **kwargs)


def nothing_created():
    return Case.objects.count() == 0 and ReceivedEvent.objects.count() == 0


# --- Signatures ---------------------------------------------------------------


def test_the_urls_are_mounted_under_hooks():
    assert reverse("integrations:police_directive") == POLICE_URL
    assert reverse("integrations:video_alarm") == VIDEO_URL


def test_a_well_signed_directive_is_accepted(frozen, police_source, post_signed):
    response = post_directive(post_signed)
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert response.json()["case"] == case.number
    assert response.json()["status"] == "created"


def test_a_bad_signature_gets_401_and_creates_nothing(frozen, police_source, post_signed):
    response = post_directive(post_signed, signature="sha256=" + "0" * 64)
    assert response.status_code == 401
    assert response.json()["error"] == "签名不匹配。"
    assert nothing_created()


def test_a_body_signed_with_another_secret_is_refused(frozen, police_source, post_signed):
    response = post_directive(post_signed, secret="someone-else-secret-0123456789abcdef")
    assert response.status_code == 401
    assert nothing_created()


def test_a_body_changed_after_signing_is_refused(frozen, police_source, post_signed):
    body = json.dumps(directive()).encode()
    headers = signing.sign(POLICE_SECRET, body, NOW, source="song-police")
    tampered = json.dumps(directive(id_number="410325197001010026")).encode()
    response = post_signed(
        POLICE_URL,
        tampered,
        source="song-police",
        secret=POLICE_SECRET,
        signature=headers[signing.SIGNATURE_HEADER],
    )
    assert response.status_code == 401
    assert nothing_created()


@pytest.mark.parametrize("header", ["X-Wangge-Signature", "X-Wangge-Timestamp"])
def test_a_missing_signature_header_gets_401(frozen, police_source, post_signed, header):
    response = post_directive(post_signed, headers={header: None})
    assert response.status_code == 401
    assert response.json()["error"] == "请求未签名。"
    assert nothing_created()


def test_an_unknown_source_gets_401(frozen, police_source, post_signed):
    response = post_directive(post_signed, source="somebody")
    assert response.status_code == 401
    assert nothing_created()


def test_a_video_source_cannot_send_police_directives(
    frozen, police_source, video_source, post_signed
):
    response = post_directive(post_signed, source="xueliang", secret=VIDEO_SECRET)
    assert response.status_code == 401
    assert nothing_created()


def test_an_inactive_source_gets_401(frozen, police_source, post_signed):
    police_source.active = False
    police_source.save()
    assert post_directive(post_signed).status_code == 401
    assert nothing_created()


@pytest.mark.parametrize("offset", [timedelta(seconds=-301), timedelta(seconds=301)])
def test_a_stale_or_future_timestamp_gets_401(frozen, police_source, post_signed, offset):
    response = post_directive(post_signed, at=NOW + offset)
    assert response.status_code == 401
    assert "时间戳" in response.json()["error"]
    assert nothing_created()


def test_a_timestamp_inside_the_window_is_accepted(frozen, police_source, post_signed):
    assert post_directive(post_signed, at=NOW - timedelta(seconds=299)).status_code == 201


def test_the_replay_window_is_a_setting(frozen, police_source, post_signed, settings):
    settings.WANGGE_HOOK_REPLAY_WINDOW_SECONDS = 30
    assert post_directive(post_signed, at=NOW - timedelta(seconds=31)).status_code == 401
    assert nothing_created()


def test_get_is_not_allowed(client, police_source):
    assert client.get(POLICE_URL).status_code == 405


def test_a_body_that_is_not_json_gets_400(frozen, police_source, post_signed):
    response = post_directive(post_signed, b"not json")
    assert response.status_code == 400
    assert nothing_created()


def test_a_directive_without_event_id_gets_422(frozen, police_source, post_signed):
    response = post_directive(post_signed, directive(event_id=""))
    assert response.status_code == 422
    assert response.json()["field"] == "event_id"
    assert nothing_created()


def test_an_invalid_id_number_gets_422(frozen, police_source, post_signed):
    response = post_directive(post_signed, directive(id_number="410325196503120018"))
    assert response.status_code == 422
    assert response.json()["field"] == "id_number"
    assert nothing_created()


# --- Replay -------------------------------------------------------------------


def test_a_replayed_event_id_returns_the_first_case(frozen, police_source, post_signed):
    first = post_directive(post_signed)
    again = post_directive(post_signed, at=NOW + timedelta(seconds=60))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["status"] == "replayed"
    assert again.json()["case"] == first.json()["case"]
    assert Case.objects.count() == 1
    assert ReceivedEvent.objects.get().replays == 1


def test_event_ids_are_per_source(frozen, police_source, post_signed):
    from wangge.integrations.models import HookSource

    other = HookSource(
        town=police_source.town, name="市局指挥中心", key="city-police", kind="police"
    )
    other.set_secret("city-police-secret-0123456789abcdef")
    other.save()
    post_directive(post_signed)
    response = post_directive(
        post_signed, source="city-police", secret="city-police-secret-0123456789abcdef"
    )
    assert response.status_code == 201
    assert Case.objects.count() == 2


# --- Police directive → emergency with co-response ------------------------------


def test_a_directive_naming_a_resident_is_an_emergency_in_her_grid(
    frozen, town, police_source, post_signed
):
    post_directive(post_signed)
    case = Case.objects.get()
    assert case.channel == "police_directive"
    assert case.priority == "emergency"
    assert case.category.code == "TF04"
    assert (case.grid, case.village) == (town.a1, town.va)
    assert case.address == town.h_a1w.address
    assert not case.needs_placing
    assert case.accept_due_at == NOW + timedelta(minutes=15)
    # The ID number is shown masked, never in full.
    assert "4103**********0017" in case.description
    assert "410325196503120017" not in case.description
    assert case.events.get().actor_label == "hook:song-police"


def test_the_directive_notifies_worker_police_and_instructor_at_once(
    frozen, town, police_source, post_signed
):
    assign_role(town.instructor, Role.GRID_INSTRUCTOR, grid=town.a1)
    post_directive(post_signed)
    case = Case.objects.get()
    notified = set(
        Notice.objects.filter(case=case, kind="emergency").values_list("recipient", flat=True)
    )
    assert notified == {town.grid_worker.pk, town.police.pk, town.instructor.pk}
    assert all(n.created_at == NOW for n in Notice.objects.filter(case=case))


def test_a_directive_for_someone_unknown_is_kept_for_the_dispatcher(
    frozen, town, police_source, post_signed
):
    payload = directive(id_number="", name="赵某", address="庄科村三组路口")
    response = post_directive(post_signed, payload)
    assert response.status_code == 201
    case = Case.objects.get()
    assert case.needs_placing and case.grid is None
    assert case.address == "庄科村三组路口"
    assert Notice.objects.filter(case=case, recipient=town.dispatcher).exists()


def test_a_directive_with_a_point_is_located_by_the_map(frozen, town, police_source, post_signed):
    payload = directive(id_number="", latitude=34.095, longitude=112.005)
    assert post_directive(post_signed, payload).status_code == 201
    assert Case.objects.get().grid == town.b1


def test_a_directive_with_an_unknown_category_gets_422(frozen, police_source, post_signed):
    response = post_directive(post_signed, directive(category="XX99"))
    assert response.status_code == 422
    assert response.json()["error"] == "未知的类别。"
    assert nothing_created()


# --- Video alarms ---------------------------------------------------------------


def alarm(**extra):
    return {
        "event_id": "VA-0001",
        "camera_id": "410325-CAM-0031",
        "alarm_type": "人员闯入",
        "description": "封闭矿洞口检测到人员进入",
        "snapshot": snapshot_b64(),
        **extra,
    }


def post_alarm(post_signed, payload=None, **kwargs):
    return post_signed(
        VIDEO_URL, payload or alarm(), source="xueliang", secret=VIDEO_SECRET, **kwargs
    )


def test_a_video_alarm_lands_at_the_cameras_place_with_its_snapshot(
    frozen, town, camera, post_signed
):
    response = post_alarm(post_signed)
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert case.channel == "video_alarm"
    assert case.grid == town.b2
    assert case.category.code == "AQ02"  # the camera's own category: a mine adit
    assert (case.latitude, case.longitude) == (34.092, 112.012)
    assert case.title == "视频告警：庄科3号洞口监控（人员闯入）"
    attachment = Attachment.objects.get(case=case)
    assert attachment.content_type == "image/jpeg"
    assert attachment.event == case.events.get()


def test_a_video_alarm_may_come_as_multipart(frozen, town, camera, client):
    fields = {"event_id": "VA-0002", "camera_id": "410325-CAM-0031", "alarm_type": "烟火"}
    from django.test.client import BOUNDARY, encode_multipart

    body = encode_multipart(
        BOUNDARY, {**fields, "snapshot": SimpleUploadedFile("snap.jpg", jpeg_bytes())}
    )
    headers = signing.sign(VIDEO_SECRET, body, NOW, source="xueliang")
    response = client.post(
        VIDEO_URL,
        data=body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()},
    )
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert case.attachments.count() == 1


def test_an_unknown_camera_gets_422_and_creates_nothing(frozen, camera, post_signed):
    response = post_alarm(post_signed, alarm(camera_id="410325-CAM-9999"))
    assert response.status_code == 422
    assert response.json()["error"] == "未知的摄像头 410325-CAM-9999：请先在管理后台登记。"
    assert nothing_created()
    # Once the camera is registered, the platform's retry of the same event succeeds.
    camera.camera_id = "410325-CAM-9999"
    camera.save()
    assert post_alarm(post_signed, alarm(camera_id="410325-CAM-9999")).status_code == 201


def test_a_snapshot_that_is_not_a_photo_gets_422(frozen, camera, post_signed):
    import base64

    response = post_alarm(post_signed, alarm(snapshot=base64.b64encode(b"MZ not a photo").decode()))
    assert response.status_code == 422
    assert response.json()["field"] == "photos"
    assert nothing_created() and Attachment.objects.count() == 0


def test_a_snapshot_that_is_not_base64_gets_422(frozen, camera, post_signed):
    response = post_alarm(post_signed, alarm(snapshot="%%%"))
    assert response.status_code == 422
    assert nothing_created()


def test_a_replayed_video_alarm_stores_one_snapshot(frozen, camera, post_signed):
    post_alarm(post_signed)
    again = post_alarm(post_signed)
    assert again.status_code == 200
    assert Case.objects.count() == 1 and Attachment.objects.count() == 1


def test_a_police_source_cannot_send_video_alarms(frozen, camera, police_source, post_signed):
    response = post_signed(VIDEO_URL, alarm(), source="song-police", secret=POLICE_SECRET)
    assert response.status_code == 401
    assert nothing_created()


@pytest.mark.django_db(transaction=True)
def test_the_same_event_twice_at_once_makes_one_case(town, catalogue, police_source):
    import threading

    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    body = json.dumps(directive()).encode()
    headers = signing.sign(POLICE_SECRET, body, timezone.now(), source="song-police")
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    barrier = threading.Barrier(2)
    answers, errors = [], []

    def send():
        try:
            client = Client()
            barrier.wait()
            response = client.post(POLICE_URL, data=body, content_type="application/json", **extra)
            answers.append((response.status_code, response.json()["case"]))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(status for status, _ in answers) == [200, 201]
    assert len({number for _, number in answers}) == 1
    assert Case.objects.count() == 1 and ReceivedEvent.objects.count() == 1
