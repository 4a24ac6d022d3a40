"""Master data of field work: visit plans, inspection schedules, the special team and
its rota, watched places, service stations. Visits and inspections are records of
what was done on site: read-only here."""

from django.contrib import admin

from wangge.fieldwork.models import (
    Inspection,
    InspectionSchedule,
    PlaceWatch,
    RotaDay,
    ServiceStation,
    TeamGroup,
    Visit,
    VisitPlan,
)
from wangge.staff.admin_scope import ReadOnlyAdmin, ScopedAdmin


@admin.register(VisitPlan)
class VisitPlanAdmin(ScopedAdmin):
    list_display = ["grid", "interval_days"]
    list_select_related = ["grid"]
    raw_id_fields = ["grid"]


@admin.register(InspectionSchedule)
class InspectionScheduleAdmin(ScopedAdmin):
    list_display = ["town", "kind", "interval_days"]
    list_filter = ["kind"]


@admin.register(TeamGroup)
class TeamGroupAdmin(ScopedAdmin):
    list_display = ["name", "town", "leader", "sort"]
    filter_horizontal = ["members"]


@admin.register(RotaDay)
class RotaDayAdmin(ScopedAdmin):
    list_display = ["day", "group", "note"]
    list_filter = ["group"]
    date_hierarchy = "day"


@admin.register(PlaceWatch)
class PlaceWatchAdmin(ScopedAdmin):
    list_display = ["place", "group", "seal_state", "last_inspected_at"]
    list_filter = ["place__kind", "seal_state", "group"]
    search_fields = ["place__name", "place__code"]
    raw_id_fields = ["place"]
    list_select_related = ["place", "group"]


@admin.register(ServiceStation)
class ServiceStationAdmin(ScopedAdmin):
    list_display = ["place", "opening_hours", "phone"]
    filter_horizontal = ["items"]
    raw_id_fields = ["place"]
    list_select_related = ["place"]


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ["household", "visited_at", "visited_by", "nobody_home", "in_window"]
    list_filter = ["nobody_home", "in_window"]
    date_hierarchy = "visited_at"
    list_select_related = ["household", "visited_by"]


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyAdmin):
    list_display = ["place", "checked_in_at", "inspector", "seal_state", "distance_m"]
    list_filter = ["place__kind", "seal_state"]
    date_hierarchy = "checked_in_at"
    list_select_related = ["place", "inspector"]
