from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from wangge.residents.models import Household, Resident, Tag, UnmaskLog
from wangge.staff.admin_scope import ReadOnlyAdmin, ScopedAdmin


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "vulnerable"]


@admin.register(Household)
class HouseholdAdmin(ScopedAdmin):
    list_display = ["number", "address", "village", "grid", "is_party_central"]
    list_filter = ["is_party_central", "tags"]
    list_select_related = ["village", "grid"]
    search_fields = ["number", "address"]
    autocomplete_fields = ["village", "grid", "micro_grid", "hamlet", "group", "served_by"]
    filter_horizontal = ["tags"]


class ResidentForm(forms.ModelForm):
    """ID number and phone are typed in clear and never shown back."""

    id_number = forms.CharField(
        label=_("ID number"), required=False, help_text=_("Leave empty to keep the stored one.")
    )
    phone_number = forms.CharField(label=_("phone"), required=False)

    class Meta:
        model = Resident
        fields = ["town", "household", "name", "relation", "party_member", "tags"]

    def clean(self):
        data = super().clean()
        number = data.get("id_number", "")
        if not number and not self.instance.id_number_hash:
            self.add_error("id_number", _("An ID number is required."))
        try:
            if number:
                self.instance.set_id_number(number)
                clash = Resident.objects.with_id_number(number).exclude(pk=self.instance.pk)
                if clash.exists():
                    self.add_error("id_number", _("Another resident has this ID number."))
        except ValidationError as error:
            self.add_error("id_number", error)
        try:
            if data.get("phone_number"):
                self.instance.set_phone(data["phone_number"])
        except ValidationError as error:
            self.add_error("phone_number", error)
        return data


@admin.register(Resident)
class ResidentAdmin(ScopedAdmin):
    form = ResidentForm
    list_display = ["name", "gender", "birth_date", "id_number_masked", "phone_masked", "household"]
    list_filter = ["gender", "party_member", "tags"]
    list_select_related = ["household"]
    search_fields = ["name", "household__number"]
    readonly_fields = ["gender", "birth_date", "id_number_masked", "phone_masked"]
    autocomplete_fields = ["household"]
    filter_horizontal = ["tags"]

    def get_search_results(self, request, queryset, search_term):
        """Also find a resident by a full ID number or phone, through the keyed hash."""
        results, distinct = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if len(term) >= 11:
            results = results | queryset.with_id_number(term) | queryset.with_phone(term)
        return results, distinct


@admin.register(UnmaskLog)
class UnmaskLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "resident", "field", "reason"]
    list_filter = ["field"]
    list_select_related = ["user", "resident"]
    date_hierarchy = "at"
