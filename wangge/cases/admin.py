"""Master data of cases (catalogue, deadlines, working hours) is edited here;
cases themselves are read-only: they change only through the lifecycle."""

from django.contrib import admin

from wangge.cases.models import Case, CaseEvent, Category, Notice, SlaPolicy, WorkSchedule
from wangge.staff.admin_scope import ReadOnlyAdmin, ScopedAdmin


class ChildInline(admin.TabularInline):
    model = Category
    fk_name = "parent"
    extra = 0
    fields = [
        "code",
        "name",
        "kind",
        "default_priority",
        "default_department_code",
        "promised_minutes",
        "active",
    ]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "parent",
        "kind",
        "default_priority",
        "default_department_code",
        "promised_minutes",
        "active",
    ]
    list_filter = ["kind", "default_priority", "figure_group", "active"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    inlines = [ChildInline]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "clock",
        "accept_minutes",
        "on_scene_minutes",
        "dispatch_minutes",
        "claim_minutes",
        "resolve_minutes",
        "close_minutes",
    ]
    list_filter = ["priority", "clock"]
    autocomplete_fields = ["category"]


@admin.register(WorkSchedule)
class WorkScheduleAdmin(ScopedAdmin):
    list_display = ["town", "periods"]


class EventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ["at", "action", "from_state", "to_state", "level", "actor", "actor_label", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "title",
        "state",
        "level",
        "priority",
        "category",
        "grid",
        "reported_at",
    ]
    list_filter = ["state", "level", "priority", "channel"]
    search_fields = ["number", "title", "address"]
    list_select_related = ["category", "grid", "category__parent"]
    date_hierarchy = "reported_at"
    inlines = [EventInline]
    exclude = ["reporter_phone_encrypted", "reporter_phone_hash"]


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "case", "action", "from_state", "to_state", "actor", "actor_label"]
    list_filter = ["action"]
    list_select_related = ["case", "actor"]
    search_fields = ["case__number"]


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "kind", "text", "delivered_at", "read_at"]
    list_filter = ["kind"]
    list_select_related = ["recipient"]
