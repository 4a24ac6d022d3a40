from django.contrib import admin

from wangge.grids.models import Grid, Hamlet, MicroGrid, Place, Town, Village, VillagerGroup
from wangge.staff.admin_scope import ScopedAdmin


@admin.register(Town)
class TownAdmin(ScopedAdmin):
    list_display = ["name", "code", "county_name", "case_prefix"]
    search_fields = ["name", "code"]


@admin.register(Village)
class VillageAdmin(ScopedAdmin):
    list_display = ["name", "code", "kind", "town"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    exclude = ["boundary"]


@admin.register(Hamlet)
class HamletAdmin(ScopedAdmin):
    list_display = ["name", "village"]
    list_select_related = ["village"]
    search_fields = ["name", "village__name"]


@admin.register(VillagerGroup)
class VillagerGroupAdmin(ScopedAdmin):
    list_display = ["name", "village", "hamlet"]
    list_select_related = ["village", "hamlet"]
    search_fields = ["name", "village__name"]


@admin.register(Grid)
class GridAdmin(ScopedAdmin):
    list_display = ["code", "name", "kind", "village", "area_km2"]
    list_filter = ["kind", "village"]
    list_select_related = ["village"]
    search_fields = ["code", "name"]
    readonly_fields = ["area_km2", "centroid_lat", "centroid_lon", "updated_at"]


@admin.register(MicroGrid)
class MicroGridAdmin(ScopedAdmin):
    list_display = ["code", "name", "grid"]
    list_select_related = ["grid"]
    search_fields = ["code", "name"]


@admin.register(Place)
class PlaceAdmin(ScopedAdmin):
    list_display = ["name", "kind", "village", "grid"]
    list_filter = ["kind"]
    list_select_related = ["village", "grid"]
    search_fields = ["name", "code", "address"]
