"""Inspections (打非治违): check-in on site within the radius, seal state, findings, team scope."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from wangge.cases.choices import Channel
from wangge.cases.models import Case
from wangge.fieldwork import services
from wangge.fieldwork.models import (
    Inspection,
    InspectionRound,
    InspectionSchedule,
    PlaceWatch,
    SealState,
    TeamGroup,
)
from wangge.fieldwork.services import FieldworkError, NotFound, check_in, places_due
from wangge.grids.models import Place, PlaceKind
from wangge.staff.models import User


def jpeg():
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (120, 90, 60)).save(buffer, "JPEG")
    return SimpleUploadedFile("seal.jpg", buffer.getvalue(), content_type="image/jpeg")


def test_new_places_are_watched(field):
    f = field
    assert f.adit.watch.seal_state == SealState.SEALED
    assert f.venue.watch.seal_state == ""
    school = Place.objects.create(
        town=f.town,
        village=f.va,
        grid=f.a1,
        kind=PlaceKind.SCHOOL,
        name="杨村小学",
        latitude=34.105,
        longitude=112.005,
    )
    assert not PlaceWatch.objects.filter(place=school).exists()
    PlaceWatch.objects.all().delete()
    assert services.sync_watches(f.town) == 4
    assert services.sync_watches(f.town) == 0


def test_check_in_within_the_radius(field, settings, tmp_path):
    f = field
    settings.MEDIA_ROOT = tmp_path
    # About 55 m north of the adit.
    inspection = check_in(
        f.grid_worker,
        f.adit.watch,
        latitude=34.1045,
        longitude=112.004,
        seal_state=SealState.SEALED,
        notes="封堵完好",
        photos=[jpeg()],
        now=f.now,
    )
    assert inspection.distance_m == pytest.approx(55.6, abs=1)
    assert inspection.photos.count() == 1
    watch = PlaceWatch.objects.get(place=f.adit)
    assert watch.last_inspected_at == f.now and watch.seal_checked_at == f.now
    assert inspection.round.day == f.now.date() and inspection.round.started_by == f.grid_worker


def test_check_in_outside_the_radius_is_refused(field, settings):
    f = field
    settings.WANGGE_CHECK_IN_RADIUS_M = 100
    # About 222 m north of the adit: refused, nothing saved.
    with pytest.raises(FieldworkError) as error:
        check_in(
            f.grid_worker,
            f.adit.watch,
            latitude=34.106,
            longitude=112.004,
            seal_state=SealState.SEALED,
            now=f.now,
        )
    assert error.value.field == "position"
    assert "222" in str(error.value.message) and "100" in str(error.value.message)
    assert not Inspection.objects.exists() and not InspectionRound.objects.exists()
    assert PlaceWatch.objects.get(place=f.adit).last_inspected_at is None
    # A wider radius from the settings lets the same position through.
    settings.WANGGE_CHECK_IN_RADIUS_M = 250
    check_in(
        f.grid_worker,
        f.adit.watch,
        latitude=34.106,
        longitude=112.004,
        seal_state=SealState.SEALED,
        now=f.now,
    )
    assert Inspection.objects.count() == 1


def test_check_in_needs_a_position_and_a_seal_state(field):
    f = field
    with pytest.raises(FieldworkError) as error:
        check_in(f.grid_worker, f.adit.watch, latitude=None, longitude=None, now=f.now)
    assert error.value.field == "position"
    with pytest.raises(FieldworkError) as error:
        check_in(f.grid_worker, f.adit.watch, latitude=34.104, longitude=112.004, now=f.now)
    assert error.value.field == "seal_state"
    assert not Inspection.objects.exists()


def test_seal_breach_opens_a_hazard_case(field, catalogue):
    f = field
    inspection = check_in(
        f.grid_worker,
        f.adit.watch,
        latitude=34.104,
        longitude=112.004,
        seal_state=SealState.BREACHED,
        notes="封堵石被撬开，洞口有新鲜脚印",
        now=f.now,
    )
    case = inspection.cases.get()
    assert case.channel == Channel.INSPECTION and case.category.code == "AQ02"
    assert case.grid_id == f.a1.pk
    assert PlaceWatch.objects.get(place=f.adit).seal_state == SealState.BREACHED


def test_finding_at_a_venue(field, catalogue):
    f = field
    inspection = check_in(
        f.grid_worker,
        f.venue.watch,
        latitude=34.106,
        longitude=112.006,
        seal_state=SealState.BREACHED,  # ignored: a venue has no seal
        finding={"category": "AQ01", "title": "安全出口堆放杂物"},
        now=f.now,
    )
    assert inspection.seal_state == ""
    assert inspection.cases.get().title == "安全出口堆放杂物"


def test_scope_of_places(field):
    f = field
    rows, total = places_due(f.grid_worker, now=f.now)
    assert total == 2 and {r.watch.place for r in rows} == {f.adit, f.venue}
    with pytest.raises(NotFound):
        check_in(
            f.grid_worker,
            f.adit_b1.watch,
            latitude=34.095,
            longitude=112.005,
            seal_state=SealState.SEALED,
            now=f.now,
        )
    # The command centre sees every watched place of the town, not the other town's.
    assert places_due(f.dispatcher, now=f.now)[1] == 4
    assert places_due(f.outsider, now=f.now)[1] == 0


def test_team_members_see_and_inspect_their_groups_places(field):
    f = field
    member = User.objects.create_user("zb01", password="pw-zb01", town=f.town)
    group = TeamGroup.objects.create(town=f.town, name="第一组", leader=member)
    group.members.add(member)
    PlaceWatch.objects.filter(place__in=[f.adit_b1, f.enterprise_b2]).update(group=group)
    rows, total = places_due(member, now=f.now)
    assert total == 2 and {r.watch.place for r in rows} == {f.adit_b1, f.enterprise_b2}
    inspection = check_in(
        member,
        PlaceWatch.objects.get(place=f.adit_b1),
        latitude=34.095,
        longitude=112.005,
        seal_state=SealState.SEALED,
        now=f.now,
    )
    assert inspection.round.group == group
    # The same member, another place of the group, the same day: the same round.
    second = check_in(
        member,
        PlaceWatch.objects.get(place=f.enterprise_b2),
        latitude=34.092,
        longitude=112.012,
        now=f.now + timedelta(hours=1),
    )
    assert second.round == inspection.round
    with pytest.raises(NotFound):
        check_in(
            member,
            f.adit.watch,
            latitude=34.104,
            longitude=112.004,
            seal_state=SealState.SEALED,
            now=f.now,
        )


def test_places_due_order(field):
    f = field
    InspectionSchedule.objects.create(town=f.town, kind=PlaceKind.SERVICE_VENUE, interval_days=7)
    check_in(
        f.grid_worker,
        f.venue.watch,
        latitude=34.106,
        longitude=112.006,
        now=f.now - timedelta(days=8),
    )
    check_in(
        f.grid_worker,
        f.adit.watch,
        latitude=34.104,
        longitude=112.004,
        seal_state=SealState.SEALED,
        now=f.now - timedelta(days=2),
    )
    rows, _total = places_due(f.grid_worker, now=f.now)
    assert [(r.watch.place, r.overdue) for r in rows] == [(f.venue, True), (f.adit, False)]
    assert rows[1].due_at == f.now - timedelta(days=2) + timedelta(days=30)
    assert not Case.objects.exists()


def test_a_group_of_several_members_does_not_repeat_places(field):
    f = field
    members = [User.objects.create_user(f"zb{n}", password="pw", town=f.town) for n in range(1, 4)]
    group = TeamGroup.objects.create(town=f.town, name="第二组", leader=members[0])
    group.members.set(members)
    PlaceWatch.objects.update(group=group)
    # Each place once, for the command centre and for a member alike.
    assert places_due(f.dispatcher, now=f.now)[1] == 4
    assert services.watches_for(members[1]).count() == 4
    assert TeamGroup.objects.visible_to(f.dispatcher).count() == 1
    assert TeamGroup.objects.visible_to(members[2]).count() == 1
    check_in(
        members[1],
        PlaceWatch.objects.get(place=f.venue),
        latitude=34.106,
        longitude=112.006,
        now=f.now,
    )
    assert Inspection.objects.visible_to(members[0]).count() == 1
    assert InspectionRound.objects.visible_to(f.dispatcher).count() == 1
