"""The rest of the demo town's life: each app fills in its own part.

After the town and its year of cases exist, every app with demo data adds it
through its own `demo.build(town, *, seed, now)` (field work, points,
community, integrations, Open311), so the demo goes through each app's own
services. Each returns rows (what, built, the brief's figure) for the table
`wangge demo` prints.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from importlib import import_module

from django.db import transaction
from django.utils.translation import gettext_lazy as _

# In order: field work uses the cases' catalogue and staff; Open311 reports
# reach grid workers; points and community only need the households.
BUILDERS = [
    ("wangge.fieldwork.demo", _("Door-knock visits, inspections and service stations")),
    ("wangge.points.demo", _("Points and the points supermarket")),
    ("wangge.community.demo", _("Reserve cadres and rectification projects")),
    ("wangge.integrations.demo", _("Alarm sources and cameras")),
    ("wangge.open311.demo", _("Open311 reports")),
]


def _nothing(index: int, label: str) -> None:
    return None


def built(town) -> bool:
    """Whether the town has these parts already (they are written all or nothing)."""
    from wangge.points.models import PointScheme

    return PointScheme.objects.filter(town=town).exists()


@transaction.atomic
def build_more(
    town, *, seed: int, now: datetime, on_step: Callable[[int, str], None] = _nothing
) -> list[tuple[str, object, object]]:
    """All the apps' parts in one transaction: a failure leaves none of them, and
    the next `wangge demo` tries again."""
    rows: list[tuple[str, object, object]] = []
    for index, (module, label) in enumerate(BUILDERS):
        on_step(index, str(label))
        rows.extend(import_module(module).build(town, seed=seed, now=now))
    on_step(len(BUILDERS), "")
    return rows
