from django.contrib import admin

from wangge.community.models import (
    CadreAssessment,
    ProgressUpdate,
    RectificationProject,
    RectificationTarget,
    ReserveCadre,
)
from wangge.staff.admin_scope import ReadOnlyAdmin, ScopedAdmin


@admin.register(ReserveCadre)
class ReserveCadreAdmin(ScopedAdmin):
    list_display = ["name", "village", "background", "education", "stage", "registered_on"]
    list_filter = ["stage", "background", "education"]
    list_select_related = ["village"]
    search_fields = ["name"]
    autocomplete_fields = ["village"]
    raw_id_fields = ["resident"]


class TargetInline(admin.TabularInline):
    model = RectificationTarget
    fields = ["position", "name", "unit", "target", "done"]
    readonly_fields = ["done"]
    extra = 0


@admin.register(RectificationProject)
class RectificationProjectAdmin(ScopedAdmin):
    list_display = ["title", "village", "started_on", "due_on", "status"]
    list_filter = ["status"]
    list_select_related = ["village"]
    autocomplete_fields = ["village"]
    readonly_fields = ["status", "created_by"]
    inlines = [TargetInline]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for target in formset.save(commit=False):
            target.town_id = form.instance.town_id
            target.save()
        for target in formset.deleted_objects:
            target.delete()


# Assessments and progress are written only by wangge.community.services.
for model in (CadreAssessment, ProgressUpdate):
    admin.site.register(model, ReadOnlyAdmin)
