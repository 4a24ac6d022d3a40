from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from wangge.api import tokens
from wangge.api.models import ApiToken
from wangge.staff.admin_scope import ScopedAdmin


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username", "prefix"]
    readonly_fields = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke_tokens"]

    def has_add_permission(self, request):
        # Tokens are issued on the user's own page, where the raw token is shown once.
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke_tokens(self, request, queryset):
        for token in queryset.filter(revoked_at=None):
            tokens.revoke(token)
