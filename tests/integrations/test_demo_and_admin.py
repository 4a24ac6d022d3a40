"""The demo's sources and cameras, the secret command, and the admin pages."""

import io

import pytest
from django.core.management import CommandError, call_command

from wangge.grids.models import Place, PlaceKind
from wangge.integrations import demo
from wangge.integrations.models import Camera, HookSource, OutboxEntry, OutboxStatus
from wangge.staff.services import sync_role_groups

from .conftest import NOW


def places(town):
    common = {"town": town.town, "village": town.vb, "grid": town.b2}
    Place.objects.create(
        kind=PlaceKind.CAMERA, name="庄科路口监控1", latitude=34.09, longitude=112.011, **common
    )
    Place.objects.create(
        kind=PlaceKind.ENTERPRISE, name="庄科选矿厂", latitude=34.091, longitude=112.012, **common
    )
    Place.objects.create(
        kind=PlaceKind.SERVICE_VENUE,
        name="德亭加油站",
        latitude=34.092,
        longitude=112.013,
        details={"category": "加油站"},
        **common,
    )
    Place.objects.create(
        kind=PlaceKind.SERVICE_VENUE,
        name="庄科小卖部",
        latitude=34.093,
        longitude=112.013,
        details={"category": "小卖部"},
        **common,
    )
    for n in range(8):
        Place.objects.create(
            kind=PlaceKind.SEALED_ADIT,
            name=f"庄科{n}号矿洞",
            latitude=34.09,
            longitude=112.01 + n / 1000,
            **common,
        )


def test_demo_registers_sources_without_secrets_and_cameras_at_places(town):
    places(town)
    rows = demo.build(town.town, seed=1, now=NOW)
    sources = HookSource.objects.filter(town=town.town)
    assert sorted(sources.values_list("kind", flat=True)) == ["police", "video"]
    assert not any(s.has_secret for s in sources)
    cameras = Camera.objects.filter(town=town.town)
    # The camera post, the enterprise, the petrol station (not the shop), and some adits.
    named = set(cameras.values_list("place__name", flat=True))
    assert {"庄科路口监控1", "庄科选矿厂", "德亭加油站"} <= named and "庄科小卖部" not in named
    adits = cameras.filter(place__kind=PlaceKind.SEALED_ADIT)
    assert all(c.category_code == "AQ02" for c in adits)
    assert all(len(c.camera_id) == 20 and c.camera_id[10:13] == "131" for c in cameras)
    assert rows[1][1] == cameras.count() and rows[2][1] == adits.count()


def test_demo_is_the_same_for_the_same_seed(town):
    places(town)
    demo.build(town.town, seed=7, now=NOW)
    first = list(Camera.objects.order_by("camera_id").values_list("camera_id", "place__name"))
    Camera.objects.all().delete()
    HookSource.objects.all().delete()
    demo.build(town.town, seed=7, now=NOW)
    assert (
        list(Camera.objects.order_by("camera_id").values_list("camera_id", "place__name")) == first
    )


def test_hook_secret_reads_the_secret_from_stdin(town, monkeypatch):
    source = HookSource.objects.create(
        town=town.town, name="公安", key="county-police", kind="police"
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("a-secret-agreed-with-the-county-0123456\n"))
    out = io.StringIO()
    call_command("hook_secret", "county-police", stdout=out, stderr=io.StringIO())
    source.refresh_from_db()
    assert source.secret == "a-secret-agreed-with-the-county-0123456"
    assert out.getvalue() == ""  # nothing secret printed
    assert "a-secret" not in source.secret_encrypted


def test_hook_secret_generate_prints_it_once(town):
    source = HookSource.objects.create(town=town.town, name="视频", key="xueliang", kind="video")
    out = io.StringIO()
    call_command("hook_secret", "xueliang", "--generate", stdout=out, stderr=io.StringIO())
    source.refresh_from_db()
    assert source.secret == out.getvalue().strip() and len(source.secret) >= 32


def test_hook_secret_refuses_a_short_secret_and_unknown_source(town, monkeypatch):
    HookSource.objects.create(town=town.town, name="公安", key="county-police", kind="police")
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    with pytest.raises(CommandError):
        call_command("hook_secret", "county-police")
    with pytest.raises(CommandError):
        call_command("hook_secret", "nobody", "--generate")


@pytest.fixture
def admin_client(client, town):
    sync_role_groups()
    client.force_login(town.admin)
    town.admin.is_staff = True
    town.admin.save()
    return client


def test_admin_sets_a_secret_without_ever_showing_it(admin_client, town):
    response = admin_client.post(
        "/admin/integrations/hooksource/add/",
        {
            "town": town.town.pk,
            "name": "嵩县公安局反诈中心",
            "key": "county-police",
            "kind": "police",
            "active": "on",
            "new_secret": "a-secret-agreed-with-the-county-0123456",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    source = HookSource.objects.get()
    assert source.secret == "a-secret-agreed-with-the-county-0123456"
    page = admin_client.get(f"/admin/integrations/hooksource/{source.pk}/change/")
    assert page.status_code == 200
    assert "a-secret-agreed" not in page.content.decode()


def test_admin_refuses_a_new_source_without_secret(admin_client, town):
    response = admin_client.post(
        "/admin/integrations/hooksource/add/",
        {"town": town.town.pk, "name": "公安", "key": "p", "kind": "police", "active": "on"},
    )
    assert response.status_code == 200 and HookSource.objects.count() == 0


def test_failed_outbox_entries_are_listed_and_can_be_sent_again(
    admin_client, town, make_case, settings
):
    settings.WANGGE_NOTICE_CHANNELS = [
        {
            "BACKEND": "wangge.integrations.channels.Webhook",
            "URL": "http://127.0.0.1:9/",
            "SECRET": "s" * 32,
        }
    ]
    make_case(actor=town.grid_helper, now=NOW)
    entry = OutboxEntry.objects.get()
    entry.status = OutboxStatus.FAILED
    entry.last_error = "HTTP 503"
    entry.save()
    page = admin_client.get("/admin/integrations/outboxentry/?status=failed")
    assert page.status_code == 200 and "HTTP 503" in page.content.decode()
    admin_client.post(
        "/admin/integrations/outboxentry/",
        {"action": "retry_failed", "_selected_action": [entry.pk]},
    )
    entry.refresh_from_db()
    assert entry.status == OutboxStatus.PENDING and entry.attempts == 0
