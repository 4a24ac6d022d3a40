from django.contrib import admin

from wangge.open311.models import Open311Request
from wangge.staff.admin_scope import ReadOnlyAdmin


@admin.register(Open311Request)
class Open311RequestAdmin(ReadOnlyAdmin):
    """Received requests are a record: what the client sent, beside its case."""

    list_display = ["case", "client", "created_at", "token"]
    list_select_related = ["case", "client"]
    search_fields = ["case__number", "token"]
    date_hierarchy = "created_at"
    # The e-mail stays encrypted here; the case page is where contacts are shown.
    exclude = ["email_encrypted"]
