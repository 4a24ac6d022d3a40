"""The field-work demo on the small town: deterministic, realistic, repeatable."""

from datetime import timedelta

from django.utils import translation

from wangge.cases.models import Case
from wangge.fieldwork import demo
from wangge.fieldwork.models import (
    Inspection,
    InspectionRound,
    PlaceWatch,
    RotaDay,
    SealState,
    ServiceStation,
    TeamGroup,
    Visit,
)
from wangge.grids.models import Place, PlaceKind
from wangge.residents.models import Household


def _station(f):
    Place.objects.create(
        town=f.town,
        village=f.va,
        grid=f.a1,
        kind=PlaceKind.SERVICE_STATION,
        name="杨村便民服务驿站",
        latitude=34.105,
        longitude=112.005,
    )


def test_build_fills_field_work(field, catalogue):
    f = field
    _station(f)
    with translation.override("en"):
        rows = demo.build(f.town, seed=7, now=f.now)
    summary = {label: (count, brief) for label, count, brief in rows}
    assert len(rows) == 15
    assert TeamGroup.objects.filter(town=f.town).count() == 4
    assert all(g.members.count() == 4 for g in TeamGroup.objects.all())
    assert summary["special team members"][0] == 16
    assert PlaceWatch.objects.filter(group__isnull=True, town=f.town).count() == 0
    assert RotaDay.objects.filter(town=f.town).count() == 365 + 28
    # A year of monthly adit checks: about 11 each, none outside the radius.
    adit_checks = Inspection.objects.filter(place=f.adit).count()
    assert 9 <= adit_checks <= 15
    assert not Inspection.objects.filter(distance_m__gt=100).exists()
    assert Inspection.objects.filter(checked_in_at__gt=f.now).count() == 0
    # Visits: realistic, in the past, linked to the town's households.
    assert Visit.objects.filter(visited_at__gt=f.now).count() == 0
    visited = (
        Visit.objects.filter(visited_at__gte=f.now - timedelta(days=30), nobody_home=False)
        .values("household")
        .distinct()
        .count()
    )
    assert 0 < visited <= Household.objects.filter(town=f.town).count()
    # Findings opened cases through intake, linked back; a seal was breached.
    assert Case.objects.filter(channel="visit", visits__isnull=False).exists()
    assert Case.objects.filter(channel="inspection", inspections__isnull=False).exists()
    assert Inspection.objects.filter(seal_state=SealState.BREACHED).exists()
    station = ServiceStation.objects.get()
    assert station.items.count() > 0 and station.opening_hours
    assert summary["service items offered"][1] == "42"


def _history():
    visits = Visit.objects.order_by("household_id", "visited_at", "pk").values_list(
        "household_id", "visited_at", "nobody_home", "mediator"
    )
    inspections = Inspection.objects.order_by("place_id", "checked_in_at", "pk").values_list(
        "place_id", "checked_in_at", "inspector__username", "seal_state"
    )
    return list(visits), list(inspections)


def test_build_is_deterministic_and_repeatable(field, catalogue):
    f = field
    _station(f)
    demo.build(f.town, seed=3, now=f.now)
    first = _history()
    counts = (Visit.objects.count(), Inspection.objects.count(), Case.objects.count())
    # Building again adds nothing.
    demo.build(f.town, seed=3, now=f.now)
    assert (Visit.objects.count(), Inspection.objects.count(), Case.objects.count()) == counts
    # Built again from scratch with the same seed: the same history.
    Visit.objects.all().delete()
    Inspection.objects.all().delete()
    InspectionRound.objects.all().delete()
    RotaDay.objects.all().delete()
    TeamGroup.objects.all().delete()
    ServiceStation.objects.all().delete()
    PlaceWatch.objects.update(group=None, last_inspected_at=None)
    demo.build(f.town, seed=3, now=f.now)
    assert _history() == first
    # Another seed, another history.
    Visit.objects.all().delete()
    Inspection.objects.all().delete()
    InspectionRound.objects.all().delete()
    TeamGroup.objects.all().delete()
    demo.build(f.town, seed=4, now=f.now)
    assert _history() != first
