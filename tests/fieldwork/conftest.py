"""Field-work fixtures on the shared small town: located households and watched places.

Grid A1 is [112.00,112.01]×[34.10,34.11]; its centre is (34.105, 112.005).
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from wangge.grids.models import Place, PlaceKind
from wangge.residents.models import Household, Tag

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 7, 0, tzinfo=SH)  # breakfast time on a Friday


@pytest.fixture
def field(town):
    """Locate the A1 households, add three more and a vulnerable tag, and watched places."""
    f = town
    f.now = NOW
    Household.objects.filter(pk=f.h_a1w.pk).update(latitude=34.105, longitude=112.002)
    Household.objects.filter(pk=f.h_a1e.pk).update(latitude=34.105, longitude=112.008)
    f.h_a1w.refresh_from_db()
    f.h_a1e.refresh_from_db()

    def household(number, lon, lat, micro=None):
        return Household.objects.create(
            town=f.town,
            village=f.va,
            grid=f.a1,
            micro_grid=micro,
            number=number,
            address=f"杨村{number}号",
            longitude=lon,
            latitude=lat,
        )

    f.h_near = household("A1-003", 112.0051, 34.1051)  # next to the centre
    f.h_far = household("A1-004", 112.0095, 34.1095)  # the far corner
    f.h_old = household("A1-005", 112.0060, 34.1060)  # the vulnerable one
    f.alone = Tag.objects.create(code="alone_elderly", name="独居老人", vulnerable=True)
    f.h_old.tags.add(f.alone)

    def place(kind, name, grid, lon, lat, **details):
        return Place.objects.create(
            town=grid.town,
            village=grid.village,
            grid=grid,
            kind=kind,
            name=name,
            longitude=lon,
            latitude=lat,
            details=details,
        )

    f.adit = place(PlaceKind.SEALED_ADIT, "杨村1号封闭矿洞", f.a1, 112.004, 34.104)
    f.venue = place(PlaceKind.SERVICE_VENUE, "杨村惠民超市", f.a1, 112.006, 34.106)
    f.adit_b1 = place(PlaceKind.SEALED_ADIT, "庄科村1号封闭矿洞", f.b1, 112.005, 34.095)
    f.enterprise_b2 = place(PlaceKind.ENTERPRISE, "庄科矿业公司", f.b2, 112.012, 34.092)
    return f
