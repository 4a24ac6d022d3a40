"""Admin screens scoped like every other screen: through `visible_to`."""

from django.contrib import admin

from wangge.staff.scope import ScopedQuerySet


def _scoped(queryset, user):
    if isinstance(queryset, ScopedQuerySet):
        return queryset.visible_to(user)
    return queryset


class ScopedAdmin(admin.ModelAdmin):
    """Non-superusers see and choose only rows within their scope."""

    def get_queryset(self, request):
        return _scoped(super().get_queryset(request), request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = _scoped(field.queryset, request.user)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = _scoped(field.queryset, request.user)
        return field


class ReadOnlyAdmin(ScopedAdmin):
    """For audit records: visible, never added, changed or deleted from the app."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
