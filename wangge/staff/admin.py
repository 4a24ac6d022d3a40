from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from wangge.staff.admin_scope import ScopedAdmin
from wangge.staff.models import Department, PoliceBeat, RoleAssignment, User


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["village", "grid", "micro_grid", "department", "beat"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin, ScopedAdmin):
    list_display = ["username", "full_name", "town", "is_active", "is_staff"]
    search_fields = ["username", "full_name"]
    list_filter = ["is_active", "is_staff", "role_assignments__role"]
    fieldsets = DjangoUserAdmin.fieldsets + (
        (_("Work"), {"fields": ("full_name", "phone", "town")}),
    )
    inlines = [RoleAssignmentInline]


@admin.register(Department)
class DepartmentAdmin(ScopedAdmin):
    list_display = ["name", "code", "town", "phone"]
    search_fields = ["name", "code"]


@admin.register(PoliceBeat)
class PoliceBeatAdmin(ScopedAdmin):
    list_display = ["name", "town"]
    filter_horizontal = ["villages"]
    search_fields = ["name"]
