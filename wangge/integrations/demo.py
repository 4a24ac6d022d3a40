"""The demo town's alarm sources and its 雪亮工程 cameras.

Two sources are registered — the county police's anti-fraud centre and the
video platform — **without a secret**: every request is refused (401) until
an operator sets one (`wangge hook_secret <key>` or the admin), so the demo
prints nothing secret and an unconfigured copy accepts no alarms. Cameras
stand at the demo's camera posts and at enterprise gates, petrol stations,
hotels and a quarter of the sealed mine adits; their ids follow GB/T 28181
(8-digit area code, 2-digit industry, type 131 for a camera, serial).
"""

from __future__ import annotations

import random

from django.utils.translation import gettext as _

from wangge.grids.models import Place, PlaceKind, Town
from wangge.integrations.models import Camera, HookSource, SourceKind

ADIT_SHARE = 0.25
VENUES_WATCHED = {"加油站": "AQ01", "宾馆": ""}


def camera_id(town: Town, serial: int) -> str:
    return f"{town.code[:8]}00131{serial:07d}"


def build(town: Town, *, seed: int, now) -> list[tuple[str, int, object]]:
    """Register the sources and cameras of the demo town (deterministic for a seed)."""
    rng = random.Random(f"integrations-{seed}")
    police = HookSource.objects.create(
        town=town,
        name=f"{town.county_name}公安局反诈中心",
        key="county-police",
        kind=SourceKind.POLICE,
    )
    video = HookSource.objects.create(
        town=town, name="雪亮工程视频平台", key="xueliang-video", kind=SourceKind.VIDEO
    )
    places = list(
        Place.objects.filter(
            town=town,
            kind__in=[
                PlaceKind.CAMERA,
                PlaceKind.ENTERPRISE,
                PlaceKind.SERVICE_VENUE,
                PlaceKind.SEALED_ADIT,
            ],
        ).order_by("kind", "code", "id")
    )
    watched: list[tuple[Place, str, str]] = []
    for place in places:
        if place.kind == PlaceKind.CAMERA:
            watched.append((place, place.name, ""))
        elif place.kind == PlaceKind.ENTERPRISE:
            watched.append((place, f"{place.name}大门监控", "AQ01"))
        elif place.kind == PlaceKind.SERVICE_VENUE:
            category = (place.details or {}).get("category")
            if category in VENUES_WATCHED:
                watched.append((place, f"{place.name}监控", VENUES_WATCHED[category]))
        elif rng.random() < ADIT_SHARE:
            watched.append((place, f"{place.name}洞口监控", "AQ02"))
    cameras = Camera.objects.bulk_create(
        [
            Camera(
                town=town,
                source=video,
                camera_id=camera_id(town, serial),
                name=name[:100],
                place=place,
                category_code=category,
            )
            for serial, (place, name, category) in enumerate(watched, start=1)
        ]
    )
    at_adits = sum(1 for place, _name, _category in watched if place.kind == PlaceKind.SEALED_ADIT)
    return [
        (_("alarm sources (police, video)"), len([police, video]), "警网融合, 雪亮工程"),
        (_("cameras registered"), len(cameras), "—"),
        (_("cameras at sealed mine adits"), at_adits, "—"),
    ]
