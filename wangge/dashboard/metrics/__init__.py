"""The figures (DESIGN §5), defined once, computed with SQL aggregates.

Pages, reports, the API and `wangge summary` all call these functions; each
takes a queryset of cases already narrowed to a scope and period.
"""

from django.db.models import Count, F, Q

from wangge.cases.choices import Priority


def emergency_response(cases) -> dict:
    """Emergencies: how many, and how many were accepted and reached on scene in time (15 min)."""
    emergencies = cases.filter(priority=Priority.EMERGENCY)
    figures = emergencies.aggregate(
        total=Count("id"),
        accepted=Count("id", filter=Q(accepted_at__isnull=False)),
        accepted_in_time=Count("id", filter=Q(accepted_at__lte=F("accept_due_at"))),
        on_scene=Count("id", filter=Q(on_scene_at__isnull=False)),
        on_scene_in_time=Count("id", filter=Q(on_scene_at__lte=F("on_scene_due_at"))),
    )
    figures["accepted_in_time_rate"] = _rate(figures["accepted_in_time"], figures["total"])
    figures["on_scene_in_time_rate"] = _rate(figures["on_scene_in_time"], figures["total"])
    return figures


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
