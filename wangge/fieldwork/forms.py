"""Forms of the field pages. They parse; the rules are in `services`."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wangge.cases.forms import PhotosField
from wangge.fieldwork.models import SealState
from wangge.fieldwork.services import problem_categories


class _Finding(forms.Form):
    """Position from the phone, and an optional finding that opens a case."""

    latitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    longitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    finding_category = forms.ModelChoiceField(
        label=_("finding: category"),
        queryset=None,
        required=False,
        empty_label=_("— no finding —"),
    )
    finding_title = forms.CharField(label=_("finding: title"), max_length=120, required=False)
    finding_description = forms.CharField(
        label=_("finding: details"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    photos = PhotosField(label=_("finding: photos"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["finding_category"].queryset = problem_categories()

    def finding(self) -> dict | None:
        data = self.cleaned_data
        if not data.get("finding_category") and not data.get("finding_title"):
            return None
        return {
            "category": data["finding_category"].code if data.get("finding_category") else "",
            "title": data.get("finding_title", ""),
            "description": data.get("finding_description", ""),
            "photos": data.get("photos") or [],
        }


class VisitForm(_Finding):
    nobody_home = forms.BooleanField(label=_("nobody at home"), required=False)
    mediator = forms.CharField(label=_("mediator"), max_length=50, required=False)
    supervisor = forms.CharField(label=_("supervisor"), max_length=50, required=False)
    notes = forms.CharField(
        label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    field_order = [
        "nobody_home",
        "mediator",
        "supervisor",
        "notes",
        "finding_category",
        "finding_title",
        "finding_description",
        "photos",
    ]


class CheckInForm(_Finding):
    seal_state = forms.ChoiceField(
        label=_("seal state"),
        choices=[("", "—"), *SealState.choices],
        required=False,
    )
    notes = forms.CharField(
        label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    field_order = [
        "seal_state",
        "notes",
        "finding_category",
        "finding_title",
        "finding_description",
        "photos",
    ]

    def __init__(self, *args, has_seal: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"].label = _("photos")
        if not has_seal:
            del self.fields["seal_state"]
