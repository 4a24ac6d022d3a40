"""Alarm sources and cameras are master data; received alarms and the outbox are records."""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from wangge.integrations import outbox
from wangge.integrations.models import Camera, HookSource, OutboxEntry, ReceivedEvent
from wangge.staff.admin_scope import ReadOnlyAdmin, ScopedAdmin


class HookSourceForm(forms.ModelForm):
    new_secret = forms.CharField(
        label=_("new secret"),
        required=False,
        min_length=32,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "At least 32 characters, agreed with the source. Stored encrypted and never shown; "
            "leave empty to keep the present one."
        ),
    )

    class Meta:
        model = HookSource
        fields = ["town", "name", "key", "kind", "active"]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("new_secret") and not self.instance.has_secret:
            self.add_error("new_secret", _("A new source needs a secret."))
        return cleaned

    def save(self, commit=True):
        if self.cleaned_data.get("new_secret"):
            self.instance.set_secret(self.cleaned_data["new_secret"])
        return super().save(commit)


@admin.register(HookSource)
class HookSourceAdmin(ScopedAdmin):
    form = HookSourceForm
    list_display = ["name", "key", "kind", "town", "active", "secret_set"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "key"]

    @admin.display(boolean=True, description=_("secret set"))
    def secret_set(self, obj):
        return obj.has_secret


@admin.register(Camera)
class CameraAdmin(ScopedAdmin):
    list_display = ["camera_id", "name", "source", "place", "category_code", "active"]
    list_filter = ["source", "active"]
    search_fields = ["camera_id", "name", "place__name"]
    list_select_related = ["source", "place"]
    raw_id_fields = ["place"]


@admin.register(ReceivedEvent)
class ReceivedEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "source", "event_id", "case", "replays"]
    list_filter = ["source"]
    search_fields = ["event_id", "case__number"]
    list_select_related = ["source", "case"]


@admin.register(OutboxEntry)
class OutboxEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "channel",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "notice",
        "last_error",
    ]
    list_filter = ["status", "channel"]
    search_fields = ["notice__case__number", "last_error"]
    list_select_related = ["notice"]
    actions = ["retry_failed"]

    def has_retry_permission(self, request):
        return request.user.has_perm("integrations.change_outboxentry")

    @admin.action(description=_("Send the selected failed entries again"), permissions=["retry"])
    def retry_failed(self, request, queryset):
        count = outbox.retry(queryset.values_list("pk", flat=True), timezone.now())
        self.message_user(
            request,
            ngettext("%(n)d entry queued again.", "%(n)d entries queued again.", count)
            % {"n": count},
            messages.SUCCESS,
        )
