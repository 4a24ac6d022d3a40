from django.contrib import admin

from wangge.points.models import (
    AwardProposal,
    FamilyNomination,
    Good,
    PointEntry,
    PointRule,
    PointScheme,
    Redemption,
    StarRating,
)
from wangge.staff.admin_scope import ReadOnlyAdmin, ScopedAdmin


@admin.register(PointScheme)
class PointSchemeAdmin(ScopedAdmin):
    list_display = ["title", "village", "evidence_threshold", "approval_threshold"]
    autocomplete_fields = ["village"]


@admin.register(PointRule)
class PointRuleAdmin(ScopedAdmin):
    list_display = ["code", "title", "category", "kind", "points", "veto", "active", "village"]
    list_filter = ["kind", "veto", "active"]
    list_select_related = ["village"]
    search_fields = ["code", "title", "category"]
    autocomplete_fields = ["village"]


@admin.register(Good)
class GoodAdmin(ScopedAdmin):
    """Stock changes through the counter and restocking, never by editing the number."""

    list_display = ["name", "unit", "price", "stock", "active", "village"]
    list_filter = ["active"]
    list_select_related = ["village"]
    search_fields = ["name"]
    autocomplete_fields = ["village"]

    def get_readonly_fields(self, request, obj=None):
        return ["stock"] if obj is not None else []


# The ledger and what hangs on it are written only by wangge.points.services.
for model in (PointEntry, AwardProposal, Redemption, StarRating, FamilyNomination):
    admin.site.register(model, ReadOnlyAdmin)
